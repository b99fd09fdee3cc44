"""Token rules (FT401-FT403) against the real offline encodings: the byte-length shortcut of
FT401 against brute-force counting, the model table, single-token labels, special tokens."""
from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from ftlint import tokens
from ftlint.cli import main
from ftlint.conventions import Conventions
from ftlint.reader import parse_lines
from ftlint.rule import Context
from ftlint_rules.tokens import LabelNotSingleToken, SpecialToken, TooManyTokens

SENTENCES = [
    "A warm, funny film with a great cast.",
    "Dull, slow and far too long; I checked my watch twice.",
    "The committee met on Tuesday to discuss the 2024 budget and the new parking rules.",
    "Photosynthesis is the process by which plants turn light, water and CO2 into sugar.",
    "Ein wunderbarer Film über Freundschaft, Verlust und die Kraft der Musik.",
    "Un film très réussi, drôle et émouvant à la fois.",
    "東京は日本の首都であり、世界最大の都市圏の一つです。",
    "Отличный фильм, рекомендую всем друзьям.",
    "Great service 👍👍 would order again 🍕🍕🍕",
    "WINNER!! Claim your free prize now, text WIN to 80086 (T&C apply)",
    "def add(a, b):\n    return a + b\n",
    "    indented    text   with\truns  of   spaces",
]


def _records(seed: int, n: int) -> list[dict]:
    rng = random.Random(seed)
    records = []
    for _ in range(n):
        prompt = " ".join(rng.choice(SENTENCES) for _ in range(rng.choice([1, 1, 2, 3, 5, 8, 14, 24])))
        completion = " " + " ".join(rng.choice(SENTENCES) for _ in range(rng.choice([0, 1, 2, 4]))) + " END"
        records.append({"prompt": prompt + "\n\n###\n\n", "completion": completion})
    return records


def _batch(records: list[dict], ascii_json: bool = False):
    raws = [json.dumps(r, ensure_ascii=ascii_json).encode() for r in records]
    return parse_lines(raws, 1, "train.jsonl")


def _ctx(model: str | None = None, task: str | None = None) -> Context:
    return Context("train.jsonl", Conventions(format="prompt-completion", task=task), model=model)


def _brute_force(records: list[dict], model: str, limit: int) -> list[int]:
    encoding = tokens.get_encoding(tokens.resolve_model(model).encoding)
    return [
        line for line, r in enumerate(records, 1)
        if len(encoding.encode_ordinary(r["prompt"] + r["completion"])) > limit
    ]


@pytest.mark.parametrize("model", ["davinci", "davinci-002", "gpt-4o-mini"])
@pytest.mark.parametrize("limit", [30, 64, 150, 300])
@pytest.mark.parametrize("ascii_json", [False, True])
def test_shortcut_finds_exactly_what_brute_force_finds(model, limit, ascii_json):
    records = _records(seed=limit, n=400)
    batch = _batch(records, ascii_json)
    rule = TooManyTokens(TooManyTokens.Options(max_tokens=limit))
    found = [d.location.line for d in rule.check(batch, _ctx(model))]
    expected = _brute_force(records, model, limit)
    assert found == expected
    assert 0 < len(expected) < len(records)  # the data straddles the limit


def test_shortcut_skips_most_records(monkeypatch):
    records = _records(seed=7, n=400)
    counted: list[int] = []
    real = tokens.count_tokens

    def spy(encoding, texts):
        counted.append(len(texts))
        return real(encoding, texts)

    monkeypatch.setattr(tokens, "count_tokens", spy)
    rule = TooManyTokens(TooManyTokens.Options(max_tokens=400))
    found = list(rule.check(_batch(records), _ctx()))
    assert sum(counted) < len(records) / 2
    assert [d.location.line for d in found] == _brute_force(records, "davinci", 400)


def test_no_tokenizing_when_every_line_is_short(monkeypatch):
    def fail(encoding, texts):
        raise AssertionError("tokenized although every raw line is within the limit")

    monkeypatch.setattr(tokens, "count_tokens", fail)
    assert list(TooManyTokens().check(_batch(_records(seed=1, n=200)), _ctx())) == []


def test_multibyte_text_over_bytes_but_within_tokens():
    # 700 CJK characters: 2,100 UTF-8 bytes (over 2,048) but not necessarily over 2,048 tokens.
    text = ("東京は日本の首都です。" * 70)[:700]
    records = [{"prompt": text + "\n\n###\n\n", "completion": " ok"}]
    found = [d.location.line for d in TooManyTokens().check(_batch(records), _ctx())]
    assert found == _brute_force(records, "davinci", 2048)


def test_lines_with_replaced_invalid_bytes_agree_with_brute_force():
    # Invalid bytes become U+FFFD (3 bytes of UTF-8 for 1 raw byte), so the raw-line bound is
    # not used on those lines; their findings must still be exact.
    raws = [b'{"prompt": "' + b"x\xff" * k + b'", "completion": " x"}' for k in (10, 20, 30, 40)]
    batch = parse_lines(raws, 1, "train.jsonl")
    assert sum(issue.code == "FT006" for issue in batch.issues) == 4
    records = batch.values
    for limit in (20, 45, 60, 79, 80, 100):
        found = [d.location.line for d in TooManyTokens(TooManyTokens.Options(max_tokens=limit)).check(batch, _ctx())]
        assert found == _brute_force(records, "davinci", limit), limit


def test_message_has_count_and_limit():
    records = [{"prompt": "word " * 3000 + "\n\n###\n\n", "completion": " summary END"}]
    (d,) = TooManyTokens().check(_batch(records), _ctx())
    n = len(tokens.get_encoding("r50k_base").encode_ordinary(records[0]["prompt"] + records[0]["completion"]))
    # counted only until over the limit: a lower bound, said to be one, and true
    at_least = int(re.search(r"is at least ([\d,]+) tokens \(r50k_base, one per word at least", d.message)[1].replace(",", ""))
    assert 2048 < at_least <= n and "2,048-token limit of davinci" in d.message
    assert d.location.pointer == "/prompt" and d.location.column == 2
    (d,) = TooManyTokens(TooManyTokens.Options(max_tokens=3006)).check(_batch(records), _ctx())
    assert f"is {n:,} tokens (r50k_base)" in d.message  # just over the limit: counted whole
    (d,) = TooManyTokens(TooManyTokens.Options(max_tokens=1000)).check(_batch(records), _ctx())
    assert "max-tokens (1,000)" in d.message


def test_missing_or_non_string_fields():
    records = [
        {"prompt": "word " * 3000},
        {"completion": " word" * 3000},
        {"prompt": 12, "completion": None},
        {"prompt": "", "completion": ""},
    ]
    found = [d.location.line for d in TooManyTokens().check(_batch(records), _ctx())]
    assert found == [1, 2]


# --- the model table ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["ada", "babbage", "curie", "davinci"])
def test_legacy_models_are_r50k_2048(name):
    info = tokens.resolve_model(name)
    assert (info.encoding, info.max_tokens) == ("r50k_base", 2048)


def test_model_for_context():
    assert _ctx().model_info.name == "davinci"  # the default for prompt-completion
    assert _ctx("curie:ft-acme-2023-03-01-12-00-00").model_info.name == "curie"
    info = _ctx("davinci-002").model_info
    assert (info.encoding, info.max_tokens) == ("cl100k_base", 16384)
    assert _ctx("ada").encoding.name == "r50k_base"


def test_model_limit_applies(tmp_path, capsys):
    """3,000 tokens: over davinci's 2,048, within davinci-002's 16,384 (via --model)."""
    path = tmp_path / "train.jsonl"
    path.write_text(json.dumps({"prompt": "word " * 3000 + "\n\n###\n\n", "completion": " x END"}) + "\n")
    base = ["check", str(path), "--isolated", "--select", "FT401", "--format", "json"]
    assert main(base) == 1
    assert [d["code"] for d in json.loads(capsys.readouterr().out)["diagnostics"]] == ["FT401"]
    assert main([*base, "--model", "davinci-002"]) == 0
    assert json.loads(capsys.readouterr().out)["diagnostics"] == []


# --- FT402 -------------------------------------------------------------------------------------------

def _labels(*labels: str):
    return _batch([{"prompt": f"Review {i}\n\n###\n\n", "completion": c} for i, c in enumerate(labels)])


def _report(rule, batches, ctx):
    state = rule.new_state()
    for batch in batches:
        rule.observe(state, batch, ctx)
    return list(rule.report(state, ctx))


def test_sentiment_labels_are_single_tokens_in_r50k():
    encoding = tokens.get_encoding("r50k_base")
    for label in (" positive", " negative", " neutral", " spam", " ham", " 1", " 42"):
        assert len(encoding.encode_ordinary(label)) == 1, label
    found = _report(LabelNotSingleToken(), [_labels(" positive", " negative", " positive")], _ctx(task="classification"))
    assert found == []


def test_multi_token_label_once_with_split_and_hint():
    batch = _labels(" positive", " Very positive", " negative", " Very positive")
    (d,) = _report(LabelNotSingleToken(), [batch], _ctx(task="classification"))
    assert d.location.line == 2 and d.location.pointer == "/completion"
    assert '" Very positive" is 2 tokens under davinci (r50k_base): [" Very", " positive"]' in d.message
    assert 'a number such as " 2"' in d.message


def test_hint_adds_the_leading_space():
    (d,) = _report(LabelNotSingleToken(), [_labels(" positive", "Positive!")], _ctx(task="classification"))
    assert d.location.line == 2 and 'use " Positive"' in d.message


def test_label_split_depends_on_the_encoding():
    # Tokenization differs between encodings: check against each encoding itself.
    labels = [" positive", " negative", " Technical support", " neutral"]
    for model in ("davinci", "davinci-002", "gpt-4o-mini"):
        encoding = _ctx(model).encoding
        expected = [i + 1 for i, label in enumerate(labels) if len(encoding.encode_ordinary(label)) > 1]
        found = _report(LabelNotSingleToken(), [_labels(*labels)], _ctx(model, "classification"))
        assert [d.location.line for d in found] == expected and expected, model


def test_label_state_merges_across_partitions():
    rule, ctx = LabelNotSingleToken(), _ctx(task="classification")
    first, second = rule.new_state(), rule.new_state()
    rule.observe(first, _labels(" positive", " negative"), ctx)
    rule.observe(second, parse_lines([json.dumps({"prompt": "p", "completion": " Very positive"}).encode()] * 2, 3, "t"), ctx)
    (d,) = rule.report(rule.merge(first, second), ctx)
    assert d.location.line == 3


def test_not_classification_is_silent():
    assert _report(LabelNotSingleToken(), [_labels(" Very positive")], _ctx(task="generation")) == []


# --- FT403 -------------------------------------------------------------------------------------------

def test_special_token_column_and_pointer():
    records = [{"prompt": "Define: osmosis<|endoftext|>\n\n###\n\n", "completion": " Water crossing a membrane. END"}]
    (d,) = SpecialToken().check(_batch(records), _ctx())
    raw = json.dumps(records[0], ensure_ascii=False)
    assert d.location.column == raw.index("<|endoftext|>") + 1
    assert d.location.pointer == "/prompt" and '"<|endoftext|>"' in d.message


def test_special_token_column_after_non_ascii():
    records = [{"prompt": "Définition : « osmose » <|endoftext|>", "completion": " x"}]
    (d,) = SpecialToken().check(_batch(records), _ctx())
    raw = json.dumps(records[0], ensure_ascii=False)
    assert d.location.column == raw.index("<|endoftext|>") + 1


def test_special_tokens_of_the_model_encoding():
    records = [
        {"prompt": "<|fim_prefix|>def f():", "completion": " pass<|endofprompt|>"},
        {"prompt": "a <| b |> c", "completion": " <|im_start|>"},
    ]
    assert list(SpecialToken().check(_batch(records), _ctx())) == []  # r50k_base only has <|endoftext|>
    found = list(SpecialToken().check(_batch(records), _ctx("davinci-002")))
    assert [(d.location.line, d.location.pointer) for d in found] == [(1, "/prompt"), (1, "/completion")]


def test_special_token_escaped_in_json_still_found():
    raw = b'{"prompt": "osmosis\\u003c|endoftext|>", "completion": " x"}'
    (d,) = SpecialToken().check(parse_lines([raw], 1, "t"), _ctx())
    assert d.location.line == 1 and d.location.column == 2  # the key's column: the raw spells it escaped


def test_cli_on_file(tmp_path: Path, capsys):
    path = tmp_path / "train.jsonl"
    path.write_text(
        json.dumps({"prompt": "Define: osmosis<|endoftext|>\n\n###\n\n", "completion": " Water crossing a membrane. END"}) + "\n"
        + json.dumps({"prompt": "Define: erosion\n\n###\n\n", "completion": " Rock worn away by wind and water. END"}) + "\n"
    )
    assert main(["check", str(path), "--isolated", "--select", "FT403", "--format", "json"]) == 1
    (d,) = json.loads(capsys.readouterr().out)["diagnostics"]
    assert d["code"] == "FT403" and d["location"]["line"] == 1


EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.parametrize(("name", "expected"), [
    ("sentiment", []), ("spam", []), ("generation", []), ("chat", []),
    ("defects", [("FT403", 26)]), ("defects_generation", [("FT403", 13)]),
])
def test_examples(name, expected, capsys):
    path = EXAMPLES / f"{name}.jsonl"
    if not path.exists():
        pytest.skip("examples/ not generated")
    main(["check", str(path), "--isolated", "--select", "FT4", "--format", "json"])
    found = json.loads(capsys.readouterr().out)["diagnostics"]
    assert [(d["code"], d["location"]["line"]) for d in found if d["code"].startswith("FT4")] == expected
