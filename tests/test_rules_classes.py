"""Class rules (FT501-FT505): options, messages, mergeable state, bounds, and FT504's fix."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from ftlint.cli import main
from ftlint.conventions import Conventions, label_key
from ftlint.diagnostics import Applicability
from ftlint.reader import parse_lines
from ftlint.rule import Context
from ftlint_rules.classes import (
    ClassImbalance, LabelVariants, PreferNumericLabels, TooFewPerClass, TooManyClasses,
)

REVIEWS = [
    "A warm, funny film.", "Dull and far too long.", "Loved every minute.", "Not worth the ticket.",
    "Great cast, great story.", "Wooden acting, no plot.", "A joy from start to finish.",
]


def _batch(labels, first_line: int = 1):
    raws = [
        json.dumps({"prompt": f"Review: {REVIEWS[i % len(REVIEWS)]}\n\n###\n\n", "completion": c}).encode()
        for i, c in enumerate(labels)
    ]
    return parse_lines(raws, first_line, "train.jsonl")


def _ctx(task: str | None = "classification", model: str | None = None) -> Context:
    return Context("train.jsonl", Conventions(format="prompt-completion", task=task), model=model)


def _report(rule, labels, ctx=None, parts: int = 1):
    """Observe `labels` split into `parts` partitions, merge the states in order, report."""
    ctx = ctx or _ctx()
    size = -(-len(labels) // parts)
    states = []
    for k in range(parts):
        state = rule.new_state()
        chunk = labels[k * size:(k + 1) * size]
        if chunk:
            rule.observe(state, _batch(chunk, k * size + 1), ctx)
        states.append(state)
    state = states[0]
    for other in states[1:]:
        state = rule.merge(state, other)
    return list(rule.report(state, ctx))


@pytest.mark.parametrize(("a", "b"), [
    (" positive", "Positive"), (" positive", " positive."), (" positive", "POSITIVE!"),
    (" positive", " positive \n"), (" Straße", " STRASSE"), (" 1", "1."),
])
def test_label_key_variants(a, b):
    assert label_key(a) == label_key(b)


@pytest.mark.parametrize(("a", "b"), [(" positive", " negative"), (" 1", " 11"), (" ?", " !"), (" yes", " yes no")])
def test_label_key_distinct(a, b):
    assert label_key(a) != label_key(b)


# --- FT501 ---------------------------------------------------------------------------------------

def test_too_few_per_class_default_and_option():
    labels = [" ham"] * 120 + [" spam"] * 30
    (d,) = _report(TooFewPerClass(), labels)
    assert d.location.line == 121 and d.location.pointer == "/completion"
    assert '" spam" has only 30 examples' in d.message and "min-examples 100" in d.message
    assert _report(TooFewPerClass(TooFewPerClass.Options(min_examples=30)), labels) == []


def test_too_few_per_class_first_line_survives_partitions():
    labels = [" ham"] * 10 + [" spam"] + [" ham"] * 10 + [" spam"]
    for parts in (1, 2, 3, 5):
        found = _report(TooFewPerClass(TooFewPerClass.Options(min_examples=5)), labels, parts=parts)
        assert [d.location.line for d in found] == [11], parts


def test_non_string_completions_are_ignored():
    raws = [
        b'{"prompt": "a", "completion": " ham"}', b'{"prompt": "b", "completion": 1}',
        b'{"prompt": "c", "completion": null}', b'{"prompt": "d"}', b'not json',
    ]
    rule = TooFewPerClass(TooFewPerClass.Options(min_examples=2))
    state = rule.new_state()
    rule.observe(state, parse_lines(raws, 1, "t"), _ctx())
    assert state.counts == {" ham": 1}
    assert [d.location.line for d in rule.report(state, _ctx())] == [1]


def test_generation_task_is_silent():
    labels = [" ham"] * 3 + [" Spam"]
    for rule in (TooFewPerClass(), ClassImbalance(), TooManyClasses(TooManyClasses.Options(max_classes=1)),
                 LabelVariants(), PreferNumericLabels(PreferNumericLabels.Options(min_classes=1))):
        assert _report(rule, labels, _ctx("generation")) == [], rule.code
        assert _report(rule, labels, _ctx(None)) == [], rule.code


# --- FT502 ---------------------------------------------------------------------------------------

def test_imbalance_names_both_classes():
    (d,) = _report(ClassImbalance(), [" ham"] * 950 + [" spam"] * 50 + [" other"] * 100)
    assert d.location.line == 1
    assert '" ham" has 950 examples, " spam" only 50 (19.0 times fewer; max-ratio 10)' in d.message
    assert _report(ClassImbalance(ClassImbalance.Options(max_ratio=19)), [" ham"] * 950 + [" spam"] * 50) == []
    assert _report(ClassImbalance(), [" ham"] * 950) == []  # one class: nothing to compare


# --- FT503 ---------------------------------------------------------------------------------------

def test_too_many_classes():
    labels = [f" {i}" for i in range(501)]
    (d,) = _report(TooManyClasses(), labels, parts=3)
    assert "501 classes, more than max-classes (500" in d.message
    assert _report(TooManyClasses(), labels[:500]) == []


def test_state_is_bounded():
    labels = [f" topic {i}" for i in range(1500)]
    (d,) = _report(TooManyClasses(), labels, parts=4)
    assert "more than 1,000 distinct completions" in d.message
    for rule in (TooFewPerClass(), LabelVariants(), ClassImbalance()):
        state = rule.new_state()
        rule.observe(state, _batch(labels), _ctx())
        assert state.overflow and state.counts == {} and list(rule.report(state, _ctx())) == []


def test_cap_follows_max_classes():
    labels = [f" {i}" for i in range(1200)]
    (d,) = _report(TooManyClasses(TooManyClasses.Options(max_classes=1100)), labels, parts=2)
    assert "1,200 classes" in d.message


# --- FT504 ---------------------------------------------------------------------------------------

def test_variants_report_every_record_with_the_dominant_spelling():
    labels = [" positive", " Positive", " negative", " positive", " negative.", "positive", " Positive", " negative"]
    for parts in (1, 2, 3, 8):
        found = _report(LabelVariants(), labels, parts=parts)
        assert [d.location.line for d in found] == [2, 5, 6, 7], parts
    d = found[0]
    assert d.message == 'label " Positive" is a variant of " positive" (2 records): use one spelling per class'
    assert d.fix.applicability is Applicability.UNSAFE
    assert [(e.line, e.op, e.pointer, e.value) for e in d.fix.edits] == [(2, "set", "/completion", " positive")]
    assert found[1].fix.edits[0].value == " negative"


def test_variant_tie_goes_to_the_first_seen_spelling():
    found = _report(LabelVariants(), [" Spam", " spam", " ham", " ham"])
    assert [(d.location.line, d.fix.edits[0].value) for d in found] == [(2, " Spam")]


def _write(tmp_path: Path, labels) -> Path:
    path = tmp_path / "train.jsonl"
    path.write_text("".join(
        json.dumps({"prompt": f"Review: {REVIEWS[i % len(REVIEWS)]}\n\n###\n\n", "completion": c}, ensure_ascii=False) + "\n"
        for i, c in enumerate(labels)
    ), encoding="utf-8")
    return path


def test_fix_changes_labels_only_with_unsafe_fixes(tmp_path, capsys):
    labels = [" positive", " Positive", " negative", " positive", "negative", " négatif", " negative"]
    path = _write(tmp_path, labels)
    before = path.read_bytes()
    args = ["check", str(path), "--isolated", "--task", "classification", "--select", "FT504"]
    assert main([*args, "--fix"]) == 1
    assert path.read_bytes() == before  # unsafe fixes are not applied by --fix
    capsys.readouterr()
    assert main([*args, "--fix", "--unsafe-fixes"]) == 0
    fixed = [json.loads(line)["completion"] for line in path.read_text(encoding="utf-8").splitlines()]
    assert fixed == [" positive", " positive", " negative", " positive", " negative", " négatif", " negative"]
    lines_before, lines_after = before.decode().splitlines(), path.read_text(encoding="utf-8").splitlines()
    assert [i for i, (a, b) in enumerate(zip(lines_before, lines_after)) if a != b] == [1, 4]  # only those lines


def test_fix_diff_shows_the_label_change(tmp_path, capsys):
    path = _write(tmp_path, [" spam", " ham", " ham", " Ham"])
    main(["check", str(path), "--isolated", "--task", "classification", "--select", "FT504", "--diff", "--unsafe-fixes"])
    out = capsys.readouterr().out
    assert '-{"prompt": "Review: Not worth the ticket.\\n\\n###\\n\\n", "completion": " Ham"}' in out
    assert '+{"prompt": "Review: Not worth the ticket.\\n\\n###\\n\\n", "completion": " ham"}' in out


def test_messages_survive_weird_labels():
    labels = ["\x1b[31m positive", "\x1b[31m POSITIVE", "", " \ufffd", "\u202e evil"]
    for rule in (TooFewPerClass(), LabelVariants(), ClassImbalance()):
        for d in _report(rule, labels):
            assert "\x1b" not in d.message and "\u202e" not in d.message


# --- FT505 ---------------------------------------------------------------------------------------

CATEGORIES = [
    " Billing question", " Technical support", " Account cancellation", " Feature request", " Bug report",
    " Sales inquiry", " Password reset", " Shipping delay", " Refund request", " Partnership offer",
]


def test_prefer_numeric_labels():
    (d,) = _report(PreferNumericLabels(), CATEGORIES * 3)
    assert d.location.line == 1 and d.severity.value == "info"
    assert '10 classes' in d.message and '" 1" ... " 10"' in d.message and '" Billing question": 3 tokens' in d.message
    assert _report(PreferNumericLabels(), CATEGORIES[:9]) == []  # fewer than min-classes
    assert _report(PreferNumericLabels(), [f" {i}" for i in range(1, 21)]) == []  # already numbers
    single = [" billing", " support", " sales", " refund", " shipping", " password", " bug", " feature", " account", " partner"]
    assert _report(PreferNumericLabels(), single) == []  # single tokens already


# --- variant spellings count as one class ---------------------------------------------------------

def test_variants_count_with_their_class():
    labels = [" ham"] * 4 + [" Ham"] + [" spam"] * 2 + ["spam."]
    found = _report(TooFewPerClass(TooFewPerClass.Options(min_examples=4)), labels)
    assert [d.location.line for d in found] == [6]  # " spam" has 3 with its variant; " ham" has 5
    assert '" spam" (with 1 variant spelling) has only 3 examples' in found[0].message
    assert _report(ClassImbalance(ClassImbalance.Options(max_ratio=2)), labels) == []  # 5 vs 3, not 5 vs 1
    assert _report(TooManyClasses(TooManyClasses.Options(max_classes=2)), labels) == []


# --- the example datasets -----------------------------------------------------------------------------

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _lint(path: Path, capsys) -> list[dict]:
    main(["check", str(path), "--isolated", "--select", "FT5", "--format", "json"])
    return json.loads(capsys.readouterr().out)["diagnostics"]


@pytest.mark.parametrize("name", ["sentiment", "spam", "generation", "chat"])
def test_clean_examples_are_silent(name, capsys):
    path = EXAMPLES / f"{name}.jsonl"
    if not path.exists():
        pytest.skip("examples/ not generated")
    assert _lint(path, capsys) == []


def test_defects_example_label_variants(capsys):
    path = EXAMPLES / "defects.jsonl"
    if not path.exists():
        pytest.skip("examples/ not generated")
    found = _lint(path, capsys)
    assert [d["location"]["line"] for d in found if d["code"] == "FT504"] == [25, 33]
    # the file is small: class-count findings are expected (see defects.expected.yaml), but
    # only on line 1 or a class's first line, never on the planted variants
    assert {d["code"] for d in found if not d["code"].startswith("FT0")} <= {"FT501", "FT502", "FT504"}  # FT0xx: its planted reader defects
