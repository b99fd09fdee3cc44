"""The Dask engine: a check's plan (`ftlint.api.Plan`) run on a cluster.

Every file is surveyed by a task (is it JSON Lines, the records conventions are inferred from);
the driver infers each dataset's conventions; each shard (or byte range of a large local file)
is then scanned by a task that reads its bytes and runs the per-record rules and the dataset
rules' `observe`; the partials of each dataset are merged pairwise, neighbour with neighbour,
in a tree on the workers; the driver gets one merged partial per dataset and makes the report.
The states of keyed rules (the near-duplicate rules' signatures) are not merged so: each
scanned partial is split by key bucket on its worker, each bucket's parts of every partition
go to one task that reduces them (the candidate pairs of its band keys, verified), and the
driver gets only the merged rests and the buckets' small results.
Paths are local paths (on a shared file system when the workers run elsewhere), globs of them,
or fsspec URLs (``s3://bucket/shards/*.jsonl`` with s3fs installed): a task copies a remote
shard to its own temporary folder before reading it.
"""
from __future__ import annotations

import argparse
import contextlib
import glob
import logging
import os
import shutil
import sys
import tempfile
from typing import Any, Iterator

import fsspec
from distributed import Client, Future, LocalCluster, as_completed

from ftlint import RunResult, api

CONNECT_TIMEOUT = "10s"
# Key buckets of the keyed dataset rules' states (`DatasetRule.keyed`): a bucket of the
# near-duplicate rules holds the rows with a band key in it, about a fifth of the records with
# 16 bands in 64 buckets, each reduced by a task of its own.
BUCKETS = 64


def run(plan_of: api.PlanFactory, args: argparse.Namespace) -> RunResult:
    if args.shard_output and not args.fix:
        raise api.EngineError("--shard-output goes with --fix: it is where the fixed shards are written")
    if args.fix and not args.shard_output:
        raise api.EngineError("--fix under --engine dask does not rewrite shards in place; "
                              "--fix --shard-output DIR writes the fixed shards and their .removed.jsonl files to DIR")
    plan = plan_of(expand(args.paths), expand(args.validation or []))
    with _quiet_logs(), connect(args.scheduler) as client:
        result = run_plan(client, plan)
        if args.fix:
            result = fix_shards(client, plan, result, args.shard_output, args.unsafe_fixes)
    return result


def expand(patterns: list[str]) -> list[str]:
    """URLs with their globs expanded (sorted) through fsspec; a glob that matches nothing is
    an error. Local paths are left to the plan (as for a local check: globs expanded,
    directories walked, a missing file an error of the run)."""
    found: list[str] = []
    for pattern in patterns:
        if "://" not in pattern:
            found.append(pattern)
            continue
        matches = _urls(pattern)
        if not matches:
            raise api.EngineError(f"{pattern}: no file matches this pattern")
        found += matches
    return found


def _urls(pattern: str) -> list[str]:
    """The files an fsspec URL (a glob or one file) names, found here, before any worker
    opens them: a protocol without its package, an unknown one or a missing file is one line."""
    try:
        fs, _, paths = fsspec.get_fs_token_paths(pattern)
        if not glob.has_magic(pattern) and not fs.exists(paths[0]):
            raise api.EngineError(f"{pattern}: no such file")
    except (ImportError, ValueError, OSError) as error:  # s3:// without s3fs, nope://, no access
        raise api.EngineError(f"{pattern}: fsspec cannot read it: {error}") from error
    return sorted(fs.unstrip_protocol(p) for p in paths)


@contextlib.contextmanager
def connect(scheduler: str | None) -> Iterator[Client]:
    """A client of the scheduler at `scheduler`, else of a local cluster sized to this machine
    (one single-threaded worker process per usable CPU: the rules hold the GIL)."""
    if scheduler:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, ValueError, TypeError) as error:
            raise api.EngineError(f"--scheduler {scheduler}: cannot connect: {error}") from None
        with client:
            yield client
        return
    workers = len(os.sched_getaffinity(0))
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, Client(cluster) as client:
        print(f"ftlint: started a local Dask cluster of {workers} worker{'s' if workers > 1 else ''}; "
              f"dashboard: {client.dashboard_link}", file=sys.stderr)
        yield client


def run_plan(client: Client, plan: api.Plan) -> RunResult:
    """The plan's steps on the cluster; progress (partitions scanned) on a terminal."""
    shipped = client.scatter(plan, broadcast=True, hash=False)
    surveys = client.gather(client.map(_survey, [shipped] * len(plan.files), range(len(plan.files)), pure=False))
    groups = plan.partitions(surveys, splits=len(client.scheduler_info()["workers"]))
    shipped = client.scatter(plan, broadcast=True, hash=False)  # now with the conventions
    scans = [client.map(_scan, [shipped] * len(parts), parts, pure=False) for parts in groups]
    partials = [f for futures in scans for f in futures]
    reduced = None
    if plan.keyed():  # keyed states: shuffled by key bucket, each bucket reduced where it lands
        splits = [[client.submit(_split, shipped, f, BUCKETS, pure=False) for f in futures] for futures in scans]
        scans = [[client.submit(_rest, s, pure=False) for s in futures] for futures in splits]
        reduced = [client.submit(_reduce, shipped, [[client.submit(_bucket, s, b, pure=False) for s in futures] for futures in splits], pure=False)
                   for b in range(BUCKETS)]
        del splits
    merged = [_tree(client, shipped, futures) for futures in scans]
    _show_progress(partials)
    del scans, partials  # each partial is released once merged
    done = client.gather([f for f in merged if f is not None])
    return plan.finish([None if f is None else done.pop(0) for f in merged], None if reduced is None else client.gather(reduced))


def _tree(client: Client, plan: Future, partials: list[Future]) -> Future | None:
    """Merge partials neighbour with neighbour, level by level, on the workers."""
    while len(partials) > 1:
        pairs = [client.submit(_merge, plan, a, b, pure=False) for a, b in zip(partials[::2], partials[1::2])]
        partials = pairs + partials[len(pairs) * 2:]
    return partials[0] if partials else None


def _show_progress(futures: list[Future]) -> None:
    if not sys.stderr.isatty() or not futures:
        return
    from tqdm import tqdm

    with tqdm(total=len(futures), desc="ftlint: partitions", unit="part", file=sys.stderr, leave=False, mininterval=0) as bar:
        for _ in as_completed(futures):
            bar.update(1)


def _survey(plan: api.Plan, k: int) -> api.Survey:
    with _local(plan.files[k]) as local:
        return plan.survey(k, local)


def _scan(plan: api.Plan, part: api.Part) -> api.Partial:
    with _local(plan.files[part.file]) as local:
        return plan.scan(part, local)


def _merge(plan: api.Plan, a: api.Partial, b: api.Partial) -> api.Partial:
    return plan.merge(a, b)


def _split(plan: api.Plan, partial: api.Partial, buckets: int) -> tuple[api.Partial, list[dict[str, Any]]]:
    return plan.split(partial, buckets)


def _rest(split: tuple[api.Partial, list[dict[str, Any]]]) -> api.Partial:
    return split[0]


def _bucket(split: tuple[api.Partial, list[dict[str, Any]]], bucket: int) -> dict[str, Any]:
    return split[1][bucket]


def _reduce(plan: api.Plan, parts: list[list[dict[str, Any]]]) -> dict[tuple[int, str], Any]:
    return plan.reduce(parts)


@contextlib.contextmanager
def _local(path: str) -> Iterator[str]:
    """A local path of `path`: itself, or a temporary copy of a URL's bytes."""
    if "://" not in path:
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="ftlint-dask-") as folder:
        local = os.path.join(folder, os.path.basename(path.rstrip("/")) or "shard.jsonl")
        with fsspec.open(path, "rb") as source, open(local, "wb") as out:
            shutil.copyfileobj(source, out, 1 << 20)
        yield local


def fix_shards(client: Client, plan: api.Plan, result: RunResult, folder: str, unsafe: bool) -> RunResult:
    """`--fix --shard-output DIR`: each shard copied into `folder` (made if needed) by its file
    name, by a worker; the fixes applied to the copies as ``--fix`` does in place, the workers
    rewriting, re-checking (a run of the plan on the cluster) and writing their shards and
    .removed.jsonl files, each told only its shard's edits, which the driver decides from the
    dataset's findings. Two inputs of one name, or a copy that exists, are errors; when the fix
    fails before writing, the copies are removed again."""
    targets: dict[str, str] = {}
    for path, display in zip(plan.files, plan.displays):
        target = os.path.join(folder, os.path.basename(path.rstrip("/")))
        if target in targets.values():
            raise api.EngineError(f"--shard-output: two inputs are named {os.path.basename(target)}; their fixed shards would collide")
        if os.path.exists(target):
            raise api.EngineError(f"--shard-output: {target} exists; ftlint does not overwrite it")
        targets[display] = target
    os.makedirs(folder, exist_ok=True)
    copied = client.gather(client.map(_copy_shard, plan.files, list(targets.values()), pure=False))
    site = ShardSite(client, folder)
    errors = len(result.errors)
    try:
        fixed = plan.fix_copies(result, dict(zip(targets, copied)), unsafe, site)
    except BaseException:
        if not site.committed:
            _remove(copied)
        raise
    if not site.committed and len(fixed.errors) > errors:  # the fix failed: nothing written
        _remove(copied)
    return fixed


class ShardSite(api.FixSite):
    """Fix rounds on the workers: each shard's working copy (in a folder of the shard output,
    which the workers share) is made, rewritten and written by a task; the copies are
    re-checked by a run of the plan on the cluster."""

    def __init__(self, client: Client, folder: str) -> None:
        self.client = client
        self.scratch = folder
        self.committed = False

    def start(self, works: list[Any]) -> list[Any]:
        return list(self.client.gather(self.client.map(_start, works, pure=False)))

    def rewrite(self, works: list[Any], taken: list[Any]) -> list[Any]:
        return list(self.client.gather(self.client.map(_rewrite, works, taken, pure=False)))

    def recheck(self, groups: list[Any], works: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        displays = {w.copy: w.original for w in works.values()}
        checked: dict[str, Any] = {}
        errors: list[str] = []
        for linter, trains, validation in groups:
            plan = api.Plan(linter, [works[f.path].copy for f in trains], [works[f.path].copy for f in validation],
                            linter.one_dataset, displays)
            run = run_plan(self.client, plan)
            checked.update((f.path, f) for f in run.files)
            errors.extend(run.errors)
        return checked, errors

    def commit(self, works: list[Any], held: Any) -> None:
        self.unchanged(works, held)
        self.committed = True
        self.client.gather(self.client.map(_commit, works, pure=False))


def _start(work: Any) -> Any:
    return api.FixSite().start([work])[0]


def _rewrite(work: Any, taken: Any) -> Any:
    return api.FixSite().rewrite([work], [taken])[0]


def _commit(work: Any) -> None:
    api.FixSite().commit([work], None)


def _copy_shard(path: str, target: str) -> str:
    """Copy a shard's bytes (a local path or an fsspec URL) to `target` (never overwritten)."""
    with fsspec.open(path, "rb") as source, open(target, "xb") as out:
        shutil.copyfileobj(source, out, 1 << 20)
    return target


def _remove(paths: list[str]) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)


@contextlib.contextmanager
def _quiet_logs() -> Iterator[None]:
    """Dask's own log lines (workers starting and stopping) stay out of ftlint's output."""
    logger = logging.getLogger("distributed")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


