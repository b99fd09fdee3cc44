"""Duplicate rules (FT601, FT602, FT610): mergeable state, messages and severities, the fix's
removed records, and the train/validation leak check on the committed test data."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ftlint.cli import main
from ftlint.config import Settings
from ftlint.conventions import Conventions
from ftlint.diagnostics import Applicability, Severity
from ftlint.engine import Linter
from ftlint.plugins import load_plugins
from ftlint.reader import Batch, parse_lines
from ftlint.rule import Context
from ftlint_rules import duplicates
from ftlint_rules.duplicates import (
    ConflictingCompletions, DuplicateExample, ValidationLeak, duplicate_pairs, prompt_keys, prompt_pair_keys,
    repeated_prompts,
)

DATA = Path(__file__).parent / "data"
SEP = "\n\n###\n\n"
REVIEWS = [
    "A warm, funny film.", "Dull and far too long.", "Loved every minute.", "Not worth the ticket.",
    "Great cast, great story.", "Wooden acting, no plot.", "A joy from start to finish.",
]

# (review index, label) per line: duplicates and conflicts on both sides of every split point
RECORDS = [
    (0, " positive"), (1, " negative"), (2, " positive"), (0, " positive"), (3, " negative"),
    (1, " positive"), (4, " positive"), (2, " positive"), (0, " negative"), (5, " negative"),
    (1, " negative"), (6, " positive"), (0, " positive"), (5, " negative"), (4, " negative"),
]


def _raw(review: int | str, label: object) -> bytes:
    prompt = review if isinstance(review, str) else f"Review: {REVIEWS[review]}{SEP}"
    return json.dumps({"prompt": prompt, "completion": label}).encode()


def _batch(records, first_line: int = 1, path: str = "train.jsonl") -> Batch:
    return parse_lines([_raw(r, c) for r, c in records], first_line, path)


def _ctx(task: str | None = "classification", path: str = "train.jsonl") -> Context:
    return Context(path, Conventions(format="prompt-completion", separator=SEP, task=task))


def _state(rule, records, ctx, cuts=()):
    """Observe `records` as consecutive partitions split at `cuts` (each partition in batches
    of at most 4 lines, as the engine feeds them), then merge the partition states in order."""
    bounds = [0, *cuts, len(records)]
    states = []
    for start, end in zip(bounds, bounds[1:]):
        state = rule.new_state()
        for at in range(start, end, 4):
            rule.observe(state, _batch(records[at:min(at + 4, end)], at + 1, ctx.path), ctx)
        states.append(state)
    state = states[0]
    for later in states[1:]:
        state = rule.merge(state, later)
    return state


def _key(d):
    return (d.location.line, d.code, d.severity, d.message, d.related, d.fix)


def _findings(rule, records, ctx, cuts=()):
    return sorted(map(_key, rule.report(_state(rule, records, ctx, cuts), ctx)))


@pytest.mark.parametrize("cuts", [(1,), (4,), (7,), (3, 9), (1, 2, 3, 13), tuple(range(1, 15))])
@pytest.mark.parametrize("rule_class", [DuplicateExample, ConflictingCompletions])
def test_merged_partitions_find_what_one_state_finds(rule_class, cuts):
    rule, ctx = rule_class(), _ctx()
    whole = _findings(rule, RECORDS, ctx)
    assert whole  # the records hold duplicates and conflicts
    assert _findings(rule, RECORDS, ctx, cuts) == whole


@pytest.mark.parametrize("cuts", [(), (2,), (1, 3)])
def test_merged_partitions_find_the_same_leaks(cuts):
    rule = ValidationLeak()
    train_ctx, valid_ctx = _ctx(path="train.jsonl"), _ctx(path="valid.jsonl")
    valid = [(0, " positive"), (6, " negative"), (3, " negative"), (5, " positive"), (0, " negative")]
    train = _state(rule, RECORDS[:6], train_ctx, ())
    expected = sorted(map(_key, rule.report_pair(train, _state(rule, valid, valid_ctx), valid_ctx)))
    assert [(k[0], k[4][0].line, k[4][0].path) for k in expected] == [(1, 1, "train.jsonl"), (3, 5, "train.jsonl"), (5, 1, "train.jsonl")]
    train = _state(rule, RECORDS[:6], train_ctx, cuts)
    assert sorted(map(_key, rule.report_pair(train, _state(rule, valid, valid_ctx, cuts), valid_ctx))) == expected


def test_duplicates_name_the_first_occurrence():
    rule, ctx = DuplicateExample(), _ctx()
    found = list(rule.report(_state(rule, RECORDS, ctx), ctx))
    assert sorted((d.location.line, d.related[0].line) for d in found) == [(4, 1), (8, 3), (11, 2), (13, 1), (14, 10)]
    d = next(d for d in found if d.location.line == 13)
    assert "line 1 " in d.message and d.severity is Severity.WARNING
    assert d.related[0].path == "train.jsonl"
    assert d.fix.applicability is Applicability.UNSAFE
    assert [(e.line, e.op) for e in d.fix.edits] == [(13, "drop")]


def test_conflicts_severity_follows_the_task():
    rule = ConflictingCompletions()
    found = {k[0]: k for k in _findings(rule, RECORDS, _ctx("classification"))}
    # line 6: review 1 was " negative" on line 2; line 9: review 0 was " positive" on 1 and 4;
    # line 11 repeats line 2's label, but line 6 gave another before; line 13 likewise (line 9)
    assert sorted(found) == [6, 9, 11, 13, 15]
    assert {k[2] for k in found.values()} == {Severity.ERROR}
    assert "line 2 " in found[6][3] and "label" in found[6][3]
    assert [r.line for r in found[11][4]] == [6] and [r.line for r in found[13][4]] == [9]
    generation = _findings(rule, RECORDS, _ctx("generation"))
    assert [k[0] for k in generation] == [6, 9, 11, 13, 15]
    assert {k[2] for k in generation} == {Severity.WARNING}
    assert {k[2] for k in _findings(rule, RECORDS, _ctx(None))} == {Severity.WARNING}


def test_conflict_names_at_most_three_earlier_lines():
    rule, ctx = ConflictingCompletions(), _ctx("generation")
    records = [(0, f" answer {k}") for k in range(6)] + [(0, " answer 1")]
    found = {d.location.line: d for d in rule.report(_state(rule, records, ctx), ctx)}
    assert sorted(found) == [2, 3, 4, 5, 6, 7]
    assert [r.line for r in found[6].related] == [1, 2, 3]
    assert "lines 1, 2, 3 and 2 more " in found[6].message
    # line 7 repeats line 2's completion: the other earlier completions are named
    assert [r.line for r in found[7].related] == [1, 3, 4] and "and 2 more" in found[7].message
    assert "line 1 " in found[2].message and [r.line for r in found[2].related] == [1]


def test_odd_records_are_skipped_without_crashing():
    rule_classes = (DuplicateExample, ConflictingCompletions, ValidationLeak)
    raws = [
        b'{"prompt": "x", "completion": " y"}', b'{"prompt": "x", "completion": " y"}',
        b'{"prompt": null, "completion": " y"}', b'{"prompt": null, "completion": " y"}',
        b'{"prompt": ["x"], "completion": " y"}', b'{"completion": " y"}', b'[1, 2]', b'{"prompt": "x"}',
        b'{"prompt": "\\ud800 broken", "completion": " y"}', b'{"prompt": "\\ud800 broken", "completion": " y"}',
        b'{"prompt": "\xff\xfe", "completion": ""}', b'{"prompt": "\xff\xfe", "completion": ""}', b"not json",
    ]
    ctx = _ctx()
    for rule_class in rule_classes:
        rule = rule_class()
        state = rule.new_state()
        rule.observe(state, parse_lines(raws, 1, "train.jsonl"), ctx)
        found = list(rule.report(state, ctx)) + list(rule.report_pair(state, state, ctx))
        if rule_class is DuplicateExample:
            assert sorted(d.location.line for d in found) == [2, 10, 12]


def test_lone_surrogates_in_a_hand_made_batch_hash_consistently():
    # the reader replaces lone surrogates; a batch built by hand may still hold one
    texts = ["Review: caf\ud800 \n\n###\n\n", "Review: plain\n\n###\n\n"]
    batch = Batch("train.jsonl", [1, 2], [b"", b""], [{"prompt": t, "completion": " positive"} for t in texts])
    alone = Batch("train.jsonl", [3], [b""], [{"prompt": texts[1], "completion": " positive"}])
    assert prompt_pair_keys(batch)[1][1].tolist() == prompt_pair_keys(alone)[1][0].tolist()
    assert prompt_keys(batch)[1][1].tolist() == prompt_keys(alone)[1][0].tolist()


def test_equal_first_halves_fall_back_to_both_hashes():
    lines = np.array([1, 2, 3, 4, 5], dtype=np.int64)
    keys = np.array([[7, 1], [7, 2], [7, 1], [3, 9], [7, 2]], dtype=np.uint64)
    copies, firsts = duplicate_pairs(lines, keys)
    assert sorted(zip(copies.tolist(), firsts.tolist())) == [(3, 1), (5, 2)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 2)), max_size=40))
def test_duplicate_pairs_and_prompt_groups_match_a_dictionary(rows):
    lines = np.arange(1, len(rows) + 1, dtype=np.int64) * 3
    keys = np.array(rows, dtype=np.uint64).reshape(-1, 2)
    first_of: dict[tuple[int, int], int] = {}
    expected = []
    for line, row in zip(lines.tolist(), rows):
        if row in first_of:
            expected.append((line, first_of[row]))
        first_of.setdefault(row, line)
    copies, firsts = duplicate_pairs(lines, keys)
    assert sorted(zip(copies.tolist(), firsts.tolist())) == expected
    groups: dict[int, list[int]] = {}
    for index, (prompt, _) in enumerate(rows):
        groups.setdefault(prompt, []).append(index)
    repeated = [group for group in groups.values() if len(group) > 1]
    expected_groups = [i for group in sorted(repeated, key=lambda g: rows[g[0]][0]) for i in group]
    assert repeated_prompts(keys[:, 0]).tolist() == expected_groups
    with pytest.MonkeyPatch.context() as patch:  # looked up in several chunks
        patch.setattr(duplicates, "MEMBERSHIP_CHUNK", 3)
        assert repeated_prompts(keys[:, 0]).tolist() == expected_groups


def test_state_keeps_hashes_and_lines_only():
    for rule_class, width in ((DuplicateExample, 2), (ConflictingCompletions, 2), (ValidationLeak, 1)):
        rule, ctx = rule_class(), _ctx()
        state = _state(rule, RECORDS, ctx, (5,))
        lines, keys = state.arrays()
        assert lines.dtype == np.uint32 and keys.dtype == np.uint64 and keys.shape == (len(RECORDS), width)
        assert lines.tolist() == list(range(1, len(RECORDS) + 1))
        assert state.nbytes() == len(RECORDS) * (4 + 8 * width)


def test_line_numbers_beyond_32_bits_are_kept_exactly():
    rule, ctx = DuplicateExample(), _ctx()
    state = rule.new_state()
    record = {"prompt": "p", "completion": " c"}
    for lines in ([7], [2**32 - 1, 2**32 + 5]):
        rule.observe(state, Batch("train.jsonl", lines, [b""] * len(lines), [record] * len(lines)), ctx)
    lines, _ = state.arrays()
    assert lines.tolist() == [7, 2**32 - 1, 2**32 + 5]
    assert [(d.location.line, d.related[0].line) for d in rule.report(state, ctx)] == [(2**32 - 1, 7), (2**32 + 5, 7)]


def test_empty_states_report_nothing():
    ctx = _ctx()
    for rule_class in (DuplicateExample, ConflictingCompletions, ValidationLeak):
        rule = rule_class()
        empty = rule.new_state()
        rule.observe(empty, parse_lines([], 1, "train.jsonl"), ctx)
        full = _state(rule, RECORDS, ctx)
        assert list(rule.report(empty, ctx)) == []
        assert list(rule.report_pair(empty, full, ctx)) == [] and list(rule.report_pair(full, empty, ctx)) == []


def _check(capsys, *args: str) -> tuple[int, list[dict]]:
    code = main(["check", *args, "--isolated", "--format", "json"])
    return code, json.loads(capsys.readouterr().out)["diagnostics"]


def test_fix_writes_dropped_copies_aside_with_their_lines(tmp_path, capsys):
    path = tmp_path / "reviews.jsonl"
    raws = [_raw(r, c) for r, c in RECORDS]
    path.write_bytes(b"".join(r + b"\n" for r in raws))
    _, found = _check(capsys, str(path), "--select", "FT601")
    copies = sorted(d["location"]["line"] for d in found)
    assert copies == [4, 8, 11, 13, 14]
    _check(capsys, str(path), "--select", "FT601", "--fix", "--unsafe-fixes")
    kept = [r for line, r in enumerate(raws, 1) if line not in copies]
    assert path.read_bytes() == b"".join(r + b"\n" for r in kept)
    removed = [json.loads(line) for line in (tmp_path / "reviews.removed.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [e["line"] for e in removed] == copies
    assert [e["record"] for e in removed] == [json.loads(raws[line - 1]) for line in copies]
    assert {e["removed_by"] for e in removed} == {"FT601 duplicate-example"}
    assert _check(capsys, str(path), "--select", "FT601") == (0, [])


def test_fix_drops_leaks_from_the_validation_file_only(tmp_path, capsys):
    train, valid = tmp_path / "train.jsonl", tmp_path / "valid.jsonl"
    train.write_bytes(b"".join(_raw(r, c) + b"\n" for r, c in RECORDS[:5]))
    valid_raws = [_raw(5, " negative"), _raw(2, " positive"), _raw(6, " positive"), _raw(0, " negative")]
    valid.write_bytes(b"".join(r + b"\n" for r in valid_raws))
    before = train.read_bytes()
    _check(capsys, str(train), "--validation", str(valid), "--select", "FT610", "--fix", "--unsafe-fixes")
    assert train.read_bytes() == before and not (tmp_path / "train.removed.jsonl").exists()
    assert valid.read_bytes() == valid_raws[0] + b"\n" + valid_raws[2] + b"\n"
    removed = [json.loads(line) for line in (tmp_path / "valid.removed.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(e["line"], e["removed_by"]) for e in removed] == [(2, "FT610 validation-leak"), (4, "FT610 validation-leak")]


def test_leak_hashes_are_kept_only_when_a_validation_file_is_given():
    linter = Linter(load_plugins().rules, Settings())
    train, valid = str(DATA / "train_small.jsonl"), str(DATA / "valid_small.jsonl")
    _, alone = linter.lint_file(train)
    _, paired = linter.lint_file(train, paired=True)
    assert "FT601" in alone and "FT610" not in alone
    assert paired["FT610"].nbytes() > 0
    assert [d.code for f in linter.run([train]).files for d in f.diagnostics if d.code == "FT610"] == []
    assert "FT610" in {d.code for f in linter.run([train], validation=valid).files for d in f.diagnostics}


def _records(path: Path) -> list[tuple[int, dict]]:
    return [(n, json.loads(line)) for n, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1) if line.strip()]


def test_small_train_and_validation_files_leak_three_prompts(capsys):
    train, valid = DATA / "train_small.jsonl", DATA / "valid_small.jsonl"
    first_in_train: dict[str, int] = {}
    for line, record in _records(train):
        first_in_train.setdefault(record["prompt"], line)
    expected = [(line, first_in_train[r["prompt"]]) for line, r in _records(valid) if r["prompt"] in first_in_train]
    assert len(expected) == 3

    exit_code, found = _check(capsys, str(train), "--validation", str(valid), "--select", "FT610")
    assert exit_code == 1
    leaks = [d for d in found if d["code"] == "FT610"]
    assert [(d["location"]["line"], d["related"][0]["line"]) for d in leaks] == expected
    assert {d["location"]["path"] for d in leaks} == {str(valid)}
    assert {d["related"][0]["path"] for d in leaks} == {str(train)}
    for d, (_, train_line) in zip(leaks, expected):
        assert f"line {train_line}" in d["message"]


@pytest.mark.parametrize("name", ["train_small.jsonl", "valid_small.jsonl", "generation_small.jsonl"])
def test_clean_test_data_has_no_duplicates(capsys, name):
    assert _check(capsys, str(DATA / name), "--select", "FT601,FT602") == (0, [])
