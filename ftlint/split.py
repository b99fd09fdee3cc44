"""`ftlint split FILE`: a training file and a validation file without leakage.

    ftlint split data.jsonl --validation-fraction 0.1 [--seed N] [--no-stratify] [--force]

writes `data.train.jsonl` and `data.valid.jsonl` beside the input. Records that must not be
on both sides are grouped first and every group goes to one side: records sharing a prompt
(FT610 compares prompts), records whose prompts are near-copies (FT611) and near-duplicate
records (FT603) at the thresholds of the configuration, and the rows of one conversation
(each row's prompt continues an earlier row's). Groups are then drawn in a seeded random
order into the validation file until it holds the fraction of the records, per class for a
classification dataset (stratified) unless `--no-stratify`. Finally the two files are compared
the way `ftlint check --validation` compares them, and any validation group that still leaks
moves to training, so `ftlint check data.train.jsonl --validation data.valid.jsonl` reports no
FT610 or FT611. Record lines are copied byte for byte, in their original order; blank lines
are left out, and a last line without a newline gets one.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import orjson
from xxhash import xxh3_64_intdigest

from ftlint import minhash
from ftlint.hookspecs import hookimpl
from ftlint.record_text import conversation_prefixes, similarity_texts, texts

CHUNK = 65_536  # records parsed and signed at once


class SplitError(Exception):
    """The file cannot be split as asked (exit 2, nothing written)."""


def _hash(text: str | None) -> int:
    return xxh3_64_intdigest(text.encode("utf-8", "surrogatepass")) if text is not None else 0


class _Records:
    """What the split needs of each record, never its text: line number, prompt hash, label
    hash, prompt and whole-text signatures, and the hashes of earlier-turn prompts."""

    def __init__(self) -> None:
        self.lines: list[int] = []
        self.prompts: list[int] = []
        self.labels: list[int] = []
        self.prompt_sigs: list[np.ndarray] = []
        self.prompt_valid: list[np.ndarray] = []
        self.whole_sigs: list[np.ndarray] = []
        self.whole_valid: list[np.ndarray] = []
        self.prefixes: list[tuple[int, int]] = []  # (record index, earlier-turn prompt hash)

    def add(self, lines: list[int], records: list[dict[str, Any]], separator: str | None) -> None:
        prompts, answers, compared = [], [], []
        for record in records:
            prompt, answer = texts(record)
            prompts.append(prompt)
            answers.append(answer)
            compared.append(similarity_texts(record))
            for text in conversation_prefixes(record, separator):
                self.prefixes.append((len(self.lines) + len(prompts) - 1, _hash(text)))
        self.lines += lines
        self.prompts += map(_hash, prompts)
        self.labels += map(_hash, answers)
        sigs, valid = minhash.signatures([p for p, _ in compared])
        self.prompt_sigs.append(sigs)
        self.prompt_valid.append(valid)
        sigs, valid = minhash.signatures([None if p is None or a is None else p + "\n" + a for p, a in compared])
        self.whole_sigs.append(sigs)
        self.whole_valid.append(valid)


def _lines(stream: Any) -> Iterator[bytes]:
    """The lines of a binary stream (plain or gzip), each with its newline (the last maybe without)."""
    rest = b""
    while block := stream.read(1 << 20):
        *whole, rest = (rest + block).split(b"\n")
        for line in whole:
            yield line + b"\n"
    if rest:
        yield rest


def _read(path: str, separator: str | None, max_line_bytes: int) -> _Records:
    from ftlint.reader import open_binary

    records = _Records()
    pending_lines: list[int] = []
    pending: list[dict[str, Any]] = []
    with open_binary(path) as stream:
        for number, raw in enumerate(_lines(stream), 1):
            if not raw.strip():
                continue
            if len(raw) > max_line_bytes:
                raise SplitError(f"{path}:{number}: line longer than max-line-bytes; run `ftlint check` first")
            try:
                value = orjson.loads(raw)
            except orjson.JSONDecodeError:
                value = None
            if type(value) is not dict:
                raise SplitError(f"{path}:{number}: not a JSON object; fix the file first (`ftlint check {path}`)")
            pending_lines.append(number)
            pending.append(value)
            if len(pending) == CHUNK:
                records.add(pending_lines, pending, separator)
                pending_lines, pending = [], []
    records.add(pending_lines, pending, separator)
    return records


class _Groups:
    """Union-find over record indices."""

    def __init__(self, n: int) -> None:
        self.parent = np.arange(n)

    def root(self, k: int) -> int:
        parent = self.parent
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = int(parent[k])
        return k

    def join(self, a: int, b: int) -> None:
        a, b = self.root(a), self.root(b)
        if a != b:
            self.parent[max(a, b)] = min(a, b)

    def join_equal(self, keys: np.ndarray, usable: np.ndarray) -> None:
        """Join the usable records with equal keys."""
        index = np.flatnonzero(usable)
        order = index[np.argsort(keys[index], kind="stable")]
        same = np.flatnonzero(keys[order][1:] == keys[order][:-1])
        for a, b in zip(order[same].tolist(), order[same + 1].tolist()):
            self.join(a, b)

    def roots(self) -> np.ndarray:
        for k in range(len(self.parent)):
            self.root(k)
        return self.parent


def _groups(records: _Records, prompt_threshold: float, whole_threshold: float) -> np.ndarray:
    """The group of each record (its first record's index)."""
    n = len(records.lines)
    groups = _Groups(n)
    prompts = np.array(records.prompts, dtype=np.uint64)
    groups.join_equal(prompts, np.ones(n, dtype=bool))
    first_with_prompt: dict[Any, int] = {}
    for k, h in enumerate(records.prompts):
        first_with_prompt.setdefault(h, k)
    for k, h in records.prefixes:
        if h in first_with_prompt:
            groups.join(k, first_with_prompt[h])
    for sigs, valid, threshold in (
        (np.concatenate(records.prompt_sigs), np.concatenate(records.prompt_valid), prompt_threshold),
        (np.concatenate(records.whole_sigs), np.concatenate(records.whole_valid), whole_threshold),
    ):
        rep = minhash.representatives(sigs, valid)
        copies = np.flatnonzero((rep >= 0) & (rep != np.arange(n)))
        for a, b in zip(copies.tolist(), rep[copies].tolist()):
            groups.join(a, b)
        earlier, later, _ = minhash.similar_pairs(sigs, rep, threshold)
        for a, b in zip(earlier.tolist(), later.tolist()):
            groups.join(a, b)
    return groups.roots()


def _choose(groups: np.ndarray, labels: list[int] | None, fraction: float, seed: int) -> np.ndarray:
    """Whether each record goes to validation: whole groups in a seeded random order, while
    each class (or the whole file) stays within its share."""
    n = len(groups)
    classes = labels if labels is not None else [0] * n
    target = {c: round(count * fraction) for c, count in Counter(classes).items()}
    members: dict[int, list[int]] = {}
    for k, g in enumerate(groups.tolist()):
        members.setdefault(g, []).append(k)
    order = sorted(members)
    random.Random(seed).shuffle(order)
    taken: Counter[Any] = Counter()
    valid = np.zeros(n, dtype=bool)
    for g in order:
        need = Counter(classes[k] for k in members[g])
        if all(taken[c] + m <= target[c] for c, m in need.items()):
            taken.update(need)
            valid[members[g]] = True
    return valid


def _leaks(records: _Records, valid: np.ndarray, prompt_threshold: float) -> np.ndarray:
    """Validation records that `ftlint check` would report as FT610 or FT611."""
    prompts = np.array(records.prompts, dtype=np.uint64)
    sigs, usable = np.concatenate(records.prompt_sigs), np.concatenate(records.prompt_valid)
    exact = valid & np.isin(prompts, prompts[~valid])
    train, held = np.flatnonzero(~valid & usable), np.flatnonzero(valid & usable)
    match, _ = minhash.most_similar(sigs[train], sigs[held], prompt_threshold)
    exact[held[match >= 0]] = True
    return exact


def split(path: str, fraction: float, seed: int, stratify: bool, force: bool, settings: Any) -> str:
    """Split `path`; returns the summary line. Raises SplitError, OSError."""
    from ftlint import api, conventions
    from ftlint.config import rule_options
    from ftlint.reader import sample_records
    from ftlint.reader import open_binary
    from ftlint.tempfiles import temporary_file

    if not 0 < fraction < 1:
        raise SplitError("--validation-fraction must be between 0 and 1 (e.g. 0.1)")
    if Path(path).suffix.lower() in api.registry().input_readers:
        raise SplitError(f"{path}: a split copies JSON Lines byte for byte: `ftlint convert {path} --to jsonl` first, then split that file")
    name = Path(path).name
    for suffix in (".gz", ".jsonl"):
        name = name.removesuffix(suffix)
    folder = Path(path).parent
    train_path, valid_path = folder / f"{name}.train.jsonl", folder / f"{name}.valid.jsonl"
    existing = [str(p) for p in (train_path, valid_path) if p.exists()]
    if existing and not force:
        raise SplitError(f"{' and '.join(existing)} already exist{'s' if len(existing) == 1 else ''}; --force overwrites")
    rules = api.registry().rules
    thresholds = {code: rule_options(rules[code], settings).threshold for code in ("FT603", "FT611") if code in rules}
    prompt_threshold = thresholds.get("FT611", minhash.DEFAULT_THRESHOLD)
    found = conventions.infer(sample_records(path, settings.max_line_bytes), settings.conventions())
    records = _read(path, found.separator, settings.max_line_bytes)
    if len(records.lines) < 2:
        raise SplitError(f"{path}: {len(records.lines)} record(s): nothing to split")
    groups = _groups(records, prompt_threshold, thresholds.get("FT603", minhash.DEFAULT_THRESHOLD))
    stratified = stratify and found.task == "classification"
    valid = _choose(groups, records.labels if stratified else None, fraction, seed)
    while (leaked := _leaks(records, valid, prompt_threshold)).any():  # a pair the grouping could not see
        valid[np.isin(groups, groups[leaked])] = False
    if not valid.any() or valid.all():
        raise SplitError(f"{path}: no split possible: the records form {len(set(groups.tolist()))} group(s) "
                         "that must stay together")
    to_valid = set(np.array(records.lines)[valid].tolist())
    with temporary_file(f".{name}.train.", ".tmp", str(folder)) as (train_fd, train_tmp), \
            temporary_file(f".{name}.valid.", ".tmp", str(folder)) as (valid_fd, valid_tmp):
        with open_binary(path) as stream, os.fdopen(train_fd, "wb") as train_out, os.fdopen(valid_fd, "wb") as valid_out:
            for number, raw in enumerate(_lines(stream), 1):
                if raw.strip():
                    (valid_out if number in to_valid else train_out).write(raw if raw.endswith(b"\n") else raw + b"\n")
        os.replace(train_tmp, train_path)
        os.replace(valid_tmp, valid_path)
    sizes = Counter(groups.tolist())
    together = sum(1 for size in sizes.values() if size > 1)
    how = "stratified by class" if stratified else "not stratified"
    return (f"{train_path}: {int((~valid).sum()):,} records; {valid_path}: {int(valid.sum()):,} records "
            f"({valid.mean():.1%}, {how}, seed {seed}); {together:,} groups of records kept together "
            f"(largest: {max(sizes.values()):,} records)")


def cmd_split(args: argparse.Namespace) -> int:
    from ftlint import api

    settings = api.load_config(args.config, isolated=args.isolated)
    try:
        print(split(args.file, args.validation_fraction, args.seed, not args.no_stratify, args.force, settings))
    except SplitError as error:
        print(f"ftlint: error: {error}", file=sys.stderr)
        return 2
    return 0


@hookimpl
def ftlint_add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "split", help="split a dataset into training and validation files without leakage",
        description="Write <name>.train.jsonl and <name>.valid.jsonl beside FILE: copies and near-copies, records "
                    "sharing a prompt and rows of one conversation stay on one side; stratified by class.")
    parser.add_argument("file", metavar="FILE")
    parser.add_argument("--validation-fraction", type=float, default=0.1, metavar="F",
                        help="share of the records for validation (default: 0.1)")
    parser.add_argument("--seed", type=int, default=0, help="random seed: the same seed gives the same split (default: 0)")
    parser.add_argument("--no-stratify", action="store_true", help="do not keep the class proportions (classification)")
    parser.add_argument("--force", action="store_true", help="overwrite existing output files")
    parser.add_argument("--config", metavar="FILE", help="config file (thresholds of the near-duplicate rules)")
    parser.add_argument("--isolated", action="store_true", help="ignore all config files")
    parser.set_defaults(handler=cmd_split)
