"""Property-based fuzzing of the reader and `ftlint check` (hypothesis, bounded and derandomized).

The properties (shared with the coverage-guided target fuzz/atheris_target.py, see `check`):
`main` never raises and returns 0/1 for a readable file, no rule crashes (no FT000), every
diagnostic points at a line that exists and a column inside it, and the text report holds one
escaped line per finding. Inputs that once broke them are kept in tests/regressions/ and
replayed here.
"""
from __future__ import annotations

import contextlib
import importlib.util
import json
import math
import os
import sys
import tempfile
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ftlint.config import Settings
from ftlint.diagnostics import Severity
from ftlint.engine import Linter
from ftlint.plugins import load_plugins
from ftlint.reader import BOM, Issue, parse_lines
from ftlint.rule import DatasetRule, Rule

ROOT = Path(__file__).resolve().parent.parent
REGRESSIONS = Path(__file__).resolve().parent / "regressions"

_spec = importlib.util.spec_from_file_location("ftlint_fuzz_target", ROOT / "fuzz" / "atheris_target.py")
target = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = target
_spec.loader.exec_module(target)

# FTLINT_FUZZ_SCALE=N runs N times more examples, randomized (a longer hunt; see fuzz/README.md).
# The default is quick and derandomized: the same examples on every run.
SCALE = int(os.environ.get("FTLINT_FUZZ_SCALE", "1"))
FUZZ = settings(
    max_examples=60, deadline=None, derandomize=SCALE == 1, database=None, print_blob=SCALE > 1,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


def fuzz(examples: int) -> settings:
    return settings(FUZZ, max_examples=examples * SCALE)


@pytest.fixture(scope="module", autouse=True)
def _plugins_loaded_once():
    """Entry-point discovery once for the module (see atheris_target.cache_plugins)."""
    target.cache_plugins()
    yield


# --- strategies -------------------------------------------------------------------------------

SEP, STOP = "\n\n###\n\n", " END"
SPECIAL = "\u2028\u2029\u202e\x1b[2J\r\x00\x85\ufeff\ud800\udc00"
texts = st.one_of(
    st.text(alphabet=st.one_of(st.characters(codec=None, exclude_categories=()), st.sampled_from(SPECIAL)), max_size=30),
    st.text(alphabet=st.sampled_from("ab yes no END STOP #->:.,\n\t"), max_size=30),
)
keys = st.one_of(st.sampled_from(["prompt", "completion", "messages", "role", "content", "input",
                                  "preferred_output", "non_preferred_output", "a"]), texts)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True), texts,
)
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)), max_leaves=12)


def dumps(value: Any, how: str) -> bytes:
    """Serialize like the tools that produce datasets do; surrogates become CESU-8 bytes."""
    if how == "orjson":
        try:
            return orjson.dumps(value)
        except (TypeError, orjson.JSONEncodeError):
            how = "json"
    text = json.dumps(value, ensure_ascii=how == "json-ascii", separators=(", ", ": ") if how == "json" else (",", ":"))
    return text.encode("utf-8", "surrogatepass")


serializers = st.sampled_from(["json", "json-ascii", "json-compact", "orjson"])


@st.composite
def records(draw) -> bytes:
    return dumps(draw(st.one_of(json_values, st.dictionaries(keys, json_values, max_size=5))), draw(serializers))


def deep(n: int, value: bytes = b'"x"') -> bytes:
    return b"[" * n + value + b"]" * n


line_pieces = st.one_of(
    records(),
    st.binary(max_size=40),
    st.sampled_from([
        b"", b" ", b"\t", b"\r", b'{"prompt": "a", "completion": " b"}', b'{"a": NaN}', b'{"a": -Infinity}',
        b'{"a": 1, "a": 2}', b'{"a" : 1, "a" :2}', b'{"a":1}{"b":2}', b'{"a":1}.', b'{"a":1} x', b"[1,2]", b'"s"',
        b"null", b'{"a": "\\ud800"}', b'{"a": "\\udc00\\ud800"}', '{"a": "x\u2028y\u0085z"}'.encode(),
        b'{"a": 1' + b"0" * 400 + b"}", b'{"a": 1e999}', b'{"a": -' + b"9" * 30 + b"}", b"\xff\xfe", b"\xc3(",
        b"\xed\xa0\x80", b"{'prompt': 'python repr'}", deep(50), deep(1100), b'{"a":' * 300 + b"1" + b"}" * 300,
        b"{" * 2000, b'{"k": "\\":", "k": 1}',
        deep(600, b'"\\udc00"'), b'{"prompt": ' + deep(700, b'"\\ud800 x"') + b', "completion": " b"}',
    ]),
)


@st.composite
def jsonl_bytes(draw) -> bytes:
    """Lines mixing valid records with BOMs, CRs, invalid UTF-8, NaN, duplicate keys, U+2028,
    huge numbers and deep nesting; sometimes without a final newline."""
    lines = []
    for piece in draw(st.lists(line_pieces, max_size=12)):
        if draw(st.integers(0, 9)) == 0:
            piece = BOM + piece
        if draw(st.integers(0, 9)) == 0:
            piece += b"\r"
        lines.append(piece.replace(b"\n", b"\\n") if draw(st.booleans()) else piece)
    return b"\n".join(lines) + (b"\n" if draw(st.booleans()) else b"")


def dataset(record) -> st.SearchStrategy[bytes]:
    """10-25 records from `record`, one per line: enough for the dataset rules to infer
    conventions and run."""
    return st.lists(st.tuples(record, serializers), min_size=10, max_size=25).map(
        lambda rs: b"".join(dumps(r, how) + b"\n" for r, how in rs)
    )


@st.composite
def prompt_completion(draw) -> dict:
    prompt = draw(texts) + draw(st.sampled_from([SEP, SEP, "###", " ->", "\n\n###", ""]))
    if draw(st.booleans()):  # classification
        completion = draw(st.sampled_from([" positive", " negative", "positive", " Positive", " neutral", ""]))
    else:
        completion = draw(st.sampled_from([" ", " ", ""])) + draw(texts) + draw(st.sampled_from([STOP, STOP, " END.", " STOP", ""]))
    if draw(st.integers(0, 5)) == 0:
        return {"prompt": draw(st.one_of(texts, json_values)), "completion": draw(st.one_of(texts, json_values))}
    return {"prompt": prompt, "completion": completion}


@st.composite
def chat(draw) -> dict:
    roles = st.one_of(st.sampled_from(["system", "user", "assistant", "tool", "function"]), texts)
    message = st.fixed_dictionaries({"role": roles, "content": st.one_of(texts, st.none(), json_values)},
                                    optional={"name": texts, "weight": st.one_of(st.integers(0, 1), json_values)})
    return {"messages": draw(st.lists(message, max_size=5))}


@st.composite
def preference(draw) -> dict:
    def output() -> Any:
        return [{"role": draw(st.sampled_from(["assistant", "user"])), "content": draw(texts)}]
    return {"input": {"messages": [{"role": "user", "content": draw(texts)}]},
            "preferred_output": output(), "non_preferred_output": draw(st.one_of(st.just(output()), json_values))}


# --- (a) arbitrary bytes ----------------------------------------------------------------------

@fuzz(60)
@given(st.binary(max_size=400))
def test_arbitrary_bytes(data):
    target.check(data)


@fuzz(150)
@given(jsonl_bytes())
def test_jsonl_like_bytes(data):
    target.check(data)


@fuzz(20)
@given(jsonl_bytes())
def test_gzip_of_jsonl_like_bytes(data):
    import gzip

    target.check(gzip.compress(data), "fuzz.jsonl.gz")


# --- (b) arbitrary JSON values as records, (c) arbitrary strings in the text fields ------------

@fuzz(80)
@given(st.lists(records(), max_size=15))
def test_arbitrary_json_records(lines):
    target.check(b"".join(raw + b"\n" for raw in lines))


@fuzz(60)
@given(dataset(prompt_completion()))
def test_arbitrary_prompts_and_completions(data):
    target.check(data)


@fuzz(40)
@given(dataset(chat()))
def test_arbitrary_chat_messages(data):
    target.check(data)


@fuzz(25)
@given(dataset(preference()))
def test_arbitrary_preference_records(data):
    target.check(data)


# --- every output format stays valid for its consumer, whatever the file name ------------

ODD_DATA = (
    '{"prompt": "Great film \ufffe\uffff\\ud800 \x1b[2J\u2028 ->", "completion": " positive"}\n'
    '{"prompt": "Awful \\udcff film ->", "completion": " negative"}\n'
    '{"prompt": "Fine ->", "completion": 1}\n'
).encode("utf-8")


@fuzz(40)
@given(st.binary(min_size=1, max_size=16).filter(lambda name: b"/" not in name and b"\0" not in name))
def test_arbitrary_file_names(name):
    """Any bytes in a file name (not UTF-8, U+FFFE, controls, `%`, `#`, `?`, spaces): JSON is
    strict UTF-8 and gives the name back exactly (`os.fsencode`), and every format parses."""
    with tempfile.TemporaryDirectory(prefix="ftlint-fuzz-") as folder:
        path = os.path.join(folder, os.fsdecode(name + b".jsonl"))
        with open(path, "wb") as out:
            out.write(ODD_DATA)
        code, stdout, stderr = target.run(path, "--format", "json")
        report = target.strict_json(stdout)
        assert code == 1, stderr
        assert os.fsencode(report["files"][0]["path"]) == os.fsencode(path)
        target.check_formats(path, code, len(report["diagnostics"]))


# --- (d) the reader's fast path agrees with its per-line path ---------------------------------

def same(a: Any, b: Any) -> bool:
    """Equality where NaN equals NaN and types must match (1 != 1.0 != True), except that an
    integer beyond 64 bits may be orjson's float on one path and json's int on the other;
    iterative, for values nested deeper than Python recurses."""
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if {type(x), type(y)} == {int, float} and abs(int(x if type(x) is int else y)) >= 1 << 63:
            if float(x) != float(y):
                return False
            continue
        if type(x) is not type(y):
            return False
        if type(x) is float:
            if not ((math.isnan(x) and math.isnan(y)) or x == y):
                return False
        elif type(x) is dict:
            if list(x) != list(y):
                return False
            stack.extend((x[k], y[k]) for k in x)
        elif type(x) is list:
            if len(x) != len(y):
                return False
            stack.extend(zip(x, y))
        elif x != y:
            return False
    return True


@fuzz(300)
@given(st.lists(st.one_of(line_pieces, records(), records()), min_size=1, max_size=12))
def test_fast_path_agrees_with_slow_path(raws):
    raws = [r.replace(b"\n", b"") for r in raws]
    fast = parse_lines(raws, 7, "x", block=b"\n".join(raws))
    slow = parse_lines(raws, 7, "x")
    assert fast.lines == slow.lines and fast.raws == slow.raws
    assert same(fast.values, slow.values), (fast.values, slow.values)
    def key(issue: Issue) -> tuple[int, int, str]:
        return issue.line, issue.column, issue.code

    assert sorted(map(key, fast.issues)) == sorted(map(key, slow.issues))


def test_fast_path_is_taken_and_still_finds_duplicates_it_cannot_count():
    """A block of plain objects takes the fast path; a duplicate key hidden by an escaped
    quote elsewhere (`"\\":`) is still found, as on the per-line path."""
    raws = [b'{"k":"\\":"}', b'{"a":1,"a":2}', b'{"b":2}']
    fast = parse_lines(raws, 1, "x", block=b"\n".join(raws))
    slow = parse_lines(raws, 1, "x")
    assert [(i.code, i.line) for i in fast.issues] == [(i.code, i.line) for i in slow.issues] == [("FT008", 2)]


def test_fast_path_finds_crlf_after_a_leading_blank_line():
    """Found by test_parallel_partitions_do_not_change_results: when a block started with an
    empty line, the block path checked the CR of each line on the line before it."""
    raws = [b"", b"\xef\xbb\xbfnull\r", b"{}\r"]
    fast = parse_lines(raws, 1, "x", block=b"\n".join(raws))
    slow = parse_lines(raws, 1, "x")
    assert sorted((i.line, i.code) for i in fast.issues) == sorted((i.line, i.code) for i in slow.issues)
    assert (3, "FT010") in {(i.line, i.code) for i in fast.issues}


# --- results do not depend on block size or on the partition into parallel ranges --------------

class InProcessPool:
    """Stands in for the engine's ProcessPoolExecutor: the partitions run here, one after the
    other (so monkeypatched block sizes apply to them too)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def submit(self, fn, *args):
        future: Future = Future()
        future.set_result(fn(*args))
        return future


RULES = load_plugins().rules


def blank_runs_merged(summary: tuple) -> tuple:
    """FT005 reports one run of blank lines per batch: a run that crosses a block boundary is
    reported in two parts. Compare the blank lines covered, not how they were grouped."""
    found, records, lines, error = summary
    blank = set()
    for _, _, code, _, fix in found:
        if code == "FT005":
            blank |= {n for e in fix.edits for n in range(e.line, e.line + e.span)}
    return [d for d in found if d[2] != "FT005"], sorted(blank), records, lines, error


def lint_summary(path: str, max_line_bytes: int, jobs: int = 1) -> tuple:
    result = Linter(RULES, Settings(max_line_bytes=max_line_bytes), jobs=jobs).run([path])
    f = result.files[0]
    found = sorted((d.location.line, d.location.column, d.code, d.message, d.fix) for d in f.diagnostics)
    return found, f.records, f.lines, f.error


def as_report(summary: tuple) -> dict:
    found, _, lines, _ = summary
    return {"files": [{"lines": lines}],
            "diagnostics": [{"code": c, "message": m, "location": {"line": line, "column": col}} for line, col, c, m, _ in found]}


@contextlib.contextmanager
def geometry(block_bytes: int | None = None, parallel: bool = False):
    """Tiny read blocks (every boundary case of the block splitting on a small input) and/or
    parallel partitions of any file, run in-process."""
    from ftlint import engine, files, fixes

    with pytest.MonkeyPatch.context() as patch:
        if block_bytes:
            patch.setattr(files, "BLOCK_BYTES", block_bytes)
            patch.setattr(fixes, "BLOCK_BYTES", block_bytes)
        if parallel:
            patch.setattr(engine, "PARALLEL_MIN_BYTES", 0)
            patch.setattr(engine, "ProcessPoolExecutor", InProcessPool)
        yield


@st.composite
def long_lines(draw) -> bytes:
    """JSONL-like bytes with some lines longer than a small max-line-bytes."""
    data = draw(jsonl_bytes())
    pieces = data.split(b"\n")
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(pieces)))
        pieces.insert(at, b'{"prompt": "' + b"a" * draw(st.integers(0, 60)) + b'", "completion": " b"}')
    return b"\n".join(pieces)


@fuzz(120)
@given(long_lines(), st.sampled_from([1, 2, 3, 5, 8, 13, 64]), st.sampled_from([8, 20, 40, 1 << 24]))
def test_block_size_does_not_change_results(data, block, max_line_bytes):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "x.jsonl")
        Path(path).write_bytes(data)
        expected = lint_summary(path, max_line_bytes)
        with geometry(block_bytes=block):
            got = lint_summary(path, max_line_bytes)
    target.check_report(data, 2 if got[3] else 1, as_report(got), "")
    assert blank_runs_merged(got) == blank_runs_merged(expected)


@fuzz(80)
@given(st.one_of(long_lines(), dataset(prompt_completion())), st.integers(2, 5), st.sampled_from([3, 64, 1 << 22]))
def test_parallel_partitions_do_not_change_results(data, jobs, block):
    """What --jobs N finds in N byte ranges, merged (DatasetRule.merge), equals one scan."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "x.jsonl")
        Path(path).write_bytes(data)
        expected = lint_summary(path, 40)
        with geometry(block_bytes=block, parallel=True):
            got = lint_summary(path, 40, jobs=jobs)
    target.check_report(data, 2 if got[3] else 1, as_report(got), "")
    assert blank_runs_merged(got) == blank_runs_merged(expected)


def test_no_phantom_line_after_an_over_long_last_line(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_bytes(b'{"prompt": "' + b"a" * 30 + b'"}\n')
    with geometry(block_bytes=8):
        found, _, lines, _ = lint_summary(str(path), 20)
    assert (lines, [(line, code) for line, _, code, _, _ in found]) == (1, [(1, "FT012")])


@pytest.mark.parametrize(("data", "lines"), [
    (b'{"prompt": "a", "completion": " b"}\n\n\n\n', 4),
    (b'{"prompt": "a", "completion": " b"}\n\n \n\t', 4),  # the last blank line without a newline
    (b'\n\n{"prompt": "a", "completion": " b"}\n\n', 4),
    (b"\n\n\n", 3),
])
@pytest.mark.parametrize("block", [None, 3])
def test_line_count_counts_trailing_blank_lines(tmp_path, data, lines, block):
    path = tmp_path / "x.jsonl"
    path.write_bytes(data)
    with geometry(block_bytes=block):
        assert lint_summary(str(path), 1 << 24)[2] == lines
    with geometry(block_bytes=block, parallel=True):
        assert lint_summary(str(path), 1 << 24, jobs=3)[2] == lines


# --- a crashing rule is FT000 and the others still run ----------------------------------------

class CrashingRule(Rule):
    """Crashes on every batch (test only)."""

    code = "ZZ901"
    name = "crashes-on-check"
    severity = Severity.ERROR

    def check(self, batch, ctx):
        yield from ()
        raise ZeroDivisionError("boom in check")


class CrashingDatasetRule(DatasetRule):
    """Crashes when reporting (test only)."""

    code = "ZZ902"
    name = "crashes-on-report"
    severity = Severity.WARNING

    def new_state(self):
        return []

    def observe(self, state, batch, ctx):
        state.append(len(batch))

    def merge(self, a, b):
        return a + b

    def report(self, state, ctx):
        raise KeyError("boom in report")


class CrashingObserver(CrashingDatasetRule):
    """Crashes when observing (test only)."""

    code = "ZZ903"
    name = "crashes-on-observe"

    def observe(self, state, batch, ctx):
        raise RuntimeError("boom in observe")


def test_crashing_rules_become_ft000_and_other_rules_still_run(tmp_path):
    rules = dict(load_plugins().rules)
    crashing = {r.code: r for r in (CrashingRule, CrashingDatasetRule, CrashingObserver)}
    path = tmp_path / "data.jsonl"
    path.write_bytes(b'{"prompt": "a\\n\\n###\\n\\n", "completion": " yes END"}\n' * 12
                     + b'{"prompt": "b", "completion": "no"}\n{"broken\n' + b"\xef\xbb\xbf{}\n" * 1000)
    expected = Linter(rules, Settings()).run([str(path)]).diagnostics
    result = Linter({**rules, **crashing}, Settings()).run([str(path)])
    internal = [d for d in result.diagnostics if d.code == "FT000"]
    assert sorted(d.message.split(" crashed")[0] for d in internal) == [
        "rule ZZ901 (crashes-on-check)", "rule ZZ902 (crashes-on-report)", "rule ZZ903 (crashes-on-observe)"]
    assert any("ZZ901" in d.message and "ZeroDivisionError: boom in check" in d.message for d in internal)
    assert all(d.name == "internal-error" and d.severity is Severity.ERROR for d in internal)
    others = [d for d in result.diagnostics if d.code != "FT000"]
    assert others == expected  # every other rule ran and found the same
    assert {"FT001", "FT007", "FT201", "FT301"} <= {d.code for d in others}
    assert result.exit_code() == 1


def test_crashing_rule_through_the_command_line(tmp_path, monkeypatch, capsys):
    """The same through `main`: reported as FT000, exit 1, no traceback."""
    from ftlint import api, cli

    registry = load_plugins()
    registry.rules["ZZ901"] = CrashingRule
    registry.owners["ZZ901"] = "test"
    monkeypatch.setattr(api, "_loaded", {frozenset(): registry})
    path = tmp_path / "data.jsonl"
    path.write_bytes(b'{"prompt": "a", "completion": " b"\n')
    assert cli.main(["check", str(path), "--isolated", "--select", "FT0,ZZ"]) == 1
    out, err = capsys.readouterr()
    assert f"{path}:1:1: FT000 [error] rule ZZ901 (crashes-on-check) crashed near this line: ZeroDivisionError" in out
    assert f"{path}:1:35: FT001" in out
    assert "Traceback" not in out + err


# --- saved crashing inputs --------------------------------------------------------------------

# file name -> the bug it shows, while that bug is open (xfail strict: remove the entry once fixed)
KNOWN_BUGS = {
}


def _regression_params():
    files = sorted(p for p in REGRESSIONS.iterdir() if p.is_file() and not p.name.endswith(".md")) if REGRESSIONS.is_dir() else []
    return [
        pytest.param(p, id=p.name, marks=[pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[p.name])] if p.name in KNOWN_BUGS else [])
        for p in files
    ]


@pytest.mark.parametrize("path", _regression_params())
def test_regression_inputs(path):
    target.check(path.read_bytes(), "regression.jsonl.gz" if path.name.endswith(".gz") else "regression.jsonl")


def test_every_known_bug_has_its_input():
    assert set(KNOWN_BUGS) <= {p.name for p in REGRESSIONS.iterdir()}


def test_the_atheris_target_runs_one_input_without_atheris():
    """`test_one_input` is what the fuzzer calls; inputs pass through it."""
    target.test_one_input(b'{"prompt": "a ->", "completion": " b"}\n')
    target.test_one_input(b'\xef\xbb\xbf{"prompt": "a ->", "completion": "b"}.\r\n\n{"a":1}{"b":2}')
    with pytest.raises(AssertionError):  # no line 3
        target.check_report(b"{}\n", 1, {"files": [{"lines": 1}], "diagnostics": [{"code": "FT001", "message": "", "location": {"line": 3, "column": 1}}]}, "")
    with pytest.raises(AssertionError):  # one line, not two
        target.check_report(b"{}\n", 0, {"files": [{"lines": 2}], "diagnostics": []}, "")
