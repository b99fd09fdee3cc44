"""Advice that is right for the model's encoding: FT402/FT505 suggest labels that ARE single
tokens there (under cl100k_base " 2" is two tokens), and `conventions` gives max_tokens as the
longest label's token count, judges labels without their stop, and caps logprobs at 5. On
real reviews (examples/sentiment.jsonl) relabelled."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from ftlint import cli, tokens

ROOT = Path(__file__).resolve().parent.parent
REVIEWS = [json.loads(line) for line in (ROOT / "examples" / "sentiment.jsonl").read_text(encoding="utf-8").splitlines()]
TICKETS = [" Billing question", " Technical support", " Account cancellation", " Refund request", " Shipping delay",
           " Password reset", " Product feedback", " Sales inquiry", " Bug report", " Feature request", " Invoice copy",
           " Other topic"]


def relabelled(tmp_path: Path, labels: dict[str, str] | list[str], n: int = 300) -> Path:
    """The reviews with their labels mapped (dict) or dealt round-robin (list)."""
    path = tmp_path / "train.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for i, record in enumerate(REVIEWS[:n]):
            label = labels[record["completion"]] if isinstance(labels, dict) else labels[i % len(labels)]
            out.write(json.dumps({"prompt": record["prompt"], "completion": label}) + "\n")
    return path


def run(capsys, *args: str) -> tuple[int, str]:
    code = cli.main([*args, "--isolated"])
    return code, capsys.readouterr().out


def findings(capsys, path: Path, *args: str) -> list[dict]:
    run_code, out = run(capsys, "check", str(path), "--format", "json", "--jobs", "1", *args)
    return json.loads(out)["diagnostics"]


@pytest.mark.parametrize("encoding", ["r50k_base", "p50k_base", "cl100k_base", "o200k_base"])
def test_single_token_labels_are_single_tokens_in_each_encoding(encoding):
    enc = tokens.get_encoding(encoding)
    labels = tokens.single_token_labels(enc, 60, taken=[" A", "3"])
    assert len(labels) == len(set(labels)) == 60
    assert all(len(enc.encode_ordinary(label)) == 1 and label.startswith(" ") for label in labels)
    assert " A" not in labels and " 3" not in labels
    assert labels[0] == (" 1" if encoding in ("r50k_base", "p50k_base") else " B")
    assert tokens.numbers_are_single_tokens(enc) is (encoding in ("r50k_base", "p50k_base"))


def test_numeric_labels_under_cl100k_get_advice_that_holds_there(capsys, tmp_path):
    path = relabelled(tmp_path, {" positive": " 1", " negative": " 2"})
    assert list(findings(capsys, path, "--select", "FT402")) == []  # davinci: r50k_base, single tokens
    found = findings(capsys, path, "--select", "FT402", "--model", "davinci-002")
    assert len(found) == 2
    for d in found:
        assert " is 2 tokens under davinci-002 (cl100k_base): [\" \", " in d["message"]
        assert "map the classes to numbers" not in d["message"]
        code = d["message"].split("single-token code such as ")[1].split(" (")[0].strip('"')
        assert len(tokens.get_encoding("cl100k_base").encode_ordinary(code)) == 1
        assert "the guide's advice of numbers with a leading space, written for r50k_base models, does not carry over" in d["message"]


def test_many_word_labels_get_letters_under_cl100k_and_numbers_under_r50k(capsys, tmp_path):
    path = relabelled(tmp_path, TICKETS, n=600)
    (ft505,) = list(findings(capsys, path, "--select", "FT505", "--model", "babbage-002"))
    assert 'map the classes to capital letters " A" ... " L" (single tokens; under cl100k_base' in ft505["message"]
    (ft505,) = list(findings(capsys, path, "--select", "FT505"))
    assert 'map the classes to numbers " 1" ... " 12" (single tokens) and keep the mapping' in ft505["message"]
    hints = [d["message"] for d in findings(capsys, path, "--select", "FT402")]
    assert 'a number such as " 1"' in hints[0] and len(hints) == 12


def test_labels_ending_in_the_stop_are_judged_without_it(capsys, tmp_path):
    path = relabelled(tmp_path, {" positive": " positive END", " negative": " negative END"})
    assert findings(capsys, path, "--select", "FT402", "--model", "davinci-002") == []
    code, out = run(capsys, "conventions", str(path), "--format", "json", "--model", "davinci-002")
    inference = json.loads(out)[str(path)]["inference"]
    assert inference["max_tokens"] == 1 and inference["stop"] == [" END"] and inference["logprobs"] == 2
    path = relabelled(tmp_path, {" positive": " Very positive END", " negative": " negative END"})
    (d,) = findings(capsys, path, "--select", "FT402")
    assert d["message"].startswith('label " Very positive" (without the stop " END") is 2 tokens')


def test_max_tokens_is_the_longest_label_under_the_model_encoding(capsys, tmp_path):
    path = relabelled(tmp_path, {" positive": " 1", " negative": " 2"})
    code, out = run(capsys, "conventions", str(path), "--format", "json")
    assert json.loads(out)[str(path)]["inference"] == {"max_tokens": 1, "logprobs": 2, "model": "davinci", "encoding": "r50k_base"}
    code, out = run(capsys, "conventions", str(path), "--format", "json", "--model", "davinci-002")
    inference = json.loads(out)[str(path)]["inference"]
    assert inference["max_tokens"] == 2 and inference["encoding"] == "cl100k_base"
    assert "the longest label is 2 tokens under cl100k_base" in inference["notes"][0]
    code, out = run(capsys, "conventions", str(path), "--model", "davinci-002")
    assert "at inference: max_tokens=2 (the longest label's tokens under cl100k_base), logprobs=2" in out
    code, out = run(capsys, "check", str(path), "--model", "davinci-002", "--format", "json", "--jobs", "1")
    assert json.loads(out)["files"][0]["conventions"]["inference"]["max_tokens"] == 2


def test_logprobs_is_capped_at_5_with_what_to_do(capsys, tmp_path):
    path = relabelled(tmp_path, TICKETS, n=600)
    code, out = run(capsys, "conventions", str(path), "--format", "json")
    inference = json.loads(out)[str(path)]["inference"]
    assert inference["logprobs"] == 5
    assert any(note.startswith("12 classes, but the completions API returns at most 5 logprobs: pass logprobs=5 and read the top 5")
               for note in inference["notes"])
    code, out = run(capsys, "check", str(path), "--select", "FT402", "--jobs", "1")
    assert "logprobs=5 (the completions API's maximum: the top 5 of 12 classes)" in out
    assert "logprobs=12" not in out


def test_a_stop_glued_to_the_last_word_is_inferred_as_its_shared_core(capsys, tmp_path):
    """46 of 101 completions end "...sirEND" (a few ":DEND" or "?END", as in the real file this
    comes from), the rest "... END": the stop is "END", nothing suggests " END" (which would
    give "sirEND END"), and a fix adds no second stop."""
    path = tmp_path / "train.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for i, record in enumerate(REVIEWS[:101]):
            words = record["prompt"].split()[:6]
            glued = ":DEND" if i % 10 == 0 else "?END" if i % 10 == 1 else "END"
            completion = " " + " ".join(words[:-1]) + " " + words[-1].strip(".,") + (glued if i < 46 else " END")
            out.write(json.dumps({"prompt": record["prompt"], "completion": completion}) + "\n")
    code, out = run(capsys, "conventions", str(path), "--format", "json")
    assert json.loads(out)[str(path)]["inference"]["stop"] == ["END"]
    assert findings(capsys, path, "--select", "FT3") == []
    before = path.read_bytes()
    run(capsys, "check", str(path), "--fix", "--unsafe-fixes", "--select", "FT3")
    assert path.read_bytes() == before
