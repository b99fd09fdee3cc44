"""`ftlint split`: leakage-free, deterministic, stratified, byte-exact, and careful with files."""
from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest

from ftlint import api
from ftlint.cli import main

DATA = Path(__file__).parent / "data"
SEP = "\n\n###\n\n"


def _dataset() -> tuple[list[bytes], list[tuple[int, int]]]:
    """Real tweets as a classification set with planted near-copies, exact copies and repeated
    prompts, shuffled; returns the lines and the planted pairs (0-based line indices)."""
    rows = [json.loads(line) for line in (DATA / "near_duplicate_texts.jsonl").read_text(encoding="utf-8").splitlines()]
    tweets = [r["text"] for r in rows if r["source"] == "vader-tweets"]
    rng = random.Random(7)
    records = [{"prompt": t + SEP, "completion": " positive" if k % 3 else " negative"} for k, t in enumerate(tweets)]
    pairs = []
    for k in rng.sample(range(len(records)), 60):
        copy = dict(records[k])
        if len(pairs) % 3 == 0:
            copy["prompt"] = copy["prompt"].upper()  # near-copy
        elif len(pairs) % 3 == 1:
            copy["completion"] = " positive" if copy["completion"] == " negative" else " negative"  # same prompt
        pairs.append((k, len(records)))
        records.append(copy)
    order = list(range(len(records)))
    rng.shuffle(order)
    position = {k: i for i, k in enumerate(order)}
    lines = [json.dumps(records[k], ensure_ascii=False).encode() + b"\n" for k in order]
    return lines, [(position[a], position[b]) for a, b in pairs]


def _split(path: Path, *args: str) -> int:
    return main(["split", str(path), "--isolated", *args])


def test_split_is_leakage_free_stratified_and_byte_exact(tmp_path: Path) -> None:
    lines, pairs = _dataset()
    lines[5] = lines[5].rstrip(b"\n") + b"\r\n"  # a CRLF line is copied as it is
    source = tmp_path / "tweets.jsonl"
    source.write_bytes(b"".join(lines[:100]) + b"\n" + b"".join(lines[100:]))  # and a blank line, left out
    assert _split(source, "--validation-fraction", "0.2") == 0
    train, valid = (tmp_path / "tweets.train.jsonl").read_bytes(), (tmp_path / "tweets.valid.jsonl").read_bytes()
    train_lines, valid_lines = train.splitlines(keepends=True), valid.splitlines(keepends=True)
    assert sorted(train_lines + valid_lines) == sorted(lines)
    assert [line for line in lines if line in set(train_lines)] == train_lines  # original order kept
    assert abs(len(valid_lines) / len(lines) - 0.2) < 0.03
    label = lambda line: json.loads(line)["completion"]  # noqa: E731
    everything, held = Counter(map(label, lines)), Counter(map(label, valid_lines))
    for name, count in everything.items():
        assert abs(held[name] / count - 0.2) < 0.05, (name, held, everything)
    for a, b in pairs:  # every planted pair on one side
        assert (lines[a] in set(valid_lines)) == (lines[b] in set(valid_lines))
    result = api.check([str(tmp_path / "tweets.train.jsonl")], validation=str(tmp_path / "tweets.valid.jsonl"),
                       select=["FT610", "FT611"])
    assert result.counts == {}, [d.message for d in result.diagnostics]


def test_check_would_have_found_leaks_in_a_naive_split(tmp_path: Path) -> None:
    """The guarantee above is not vacuous: a split that ignores the groups leaks."""
    lines, pairs = _dataset()
    held = {b for _, b in pairs}
    (tmp_path / "train.jsonl").write_bytes(b"".join(line for i, line in enumerate(lines) if i not in held))
    (tmp_path / "valid.jsonl").write_bytes(b"".join(lines[i] for i in sorted(held)))
    result = api.check([str(tmp_path / "train.jsonl")], validation=str(tmp_path / "valid.jsonl"), select=["FT610", "FT611"])
    assert result.counts.get("FT610", 0) + result.counts.get("FT611", 0) >= 0.95 * len(pairs)


def test_split_is_deterministic_per_seed(tmp_path: Path) -> None:
    lines, _ = _dataset()
    source = tmp_path / "d.jsonl"
    source.write_bytes(b"".join(lines))
    outputs = []
    for seed in ("1", "1", "2"):
        assert _split(source, "--seed", seed, "--force") == 0
        outputs.append((tmp_path / "d.valid.jsonl").read_bytes())
    assert outputs[0] == outputs[1] != outputs[2]


def test_gzip_input(tmp_path: Path) -> None:
    import gzip

    lines, _ = _dataset()
    source = tmp_path / "d.jsonl.gz"
    source.write_bytes(gzip.compress(b"".join(lines)))
    assert _split(source) == 0
    written = (tmp_path / "d.train.jsonl").read_bytes().splitlines(keepends=True)
    written += (tmp_path / "d.valid.jsonl").read_bytes().splitlines(keepends=True)
    assert sorted(written) == sorted(lines)


def test_no_stratify(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    lines, _ = _dataset()
    source = tmp_path / "d.jsonl"
    source.write_bytes(b"".join(lines))
    assert _split(source, "--no-stratify") == 0
    assert "not stratified" in capsys.readouterr().out


def test_refuses_to_overwrite_without_force(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    lines, _ = _dataset()
    source = tmp_path / "d.jsonl"
    source.write_bytes(b"".join(lines))
    (tmp_path / "d.valid.jsonl").write_bytes(b"mine\n")
    assert _split(source) == 2
    assert "already exists; --force overwrites" in capsys.readouterr().err
    assert (tmp_path / "d.valid.jsonl").read_bytes() == b"mine\n" and not (tmp_path / "d.train.jsonl").exists()
    assert _split(source, "--force") == 0
    assert (tmp_path / "d.valid.jsonl").read_bytes() != b"mine\n"


@pytest.mark.parametrize(("content", "args", "message"), [
    (b'{"prompt": "a ->", "completion": " b"}\n{"prompt": \n', (), "d.jsonl:2: not a JSON object"),
    (b'{"prompt": "a ->", "completion": " b"}\n{"prompt": "c ->", "completion": " d"}\n', ("--validation-fraction", "1.5"),
     "--validation-fraction must be between 0 and 1"),
    (b'{"prompt": "a ->", "completion": " b"}\n', (), "1 record(s): nothing to split"),
])
def test_bad_input_is_a_clear_error_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                      content: bytes, args: tuple, message: str) -> None:
    source = tmp_path / "d.jsonl"
    source.write_bytes(content)
    assert _split(source, *args) == 2
    assert message in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.jsonl"]


def test_rows_of_one_conversation_stay_together(tmp_path: Path) -> None:
    rows = []
    for k in range(40):
        so_far = f"Summary: customer {k} asks about order {k * 7}.{SEP}"
        for turn in range(3):
            so_far += f"Customer: question {turn} about order {k * 7}?\nAgent:"
            rows.append({"prompt": so_far, "completion": f" answer {turn}.\n"})
            so_far += f" answer {turn}.\n"
    source = tmp_path / "agent.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert _split(source, "--validation-fraction", "0.25") == 0
    valid = [json.loads(line) for line in (tmp_path / "agent.valid.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(valid) % 3 == 0 and valid
    summaries = Counter(r["prompt"].split(SEP)[0] for r in valid)
    assert set(summaries.values()) == {3}  # all three rows of each conversation, or none
