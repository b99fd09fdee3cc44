"""Inference of the separator and the stop sequence (`ftlint.conventions.dominant_suffix`)."""
from __future__ import annotations

import pytest

from ftlint.conventions import dominant_suffix

SEP, STOP = "\n\n###\n\n", " END"


def answers(stop: str, yes_share: float, n: int = 40) -> list[str]:
    """Completions that share text before the stop: "... The answer is yes" on `yes_share`."""
    return [f" Let me think about number {i}. The answer is {'yes' if i < yes_share * n else 'no'}{stop}" for i in range(n)]


@pytest.mark.parametrize("stop", [STOP, "\n", " ->", "<|endoftext|>"])
@pytest.mark.parametrize("yes_share", [0.55, 0.6, 0.8, 0.85])
def test_content_shared_by_most_records_is_not_the_stop(stop, yes_share):
    assert dominant_suffix(answers(stop, yes_share)) == (stop, 1.0)


def test_a_suffix_on_every_record_with_its_core_is_kept_whole():
    """Past the core, a character stays while 90% of the texts with the core have it."""
    texts = [f"text {i}{SEP}" for i in range(9)] + ["text 9\n###\n\n"]  # 9 of 10 have all of it
    assert dominant_suffix(texts) == (SEP, 0.9)
    texts = [f"text {i}{SEP}" for i in range(8)] + ["text 8\n###\n\n", "text 9\n###\n\n"]  # 8 of 10
    assert dominant_suffix(texts) == ("\n###\n\n", 1.0)


def test_trailing_whitespace_is_the_core_of_a_visible_ending():
    """Variants that differ in whitespace (`"\\n###\\n"`, `" ###"`, one newline too many) do not
    shorten the separator; the visible part is measured against the trailing whitespace."""
    texts = [f"Review {i}.{SEP}" for i in range(9)] + ["Review 9.\n###\n", "Review 10. ###", f"Review 11.{SEP}\n"]
    assert dominant_suffix(texts) == (SEP, 0.75)


@pytest.mark.parametrize("repeated", ["Classify: What is 2+2?", "Hi there", "Summarize this text"])
@pytest.mark.parametrize("others_end_with_separator", [True, False])
def test_a_prompt_repeated_in_most_records_is_never_the_separator(repeated, others_end_with_separator):
    """The words of one text, however often repeated, are content; its symbols may be the
    separator."""
    prompts = [repeated + SEP] * 60
    prompts += [f"Question number {i} about something else{SEP if others_end_with_separator else ''}" for i in range(40)]
    assert dominant_suffix(prompts) == (SEP, 1.0 if others_end_with_separator else 0.6)


def test_one_repeated_text_gives_no_words():
    assert dominant_suffix(["Classify: What is 2+2?"] * 60 + [f"question {i}" for i in range(40)]) == (None, 0.0)
    assert dominant_suffix(["Review: Lovely pastries." + SEP] * 5) == (SEP, 1.0)
    assert dominant_suffix(["Lovely pastries" + SEP]) == (None, 0.0)  # one record


def test_prompts_that_are_only_the_separator_count_for_it():
    """A blank prompt with its separator (what FT201's fix makes of an empty prompt) is the
    separator whole; it still supports the separator of the other prompts."""
    prompts = [SEP] * 4 + [f"question {i}{SEP}" for i in range(6)]
    assert dominant_suffix(prompts) == (SEP, 1.0)


def test_sentence_end_and_word_boundary():
    assert dominant_suffix([f"Great film number {i}.{SEP}" for i in range(5)]) == (SEP, 1.0)
    assert dominant_suffix([f"{w}s{SEP}" for w in ("film", "book", "song", "play")]) == (SEP, 1.0)
    assert dominant_suffix([f"answer {i}." for i in range(5)]) == (None, 0.0)  # "." alone is no convention


def test_a_last_line_most_prompts_share_is_the_separator():
    """Separators only (`whole_line`): a template's last line shared whole by most prompts wins
    over the core rule, so another label line is reported (FT202) instead of both passing as
    ":"; a stop sequence never grows past the core rule that way."""
    prompts = [f"Ad: thing {i}\nSupported:" for i in range(82)] + [f"Ad: other {i}\nAnswer:" for i in range(18)]
    assert dominant_suffix(prompts) == (":", 1.0)
    assert dominant_suffix(prompts, whole_line=True) == ("\nSupported:", 0.82)
    variants = [f"text {i}{SEP}" for i in range(8)] + ["text 8\n###\n\n", "text 9\n###\n\n"]
    assert dominant_suffix(variants, whole_line=True) == (SEP, 0.8)  # the two others are variants (FT201)
    completions = [f" Let me think about number {i}.\nThe answer is {'yes' if i < 24 else 'no'}{STOP}" for i in range(40)]
    assert dominant_suffix(completions) == (STOP, 1.0)


def test_short_free_text_replies_are_generation_and_a_label_set_is_classification():
    """Replies that repeat a few reactions ("Cool!", "Cool.", "Thanks!") but are mostly said
    once are generation: FT504 must not offer to relabel them. Real replies from the
    chatterbot-corpus (tests/data/chat_small.jsonl); the same reactions alone are labels."""
    import json
    from pathlib import Path

    from ftlint.conventions import infer

    chats = (Path(__file__).parent / "data" / "chat_small.jsonl").read_text(encoding="utf-8").splitlines()
    replies = sorted({m["content"] for line in chats for m in json.loads(line)["messages"] if m["role"] == "assistant"})
    reactions = ["Cool!", "Cool.", "Thanks!", "Thanks.", "Sure.", "Haha", "Yes.", "No.", "Nice one", "Agreed", "Why?", "Ok"]
    said = [reactions[i % len(reactions)] for i in range(110)] + replies
    records = [{"prompt": f"Message {i}{SEP}", "completion": f" {text}{STOP}"} for i, text in enumerate(said)]
    assert len(set(said)) < len(said) / 3  # few distinct values: classification by count alone
    assert infer(records, {}).task == "generation"
    labels = [{"prompt": f"Message {i}{SEP}", "completion": f" {text}"} for i, text in enumerate(said[:110])]
    assert infer(labels, {}).task == "classification"


@pytest.mark.parametrize("texts", [[], ["", ""], [f"prompt {i}\n\n###\n\n" for i in range(9000)]])
def test_dominant_suffix_on_no_text_and_on_more_texts_than_it_reads(texts):
    """Empty prompts (open-ended generation) have no separator; past SUFFIX_TEXTS distinct texts
    the suffix is decided on a spread of them, and its share is of all of them."""
    assert dominant_suffix(texts) == ((SEP, 1.0) if texts and texts[0] else (None, 0.0))
