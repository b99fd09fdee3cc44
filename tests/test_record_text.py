"""The prompt, answer and asked texts of records in every format (ftlint.record_text)."""
from __future__ import annotations

import json

from ftlint.reader import parse_lines
from ftlint.record_text import answer_texts, asked_text, asked_texts, prompt_texts, texts

SYSTEM = {"role": "system", "content": "Be brief."}
USER = {"role": "user", "content": "do you drink"}
ASSISTANT = {"role": "assistant", "content": "My brain does not require any beverages."}
TOOLS = [{"type": "function", "function": {"name": "order_drink", "parameters": {"type": "object", "properties": {}}}}]


def test_chat_prompt_is_the_conversation_before_the_last_answer():
    follow_up = {"role": "user", "content": "not even water?"}
    second = {"role": "assistant", "content": "I am not capable of doing so."}
    prompt, answer = texts({"messages": [SYSTEM, USER, ASSISTANT, follow_up, second]})
    assert json.loads(prompt) == [SYSTEM, USER, ASSISTANT, follow_up]
    assert answer == second["content"]
    # key order does not matter; tools are part of what is asked
    reordered = {"messages": [dict(reversed(m.items())) for m in (SYSTEM, USER, ASSISTANT, follow_up, second)]}
    assert texts(reordered) == (prompt, answer)
    with_tools, _ = texts({"messages": [USER, ASSISTANT], "tools": TOOLS})
    assert json.loads(with_tools) == {"messages": [USER], "tools": TOOLS}


def test_answer_of_a_tool_call_and_of_no_assistant():
    calls = [{"id": "call_1", "type": "function", "function": {"name": "order_drink", "arguments": "{}"}}]
    _, answer = texts({"messages": [USER, {"role": "assistant", "content": None, "tool_calls": calls}]})
    assert json.loads(answer) == calls
    assert texts({"messages": [SYSTEM, USER]})[1] is None


def test_asked_text_leaves_out_every_assistant_message():
    follow_up = {"role": "user", "content": "not even water?"}
    record = {"messages": [SYSTEM, USER, ASSISTANT, follow_up, {"role": "assistant", "content": "No."}]}
    assert json.loads(asked_text(record)) == [SYSTEM, USER, follow_up]
    other_answers = {"messages": [SYSTEM, USER, {"role": "assistant", "content": "Never."}, follow_up, {"role": "assistant", "content": "Nope."}]}
    assert asked_text(other_answers) == asked_text(record)
    assert asked_text({"prompt": "Review: fine\n\n###\n\n", "completion": " positive"}) == "Review: fine\n\n###\n\n"


def test_preference_texts():
    record = {"input": {"messages": [USER], "tools": TOOLS}, "preferred_output": [ASSISTANT],
              "non_preferred_output": [{"role": "assistant", "content": "Yes."}]}
    prompt, answer = texts(record)
    assert json.loads(prompt) == {"messages": [USER], "tools": TOOLS}
    assert answer == ASSISTANT["content"]
    assert asked_text(record) == prompt
    trl = {"prompt": "do you drink", "chosen": "No.", "rejected": "Yes."}
    assert texts(trl) == (None, None)  # TRL's shape is no API format (FT015 names it; `ftlint convert` converts it)
    assert texts(trl, "preference") == ("do you drink", "No.")


def test_batch_columns_reuse_the_prompt_column_for_prompt_completion():
    raws = [json.dumps({"prompt": "a ->", "completion": " b"}).encode(), b"{broken", json.dumps({"prompt": "c ->", "completion": 1}).encode()]
    batch = parse_lines(raws, 1, "t.jsonl")
    assert prompt_texts(batch) is batch.strings("prompt") is asked_texts(batch)
    assert answer_texts(batch) == [" b", None, None]
    mixed = parse_lines(raws + [json.dumps({"messages": [USER, ASSISTANT]}).encode()], 1, "t.jsonl")
    assert prompt_texts(mixed) == ["a ->", None, "c ->", json.dumps([USER], separators=(",", ":"), sort_keys=True)]
    assert answer_texts(mixed) == [" b", None, None, ASSISTANT["content"]]
