"""Completion rules (FT301-FT305): leading whitespace, the stop sequence (generation only: the
old tool's stop=["tive"] for " positive"/" negative" must never happen), the FT302/FT303
division across partitions, the stop-less two-step fix, stop inside the text, list order."""
from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from ftlint.cli import main
from ftlint.conventions import Conventions
from ftlint.diagnostics import Applicability
from ftlint.reader import parse_lines
from ftlint.rule import Context
from ftlint_rules.completion import EntityOrder, MissingLeadingWhitespace, StopInBody, StopInconsistent, StopMissing

ROOT = Path(__file__).resolve().parent.parent
CODES = ("FT301", "FT302", "FT303", "FT304", "FT305")
PROMPT = "Define the noun: kayak\n\n###\n\n"
GLOSSES = [
    " a small light canoe", " a sheltered port", " quick and energetic", " light in a protective case",
    " speak softly", " in a willing manner", " avoiding waste", " a field of grass",
]


def _batch(pairs: list, first_line: int = 1):
    raws = [json.dumps({"prompt": p, "completion": c}, ensure_ascii=False).encode() for p, c in pairs]
    return parse_lines(raws, first_line, "train.jsonl")


def _ctx(task: str | None = "generation", stop: str | None = " END") -> Context:
    return Context("train.jsonl", Conventions(format="prompt-completion", separator="\n\n###\n\n", stop=stop, task=task))


def _run(rule, completions: list, ctx: Context | None = None, parts: int = 1, prompts: list | None = None) -> list:
    ctx = ctx or _ctx()
    pairs = list(zip(prompts or [PROMPT] * len(completions), completions))
    size = max(1, -(-len(pairs) // parts))
    found, states = [], []
    for start in range(0, len(pairs), size):
        batch = _batch(pairs[start : start + size], start + 1)
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


def test_leading_whitespace() -> None:
    completions = ["positive", " positive", "\npositive", "", "  ", None, "é"]
    found = _run(MissingLeadingWhitespace(), completions, _ctx("classification", None))
    assert [(d.location.line, d.fix.edits[0].new_text(completions[d.location.line - 1])) for d in found] == [(1, " positive"), (7, " é")]
    assert found[0].location.column == len(json.dumps({"prompt": PROMPT, "completion": ""})) - 1
    assert found[0].fix.applicability is Applicability.SAFE


def test_stop_missing_fix_and_column() -> None:
    completions = [g + " END" for g in GLOSSES] + [" a café", " a canoe END.", " a canoe END END"]
    found = _run(StopMissing(), completions)
    assert [(d.location.line, d.fix.edits[0].new_text(completions[d.location.line - 1])) for d in found] == [(9, " a café END"), (10, " a canoe END")]
    assert [d.fix.edits[0].value for d in found] == [("", " END"), (" END.", " END")]
    raw = json.dumps({"prompt": PROMPT, "completion": " a café"}, ensure_ascii=False)
    assert found[0].location.column == len(raw) - 1  # the closing quote


@pytest.mark.parametrize("task", ["classification", None])
def test_no_stop_rules_for_classification(task: str | None) -> None:
    """The old tool suggested stop=["tive"] for " positive"/" negative": never here."""
    labels = [" positive", " negative"] * 4
    for rule in (StopMissing(), StopInconsistent(), StopInBody()):
        assert _run(rule, labels, _ctx(task, "tive")) == []
        assert _run(rule, labels, _ctx(task, None)) == []


def test_other_stops_are_ft303s_with_an_unsafe_fix() -> None:
    completions = [g + " END" for g in GLOSSES] + [" a canoe STOP", " a port<|endoftext|>", " a field."]
    missing = _run(StopMissing(), completions)
    inconsistent = _run(StopInconsistent(), completions)
    assert [(d.location.line, d.fix.edits[0].new_text(completions[d.location.line - 1])) for d in missing] == [(11, " a field. END")]
    assert [(d.location.line, d.fix.applicability, d.fix.edits[0].new_text(completions[d.location.line - 1])) for d in inconsistent] == [
        (9, Applicability.UNSAFE, " a canoe END"),
        (10, Applicability.UNSAFE, " a port END"),
    ]
    assert inconsistent[0].location.column == len(json.dumps({"prompt": PROMPT, "completion": " a canoe"})) - 1


@pytest.mark.parametrize("parts", [1, 2, 4])
def test_no_stop_suggests_a_free_one(parts: int) -> None:
    completions = [*GLOSSES, " press END to go to the end"]
    (found,) = _run(StopMissing(), completions, _ctx("generation", None), parts=parts)
    assert found.location.line == 1
    assert "--stop ' STOP' --fix" in found.message
    assert found.fix.applicability is Applicability.DISPLAY_ONLY
    assert _run(StopMissing(), [], _ctx("generation", None)) == []


def test_no_stop_two_step_fix_through_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps({"prompt": PROMPT, "completion": g}) + "\n" for g in GLOSSES))
    assert main(["check", str(path), "--isolated", "--select", "FT3"]) == 1
    out = capsys.readouterr().out
    command = out[out.index("`ftlint check") + 1 :]
    args = shlex.split(command[: command.index("`")])[1:]
    assert args == ["check", str(path), "--stop", " END", "--fix"]
    main([*args, "--isolated", "--select", "FT3"])
    capsys.readouterr()
    assert [json.loads(line)["completion"] for line in path.read_text().splitlines()] == [g + " END" for g in GLOSSES]
    assert main(["check", str(path), "--isolated", "--select", "FT3"]) == 0


def test_stop_in_body() -> None:
    found = _run(StopInBody(), [
        " a café END and more END", " press END to jump END", " ok END END", " ok END", " END", " no stop", None,
    ])
    assert [d.location.line for d in found] == [1, 2]
    raw = json.dumps({"prompt": PROMPT, "completion": " a café END and more END"}, ensure_ascii=False)
    assert found[0].location.column == raw.index(" END") + 1
    assert "character 8" in found[0].message


def test_newline_stop_and_multi_line_completions() -> None:
    ctx = _ctx("generation", "\n")
    found = _run(StopInBody(), [" one line\n", " line one\nline two\n", "\nleading newline\n", " ends twice\n\n"], ctx)
    assert [d.location.line for d in found] == [2, 3]


def test_entity_order() -> None:
    prompts = [
        "Text: Ana met Boris and Carla in Lyon.\n\n###\n\n",
        "Text: Ana met Boris and Carla in Lyon.\n\n###\n\n",
        "Text: Ana met Boris and Carla in Lyon.\n\n###\n\n",
        "Text: Mia flew from Oslo to Rome, then to athens.\n\n###\n\n",
        "Text: Mia flew from Oslo to Rome, then to Athens.\n\n###\n\n",
        "Text: Mia flew from Oslo to Rome, then to Athens.\n\n###\n\n",
    ]
    completions = [
        " Carla, Ana, Lyon, Boris END",
        " Ana, Boris, Carla, Lyon END",
        " Boris, Carla, Lyon END",
        " athens, Mia, Oslo, Rome END",
        " 1. Rome\n2. Mia\n3. Athens\n4. Oslo END",
        " Rome, Paris, Mia END",
    ]
    found = _run(EntityOrder(), completions, prompts=prompts)
    assert [d.location.line for d in found] == [1, 5]
    assert found[0].fix.applicability is Applicability.DISPLAY_ONLY
    assert found[0].fix.edits[0].value == " Ana, Boris, Carla, Lyon END"
    assert found[1].fix.edits[0].value == " 2. Mia\n4. Oslo\n1. Rome\n3. Athens END"
    assert _run(EntityOrder(), completions, _ctx("classification"), prompts=prompts) == []


# (task, stop) -> the (line, code) each rule must report on ODD_COMPLETIONS: empty and
# whitespace-only completions are FT103's, None is FT102's, so no rule here reports them.
ODD_COMPLETIONS = ["", " ", None, "\ufffd", " END", "END", " ,\n,", " a, b, c", "\n\n\n"]
ODD_EXPECTED = {
    ("generation", " END"): [(4, "FT301"), (6, "FT301"), (4, "FT302"), (6, "FT302"), (7, "FT302"), (8, "FT302")],
    ("generation", "\n"): [(4, "FT301"), (6, "FT301"), (4, "FT302"), (6, "FT302"), (7, "FT302"), (8, "FT302"),
                           (5, "FT303"), (7, "FT304")],  # " END" is another stop (FT303), not a missing one
    ("generation", None): [(4, "FT301"), (6, "FT301"), (1, "FT302")],  # one "no common stop sequence"
    ("classification", None): [(4, "FT301"), (6, "FT301")],
}


@pytest.mark.parametrize("task, stop", list(ODD_EXPECTED))
def test_odd_values_give_exactly_the_expected_findings(task, stop) -> None:
    found = []
    for rule in (MissingLeadingWhitespace(), StopMissing(), StopInconsistent(), StopInBody(), EntityOrder()):
        found += _run(rule, ODD_COMPLETIONS, _ctx(task, stop), prompts=["a, b, c", "", None, "x", "y", "z", ",", "a b c", "\n"])
    assert [(d.location.line, d.code) for d in found] == ODD_EXPECTED[task, stop]
    messages = {(d.location.line, d.code): d.message for d in found}
    assert messages[4, "FT301"] == 'completion "\ufffd" does not start with a space; the guide asks for a leading whitespace'
    if stop == " END":
        assert messages[6, "FT302"].startswith('completion ends with "END", a variant of the stop sequence " END"')
    if stop is None and task == "generation":
        assert messages[1, "FT302"].startswith("no common stop sequence")
