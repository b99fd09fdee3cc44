"""Exact token totals of a whole file (what a cost estimate needs), using every core.

Unlike the rules, which tokenize only what could exceed a limit, this counts every text:
prompt and completion, or each message's content in chat records (the chat template adds a few
tokens per message, which are not counted).
"""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass

from ftlint import tokens
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
                asked = answered = 0
                messages = value.get("messages")
                if isinstance(messages, list):
                    for message in messages:
                        content = message.get("content") if isinstance(message, dict) else None
                        if isinstance(content, str):
                            n = len(encode(content))
                            if message.get("role") == "assistant":
                                answered += n
                            else:
                                asked += n
                else:
                    prompt, completion = value.get("prompt"), value.get("completion")
                    asked = len(encode(prompt)) if isinstance(prompt, str) else 0
                    answered = len(encode(completion)) if isinstance(completion, str) else 0
                totals.records += 1
                totals.prompt_tokens += asked
                totals.completion_tokens += answered
                totals.longest_example = max(totals.longest_example, asked + answered)
    return totals


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
