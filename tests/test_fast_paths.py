"""The fast paths change speed, never findings: parallel partitions and the reader's block path
give exactly what one process reading line by line gives."""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from ftlint import engine, files, parse
from ftlint.config import Settings
from ftlint.engine import Linter
from ftlint.plugins import load_plugins

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    """Real records with planted defects, duplicates and conflicts spread over the whole file,
    so that they cross any partition boundary."""
    rng = random.Random(7)
    clean = (EXAMPLES / "sentiment.jsonl").read_bytes().splitlines(keepends=True)
    defects = (EXAMPLES / "defects.jsonl").read_bytes().split(b"\n")
    lines = clean * 4
    for raw in defects:
        lines.insert(rng.randrange(len(lines)), raw + b"\n")
    for raw in rng.sample(clean, 40):  # duplicates far from their first copy
        lines.append(raw)
    path = tmp_path_factory.mktemp("fast") / "mixed.jsonl"
    path.write_bytes(b"".join(lines))
    return path


def lint(path: Path, jobs: int) -> list[tuple]:
    linter = Linter(load_plugins().rules, Settings(), jobs=jobs)
    result, _ = linter.lint_file(str(path))
    return [(d.code, d.location.line, d.location.column, d.location.pointer, d.message) for d in result.diagnostics] + [("records", result.records)]


def test_parallel_partitions_find_the_same(dataset, monkeypatch):
    one = lint(dataset, jobs=1)
    monkeypatch.setattr(engine, "PARALLEL_MIN_BYTES", 0)
    assert lint(dataset, jobs=3) == one
    assert {"FT003", "FT201", "FT601", "FT602"} <= {f[0] for f in one}


def test_reader_block_path_finds_the_same(dataset, monkeypatch):
    fast = lint(dataset, jobs=1)
    monkeypatch.setattr(parse, "_parse_block", lambda raws, block, first, path, limit: parse._parse_each(raws, first, path, limit))
    assert lint(dataset, jobs=1) == fast


def test_line_counts_before_a_range_start_cross_map_windows(tmp_path, monkeypatch):
    """`count_lines` maps the file one window at a time (bounded resident memory): the count
    is the same at every end offset, across window boundaries."""
    import mmap

    data = b"".join(b"x" * (i % 7) + b"\n" for i in range(mmap.ALLOCATIONGRANULARITY))  # 4 windows
    path = tmp_path / "lines.jsonl"
    path.write_bytes(data)
    monkeypatch.setattr(files, "COUNT_WINDOW", mmap.ALLOCATIONGRANULARITY)
    assert len(data) > 3 * mmap.ALLOCATIONGRANULARITY
    for end in (0, 1, mmap.ALLOCATIONGRANULARITY - 1, mmap.ALLOCATIONGRANULARITY, mmap.ALLOCATIONGRANULARITY + 1, len(data) - 1, len(data), len(data) + 100):
        assert files.count_lines(str(path), end) == data[:end].count(b"\n"), end


def test_what_the_paused_collector_made_is_old_afterwards():
    """The first collection after a check would traverse every finding it made to free nothing:
    they are in the oldest generation instead, left to the next full collection."""
    import gc

    gc.collect()
    with parse.collector_paused():
        made = [[i] for i in range(50_000)]
    assert gc.isenabled()
    old = {id(o) for o in gc.get_objects(generation=2)}
    assert id(made) in old and id(made[-1]) in old


def test_the_paused_collector_leaves_a_programs_frozen_objects_frozen():
    """ftlint used as a library (`ftlint.api.check`) in a program that froze its objects (as a
    pre-forking server does) must not thaw them."""
    import gc

    frozen = [[i] for i in range(1_000)]
    gc.freeze()
    try:
        count = gc.get_freeze_count()
        with parse.collector_paused():
            pass
        assert gc.get_freeze_count() == count and id(frozen) not in {id(o) for o in gc.get_objects()}
    finally:
        gc.unfreeze()
