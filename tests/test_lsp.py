"""`ftlint server` driven over stdio with real LSP messages by a minimal JSON-RPC client."""
from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from ftlint import api
from ftlint.cli import main

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(sys.executable).parent / "ftlint"

TRAIN = (ROOT / "tests/data/train_small.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
# Line 3 holds two records on one line (FT003) after an emoji, which is 1 code point, 2 UTF-16
# units and 4 UTF-8 bytes; and a raw U+2028 (valid in JSON), which must not split the line.
GLUED = '{"prompt": "\U0001f600 fine\u2028film\\n\\n###\\n\\n", "completion": " positive"}{"prompt": "b\\n\\n###\\n\\n", "completion": " negative"}\n'
SECOND_OBJECT = GLUED.index("}{") + 1  # code points before the second object


class Client:
    """Speaks JSON-RPC 2.0 with Content-Length framing to a server process."""

    def __init__(self, cwd: Path) -> None:
        command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "ftlint"]
        self.process = subprocess.Popen([*command, "server", "--stdio"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, cwd=cwd)
        self.messages: queue.Queue = queue.Queue()
        self.notifications: list[dict] = []
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stream = self.process.stdout
        while True:
            headers = {}
            while (line := stream.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("ascii").partition(":")
                headers[name.strip().lower()] = value.strip()
            if not headers:
                return
            self.messages.put(json.loads(stream.read(int(headers["content-length"]))))

    def send(self, message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def notify(self, method: str, params: dict) -> None:
        self.send({"method": method, "params": params})

    def request(self, method: str, params: dict) -> dict:
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        while True:
            message = self.messages.get(timeout=120)
            if message.get("id") == self.next_id and "method" not in message:
                assert "error" not in message, message
                return message["result"]
            self._note(message)

    def _note(self, message: dict) -> None:
        if message.get("method") == "window/workDoneProgress/create":
            self.send({"id": message["id"], "result": None})
        elif "method" in message:
            self.notifications.append(message)

    def diagnostics(self, uri: str, version: int | None = None) -> dict:
        """The next diagnostics published for `uri` (for `version`, skipping earlier ones)."""
        while True:
            for i, message in enumerate(self.notifications):
                params = message["params"]
                if message["method"] == "textDocument/publishDiagnostics" and params["uri"] == uri:
                    del self.notifications[i]
                    if version is None or params.get("version") == version:
                        return params
                    break
            else:
                self._note(self.messages.get(timeout=120))

    def close(self) -> int:
        self.request("shutdown", {})
        self.notify("exit", {})
        return self.process.wait(timeout=60)


@pytest.fixture
def dataset(tmp_path: Path) -> tuple[Path, str, str]:
    path = tmp_path / "train.jsonl"
    text = "".join(TRAIN[:2]) + GLUED + "".join(TRAIN[2:])
    path.write_text(text, encoding="utf-8")
    return path, path.as_uri(), text


def start(tmp_path: Path, encodings: list[str] | None = None) -> tuple[Client, dict]:
    client = Client(tmp_path)
    capabilities = {"textDocument": {"codeAction": {"resolveSupport": {"properties": ["edit"]}}}}
    if encodings:
        capabilities["general"] = {"positionEncodings": encodings}
    result = client.request("initialize", {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": capabilities})
    client.notify("initialized", {})
    return client, result


def apply(text: str, edits: list[dict]) -> str:
    """Apply LSP text edits (whole lines, code point columns) to `text`."""
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    for edit in sorted(edits, key=lambda e: (e["range"]["start"]["line"], e["range"]["start"]["character"]), reverse=True):
        start, end = edit["range"]["start"], edit["range"]["end"]
        a, b = offsets[start["line"]] + start["character"], offsets[end["line"]] + end["character"]
        text = text[:a] + edit["newText"] + text[b:]
    return text


def test_diagnostics_hover_and_fixes_over_stdio(tmp_path, dataset):
    path, uri, text = dataset
    client, init = start(tmp_path)
    assert init["capabilities"]["positionEncoding"] == "utf-16"
    assert init["capabilities"]["textDocumentSync"]["change"] == 1  # full text: see the server's docstring
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "jsonl", "version": 1, "text": text}})
    published = client.diagnostics(uri)
    assert published["version"] == 1
    expected = api.check_text(text, str(path)).diagnostics
    assert [(d["code"], d["range"]["start"]["line"] + 1) for d in published["diagnostics"]] == \
        [(d.code, d.location.line) for d in expected]
    glued = next(d for d in published["diagnostics"] if d["code"] == "FT003")
    # Line 3 (0-based 2): the U+2028 did not split it; the emoji counts 2 UTF-16 units.
    assert glued["range"]["start"] == {"line": 2, "character": SECOND_OBJECT + 1}
    assert glued["severity"] == 1 and glued["source"] == "ftlint"

    hover = client.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 2, "character": SECOND_OBJECT + 3}})
    assert "FT003 concatenated-objects" in hover["contents"]["value"]
    assert "## What it does" in hover["contents"]["value"]
    assert client.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 1, "character": 3}}) is None

    actions = client.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "range": glued["range"], "context": {"diagnostics": [glued]}})
    quick = next(a for a in actions if a["kind"] == "quickfix")
    assert "FT003" in quick["title"] and "edit" not in quick  # computed on resolve
    resolved = client.request("codeAction/resolve", quick)
    change = resolved["edit"]["documentChanges"][0]
    assert change["textDocument"] == {"uri": uri, "version": 1}
    fixed = apply(text, change["edits"])
    assert fixed.split("\n")[2:4] == [GLUED[:SECOND_OBJECT], GLUED[SECOND_OBJECT:-1]]
    assert fixed.split("\n")[:2] + fixed.split("\n")[4:] == text.split("\n")[:2] + text.split("\n")[3:]

    everything = next(a for a in actions if a["kind"] == "source.fixAll")
    resolved = client.request("codeAction/resolve", everything)
    assert apply(text, resolved["edit"]["documentChanges"][0]["edits"]) == api.fix_text(text, str(path)).decode("utf-8")

    client.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
    assert client.diagnostics(uri)["version"] == 1
    client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    assert client.diagnostics(uri)["diagnostics"] == []
    assert client.close() == 0


def test_changes_are_debounced_and_never_stale(tmp_path, dataset):
    path, uri, text = dataset
    client, init = start(tmp_path, encodings=["utf-8", "utf-16"])
    assert init["capabilities"]["positionEncoding"] == "utf-8"
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "jsonl", "version": 1, "text": text}})
    first = client.diagnostics(uri)
    glued = next(d for d in first["diagnostics"] if d["code"] == "FT003")
    assert glued["range"]["start"]["character"] == len(GLUED[:SECOND_OBJECT].encode("utf-8"))  # UTF-8 bytes
    versions = {1: text}
    for version in (2, 3, 4):  # typing: three changes well within the pause
        versions[version] = versions[version - 1].replace("\n", "\n\n", 1)  # one more blank line (FT005) each
        client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                 "contentChanges": [{"text": versions[version]}]})
    last = client.diagnostics(uri, version=4)
    assert [d["code"] for d in last["diagnostics"]] == [d.code for d in api.check_text(versions[4], str(path)).diagnostics]
    assert "FT005" in [d["code"] for d in last["diagnostics"]]
    for message in client.notifications:  # anything else published was for the text of its version
        params = message["params"]
        if message["method"] == "textDocument/publishDiagnostics":
            expected = api.check_text(versions[params["version"]], str(path)).diagnostics
            assert [d["code"] for d in params["diagnostics"]] == [d.code for d in expected]
    # A code action asked for a version that changed since is refused, not applied to the wrong text.
    actions = client.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "range": glued["range"], "context": {"diagnostics": []}})
    stale = dict(actions[0], data={**actions[0]["data"], "version": 1})
    assert client.request("codeAction/resolve", stale)["disabled"]["reason"]
    assert client.close() == 0


def test_config_error_is_shown_not_a_clean_file(tmp_path, dataset):
    path, uri, text = dataset
    (tmp_path / "ftlint.toml").write_text('bogus-key = 1\n')
    client, _ = start(tmp_path)
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "jsonl", "version": 1, "text": text}})
    published = client.diagnostics(uri)
    assert len(published["diagnostics"]) == 1
    assert "could not check" in published["diagnostics"][0]["message"]
    assert client.close() == 0


def test_without_pygls_a_one_line_error(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "pygls", None)
    monkeypatch.setitem(sys.modules, "pygls.lsp.server", None)
    monkeypatch.delitem(sys.modules, "ftlint_plugins.lsp.server", raising=False)
    assert main(["server"]) == 2
    assert "pip install 'ftlint[lsp]'" in capsys.readouterr().err
