"""Dataset statistics and the training cost estimate: the one place cost and hyperparameter
advice are computed (`ftlint stats`, `ftlint submit --dry-run` and the HTML report use it).

    from ftlint import stats
    s = stats.dataset_stats("train.jsonl", model="gpt-4o-mini-2024-07-18")
    s.cost.total_usd, s.cost.epochs, s.advice.batch_size

Tokens per example are counted with the model's encoding (offline, `ftlint.tokens`):
prompt + completion for prompt-completion records; for conversations OpenAI's recipe (the texts,
3 tokens per message, 1 per name, 3 to prime the reply) plus the tool definitions and the
tool-call names and arguments; for preference records the input conversation and both outputs.

Billing follows OpenAI's cookbook (chat_finetuning_data_prep): every example is billed up to
the model's per-example limit, once per epoch. Prices are a dated table (never fetched),
overridable with `[tool.ftlint.prices]` (USD per 1M training tokens, by model name).
"""
from __future__ import annotations

import math
import statistics
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson

from ftlint import conventions as conventions_mod
from ftlint import tokens
from ftlint.config import Settings
from ftlint.formats import detect_format
from ftlint.reader import collector_paused, iter_batches, open_binary, sample_records
from ftlint.text import show

# USD per 1M training tokens, from OpenAI's pricing page (fine-tuning, standard tier), as of
# PRICES_DATE. Models that can no longer be fine-tuned (ada, babbage, curie, davinci) have none.
PRICES_DATE = "2025-06-01"
PRICES: dict[str, float] = {
    "babbage-002": 0.40,
    "davinci-002": 6.00,
    "gpt-3.5-turbo-0613": 8.00,
    "gpt-3.5-turbo-1106": 8.00,
    "gpt-3.5-turbo-0125": 8.00,
    "gpt-3.5-turbo": 8.00,
    "gpt-4o-mini-2024-07-18": 3.00,
    "gpt-4o-mini": 3.00,
    "gpt-4o-2024-08-06": 25.00,
    "gpt-4.1-2025-04-14": 25.00,
    "gpt-4.1": 25.00,
    "gpt-4.1-mini-2025-04-14": 5.00,
    "gpt-4.1-mini": 5.00,
    "gpt-4.1-nano-2025-04-14": 1.50,
    "gpt-4.1-nano": 1.50,
}

# The legacy guide's base models: no longer offered for fine-tuning.
LEGACY_MODELS = ("ada", "babbage", "curie", "davinci")
CHAT_DEFAULT_MODEL = "gpt-4o-mini-2024-07-18"  # as FT708: chat and preference data

# How the API picks n_epochs="auto" (OpenAI cookbook, chat_finetuning_data_prep): 3 epochs,
# raised so that examples x epochs >= 100, lowered so that it is <= 25,000, within 1..25.
TARGET_EPOCHS, MIN_TARGET_EXAMPLES, MAX_TARGET_EXAMPLES, MIN_DEFAULT_EPOCHS, MAX_DEFAULT_EPOCHS = 3, 100, 25_000, 1, 25
LEGACY_DEFAULT_EPOCHS = 4  # the legacy fine-tunes API's default (its guide: "n_epochs ... Defaults to 4")

TOKENS_PER_MESSAGE, TOKENS_PER_NAME, REPLY_PRIMING = 3, 1, 3  # OpenAI's counting recipe, as FT708

# The legacy guide's learning-rate multipliers: "0.05, 0.1, or 0.2 depending on final
# batch_size (larger learning rates tend to perform better with larger batch sizes)". It does
# not publish the batch sizes where the value changes; ftlint uses these (an assumption):
LR_BY_BATCH_SIZE = ((8, 0.05), (64, 0.1))  # batch size <= 8: 0.05, <= 64: 0.1, else 0.2
LR_LARGEST = 0.2
LR_RANGE = (0.02, 0.2)  # "we recommend experimenting with values in the range 0.02 to 0.2"
MUCH_SMALLER = 0.5  # continuing training on less than half the original data per epoch...
MUCH_MUCH_SMALLER = 0.1  # ...lowers the multiplier 2x; on less than a tenth, 4x


@dataclass
class TokenSummary:
    """Tokens per example: min, median, 95th percentile (nearest rank), max, total."""

    min: int = 0
    median: float = 0.0
    p95: int = 0
    max: int = 0
    total: int = 0
    limit: int = 0  # the model's per-example limit
    over_limit: int = 0  # examples above it (billed, and trained, only up to the limit)


@dataclass
class HyperparameterAdvice:
    """The legacy fine-tuning guide's advice, computed for a dataset."""

    n_epochs: int
    n_epochs_range: tuple[int, int]
    batch_size: int
    learning_rate_multiplier: float
    learning_rate_range: tuple[float, float]
    notes: list[str] = field(default_factory=list)


@dataclass
class CostEstimate:
    billed_tokens_per_epoch: int
    api_default_epochs: int  # what n_epochs="auto" (or the legacy default) gives for this size
    epochs: int  # the epochs the total is for: the ones asked for, else the API's default
    epochs_source: str  # "given" | "API default"
    billed_tokens: int
    usd_per_million: float | None  # None: no known price for the model
    price_source: str  # "ftlint price table, <date>" or the config file
    total_usd: float | None


@dataclass
class DatasetStats:
    path: str
    format: str
    model: str
    encoding: str
    examples: int  # records read (lines that did not parse are not examples: `check` reports them)
    unreadable_lines: int
    tokens: TokenSummary
    task: str | None = None
    classes: dict[str, int] | None = None  # classification: label -> examples, most common first
    assistant_turns: int | None = None  # chat: assistant messages in all conversations
    tool_calls: int | None = None  # chat: tool calls (and legacy function calls) made
    cost: CostEstimate | None = None
    advice: HyperparameterAdvice | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def api_default_epochs(examples: int, model: str) -> int:
    """The epochs the API uses when n_epochs is not given, for this many training examples."""
    if tokens.resolve_model(model).name in LEGACY_MODELS:
        return LEGACY_DEFAULT_EPOCHS
    epochs = TARGET_EPOCHS
    if examples and examples * epochs < MIN_TARGET_EXAMPLES:
        epochs = min(MAX_DEFAULT_EPOCHS, MIN_TARGET_EXAMPLES // examples)
    elif examples * epochs > MAX_TARGET_EXAMPLES:
        epochs = max(MIN_DEFAULT_EPOCHS, MAX_TARGET_EXAMPLES // examples)
    return epochs


def hyperparameter_advice(
    examples: int, task: str | None, *, tokens_per_epoch: int | None = None,
    previous_tokens_per_epoch: int | None = None,
) -> HyperparameterAdvice:
    """The legacy guide's hyperparameters for `examples` training examples of a task.

    n_epochs 4, or 1-2 for generation; batch size about 0.2% of the examples (at least 1, at
    most 256); learning-rate multiplier 0.05/0.1/0.2 by that batch size, 0.02-0.2 worth trying.
    Continuing training (a fine-tuned model's `previous_tokens_per_epoch`, from the job that
    made it): on much less data, a 2-4x lower multiplier.
    """
    notes: list[str] = []
    if task == "generation":
        n_epochs, n_range = 2, (1, 2)
        notes.append("generation: 1-2 epochs (the guide's advice for conditional generation)")
    else:
        n_epochs, n_range = 4, (4, 4)
    batch_size = max(1, min(256, round(examples * 0.002)))
    lr = next((value for most, value in LR_BY_BATCH_SIZE if batch_size <= most), LR_LARGEST)
    if previous_tokens_per_epoch and tokens_per_epoch is not None:
        ratio = tokens_per_epoch / previous_tokens_per_epoch
        if ratio < MUCH_SMALLER:
            factor = 4 if ratio < MUCH_MUCH_SMALLER else 2
            notes.append(
                f"continuing training on {ratio:.0%} of the original data per epoch: multiplier "
                f"{lr:g} lowered {factor}x (the guide: 2-4x lower when the new data is much smaller)"
            )
            lr = lr / factor
    return HyperparameterAdvice(n_epochs, n_range, batch_size, round(lr, 4), LR_RANGE, notes)


def training_price(model: str, settings: Settings | None = None) -> tuple[float | None, str]:
    """USD per 1M training tokens for a model (a fine-tuned one: its base), and where it is from."""
    base = tokens.resolve_model(model).name
    for name in (model, base):
        if settings is not None and name in settings.prices:
            return float(settings.prices[name]), f"config ({settings.source or 'settings'})"
    return PRICES.get(base), f"ftlint price table of {PRICES_DATE}"


def default_model(fmt: str) -> str:
    return tokens.DEFAULT_MODEL if fmt == "prompt-completion" else CHAT_DEFAULT_MODEL


def dataset_stats(
    path: str, *, model: str | None = None, settings: Settings | None = None, n_epochs: int | None = None,
    previous_tokens_per_epoch: int | None = None,
) -> DatasetStats:
    """Statistics, cost estimate and hyperparameter advice for one dataset file.

    `model`: overrides `settings.model` (default: davinci for prompt-completion data,
    gpt-4o-mini-2024-07-18 for conversations, as the token rules); `n_epochs`: the epochs the
    cost is for (default: the API's). Raises OSError when the file cannot be read, ValueError
    for an unknown model, tokens.EncodingUnavailable when its encoding cannot be loaded.
    """
    settings = settings or Settings()
    conv = conventions_mod.infer(sample_records(path, settings.max_line_bytes), settings.conventions())
    model = model or settings.model or default_model(conv.format)
    info = tokens.resolve_model(model)
    encode = tokens.get_encoding(info.encoding).encode_ordinary
    counts: list[int] = []
    labels: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    unreadable = assistant_turns = tool_calls = 0
    with open_binary(path) as stream, collector_paused():
        for batch in iter_batches(stream, path, settings.max_line_bytes):
            for record in batch.values:
                if record is None:
                    unreadable += 1
                    continue
                fmt = detect_format(record)
                counts.append(_example_tokens(record, fmt, encode))
                if fmt == "chat" and type(record.get("messages")) is list:
                    turns, calls = _turns_and_calls(record["messages"])
                    assistant_turns += turns
                    tool_calls += calls
                completion = record.get("completion")
                if conv.task == "classification" and type(completion) is str and completion.strip():
                    key = conventions_mod.label_key(completion)
                    labels[key] += 1
                    spellings.setdefault(key, Counter())[completion] += 1
    summary = summarize(counts, info.max_tokens)
    result = DatasetStats(
        path=path, format=conv.format, model=model, encoding=info.encoding, examples=len(counts),
        unreadable_lines=unreadable, tokens=summary, task=conv.task,
    )
    if conv.task == "classification":
        result.classes = {spellings[key].most_common(1)[0][0]: n for key, n in labels.most_common()}
    if conv.format == "chat":
        result.assistant_turns, result.tool_calls = assistant_turns, tool_calls
    billed = sum(min(n, info.max_tokens) for n in counts)
    result.cost = estimate_cost(billed, len(counts), model, settings, n_epochs)
    result.advice = hyperparameter_advice(len(counts), conv.task, tokens_per_epoch=billed,
                                          previous_tokens_per_epoch=previous_tokens_per_epoch)
    return result


def example_tokens(path: str, *, model: str, settings: Settings | None = None) -> dict[int, int]:
    """Tokens of each example by its line number, counted as `dataset_stats` counts them (for the
    HTML report's histogram and the GX suite's token column); `model`: `DatasetStats.model`."""
    settings = settings or Settings()
    encode = tokens.get_encoding(tokens.resolve_model(model).encoding).encode_ordinary
    found: dict[int, int] = {}
    with open_binary(path) as stream, collector_paused():
        for batch in iter_batches(stream, path, settings.max_line_bytes):
            for line, record in zip(batch.lines, batch.values):
                if record is not None:
                    found[line] = _example_tokens(record, detect_format(record), encode)
    return found


def estimate_cost(billed_tokens_per_epoch: int, examples: int, model: str, settings: Settings | None = None,
                  n_epochs: int | None = None) -> CostEstimate:
    """The training cost of `billed_tokens_per_epoch` over the given epochs, else the API's."""
    default = api_default_epochs(examples, model)
    epochs = n_epochs or default
    price, source = training_price(model, settings)
    billed = billed_tokens_per_epoch * epochs
    total = round(billed * price / 1_000_000, 6) if price is not None else None
    return CostEstimate(billed_tokens_per_epoch, default, epochs, "given" if n_epochs else "API default",
                        billed, price, source, total)


def usd(amount: float) -> str:
    """$1,234.57, or for small amounts two significant digits ($0.0019)."""
    return f"${amount:,.2f}" if amount >= 0.1 or amount == 0 else f"${amount:.2g}" if amount >= 1e-4 else "under $0.0001"


def summarize(counts: list[int], limit: int) -> TokenSummary:
    if not counts:
        return TokenSummary(limit=limit)
    ordered = sorted(counts)
    p95 = ordered[math.ceil(0.95 * len(ordered)) - 1]
    return TokenSummary(ordered[0], statistics.median(ordered), p95, ordered[-1], sum(ordered), limit,
                        sum(n > limit for n in ordered))


def _example_tokens(record: dict[str, Any], fmt: str, encode: Any) -> int:
    if fmt == "prompt-completion":
        return sum(len(encode(record[key])) for key in ("prompt", "completion") if type(record.get(key)) is str)
    if fmt == "chat":
        return _conversation_tokens(record.get("messages"), record, encode)
    if fmt == "preference":
        given = record.get("input")
        if type(given) is dict:
            parts = [given.get("messages"), record.get("preferred_output"), record.get("non_preferred_output")]
            return _conversation_tokens([m for part in parts if type(part) is list for m in part], given, encode)
        return sum(len(encode(_text(record.get(key)))) for key in ("prompt", "chosen", "rejected"))
    return 0


def _text(value: Any) -> str:
    if type(value) is str:
        return value
    return orjson.dumps(value).decode() if value is not None else ""


def _conversation_tokens(messages: Any, record: dict[str, Any], encode: Any) -> int:
    """OpenAI's recipe, plus tool definitions and tool-call arguments."""
    if type(messages) is not list:
        return 0
    total = REPLY_PRIMING
    for key in ("tools", "functions"):
        definitions = record.get(key)
        if type(definitions) is list:
            total += sum(len(encode(_text(definition))) for definition in definitions)
    for message in messages:
        if type(message) is not dict:
            continue
        total += TOKENS_PER_MESSAGE
        for key, value in message.items():
            if key == "weight":
                continue
            if type(value) is str:
                total += len(encode(value)) + (TOKENS_PER_NAME if key == "name" else 0)
            elif key == "content" and type(value) is list:
                total += sum(len(encode(part["text"])) for part in value if type(part) is dict and type(part.get("text")) is str)
            elif key in ("tool_calls", "function_call") and value is not None:
                calls = value if type(value) is list else [value]
                for call in calls:
                    function = call.get("function", call) if type(call) is dict else None
                    if type(function) is dict:
                        total += sum(len(encode(_text(function.get(k)))) for k in ("name", "arguments"))
    return total


def _turns_and_calls(messages: list[Any]) -> tuple[int, int]:
    turns = calls = 0
    for message in messages:
        if type(message) is dict and message.get("role") == "assistant":
            turns += 1
            tool_calls = message.get("tool_calls")
            calls += len(tool_calls) if type(tool_calls) is list else 0
            calls += 1 if type(message.get("function_call")) is dict else 0
    return turns, calls


def describe(s: DatasetStats) -> list[str]:
    """The statistics as text lines (what `ftlint stats` prints)."""
    t = s.tokens
    kind = ", ".join(x for x in (s.format, s.task) if x)
    lines = [f"{s.path}: {s.examples:,} examples ({kind}); model {s.model} ({s.encoding}, {t.limit:,} tokens per example)"]
    if s.unreadable_lines:
        lines.append(f"  {s.unreadable_lines:,} lines could not be read and are not counted (`ftlint check` reports them)")
    over = f"; {t.over_limit:,} over the limit (billed and trained only up to it)" if t.over_limit else ""
    lines.append(f"  tokens per example: min {t.min:,}, median {t.median:,g}, p95 {t.p95:,}, max {t.max:,}; total {t.total:,}{over}")
    if s.assistant_turns is not None:
        lines.append(f"  assistant turns: {s.assistant_turns:,}; tool calls: {s.tool_calls:,}")
    if s.classes:
        shown = ", ".join(f"{show(label, 30)} {n:,}" for label, n in list(s.classes.items())[:20])
        more = f" and {len(s.classes) - 20} more" if len(s.classes) > 20 else ""
        lines.append(f"  classes ({len(s.classes)}): {shown}{more}")
    c = s.cost
    if c is not None:
        lines.append(f"  billed tokens per epoch: {c.billed_tokens_per_epoch:,}")
        epochs = f"{c.epochs} (given; the API's default for {s.examples:,} examples: {c.api_default_epochs})" if c.epochs_source == "given" \
            else f"{c.epochs} (the API's default for {s.examples:,} examples)"
        lines.append(f"  epochs: {epochs}")
        if c.total_usd is None:
            lines.append(f"  cost: {c.billed_tokens:,} billed tokens; no price known for {s.model} "
                         f"({'no longer fine-tunable' if tokens.resolve_model(s.model).name in LEGACY_MODELS else 'set [tool.ftlint.prices]'})")
        else:
            lines.append(f"  cost: {c.billed_tokens:,} billed tokens x ${c.usd_per_million:,.2f} per 1M = {usd(c.total_usd)} "
                         f"(prices: {c.price_source})")
    a = s.advice
    if a is not None:
        epochs = f"{a.n_epochs_range[0]}-{a.n_epochs_range[1]}" if a.n_epochs_range[0] != a.n_epochs_range[1] else f"{a.n_epochs}"
        lines.append(f"  the legacy guide's advice: n_epochs {epochs}, batch_size {a.batch_size} (0.2% of the examples, 1-256), "
                     f"learning_rate_multiplier {a.learning_rate_multiplier:g} (worth trying {a.learning_rate_range[0]:g}-{a.learning_rate_range[1]:g})")
        lines.extend(f"    {note}" for note in a.notes)
    return lines
