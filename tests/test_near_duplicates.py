"""Near-duplicate rules (FT603, FT611, FT613) and their MinHash machinery, on real text with
planted near-copies (tests/data/near_duplicate_texts.jsonl: VADER tweets and editorial
passages of 50-80 words)."""
from __future__ import annotations

import json
import random
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from ftlint import api, minhash
from ftlint.conventions import Conventions
from ftlint.reader import parse_lines
from ftlint.rule import Context
from ftlint_rules.near_duplicates import ConflictingNearDuplicates, NearDuplicate, ValidationNearLeak
from near_copies import surface_edit, word_edit

DATA = Path(__file__).parent / "data"
SEP = "\n\n###\n\n"


def _texts() -> tuple[list[str], list[str]]:
    rows = [json.loads(line) for line in (DATA / "near_duplicate_texts.jsonl").read_text(encoding="utf-8").splitlines()]
    return [r["text"] for r in rows if r["source"] == "vader-tweets"], [r["text"] for r in rows if r["source"] == "vader-nyt"]


def _reference_shingles(text: str) -> set[str]:
    """The shingle set by the documented definition, written independently of ftlint.minhash."""
    kept = "".join(c for c in unicodedata.normalize("NFKC", text).casefold() if unicodedata.category(c)[0] in "LNMS")
    return {kept[i : i + 3] for i in range(max(len(kept) - 2, 1))} if kept else set()


def _jaccard(a: str, b: str) -> float:
    x, y = _reference_shingles(a), _reference_shingles(b)
    return len(x & y) / len(x | y)


def _planted(seed: int = 15) -> tuple[list[str], list[str], list[tuple[int, int]]]:
    """(originals, copies, planted): 100 long passages with a word or two changed and 100
    tweets with case, spacing or punctuation edits; planted[k] = (original index, copy index)."""
    tweets, passages = _texts()
    rng = random.Random(seed)
    vocabulary = sorted({w for p in passages for w in p.split()})
    originals = tweets + passages
    copies, planted = [], []
    for k in rng.sample(range(len(tweets)), 100):
        planted.append((k, len(copies)))
        copies.append(surface_edit(rng, tweets[k]))
    for k in rng.sample(range(len(passages)), 100):
        planted.append((len(tweets) + k, len(copies)))
        copies.append(word_edit(rng, passages[k], vocabulary))
    return originals, copies, planted


def _record(text: str) -> dict:
    """A generation record: the text's first half as the prompt, its second half as the answer."""
    words = text.split(" ")
    half = len(words) // 2
    return {"prompt": " ".join(words[:half]) + SEP, "completion": " " + " ".join(words[half:]) + " END"}


def _question(text: str) -> dict:
    """A record whose prompt is the whole text (FT611 compares prompts)."""
    return {"prompt": text + SEP, "completion": " " + text.split()[0] + " END"}


def _write(path: Path, records: list[dict]) -> str:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return str(path)


def test_near_duplicate_finds_planted_copies_and_joins_nothing_dissimilar(tmp_path: Path) -> None:
    originals, copies, planted = _planted()
    texts = originals + copies
    order = list(range(len(texts)))
    random.Random(1).shuffle(order)  # copies before and after their originals
    line_of = {k: line for line, k in enumerate(order, 1)}
    path = _write(tmp_path / "train.jsonl", [_record(texts[k]) for k in order])
    result = api.check([path], select=["FT603"])
    clusters = [d for d in result.diagnostics if d.code == "FT603"]
    member_of = {}
    for d in clusters:
        for edit in d.fix.edits:
            member_of[edit.line] = d.location.line
    text_at = {line: texts[k] for k, line in line_of.items()}
    found = 0
    for original, copy in planted:
        a, b = line_of[original], line_of[len(originals) + copy]
        first = min(a, b)
        found += member_of.get(max(a, b)) == first or member_of.get(a) == member_of.get(b) is not None
    assert found >= 0.95 * len(planted), f"{found} of {len(planted)} planted near-copies found"
    for member, first in member_of.items():  # every member is really similar to its cluster's first
        similarity = _jaccard(text_at[member], text_at[first])
        assert similarity >= 0.7, (similarity, text_at[first], text_at[member])


def test_validation_near_leak_finds_planted_copies(tmp_path: Path) -> None:
    originals, copies, planted = _planted(seed=16)
    train = _write(tmp_path / "train.jsonl", [_question(t) for t in originals])
    fresh = [_question(f"Entirely new text number {k}: " + "unrelated words " * (k % 7)) for k in range(20)]
    valid = _write(tmp_path / "valid.jsonl", [_question(t) for t in copies] + fresh)
    result = api.check([train], validation=valid, select=["FT610", "FT611"])
    leaks = {d.location.line: d.related[0].line for d in result.diagnostics if d.code == "FT611"}
    exact = {d.location.line for d in result.diagnostics if d.code == "FT610"}
    found = sum(1 for original, copy in planted if leaks.get(copy + 1) == original + 1 or copy + 1 in exact)
    assert found >= 0.95 * len(planted), f"{found} of {len(planted)} planted leaks found"
    assert not set(leaks) & exact  # one cause, one finding
    assert all(line <= len(copies) for line in leaks)  # the fresh records did not leak
    for line, train_line in leaks.items():
        assert _jaccard(copies[line - 1], originals[train_line - 1]) >= 0.7


def _agent_rows(turns: list[tuple[str, str]], summary: str) -> list[dict]:
    """The guide's chatbot recipe: one row per agent turn, the prompt is the conversation so far."""
    rows, so_far = [], f"Summary: {summary}{SEP}"
    for customer, agent in turns:
        so_far += f"Customer: {customer}\nAgent:"
        rows.append({"prompt": so_far, "completion": f" {agent}\n"})
        so_far += f" {agent}\n"
    return rows


def test_rows_extending_one_conversation_are_not_near_duplicates(tmp_path: Path) -> None:
    _, passages = _texts()
    turns = [("My order has not arrived.", "Sorry! The number?"), ("It is 4411.", "Thanks."),
             ("Will it come soon?", "Tomorrow."), ("Great, thank you.", "You are welcome.")]
    rows = _agent_rows(turns, " ".join(passages[:3]))
    # without the exemption, consecutive rows would be near-duplicates: the test can fail
    sigs, _ = minhash.signatures([r["prompt"] + "\n" + r["completion"] for r in rows])
    assert minhash.similarity(sigs[1:2], sigs[2:3])[0] >= 0.85
    messages = [{"role": "system", "content": "You are a helpful assistant."}]
    chat = []
    for (customer, agent), passage in zip(turns, passages[3:]):
        messages = messages + [{"role": "user", "content": f"{customer} {passage}" if len(messages) == 1 else customer},
                               {"role": "assistant", "content": agent}]
        chat.append({"messages": messages})
    for name, records in (("agent.jsonl", rows), ("chat.jsonl", chat)):
        result = api.check([_write(tmp_path / name, records)], select=["FT603"])
        assert [d for d in result.diagnostics if d.code == "FT603"] == [], name
    # a row that repeats a turn with another answer is still a near-duplicate
    copy = dict(rows[2], completion=" Tomorrow morning.\n")
    result = api.check([_write(tmp_path / "copy.jsonl", rows + [copy])], select=["FT603"])
    assert [(d.location.line, [e.line for e in d.fix.edits]) for d in result.diagnostics if d.code == "FT603"] == [(3, [5])]


def test_a_turn_that_leaves_a_long_conversations_signature_unchanged_is_not_a_near_duplicate(tmp_path: Path) -> None:
    """Records with equal signatures are grouped before any pair is compared; the exemption of
    rows that extend one conversation holds there too (a long conversation and a short turn
    give equal signatures: found when the signatures came from another sketch)."""
    _, passages = _texts()
    rows = _agent_rows([("Hi.", "Hello."), ("Thanks.", "Bye.")], " ".join(passages[:60]))
    sigs, _ = minhash.signatures([r["prompt"] + "\n" + r["completion"] for r in rows])
    assert (sigs[0] == sigs[1]).all()  # the test can fail: the rows are grouped as copies
    result = api.check([_write(tmp_path / "agent.jsonl", rows)], select=["FT603"])
    assert [d for d in result.diagnostics if d.code == "FT603"] == []


def test_conflicting_near_duplicates_on_real_reviews(tmp_path: Path) -> None:
    tweets, _ = _texts()
    records = [{"prompt": t + SEP, "completion": " positive" if k % 2 else " negative"} for k, t in enumerate(tweets[:60])]
    records.append({"prompt": tweets[4].upper() + "!" + SEP, "completion": " positive"})  # line 5 is negative
    records.append({"prompt": tweets[7].lower() + SEP, "completion": " positive"})  # same label: FT603's
    records.append({"prompt": tweets[9] + SEP, "completion": " negative"})  # identical prompt: FT602's
    result = api.check([_write(tmp_path / "train.jsonl", records)], select=["FT602", "FT603", "FT613"])
    found = sorted((d.code, d.location.line) for d in result.diagnostics)
    assert found == [("FT602", 63), ("FT603", 8), ("FT613", 61)]


def _batches(records: list[dict], size: int) -> list:
    raws = [json.dumps(r).encode() for r in records]
    return [parse_lines(raws[k : k + size], k + 1, "t.jsonl") for k in range(0, len(raws), size)]


@pytest.mark.parametrize("rule_class", [NearDuplicate, ConflictingNearDuplicates])
def test_state_merges_across_partitions(rule_class: type) -> None:
    originals, copies, _ = _planted()
    records = [{"prompt": t + SEP, "completion": " positive" if len(t) % 3 else " negative"} for t in originals + copies]
    ctx = Context("t.jsonl", Conventions(format="prompt-completion", task="classification", separator=SEP))
    rule = rule_class()
    whole = rule.new_state()
    for batch in _batches(records, len(records)):
        rule.observe(whole, batch, ctx)
    parts = []
    for batch in _batches(records, 97):
        state = rule.new_state()
        rule.observe(state, batch, ctx)
        parts.append(state)
    # a tree of merges, as partitions would merge: ((p0 p1) (p2 p3)) ...
    while len(parts) > 1:
        parts = [rule.merge(parts[k], parts[k + 1]) if k + 1 < len(parts) else parts[k] for k in range(0, len(parts), 2)]
    expected = list(rule.report(whole, ctx))
    assert expected and list(rule.report(parts[0], ctx)) == expected
    assert sum(a.nbytes for a in parts[0].sigs) == 64 * len(records)  # no text kept: 64 bytes a record


def test_normalisation_makes_surface_edits_identical() -> None:
    texts = ["Great movie, loved the CAST!", "great  movie loved the cast", "ｇｒｅａｔ movie: loved the cast...",
             "Great movie, hated the cast!", "", "  ...  ", None]
    sigs, valid = minhash.signatures(texts)
    assert valid.tolist() == [True, True, True, True, False, False, False]
    assert (sigs[0] == sigs[1]).all() and (sigs[0] == sigs[2]).all()
    assert minhash.similarity(sigs[0:1], sigs[3:4])[0] < 0.85


def test_similarity_estimates_exact_jaccard() -> None:
    tweets, passages = _texts()
    rng = random.Random(3)
    vocabulary = sorted({w for p in passages for w in p.split()})
    pairs = [(p, word_edit(rng, p, vocabulary)) for p in passages[:100]] + [(a, b) for a, b in zip(tweets[:100], tweets[100:200])]
    sigs, _ = minhash.signatures([t for pair in pairs for t in pair])
    estimates = minhash.similarity(sigs[0::2], sigs[1::2])
    errors = estimates - np.array([_jaccard(a, b) for a, b in pairs])
    assert abs(errors.mean()) < 0.01 and errors.std() < 0.04


def test_lsh_finds_every_similar_pair_that_shares_a_band_key() -> None:
    """`similar_pairs` against every pair compared as documented (in each band, a record with
    the `WINDOW` records before it that share its key): near-copies of random signatures with
    values changed anywhere or only in the first half (which the verification looks at first),
    as many as the threshold allows and one more; and a family of more than `WINDOW` records
    sharing half their band keys."""
    rng = np.random.default_rng(5)

    def changed(rows: np.ndarray, count: int, values: range) -> np.ndarray:
        rows = rows.copy()
        for row in rows:
            for value in rng.choice(values, count, replace=False):
                row[value // 2] ^= rng.integers(1, 16) << (4 * (value % 2))
        return rows

    bases = rng.integers(0, 256, size=(150, minhash.SIGNATURE_BYTES), dtype=np.uint8)
    rows = [bases] + [changed(bases, count, range(minhash.NUM_PERM // (2 if first_half else 1)))
                      for count, first_half in [(5, False), (17, True), (18, True), (19, True), (18, False), (19, False), (30, False)]]
    rows.append(changed(np.repeat(bases[:1], minhash.WINDOW + 40, axis=0), 8, range(minhash.NUM_PERM // 2, minhash.NUM_PERM)))
    sigs = np.concatenate(rows)
    rep = minhash.representatives(sigs, np.ones(len(sigs), dtype=bool))
    reps = np.flatnonzero(rep == np.arange(len(rep)))
    keys = minhash.band_keys(sigs)
    for threshold in (0.85, 0.7):
        earlier, later, sims = minhash.similar_pairs(sigs, rep, threshold)
        compared = set()
        for band in range(minhash.BANDS):
            runs: dict[int, list[int]] = {}
            for j in reps.tolist():
                run = runs.setdefault(int(keys[j, band]), [])
                compared |= {(i, j) for i in run[-minhash.WINDOW :]}
                run.append(j)
        expected = {(i, j) for i, j in compared if minhash.similarity(sigs[i : i + 1], sigs[j : j + 1])[0] >= threshold}
        assert set(zip(earlier.tolist(), later.tolist())) == expected
        assert np.array_equal(sims, minhash.similarity(sigs[earlier], sigs[later]))
        assert len(expected) > 150 * 3  # the near-copies are found


def test_shingles_follow_the_documented_definition() -> None:
    rng = random.Random(0)
    for alphabet in ("ab c.d,Ｅé😀 !\0\x7f", "abc d", "aZ9$~ .,!\t\0", "ab\u0301ß"):
        for _ in range(200):
            texts = ["".join(rng.choice(alphabet) for _ in range(rng.randrange(9))) for _ in range(rng.randrange(8))]
            hashes, offsets = minhash.shingles(texts)
            assert len(offsets) == len(texts) + 1
            for k, text in enumerate(texts):
                kept = "".join(c for c in unicodedata.normalize("NFKC", text).casefold() if unicodedata.category(c)[0] in "LNMS")
                grams = [kept[i : i + 3] for i in range(max(len(kept) - 2, 1))] if kept else []
                codes = [sum(ord(c) << 21 * (2 - i) for i, c in enumerate(g)) for g in grams]
                assert hashes[int(offsets[k]) : int(offsets[k + 1])].tolist() == codes, (texts, k)


def test_threshold_option_is_checked(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from ftlint.cli import main

    path = _write(tmp_path / "train.jsonl", [_record("a text long enough to compare " * 3)])
    config = tmp_path / "ftlint.toml"
    config.write_text("[rules.near-duplicate]\nthreshold = 1.5\n", encoding="utf-8")
    assert main(["check", path, "--select", "FT603", "--config", str(config)]) == 2
    assert "threshold must be above 0 and at most 1" in capsys.readouterr().err


def _keyed_findings(rule, states: list, buckets: int, ctx: Context, pair_with: list | None = None) -> list:
    """A keyed rule's findings as an engine spreading the dataset over machines gets them: each
    partition's state split into `buckets`, each bucket's parts merged in file order and
    reduced on its own, the rests merged, then one report from the rests and the results."""
    def spread(partials: list) -> tuple:
        splits = [rule.split(state, buckets, ctx) for state in partials]
        rest = splits[0][0]
        for later, _ in splits[1:]:
            rest = rule.merge(rest, later)
        parts = []
        for b in range(buckets):
            part = splits[0][1][b]
            for _, later in splits[1:]:
                part = rule.merge(part, later[b])
            parts.append(part)
        return rest, parts

    rest, parts = spread(states)
    if pair_with is None:
        return list(rule.report_reduced(rest, [rule.reduce(part, ctx) for part in parts], ctx))
    train_rest, train_parts = spread(pair_with)
    results = [rule.reduce_pair(train, part, ctx) for train, part in zip(train_parts, parts)]
    return list(rule.report_pair_reduced(train_rest, rest, results, ctx))


def _partition_states(rule, records: list[dict], ctx: Context, size: int) -> tuple:
    """The rule's state of the whole file, and its states of partitions of `size` records."""
    whole = rule.new_state()
    for batch in _batches(records, len(records)):
        rule.observe(whole, batch, ctx)
    partials = []
    for batch in _batches(records, size):
        state = rule.new_state()
        rule.observe(state, batch, ctx)
        partials.append(state)
    return whole, partials


@pytest.mark.parametrize("task", ["classification", "generation"])
@pytest.mark.parametrize("rule_class", [NearDuplicate, ConflictingNearDuplicates])
def test_keyed_state_in_any_number_of_buckets_gives_the_same_findings(rule_class: type, task: str) -> None:
    originals, copies, _ = _planted()
    texts = originals + copies
    order = list(range(len(texts)))
    random.Random(3).shuffle(order)  # copies before and after their originals, in other partitions
    records = [{"prompt": texts[k] + SEP, "completion": " positive" if len(texts[k]) % 3 else " negative"} for k in order]
    records += records[:40:3]  # exact copies too (FT601's, left out of FT603's clusters)
    ctx = Context("t.jsonl", Conventions(format="prompt-completion", task=task, separator=SEP))
    rule = rule_class()
    whole, partials = _partition_states(rule, records, ctx, 97)
    expected = list(rule.report(whole, ctx))
    assert expected or (rule_class is ConflictingNearDuplicates and task == "generation")
    for buckets in (1, 2, 16, 64, 300):
        assert _keyed_findings(rule, partials, buckets, ctx) == expected, buckets
    records_kept = len(whole.arrays()[0])  # none for FT613 outside classification
    split = rule.split(whole, 64, ctx)[1]  # a bucket holds a part of the records, not all of them
    assert max(len(part.arrays()[0]) for part in split) < records_kept / 2 or records_kept == 0


def test_keyed_validation_near_leak_in_any_number_of_buckets_gives_the_same_findings() -> None:
    originals, copies, _ = _planted(seed=16)
    rule = ValidationNearLeak()
    ctx = Context("valid.jsonl", Conventions(format="prompt-completion", task="generation", separator=SEP), paired=True)
    train_whole, train_partials = _partition_states(rule, [_question(t) for t in originals + originals[:30]], ctx, 101)
    valid = [_question(t) for t in copies] + [_question(t) for t in originals[50:55]]  # near-copies and exact (FT610's)
    whole, partials = _partition_states(rule, valid, ctx, 37)
    expected = list(rule.report_pair(train_whole, whole, ctx))
    assert len(expected) > 150
    for buckets in (1, 3, 16, 64, 300):
        assert _keyed_findings(rule, partials, buckets, ctx, pair_with=train_partials) == expected, buckets


def test_one_dataset_fix_drops_each_near_copy_from_its_own_file(tmp_path: Path) -> None:
    """A cluster across files (--one-dataset) is one finding on its first record's file; its
    fix drops every copy from the copy's own file (it dropped lines of the first file by the
    copies' line numbers, then crashed)."""
    from ftlint.cli import main

    _, passages = _texts()
    first = [_record(t) for t in passages[:12]]
    copy = dict(first[3], prompt=first[3]["prompt"].replace(" the ", " a ", 1))
    second = [_record(t) for t in passages[12:20]] + [copy] + [_record(t) for t in passages[20:24]]
    a, b = _write(tmp_path / "a.jsonl", first), _write(tmp_path / "b.jsonl", second)
    before_a = Path(a).read_bytes()
    code = main(["check", "--isolated", a, b, "--one-dataset", "--select", "FT603", "--fix", "--unsafe-fixes", "-q"])
    assert code == 0
    assert Path(a).read_bytes() == before_a  # the cluster's first record, and its file, stay
    assert [json.loads(line) for line in Path(b).read_text(encoding="utf-8").splitlines()] == second[:8] + second[9:]
    removed = [json.loads(line) for line in (tmp_path / "b.removed.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(e["line"], e["removed_by"][:5], e["record"]) for e in removed] == [(9, "FT603", copy)]
    assert not (tmp_path / "a.removed.jsonl").exists()
