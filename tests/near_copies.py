"""Planted near-copies for the near-duplicate tests (rules and Dask): the two kinds issue #15
asks the rules to catch."""
from __future__ import annotations

import random
import re


def surface_edit(rng: random.Random, text: str) -> str:
    """A copy differing in case, spacing or punctuation (two edits)."""
    edits = [str.upper, str.lower, lambda s: s.replace(" ", "  "), lambda s: s.rstrip(".!?") + "!!",
             lambda s: re.sub(r"[,.!?']", "", s), lambda s: " " + s + "  ", lambda s: s.replace(", ", " , ")]
    for edit in rng.sample(edits, 2):
        text = edit(text)
    return text


def word_edit(rng: random.Random, text: str, vocabulary: list[str]) -> str:
    """A copy with one or two words replaced by other words of the corpus."""
    words = text.split()
    for at in rng.sample(range(len(words)), rng.choice([1, 2])):
        words[at] = rng.choice([w for w in vocabulary if w != words[at]])
    return " ".join(words)
