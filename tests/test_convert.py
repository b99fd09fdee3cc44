"""`ftlint convert`: targets, foreign shapes, what each conversion reports, round trips."""
from __future__ import annotations

import json
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from ftlint.cli import main

DATA = Path(__file__).parent / "data"
SYSTEM = "You are a friendly chatbot. Answer small talk briefly."


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def _convert(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str]:
    code = main(["convert", *args])
    return code, capsys.readouterr().err


def test_registered_through_the_entry_point_group():
    assert "ftlint.commands.convert" in {ep.value for ep in entry_points(group="ftlint")}


def test_prompt_completion_to_chat_and_back(tmp_path, capsys):
    source = tmp_path / "generation.jsonl"
    source.write_bytes((DATA / "generation_small.jsonl").read_bytes())
    code, err = _convert(capsys, str(source), "--to", "chat")
    chat = tmp_path / "generation.chat.jsonl"
    assert code == 0 and "wrote 60 chat records" in err
    first = _records(chat)[0]
    assert first == {"messages": [{"role": "user", "content": "Define the noun: ephah"},
                                  {"role": "assistant", "content": "an ancient Hebrew unit of dry measure equal to about a bushel"}]}
    code, err = _convert(capsys, str(chat), "--to", "prompt-completion", "--separator", r"\n\n###\n\n", "--stop", " END", "-o", str(tmp_path / "back.jsonl"))
    assert code == 0 and "dropped" not in err
    assert (tmp_path / "back.jsonl").read_bytes() == source.read_bytes()


def test_chat_to_prompt_completion_and_back(tmp_path, capsys):
    out = tmp_path / "pc.jsonl"
    code, err = _convert(capsys, str(DATA / "chat_small.jsonl"), "--to", "prompt-completion", "-o", str(out))
    assert code == 1  # the multi-turn conversations have no prompt-completion form
    assert "skipped 5 records (not one user message and one assistant message): lines 4, 5, 8, 15, 20" in err
    assert "dropped the system message from 15 records" in err  # the legacy format has no place for it
    assert _records(out)[0] == {"prompt": "Hi, How is it going?\n\n###\n\n", "completion": " Good END"}
    code, err = _convert(capsys, str(out), "--to", "chat", "--system", SYSTEM, "-o", str(tmp_path / "back.jsonl"))
    assert code == 0
    single_turn = [r for line, r in enumerate(_records(DATA / "chat_small.jsonl"), 1) if line not in (4, 5, 8, 15, 20)]
    assert _records(tmp_path / "back.jsonl") == single_turn
    assert main(["check", str(tmp_path / "back.jsonl"), "--isolated", "--ignore", "FT111"]) == 0
    capsys.readouterr()


def test_classification_labels_lose_their_leading_space_only(tmp_path, capsys):
    out = tmp_path / "chat.jsonl"
    assert _convert(capsys, str(DATA / "train_small.jsonl"), "--to", "chat", "-o", str(out))[0] == 0
    answers = {r["messages"][1]["content"] for r in _records(out)}
    assert answers == {"positive", "negative"}
    assert all(not r["messages"][0]["content"].endswith("###") for r in _records(out))


def test_multi_turn_and_tool_calls_are_skipped_for_prompt_completion(tmp_path, capsys):
    records = [
        {"messages": [{"role": "user", "content": "Hello"}, {"role": "assistant", "content": "Hi"}]},
        {"messages": [{"role": "user", "content": "Hi, How is it going?"}, {"role": "assistant", "content": "Good"},
                      {"role": "user", "content": "How are you doing?"}, {"role": "assistant", "content": "Very well, thanks."}]},
        {"messages": [{"role": "user", "content": "Weather in Paris?"}, {"role": "assistant", "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]}]},
    ]
    source = _write(tmp_path / "chat.jsonl", records)
    code, err = _convert(capsys, str(source), "--to", "prompt-completion")
    assert code == 1  # not everything was converted
    assert "skipped 1 record (not one user message and one assistant message): line 2" in err
    assert "skipped 1 record (a message whose content is not a string (content parts or tool calls)): line 3" in err
    assert _records(tmp_path / "chat.prompt-completion.jsonl") == [{"prompt": "Hello\n\n###\n\n", "completion": " Hi END"}]


def test_foreign_shapes_to_chat(tmp_path, capsys):
    # reconstructed in each tool's real shape with chatterbot-corpus and WordNet text (tests/data/README.md)
    records = [
        {"instruction": "Define the noun.", "input": "ephah", "output": "an ancient Hebrew unit of dry measure"},
        {"instruction": "Say hello.", "input": "", "output": "Hello"},
        {"instruction": "Define the noun.", "context": "ethnologist", "response": "an anthropologist who studies ethnology", "category": "open_qa"},
        {"conversations": [{"from": "human", "value": "Hi, How is it going?"}, {"from": "gpt", "value": "Good"}]},
        {"text": "### Human: Hello ### Assistant: Hi"},
        {"conversations": [{"from": "observation", "value": "{}"}]},
    ]
    source = _write(tmp_path / "mixed.jsonl", records)
    code, err = _convert(capsys, str(source), "--to", "chat")
    assert code == 1
    out = _records(tmp_path / "mixed.chat.jsonl")
    assert [m["content"] for m in out[0]["messages"]] == ["Define the noun.\n\nephah", "an ancient Hebrew unit of dry measure"]
    assert [m["content"] for m in out[1]["messages"]] == ["Say hello.", "Hello"]
    assert [m["content"] for m in out[2]["messages"]] == ["Define the noun.\n\nethnologist", "an anthropologist who studies ethnology"]
    assert out[3] == {"messages": [{"role": "user", "content": "Hi, How is it going?"}, {"role": "assistant", "content": "Good"}]}
    assert len(out) == 4
    assert 'dropped key "category" from 1 record' in err
    assert "cannot be split into messages without its template): line 5" in err
    assert 'a ShareGPT turn from "observation" has no chat role' in err and "line 6" in err


def test_trl_preference_and_kto_to_openai_preference(tmp_path, capsys):
    trl = [
        {"prompt": "Hi, How is it going?", "chosen": "Good", "rejected": "Not so great."},
        {"chosen": [{"role": "user", "content": "Hello"}, {"role": "assistant", "content": "Hi"}],
         "rejected": [{"role": "user", "content": "Hello"}, {"role": "assistant", "content": "Go away."}]},
    ]
    code, _ = _convert(capsys, str(_write(tmp_path / "trl.jsonl", trl)), "--to", "preference")
    assert code == 0
    assert _records(tmp_path / "trl.preference.jsonl") == [
        {"input": {"messages": [{"role": "user", "content": "Hi, How is it going?"}]},
         "preferred_output": [{"role": "assistant", "content": "Good"}], "non_preferred_output": [{"role": "assistant", "content": "Not so great."}]},
        {"input": {"messages": [{"role": "user", "content": "Hello"}]},
         "preferred_output": [{"role": "assistant", "content": "Hi"}], "non_preferred_output": [{"role": "assistant", "content": "Go away."}]},
    ]
    assert main(["check", str(tmp_path / "trl.preference.jsonl"), "--isolated", "--ignore", "FT110"]) == 0
    capsys.readouterr()
    kto = [
        {"prompt": "Hi, How is it going?", "completion": "Not so great.", "label": False},
        {"prompt": "How are you doing?", "completion": "Very well, thanks.", "label": True},
        {"prompt": "Hi, How is it going?", "completion": "Good", "label": True},
    ]
    code, err = _convert(capsys, str(_write(tmp_path / "kto.jsonl", kto)), "--to", "preference")
    assert code == 1
    assert _records(tmp_path / "kto.preference.jsonl") == [
        {"input": {"messages": [{"role": "user", "content": "Hi, How is it going?"}]},
         "preferred_output": [{"role": "assistant", "content": "Good"}], "non_preferred_output": [{"role": "assistant", "content": "Not so great."}]},
    ]
    assert "no completion of the opposite label to pair it with): line 2" in err
    code, err = _convert(capsys, str(tmp_path / "kto.jsonl"), "--to", "chat")
    assert code == 1 and "an undesirable KTO completion: chat data has no negative examples): line 1" in err
    assert len(_records(tmp_path / "kto.chat.jsonl")) == 2


def test_preference_to_chat_reports_the_dropped_answer(tmp_path, capsys):
    record = {"input": {"messages": [{"role": "user", "content": "Hello"}]},
              "preferred_output": [{"role": "assistant", "content": "Hi"}], "non_preferred_output": [{"role": "assistant", "content": "Go away."}]}
    code, err = _convert(capsys, str(_write(tmp_path / "p.jsonl", [record])), "--to", "chat")
    assert code == 0 and "dropped the non-preferred answer from 1 record" in err
    assert _records(tmp_path / "p.chat.jsonl") == [{"messages": [{"role": "user", "content": "Hello"}, {"role": "assistant", "content": "Hi"}]}]


def test_output_is_utf8_without_escapes_and_never_the_input(tmp_path, capsys):
    source = _write(tmp_path / "café.jsonl", [{"prompt": "Définition : « osmose »\n\n###\n\n", "completion": " passage de l'eau END"}])
    before = source.read_bytes()
    code, err = _convert(capsys, str(source), "--to", "chat", "-o", str(source))
    assert code == 2 and "is the input" in err
    assert source.read_bytes() == before
    assert _convert(capsys, str(source), "--to", "chat")[0] == 0
    text = (tmp_path / "café.chat.jsonl").read_text(encoding="utf-8")
    assert "« osmose »" in text and "\\u" not in text
    assert source.read_bytes() == before


def test_usage_errors(tmp_path, capsys):
    assert _convert(capsys, str(tmp_path / "missing.jsonl"), "--to", "chat")[0] == 2
    source = _write(tmp_path / "a.jsonl", [{"prompt": "a", "completion": " b"}])
    assert _convert(capsys, str(source), "--to", "prompt-completion", "--system", "x")[0] == 2
    assert not (tmp_path / "a.prompt-completion.jsonl").exists()


def test_invalid_lines_are_skipped_and_named(tmp_path, capsys):
    source = tmp_path / "broken.jsonl"
    source.write_text('{"prompt": "Hello\\n\\n###\\n\\n", "completion": " Hi END"}\n{"prompt": "oops"\n', encoding="utf-8")
    code, err = _convert(capsys, str(source), "--to", "chat")
    assert code == 1 and "not a JSON object; `ftlint check` says why): line 2" in err
