"""Separator rules (FT201-FT206) and the ending helpers they share with the completion rules:
variants and partial separators (never a second separator), other endings, columns through
JSON escapes, the FT201/FT202 division across partitions, FT204's two-step fix, examples."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ftlint.cli import main, unescape
from ftlint.conventions import Conventions
from ftlint.diagnostics import Applicability
from ftlint.reader import parse_lines
from ftlint.rule import Context
from ftlint_rules.separator import (
    NoSeparator, PromptTrailingSpace, SeparatorInBody, SeparatorInconsistent, SeparatorMissing, StructuredPrompt,
)

from ftlint.affixes import classify, complete, other_ending, shell_quote, value_column, variant_cut

ROOT = Path(__file__).resolve().parent.parent
SEP = "\n\n###\n\n"
CODES = ("FT201", "FT202", "FT203", "FT204", "FT205", "FT206")
REVIEWS = [
    "A warm, funny film.", "Dull and far too long.", "Loved every minute of it.", "Not worth the ticket.",
    "Great cast, great story.", "Wooden acting and no plot.", "A joy from start to finish.",
]


def _batch(prompts: list, first_line: int = 1):
    raws = [json.dumps({"prompt": p, "completion": " positive"}, ensure_ascii=False).encode() for p in prompts]
    return parse_lines(raws, first_line, "train.jsonl")


def _ctx(separator: str | None = SEP) -> Context:
    conv = Conventions(format="prompt-completion", separator=separator, task="classification")
    conv.separator_source = "inferred" if separator is not None else "none"
    return Context("train.jsonl", conv)


def _run(rule, prompts: list, ctx: Context | None = None, parts: int = 1) -> list:
    """check + observe in `parts` consecutive partitions, merge in order, report."""
    ctx = ctx or _ctx()
    size = max(1, -(-len(prompts) // parts))
    found, states = [], []
    for start in range(0, len(prompts), size):
        batch = _batch(prompts[start : start + size], start + 1)
        found += list(rule.check(batch, ctx))
        if hasattr(rule, "observe"):
            state = rule.new_state()
            rule.observe(state, batch, ctx)
            states.append(state)
    if states:
        state = states[0]
        for other in states[1:]:
            state = rule.merge(state, other)
        found += list(rule.report(state, ctx))
    return sorted(found, key=lambda d: d.sort_key())


# --- helpers -------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "sep", "expected", "how"), [
    ("Review: great", SEP, "Review: great" + SEP, "append"),
    ("Review: great\n\n###", SEP, "Review: great" + SEP, "variant"),
    ("Review: great\n###\n", SEP, "Review: great" + SEP, "variant"),
    ("Review: great ###", SEP, "Review: great" + SEP, "variant"),
    ("Review: great\n\n###\n\n\n", SEP, "Review: great" + SEP, "variant"),
    ("Review: great\n", SEP, "Review: great" + SEP, "append"),
    ("Review: great\n\n#", SEP, "Review: great" + SEP, "partial"),
    ("Review: great ", SEP, "Review: great " + SEP, "append"),
    ("Call me ", " ->", "Call me ->", "append"),
    ("Call me->", " ->", "Call me ->", "variant"),
    ("Call me -> ", " ->", "Call me ->", "variant"),
    ("Ad: x\nSupported", "\nSupported:", "Ad: x\nSupported:", "partial"),
    ("Ad: x\nSupported: ", "\nSupported:", "Ad: x\nSupported:", "variant"),
    ("Ad: x\nS", "\nSupported:", "Ad: x\nS\nSupported:", "append"),
    (" a small canoe END.", " END", " a small canoe END", "variant"),
    (" a small canoe END\n", " END", " a small canoe END", "variant"),
    (" a small canoe.END", " END", " a small canoe. END", "variant"),
    (" the BACKEND", " END", " the BACKEND END", "append"),
    (" Vitamin E", " END", " Vitamin E END", "append"),
    (" two lines\n", " END", " two lines\n END", "append"),
    (" line", "\n", " line\n", "append"),
])
def test_complete(text: str, sep: str, expected: str, how: str) -> None:
    assert complete(text, sep) == (expected, how)


@pytest.mark.parametrize(("text", "ending"), [
    ("Review: great ->", " ->"),
    ("Review: great. =>", " =>"),
    ("Review: great!\n\n---\n\n", "\n\n---\n\n"),
    ("Review: great.->", "->"),
    ("Review: great<|endoftext|>", "<|endoftext|>"),
    ("Review: great </s>", " </s>"),
    (" a canoe STOP", " STOP"),
    ("Review: great", None),
    ("Review: great.", None),
    ("Review: great!!", None),
    ("Review: up 50%", None),
    ("Review: great 😍😍", None),
    ("Translate to French:", None),
    ("Review: great\n", None),
    ("Review: (great)", None),
    ("", None),
])
def test_other_ending(text: str, ending: str | None) -> None:
    assert other_ending(text) == ending


def test_label_lines_only_for_prompts() -> None:
    assert other_ending("Q: 2+2?\nAnswer:", label_lines=True) == "\nAnswer:"
    assert other_ending("Q: 2+2?\nAnswer:") is None


def test_classify_prefers_the_own_separator() -> None:
    assert classify("Review: great\n\n###", SEP, label_lines=True)[0] == "variant"
    assert classify("Review: great\n\n##", SEP, label_lines=True)[0] == "partial"
    assert classify("Review: great ->", SEP, label_lines=True) == ("other", " ->")
    assert classify("Review: great", SEP, label_lines=True)[0] == "append"


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(st.text(alphabet="ab #\n->.ENDS:", max_size=30), st.sampled_from([SEP, " ->", "\nSupported:", " END", "\n", "###"]))
def test_complete_always_ends_with_one_separator(text: str, sep: str) -> None:
    if text.endswith(sep):
        return
    new, how = complete(text, sep)
    assert new.endswith(sep)
    if how in ("append", "partial"):
        assert new.startswith(text) and len(new) - len(text) <= len(sep)
    else:
        cut = variant_cut(text, sep)
        assert cut is not None
        core = sep.strip()
        assert new.count(core) <= text.count(core)  # a variant is replaced, never doubled


@pytest.mark.parametrize("ensure_ascii", [True, False])
def test_value_column_counts_escapes_as_characters(ensure_ascii: bool) -> None:
    record = {"completion": '"prompt": trap', "prompt": 'héllo\n"q" 😀\twörld ->'}
    raw = json.dumps(record, ensure_ascii=ensure_ascii)
    batch = parse_lines([raw.encode()], 1, "t.jsonl")
    start = raw.index('"prompt": "h') + len('"prompt": "')
    for offset in range(len(record["prompt"]) + 1):
        column = value_column(batch, 0, "prompt", offset)
        assert json.loads('"' + raw[start : column - 1] + '"') == record["prompt"][:offset]


def test_value_column_falls_back_to_the_key() -> None:
    batch = parse_lines([b'{"prompt": 5, "completion": "ab"}'], 1, "t.jsonl")
    assert value_column(batch, 0, "prompt", 3) == 2
    assert value_column(batch, 0, "completion", 9) == batch.column_of(0, "completion")


@pytest.mark.parametrize("value", [SEP, " ->", "\nSupported:", " END", "\t|\\n|'q'"])
def test_shell_quote_round_trips_through_the_command_line(value: str) -> None:
    quoted = shell_quote(value)
    assert "\n" not in quoted
    import shlex
    (word,) = shlex.split(quoted)
    assert unescape(word) == value


# --- FT201 / FT202 ---------------------------------------------------------------------------

def test_separator_missing_column_points_at_the_end() -> None:
    (found,) = _run(SeparatorMissing(), ["Review: caf\u00e9 au lait\tfilm"])
    raw = json.dumps({"prompt": "Review: caf\u00e9 au lait\tfilm", "completion": " positive"}, ensure_ascii=False)
    assert found.location.column == raw.index('", "completion"') + 1
    assert found.fix.applicability is Applicability.SAFE
    assert found.fix.edits[0].new_text("Review: caf\u00e9 au lait\tfilm") == "Review: caf\u00e9 au lait\tfilm" + SEP
    assert found.fix.edits[0].value == ("", SEP)  # the finding keeps what changes, not a copy of the prompt


def test_separator_missing_needs_a_separator() -> None:
    assert _run(SeparatorMissing(), ["Review: great"], _ctx(None)) == []
    assert _run(SeparatorMissing(), ["Review: great"], _ctx("")) == []


def test_other_endings_are_ft202s_with_an_unsafe_fix() -> None:
    prompts = [r + SEP for r in REVIEWS] + ["Review: Meh ->", "Review: Fine =>\n", "Review: Bad.", "Review: So-so:"]
    missing = _run(SeparatorMissing(), prompts)
    inconsistent = _run(SeparatorInconsistent(), prompts)
    assert [(d.location.line, d.fix.edits[0].new_text(prompts[d.location.line - 1])) for d in missing] == [
        (10, "Review: Bad." + SEP), (11, "Review: So-so:" + SEP)]
    assert [(d.location.line, d.fix.applicability, d.fix.edits[0].new_text(prompts[d.location.line - 1])) for d in inconsistent] == [
        (8, Applicability.UNSAFE, "Review: Meh" + SEP),
        (9, Applicability.UNSAFE, "Review: Fine" + SEP),
    ]
    assert '"->"' in inconsistent[0].message
    assert inconsistent[0].location.column == len('{"prompt": "Review: Meh') + 1


# --- FT203 -----------------------------------------------------------------------------------

def test_separator_in_body_points_at_the_first_occurrence() -> None:
    prompt = "Review: caf\u00e9 \"noir\"" + SEP + "Review: dull" + SEP
    (found,) = _run(SeparatorInBody(), [prompt, REVIEWS[0] + SEP])
    raw = json.dumps({"prompt": prompt, "completion": " positive"}, ensure_ascii=False)
    assert found.location.column == raw.index("\\n") + 1
    assert "character 20" in found.message


def test_separator_in_body_whitespace_separator() -> None:
    found = _run(SeparatorInBody(), ["Para one.\n\nPara two.\n\n", "One paragraph.\n\n", "Trailing\n\n\n"], _ctx("\n\n"))
    assert [d.location.line for d in found] == [1]


# --- FT204 -----------------------------------------------------------------------------------

def test_no_separator_suggests_a_free_one() -> None:
    prompts = ["Review: first\n\n###\n\nsecond half", *REVIEWS]
    (found,) = _run(NoSeparator(), prompts, _ctx(None), parts=3)
    assert found.location.line == 1
    assert "--separator '\\n\\n===\\n\\n' --fix" in found.message
    assert found.fix.applicability is Applicability.DISPLAY_ONLY and found.fix.edits == ()


def test_no_separator_prefers_one_that_already_ends_prompts() -> None:
    prompts = [*REVIEWS[:3], *(r + " ->" for r in REVIEWS[3:])]
    (found,) = _run(NoSeparator(), prompts, _ctx(None))
    assert "--separator ' ->'" in found.message


def test_no_separator_when_every_candidate_is_taken() -> None:
    prompts = ["a\n\n###\n\nb\n\n===\n\nc -> d\n\n---\n\ne\n\n@@@\n\nf", *REVIEWS]
    (found,) = _run(NoSeparator(), prompts, _ctx(None))
    assert "choose a marker" in found.message


def test_no_separator_silent_with_a_separator_or_few_prompts() -> None:
    assert _run(NoSeparator(), REVIEWS, _ctx(SEP)) == []
    assert _run(NoSeparator(), REVIEWS, _ctx("")) == []
    batch = parse_lines([b'{"completion": " a"}', b'{"completion": " b"}', b'{"prompt": "x", "completion": " c"}'], 1, "t")
    rule = NoSeparator()
    state = rule.new_state()
    rule.observe(state, batch, _ctx(None))
    assert list(rule.report(state, _ctx(None))) == []


def test_no_separator_two_step_fix_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps({"prompt": "Review: " + r, "completion": " positive"}) + "\n" for r in REVIEWS))
    assert main(["check", str(path), "--isolated", "--select", "FT2"]) == 1
    out = capsys.readouterr().out
    assert "FT204" in out and "FT201" not in out
    command = out[out.index("`ftlint check") + 1 :]
    command = command[: command.index("`")]
    import shlex
    args = shlex.split(command)[1:]
    assert args == ["check", str(path), "--separator", "\\n\\n###\\n\\n", "--fix"]
    main([*args, "--isolated", "--select", "FT2"])
    capsys.readouterr()
    prompts = [json.loads(line)["prompt"] for line in path.read_text().splitlines()]
    assert prompts == ["Review: " + r + SEP for r in REVIEWS]
    assert main(["check", str(path), "--isolated", "--select", "FT2"]) == 0


# --- FT205 / FT206 ---------------------------------------------------------------------------

def test_trailing_space_fixes() -> None:
    prompts = ["Review: great \t", "Review: great " + SEP, "Review: great" + SEP, "Review: great\n"]
    found = _run(PromptTrailingSpace(), prompts)
    assert [(d.location.line, d.fix.applicability, d.fix.edits[0].new_text(prompts[d.location.line - 1])) for d in found] == [
        (1, Applicability.SAFE, "Review: great"),
        (2, Applicability.UNSAFE, "Review: great" + SEP),
    ]


def test_trailing_space_never_reports_the_separators_own_space() -> None:
    ctx = _ctx("\nAnswer: ")
    found = _run(PromptTrailingSpace(), ["Q: capital of Peru?\nAnswer: ", "Q: capital of Chile? \nAnswer: "], ctx)
    assert [d.location.line for d in found] == [2]
    assert found[0].fix.edits[0].new_text("Q: capital of Chile? \nAnswer: ") == "Q: capital of Chile?\nAnswer: "


def test_trailing_space_without_separator() -> None:
    found = _run(PromptTrailingSpace(), ["Review: great ", "Review: fine"], _ctx(None))
    assert [d.location.line for d in found] == [1]


def test_structured_prompt() -> None:
    found = _run(StructuredPrompt(), [
        "product=Trail runner, color=red, size=42" + SEP,
        "A light red trail running shoe" + SEP,
        "Solve: x=2, y=3" + SEP,
        "Set a=b" + SEP,
    ])
    assert [d.location.line for d in found] == [1]
    assert found[0].location.column == len('{"prompt": "') + 1
    assert found[0].fix is None


# --- examples ------------------------------------------------------------------------------------
