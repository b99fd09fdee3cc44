"""`ftlint check --fix` never loses data (see docs/GUARANTEES.md).

Property tests (hypothesis, bounded, derandomized) over random prompt-completion datasets with
random defects: after `--fix --unsafe-fixes`, the file plus `<name>.removed.jsonl` hold every
original record (modulo the documented edits), lines no diagnostic pointed at are
byte-identical, a second `--fix` changes nothing and permissions are kept. Then failures: a
read-only file, a failing replace, and SIGKILL at random moments of a fix.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ftlint.cli import main

SEP, STOP = "\n\n###\n\n", " END"
BOM = b"\xef\xbb\xbf"
SCALE = int(os.environ.get("FTLINT_FUZZ_SCALE", "1"))  # N: N times the examples, randomized (fuzz/README.md)
PROPERTY = settings(max_examples=40, deadline=None, derandomize=SCALE == 1, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def prop(examples: int) -> settings:
    return settings(PROPERTY, max_examples=examples * SCALE)

# Text without '#', 'E', 'N', 'D' and whitespace runs that could look like a separator or a
# stop sequence, with JSON escapes, non-ASCII and U+2028 (which must not split lines).
WORDS = st.text(alphabet=st.sampled_from('abcdefghijkl mnopqrstuvwxyz0123456789"\\/é中😀\u2028\t'), min_size=1, max_size=25)
DEFECTS = ["none"] * 8 + ["separator", "space", "stop", "bom", "crlf", "concatenated", "period", "blank", "duplicate"]


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([*args, "--isolated", *(["--jobs", "1"] if args[0] in ("check", "tokens") else [])])
    return code, out.getvalue(), err.getvalue()


def dumps(record: dict) -> bytes:
    return json.dumps(record, ensure_ascii=False).encode()


@st.composite
def datasets(draw) -> tuple[bytes, list[dict]]:
    """(file bytes, every record written in it, in order) with random defects."""
    lines: list[bytes] = []
    written: list[dict] = []
    for i in range(draw(st.integers(12, 30))):
        # each text ends with a word of its own, as real text does: no longer ending than the
        # separator and the stop sequence is shared by most records (see test_stop_is_not_content)
        record = {"prompt": f"{draw(WORDS)} p{i}{SEP}", "completion": f" {draw(WORDS)} c{i}{STOP}"}
        defect = draw(st.sampled_from(DEFECTS))
        if defect == "separator":
            record["prompt"] = record["prompt"][: -len(SEP)]
        elif defect == "space":
            record["completion"] = record["completion"].lstrip()
        elif defect == "stop":
            record["completion"] = record["completion"][: -len(STOP)]
        raw = dumps(record)
        written.append(record)
        if defect == "bom":
            raw = BOM + raw
        elif defect == "crlf":
            raw += b"\r"
        elif defect == "concatenated":
            other = {"prompt": f"{draw(WORDS)} q{i}{SEP}", "completion": f" {draw(WORDS)} d{i}{STOP}"}
            written.append(other)
            raw += draw(st.sampled_from([b"", b" "])) + dumps(other)
        elif defect == "period":
            raw += b"."
        elif defect == "blank":
            lines.append(draw(st.sampled_from([b"", b"  ", b"\t"])))
        elif defect == "duplicate":  # an exact duplicate line
            lines.append(raw)
            written.append(record)
        lines.append(raw)
    return b"\n".join(lines) + b"\n", written


def norm(value: Any) -> Any:
    """A record without the documented edits: separator and stop appended, a space prepended
    (whitespace is dropped; the generated text has no '#' and no 'END' of its own)."""
    if isinstance(value, str):
        return "".join(value.replace("###", "").replace("END", "").split())
    if isinstance(value, dict):
        return tuple(sorted((k, norm(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(norm(v) for v in value)
    return value


def read_removed(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_bytes().splitlines()] if path.exists() else []


def is_subsequence(needles: list[bytes], haystack: list[bytes]) -> bool:
    it = iter(haystack)
    return all(any(n == h for h in it) for n in needles)


def check_fix(data: bytes, written: list[dict], folder: Path) -> None:
    path = folder / "train.jsonl"
    path.write_bytes(data)
    path.chmod(0o640)
    code, before, err = run("check", str(path), "--format", "json")
    assert code in (0, 1), err
    diagnostics = json.loads(before)["diagnostics"]
    pointed = {d["location"]["line"] for d in diagnostics}
    pointed |= {e["line"] for d in diagnostics if d["fix"] for e in d["fix"]["edits"]}

    code, _, err = run("check", str(path), "--fix", "--unsafe-fixes", "--format", "json")
    assert code in (0, 1) and "error" not in err, err
    fixed = path.read_bytes()
    removed_path = folder / "train.removed.jsonl"
    removed = read_removed(removed_path)

    # permissions kept; no staging file left in the data folder
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in folder.iterdir()) == sorted({"train.jsonl"} | ({removed_path.name} if removed else set()))

    # every record is in the output or aside (whole records), modulo the documented edits
    out_lines = fixed.split(b"\n")
    assert out_lines[-1] == b"", "the fixed file ends with a newline"
    out_records = [json.loads(line) for line in out_lines[:-1]]
    aside = [r["record"] for r in removed if "record" in r]
    assert Counter(map(norm, written)) == Counter(map(norm, out_records + aside))

    # what was cut from a line is aside, with its line number and the exact original text
    original = data.split(b"\n")
    for entry in removed:
        assert 1 <= entry["line"] <= len(original)
        if "raw" in entry:
            raw = bytes.fromhex(entry["raw_hex"]) if "raw_hex" in entry else entry["raw"].encode()
            assert raw == original[entry["line"] - 1]
    for number, raw in enumerate(original[:-1], 1):
        if raw.rstrip(b"\r").endswith(b"}."):  # the cut ".": the line aside, or the whole record if dropped
            assert any(e["line"] == number for e in removed), f"cut text of line {number} not aside"

    # lines nothing pointed at are byte-identical, in order
    untouched = [raw for number, raw in enumerate(original[:-1], 1) if number not in pointed]
    assert is_subsequence(untouched, out_lines)

    # a second --fix changes nothing
    run("check", str(path), "--fix", "--unsafe-fixes", "--format", "json")
    assert path.read_bytes() == fixed
    assert read_removed(removed_path) == removed


@prop(40)
@given(datasets())
def test_fix_keeps_every_record(case):
    data, written = case
    with tempfile.TemporaryDirectory() as folder:
        check_fix(data, written, Path(folder))


@st.composite
def with_validation(draw) -> tuple[bytes, list[dict], bytes, list[dict]]:
    """A training dataset and a validation file whose records are its own or leaked copies of
    training records."""
    data, written = draw(datasets())
    valid: list[dict] = []
    for i in range(draw(st.integers(3, 10))):
        if draw(st.integers(0, 2)) == 0:
            valid.append(draw(st.sampled_from(written)))  # a leak
        else:
            valid.append({"prompt": f"{draw(WORDS)} v{i}{SEP}", "completion": f" {draw(WORDS)} w{i}{STOP}"})
    return data, written, b"".join(dumps(r) + b"\n" for r in valid), valid


@prop(15)
@given(with_validation())
def test_fix_with_a_validation_file_keeps_every_record(case):
    """`--validation`: leaked records are dropped from the validation file into
    `valid.removed.jsonl`; both files keep every record, in the file or aside."""
    data, written, valid_data, valid = case
    with tempfile.TemporaryDirectory() as folder:
        train, validation = Path(folder) / "train.jsonl", Path(folder) / "valid.jsonl"
        train.write_bytes(data)
        validation.write_bytes(valid_data)
        code, _, err = run("check", str(train), "--validation", str(validation), "--fix", "--unsafe-fixes", "--format", "json")
        assert code in (0, 1) and "error" not in err, err
        for path, records in ((train, written), (validation, valid)):
            out = [json.loads(line) for line in path.read_bytes().splitlines()]
            aside = [r["record"] for r in read_removed(path.with_name(path.stem + ".removed.jsonl")) if "record" in r]
            assert Counter(map(norm, records)) == Counter(map(norm, out + aside)), path.name
        train_texts = {norm(r) for r in written}
        assert not [r for r in (json.loads(x) for x in validation.read_bytes().splitlines()) if norm(r) in train_texts and r in written]


def test_fix_keeps_every_record_example(tmp_path):
    """One fixed case of the property, readable: every defect at once."""
    good = [{"prompt": f"text {i}{SEP}", "completion": f" answer {i}{STOP}"} for i in range(14)]
    lines = [dumps(r) for r in good]
    lines[1] = dumps({"prompt": "no sep", "completion": " a END"})
    lines[2] = dumps({"prompt": "x" + SEP, "completion": "nospace END"})
    lines[3] = dumps({"prompt": "y" + SEP, "completion": " nostop"})
    lines[4] = BOM + lines[4]
    lines[5] += b"\r"
    lines[6] += lines[7]
    lines[8] += b"."
    lines[9] = b""
    lines[10] = lines[11]
    written = [json.loads(line.lstrip(BOM)) for i, line in enumerate(lines) if i not in (6, 8, 9)]
    written += [good[6], good[7], good[8]]
    check_fix(b"\n".join(lines) + b"\n", written, tmp_path)
    assert b"nospace" in (tmp_path / "train.jsonl").read_bytes()


@prop(30)
@given(datasets(), st.sampled_from([1, 2, 3, 7, 64]), st.sampled_from(["", "\n", "\n\n  \n"]))
def test_fix_does_not_depend_on_block_size(case, block, tail):
    """The streaming rewrite copies untouched lines block by block: with tiny blocks (every
    line and edit split across reads) the result is byte-identical."""
    from ftlint import files, fixes

    data = case[0] + tail.encode()
    results = []
    for size in (None, block):
        with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as patch:
            if size:
                patch.setattr(files, "BLOCK_BYTES", size)
                patch.setattr(fixes, "BLOCK_BYTES", size)
            path = Path(folder) / "train.jsonl"
            path.write_bytes(data)
            code, _, err = run("check", str(path), "--fix", "--unsafe-fixes", "--format", "json")
            removed = Path(folder) / "train.removed.jsonl"
            results.append((code, err, path.read_bytes(), removed.read_bytes() if removed.exists() else None))
    assert results[1] == results[0]


@prop(15)
@given(datasets())
def test_fix_of_a_gzip_file_matches_the_plain_file(case):
    """`train.jsonl.gz` is fixed like `train.jsonl`: the same lines, recompressed; what was
    removed goes to `train.removed.jsonl` (uncompressed) in both cases."""
    import gzip

    results = []
    for name, data in (("train.jsonl", case[0]), ("train.jsonl.gz", gzip.compress(case[0]))):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / name
            path.write_bytes(data)
            code, _, _ = run("check", str(path), "--fix", "--unsafe-fixes", "--format", "json")
            fixed = path.read_bytes()
            removed = Path(folder) / "train.removed.jsonl"
            results.append((code, gzip.decompress(fixed) if name.endswith(".gz") else fixed,
                            removed.read_bytes() if removed.exists() else None, sorted(os.listdir(folder))))
    assert results[1][:3] == results[0][:3]
    assert results[1][3] == [n.replace("train.jsonl", "train.jsonl.gz") for n in results[0][3]]


# --- what was cut is aside: set edits too --------------------------------------------------------

def test_text_cut_by_a_set_edit_is_aside(tmp_path):
    path = tmp_path / "train.jsonl"
    records = [{"prompt": f"q{i}{SEP}", "completion": f" a{i}{STOP}"} for i in range(12)]
    records.append({"prompt": "q" + SEP, "completion": " the answer END!!"})
    path.write_bytes(b"".join(dumps(r) + b"\n" for r in records))
    code, _, err = run("check", str(path), "--fix")
    assert code in (0, 1), err
    assert path.read_bytes().splitlines()[-1] == dumps({"prompt": "q" + SEP, "completion": " the answer END"})
    removed = read_removed(tmp_path / "train.removed.jsonl")
    assert [(e["line"], e.get("raw")) for e in removed] == [(13, dumps(records[-1]).decode())]



def test_text_cut_in_a_later_round_is_aside_as_the_original_line(tmp_path):
    """The BOM and CR fixes take the first round, the cut the second: the entry still holds the
    line as it was in the original file, BOM and CR included."""
    path = tmp_path / "train.jsonl"
    records = [{"prompt": f"q{i}{SEP}", "completion": f" a{i}{STOP}"} for i in range(12)]
    cut = BOM + dumps({"prompt": "q" + SEP, "completion": " the answer END!!"}) + b"\r"
    path.write_bytes(b"".join(dumps(r) + b"\n" for r in records) + cut + b"\n")
    code, _, err = run("check", str(path), "--fix")
    assert code in (0, 1), err
    assert path.read_bytes().splitlines()[-1] == dumps({"prompt": "q" + SEP, "completion": " the answer END"})
    removed = read_removed(tmp_path / "train.removed.jsonl")
    assert [(e["line"], e["raw"].encode()) for e in removed] == [(13, cut)]
    assert removed[0]["removed_by"].startswith("FT302 ")


def test_set_edits_that_only_add_text_put_nothing_aside(tmp_path):
    path = tmp_path / "train.jsonl"
    records = [{"prompt": f"q{i}{SEP}", "completion": f" a{i}{STOP}"} for i in range(12)]
    records += [{"prompt": "no separator", "completion": "no space END"}, {"prompt": "q\n\n#", "completion": " no stop"}]
    path.write_bytes(b"".join(dumps(r) + b"\n" for r in records))
    code, out, err = run("check", str(path), "--fix")
    assert code in (0, 1) and "fixed 4" in out, (out, err)
    assert path.read_bytes().splitlines()[-2:] == [dumps({"prompt": "no separator" + SEP, "completion": " no space END"}),
                                                   dumps({"prompt": "q" + SEP, "completion": " no stop END"})]
    assert not (tmp_path / "train.removed.jsonl").exists()


@pytest.mark.parametrize(("old", "new", "loses"), [
    ('"a"', "a" + SEP, False), ('"a\\n\\n#"', "a" + SEP, False), ('"a ###"', "a" + SEP, True), ('"b"', " b", False),
    ('"a  "', "a", True), (None, "a", False), ('" b END!!"', " b END", True), ('" b STOP"', " b END", True),
    ('" Positive."', " positive", True), ('"a"', "", True), ("1", "1", True), ("[1]", [1], False),
    ('"a\xff"', "a\ufffd" + SEP, False), ('"a\xff!"', "a\ufffd", True), ('"a\\ud800!"', "a\ufffd", True),
])
def test_set_value_says_when_text_is_cut(old, new, loses):
    """What a `set` edit removes (whitespace too, or an unreadable byte) goes aside."""
    from ftlint.jsonedit import set_value

    raw = b'{"k": 1}' if old is None else b'{"v": ' + old.encode("latin-1") + b"}"
    assert set_value(raw, "/v", new)[1] is loses


def test_stop_is_not_content(tmp_path):
    path = tmp_path / "train.jsonl"
    records = [{"prompt": f"Question {i}: is {i * 37 % 101} prime?{SEP}",
                "completion": f" Let me think about number {i}. The answer is {'yes' if i % 5 < 3 else 'no'}{STOP}"}
               for i in range(40)]
    path.write_bytes(b"".join(dumps(r) + b"\n" for r in records))
    _, out, _ = run("conventions", str(path), "--format", "json")
    assert json.loads(out)[str(path)]["stop"] == STOP
    run("check", str(path), "--fix", "--unsafe-fixes")
    assert [json.loads(line) for line in path.read_bytes().splitlines()] == records


# --- read-only files, failing writes -----------------------------------------------------------

DIRTY = b'{"prompt": "a\\n\\n###\\n\\n", "completion": " b END"}\n' * 11 + b'\xef\xbb\xbf{"prompt": "c\\n\\n###\\n\\n", "completion": " d END"}.\n'


def test_read_only_file_is_an_error_not_a_loss(tmp_path, monkeypatch):
    """Root may write any file (os.access(W_OK) is True for a 0o444 file as root, and a
    read-only folder does not stop root either), so the non-root case is simulated: os.access
    says the file is not writable. Exit 2, the file and its folder untouched."""
    path = tmp_path / "train.jsonl"
    path.write_bytes(DIRTY)
    path.chmod(0o444)
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if (mode & os.W_OK and str(p) == str(path)) else real_access(p, mode, **kw))
    code, out, _ = run("check", str(path), "--fix")
    assert code == 2
    assert path.read_bytes() == DIRTY and stat.S_IMODE(path.stat().st_mode) == 0o444
    assert [p.name for p in tmp_path.iterdir()] == ["train.jsonl"]
    assert "FT007" in out  # the findings are still reported
    code, out, _ = run("check", str(path), "--fix", "--format", "json")
    assert code == 2 and json.loads(out)["errors"] == [f"{path}: file is read-only; not fixed"]


def test_read_only_file_error_is_printed(tmp_path, monkeypatch):
    path = tmp_path / "train.jsonl"
    path.write_bytes(DIRTY)
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if (mode & os.W_OK and str(p) == str(path)) else real_access(p, mode, **kw))
    code, _, err = run("check", str(path), "--fix")
    assert code == 2 and f"ftlint: error: {path}: file is read-only; not fixed" in err


def test_read_only_file_really_read_only(tmp_path):
    """A 0o444 file is refused for real, as root too (root could write it: its missing write
    permission is taken as the owner's wish)."""
    path = tmp_path / "train.jsonl"
    path.write_bytes(DIRTY)
    path.chmod(0o444)
    code, _, err = run("check", str(path), "--fix")
    assert code == 2 and "read-only" in err and path.read_bytes() == DIRTY


def test_failing_replace_leaves_the_original_intact(tmp_path, monkeypatch):
    """os.replace fails (disk full, folder made read-only under us): exit 2 with the reason, the
    original byte-identical with its permissions, no staging file left in the folder."""
    path = tmp_path / "train.jsonl"
    path.write_bytes(DIRTY)
    path.chmod(0o640)

    def failing_replace(src, dst, **kw):
        if str(dst) == str(path):
            raise OSError(28, "No space left on device")
        return os.rename(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    code, _, err = run("check", str(path), "--fix")
    assert code == 2 and "No space left on device" in err and "Traceback" not in err
    assert path.read_bytes() == DIRTY and stat.S_IMODE(path.stat().st_mode) == 0o640
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".ftlint-fix-")]


def test_failing_replace_leaves_removed_file_unchanged(tmp_path, monkeypatch):
    path = tmp_path / "train.jsonl"
    path.write_bytes(DIRTY)
    monkeypatch.setattr(os, "replace", lambda src, dst, **kw: (_ for _ in ()).throw(OSError(28, "No space left on device"))
                        if str(dst) == str(path) else os.rename(src, dst))
    assert run("check", str(path), "--fix")[0] == 2
    assert not (tmp_path / "train.removed.jsonl").exists()


def test_failing_replace_leaves_an_existing_removed_file_byte_identical(tmp_path, monkeypatch):
    path, aside = tmp_path / "train.jsonl", tmp_path / "train.removed.jsonl"
    path.write_bytes(DIRTY)
    earlier = b'{"line": 3, "removed_by": "FT601 duplicate-example", "record": {"prompt": "x"}}\n'
    aside.write_bytes(earlier)
    monkeypatch.setattr(os, "replace", lambda src, dst, **kw: (_ for _ in ()).throw(OSError(28, "No space left on device"))
                        if str(dst) == str(path) else os.rename(src, dst))
    assert run("check", str(path), "--fix")[0] == 2
    assert path.read_bytes() == DIRTY and aside.read_bytes() == earlier


def test_failing_write_aside_leaves_both_files_unchanged(tmp_path, monkeypatch):
    """The append itself fails (disk full at fsync): the partial append is undone, the
    original is not replaced."""
    path = tmp_path / "train.jsonl"
    path.write_bytes(DIRTY)
    real_fsync = os.fsync

    def failing_fsync(fd):
        if os.path.realpath(f"/proc/self/fd/{fd}").endswith(".removed.jsonl"):
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", failing_fsync)
    code, _, err = run("check", str(path), "--fix")
    assert code == 2 and "No space left on device" in err
    assert path.read_bytes() == DIRTY and sorted(p.name for p in tmp_path.iterdir()) == ["train.jsonl"]


def test_diff_writes_nothing(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_bytes(DIRTY)
    _, out, _ = run("check", str(path), "--diff")
    assert "@@ -12,1 +12,1 @@" in out
    assert path.read_bytes() == DIRTY and [p.name for p in tmp_path.iterdir()] == ["train.jsonl"]


# --- SIGKILL during --fix ----------------------------------------------------------------------

def big_dirty_file(path: Path, records: int) -> None:
    """`records` lines, every 7th with a defect that --fix repairs."""
    good = b'{"prompt": "Review number %d: the sound is crisp\\n\\n###\\n\\n", "completion": " positive"}'
    with open(path, "wb") as out:
        for i in range(records):
            line = good % i
            if i % 7 == 3:
                line = b'\xef\xbb\xbf' + line + b"."
            elif i % 7 == 5:
                line += b"\r"
            out.write(line + b"\n")


def ftlint_command() -> list[str]:
    script = Path(sys.executable).parent / "ftlint"
    return [str(script)] if script.exists() else [sys.executable, "-m", "ftlint"]


def test_sigkill_during_fix_never_leaves_a_partial_file(tmp_path):
    """Kill `ftlint check --fix` at random moments: the file is always either the original or
    the fully fixed file, byte for byte. (A killed run may leave a `.ftlint-fix-*` staging file
    in the folder: it cannot clean up after SIGKILL; the original is never partial.)"""
    source = tmp_path / "source.jsonl"
    big_dirty_file(source, 12_000)  # about 1.1 MB: a fix takes 1-3 s
    original = source.read_bytes()
    reference = tmp_path / "reference"
    reference.mkdir()
    shutil.copy(source, reference / "train.jsonl")
    command = [*ftlint_command(), "check", "--isolated", "--jobs", "1", "--select", "FT0", "--fix", "-q"]
    started = time.monotonic()
    done = subprocess.run([*command, str(reference / "train.jsonl")], capture_output=True, timeout=300, check=False)
    duration = time.monotonic() - started
    assert done.returncode in (0, 1), done.stderr
    fixed = (reference / "train.jsonl").read_bytes()
    assert fixed != original
    assert sorted(p.name for p in reference.iterdir()) == ["train.jsonl", "train.removed.jsonl"]  # no staging file

    chance = random.Random(20240611)
    outcomes = Counter()
    for attempt in range(5):
        folder = tmp_path / f"kill{attempt}"
        folder.mkdir()
        target = folder / "train.jsonl"
        shutil.copy(source, target)
        proc = subprocess.Popen([*command, str(target)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(chance.uniform(0.05, duration * 1.1))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        now = target.read_bytes()
        assert now in (original, fixed), f"partial file after SIGKILL at attempt {attempt}"
        outcomes["original" if now == original else "fixed"] += 1
        if proc.returncode == -signal.SIGKILL:
            outcomes["killed"] += 1
    assert outcomes["killed"] >= 2, outcomes  # the kills landed while it ran
