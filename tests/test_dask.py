"""The Dask engine (`ftlint check --engine dask`, issue #19) on a real `distributed.LocalCluster`
of two worker processes started here, and `--one-dataset` on the local engine.

The datasets: examples/defects.jsonl (planted defects, among them an exact duplicate and a
conflicting label) and tests/data/train_small.jsonl dealt round-robin into four training
shards, so the duplicate pairs land in different shards; tests/data/valid_small.jsonl (three
records leak from train_small) dealt into two validation shards. A third-party dataset rule,
installed as a distribution of its own and written against the documented state interface
only, runs with them. And real tweets with planted near-copies dealt into training and
validation shards, for the near-duplicate rules, whose states are split by key bucket on Dask.
"""
from __future__ import annotations

import fcntl
import json
from collections import Counter
import os
import pty
import random
import re
import struct
import subprocess
import termios
import sys
import textwrap
from pathlib import Path

import pytest
from distributed import Client, LocalCluster

from ftlint import api
from ftlint.cli import main
from ftlint_plugins.dask import cluster as dask_engine
from near_copies import surface_edit, word_edit

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [ROOT / "examples" / "defects.jsonl", ROOT / "tests" / "data" / "train_small.jsonl"]
VALIDATION = ROOT / "tests" / "data" / "valid_small.jsonl"

# A third party's dataset rules: the state is a dict of label -> (count, first line); it
# merges associatively and names lines with ctx.line_name, as ftlint/rule.py documents. The
# second rule's state is keyed by label (split by key bucket, reduced per bucket).
THIRD_PARTY = '''
    import zlib

    from ftlint import DatasetRule, Severity, hookimpl

    class RareLabel(DatasetRule):
        """A label used by fewer than three records.

        ## What it does
        Reports the first record of each label that fewer than three records use.
        """

        code = "ACME101"
        name = "rare-label"
        severity = Severity.WARNING

        def new_state(self):
            return {}

        def observe(self, state, batch, ctx):
            for line, completion in zip(batch.lines, batch.strings("completion")):
                if completion is not None:
                    count, first = state.get(completion, (0, line))
                    state[completion] = (count + 1, first)

        def merge(self, a, b):
            for label, (count, first) in b.items():
                before, earlier = a.get(label, (0, first))
                a[label] = (before + count, earlier)
            return a

        def report(self, state, ctx):
            for label, (count, first) in sorted(state.items(), key=lambda item: item[1][1]):
                if count < 3:
                    yield self.diagnostic(ctx, first, f"label {label!r} is used {count} time(s), first at line {ctx.line_name(first)}")

    class LabelFirstSeen(DatasetRule):
        """A label's first record, reported with its count (a keyed state).

        ## What it does
        Reports the first record of each label with the number of records using it.
        """

        code = "ACME102"
        name = "label-first-seen"
        severity = Severity.INFO
        keyed = True

        def new_state(self):
            return {}

        def observe(self, state, batch, ctx):
            RareLabel.observe(self, state, batch, ctx)

        def merge(self, a, b):
            return RareLabel.merge(self, a, b)

        def split(self, state, buckets, ctx):
            parts = [{} for _ in range(buckets)]
            for label, seen in state.items():
                parts[zlib.crc32(label.encode()) % buckets][label] = seen  # a hash every process agrees on
            return {}, parts

        def reduce(self, part, ctx):
            return sorted((first, label, count) for label, (count, first) in part.items())

        def report_reduced(self, rest, results, ctx):
            for first, label, count in sorted(found for result in results for found in result):
                yield self.diagnostic(ctx, first, f"label {label!r}: {count} record(s)")

    @hookimpl
    def ftlint_get_rules():
        return [RareLabel, LabelFirstSeen]
'''


def lines_of(path: Path) -> list[bytes]:
    """A file's lines with their newlines (split on b"\n" only: CRLF and lone CRs stay)."""
    return [line + b"\n" for line in path.read_bytes().split(b"\n")[:-1]]


def deal(lines: list[bytes], folder: Path, stem: str, shards: int) -> list[str]:
    """Lines dealt round-robin into `shards` files."""
    paths = []
    for k in range(shards):
        path = folder / f"{stem}-{k:02d}.jsonl"
        path.write_bytes(b"".join(lines[k::shards]))
        paths.append(str(path))
    return paths


@pytest.fixture(scope="module")
def shards(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], list[str]]:
    folder = tmp_path_factory.mktemp("shards")
    train = [line for source in SOURCES for line in lines_of(source)]
    return deal(train, folder, "train", 4), deal(lines_of(VALIDATION), folder, "valid", 2)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory):
    """The third-party plugin installed (a dist-info folder on sys.path, before the workers
    start: they import its rule when they unpickle the plan), then a local cluster of two
    worker processes; both gone after this module."""
    site = tmp_path_factory.mktemp("site")
    (site / "acme_rare.py").write_text(textwrap.dedent(THIRD_PARTY), encoding="utf-8")
    info = site / "acme_rare-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme_rare\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[ftlint]\nacme-rare = acme_rare\n")
    sys.path.insert(0, str(site))
    api._loaded.clear()
    try:
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as local:
            yield local
    finally:
        sys.path.remove(str(site))
        sys.modules.pop("acme_rare", None)
        api._loaded.clear()


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["check", "--isolated", *args])
    out, err = capsys.readouterr()
    return code, out, err


def validation_args(paths: list[str]) -> list[str]:
    return [arg for path in paths for arg in ("--validation", path)]


def test_dask_one_dataset_equals_the_local_one_dataset_run(cluster, shards, capsys):
    train, valid = shards
    args = [*train, *validation_args(valid), "--one-dataset", "--select", "ALL", "--output-format", "json"]
    local_code, local_out, _ = check(capsys, *args)
    dask_code, dask_out, err = check(capsys, *args, "--engine", "dask", "--scheduler", cluster.scheduler_address)
    assert "Traceback" not in err
    local, distributed = json.loads(local_out), json.loads(dask_out)
    assert distributed == local  # codes, files, lines, columns, messages, fixes, conventions, summary
    assert dask_code == local_code == 1
    found = {(d["code"], Path(d["location"]["path"]).name, d["location"]["line"]) for d in local["diagnostics"]}
    # defects.jsonl's duplicate (lines 27 and 29) and conflict (30 and 32) across shards: line n
    # of the concatenation is line (n - 1) // 4 + 1 of shard (n - 1) % 4; the dataset's order
    # is the files' order, so the copy reported is train-02.jsonl:7 (27), of train-00.jsonl:8 (29)
    assert ("FT601", "train-02.jsonl", 7) in found and ("FT602", "train-03.jsonl", 8) in found
    assert {("FT610", "valid-00.jsonl", 1), ("FT610", "valid-01.jsonl", 1), ("FT610", "valid-00.jsonl", 11)} <= found
    assert any(d["code"] == "ACME101" for d in local["diagnostics"])  # the third-party rules ran, on Dask too
    assert sum(d["code"] == "ACME102" for d in local["diagnostics"]) >= 3  # its keyed state split on Dask
    conventions = {f["path"]: f["conventions"]["separator"] for f in local["files"]}
    assert set(conventions.values()) == {"\n\n###\n\n"} and len(conventions) == 6


def test_local_one_dataset_finds_cross_shard_duplicates_that_per_file_runs_cannot(cluster, shards, capsys):
    train, _ = shards
    select = ["--select", "FT601,FT602", "--output-format", "json"]
    _, whole, _ = check(capsys, *train, "--one-dataset", *select)
    _, each, _ = check(capsys, *train, *select)
    findings = json.loads(whole)["diagnostics"]
    duplicate = next(d for d in findings if d["code"] == "FT601")
    assert (Path(duplicate["location"]["path"]).name, duplicate["location"]["line"]) == ("train-02.jsonl", 7)
    assert f"exact duplicate of line {train[0]}:8 " in duplicate["message"]
    assert (duplicate["related"][0]["path"], duplicate["related"][0]["line"]) == (train[0], 8)
    assert [d for d in json.loads(each)["diagnostics"] if d["code"] >= "FT6"] == []
    through_api = api.check(train, one_dataset=True, select=["FT601", "FT602"])
    assert {(d.code, d.location.path, d.location.line) for d in through_api.diagnostics if d.code >= "FT6"} == {
        ("FT601", train[2], 7), ("FT602", train[3], 8)}


def test_dask_runs_each_file_as_its_own_dataset_without_one_dataset(cluster, shards, capsys):
    train, _ = shards
    args = [*train, "--output-format", "json"]
    local = check(capsys, *args)
    assert check(capsys, *args, "--engine", "dask", "--scheduler", cluster.scheduler_address)[:2] == local[:2]


def test_fsspec_urls_and_globs(cluster, shards, capsys):
    train, _ = shards
    folder = Path(train[0]).parent
    code, out, err = check(capsys, f"file://{folder}/train-*.jsonl", "--one-dataset", "--select", "FT601,FT602", "--output-format", "json",
                           "--engine", "dask", "--scheduler", cluster.scheduler_address)
    found = sorted((d["code"], d["location"]["path"], d["location"]["line"]) for d in json.loads(out)["diagnostics"] if d["code"] >= "FT6")
    assert code == 1, err
    assert found == [("FT601", f"file://{folder}/train-02.jsonl", 7), ("FT602", f"file://{folder}/train-03.jsonl", 8)]


@pytest.mark.parametrize("make_args, expected", [
    (lambda folder, scheduler: [str(folder / "train-09.jsonl"), "--scheduler", scheduler], "train-09.jsonl: no such file or directory"),
    (lambda folder, scheduler: [str(folder / "nothing-*.jsonl"), "--scheduler", scheduler], "nothing-*.jsonl: no file matches this pattern"),
    (lambda folder, scheduler: [str(folder / "train-00.jsonl"), "--scheduler", "tcp://127.0.0.1:9"], "--scheduler tcp://127.0.0.1:9: cannot connect"),
    (lambda folder, scheduler: [str(folder / "train-00.jsonl"), "--scheduler", "no-such-scheme://x"], "--scheduler no-such-scheme://x: cannot connect"),
    (lambda folder, scheduler: [str(folder / "train-00.jsonl"), "--scheduler", scheduler, "--fix"], "--fix --shard-output DIR"),
    (lambda folder, scheduler: ["-", "--scheduler", scheduler], "read JSONL files"),
    (lambda folder, scheduler: [f"file://{folder}/train-09.jsonl", "--scheduler", scheduler], "train-09.jsonl: no such file"),
    (lambda folder, scheduler: [f"file://{folder}/nothing-*.jsonl", "--scheduler", scheduler], "nothing-*.jsonl: no file matches this pattern"),
    (lambda folder, scheduler: ["nope://bucket/train.jsonl", "--scheduler", scheduler], "nope://bucket/train.jsonl: fsspec cannot read it: Protocol not known"),
])
def test_bad_input_is_one_line_and_exit_2(cluster, shards, capsys, make_args, expected):
    folder = Path(shards[0][0]).parent
    code, out, err = check(capsys, *make_args(folder, cluster.scheduler_address), "--one-dataset", "--engine", "dask")
    assert code == 2 and expected in err
    assert "Traceback" not in err and err.strip().count("\n") == 0


def test_fix_writes_fixed_shards_and_removed_lines_to_the_shard_output(cluster, shards, capsys, tmp_path):
    train, _ = shards
    before = [Path(p).read_bytes() for p in train]
    code, out, err = check(capsys, *train, "--one-dataset", "--select", "FT601,FT007", "--fix", "--unsafe-fixes",
                           "--engine", "dask", "--scheduler", cluster.scheduler_address, "--shard-output", str(tmp_path / "fixed"))
    assert [Path(p).read_bytes() for p in train] == before  # the inputs stay as they are
    fixed = tmp_path / "fixed"
    names = ["train-00.jsonl", "train-01.jsonl", "train-01.removed.jsonl", "train-02.jsonl", "train-02.removed.jsonl", "train-03.jsonl"]
    assert sorted(p.name for p in fixed.iterdir()) == names
    removed = [json.loads(line) for name in names[2::2] for line in (fixed / name).read_text().splitlines()]
    assert [(r["line"], r["removed_by"][:5]) for r in removed] == [(3, "FT004"), (7, "FT601")]  # the text after the JSON value; the copy
    assert not (fixed / "train-00.jsonl").read_bytes().startswith(b"\xef\xbb\xbf")  # FT007's BOM stripped
    assert f"{fixed / 'train-02.jsonl'}: fixed 1 (FT601" in out and "FT601" not in err
    assert code == 1 and "FT001" in out  # what no fix can mend stays


@pytest.fixture(scope="module")
def near_copy_shards(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], list[str]]:
    """Real tweets and news passages (tests/data/near_duplicate_texts.jsonl) as a
    classification set with planted near-copies (tweets with case, spacing or punctuation
    edits, passages with a word or two changed): 50 with their original's label (FT603), 20
    with the other label (FT613), and 5 exact copies, shuffled and dealt into 5 training
    shards; 16 near-copies of training prompts among 20 new tweets dealt into 2 validation
    shards (FT611)."""
    rows = [json.loads(line) for line in (ROOT / "tests" / "data" / "near_duplicate_texts.jsonl").read_text(encoding="utf-8").splitlines()]
    tweets = [r["text"] for r in rows if r["source"] == "vader-tweets"]
    passages = [r["text"] for r in rows if r["source"] == "vader-nyt"]
    vocabulary = sorted({w for p in passages for w in p.split()})
    rng = random.Random(19)
    originals = tweets[:260] + passages[:150]
    labels = [" positive" if k % 2 else " negative" for k in range(len(originals))]
    other = {" positive": " negative", " negative": " positive"}

    def near_copies(count: int, flip: bool = False) -> list[tuple[str, str]]:
        tweet_copies = [(surface_edit(rng, originals[k]), labels[k]) for k in rng.sample(range(260), count // 2)]
        passage_copies = [(word_edit(rng, originals[k], vocabulary), labels[k]) for k in rng.sample(range(260, len(originals)), count - count // 2)]
        return [(text, other[label] if flip else label) for text, label in tweet_copies + passage_copies]

    train = list(zip(originals, labels))
    train += near_copies(50) + near_copies(20, flip=True) + rng.sample(train, 5)
    rng.shuffle(train)
    valid = near_copies(16) + [(t, " positive") for t in tweets[260:280]]
    rng.shuffle(valid)

    def jsonl(records: list[tuple[str, str]]) -> list[bytes]:
        return [json.dumps({"prompt": text + "\n\n###\n\n", "completion": label}, ensure_ascii=False).encode() + b"\n" for text, label in records]

    folder = tmp_path_factory.mktemp("near-copies")
    return deal(jsonl(train), folder, "texts", 5), deal(jsonl(valid), folder, "held-out", 2)


def test_near_duplicates_across_shards_on_dask_equal_the_local_run_without_gathering_the_signatures(cluster, near_copy_shards, capsys):
    train, valid = near_copy_shards
    args = [*train, *validation_args(valid), "--one-dataset", "--extend-select", "FT603,FT611,FT613", "--output-format", "json"]
    local_code, local_out, _ = check(capsys, *args)
    with Client(cluster) as client:
        client.get_task_stream()  # record the tasks from here on
        dask_code, dask_out, err = check(capsys, *args, "--engine", "dask", "--scheduler", cluster.scheduler_address)
        tasks = client.get_task_stream()
    assert "Traceback" not in err
    local, distributed = json.loads(local_out), json.loads(dask_out)
    assert distributed == local  # codes, files, lines, messages, related lines, fixes, conventions
    assert dask_code == local_code == 1
    assert local["files"][0]["conventions"]["task"] == "classification"
    found = [d for d in local["diagnostics"] if d["code"] in ("FT603", "FT611", "FT613")]
    across = {d["code"] for d in found if any(r["path"] != d["location"]["path"] for r in d["related"])}
    assert across == {"FT603", "FT611", "FT613"}  # each rule found near-copies in other shards
    counts = {code: sum(d["code"] == code for d in found) for code in ("FT603", "FT611", "FT613")}
    assert counts["FT603"] >= 40 and counts["FT611"] >= 12 and counts["FT613"] >= 15, counts
    # the keyed path ran: every scanned partition split by key bucket on a worker, and every
    # bucket reduced by a task of its own on the workers (the driver gathered the rests and
    # the buckets' pairs, never the signatures)
    workers = set(cluster.scheduler_info["workers"])
    ran = [t for t in tasks if t["status"] == "OK"]
    assert sum(t["key"].startswith("_split-") for t in ran) == len(train) + len(valid)
    reduces = [t for t in ran if t["key"].startswith("_reduce-")]
    assert len(reduces) == dask_engine.BUCKETS and {t["worker"] for t in reduces} <= workers


def on_a_terminal(command: list[str]) -> str:
    """What a command writes to a terminal (a pseudo-terminal 120 columns wide)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(command[0], command)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    out = b""
    while True:
        try:
            chunk = os.read(fd, 1 << 16)
        except OSError:  # the terminal closed
            break
        if not chunk:
            break
        out += chunk
    os.waitpid(pid, 0)
    return out.decode("utf-8", "replace")


def test_a_local_cluster_its_dashboard_and_progress_on_a_terminal(cluster, shards, capsys):
    train, _ = shards
    shown = on_a_terminal([sys.executable, "-m", "ftlint", "check", "--isolated", *train, "--one-dataset", "-q", "-o", os.devnull, "--engine", "dask"])
    workers = len(os.sched_getaffinity(0))
    assert re.search(rf"ftlint: started a local Dask cluster of {workers} workers?; dashboard: http://127\.0\.0\.1:\d+/status", shown)
    assert all(f"| {done}/4 [" in shown for done in range(5))  # each partition as it completes
    _, _, err = check(capsys, *train, "--one-dataset", "--engine", "dask", "--scheduler", cluster.scheduler_address)
    assert "partitions" not in err  # not on a pipe


def test_without_dask_a_one_line_error(monkeypatch, capsys, shards):
    monkeypatch.setitem(sys.modules, "distributed", None)
    monkeypatch.delitem(sys.modules, "ftlint_plugins.dask.cluster", raising=False)
    code, _, err = check(capsys, shards[0][0], "--engine", "dask")
    assert code == 2 and err == "ftlint: error: --engine dask needs distributed: pip install 'ftlint[dask]'\n"


def test_check_never_imports_dask():
    code = ("import sys; from ftlint.cli import main; code = main(['check', 'tests/data/train_small.jsonl', '--isolated', '-q']);"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed', 'fsspec'))); sys.exit(code)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("[]")


def test_fix_on_dask_workers_writes_the_shards_a_local_fix_writes_and_loses_nothing(cluster, near_copy_shards, capsys, tmp_path):
    """--fix --shard-output on Dask: the workers write each fixed shard and its .removed.jsonl,
    byte for byte what a local --one-dataset --fix writes on copies of the same shards; every
    record is either kept or in a .removed.jsonl."""
    train, valid = near_copy_shards
    local = tmp_path / "local"
    local.mkdir()
    for path in train + valid:
        (local / Path(path).name).write_bytes(Path(path).read_bytes())
    select = ["--one-dataset", "--extend-select", "FT603,FT611,FT613", "--fix", "--unsafe-fixes", "--output-format", "json"]
    local_train = [str(local / Path(p).name) for p in train]
    local_code, local_out, _ = check(capsys, *local_train, *validation_args([str(local / Path(p).name) for p in valid]), *select)
    out_dir = tmp_path / "fixed"
    with Client(cluster) as client:
        client.get_task_stream()
        code, out, err = check(capsys, *train, *validation_args(valid), *select, "--engine", "dask",
                               "--scheduler", cluster.scheduler_address, "--shard-output", str(out_dir))
        tasks = client.get_task_stream()
    assert "Traceback" not in err and code == local_code
    written = sorted(p.name for p in out_dir.iterdir())
    assert written == sorted(p.name for p in local.iterdir())  # the same shards and .removed.jsonl files, no working copies left
    assert sum(name.endswith(".removed.jsonl") for name in written) >= 5
    for name in written:
        assert (out_dir / name).read_bytes() == (local / name).read_bytes(), name
    # the report of the fixed shards is the local one's, each shard named at its output path
    assert json.loads(out)["diagnostics"] == json.loads(local_out.replace(str(local), str(out_dir)))["diagnostics"]
    fixed_by = {}
    for d in json.loads(local_out)["files"]:
        fixed_by.update(d.get("fixed") or {})
    assert {"FT601", "FT603", "FT611"} <= set(fixed_by)
    for path in train + valid:  # nothing lost: a dropped record is in the shard's .removed.jsonl, an edited line too
        name = Path(path).name
        original = Path(path).read_bytes().splitlines()
        removed = out_dir / name.replace(".jsonl", ".removed.jsonl")
        entries = [json.loads(line) for line in removed.read_bytes().splitlines()] if removed.exists() else []
        dropped = {e["line"]: json.dumps(e["record"], ensure_ascii=False).encode() for e in entries if "record" in e}
        edited = {e["line"]: e["raw"].encode() for e in entries if "record" not in e}
        assert all(original[n - 1] == raw for n, raw in {**dropped, **edited}.items()), name
        kept = (out_dir / name).read_bytes().splitlines()
        assert len(kept) == len(original) - len(dropped), name
        untouched = [line for n, line in enumerate(original, 1) if n not in dropped and n not in edited]
        assert not Counter(untouched) - Counter(kept), name
    workers = set(cluster.scheduler_info["workers"])
    commits = [t for t in tasks if t["key"].startswith("_commit-") and t["status"] == "OK"]
    assert len(commits) == len(train) + len(valid) and {t["worker"] for t in commits} <= workers  # written by the workers
    assert any(t["key"].startswith("_rewrite-") for t in tasks)


def test_fix_on_dask_refused_before_anything_is_written(cluster, near_copy_shards, capsys, tmp_path):
    train, _ = near_copy_shards
    out_dir = tmp_path / "fixed"
    out_dir.mkdir()
    (out_dir / Path(train[-1]).name).write_bytes(b"mine\n")
    code, _, err = check(capsys, *train, "--one-dataset", "--extend-select", "FT603", "--fix", "--unsafe-fixes", "--engine", "dask",
                         "--scheduler", cluster.scheduler_address, "--shard-output", str(out_dir))
    assert code == 2 and "exists; ftlint does not overwrite it" in err and err.count("\n") == 1
    assert [p.name for p in out_dir.iterdir()] == [Path(train[-1]).name] and (out_dir / Path(train[-1]).name).read_bytes() == b"mine\n"
