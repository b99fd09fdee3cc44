"""Formats: each record is checked in its own format; files in no accepted format (FT015), files
that are not JSON Lines (FT014) and files that mix formats (FT013) are one finding each, named."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from ftlint import api, engine
from ftlint.config import Settings

DATA = Path(__file__).parent / "data"
BAD = Path(__file__).parent / "bad_inputs"
TRAIN = [json.loads(line) for line in (DATA / "train_small.jsonl").read_text(encoding="utf-8").splitlines()]
CHAT = [json.loads(line) for line in (DATA / "chat_small.jsonl").read_text(encoding="utf-8").splitlines()]


def _review(record: dict) -> str:
    return record["prompt"].removesuffix("\n\n###\n\n")


def _turns(record: dict) -> tuple[str, str]:
    messages = record["messages"]
    return next(m["content"] for m in messages if m["role"] == "user"), next(m["content"] for m in messages if m["role"] == "assistant")


# Foreign shapes reconstructed from the committed real text, in the shape their tools write.
SHAPES = {
    "alpaca": ([{"instruction": "Classify the sentiment of the review.", "input": _review(r), "output": r["completion"].strip()} for r in TRAIN[:12]],
               "Alpaca (instruction/input/output)", "--to chat"),
    "dolly": ([{"instruction": _turns(c)[0], "context": "", "response": _turns(c)[1], "category": "open_qa"} for c in CHAT[:12]],
              "Dolly (instruction/context/response)", "--to chat"),
    "text": ([{"text": _review(r)} for r in TRAIN[:12]], '{"text": ...}', None),
    "sharegpt": ([{"conversations": [{"from": "human", "value": _turns(c)[0]}, {"from": "gpt", "value": _turns(c)[1]}]} for c in CHAT[:12]],
                 "ShareGPT (conversations of from/value turns)", "--to chat"),
    "trl-preference": ([{"prompt": _review(r), "chosen": r["completion"], "rejected": " neutral"} for r in TRAIN[:12]],
                       "TRL preference (prompt/chosen/rejected)", "--to preference"),
    "kto": ([{"prompt": _review(r), "completion": r["completion"], "label": i % 2 == 0} for i, r in enumerate(TRAIN[:12])],
            "TRL KTO (prompt/completion/label)", "--to chat"),
    "trl-messages": ([{"prompt": [{"role": "user", "content": _turns(c)[0]}], "completion": [{"role": "assistant", "content": _turns(c)[1]}]} for c in CHAT[:12]],
                     "TRL conversational prompt/completion", "--to chat"),
    "empty": ([{} for _ in range(12)], "empty objects", None),
}


def _write(path: Path, records: list[dict], newline: str = "\n") -> Path:
    path.write_bytes("".join(json.dumps(r, ensure_ascii=False) + newline for r in records).encode())
    return path


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_foreign_shapes_are_one_named_error_and_never_fixed(tmp_path: Path, shape: str) -> None:
    records, named, target = SHAPES[shape]
    path = _write(tmp_path / "train.jsonl", records, newline="\r\n")  # CRLF: a safe fix is on offer
    before = path.read_bytes()
    result = api.check([str(path)])
    errors = [d for d in result.diagnostics if d.severity.value == "error"]
    assert [d.code for d in errors] == ["FT015"], [(d.code, d.message) for d in errors]
    assert named in errors[0].message and "no record is in a format the fine-tuning API accepts" in errors[0].message
    if target:
        assert f"`ftlint convert {path} {target}`" in errors[0].message
    assert result.exit_code == 1
    fixed = api.fix([str(path)], unsafe=True)
    assert path.read_bytes() == before and not (tmp_path / "train.removed.jsonl").exists()
    assert fixed.exit_code == 1


@pytest.mark.parametrize("shape", sorted(shape for shape, (_, _, target) in SHAPES.items() if target))
def test_the_conversion_a_foreign_shape_names_gives_a_file_the_api_accepts(tmp_path: Path, shape: str) -> None:
    from ftlint.cli import main

    records, _, target = SHAPES[shape]
    path = _write(tmp_path / "train.jsonl", records)
    out = tmp_path / "converted.jsonl"
    skips = shape == "kto"  # chat has no undesirable answers: those are reported, and exit 1
    assert main(["convert", str(path), *target.split(), "-o", str(out)]) == (1 if skips else 0)
    result = api.check([str(out)])
    assert not [d for d in result.diagnostics if d.code.startswith("FT0")], [(d.code, d.message) for d in result.diagnostics]
    assert sum(f.records for f in result.files) == (6 if shape == "kto" else 12)  # KTO: the desirable answers


NOT_JSONL = {
    "utf16-bom": ((BAD / "utf16_bom.jsonl").read_bytes(), "UTF-16 LE text with a byte-order mark", "iconv -f UTF-16LE -t UTF-8"),
    "utf16-be-no-bom": ("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in TRAIN[:5]).encode("utf-16-be"),
                        "UTF-16 BE text without a byte-order mark", "iconv -f UTF-16BE -t UTF-8"),
    "utf32-bom": ("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in TRAIN[:5]).encode("utf-32"),
                  "UTF-32 LE text with a byte-order mark", "iconv -f UTF-32LE"),
    "tsv": ((DATA / "sms_spam_sample.tsv.jsonl").read_bytes(), 'TSV (first row: "Label", "SMS")', "--to jsonl"),
    "csv": (b"prompt,completion\n" + b"".join(f'"{_review(r)}",{r["completion"]}\n'.encode() for r in TRAIN[:8]),
            'CSV (first row: "prompt", "completion")', "--to jsonl"),
    "json-array-one-line": ((BAD / "json_array.jsonl").read_bytes(), "one JSON array", "--to jsonl"),
    "json-array-pretty": (json.dumps(TRAIN[:5], indent=2, ensure_ascii=False).encode(), "one JSON array", "--to jsonl"),
    "pretty-objects": ("\n".join(json.dumps(r, indent=4) for r in TRAIN[:5]).encode(), "pretty-printed JSON", "--to jsonl"),
    "xlsx": (b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)) * 4, "a ZIP archive (an Excel .xlsx workbook is one)", "export the data as JSON Lines"),
    "binary": (gzip.compress((DATA / "train_small.jsonl").read_bytes())[10:], "binary data", "export the data as JSON Lines"),
    "plain-text": ("\n".join(_review(r) for r in TRAIN[:10]).encode(), "plain text", "no line is a JSON object"),
}


@pytest.mark.parametrize("case", sorted(NOT_JSONL))
def test_files_that_are_not_jsonl_are_one_error_and_never_fixed(tmp_path: Path, ftlint, case: str) -> None:
    data, what, how = NOT_JSONL[case]
    path = tmp_path / "train.jsonl"
    path.write_bytes(data)
    proc = ftlint("check", str(path), "--format", "json", "--fix", "--unsafe-fixes")
    assert proc.returncode == 1, proc.stderr
    found = json.loads(proc.stdout)["diagnostics"]
    assert [(d["code"], d["location"]["line"]) for d in found] == [("FT014", 1)]
    assert what in found[0]["message"] and how in found[0]["message"], found[0]["message"]
    assert path.read_bytes() == data and not (tmp_path / "train.removed.jsonl").exists()


def test_a_gzipped_utf16_file_is_diagnosed_on_its_content(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl.gz"
    path.write_bytes(gzip.compress((BAD / "utf16_bom.jsonl").read_bytes()))
    assert [d.code for d in api.check([str(path)]).diagnostics] == ["FT014"]


def test_jsonl_with_a_broken_first_line_is_not_called_something_else(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    lines = [json.dumps(r) for r in TRAIN[:20]]
    lines[0] = lines[0][:-1]  # the closing brace lost
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    codes = [d.code for d in api.check([str(path)]).diagnostics if d.code.startswith("FT0")]
    assert codes == ["FT001"]


def _mixed(tmp_path: Path) -> tuple[Path, list[int]]:
    """20 prompt-completion records with 4 conversations in between, two with invalid roles."""
    lines = [json.dumps(r) for r in TRAIN[:20]]
    chats = [dict(c) for c in CHAT[:4]]
    for chat in chats[:2]:
        chat["messages"] = [{**m, "role": "bot" if m["role"] == "assistant" else m["role"]} for m in chat["messages"]]
    at = [3, 9, 15, 24]
    for line, chat in zip(at, chats):
        lines.insert(line - 1, json.dumps(chat))
    path = tmp_path / "train.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, at


@pytest.mark.parametrize("jobs", [1, 2])
def test_mixed_formats_are_one_finding_and_each_record_is_checked_in_its_own_format(tmp_path: Path, monkeypatch, jobs: int) -> None:
    path, chat_lines = _mixed(tmp_path)
    monkeypatch.setattr(engine, "PARALLEL_MIN_BYTES", 0)
    result = api.check([str(path)], jobs=jobs)
    mixed = [d for d in result.diagnostics if d.code == "FT013"]
    assert len(mixed) == 1
    assert mixed[0].location.line == 3 and [r.line for r in mixed[0].related] == chat_lines[1:]
    assert "20 prompt-completion records and 4 chat records (lines 3, 9, 15, 24)" in mixed[0].message
    assert result.conventions[str(path)].format == "prompt-completion"
    assert {d.location.line for d in result.diagnostics if d.code == "FT703"} == set(chat_lines[:2])  # checked as chat
    assert not [d for d in result.diagnostics if d.location.line in chat_lines and d.code.startswith(("FT1", "FT2", "FT3", "FT5"))]
    assert result.files[0].formats == {"prompt-completion": 20, "chat": 4}


def test_records_of_no_format_are_checked_as_the_files_format(tmp_path: Path) -> None:
    """Two Alpaca records in a chat file are broken chat records (FT701), not a second format."""
    path = _write(tmp_path / "train.jsonl", CHAT[:10] + SHAPES["alpaca"][0][:2])
    codes = {(d.code, d.location.line) for d in api.check([str(path)]).diagnostics}
    assert {("FT701", 11), ("FT701", 12)} <= codes
    assert not {c for c, _ in codes} & {"FT013", "FT015"}


def test_a_minority_of_no_format_in_a_file_of_no_format_is_named(tmp_path: Path) -> None:
    """Mostly `text` records, a few chat records: the chat records are checked, and the others
    are one FT015 that names them (they were checked in no format)."""
    path = _write(tmp_path / "train.jsonl", SHAPES["text"][0] * 3 + CHAT[:2])
    result = api.check([str(path)])
    unknown = [d for d in result.diagnostics if d.code == "FT015"]
    assert len(unknown) == 1 and unknown[0].message.startswith("36 records (lines 1, 2, 3")
    assert "were not checked" in unknown[0].message


def test_a_configured_format_judges_every_record(tmp_path: Path) -> None:
    path, _ = _mixed(tmp_path)
    result = api.check([str(path)], settings=Settings(format="prompt-completion"))
    codes = {d.code for d in result.diagnostics}
    assert "FT013" not in codes and "FT101" in codes  # conversations are broken prompt-completion records now


def test_record_formats_says_what_detect_format_says_of_each_record() -> None:
    """The batch-wide fast paths agree with the per-record definition, for batches plainly of one
    format and for batches where some records are something else (foreign shapes that also hold
    a prompt and a completion, messages in a prompt, lines that are no record)."""
    from ftlint.formats import detect_format, record_formats
    from ftlint.parse import parse_lines

    plain = [{"prompt": _review(r), "completion": r["completion"]} for r in TRAIN[:6]]
    odd = [
        {"prompt": "p", "completion": "c", "instruction": "i", "output": "o"},
        {"prompt": "p", "completion": "c", "conversations": [{"from": "human", "value": "v"}]},
        {"prompt": "p", "completion": "c", "label": True}, {"prompt": "p", "completion": "c", "label": "x"},
        {"prompt": [{"role": "user", "content": "q"}], "completion": "c"}, {"prompt": ["q"], "completion": "c"},
        {"prompt": "p"}, {"completion": "c", "text": "t"}, {"messages": []}, {},
        *(records[0] for records, _, _ in SHAPES.values()),
    ]
    chat = [{"messages": [{"role": "user", "content": u}, {"role": "assistant", "content": a}]} for u, a in map(_turns, CHAT[:6])]
    batches = [plain, chat, [odd[0]] * 3, [odd[1]] * 3] + [plain[:3] + [record] + plain[3:] for record in odd]
    for records in batches:
        raws = [json.dumps(r).encode() for r in records] + [b"not json"]
        batch = parse_lines(raws, 1, "t.jsonl", block=b"\n".join(raws))
        assert record_formats(batch) == [None if v is None else detect_format(v) for v in batch.values], records
