"""ftlint.stats and `ftlint stats`: every number checked against a hand computation.

The texts are repetitions of " the" (one token in r50k_base, cl100k_base and o200k_base, so
" the" * k is k tokens) and " yes" (one token); role names are one token in o200k_base.
"""
from __future__ import annotations

import json

import orjson
import pytest

from ftlint import api
from ftlint.config import ConfigError, Settings
from ftlint.stats import (
    PRICES_DATE, api_default_epochs, dataset_stats, estimate_cost, hyperparameter_advice, summarize, usd,
)


def write(path, records):
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return str(path)


@pytest.fixture
def classes(tmp_path):
    """10 examples: prompt " the" * k + separator-free, completion " yes" or " no": k + 1 tokens."""
    records = [{"prompt": " the" * k, "completion": " yes" if k % 2 else " no"} for k in range(1, 11)]
    return write(tmp_path / "classes.jsonl", records)


def test_prompt_completion_by_hand(classes):
    s = dataset_stats(classes, model="gpt-4o-mini-2024-07-18", settings=Settings(task="classification"))
    # tokens per example: k + 1 for k = 1..10 -> 2..11
    assert (s.examples, s.tokens.min, s.tokens.median, s.tokens.p95, s.tokens.max, s.tokens.total) == (10, 2, 6.5, 11, 11, 65)
    assert s.tokens.limit == 65536 and s.tokens.over_limit == 0
    assert list(s.classes.items()) == [(" yes", 5), (" no", 5)]  # ties: first seen first
    # 10 examples x 3 epochs = 30 < 100 -> epochs = 100 // 10 = 10; 65 x 10 = 650 tokens at $3/1M
    assert s.cost.billed_tokens_per_epoch == 65
    assert (s.cost.api_default_epochs, s.cost.epochs, s.cost.epochs_source) == (10, 10, "API default")
    assert s.cost.billed_tokens == 650
    assert s.cost.usd_per_million == 3.0 and s.cost.total_usd == pytest.approx(0.00195)
    assert PRICES_DATE in s.cost.price_source
    # advice: batch size round(10 * 0.002) = 0 -> at least 1 -> multiplier 0.05; classification: 4 epochs
    assert (s.advice.n_epochs, s.advice.batch_size, s.advice.learning_rate_multiplier) == (4, 1, 0.05)


def test_given_epochs_and_over_limit_examples(tmp_path):
    # davinci: 2,048 tokens per example; the 3,000-token example is billed for 2,048 only
    path = write(tmp_path / "long.jsonl", [{"prompt": " the" * 3000, "completion": " yes"}, {"prompt": " the" * 9, "completion": " yes"}])
    s = dataset_stats(path, model="davinci-002", settings=Settings(prices={"davinci-002": 10.0}), n_epochs=2)
    assert s.tokens.limit == 16384 and s.tokens.over_limit == 0
    s = dataset_stats(path, model="davinci", n_epochs=2)
    assert (s.tokens.max, s.tokens.over_limit) == (3001, 1)
    assert s.cost.billed_tokens_per_epoch == 2048 + 10
    assert (s.cost.epochs, s.cost.epochs_source, s.cost.api_default_epochs) == (2, "given", 4)  # legacy API default: 4
    assert s.cost.usd_per_million is None and s.cost.total_usd is None  # ada..davinci can no longer be fine-tuned


def test_price_from_config(tmp_path, classes):
    config = tmp_path / "ftlint.toml"
    config.write_text('[prices]\n"gpt-4o-mini-2024-07-18" = 10\n')
    settings = api.load_config(config)
    s = dataset_stats(classes, model="ft:gpt-4o-mini-2024-07-18:acme::abc123", settings=settings, n_epochs=1)
    assert s.cost.usd_per_million == 10.0 and str(config) in s.cost.price_source
    assert s.cost.total_usd == pytest.approx(65 * 10 / 1e6)
    config.write_text('[prices]\n"gpt-4o-mini-2024-07-18" = "cheap"\n')
    with pytest.raises(ConfigError, match="prices"):
        api.load_config(config)


def test_chat_by_hand(tmp_path):
    first = {"messages": [
        {"role": "system", "content": " the" * 2},
        {"role": "user", "content": " the" * 3, "name": "bob"},
        {"role": "assistant", "content": " the" * 4, "weight": 1},
    ]}
    second = {"messages": [
        {"role": "user", "content": " the"},
        {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function",
                                              "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]},
        {"role": "tool", "tool_call_id": "1", "content": " yes"},
        {"role": "assistant", "content": " the the"},
    ]}
    path = write(tmp_path / "chat.jsonl", [first, second])
    s = dataset_stats(path)
    assert s.model == "gpt-4o-mini-2024-07-18" and s.format == "chat"
    # first: 3 priming + 3 x 3 per message + 1 per name; texts system 1+2, user 1+3+1 (bob), assistant 1+4 -> 26
    # second: 3 priming + 4 x 3; user 1+1; assistant 1 + get_weather 2 + arguments 6; tool 1+1+1; assistant 1+2 -> 32
    assert (s.tokens.min, s.tokens.max, s.tokens.total) == (26, 32, 58)
    assert (s.assistant_turns, s.tool_calls) == (3, 1)
    assert s.classes is None
    # 2 examples: 100 // 2 = 50 epochs, capped at 25
    assert s.cost.api_default_epochs == 25 and s.cost.billed_tokens == 58 * 25


def test_unreadable_lines_are_counted_not_examples(tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_bytes(b'{"prompt": " the", "completion": " yes"}\n{not json\n')
    s = dataset_stats(str(path), model="babbage-002")
    assert (s.examples, s.unreadable_lines, s.tokens.total) == (1, 1, 2)


@pytest.mark.parametrize(("examples", "epochs"), [(1, 25), (20, 5), (33, 3), (34, 3), (150, 3), (8333, 3), (8334, 2), (10_000, 2), (30_000, 1)])
def test_api_default_epochs(examples, epochs):
    # 3 epochs unless examples x 3 < 100 (then 100 // examples, at most 25) or > 25,000 (then 25,000 // examples, at least 1)
    assert api_default_epochs(examples, "gpt-4o-mini") == epochs


def test_legacy_models_default_to_four_epochs():
    assert api_default_epochs(20, "curie") == 4


@pytest.mark.parametrize(("examples", "batch", "lr"), [
    (10, 1, 0.05), (1_000, 2, 0.05), (4_000, 8, 0.05), (5_000, 10, 0.1), (32_000, 64, 0.1), (33_000, 66, 0.2),
    (200_000, 256, 0.2),  # 400 capped at 256
])
def test_advice_batch_size_and_learning_rate(examples, batch, lr):
    advice = hyperparameter_advice(examples, "classification")
    assert (advice.batch_size, advice.learning_rate_multiplier, advice.n_epochs) == (batch, lr, 4)
    assert advice.learning_rate_range == (0.02, 0.2)


def test_advice_for_generation_is_one_to_two_epochs():
    advice = hyperparameter_advice(500, "generation")
    assert advice.n_epochs_range == (1, 2) and advice.n_epochs == 2


def test_advice_when_continuing_training_on_much_less_data():
    assert hyperparameter_advice(5_000, None, tokens_per_epoch=60, previous_tokens_per_epoch=100).learning_rate_multiplier == 0.1
    halved = hyperparameter_advice(5_000, None, tokens_per_epoch=30, previous_tokens_per_epoch=100)
    assert halved.learning_rate_multiplier == 0.05 and "2x" in halved.notes[0]
    quartered = hyperparameter_advice(5_000, None, tokens_per_epoch=5, previous_tokens_per_epoch=100)
    assert quartered.learning_rate_multiplier == 0.025 and "4x" in quartered.notes[0]


def test_summary_percentiles_nearest_rank():
    counts = list(range(1, 101))
    s = summarize(counts, 50)
    assert (s.min, s.median, s.p95, s.max, s.total, s.over_limit) == (1, 50.5, 95, 100, 5050, 50)
    assert summarize([], 10).total == 0


def test_estimate_cost_and_money_format():
    cost = estimate_cost(1_000_000, 1_000, "gpt-4o-2024-08-06")
    assert (cost.epochs, cost.billed_tokens, cost.total_usd) == (3, 3_000_000, 75.0)
    assert usd(75.0) == "$75.00" and usd(0.00195) == "$0.0019" and usd(0.0123) == "$0.012"


def test_api_exports():
    assert api.dataset_stats is dataset_stats and api.hyperparameter_advice is hyperparameter_advice


def test_cli_text_and_json(ftlint, classes, tmp_path):
    done = ftlint("stats", classes, "--model", "gpt-4o-mini-2024-07-18", "--isolated")
    out = done.stdout.decode()
    assert done.returncode == 0, done.stderr
    assert "10 examples" in out and "min 2, median 6.5, p95 11, max 11; total 65" in out
    assert "650 billed tokens x $3.00 per 1M = $0.0019" in out and PRICES_DATE in out
    assert "batch_size 1" in out and "learning_rate_multiplier 0.05" in out
    done = ftlint("stats", classes, "--model", "gpt-4o-mini-2024-07-18", "--format", "json", "--n-epochs", "2", "--isolated")
    data = json.loads(done.stdout)
    assert data["prices_date"] == PRICES_DATE
    assert data["files"][0]["cost"]["billed_tokens"] == 130 and data["files"][0]["cost"]["epochs_source"] == "given"


def test_cli_errors_exit_2(ftlint, classes, tmp_path):
    done = ftlint("stats", str(tmp_path / "missing.jsonl"), "--isolated")
    assert done.returncode == 2 and b"no such file" in done.stderr.lower() and b"Traceback" not in done.stderr
    done = ftlint("stats", classes, "--model", "gpt-9", "--isolated")
    assert done.returncode == 2 and b"unknown model" in done.stderr
    done = ftlint("stats", classes, "--n-epochs", "0", "--isolated")
    assert done.returncode == 2 and b"--n-epochs" in done.stderr


def test_cli_directory_means_every_dataset_inside(ftlint, tmp_path, classes):
    done = ftlint("stats", str(tmp_path), "--isolated", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert [f["path"] for f in json.loads(done.stdout)["files"]] == [classes]
