"""A fix loses nothing (issue #21): each situation that once lost data, on real bytes.

Every case runs `ftlint check --fix` (and `--unsafe-fixes`) on a small dataset holding the
line, then asserts with `fixcheck.lost` that every string, key and number of the original
(duplicates, number literals, invalid bytes kept) is in the fixed file or its original line is
in `<name>.removed.jsonl` byte for byte, and that a second `--fix` changes nothing.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fixcheck import aside_lines, lost

from ftlint import api
from ftlint.cli import main
from ftlint.diagnostics import Applicability

SEP, STOP = "\n\n###\n\n", " END"
BOM = b"\xef\xbb\xbf"


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([*args, "--isolated", "--jobs", "1"])
    return code, out.getvalue(), err.getvalue()


def good(n: int, sep: str = SEP, stop: str = STOP) -> list[bytes]:
    return [json.dumps({"prompt": f"Question {i}: what is it?{sep}", "completion": f" answer number {i}{stop}"}).encode()
            for i in range(n)]


def fix_twice(path: Path, *flags: str) -> tuple[bytes, bytes, str]:
    """--fix the file, check nothing was lost, --fix again and check nothing changed.
    Returns (fixed bytes, removed bytes, the first run's report)."""
    original = path.read_bytes()
    removed_path = path.with_name(path.name.split(".")[0] + ".removed.jsonl")
    code, out, err = run("check", str(path), "--fix", *flags)
    assert code in (0, 1), err
    assert "Traceback" not in err and "internal error" not in err
    fixed = path.read_bytes()
    removed = removed_path.read_bytes() if removed_path.exists() else b""
    assert lost(original, fixed, removed) == []
    code, again, err = run("check", str(path), "--fix", *flags)
    assert (path.read_bytes(), removed_path.read_bytes() if removed_path.exists() else b"") == (fixed, removed), again
    return fixed, removed, out


def dataset(tmp_path: Path, *lines: bytes, name: str = "train.jsonl") -> Path:
    path = tmp_path / name
    path.write_bytes(b"\n".join([*good(12), *lines]) + b"\n")
    return path


# --- whole records never vanish -----------------------------------------------------------------

CONCATENATED = b'{"prompt":"first ->","completion":"positive"}{"prompt":"second ->","completion":" negative"}'


@pytest.mark.parametrize("after", [b"", b" ", b".", b"\r", b" trailing note"])
def test_concatenated_objects_are_split_before_a_record_fix(tmp_path, after):
    """Split first, whatever follows the objects; the text after them stays with the last one,
    for FT004 (a lone "." is removed safely, into .removed.jsonl; a note only with --unsafe-fixes)."""
    path = tmp_path / "train.jsonl"
    lines = [json.dumps({"prompt": f"Review {i} ->", "completion": f" positive {i}"}).encode() for i in range(12)]
    path.write_bytes(b"\n".join([*lines, CONCATENATED + after]) + b"\n")
    fixed, removed, _ = fix_twice(path)
    first, second = b'{"prompt":"first ->","completion":" positive"}', b'{"prompt":"second ->","completion":" negative"}'
    if after == b" trailing note":
        assert fixed.splitlines()[-2:] == [first, second + after]
    else:
        assert fixed.splitlines()[-2:] == [first, second]
    if after == b".":
        assert aside_lines(removed) == [CONCATENATED + after]


def test_dropping_a_duplicate_keeps_the_other_record_on_its_line(tmp_path):
    dup = good(12)[3]
    unique = b'{"prompt":"unique\\n\\n###\\n\\n","completion":" kept END"}'
    path = dataset(tmp_path, dup + unique)
    fixed, removed, _ = fix_twice(path, "--unsafe-fixes")
    assert unique in fixed.splitlines()
    assert fixed.splitlines().count(dup) == 1


def test_dropping_a_duplicate_keeps_a_trailing_note(tmp_path):
    dup = good(12)[3]
    path = dataset(tmp_path, dup + b" trailing note")
    fixed, removed, _ = fix_twice(path, "--unsafe-fixes")
    assert dup + b" trailing note" in aside_lines(removed)


def test_dropping_a_duplicate_when_the_split_is_not_selected(tmp_path):
    """FT003 ignored: the drop acts on the first object only, the second stays on the line."""
    dup = good(12)[3]
    unique = b'{"prompt":"unique\\n\\n###\\n\\n","completion":" kept END"}'
    path = dataset(tmp_path, dup + unique)
    original = path.read_bytes()
    code, _, err = run("check", str(path), "--fix", "--unsafe-fixes", "--ignore", "FT003")
    assert code in (0, 1), err
    removed = (tmp_path / "train.removed.jsonl").read_bytes()
    assert lost(original, path.read_bytes(), removed) == []
    assert unique in path.read_bytes().splitlines()


def test_validation_leak_drop_keeps_the_rest_of_its_line(tmp_path):
    train = dataset(tmp_path)
    leak = good(12)[5]
    other = b'{"prompt":"held out\\n\\n###\\n\\n","completion":" fine END"}'
    valid = tmp_path / "valid.jsonl"
    valid.write_bytes(b"\n".join([*good(20)[12:], leak + other]) + b"\n")
    original = valid.read_bytes()
    code, _, err = run("check", str(train), "--validation", str(valid), "--fix", "--unsafe-fixes")
    assert code in (0, 1), err
    removed = tmp_path / "valid.removed.jsonl"
    assert lost(original, valid.read_bytes(), removed.read_bytes() if removed.exists() else b"") == []
    assert other in valid.read_bytes().splitlines()


# --- values never change silently ----------------------------------------------------------------

@pytest.mark.parametrize("record", [
    b'{"prompt":"dup key","prompt":"no separator","completion":" x END"}',
    b'{"pr\\u006fmpt":"escaped key","prompt":"no separator","completion":" x END"}',
    b'{"prompt":"no separator","completion":" x END","meta":{"a":1,"a":2,"b":[{"c":3,"c":4}]}}',
    b'{"prompt":"no separator","completion":" x END","id":123456789012345678901234567890}',
    b'{"prompt":"no separator","completion":" x END","score":1e400,"small":1.50,"neg":-0.0,"exp":2E+10}',
    b'{"prompt":"no separator \xff\xfe bytes","completion":" x END"}',
    b'{"prompt":"no separator","completion":" x END","note":"bad \xc3 byte"}',
    b'{"prompt":"no separator \\ud800 lone","completion":" x END"}',
    b'{"prompt":"no separator \\u2028 escaped","completion":" x END","raw":"\xe2\x80\xa8"}',
    b'{"prompt":"no separator","completion":"no space END","n":[1,2.0,3e0]}',
    b'{ "prompt" : "spaced" , "completion" : "no space END" }',
])
def test_record_fix_keeps_every_value_it_does_not_touch(tmp_path, record):
    path = dataset(tmp_path, record)
    fixed, removed, _ = fix_twice(path, "--unsafe-fixes")
    last = fixed.splitlines()[-1]
    assert last != record or b"FT" in removed  # fixed in place (or put aside whole)
    # only the named values changed: the bytes around the edited strings are the same
    for piece in (b'"id":123456789012345678901234567890', b"1e400", b"1.50", b"-0.0", b"2E+10", b"\xff\xfe",
                  b"bad \xc3 byte", b"\\ud800", b"\\u2028", b"\xe2\x80\xa8", b'"a":1,"a":2', b'"c":3,"c":4',
                  b'"pr\\u006fmpt":"escaped key"', b'"prompt":"dup key"', b"3e0"):
        if piece in record:
            assert piece in last, piece


def test_record_fix_edits_only_the_named_characters(tmp_path):
    record = b'{"prompt":"caf\\u00e9 \\"quoted\\" \\/ no separator","completion":"no space END","x":1.0}'
    path = dataset(tmp_path, record)
    fixed, removed, _ = fix_twice(path)
    assert fixed.splitlines()[-1] == (b'{"prompt":"caf\\u00e9 \\"quoted\\" \\/ no separator\\n\\n###\\n\\n",'
                                      b'"completion":" no space END","x":1.0}')
    assert removed == b""


def test_a_fix_that_would_create_an_error_is_never_made(tmp_path):
    """1e400 stays 1e400 (re-serialising made it Infinity: FT009, exit 1)."""
    path = dataset(tmp_path, b'{"prompt":"no separator","completion":" x END","score":1e400}')
    fixed, _, out = fix_twice(path)
    assert b"1e400" in fixed and b"Infinity" not in fixed
    assert "FT009" not in out and run("check", str(path))[0] == 0  # no error created: the fixed file passes


def test_removed_copy_of_a_dropped_record_is_exact(tmp_path):
    dup = b'{"prompt":"Question 3: what is it?\\n\\n###\\n\\n","completion":" answer number 3 END","id":123456789012345678901234567890,"k":1,"k":2}'
    path = tmp_path / "train.jsonl"
    path.write_bytes(b"\n".join([*good(12), dup, dup]) + b"\n")
    fixed, removed, _ = fix_twice(path, "--unsafe-fixes")
    assert dup in aside_lines(removed)
    assert removed.count(b"123456789012345678901234567890") >= 1


def test_removed_copy_of_a_line_that_is_not_utf8(tmp_path):
    dup = b'{"prompt":"Question 3 \xff\\n\\n###\\n\\n","completion":" answer END"}'
    path = tmp_path / "train.jsonl"
    path.write_bytes(b"\n".join([*good(12), dup, dup]) + b"\n")
    fixed, removed, _ = fix_twice(path, "--unsafe-fixes")
    entries = [json.loads(line) for line in removed.splitlines()]
    assert [bytes.fromhex(e["raw_hex"]) for e in entries if "raw_hex" in e] == [dup]


# --- idempotent: one run does it all ---------------------------------------------------------------

@pytest.mark.parametrize("line", [
    good(13)[12] + b"\r" * 9, good(13)[12] + b"\r" * 40, BOM * 9 + good(13)[12], BOM * 3 + good(13)[12] + b"\r" * 12,
])
def test_many_trailing_crs_or_stacked_boms_are_fixed_in_one_run(tmp_path, line):
    path = dataset(tmp_path, line)
    fixed, _, _ = fix_twice(path)
    assert fixed.splitlines()[-1] == good(13)[12]


# --- a fix completes, never repeats --------------------------------------------------------------

def test_separator_overlapping_the_text_is_completed_not_repeated(tmp_path):
    """Every prompt ends in 'text\\n\\n###\\n\\n', so the separator is ' text\\n\\n###\\n\\n':
    a prompt ending in 'text' gets only '\\n\\n###\\n\\n'."""
    words = ["this", "that", "the", "my", "our", "a", "your", "some", "her", "his", "one", "any"]
    lines = [json.dumps({"prompt": f"Summarize item {i} of {w} text\n\n###\n\n", "completion": f" sum {i} END"}).encode()
             for i, w in enumerate(words)]
    lines.append(json.dumps({"prompt": "Summarize the last text", "completion": " sum END"}).encode())
    path = tmp_path / "train.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    fixed, _, _ = fix_twice(path)
    assert json.loads(fixed.splitlines()[-1])["prompt"] == "Summarize the last text\n\n###\n\n"


def test_no_fix_adds_a_second_stop(tmp_path):
    lines = good(12) + [json.dumps({"prompt": f"Q{SEP}", "completion": " it is sirEND"}).encode(),
                        json.dumps({"prompt": f"Q2{SEP}", "completion": " the END of it"}).encode()]
    path = tmp_path / "train.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    fixed, _, _ = fix_twice(path, "--unsafe-fixes")
    completions = [json.loads(line)["completion"] for line in fixed.splitlines()[-2:]]
    assert completions[0] == " it is sir END"
    assert completions[1] == " the END of it"  # holds the stop already: no second one appended
    for text in completions:
        assert text.count("END") == 1


@pytest.mark.parametrize(("text", "affix", "expected", "how"), [
    ("Summarize this text", " text\n\n###\n\n", "Summarize this text\n\n###\n\n", "partial"),
    ("Read the context", "text\n\n###\n\n", "Read the contexttext\n\n###\n\n", "append"),
    (" it is sirEND", " END", " it is sir END", "variant"),
    (" the BACKEND", " END", " the BACKEND END", "append"),
    (" in EN", " END", " in EN END", "append"),
    ("a ##", "###", "a ###", "partial"),
])
def test_complete_never_repeats_the_text(text, affix, expected, how):
    from ftlint.affixes import complete

    assert complete(text, affix) == (expected, how)


# --- each file keeps its own conventions ----------------------------------------------------------

def test_multi_file_fix_uses_each_files_own_conventions(tmp_path):
    a = tmp_path / "a.jsonl"
    b = tmp_path / "b.jsonl"
    a_lines = [json.dumps({"prompt": f"Review {i} ->", "completion": f"good {i}"}).encode() for i in range(30)]
    b_lines = [json.dumps({"prompt": f"Ticket {i}\n\n###\n\n", "completion": f" answer {i} END"}).encode() for i in range(30)]
    b_lines.append(json.dumps({"prompt": "Ticket without separator", "completion": " answer END"}).encode())
    a.write_bytes(b"\n".join(a_lines) + b"\n")
    b.write_bytes(b"\n".join(b_lines) + b"\n")
    b_original = b.read_bytes()
    code, out, err = run("check", str(a), str(b), "--fix", "--unsafe-fixes")
    assert code in (0, 1), err
    prompts_b = [json.loads(line)["prompt"] for line in b.read_bytes().splitlines()]
    assert all(p.endswith("\n\n###\n\n") for p in prompts_b) and not any("->" in p for p in prompts_b)
    assert [json.loads(line)["completion"] for line in a.read_bytes().splitlines()][0] == " good 0"
    assert not (tmp_path / "b.removed.jsonl").exists()
    assert lost(b_original, b.read_bytes(), b"") == []
    code, out, err = run("check", str(a), str(b), "--fix", "--format", "json")
    found = [d["code"] for d in json.loads(out)["diagnostics"] if d["location"]["path"] == str(b)]
    assert not {"FT201", "FT202", "FT402", "FT501"} & set(found), found


# --- files, links, owners, other writers -----------------------------------------------------------

def test_fix_through_a_symlink_fixes_the_target(tmp_path):
    target = dataset(tmp_path, b'{"prompt":"no separator","completion":" x END"}', name="real.jsonl")
    link = tmp_path / "train.jsonl"
    link.symlink_to(target)
    code, _, err = run("check", str(link), "--fix")
    assert code in (0, 1), err
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_bytes().splitlines()[-1] == b'{"prompt":"no separator\\n\\n###\\n\\n","completion":" x END"}'


def test_fix_keeps_mode_and_owner(tmp_path):
    path = dataset(tmp_path, b'{"prompt":"no separator","completion":" x END"}')
    path.chmod(0o604)
    before = path.stat()
    if os.geteuid() == 0:
        os.chown(path, 4321, 4321)
        before = path.stat()
    assert run("check", str(path), "--fix")[0] in (0, 1)
    after = path.stat()
    assert (after.st_mode, after.st_uid, after.st_gid) == (before.st_mode, before.st_uid, before.st_gid)
    assert after.st_ino != before.st_ino  # replaced, not written in place


def test_file_changed_during_fix_is_refused(tmp_path, monkeypatch):
    """Another program appends 100 records while --fix runs: exit 2, nothing lost."""
    import ftlint.fixes as fixes

    path = dataset(tmp_path, b'{"prompt":"no separator","completion":" x END"}')
    extra = b"".join(line + b"\n" for line in good(112)[12:])
    real_recheck = fixes._recheck

    def recheck_while_someone_appends(*args):
        with open(path, "ab") as out:
            out.write(extra)
        monkeypatch.setattr(fixes, "_recheck", real_recheck)
        return real_recheck(*args)

    monkeypatch.setattr(fixes, "_recheck", recheck_while_someone_appends)
    original = path.read_bytes()
    code, _, err = run("check", str(path), "--fix")
    assert code == 2 and "changed while it was being fixed" in err
    assert path.read_bytes() == original + extra
    assert not (tmp_path / "train.removed.jsonl").exists()


def test_second_fix_run_is_refused_while_the_first_holds_the_lock(tmp_path):
    import fcntl

    path = dataset(tmp_path, b'{"prompt":"no separator","completion":" x END"}')
    original = path.read_bytes()
    with open(path, "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        code, _, err = run("check", str(path), "--fix")
    assert code == 2 and "another ftlint --fix" in err
    assert path.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.jsonl"]  # no lock file


def test_concurrent_fix_runs_never_lose_or_repeat(tmp_path):
    path = tmp_path / "train.jsonl"
    lines = good(3000)
    lines[100] = lines[50]  # a duplicate: one entry in train.removed.jsonl
    path.write_bytes(b"\n".join(line + b"\r" for line in lines) + b"\n")
    original = path.read_bytes()
    command = [sys.executable, "-m", "ftlint", "check", "--isolated", "--jobs", "1", "--fix", "--unsafe-fixes", "-q", str(path)]
    procs = [subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(3)]
    results = [(p.wait(timeout=300), p.stderr.read().decode()) for p in procs]
    for code, err in results:
        assert code in (0, 1, 2) and "internal error" not in err, err
        assert code != 2 or "another ftlint --fix" in err or "changed while" in err, err
    removed = (tmp_path / "train.removed.jsonl").read_bytes()
    assert len(removed.splitlines()) == 1
    assert lost(original, path.read_bytes(), removed) == []


def test_rerun_after_a_kill_between_the_two_writes_does_not_append_twice(tmp_path, monkeypatch):
    """Killed after <name>.removed.jsonl was written but before the file was replaced: the
    rerun replaces that interrupted batch of entries instead of appending it again."""
    dup = good(12)[3]
    path = dataset(tmp_path, dup)
    original = path.read_bytes()
    real_replace = os.replace

    def killed(src, dst, **kw):
        if str(dst) == str(path):
            raise KeyboardInterrupt  # as if killed here; the undo is what SIGKILL would skip
        return real_replace(src, dst, **kw)

    import ftlint.fixes as fixes
    monkeypatch.setattr(os, "replace", killed)
    monkeypatch.setattr(fixes, "_undo_append", lambda *a: None)
    assert run("check", str(path), "--fix", "--unsafe-fixes")[0] == 130
    removed = tmp_path / "train.removed.jsonl"
    first = removed.read_bytes()
    assert path.read_bytes() == original and len(first.splitlines()) == 1
    with open(removed, "ab") as aside:  # and the kill hit a second append halfway
        aside.write(first[: len(first) // 2])
    monkeypatch.undo()
    code, _, err = run("check", str(path), "--fix", "--unsafe-fixes")
    assert code in (0, 1), err
    assert removed.read_bytes() == first
    assert lost(original, path.read_bytes(), first) == []


def test_earlier_entries_of_other_runs_are_kept(tmp_path):
    path = dataset(tmp_path, good(12)[3])
    removed = tmp_path / "train.removed.jsonl"
    earlier = b'{"line": 3, "removed_by": "FT601 duplicate-example", "raw": "x"}\n' + b"partial line without newline"
    removed.write_bytes(earlier)
    assert run("check", str(path), "--fix", "--unsafe-fixes")[0] in (0, 1)
    data = removed.read_bytes()
    assert data.startswith(earlier + b"\n") and len(data.splitlines()) == 3


def test_sigterm_leaves_no_temporary_files(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_bytes(b"\n".join(line + b"\r" for line in good(40000)) + b"\n")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    command = [sys.executable, "-m", "ftlint", "check", "--isolated", "--jobs", "1", "--fix", "-q", str(path)]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    # the fix's working copy, not the file Python's tempfile writes and removes at once to test the folder
    while not [p for p in scratch.glob("ftlint-fix-*/*") if p.is_file()] and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the fix ended before its working copy was seen"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == -signal.SIGTERM
    assert list(scratch.rglob("*")) == []
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".ftlint-fix-")]


# --- outputs over inputs -------------------------------------------------------------------------

def test_output_file_naming_an_input_is_a_usage_error(tmp_path):
    path = dataset(tmp_path)
    original = path.read_bytes()
    code, _, err = run("check", str(path), "-o", str(path))
    assert code == 2 and "would overwrite" in err and path.read_bytes() == original
    link = tmp_path / "report.txt"
    link.symlink_to(path)
    assert run("check", str(tmp_path), "--output-file", str(link))[0] == 2
    assert path.read_bytes() == original


def test_a_removed_file_that_cannot_be_written_leaves_the_dataset_as_it_was(tmp_path):
    path = dataset(tmp_path, good(12)[3])
    original = path.read_bytes()
    (tmp_path / "train.removed.jsonl").mkdir()
    code, _, err = run("check", str(path), "--fix", "--unsafe-fixes")
    assert code == 2 and err.strip().endswith("train.jsonl: not fixed (" + str(tmp_path / "train.removed.jsonl") + ": Is a directory); the file is as it was")
    assert path.read_bytes() == original and sorted(p.name for p in tmp_path.iterdir()) == ["train.jsonl", "train.removed.jsonl"]


def test_output_file_naming_where_removed_records_are_kept_is_a_usage_error(tmp_path):
    """The report written over <name>.removed.jsonl would erase the only copy of what a fix
    (this run's or an earlier one's) removed."""
    path = dataset(tmp_path, good(12)[3])  # a duplicate, dropped by --unsafe-fixes
    removed = tmp_path / "train.removed.jsonl"
    removed.write_bytes(b'{"line": 7, "raw": "kept from an earlier run"}\n')
    for output in (removed, tmp_path / "." / "train.removed.jsonl"):
        code, _, err = run("check", str(path), "--fix", "--unsafe-fixes", "-o", str(output))
        assert code == 2 and "would overwrite" in err
    assert run("check", str(tmp_path), "-o", str(removed))[0] == 2
    assert removed.read_bytes() == b'{"line": 7, "raw": "kept from an earlier run"}\n'

def test_validation_file_that_is_the_training_file_is_a_usage_error(tmp_path):
    path = dataset(tmp_path, good(12)[3])
    original = path.read_bytes()
    hard = tmp_path / "valid.jsonl"
    os.link(path, hard)
    for validation in (path, hard):
        code, _, err = run("check", str(path), "--validation", str(validation), "--fix", "--unsafe-fixes")
        assert code == 2 and "is the training file" in err
    assert path.read_bytes() == original
    assert not (tmp_path / "train.removed.jsonl").exists()


# --- the property: any fixable defect with any reader defect on one line ---------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SCALE = int(os.environ.get("FTLINT_FUZZ_SCALE", "1"))  # fuzz/README.md: N times the examples, randomized
WORD = st.text(alphabet='abcdefghij klmnop"\\/é中😀\u2028\t', min_size=1, max_size=10)
NUMBER = st.sampled_from([b"123456789012345678901234567890", b"1e400", b"1.50", b"-0.0", b"2E+10", b"0", b"-7",
                          b"3.14159265358979323846", b"1E-7"])
RAW_STRING = st.one_of(
    WORD.map(lambda w: json.dumps(w, ensure_ascii=False).encode()),
    WORD.map(lambda w: json.dumps(w).encode()),  # non-ASCII as \\u escapes
    st.sampled_from([b'"bad \xff byte"', b'"cut \xe2\x82"', b'"lone \\ud800 escape"', b'"esc \\u2028 raw \xe2\x80\xa8"',
                     b'"pr\\u006fmpt"', b'"tab\\t\\/ \\"q\\""', b'""']),
)
KEY = st.one_of(st.sampled_from([b'"meta"', b'"id"', b'"x"', b'"pr\\u006fmpt"', b'"\xff"', b'"a"']), RAW_STRING)
RAW_VALUE = st.recursive(
    st.one_of(NUMBER, RAW_STRING, st.sampled_from([b"true", b"false", b"null"])),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda items: b"[" + b",".join(items) + b"]"),
        st.lists(st.tuples(st.sampled_from([b'"a"', b'"b"', b'"a"']), inner), max_size=3).map(  # duplicate keys
            lambda members: b"{" + b",".join(k + b":" + v for k, v in members) + b"}"),
    ),
    max_leaves=6,
)
PROMPTS = ["ok", "missing", "variant", "partial", "other", "trailing-space", "space-before"]
COMPLETIONS = ["ok", "no-space", "missing", "variant", "other", "glued", "inner", "label-variant"]


def text_literal(draw, text: str) -> bytes:
    """`text` as a JSON string literal, escaped one way or another, maybe with an invalid byte."""
    literal = json.dumps(text, ensure_ascii=draw(st.booleans())).encode()
    if draw(st.integers(0, 5)) == 0:
        literal = literal[:1] + b"\xff" + literal[1:]
    return literal


@st.composite
def case_record(draw, i: int, task: str) -> bytes:
    word = draw(WORD)
    prompt = {"ok": f"{word} p{i}{SEP}", "missing": f"{word} p{i}", "variant": f"{word} p{i} ###",
              "partial": f"{word} p{i}\n\n#", "other": f"{word} p{i} ->", "trailing-space": f"{word} p{i}  ",
              "space-before": f"{word} p{i} {SEP}"}[draw(st.sampled_from(PROMPTS))]
    if task == "classification":
        completion = draw(st.sampled_from([" positive", "positive", " Positive", " negative", "negative."]))
    else:
        completion = {"ok": f" {word} c{i}{STOP}", "no-space": f"{word} c{i}{STOP}", "missing": f" {word} c{i}",
                      "variant": f" {word} c{i} END!!", "other": f" {word} c{i} STOP", "glued": f" it is sir{i}END",
                      "inner": f" the END of c{i}", "label-variant": f" {word} c{i} end"}[draw(st.sampled_from(COMPLETIONS))]
    members = [b'"prompt":' + text_literal(draw, prompt), b'"completion":' + text_literal(draw, completion)]
    for _ in range(draw(st.integers(0, 3))):
        members.insert(draw(st.integers(0, len(members))), draw(KEY) + b":" + draw(RAW_VALUE))
    if draw(st.integers(0, 4)) == 0:  # a duplicate prompt key before the real one (parsers keep the last)
        members.insert(0, b'"prompt":' + draw(RAW_STRING))
    spaced = draw(st.booleans())
    return b"{" + (b", " if spaced else b",").join(members) + b"}"


@st.composite
def lossless_cases(draw) -> bytes:
    """A small dataset of clean records and a few lines, each with any fixable defect of its
    record and any reader defects of its line."""
    task = draw(st.sampled_from(["generation", "generation", "classification"]))
    if task == "classification":
        opinions = ["fine", "great sound", "too loud", "broke", "love it", "meh", "works", "cheap", "ok I guess",
                    "wow", "bad fit", "slow", "perfect", "returned"]  # endings as varied as real prompts
        lines = [json.dumps({"prompt": f"Review {i}: {opinions[i]}{SEP}", "completion": [" positive", " negative"][i % 2]}).encode()
                 for i in range(14)]
    else:
        lines = good(14)
    for i in range(draw(st.integers(1, 4))):
        raw = draw(case_record(i, task))
        if draw(st.integers(0, 5)) == 0:
            raw = draw(st.sampled_from(lines[:14]))  # an exact duplicate (FT601)
        raw = BOM * draw(st.sampled_from([0, 0, 1, 2, 9])) + raw
        after = draw(st.sampled_from([b"", b"", b" ", b".", b" trailing note", b"{", b"concatenated"]))
        if after == b"concatenated":
            after = draw(st.sampled_from([b"", b" "])) + draw(case_record(i + 50, task))
        raw += after + b"\r" * draw(st.sampled_from([0, 0, 1, 2, 9]))
        if draw(st.integers(0, 6)) == 0:
            lines.insert(draw(st.integers(0, len(lines))), draw(st.sampled_from([b"", b"  ", b"\t"])))
        lines.insert(draw(st.integers(0, len(lines))), raw)
    return b"\n".join(lines) + draw(st.sampled_from([b"\n", b"", b"\n\n"]))


def assert_fix_loses_nothing(folder: Path, data: bytes, unsafe: bool) -> None:
    """In process through the public API (the command line loads the plugins for every run)."""
    path = folder / "train.jsonl"
    path.write_bytes(data)
    removed_path = folder / "train.removed.jsonl"
    result = api.fix([str(path)], unsafe=unsafe)
    assert not result.errors, result.errors
    fixed = path.read_bytes()
    removed = removed_path.read_bytes() if removed_path.exists() else b""
    assert lost(data, fixed, removed) == []
    assert sorted(p.name for p in folder.iterdir()) == sorted({"train.jsonl"} | ({removed_path.name} if removed else set()))
    # the fixes reached a fixed point: nothing applicable is left, unless refused with the reason
    minimum = Applicability.UNSAFE if unsafe else Applicability.SAFE
    left = [d for d in result.diagnostics if d.fix and d.fix.applicability is not Applicability.DISPLAY_ONLY
            and d.fix.applicability >= minimum and "fix not applied" not in d.message]
    assert left == [], left
    # and a second run changes nothing
    api.fix([str(path)], unsafe=unsafe)
    assert path.read_bytes() == fixed
    assert (removed_path.read_bytes() if removed_path.exists() else b"") == removed


@settings(max_examples=2000 * SCALE, deadline=None, derandomize=SCALE == 1, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])
@given(lossless_cases(), st.booleans())
def test_fix_loses_nothing(tmp_path_factory, data, unsafe):
    assert_fix_loses_nothing(tmp_path_factory.mktemp("fix"), data, unsafe)


def test_api_fix_refuses_a_validation_file_that_is_the_training_file(tmp_path):
    path = dataset(tmp_path, good(12)[3])
    original = path.read_bytes()
    result = api.fix([str(path)], validation=str(path), unsafe=True)
    assert any("is the training file" in e for e in result.errors)
    assert path.read_bytes() == original and not (tmp_path / "train.removed.jsonl").exists()


def test_fix_with_a_rule_ignored(tmp_path):
    """The later rounds re-check with the same selection (an ignored code is not unknown)."""
    path = dataset(tmp_path, b'{"prompt":"no separator","completion":"no space END"}\r')
    code, out, err = run("check", str(path), "--fix", "--ignore", "FT201")
    assert code in (0, 1), err
    assert path.read_bytes().splitlines()[-1] == b'{"prompt":"no separator","completion":" no space END"}'


def test_a_fix_that_cannot_be_exact_is_refused_and_says_why(tmp_path, monkeypatch):
    """Where the edit cannot keep the line exact the fix is not applied, the finding stays with
    the reason, and the other fixes still happen."""
    import ftlint.fixes as fixes
    from ftlint.jsonedit import Inexact

    real_set_value = fixes.set_value

    def refuse_prompts(raw, pointer, value):
        if pointer == "/prompt":
            raise Inexact("simulated: no exact edit")
        return real_set_value(raw, pointer, value)

    monkeypatch.setattr(fixes, "set_value", refuse_prompts)
    path = dataset(tmp_path, b'{"prompt":"no separator","completion":"no space END"}')
    code, out, err = run("check", str(path), "--fix")
    assert code == 1, err
    assert path.read_bytes().splitlines()[-1] == b'{"prompt":"no separator","completion":" no space END"}'
    assert "FT201" in out and "fix not applied: it could not keep the line exact: simulated: no exact edit" in out


@pytest.mark.parametrize(("raw", "pointer"), [
    (b'{"a":1}', "/b/c"), (b'{"a":[1]}', "/a/3"), (b'{"a":"x"}', "/a/0"), (b'{"a":1}', ""), (b'{"a":', "/a"), (b'{"a" 1}', "/a"),
])
def test_set_value_refuses_what_it_cannot_follow(raw, pointer):
    from ftlint.jsonedit import Inexact, set_value

    with pytest.raises(Inexact):
        set_value(raw, pointer, "new")


def test_a_fix_that_shifts_the_inferred_separator_is_still_idempotent(tmp_path):
    """"\\n###\\n\\n" is inferred (2 of 3 prompts); completing the third prompt, which ends
    in a blank line, gives two prompts ending in "\\n\\n###\\n\\n", which a second run
    would infer instead. The first run goes on with what the fixed file says, so the second
    changes nothing, and it reports the separator it ended with."""
    path = tmp_path / "train.jsonl"
    path.write_bytes(b'{"prompt": "Question 0: what is it?\\n\\n###\\n\\n", "completion": " answer 0 END"}\n'
                     b'{"prompt": "A gift tn\\n###\\n\\n", "completion": " answer 0 END"}\n'
                     b'{"prompt": "Question 1: what is it?\\n\\n", "completion": " answer 1 END"}\n')
    fixed, _, report = fix_twice(path)
    assert [json.loads(line)["prompt"] for line in fixed.splitlines()] == [
        "Question 0: what is it?\n\n###\n\n", "A gift tn\n\n###\n\n", "Question 1: what is it?\n\n###\n\n"]
    assert 'separator "\\n\\n###\\n\\n" (inferred' in report


def test_a_separator_glued_to_an_undecodable_byte_is_replaced_not_doubled(tmp_path):
    """Found by the atheris run of session 5: the U+FFFD of the invalid bytes hid the other
    ending "%###", so the separator was appended after it ("%###\\n\\n###\\n\\n")."""
    path = tmp_path / "train.jsonl"
    path.write_bytes(b'{"prompt": "Question 0: what is it?\\n\\n###\\n\\n", "completion": " answer 0 END"}\n'
                     b'{"prompt": "A gift tn\\n###\\n\\n", "completion": " answer 0 END"}\n'
                     b'{"prompt": "Question 1: what is it?\xa4\x91\xa3\x8e%###\\n\\n", "completion": " answer 1 END"}\n')
    fixed, removed, _ = fix_twice(path, "--unsafe-fixes")
    assert fixed.splitlines()[2] == b'{"prompt": "Question 1: what is it?\xa4\x91\xa3\x8e\\n###\\n\\n", "completion": " answer 1 END"}'
    assert b'"line":3' in removed.replace(b" ", b"")


def test_fixes_that_never_settle_write_nothing(tmp_path, monkeypatch):
    """The bound on fix rounds (far above any real file) is an error naming the line, the file
    untouched: shown with the bound lowered to one round, where a BOM must go before the
    record's own fix can be applied."""
    from ftlint import fixes

    monkeypatch.setattr(fixes, "MAX_ROUNDS", 1)
    path = dataset(tmp_path, BOM + b'{"prompt": "Question 99: what is it?\\n\\n###\\n\\n", "completion": "answer END"}')
    original = path.read_bytes()
    code, _, err = run("check", str(path), "--fix")
    assert code == 2 and f"{path}: fixes of line 13 still change it after 1 rounds; nothing written" in err
    assert path.read_bytes() == original and not (tmp_path / "train.removed.jsonl").exists()
