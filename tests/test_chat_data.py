"""Chat and preference data through the whole CLI: a real chat file written by others, the
dataset rules on conversations, and token counts that agree between `check` and `tokens`."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from ftlint import tokens
from ftlint.cli import main

DATA = Path(__file__).parent / "data"
TOY_CHAT = DATA / "toy_chat_fine_tuning.jsonl"  # OpenAI cookbook, MIT (see data/README.md)


def _check(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, list[dict]]:
    code = main(["check", *args, "--isolated", "--format", "json"])
    return code, json.loads(capsys.readouterr().out)["diagnostics"]


def test_cookbook_toy_chat_gets_exactly_its_defects(capsys):
    # 5 conversations (fewer than the API's 10) and line 4, which has no user message
    code, found = _check(capsys, str(TOY_CHAT))
    assert code == 1
    assert sorted((d["code"], d["location"]["line"]) for d in found) == [("FT110", 1), ("FT706", 4)]


def test_three_identical_conversations_checked_against_themselves(tmp_path, capsys):
    record = {"messages": [{"role": "system", "content": "You are a friendly chatbot."},
                           {"role": "user", "content": "Hi, How is it going?<|endoftext|>"},
                           {"role": "assistant", "content": "Good"}]}
    path, copy = tmp_path / "train.jsonl", tmp_path / "valid.jsonl"
    path.write_text((json.dumps(record) + "\n") * 3, encoding="utf-8")
    copy.write_bytes(path.read_bytes())  # the same file given twice is a usage error: a copy of it
    code, found = _check(capsys, str(path), "--validation", str(copy))
    assert code == 1
    lines = {c: sorted(d["location"]["line"] for d in found if d["code"] == c) for c in ("FT601", "FT610", "FT403")}
    assert lines["FT601"] == [2, 2, 3, 3]  # in the training file and in the validation file
    assert lines["FT610"] == [1, 2, 3]
    assert lines["FT403"] == [1, 1, 2, 2, 3, 3]
    assert {d["location"]["pointer"] for d in found if d["code"] == "FT403"} == {"/messages/1/content"}


def _arguments_of(n_tokens: int) -> str:
    """A tool call's arguments (a JSON object as a string) of exactly `n_tokens` o200k tokens."""
    encoding = tokens.get_encoding("o200k_base")
    head, tail = '{"query": "', '"}'
    words = " tea" * n_tokens
    text = head + words + tail
    while len(encoding.encode_ordinary(text)) > n_tokens:
        words = words[4:]
        text = head + words + tail
    assert len(encoding.encode_ordinary(text)) == n_tokens
    return text


def test_tool_call_arguments_over_the_limit_are_reported(tmp_path, capsys):
    arguments = _arguments_of(100_005)
    record = {"messages": [
        {"role": "user", "content": "Order tea"},
        {"role": "assistant", "content": None, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "order", "arguments": arguments}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "ordered"},
        {"role": "assistant", "content": "Done."},
    ]}
    path = tmp_path / "train.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    code, found = _check(capsys, str(path), "--select", "FT708")
    assert code == 1
    (d,) = found
    count = int(d["message"].split(" tokens")[0].split()[-1].replace(",", ""))
    assert 100_005 < count < 100_060  # the arguments, the other texts and the per-message overhead
    assert "65,536-token limit of gpt-4o-mini-2024-07-18" in d["message"]


def test_tokens_counts_chat_with_the_model_check_uses(tmp_path, capsys):
    assert main(["tokens", str(TOY_CHAT), "--isolated", "--format", "json", "--jobs", "1"]) == 0
    report = json.loads(capsys.readouterr().out)
    totals = report["files"][str(TOY_CHAT)]
    assert report["model"] == totals["model"] == "gpt-4o-mini-2024-07-18"
    # FT708 counts the longest conversation (line 5) to the same number of tokens
    longest = totals["longest_example"]
    config = tmp_path / "ftlint.toml"
    config.write_text(f"[rules.chat-too-many-tokens]\nmax-tokens = {longest - 1}\n", encoding="utf-8")
    main(["check", str(TOY_CHAT), "--config", str(config), "--select", "FT708", "--format", "json"])
    (d,) = json.loads(capsys.readouterr().out)["diagnostics"]
    assert d["location"]["line"] == 5 and f"conversation is {longest:,} tokens (o200k_base)" in d["message"]
    config.write_text(f"[rules.chat-too-many-tokens]\nmax-tokens = {longest}\n", encoding="utf-8")
    main(["check", str(TOY_CHAT), "--config", str(config), "--select", "FT708", "--format", "json"])
    assert json.loads(capsys.readouterr().out)["diagnostics"] == []


def test_tokens_keeps_davinci_for_prompt_completion(capsys):
    path = DATA / "train_small.jsonl"
    assert main(["tokens", str(path), "--isolated", "--format", "json", "--jobs", "1"]) == 0
    assert json.loads(capsys.readouterr().out)["files"][str(path)]["model"] == "davinci"


def test_tokens_of_preference_data(tmp_path, capsys):
    record = {"input": {"messages": [{"role": "user", "content": "Hi, How is it going?"}]},
              "preferred_output": [{"role": "assistant", "content": "Good"}],
              "non_preferred_output": [{"role": "assistant", "content": "Not so great."}]}
    path = tmp_path / "prefs.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    assert main(["tokens", str(path), "--isolated", "--format", "json", "--jobs", "1"]) == 0
    totals = json.loads(capsys.readouterr().out)["files"][str(path)]
    encode = tokens.get_encoding("o200k_base").encode_ordinary
    # 3 priming + 3 per message; roles are texts too
    assert totals["prompt_tokens"] == 3 + 3 * 3 + len(encode("user")) + len(encode("Hi, How is it going?"))
    assert totals["completion_tokens"] == 2 * len(encode("assistant")) + len(encode("Good")) + len(encode("Not so great."))


def test_malformed_arguments_say_where_the_json_breaks(tmp_path, capsys):
    call = {"id": "call_1", "type": "function", "function": {"name": "get_current_weather", "arguments": '{"location": "San Francisco, USA",}'}}
    record = {"messages": [{"role": "user", "content": "What is the weather in San Francisco?"}, {"role": "assistant", "tool_calls": [call]}]}
    path = tmp_path / "train.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    _, found = _check(capsys, str(path), "--select", "FT710")
    (d,) = found
    assert d["location"]["pointer"] == "/messages/1/tool_calls/0/function/arguments"
    assert "tool call 0 of message 1: arguments are not valid JSON: Expecting property name enclosed in double quotes at character 35" in d["message"]


def test_role_fix_keeps_everything_else(tmp_path, capsys):
    path = tmp_path / "train.jsonl"
    path.write_text('{"messages": [{"role": "User", "content": "Hi, How is it going?"}, {"role": "assistant", "content": "Good", "weight": 1}], "id": 12345678901234567890}\n', encoding="utf-8")
    assert main(["check", str(path), "--isolated", "--select", "FT703", "--fix"]) == 0
    capsys.readouterr()
    assert json.loads(path.read_text(encoding="utf-8")) == {
        "messages": [{"role": "user", "content": "Hi, How is it going?"}, {"role": "assistant", "content": "Good", "weight": 1}], "id": 12345678901234567890}
