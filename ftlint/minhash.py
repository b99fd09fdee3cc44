"""Near-duplicate detection for the FT603/FT611/FT613 rules and `ftlint split`: MinHash
signatures (rensa) of normalised texts, and the pairs of similar records found by LSH.

Normalisation: Unicode NFKC, case folded, then only letters, digits, marks and symbols are
kept (Unicode categories L, N, M, S): whitespace and punctuation are dropped entirely, so
"Great movie!!" and "great  movie" are the same text, and "don't" equals "dont".

Shingles: overlapping character 5-grams of the normalised text (a text shorter than 5
characters is one shingle). Character n-grams catch both kinds of real near-copy: a changed
word in a text of 50 words changes about 10 of its ~250 shingles (Jaccard about 0.92), while
case, space and punctuation edits vanish in normalisation (Jaccard 1). Word shingles would
lose a whole window of shingles per changed word; shorter n-grams make unrelated texts look
alike.

Signatures: 128 MinHash values per text (rensa's R-MinHash), of which only the lowest 4 bits
are kept ("b-bit minwise hashing", Li and König): 64 bytes per record, packed two values per
byte. Two texts with Jaccard similarity J agree on one 4-bit value with probability
J + (1 - J) / 16, so J is estimated from the number of equal values (`similarity`); at J = 0.9
its standard error is 0.028 (0.027 with whole 32-bit values). The same 64 bytes, read as 16
little-endian uint32, are the LSH band keys: 16 bands of 8 values. Two texts become candidates
when they share a band; with J = 0.85 that happens with probability 0.996, with J = 0.5 with
probability 0.09, and for unrelated texts (J < 0.1) almost never. Each candidate pair is then
checked with the estimate: similar means estimated J >= the threshold.

Copies whose signatures are equal (same normalised text, almost always) are grouped first:
every group is represented by its first record, and only representatives are compared, so a
thousand copies of one text cost one comparison. In a band, a representative is compared with
at most `WINDOW` representatives before it that share the band key.
"""
from __future__ import annotations

import functools
import unicodedata
from collections.abc import Sequence
from typing import cast

import numpy as np

SHINGLE = 3  # characters per shingle
NUM_PERM = 128  # MinHash values per text
BITS = 4  # bits kept of each value
ROWS = 8  # values per LSH band: 8 x 4 bits = one uint32 band key
BANDS = NUM_PERM // ROWS
SIGNATURE_BYTES = NUM_PERM * BITS // 8
SEED = 1_234_567  # fixed: signatures of two runs (a training and a validation file) must agree
WINDOW = 64  # a representative is compared with at most this many earlier ones per band key
DEFAULT_THRESHOLD = 0.85
CHUNK = 1024  # texts signed at once

_KEPT_CATEGORIES = frozenset("LNMS")
_MIX_1, _MIX_2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_STEP = np.uint64(0x9E3779B97F4A7C15)
_CODE_BITS = np.uint64(21)  # bits of a Unicode code point
assert SHINGLE * 21 <= 64
_ZERO_NIBBLES = np.array([((b & 15) == 0) + ((b >> 4) == 0) for b in range(256)], dtype=np.uint8)


def _kept(codepoints: np.ndarray) -> np.ndarray:
    """Which code points are letters, digits, marks or symbols."""
    if len(codepoints) and codepoints.max() > 0xFFFF:  # beyond the Basic Multilingual Plane (emoji)
        keep: np.ndarray = _bmp_kept().take(np.minimum(codepoints, 0xFFFF))
        beyond = np.flatnonzero(codepoints > 0xFFFF)
        unique, inverse = np.unique(codepoints[beyond], return_inverse=True)
        keep[beyond] = np.array([unicodedata.category(chr(c))[0] in _KEPT_CATEGORIES for c in unique.tolist()], dtype=bool)[inverse]
        return keep
    kept: np.ndarray = _bmp_kept().take(codepoints)
    return kept


@functools.cache
def _bmp_kept() -> np.ndarray:
    return np.array([unicodedata.category(chr(c))[0] in _KEPT_CATEGORIES for c in range(0x10000)], dtype=bool)


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, in place: spreads the n-gram codes over 64 bits."""
    values ^= values >> np.uint64(30)
    values *= _MIX_1
    values ^= values >> np.uint64(27)
    values *= _MIX_2
    values ^= values >> np.uint64(31)
    return values


def shingles(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The shingle hashes of each text, flat (uint64), and the row offsets (len(texts) + 1,
    uint64): text i has hashes[offsets[i]:offsets[i + 1]], none when it normalises to nothing."""
    if not texts:
        return np.empty(0, dtype=np.uint64), np.zeros(1, dtype=np.uint64)
    # each text NFKC-normalised (ASCII needs none) and case-folded, joined by NUL: never kept
    normalised = "\0".join([(t if t.isascii() else unicodedata.normalize("NFKC", t)).casefold() for t in texts])
    if normalised.count("\0") != len(texts) - 1:  # a text holds a NUL itself
        normalised = "\0".join([(t if t.isascii() else unicodedata.normalize("NFKC", t)).casefold().replace("\0", "")
                                 for t in texts])
    codepoints = np.frombuffer(normalised.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    keep = _kept(codepoints)
    # the kept characters of each text: each text and its NUL (never kept), then a sentinel
    starts = np.concatenate(([0], np.flatnonzero(codepoints == 0) + 1))
    lengths = np.add.reduceat(np.append(keep, False), starts, dtype=np.int64)
    chars = codepoints[keep]
    del codepoints, keep
    # the shingle starting at each character, its code points side by side in 63 bits (exact),
    # then only the shingles inside one text
    codes = chars[: max(len(chars) - SHINGLE + 1, 0)].astype(np.uint64)
    for k in range(1, SHINGLE):
        codes <<= _CODE_BITS
        codes |= chars[k : len(chars) - SHINGLE + 1 + k]
    inside = np.ones(len(codes), dtype=bool)
    text_ends = np.cumsum(lengths)
    for k in range(1, SHINGLE):  # the last SHINGLE - 1 starts of each text run into the next
        at = text_ends - k
        inside[at[(lengths >= k) & (at < len(codes))]] = False
    counts = np.maximum(lengths - SHINGLE + 1, 0)
    short = np.flatnonzero((lengths > 0) & (lengths < SHINGLE))
    if len(short):  # a text shorter than a shingle is one shingle
        codes, inside, counts = _with_short(codes, inside, counts, chars, text_ends, lengths, short)
    offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.uint64)
    return codes[inside], offsets


def _with_short(
    codes: np.ndarray, inside: np.ndarray, counts: np.ndarray, chars: np.ndarray, text_ends: np.ndarray, lengths: np.ndarray,
    short: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Insert one shingle for each text in `short` (shorter than a shingle) at its place."""
    short_codes = np.zeros(len(short), dtype=np.uint64)
    first = text_ends[short] - lengths[short]
    for k in range(SHINGLE):
        short_codes <<= _CODE_BITS
        short_codes |= np.where(k < lengths[short], chars[np.minimum(first + k, len(chars) - 1)], 0).astype(np.uint64)
    # codes[inside] of the texts before each short text: its insertion point in the kept codes
    counts = counts.copy()
    counts[short] = 1
    kept_codes = codes[inside]
    at = np.cumsum(np.maximum(lengths - SHINGLE + 1, 0))[short]
    merged = np.insert(kept_codes, at, short_codes)
    return merged, np.ones(len(merged), dtype=bool), counts


def signatures(texts: Sequence[str | None]) -> tuple[np.ndarray, np.ndarray]:
    """(signatures, valid): one row of `SIGNATURE_BYTES` uint8 per text (see the module's
    docstring), and whether the text has any shingle (None and texts of only spaces and
    punctuation have none: their rows are zeros and must not be compared)."""
    result = np.zeros((len(texts), SIGNATURE_BYTES), dtype=np.uint8)
    valid = np.zeros(len(texts), dtype=bool)
    present = [i for i, t in enumerate(texts) if t is not None]
    for start in range(0, len(present), CHUNK):  # chunks: the temporaries stay small
        rows = present[start : start + CHUNK]
        packed, has_shingles = _packed_signatures([cast(str, texts[i]) for i in rows])  # present: not None
        result[rows] = packed
        valid[rows] = has_shingles
    return result, valid


def _packed_signatures(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    from rensa import RMinHash

    hashes, offsets = shingles(texts)
    packed = np.zeros((len(texts), SIGNATURE_BYTES), dtype=np.uint8)
    nonempty = offsets[1:] > offsets[:-1]
    if nonempty.any():
        # texts without shingles own no hashes and are left out (rensa's digest of an empty
        # set would look like any other signature)
        offsets = np.concatenate(([0], offsets[1:][nonempty])).astype(np.uint64)
        matrix = RMinHash.digest_matrix_from_flat_token_hashes(hashes, offsets, NUM_PERM, SEED)
        values = np.array(matrix.to_rows(), dtype=np.uint32).astype(np.uint8) & np.uint8(15)
        packed[nonempty] = values[:, 0::2] | (values[:, 1::2] << np.uint8(4))
    return packed, nonempty


def similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Estimated Jaccard similarity of the texts of signature rows a[i] and b[i]."""
    equal = _ZERO_NIBBLES[a ^ b].sum(axis=1, dtype=np.int64) / NUM_PERM
    chance = 1 / (1 << BITS)
    estimate: np.ndarray = np.clip((equal - chance) / (1 - chance), 0.0, 1.0)
    return estimate


def _row_keys(rows: np.ndarray, salt: np.ndarray | None) -> np.ndarray:
    """A 64-bit hash of each signature row (and its salt)."""
    words = np.ascontiguousarray(rows).view(np.uint64)
    key = np.zeros(len(rows), dtype=np.uint64) if salt is None else salt.astype(np.uint64, copy=True)
    for k in range(words.shape[1]):
        key *= _STEP
        key += words[:, k]
        _mix(key)
    return key


def representatives(sigs: np.ndarray, valid: np.ndarray, salt: np.ndarray | None = None) -> np.ndarray:
    """For each record, the index of the first record with an equal signature (and equal
    salt), -1 for records that are not compared (`valid` False)."""
    rep = np.full(len(sigs), -1, dtype=np.int64)
    index = np.flatnonzero(valid)
    if not len(index):
        return rep
    keys = _row_keys(sigs[index], None if salt is None else salt[index])
    order = np.argsort(keys, kind="stable")  # equal keys stay in file order
    keys = keys[order]
    start = np.ones(len(order), dtype=bool)
    start[1:] = keys[1:] != keys[:-1]
    same = np.flatnonzero(~start[1:])  # equal keys: confirm the rows (and salts) are equal too
    earlier, later = index[order[same]], index[order[same + 1]]
    differ = (sigs[earlier] != sigs[later]).any(axis=1)
    if salt is not None:
        differ |= salt[earlier] != salt[later]
    start[same[differ] + 1] = True
    first = np.maximum.accumulate(np.where(start, np.arange(len(order)), 0))
    rep[index[order]] = index[order[first]]
    return rep


def similar_pairs(
    sigs: np.ndarray, rep: np.ndarray, threshold: float, salt: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(earlier, later, similarity): the pairs of representatives (see `representatives`)
    whose estimated similarity is at least `threshold`, found through the LSH bands, sorted by
    later then earlier record. With `salt` (a uint64 per record), only records with equal
    salts are paired."""
    reps = np.flatnonzero(rep == np.arange(len(rep)))
    empty = np.empty(0, dtype=np.int64)
    if len(reps) < 2:
        return empty, empty, np.empty(0)
    bands = np.ascontiguousarray(sigs[reps]).view(np.uint32)
    if salt is not None:
        bands = bands ^ (salt[reps] & np.uint64(0xFFFFFFFF)).astype(np.uint32)[:, None]
    found = []
    for band in range(BANDS):
        keys = bands[:, band]
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        shared = np.flatnonzero(ordered[1:] == ordered[:-1]) + 1  # positions after an equal key
        if not len(shared):
            continue
        start = np.ones(len(order), dtype=bool)
        start[1:] = ordered[1:] != ordered[:-1]
        run_first = np.maximum.accumulate(np.where(start, np.arange(len(order)), 0))
        depth = shared - run_first[shared]  # how many earlier members the run has
        for back in range(1, min(WINDOW, int(depth.max())) + 1):
            at = shared[depth >= back]
            found.append(order[at - back] * len(reps) + order[at])
    if not found:
        return empty, empty, np.empty(0)
    codes = np.unique(np.concatenate(found))
    earlier, later = reps[codes // len(reps)], reps[codes % len(reps)]
    swap = earlier > later
    earlier[swap], later[swap] = later[swap], earlier[swap]
    sims = np.concatenate([similarity(sigs[earlier[k:k + (1 << 16)]], sigs[later[k:k + (1 << 16)]])
                           for k in range(0, len(earlier), 1 << 16)])
    keep = sims >= threshold
    if salt is not None:
        keep &= salt[earlier] == salt[later]
    earlier, later, sims = earlier[keep], later[keep], sims[keep]
    order = np.lexsort((earlier, later))
    return earlier[order], later[order], sims[order]


def most_similar(reference: np.ndarray, sigs: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """For each row of `sigs`, the index of the most similar row of `reference` (the earliest
    among equals) with estimated similarity at least `threshold`, -1 if none, and that
    similarity (FT611's comparison of a validation file with its training file)."""
    n = len(reference)
    match, best = np.full(len(sigs), -1, dtype=np.int64), np.zeros(len(sigs))
    if not n or not len(sigs):
        return match, best
    both = np.concatenate([reference, sigs])
    rep = representatives(both, np.ones(len(both), dtype=bool))
    earlier, later, sims = similar_pairs(both, rep, threshold)
    found: dict[int, tuple[float, int]] = {}  # representative -> (-similarity, reference row)
    for i, j, sim in zip(earlier.tolist(), later.tolist(), sims.tolist()):
        if i < n <= j:
            found[j] = min(found.get(j, (0.0, n)), (-sim, i))
    for k, r in enumerate(rep[n:].tolist()):
        if r < n:  # the same signature as a reference row
            match[k], best[k] = r, 1.0
        elif r in found:
            match[k], best[k] = found[r][1], -found[r][0]
    return match, best
