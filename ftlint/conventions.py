"""What the dataset itself says its conventions are: format, separator, stop sequence, task.

Inferred once per file from a sample (the whole file up to SAMPLE_BYTES, else evenly spaced
windows), unless configured. Rules then enforce them record by record, and the summary and JSON
output report them, because inference needs them too (append the separator, pass the stop
sequence; for classifiers max_tokens=<tokens of the longest label> and logprobs=<classes, at
most 5>).
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Iterable, Iterator

from ftlint.formats import UNKNOWN, detect_format
from ftlint.text import show

MAX_AFFIX = 32  # longest separator or stop sequence considered
SUFFIX_TEXTS = 4000  # distinct texts a separator or stop sequence is inferred from
MAX_LOGPROBS = 5  # the completions API returns at most this many logprobs per token
MAJORITY = 0.5  # share of records that must end with a candidate
CORE_SHARE = 0.9  # share of the records ending with a suffix's core that must end with each longer suffix
SENTENCE_END = set(".?!。？！…\"'”’)]】」")
DEFAULT_SEPARATOR = "\n\n###\n\n"
DEFAULT_STOP = " END"
TRAILING_PUNCTUATION = ".,;:!?…。，；：！？"
_MARKER_WORD = re.compile(r"(?:^|\s)[A-Z]{3,}$")
_GLUED_MARKER = re.compile(r"[A-Z]{3,}(?![a-z])")  # "END" in "sirEND", not "Ending"


@dataclass
class Conventions:
    format: str = "unknown"  # prompt-completion | chat | preference | unknown
    separator: str | None = None
    separator_source: str = "none"  # config | inferred | none
    separator_share: float = 0.0  # share of sampled prompts that end with it
    stop: str | None = None
    stop_source: str = "none"
    stop_share: float = 0.0
    task: str | None = None  # classification | generation
    task_source: str = "none"
    classes: list[str] = field(default_factory=list)  # labels seen in the sample, most common first
    sampled: int = 0

    def to_json(self, model: str | None = None) -> dict[str, Any]:
        """The conventions, and under "inference" what to pass to the completions API with the
        fine-tuned `model` (default: ftlint's default model)."""
        data = asdict(self)
        inference = self.inference(model)
        if inference:
            data["inference"] = inference
        return data

    def inference(self, model: str | None = None) -> dict[str, Any]:
        """Completions API parameters for this dataset. Classifiers: `max_tokens` is the token
        count of the longest label under the model's encoding, each label without the stop
        sequence it ends with (which is then `stop`); `logprobs` is the number of classes, at
        most 5, the API's cap (with `notes` saying so and what to do). Generation: `stop`."""
        if self.task != "classification" or not self.classes:
            return {"stop": [self.stop]} if self.stop else {}
        from ftlint import tokens

        info = tokens.resolve_model(model or tokens.DEFAULT_MODEL)
        encoding = tokens.get_encoding(info.encoding)
        stop = self.label_stop(self.classes)
        longest = max(len(encoding.encode_ordinary(without_stop(label, stop))) for label in self.classes)
        data: dict[str, Any] = {"max_tokens": longest, "logprobs": min(len(self.classes), MAX_LOGPROBS),
                                "model": info.name, "encoding": info.encoding}
        if stop:
            data["stop"] = [stop]
        notes = []
        if longest > 1:
            notes.append(f"the longest label is {longest} tokens under {info.encoding}: logprobs then scores only the first "
                         "token; single-token labels (FT402 suggests some) make max_tokens=1")
        if len(self.classes) > MAX_LOGPROBS:
            notes.append(f"{len(self.classes)} classes, but the completions API returns at most {MAX_LOGPROBS} logprobs: "
                         f"pass logprobs={MAX_LOGPROBS} and read the top {MAX_LOGPROBS} (the predicted class and its closest "
                         "rivals); with single-token labels (numbers where the encoding has them) each of them is a class")
        if notes:
            data["notes"] = notes
        return data

    def label_stop(self, labels: list[str]) -> str | None:
        """The stop sequence that class labels end with: the configured or inferred one, else
        a stop-like ending the labels share (" positive END", " negative END": " END")."""
        if self.stop:
            return self.stop
        return dominant_suffix(labels)[0] if len(labels) > 1 else None


def without_stop(label: str, stop: str | None) -> str:
    """The label as a class name: without the stop sequence it ends with (kept when it is all)."""
    return label[: -len(stop)] if stop and label.endswith(stop) and len(label) > len(stop) else label


def label_key(label: str) -> str:
    """The class a label spells: without surrounding whitespace, trailing punctuation and case."""
    core = label.strip()
    trimmed = core.rstrip(TRAILING_PUNCTUATION).rstrip()
    return (trimmed or core).casefold()


def separator_like(text: str) -> bool:
    """A convention must look deliberate: a newline, a marker word in capitals (END), or a
    character that is neither a letter, a digit, a space nor sentence-final punctuation
    (so "." or "?" alone never count)."""
    return (
        "\n" in text
        or _MARKER_WORD.search(text) is not None
        or any(not (ch.isalnum() or ch.isspace() or ch in SENTENCE_END) for ch in text)
    )


def dominant_suffix(texts: list[str], whole_line: bool = False) -> tuple[str | None, float]:
    """The longest suffix that most texts end with, as a separator or stop sequence.

    Grows leftwards one character at a time, while:
    - more than half of the texts (two at least) end with the longer suffix and keep a
      character before it: a text repeated in most records is never taken whole;
    - a letter, a digit or sentence-final punctuation is in two different texts at least: a
      repeated text is one piece of evidence, and its words are content ("Hi there" +
      "\\n\\n###\\n\\n" in 60% of the records gives "\\n\\n###\\n\\n");
    - past the core (the trailing whitespace most texts share, else the first character), at
      least CORE_SHARE (90%) of the texts that end with the core end with the longer suffix:
      a convention is on every record that has its core, content only on some (" The answer
      is yes END" on 60% of the completions gives " END", not "yes END");
    - the character is not sentence-final punctuation once the suffix looks deliberate
      ("Great film." + "\\n\\n###\\n\\n").
    With `whole_line` (separators), a last line that more than half of the texts share whole
    wins even past the core rule: a prompt template's last line ("\\nSupported:" on 82%,
    "\\nAnswer:" on 18%) is the separator, not the ":" both end with. Then the suffix is cut
    back to a word boundary ("films" + "\\n\\n###\\n\\n" must not make "s" part of it).
    Decided on at most SUFFIX_TEXTS distinct texts, evenly spread over the sample (the shares
    these rules compare move by about 1%); the share returned is of all the texts.
    Returns (suffix, share of texts ending with it), or (None, 0.0).
    """
    every = Counter(t for t in texts if t)
    stride = max(1, -(-len(every) // SUFFIX_TEXTS))  # ceiling division; 1 for no text at all
    counts = every if stride == 1 else Counter(dict(list(every.items())[::stride]))
    total = sum(counts.values())
    suffix, group = "", list(counts.items())
    line: tuple[str, list[tuple[str, int]]] | None = None  # the longest whole last line seen
    core_held = True
    for longer, longer_group, core_share in _grown_suffixes(counts, total):
        core_held = core_held and core_share >= CORE_SHARE
        if core_held:
            suffix, group = longer, longer_group
        elif not whole_line:
            break
        if whole_line and longer.startswith("\n"):
            line = (longer, longer_group)
    if line is not None and len(line[0]) > len(suffix):
        suffix, group = line
    while suffix and suffix[0].isalnum() and not _starts_words(group, suffix):
        suffix = suffix[1:]  # cut back to a word boundary
    if not suffix or not separator_like(suffix):
        return None, 0.0
    return suffix, sum(n for t, n in every.items() if t.endswith(suffix)) / sum(every.values())


def _starts_words(group: list[tuple[str, int]], suffix: str) -> bool:
    """Whether `suffix` starts a word in every text of `group` (text, count) that ends with it;
    a marker in capitals in CORE_SHARE of them (":DEND" among "sirEND" and " END" is one
    glued to an emoticon, not a word "DEND")."""
    ending = [(t, n) for t, n in group if t.endswith(suffix)]
    if _GLUED_MARKER.match(suffix) is None:
        return all(_starts_word(t, suffix) for t, _ in ending)
    starting = sum(n for t, n in ending if _starts_word(t, suffix))
    return starting >= CORE_SHARE * sum(n for _, n in ending)


def _starts_word(text: str, suffix: str) -> bool:
    """Whether `suffix`, which `text` ends with, starts a word there: after a character that is
    not a letter or digit, or as a marker in capitals glued to a word that is not ("sirEND")."""
    if len(text) == len(suffix):
        return True
    before = text[-len(suffix) - 1]
    return not before.isalnum() or (_GLUED_MARKER.match(suffix) is not None and not before.isupper())


def _grown_suffixes(counts: Counter[str], total: int) -> Iterator[tuple[str, list[tuple[str, int]], float]]:
    """The suffix of `dominant_suffix`, grown by every rule but the core rule: (suffix, the
    distinct texts ending with it and their counts, the share of the texts ending with the core
    that end with it) per character added."""
    group = list(counts.items())
    suffix, core = "", 0  # core: texts ending with the core, once it is complete
    while len(suffix) < MAX_AFFIX:
        k = len(suffix) + 1
        ending: Counter[str] = Counter()  # character before the suffix -> texts ending with both
        for text, n in group:
            if len(text) >= k:
                ending[text[-k]] += n
        if not ending:
            return
        char, count = ending.most_common(1)[0]
        longer = [(t, n) for t, n in group if len(t) >= k and t[-k] == char]
        keeping = sum(n for t, n in longer if len(t) > k)
        if count < 2 or keeping <= MAJORITY * total or (len(longer) < 2 and (char.isalnum() or char in SENTENCE_END)):
            return
        if not core and not char.isspace():  # the core is complete: the whitespace so far, else this character
            core = sum(n for _, n in group) if suffix else count
        if char in SENTENCE_END and separator_like(suffix):
            return
        suffix, group = char + suffix, longer
        yield suffix, group, count / core if core else 1.0


def infer(sampled: Iterable[dict[str, Any] | None], settings: dict[str, Any]) -> Conventions:
    """Infer conventions from sampled records; configured values (settings) win."""
    records = [r for r in sampled if r is not None]
    conv = Conventions(sampled=len(records))
    detected = [detect_format(r) for r in records]
    formats = Counter(f for f in detected if f != "unknown")
    majority = formats.most_common(1)[0][0] if formats and formats.total() >= len(detected) / 2 else "unknown"
    conv.format = settings.get("format") or majority  # unknown when most records are in no accepted format
    if settings.get("format") not in (None, "prompt-completion"):
        return conv
    if not settings.get("format"):  # prompt-completion conventions, also for a minority of such records
        records = [r for r, f in zip(records, detected) if f == "prompt-completion"]
        if not records:
            return conv

    prompts = [r["prompt"] for r in records if type(r.get("prompt")) is str]
    completions = [r["completion"] for r in records if type(r.get("completion")) is str]

    if settings.get("task"):
        conv.task, conv.task_source = settings["task"], "config"
    elif completions:
        conv.task = "classification" if _labels(completions) else "generation"
        conv.task_source = "inferred"
    if conv.task == "classification":
        spellings: dict[str, str] = {}  # class -> its most common spelling
        for label, _ in Counter(c for c in completions if c.strip()).most_common():
            spellings.setdefault(label_key(label), label)
        conv.classes = list(spellings.values())

    if settings.get("separator") is not None:
        conv.separator, conv.separator_source = settings["separator"], "config"
        conv.separator_share = _share(prompts, conv.separator)
    else:
        conv.separator, conv.separator_share = dominant_suffix(prompts, whole_line=True)
        conv.separator_source = "inferred" if conv.separator else "none"

    if settings.get("stop") is not None:
        conv.stop, conv.stop_source = settings["stop"], "config"
        conv.stop_share = _share(completions, conv.stop)
    elif conv.task == "generation":
        conv.stop, conv.stop_share = dominant_suffix(completions)
        conv.stop_source = "inferred" if conv.stop else "none"
    return conv


def _labels(completions: list[str]) -> bool:
    """Whether completions look like class labels: few distinct values (under a third of the
    records, at most 500), most of them repeated. Free-text replies repeat some answers
    ("Cool!", "Thanks!") but most are said once: when more than half of over ten distinct values
    occur once, the file is generation, whatever the count."""
    counts = Counter(c.strip() for c in completions)
    distinct = len(counts)
    if distinct >= max(len(completions) / 3, 2) or distinct > 500:
        return False
    once = sum(1 for n in counts.values() if n == 1)
    return distinct <= 10 or once <= distinct / 2


def following(own: Conventions, training: Conventions) -> Conventions:
    """A validation file's conventions: the training file's separator, stop sequence, task and
    label set, with its own format and sample size."""
    return replace(training, format=own.format, sampled=own.sampled)


def differences(own: Conventions, training: Conventions, sampled: Iterable[dict[str, Any] | None]) -> list[str]:
    """How a validation file's own conventions (inferred from `sampled`) differ from its
    training file's, one phrase each: format, separator, stop sequence, class labels."""
    found = []
    if own.format != training.format and UNKNOWN not in (own.format, training.format):
        found.append(f"its records are {own.format}, the training file's {training.format}")
    for what, mine, theirs in (("separator", own.separator, training.separator), ("stop sequence", own.stop, training.stop)):
        if mine is not None and mine != theirs:
            where = "the training file has none" if theirs is None else f"the training file's is {show(theirs)}"
            found.append(f"its prompts end with the {what} {show(mine)}, {where}" if what == "separator"
                         else f"its completions end with the {what} {show(mine)}, {where}")
    if training.task == "classification" and training.classes:
        spelled = {label_key(c): c for c in training.classes}
        labels = Counter(r["completion"] for r in sampled if r is not None and type(r.get("completion")) is str)
        variants = [f"{show(label)} ({n}) where the training file has {show(spelled[label_key(label)])}"
                    for label, n in labels.most_common() if label not in training.classes and label_key(label) in spelled]
        unseen = [f"{show(label)} ({n})" for label, n in labels.most_common() if label_key(label) not in spelled]
        if variants:
            found.append("labels spelled differently: " + ", ".join(variants[:5]) + (f" and {len(variants) - 5} more" if len(variants) > 5 else ""))
        if unseen:
            found.append("labels that are no training class: " + ", ".join(unseen[:5]) + (f" and {len(unseen) - 5} more" if len(unseen) > 5 else ""))
    return found


def _share(texts: list[str], suffix: str) -> float:
    return sum(t.endswith(suffix) for t in texts) / len(texts) if texts else 0.0
