"""Exact token totals of a whole file (what a cost estimate needs), using every core.

Unlike the rules, which tokenize only what could exceed a limit, this counts every text:
prompt and completion; in chat records, what FT708 counts (every message's texts, tool-call
arguments and tool definitions, with OpenAI's per-message overhead, which is counted with the
prompt); in preference records, the `input` as the prompt and both outputs as the completion.
"""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from collections.abc import Callable
from typing import Any
from dataclasses import asdict, dataclass

from ftlint import tokens
from ftlint.formats import detect_format
from ftlint.reader import RangeReader, collector_paused, is_gzip, iter_batches, open_binary, partition

PARALLEL_MIN_BYTES = 8 << 20


@dataclass
class Totals:
    records: int = 0
    prompt_tokens: int = 0  # prompt, or every message that is not the assistant's
    completion_tokens: int = 0  # completion, or the assistant's messages
    longest_example: int = 0  # tokens of the longest record

    @property
    def total(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def add(self, other: Totals) -> None:
        self.records += other.records
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.longest_example = max(self.longest_example, other.longest_example)

    def to_json(self) -> dict[str, int]:
        return {**asdict(self), "total_tokens": self.total}


def _count_range(path: str, encoding_name: str, start: int, end: int) -> Totals:
    encode = tokens.get_encoding(encoding_name).encode_ordinary
    totals = Totals()
    stream = open_binary(path) if end < 0 else RangeReader(path, start, end)
    with stream, collector_paused():
        for batch in iter_batches(stream, path):
            for value in batch.values:
                if value is None:
                    continue
                asked, answered = _count_record(value, encode)
                totals.records += 1
                totals.prompt_tokens += asked
                totals.completion_tokens += answered
                totals.longest_example = max(totals.longest_example, asked + answered)
    return totals


def _count_record(value: dict[str, Any], encode: Callable[[str], list[int]]) -> tuple[int, int]:
    """(prompt tokens, completion tokens) of a record of any format."""
    fmt = detect_format(value)
    if fmt == "prompt-completion":
        prompt, completion = value.get("prompt"), value.get("completion")
        return (len(encode(prompt)) if type(prompt) is str else 0), (len(encode(completion)) if type(completion) is str else 0)
    if fmt == "chat":
        messages, holder = value.get("messages"), value
    elif fmt == "preference" and type(value.get("input")) is dict:
        holder = value["input"]
        outputs = [value.get(key) for key in ("preferred_output", "non_preferred_output")]
        messages = (holder.get("messages") if type(holder.get("messages")) is list else []) + [
            m for output in outputs if type(output) is list for m in output]
    else:
        return 0, 0
    if type(messages) is not list:
        return 0, 0
    counted = tokens.conversation_texts(messages, holder)
    return counted.overhead + sum(len(encode(t)) for t in counted.asked), sum(len(encode(t)) for t in counted.answered)


def token_totals(path: str, model: str, jobs: int = 1) -> Totals:
    """Count every token of a file under the model's encoding, in `jobs` processes."""
    encoding = tokens.resolve_model(model).encoding
    tokens.get_encoding(encoding)  # fail early, in this process, if it cannot load
    if jobs < 2 or is_gzip(path) or os.path.getsize(path) < PARALLEL_MIN_BYTES:
        return _count_range(path, encoding, 0, -1)
    ranges = partition(path, jobs)
    totals = Totals()
    with ProcessPoolExecutor(len(ranges), mp_context=multiprocessing.get_context("spawn")) as pool:
        for part in pool.map(_count_range, *zip(*[(path, encoding, s, e) for s, e in ranges])):
            totals.add(part)
    return totals
