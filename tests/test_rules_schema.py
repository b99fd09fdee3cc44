"""Schema and size rules (FT101-FT111): messages, pointers, options, mergeable state, roles,
and the bundled examples."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from ftlint.config import ConfigError, Settings, rule_options
from ftlint.conventions import Conventions
from ftlint.reader import parse_lines
from ftlint.rule import Context
from ftlint_rules.schema import (
    EmptyCompletion, MissingKey, SmallDataset, TooFewExamples, UnexpectedKey, WrongType,
)

ROOT = Path(__file__).resolve().parent.parent
CODES = ("FT101", "FT102", "FT103", "FT104", "FT110", "FT111")
DATASET_CODES = {"FT110", "FT111"}


def _batch(lines: list[str], first_line: int = 1):
    return parse_lines([line.encode() for line in lines], first_line, "train.jsonl")


def _ctx(task: str | None = "classification", role: str = "train") -> Context:
    return Context("train.jsonl", Conventions(format="prompt-completion", task=task), role=role)


def _check(rule, lines: list[str], ctx: Context | None = None) -> list:
    return list(rule.check(_batch(lines), ctx or _ctx()))


def _report(rule, count: int, ctx: Context | None = None, parts: int = 1) -> list:
    """Observe `count` records split into `parts` partitions, merge in order, report."""
    ctx = ctx or _ctx()
    record = json.dumps({"prompt": "Review: A warm, funny film.\n\n###\n\n", "completion": " positive"})
    size = -(-count // parts) if count else 0
    states = []
    for start in range(0, count, size or 1):
        state = rule.new_state()
        rule.observe(state, _batch([record] * min(size, count - start), start + 1), ctx)
        states.append(state)
    state = states[0] if states else rule.new_state()
    for other in states[1:]:
        state = rule.merge(state, other)
    return list(rule.report(state, ctx))


def test_missing_key_messages_and_pointers() -> None:
    found = _check(MissingKey(), [
        '{"prompt": "Review: Dull and far too long.\\n\\n###\\n\\n"}',
        '{"completion": " negative"}',
        '{"messages": [{"role": "user", "content": "hi"}]}',
        '{"prompt": "a", "completion": " b"}',
    ])
    assert [(d.location.line, d.location.pointer) for d in found] == [(1, "/completion"), (2, "/prompt"), (3, "/prompt")]
    assert '"completion"' in found[0].message
    assert "chat record" in found[2].message
    assert all(d.fix is None for d in found)


@pytest.mark.parametrize(("value", "expected"), [
    ("1", 'a number (1), not a string; write it as a string, e.g. " 1"'),
    ("2.5", 'a number (2.5)'),
    ("NaN", "NaN (a missing value?), not a string"),
    ("Infinity", "an infinite number, not a string"),
    ("true", "a boolean"),
    ("null", "null"),
    ('{"label": "positive"}', "an object"),
    ('[" positive"]', "an array"),
    ("123456789012345678901234567890", "a number, not a string"),
])
def test_wrong_type_says_which_type(value: str, expected: str) -> None:
    line = '{"prompt": "Review: A warm, funny film.\\n\\n###\\n\\n", "completion": %s}' % value
    (found,) = _check(WrongType(), [line])
    assert expected in found.message
    assert found.location.pointer == "/completion"
    assert found.location.column == line.index('"completion"') + 1


def test_wrong_type_prompt_has_no_number_hint() -> None:
    (found,) = _check(WrongType(), ['{"prompt": 42, "completion": " positive"}'])
    assert found.message == '"prompt" is a number (42), not a string'


def test_empty_completion_shows_whitespace_escaped() -> None:
    found = _check(EmptyCompletion(), [
        '{"prompt": "a ->", "completion": ""}',
        '{"prompt": "b ->", "completion": "\\t\\n"}',
        '{"prompt": "c ->", "completion": " ham"}',
        '{"prompt": "d ->", "completion": 3}',
    ])
    assert [d.location.line for d in found] == [1, 2]
    assert "empty" in found[0].message
    assert '"\\t\\n"' in found[1].message


def test_unexpected_key_lists_keys_and_escapes_pointer() -> None:
    keys = {f"k{i}": i for i in range(7)}
    found = _check(UnexpectedKey(), [
        json.dumps({"prompt": "a ->", "completion": " ham", "a/b~c": 1}),
        json.dumps({"prompt": "a ->", "completion": " ham", **keys}),
        json.dumps({"prompt": "a ->", "completion": " ham"}),
        json.dumps({"prompt": "a ->"}),
    ])
    assert [d.location.line for d in found] == [1, 2]
    assert found[0].location.pointer == "/a~1b~0c"
    assert "remove it or list it" in found[0].message
    assert "and 2 more" in found[1].message and "remove them" in found[1].message


def test_unexpected_key_option_from_config() -> None:
    settings = Settings(rules={"unexpected-key": {"allowed-keys": ["id", "source"]}})
    rule = UnexpectedKey(rule_options(UnexpectedKey, settings))
    assert _check(rule, ['{"prompt": "a ->", "completion": " ham", "id": 1, "source": "uci"}']) == []
    with pytest.raises(ConfigError):
        rule_options(UnexpectedKey, Settings(rules={"unexpected-key": {"allowed-keys": "id"}}))


@pytest.mark.parametrize("parts", [1, 2, 3])
def test_too_few_examples_counts_across_partitions(parts: int) -> None:
    (found,) = _report(TooFewExamples(), 9, parts=parts)
    assert found.location.line == 1
    assert found.message.startswith("9 examples; fine-tuning needs at least 10")
    assert _report(TooFewExamples(), 10, parts=parts) == []


def test_too_few_examples_option_role_and_empty() -> None:
    rule = TooFewExamples(rule_options(TooFewExamples, Settings(rules={"too-few-examples": {"minimum": 50}})))
    assert len(_report(rule, 20)) == 1
    assert _report(TooFewExamples(), 3, ctx=_ctx(role="validation")) == []
    assert _report(TooFewExamples(), 0) == []
    assert "1 example;" in _report(TooFewExamples(), 1)[0].message


def test_small_dataset_by_task() -> None:
    rule = SmallDataset()
    assert "at least 200" in _report(rule, 199, ctx=_ctx("classification"), parts=2)[0].message
    assert _report(rule, 200, ctx=_ctx("classification")) == []
    assert "at least 500" in _report(rule, 499, ctx=_ctx("generation"))[0].message
    assert _report(rule, 500, ctx=_ctx("generation")) == []
    assert _report(rule, 9, ctx=_ctx("classification")) == []  # FT110's
    assert _report(rule, 50, ctx=_ctx(None)) == []  # task unknown
    assert _report(rule, 50, ctx=_ctx("classification", role="validation")) == []
    options = rule_options(SmallDataset, Settings(rules={"small-dataset": {"classification-minimum": 20, "generation-minimum": 30}}))
    assert _report(SmallDataset(options), 25, ctx=_ctx("classification")) == []
    assert len(_report(SmallDataset(options), 25, ctx=_ctx("generation"))) == 1


def test_record_rules_only_for_prompt_completion() -> None:
    for cls in (MissingKey, WrongType, EmptyCompletion, UnexpectedKey):
        assert cls().applies_to("prompt-completion")
        assert not cls().applies_to("chat")
        assert not cls().applies_to("preference")


def test_counting_rules_for_every_format() -> None:
    for cls in (TooFewExamples, SmallDataset):
        for fmt in ("prompt-completion", "chat", "preference"):
            assert cls().applies_to(fmt)


def test_odd_values_give_exactly_the_expected_findings() -> None:
    lines = [
        '{"prompt": "\\ud800 broken ->", "completion": "\\ufffd"}',
        '{"prompt": "", "completion": " ham", "": 1}',
        '{"prompt": {"nested": [1, 2]}, "completion": [[]]}',
        "[1, 2]",
        "not json",
    ]
    found = [(d.code, d.location.line, d.location.column, d.message)
             for rule in (MissingKey(), WrongType(), EmptyCompletion(), UnexpectedKey()) for d in rule.check(_batch(lines), _ctx())]
    # lines 4-5 are not objects: the engine's FT001/FT002, no schema rule's; "\ufffd" is a completion
    assert found == [
        ("FT102", 3, 2, '"prompt" is an object, not a string'),
        ("FT102", 3, 32, '"completion" is an array, not a string'),
        ("FT104", 2, 12, 'unexpected key "": the API ignores or rejects keys other than "prompt" and "completion"; '
                         "remove it or list it in allowed-keys"),
    ]
