"""Near-duplicate detection for the FT603/FT611/FT613 rules and `ftlint split`: MinHash
signatures of normalised texts, and the pairs of similar records found by LSH.

Normalisation: Unicode NFKC, case folded, then only letters, digits, marks and symbols are
kept (Unicode categories L, N, M, S): whitespace and punctuation are dropped entirely, so
"Great movie!!" and "great  movie" are the same text, and "don't" equals "dont". Case folding
and the categories come from one table of the Basic Multilingual Plane built from Python's
`unicodedata` and `str.casefold` (texts with characters beyond it, or whose folding is longer,
like "ß", are folded by `str.casefold` itself).

Shingles: overlapping character 3-grams of the normalised text (a text shorter than 3
characters is one shingle). Character n-grams catch both kinds of real near-copy: a changed
word in a text of 50 words changes about 7 of its ~250 shingles (Jaccard about 0.95), while
case, space and punctuation edits vanish in normalisation (Jaccard 1). Word shingles would
lose a whole window of shingles per changed word.

Signatures: 128 MinHash values per text, computed by rensa's R-MinHash (a Rust library) over
the shingles' 64-bit hashes, thousands of texts in one call. Of each value only the lowest 4
bits are kept ("b-bit minwise hashing", Li and König): 64 bytes per record, packed two values
per byte. rensa 0.5 hands its values back only as Python lists: making them and copying them
into an array (`array.array.fromlist`, 5x as fast as `np.array` of the lists) costs about one
and a half times its hashing, the largest single cost of these rules, which a rensa release
with array output would remove. Two texts with Jaccard similarity J agree on one 4-bit value with probability
J + (1 - J) / 16, so J is estimated from the number of equal values (`similarity`); near
J = 0.85 its standard error is about 0.03 (measured against exact Jaccard on real pairs). The
same 64 bytes, read as 16 little-endian uint32, are the LSH band keys: 16 bands of 8 values.
Two texts become candidates when they share a band; with J = 0.85 that happens with probability
0.996, with J = 0.5 with probability 0.09. Unrelated texts share a band by chance more often
than 32-bit keys suggest (their 4-bit values agree one time in 16 or more): at 1M real records,
about 7 million candidate pairs for 639 similar ones. Each candidate pair is first compared on
the first half of its signatures, and only a pair whose half does not already differ in more
values than the threshold allows in the whole is compared whole: similar means estimated
J >= the threshold.

Copies whose signatures are equal (same normalised text, almost always) are grouped first:
every group is represented by its first record, and only representatives are compared, so a
thousand copies of one text cost one comparison. In a band, a representative is compared with
at most `WINDOW` representatives before it that share the band key.
"""
from __future__ import annotations

import array
import functools
import unicodedata
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

SHINGLE = 3  # characters per shingle
NUM_PERM = 128  # MinHash values per text
BITS = 4  # bits kept of each value
ROWS = 8  # values per LSH band: 8 x 4 bits = one uint32 band key
BANDS = NUM_PERM // ROWS
SIGNATURE_BYTES = NUM_PERM * BITS // 8
SEED = 1_234_567  # fixed: signatures of two runs (a training and a validation file) must agree
THREADS = 2  # bands compared at once
WINDOW = 64  # a representative is compared with at most this many earlier ones per band key
DEFAULT_THRESHOLD = 0.85
# characters signed at once: temporaries of about a megabyte, which the allocator reuses (larger
# ones it maps and unmaps each time, and page faults then cost more than the hashing)
CHUNK_CHARACTERS = 1 << 16

_KEPT_CATEGORIES = frozenset("LNMS")
_MIX_1, _MIX_2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_STEP = np.uint64(0x9E3779B97F4A7C15)
_SEED = np.uint64(SEED * 0x9E3779B97F4A7C15 % (1 << 64))  # xored into the shingle codes before mixing
_DROPPED, _FOLDS_TO_MORE = 0xFFFF, 0xFFFE  # in `_bmp_folded`: both noncharacters, never kept themselves
_CODE_BITS = np.uint64(21)  # bits of a Unicode code point
assert SHINGLE * 21 <= 64
_LOW_BIT_OF_EACH_VALUE = np.uint64(0x1111111111111111)
_VERIFIED = 1 << 16  # candidate pairs verified at once


def _folded_chars(texts: Sequence[str]) -> np.ndarray:
    """The kept characters of the normalised texts (NFKC, case folded), as code points, with a
    NUL after each text but the last."""
    joined = "\0".join(texts)
    if joined.count("\0") != len(texts) - 1:  # a text holds a NUL itself
        texts = [t.replace("\0", "") for t in texts]
        joined = "\0".join(texts)
    if joined.isascii():  # most texts: folded and filtered by one bytes.translate
        return np.frombuffer(joined.encode("ascii").translate(*_ascii_folding()), dtype=np.uint8)
    if not unicodedata.is_normalized("NFKC", joined):  # (as each text alone: NFKC composes nothing with a NUL)
        joined = "\0".join([t if t.isascii() or unicodedata.is_normalized("NFKC", t) else unicodedata.normalize("NFKC", t) for t in texts])
    codepoints = _narrow_codepoints(joined)
    if codepoints is not None:  # the Basic Multilingual Plane: case folded by table, mostly
        folded = _bmp_folded().take(codepoints)
        chars = np.compress(folded != _DROPPED, folded)  # (a boolean index takes twice as long here)
        if not (chars == _FOLDS_TO_MORE).any():
            folded_chars: np.ndarray = chars
            return folded_chars
    # beyond the table: Python's case folding, then the category of each character
    codepoints = np.frombuffer(joined.casefold().encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    keep = _bmp_folded().take(np.minimum(codepoints, 0xFFFF)) != _DROPPED
    beyond = np.flatnonzero(codepoints > 0xFFFF)
    if len(beyond):  # emoji and other planes: few distinct characters
        unique, inverse = np.unique(codepoints[beyond], return_inverse=True)
        keep[beyond] = np.array([unicodedata.category(chr(c))[0] in _KEPT_CATEGORIES for c in unique.tolist()], dtype=bool)[inverse]
    kept: np.ndarray = codepoints[keep]
    return kept


def _narrow_codepoints(text: str) -> np.ndarray | None:
    """The code points of a text without characters beyond the Basic Multilingual Plane, in
    the narrowest type that holds them (CPython stores such strings so: the encodings copy)."""
    try:
        return np.frombuffer(text.encode("latin-1"), dtype=np.uint8)
    except UnicodeEncodeError:
        pass
    data = text.encode("utf-16-le", "surrogatepass")
    return np.frombuffer(data, dtype=np.uint16) if len(data) == 2 * len(text) else None


@functools.cache
def _ascii_folding() -> tuple[bytes, bytes]:
    """`_bmp_folded` of the ASCII characters as `bytes.translate`'s table and deleted bytes."""
    folded = _bmp_folded()[:128].tolist()
    return bytes(c if f == _DROPPED else f for c, f in enumerate(folded)) + bytes(range(128, 256)), bytes(c for c, f in enumerate(folded) if f == _DROPPED)


@functools.cache
def _bmp_folded() -> np.ndarray:
    """Per code point of the Basic Multilingual Plane, its case folding if it is kept (a
    letter, digit, mark or symbol), `_DROPPED` if not, `_FOLDS_TO_MORE` if its folding has
    several characters (ß: ss); NUL, the texts' separator, stays."""
    table = np.full(0x10000, _DROPPED, dtype=np.uint16)
    for c in range(1, 0x10000):
        char = chr(c)
        if unicodedata.category(char)[0] in _KEPT_CATEGORIES:
            folded = char.casefold()
            table[c] = ord(folded) if len(folded) == 1 else _FOLDS_TO_MORE
    table[0] = 0
    return table


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, in place: spreads the n-gram codes over 64 bits."""
    values ^= values >> np.uint64(30)
    values *= _MIX_1
    values ^= values >> np.uint64(27)
    values *= _MIX_2
    values ^= values >> np.uint64(31)
    return values


def shingles(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The shingle codes of each text, flat (uint64: the code points of the 3 characters side
    by side, 21 bits each), and the row offsets (len(texts) + 1, uint64): text i has
    codes[offsets[i]:offsets[i + 1]], none when it normalises to nothing."""
    if not texts:
        return np.empty(0, dtype=np.uint64), np.zeros(1, dtype=np.uint64)
    chars = _folded_chars(texts)
    ends = np.flatnonzero(chars == 0)
    lengths = np.diff(ends, prepend=-1, append=len(chars)) - 1  # kept characters per text
    # the shingle starting at each character, its code points side by side (exact), then only
    # the shingles whose characters are all inside one text (none of them NUL)
    codes = chars[: max(len(chars) - SHINGLE + 1, 0)].astype(np.uint64)
    for k in range(1, SHINGLE):
        codes <<= _CODE_BITS
        codes |= chars[k : len(chars) - SHINGLE + 1 + k]
    inside = np.ones(len(codes), dtype=bool)
    for k in range(SHINGLE):
        at = ends - k
        inside[at[(at >= 0) & (at < len(codes))]] = False
    counts = np.maximum(lengths - SHINGLE + 1, 0)
    codes = codes[inside]
    short = np.flatnonzero((lengths > 0) & (lengths < SHINGLE))
    if len(short):  # a text shorter than a shingle is one shingle
        codes, counts = _with_short(codes, counts, chars, ends, lengths, short)
    offsets = np.zeros(len(texts) + 1, dtype=np.uint64)
    np.cumsum(counts, out=offsets[1:])
    return codes, offsets


def _with_short(
    codes: np.ndarray, counts: np.ndarray, chars: np.ndarray, ends: np.ndarray, lengths: np.ndarray, short: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Insert one shingle for each text in `short` (shorter than a shingle) at its place."""
    short_codes = np.zeros(len(short), dtype=np.uint64)
    first = np.append(ends, len(chars))[short] - lengths[short]
    for k in range(SHINGLE):
        short_codes <<= _CODE_BITS
        short_codes |= np.where(k < lengths[short], chars[np.minimum(first + k, len(chars) - 1)], 0).astype(np.uint64)
    at = np.cumsum(counts)[short]  # the codes of the texts before each short text: its place
    counts = counts.copy()
    counts[short] = 1
    return np.insert(codes, at, short_codes), counts


def signatures(texts: Sequence[str | None]) -> tuple[np.ndarray, np.ndarray]:
    """(signatures, valid): one row of `SIGNATURE_BYTES` uint8 per text (see the module's
    docstring), and whether the text has any shingle (None and texts of only spaces and
    punctuation have none: their rows are zeros and must not be compared)."""
    result = np.zeros((len(texts), SIGNATURE_BYTES), dtype=np.uint8)
    valid = np.zeros(len(texts), dtype=bool)
    present = [i for i, t in enumerate(texts) if t is not None]
    strings = [t for t in texts if t is not None]
    ends = np.cumsum(np.fromiter(map(len, strings), dtype=np.int64, count=len(strings)) + 1)
    cuts = np.searchsorted(ends, np.arange(CHUNK_CHARACTERS, ends[-1] if len(ends) else 0, CHUNK_CHARACTERS), side="right").tolist()
    for start, end in zip([0, *cuts], [*cuts, len(strings)]):  # chunks: the temporaries stay small
        if start < end:
            rows = present[start:end]
            result[rows], valid[rows] = _packed_signatures(strings[start:end])
    return result, valid


def _packed_signatures(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Packed 4-bit signatures of the texts (rensa's R-MinHash), and which have shingles."""
    from rensa import RMinHash

    codes, offsets = shingles(texts)
    codes ^= _SEED
    hashes = _mix(codes)
    packed = np.zeros((len(texts), SIGNATURE_BYTES), dtype=np.uint8)
    nonempty = offsets[1:] > offsets[:-1]
    if nonempty.any():
        # texts without shingles own no hashes and are left out (rensa's digest of an empty
        # set would look like any other signature)
        offsets = np.concatenate(([0], offsets[1:][nonempty])).astype(np.uint64)
        matrix = RMinHash.digest_matrix_from_flat_token_hashes(hashes, offsets, NUM_PERM, SEED)
        rows = array.array("I")  # takes rensa's lists of ints at C speed: 5x as fast as np.array
        for row in matrix.to_rows():
            rows.fromlist(row)  # (3x as fast as `extend`)
        values = (np.frombuffer(rows, dtype=np.uintc).astype(np.uint8) & np.uint8(15)).reshape(-1, NUM_PERM)
        packed[nonempty] = values[:, 0::2] | (values[:, 1::2] << np.uint8(4))
    return packed, nonempty


def similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Estimated Jaccard similarity of the texts of signature rows a[i] and b[i]."""
    return _estimate(_unequal_values(a, b))


def _unequal_values(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """How many of the 4-bit values of rows a[i] and b[i] differ (rows of a multiple of 8 bytes)."""
    differ = np.ascontiguousarray(a ^ b).view(np.uint64)  # 16 values of 4 bits per word
    differ |= differ >> np.uint64(1)
    differ |= differ >> np.uint64(2)
    differ &= _LOW_BIT_OF_EACH_VALUE  # bit 0 of a value: set when the values differ
    unequal: np.ndarray = np.bitwise_count(differ).sum(axis=1, dtype=np.int64)
    return unequal


def _estimate(unequal: np.ndarray) -> np.ndarray:
    """Estimated Jaccard similarity of two signatures with `unequal` of their values different."""
    chance = 1 / (1 << BITS)
    estimate: np.ndarray = np.clip(((NUM_PERM - unequal) / NUM_PERM - chance) / (1 - chance), 0.0, 1.0)
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


def band_keys(sigs: np.ndarray, salt: np.ndarray | None = None) -> np.ndarray:
    """n x `BANDS` uint32: each signature's LSH band keys; with `salt` (a uint64 per record),
    xored with its low 32 bits, so that records of unequal salts rarely share a key."""
    keys = sigs.view(np.uint32)
    if salt is not None:
        keys = keys ^ (salt & np.uint64(0xFFFFFFFF)).astype(np.uint32)[:, None]
    return keys


def band_buckets(keys: np.ndarray, buckets: int) -> np.ndarray:
    """The bucket (of `buckets`) of each band key of `band_keys` (n x BANDS): a hash of the key
    and its band, so that an engine can spread the bands' comparisons over machines."""
    codes = (keys.astype(np.uint64) << np.uint64(8)) | np.arange(BANDS, dtype=np.uint64)
    bucket: np.ndarray = (_mix(codes) % np.uint64(buckets)).astype(np.int64)
    return bucket


def similar_pairs(
    sigs: np.ndarray, rep: np.ndarray, threshold: float, salt: np.ndarray | None = None, bands: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(earlier, later, similarity): the pairs of representatives (see `representatives`)
    whose estimated similarity is at least `threshold`, found through the LSH bands, sorted by
    later then earlier record. With `salt` (a uint64 per record), only records with equal
    salts are paired. `bands` (n x `BANDS` bool), if given, says in which bands each record
    is compared (a key bucket of the records: see `ftlint_rules.near_duplicates`)."""
    reps = np.flatnonzero(rep == np.arange(len(rep)))
    rows = np.ascontiguousarray(sigs[reps])
    halves = np.ascontiguousarray(rows[:, : SIGNATURE_BYTES // 2])
    keys = band_keys(rows, None if salt is None else salt[reps])

    def in_band(band: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if bands is None:
            return _similar_in_band(rows, halves, keys[:, band], threshold)
        chosen = np.flatnonzero(bands[reps, band])
        return _similar_in_band(rows, halves, keys[chosen, band], threshold, chosen)

    with ThreadPoolExecutor(THREADS) as pool:  # numpy lets go of the GIL in the sorts, gathers and comparisons
        found = list(pool.map(in_band, range(BANDS)))
    earlier, later = np.concatenate([e for e, _, _ in found]), np.concatenate([la for _, la, _ in found])
    sims = np.concatenate([s for _, _, s in found])
    if salt is not None:
        keep = salt[reps[earlier]] == salt[reps[later]]
        earlier, later, sims = earlier[keep], later[keep], sims[keep]
    _, first = np.unique(later * len(reps) + earlier, return_index=True)  # a pair found in several bands once
    return reps[earlier[first]], reps[later[first]], sims[first]


def _similar_in_band(
    rows: np.ndarray, halves: np.ndarray, keys: np.ndarray, threshold: float, chosen: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(earlier, later, similarity) of the rows that share a band key (`keys`, one per row, or
    one per row of `chosen`), each compared with at most `WINDOW` rows before it with the key,
    whose similarity is at least `threshold`. Most candidates share the key by chance: the
    first half of their signatures (`halves`) already differs in more values than a similar
    pair's whole signature may, and only the others are compared whole."""
    members, earlier, later = band_candidates(keys)
    if chosen is not None:
        members = chosen[members]
    most_unequal = int(np.flatnonzero(_estimate(np.arange(NUM_PERM + 1)) >= threshold)[-1])
    half = halves[members]  # the rows of each run side by side: nearby memory
    unequal = np.concatenate([_unequal_values(half[earlier[k : k + _VERIFIED]], half[later[k : k + _VERIFIED]])
                              for k in range(0, len(earlier), _VERIFIED)] or [np.empty(0, dtype=np.int64)])
    maybe = np.flatnonzero(unequal <= most_unequal)
    earlier, later = members[earlier[maybe]], members[later[maybe]]
    sims = similarity(rows[earlier], rows[later])
    keep = sims >= threshold
    return earlier[keep], later[keep], sims[keep]


def band_candidates(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(members, earlier, later): the positions whose key (uint32) is shared, by key then
    position, and the pairs to compare, as indices into `members`: each member with at most
    `WINDOW` members before it with its key (members[earlier] < members[later])."""
    ordered = (keys.astype(np.uint64) << np.uint64(32)) | np.arange(len(keys), dtype=np.uint64)
    ordered.sort()  # by key, then position
    key = ordered >> np.uint64(32)
    shared = np.zeros(len(ordered), dtype=bool)  # a key shared with the next or the previous position
    shared[1:] = key[1:] == key[:-1]
    shared[:-1] |= shared[1:]
    members = (ordered[shared] & np.uint64(0xFFFFFFFF)).view(np.int64)
    key = key[shared]
    start = np.ones(len(key), dtype=bool)
    start[1:] = key[1:] != key[:-1]
    later = np.flatnonzero(~start)
    if not len(later):
        return members, later, later
    depth = later - np.maximum.accumulate(np.where(start, np.arange(len(key)), 0))[later]  # members before, in the run
    compared = np.minimum(depth, WINDOW)
    later = np.repeat(later, compared)
    back = np.arange(1, len(later) + 1) - np.repeat(np.cumsum(compared) - compared, compared)  # 1, 2, ... compared[i]
    return members, later - back, later


def most_similar(
    reference: np.ndarray, sigs: np.ndarray, threshold: float, bands: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """For each row of `sigs`, the index of the most similar row of `reference` (the earliest
    among equals) with estimated similarity at least `threshold`, -1 if none, and that
    similarity (FT611's comparison of a validation file with its training file). `bands`: the
    bands each row of `reference` and of `sigs` is compared in (see `similar_pairs`)."""
    n = len(reference)
    match, best = np.full(len(sigs), -1, dtype=np.int64), np.zeros(len(sigs))
    if not n or not len(sigs):
        return match, best
    both = np.concatenate([reference, sigs])
    rep = representatives(both, np.ones(len(both), dtype=bool))
    earlier, later, sims = similar_pairs(both, rep, threshold, bands=None if bands is None else np.concatenate(bands))
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
