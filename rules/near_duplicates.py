"""Near-duplicate rules (FT603, FT611, FT613): records whose texts are almost the same, found
with MinHash signatures and LSH (see `ftlint.minhash` for the normalisation, the shingles and
the accuracy of the estimate).

Each rule keeps its own `Sketches` state: per compared record its line number, a 64-byte
signature (128 MinHash values of 4 bits, which are also its 16 LSH band keys) and the 64-bit
hashes of its exact prompt and answer texts (so that exact copies stay FT601/FT602/FT610's
findings), never the text: 84 bytes a record. Batches are kept as numpy arrays in file order
and `merge` appends the later partition's, so partitions merge in any tree. Signatures are
computed once per batch and shared by the rules (`Batch.derived`).

The state is keyed (`DatasetRule.keyed`) by LSH band key: a bucket holds the records with a
band key in it, with the bands where they do. Everything the comparisons of a band key need is
in its bucket: the records that share the key (so each band's runs, and the `WINDOW` of earlier
records each is compared with, are the same as in the whole state) and a record's exact copies
and signature copies, which share all its keys. A bucket is reduced to its verified pairs (and
signature copies, FT603; best training match per validation record, FT611); the report joins
them, so findings do not depend on the number of buckets. Locally the state is one bucket.

These rules cost about as much as all the others together (at 1M records of 350 bytes, about
38 CPU seconds against 35 for the rest of `check`, most of it computing signatures: see
benchmarks/README.md), so they run only when selected: `--select ALL`, their codes or names,
or a prefix that covers them (`FT6`).
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from ftlint import Applicability, Batch, Context, DatasetRule, Diagnostic, Edit, Fix, Location, Rule, Severity, hookimpl, minhash
from ftlint.record_text import answer_texts, conversation_prefixes_of, prompt_hashes, similarity_texts_of, text_hashes

MAX_NAMED = 5  # lines named in one message


def _exact_keys(batch: Batch) -> np.ndarray:
    """n x 2 uint64: the hash of each record's prompt text and of its answer text."""
    return np.array([prompt_hashes(batch), text_hashes(answer_texts(batch))], dtype=np.uint64).T.copy()


def _prompt_signatures(batch: Batch) -> tuple[np.ndarray, np.ndarray]:
    return minhash.signatures(similarity_texts_of(batch)[0])


def _whole_signatures(batch: Batch) -> tuple[np.ndarray, np.ndarray]:
    """Signatures of the prompt and answer texts together (records without an answer: none)."""
    prompts, answers = similarity_texts_of(batch)
    return minhash.signatures([None if p is None or a is None else p + "\n" + a for p, a in zip(prompts, answers)])


@dataclass
class Sketches:
    """Mergeable state: per compared record its line, signature and exact hashes (prompt,
    answer), as per-batch numpy arrays in file order; for FT603 also the hashes of earlier-turn
    prompts with their owners' lines. `path` is the file's displayed name. A key bucket's part
    (`split`) also has, per row, the bands in which its key falls in the bucket (`bands`)."""

    path: str = ""
    lines: list[np.ndarray] = field(default_factory=list)
    sigs: list[np.ndarray] = field(default_factory=list)
    keys: list[np.ndarray] = field(default_factory=list)
    prefix_lines: list[np.ndarray] = field(default_factory=list)
    prefix_hashes: list[np.ndarray] = field(default_factory=list)
    bands: list[np.ndarray] = field(default_factory=list)

    def add(self, batch: Batch, ctx: Context, sigs: np.ndarray, valid: np.ndarray) -> None:
        self.path = self.path or ctx.path
        if valid.any():
            self.lines.append(batch.line_array()[valid])
            self.sigs.append(sigs[valid])
            self.keys.append(batch.derived(_exact_keys)[valid])

    def merge(self, later: Sketches) -> Sketches:
        self.path = self.path or later.path
        self.lines += later.lines
        self.sigs += later.sigs
        self.keys += later.keys
        self.prefix_lines += later.prefix_lines
        self.prefix_hashes += later.prefix_hashes
        self.bands += later.bands
        return self

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(lines, signatures, exact keys) of the whole file, concatenated anew on each call."""
        if not self.lines:
            return (np.empty(0, np.uint32), np.empty((0, minhash.SIGNATURE_BYTES), np.uint8),
                    np.empty((0, 2), np.uint64))
        return np.concatenate(self.lines), np.concatenate(self.sigs), np.concatenate(self.keys)

    def band_mask(self) -> np.ndarray | None:
        """A key bucket's part: n x BANDS, whether row i is compared in band b; else None (all)."""
        return np.concatenate(self.bands) if self.bands else None

    def conversation_pairs(self) -> set[tuple[int, int]]:
        """(line, prompt hash) of every earlier-turn prompt of a record."""
        if not self.prefix_lines:
            return set()
        return set(zip(np.concatenate(self.prefix_lines).tolist(), np.concatenate(self.prefix_hashes).tolist()))

    def split(self, buckets: int, salt: np.ndarray | None) -> tuple[Sketches, list[Sketches]]:
        """(rest, parts): the path and conversation prefixes; per key bucket, the rows that have
        a band key (salted as the rule compares: `salt`, per row of `arrays()`) in it, with the
        bands where they do. Equal signatures share every band key: a row's copies, and the
        rows it is compared with in a band, are in its bucket of that band."""
        rest = Sketches(self.path, prefix_lines=self.prefix_lines, prefix_hashes=self.prefix_hashes)
        if buckets == 1:
            return rest, [Sketches(self.path, self.lines, self.sigs, self.keys)]
        lines, sigs, keys = self.arrays()
        flat = minhash.band_buckets(minhash.band_keys(sigs, salt), buckets).ravel()  # row-major: row * BANDS + band
        order = np.argsort(flat, kind="stable")
        bounds = np.searchsorted(flat[order], np.arange(buckets + 1))
        parts = []
        for start, end in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
            rows, band = np.divmod(order[start:end], minhash.BANDS)  # rows ascending: file order kept
            chosen, row = np.unique(rows, return_inverse=True)
            mask = np.zeros((len(chosen), minhash.BANDS), dtype=bool)
            mask[row, band] = True
            parts.append(Sketches(self.path, [lines[chosen]], [sigs[chosen]], [keys[chosen]], bands=[mask]))
        return rest, parts


def _first_occurrences(keys: np.ndarray) -> np.ndarray:
    """Whether each row of `keys` (n x 2 hashes) is the first with its value."""
    combined = keys[:, 0] * np.uint64(0x9E3779B97F4A7C15) ^ keys[:, 1]
    order = np.argsort(combined, kind="stable")
    first = np.ones(len(keys), dtype=bool)
    first[order[1:]] = combined[order[1:]] != combined[order[:-1]]
    return first


@dataclass(frozen=True)
class Threshold:
    """The options of the near-duplicate rules."""

    threshold: float = minhash.DEFAULT_THRESHOLD

    def __post_init__(self) -> None:
        if not 0 < self.threshold <= 1:
            from ftlint.api import ConfigError

            raise ConfigError(f"option threshold must be above 0 and at most 1, not {self.threshold}")


def _named(lines_and_sims: list[tuple[int, float]], ctx: Context) -> str:
    shown = ", ".join(f"{ctx.line_name(line)} ({sim:.2f})" for line, sim in lines_and_sims[:MAX_NAMED])
    more = len(lines_and_sims) - MAX_NAMED
    return shown + (f" and {more:,} more" if more > 0 else "")


class NearDuplicateRule(DatasetRule):
    """Base of the near-duplicate rules: a `Sketches` state keyed by LSH band key (an engine
    may compare each bucket of band keys on another machine), a similarity threshold."""

    opt_in = True  # costly: only when selected
    keyed = True
    Options = Threshold

    def new_state(self) -> Sketches:
        return Sketches()

    def merge(self, a: Sketches, b: Sketches) -> Sketches:
        return a.merge(b)

    def salt(self, keys: np.ndarray, ctx: Context) -> np.ndarray | None:
        """What the rule salts its band keys with (per row: its exact keys), if anything."""
        return None

    def split(self, state: Sketches, buckets: int, ctx: Context) -> tuple[Sketches, list[Sketches]]:
        return state.split(buckets, None if buckets == 1 else self.salt(state.arrays()[2], ctx))


class NearDuplicate(NearDuplicateRule):
    """Records are near-copies of an earlier record.

    ## What it does
    Finds clusters of records whose text (prompt and answer together) is almost the same:
    estimated Jaccard similarity at or above `threshold` (default 0.85) between the character
    3-grams of the normalised texts (Unicode NFKC, case folded, without spaces and
    punctuation). Each cluster is reported once, on the line of its first record, naming the
    others with their estimated similarity to it; every member is similar to that first record.
    Typical finds: a text with a word or two changed, a copy with different case, spacing or
    punctuation, a trailing space or URL.

    Not reported here: exact copies (FT601 reports them) and, for classification, records
    with different labels (FT613 reports near-identical prompts with different labels: for
    classification, near-copies must have the same label). Rows that extend one conversation
    (a chatbot trained one row per turn, where each row's prompt is the conversation so far
    and so begins with the earlier rows' prompts) are not near-duplicates of each other.

    The estimate comes from 128 MinHash values (standard error about 0.03 near 0.85): a pair
    exactly at the threshold is found about half the time, a pair 0.05 above it 19 times in 20.

    ## Why
    A near-copy weighs its example more than the others, like an exact copy, and is the usual
    trace of scraped pages with boilerplate, re-exported data or augmentation gone wrong. It
    is also how validation sets leak (FT611).

    ## Example
    ```
    {"prompt": "Great movie, loved the cast!\\n\\n###\\n\\n", "completion": " positive"}
    {"prompt": "great movie loved the cast\\n\\n###\\n\\n", "completion": " positive"}
    ```
    Line 1 is reported: line 2 is a near-copy of it (similarity 1.00 after normalisation).

    ## Use instead
    ```
    {"prompt": "Great movie, loved the cast!\\n\\n###\\n\\n", "completion": " positive"}
    ```
    (one of the copies kept; or a second example that differs in substance).

    ## Fix
    Keep the first record of each cluster and drop the others (unsafe: it changes the
    dataset). The dropped records are written to `<name>.removed.jsonl` with their line numbers.

    ## Options
    - `threshold`: the estimated Jaccard similarity from which records are near-duplicates.
    """

    code = "FT603"
    name = "near-duplicate"
    severity = Severity.WARNING

    def observe(self, state: Sketches, batch: Batch, ctx: Context) -> None:
        classification = ctx.conventions.task == "classification"
        state.add(batch, ctx, *batch.derived(_prompt_signatures if classification else _whole_signatures))
        prefixes = conversation_prefixes_of(batch, ctx.conventions.separator)
        if prefixes:
            state.prefix_lines.append(np.array([batch.lines[i] for i, _ in prefixes], dtype=np.int64))
            state.prefix_hashes.append(np.array(text_hashes([text for _, text in prefixes]), dtype=np.uint64))

    def salt(self, keys: np.ndarray, ctx: Context) -> np.ndarray | None:
        # for classification the signature is the prompt's and the label must be equal
        return keys[:, 1] if ctx.conventions.task == "classification" else None

    def reduce(self, part: Sketches, ctx: Context) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
        """(pairs, copies) of a bucket: the similar pairs of representatives (earlier and later
        line, similarity, earlier and later prompt hash), and the records with the signature of
        an earlier one (line, that one's line, both prompt hashes; a part's band 0 only)."""
        lines, sigs, keys = part.arrays()
        lines, prompts, salt, bands = lines.astype(np.int64), keys[:, 0], self.salt(keys, ctx), part.band_mask()
        rep = minhash.representatives(sigs, _first_occurrences(keys), salt)
        earlier, later, sims = minhash.similar_pairs(sigs, rep, self.options.threshold, salt, bands)
        copied = (rep >= 0) & (rep != np.arange(len(rep)))
        copies = np.flatnonzero(copied if bands is None else copied & bands[:, 0])
        first = rep[copies]
        return ((lines[earlier], lines[later], sims, prompts[earlier], prompts[later]),
                (lines[copies], lines[first], prompts[copies], prompts[first]))

    def report_reduced(self, rest: Sketches, results: list[tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]], ctx: Context) -> Iterator[Diagnostic]:
        earlier, later, sims, earlier_prompts, later_prompts = _pairs_in_order([pairs for pairs, _ in results])
        copy_lines, first_lines, copy_prompts, first_prompts = (np.concatenate(c) for c in zip(*(copies for _, copies in results)))
        conversations = rest.conversation_pairs()

        def one_conversation(i: int, j: int, prompt_i: int, prompt_j: int) -> bool:
            """Whether line j's prompt is line i's conversation continued (or the other way round)."""
            return (j, prompt_i) in conversations or (i, prompt_j) in conversations

        leader: dict[int, tuple[int, float]] = {}  # member -> (first record of its cluster, similarity)
        for i, j, sim, prompt_i, prompt_j in zip(earlier.tolist(), later.tolist(), sims.tolist(), earlier_prompts.tolist(), later_prompts.tolist()):
            if j in leader or i in leader:
                continue  # j already joined an earlier cluster; i is not a cluster's first record
            if not one_conversation(i, j, prompt_i, prompt_j):
                leader[j] = (i, sim)
        members: dict[int, list[tuple[int, float]]] = {}  # first record -> [(member, similarity)]
        for k, (first, sim) in leader.items():
            members.setdefault(first, []).append((k, sim))
        order = np.argsort(copy_lines, kind="stable")
        for k, r, prompt_k, prompt_r in zip(copy_lines[order].tolist(), first_lines[order].tolist(),
                                            copy_prompts[order].tolist(), first_prompts[order].tolist()):
            if one_conversation(r, k, prompt_r, prompt_k):
                continue  # a turn added to a long conversation can leave its signature as it was
            first, sim = leader.get(r, (r, 1.0))
            members.setdefault(first, []).append((k, sim))
        for first in sorted(members):
            named = sorted(members[first])
            fix = Fix(f"Keep line {ctx.line_name(first)}, drop its {len(named):,} near-copies",
                      tuple(Edit(line, "drop") for line, _ in named), Applicability.UNSAFE)
            what = "a near-copy" if len(named) == 1 else f"{len(named):,} near-copies"
            yield self.diagnostic(
                ctx, first,
                f"{what} of this record (estimated similarity): line{'s' if len(named) > 1 else ''} "
                f"{_named(named, ctx)}; each copy weighs the example more: keep one",
                fix=fix, related=tuple(Location(ctx.path, line) for line, _ in named[:MAX_NAMED]),
            )


def _pairs_in_order(columns: list[tuple[np.ndarray, ...]]) -> list[np.ndarray]:
    """The buckets' pairs (columns earlier line, later line, ...) together, each pair once (a
    pair may share bands of several buckets), by later then earlier line."""
    joined = [np.concatenate(column) for column in zip(*columns)]
    earlier, later = joined[0], joined[1]
    order = np.lexsort((earlier, later))
    earlier, later = earlier[order], later[order]
    once = np.ones(len(order), dtype=bool)
    once[1:] = (earlier[1:] != earlier[:-1]) | (later[1:] != later[:-1])
    return [column[order[once]] for column in joined]


class ValidationNearLeak(NearDuplicateRule):
    """A validation example's prompt is a near-copy of a training prompt.

    ## What it does
    With `--validation`, reports each validation record whose prompt text has an estimated
    Jaccard similarity at or above `threshold` (default 0.85) with the prompt text of a
    training record (normalised and compared as in FT603), naming the most similar training
    line. Exact copies of a training prompt are FT610's finding, not this rule's.

    ## Why
    OpenAI's fine-tuning guide requires the training and validation files to be mutually
    exclusive. A validation prompt that differs from a training prompt only in case,
    punctuation or a word is not new to the model: the validation loss and accuracy measure
    memorisation and look better than the model is. `ftlint split` makes a split without it.

    ## Example
    Training file, line 8:
    ```
    {"prompt": "Review: A warm, funny film.\\n\\n###\\n\\n", "completion": " positive"}
    ```
    Validation file, line 1:
    ```
    {"prompt": "review: a warm funny film!\\n\\n###\\n\\n", "completion": " positive"}
    ```
    Validation line 1 is reported, naming training line 8.

    ## Use instead
    Training and validation files whose prompts are not near-copies of each other: split near
    duplicates together (`ftlint split`), never across the two files.

    ## Fix
    Drop the record from the validation file (unsafe: it changes the validation set). The
    dropped record is written to `<validation name>.removed.jsonl` with its line number.

    ## Options
    - `threshold`: the estimated Jaccard similarity from which prompts are near-copies.
    """

    code = "FT611"
    name = "validation-near-leak"
    severity = Severity.ERROR
    pair_only = True

    def observe(self, state: Sketches, batch: Batch, ctx: Context) -> None:
        state.add(batch, ctx, *batch.derived(_prompt_signatures))

    def reduce_pair(self, train: Sketches, validation: Sketches, ctx: Context) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(validation line, training line, similarity): each validation record of the bucket
        with its most similar training record (the earliest among equals), exact copies left
        to FT610 (an exact copy of a validation prompt has its signature, so its buckets)."""
        train_lines, train_sigs, train_keys = train.arrays()
        lines, sigs, keys = validation.arrays()
        bands = validation.band_mask()
        if bands is not None:
            bands = (np.concatenate([np.zeros((0, minhash.BANDS), dtype=bool), *train.bands]), bands)
        match, similarity = minhash.most_similar(train_sigs, sigs, self.options.threshold, bands)
        exact = np.isin(keys[:, 0], train_keys[:, 0])  # FT610's
        found = np.flatnonzero((match >= 0) & ~exact)
        return lines[found].astype(np.int64), train_lines[match[found]].astype(np.int64), similarity[found]

    def report_pair_reduced(self, train: Sketches, validation: Sketches, results: list[tuple[np.ndarray, np.ndarray, np.ndarray]], ctx: Context) -> Iterator[Diagnostic]:
        lines, train_lines, similarity = (np.concatenate(column) for column in zip(*results))
        order = np.lexsort((train_lines, -similarity, lines))  # per validation line the most similar first
        best = order[np.r_[True, lines[order][1:] != lines[order][:-1]]] if len(order) else order
        for line, train_line, sim in zip(lines[best].tolist(), train_lines[best].tolist(), similarity[best].tolist()):
            fix = Fix("Drop the record from the validation file", (Edit(line, "drop"),), Applicability.UNSAFE)
            yield self.diagnostic(
                ctx, line,
                f"prompt is a near-copy of training line {ctx.line_name(train_line)} (estimated similarity "
                f"{sim:.2f}): the validation metrics would overstate the model; drop it from the "
                f"validation file or re-split with `ftlint split`",
                fix=fix, related=(Location(train.path, train_line),),
            )


class ConflictingNearDuplicates(NearDuplicateRule):
    """Near-identical prompts have different labels.

    ## What it does
    For classification datasets, reports each record whose prompt text is a near-copy
    (estimated Jaccard similarity at or above `threshold`, default 0.85, normalised and
    compared as in FT603) of an earlier record's prompt with a different label, naming up to
    five such earlier lines. Identical prompts with different labels are FT602's finding.

    ## Why
    Two texts that differ only in case, punctuation or a word rarely deserve different
    classes: one of the labels is usually wrong (label noise), and the model learns that the
    label is a coin toss for such inputs. Sometimes the changed word is the point ("good" /
    "not good"): then the pair is right and teaches the model what matters.

    ## Example
    ```
    {"prompt": "The plot is thin but the cast is great.\\n\\n###\\n\\n", "completion": " positive"}
    {"prompt": "the plot is thin, but the cast is great!\\n\\n###\\n\\n", "completion": " negative"}
    ```
    Line 2 is reported: line 1 has a near-identical prompt with another label.

    ## Use instead
    ```
    {"prompt": "The plot is thin but the cast is great.\\n\\n###\\n\\n", "completion": " positive"}
    ```
    (one label for one review, whichever way it is written).

    ## Fix
    None automatic: decide which label is right and relabel or delete the other records.

    ## Options
    - `threshold`: the estimated Jaccard similarity from which prompts are near-copies.
    """

    code = "FT613"
    name = "conflicting-near-duplicates"
    severity = Severity.WARNING

    def observe(self, state: Sketches, batch: Batch, ctx: Context) -> None:
        if ctx.conventions.task == "classification":
            state.add(batch, ctx, *batch.derived(_prompt_signatures))

    def reduce(self, part: Sketches, ctx: Context) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(earlier line, later line, similarity) of the bucket's near-identical prompts with
        different labels (and different prompts: FT602's)."""
        lines, sigs, keys = part.arrays()
        labels = keys[:, 1]
        rep = minhash.representatives(sigs, np.ones(len(lines), dtype=bool), labels)
        earlier, later, sims = minhash.similar_pairs(sigs, rep, self.options.threshold, bands=part.band_mask())
        conflict = (labels[earlier] != labels[later]) & (keys[earlier, 0] != keys[later, 0])
        lines = lines.astype(np.int64)
        return lines[earlier[conflict]], lines[later[conflict]], sims[conflict]

    def report_reduced(self, rest: Sketches, results: list[tuple[np.ndarray, np.ndarray, np.ndarray]], ctx: Context) -> Iterator[Diagnostic]:
        earlier, later, sims = _pairs_in_order(results)
        conflicts: dict[int, list[tuple[int, float]]] = {}
        for i, j, sim in zip(earlier.tolist(), later.tolist(), sims.tolist()):
            conflicts.setdefault(j, []).append((i, sim))
        for j, named in conflicts.items():
            yield self.diagnostic(
                ctx, j,
                f"prompt is a near-copy of line{'s' if len(named) > 1 else ''} {_named(named, ctx)} (estimated "
                f"similarity) with a different label: one of the labels is probably wrong",
                pointer="/completion", related=tuple(Location(ctx.path, line) for line, _ in named[:MAX_NAMED]),
            )


@hookimpl
def ftlint_get_rules() -> list[type[Rule]]:
    return [NearDuplicate, ValidationNearLeak, ConflictingNearDuplicates]
