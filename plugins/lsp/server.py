"""The ftlint Language Server (pygls): diagnostics for open .jsonl files, fixes as code actions,
rule documentation on hover.

- Checks run on open and save at once, on change after a pause in typing (longer for large
  files), one at a time in a background thread, so the server keeps answering while a large
  file is checked. A result is published only if the document has not changed since the check
  started: never a stale one.
- Columns are converted to the position encoding the client negotiated (UTF-16 by default).
  Lines are split on "\\n" only, as ftlint (and LSP) count them: `str.splitlines` would also split
  on U+2028, which JSON strings may hold raw. For the same reason the client sends the whole
  document on each change: pygls applies incremental changes with `splitlines`.
- Fixes run through `ftlint.api.fix_text` on a copy of the buffer and come back as text edits
  of the lines that changed; the editor's undo restores anything a fix removed.
"""
from __future__ import annotations

import asyncio
import difflib
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from ftlint import Applicability, Diagnostic, Severity, __version__, api

CHANGE_DELAY = 0.3  # seconds of quiet after a change before a check
LARGE_FILE_CHARS = 1 << 20  # larger documents wait longer after a change
LARGE_FILE_DELAY = 1.0
FIX_KIND_UNSAFE = "source.fixAll.ftlint.unsafe"
SEVERITIES = {Severity.ERROR: lsp.DiagnosticSeverity.Error, Severity.WARNING: lsp.DiagnosticSeverity.Warning,
              Severity.INFO: lsp.DiagnosticSeverity.Information}

log = logging.getLogger(__name__)


@dataclass
class Checked:
    """The last published check of a document."""

    version: int | None
    text: str
    diagnostics: list[Diagnostic]


@dataclass
class State:
    pending: dict[str, asyncio.Task] = field(default_factory=dict)  # uri -> scheduled check
    checked: dict[str, Checked] = field(default_factory=dict)  # uri -> last published check
    fixed: dict[tuple, str] = field(default_factory=dict)  # (uri, version, codes, unsafe) -> fixed text
    worker: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(1, thread_name_prefix="ftlint-check"))


server = LanguageServer("ftlint", __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Full)
state = State()


# --- positions -----------------------------------------------------------------------------------

def split_lines(text: str) -> list[str]:
    """The document's lines with their "\\n", split on "\\n" only."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def units(text: str) -> int:
    """Length of `text` in the negotiated position encoding."""
    encoding = server.workspace.position_encoding
    if encoding == lsp.PositionEncodingKind.Utf8:
        return len(text.encode("utf-8", "surrogatepass"))
    if encoding == lsp.PositionEncodingKind.Utf32:
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def column_of(lines: list[str], line: int, character: int) -> int:
    """The 0-based character (code point) index of a client position on a line."""
    text = lines[line].rstrip("\r\n") if line < len(lines) else ""
    count = 0
    for index, char in enumerate(text):
        if count >= character:
            return index
        count += units(char)
    return len(text)


def line_range(lines: list[str], line: int, column: int = 0) -> lsp.Range:
    """From a code point column of a 0-based line to the end of its text."""
    text = lines[line].rstrip("\r\n") if line < len(lines) else ""
    column = min(column, len(text))
    return lsp.Range(lsp.Position(line, units(text[:column])), lsp.Position(line, units(text)))


# --- checking ------------------------------------------------------------------------------------

def path_of(uri: str) -> str:
    return to_fs_path(uri) or "untitled.jsonl"


def is_dataset(document: Any) -> bool:
    return document.uri.endswith(".jsonl") or document.language_id in ("jsonl", "jsonlines")


def lint(text: str, path: str) -> list[Diagnostic] | str:
    """The diagnostics of `text` checked as `path`, or why it could not be checked."""
    try:
        settings = api.load_config(start=os.path.dirname(path) or ".")
        result = api.check_text(text.encode("utf-8", "surrogatepass"), path, settings=settings)
    except api.ConfigError as error:
        return f"ftlint could not check this file: {error}"
    if result.errors:
        return "ftlint could not check this file: " + "; ".join(result.errors)
    return result.diagnostics


def to_lsp(d: Diagnostic, lines: list[str]) -> lsp.Diagnostic:
    data = None
    if d.fix is not None and d.fix.applicability is not Applicability.DISPLAY_ONLY:
        data = {"fix": d.fix.title, "unsafe": d.fix.applicability is Applicability.UNSAFE}
    return lsp.Diagnostic(
        range=line_range(lines, d.location.line - 1, d.location.column - 1),
        severity=SEVERITIES[d.severity], code=d.code, source="ftlint", message=f"{d.message} ({d.name})", data=data,
    )


def schedule(uri: str, delay: float) -> None:
    previous = state.pending.pop(uri, None)
    if previous is not None:
        previous.cancel()
    state.pending[uri] = asyncio.ensure_future(check_later(uri, delay))


async def check_later(uri: str, delay: float) -> None:
    await asyncio.sleep(delay)
    document = server.workspace.text_documents.get(uri)
    if document is None:
        return
    version, text = document.version, document.source
    found = await asyncio.get_running_loop().run_in_executor(state.worker, lint, text, path_of(uri))
    current = server.workspace.text_documents.get(uri)
    if current is None or current.version != version or current.source != text:
        return  # changed meanwhile: the check scheduled by that change publishes
    lines = split_lines(text)
    if isinstance(found, str):
        state.checked.pop(uri, None)
        published = [lsp.Diagnostic(range=lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0)), message=found,
                                    severity=lsp.DiagnosticSeverity.Error, source="ftlint")]
    else:
        state.checked[uri] = Checked(version, text, found)
        published = [to_lsp(d, lines) for d in found]
    server.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=published, version=version))


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
def did_open(params: lsp.DidOpenTextDocumentParams) -> None:
    if is_dataset(params.text_document):
        schedule(params.text_document.uri, 0)


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
def did_change(params: lsp.DidChangeTextDocumentParams) -> None:
    document = server.workspace.text_documents.get(params.text_document.uri)
    if document is not None and is_dataset(document):
        schedule(document.uri, LARGE_FILE_DELAY if len(document.source) > LARGE_FILE_CHARS else CHANGE_DELAY)


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
def did_save(params: lsp.DidSaveTextDocumentParams) -> None:
    document = server.workspace.text_documents.get(params.text_document.uri)
    if document is not None and is_dataset(document):
        schedule(document.uri, 0)


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
def did_close(params: lsp.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    pending = state.pending.pop(uri, None)
    if pending is not None:
        pending.cancel()
    state.checked.pop(uri, None)
    server.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


# --- hover ---------------------------------------------------------------------------------------

@server.feature(lsp.TEXT_DOCUMENT_HOVER)
def hover(params: lsp.HoverParams) -> lsp.Hover | None:
    checked = current_check(params.text_document.uri)
    if checked is None:
        return None
    lines = split_lines(checked.text)
    line = params.position.line
    column = column_of(lines, line, params.position.character)
    codes = []
    for d in checked.diagnostics:
        if d.location.line - 1 == line and d.location.column - 1 <= column and d.code not in codes:
            codes.append(d.code)
    docs = []
    for code in codes:
        rule = api.registry().rule(code)
        if rule is not None:
            docs.append(f"## {rule.code} {rule.name} ({rule.severity.value})\n\n{rule.documentation()}")
    if not docs:
        return None
    return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value="\n\n---\n\n".join(docs)),
                     range=line_range(lines, line))


def current_check(uri: str) -> Checked | None:
    """The last check of the document, if it is of its current text."""
    checked = state.checked.get(uri)
    document = server.workspace.text_documents.get(uri)
    if checked is None or document is None or document.source != checked.text:
        return None
    return checked


# --- fixes as code actions -----------------------------------------------------------------------

@server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION, lsp.CodeActionOptions(
    code_action_kinds=[lsp.CodeActionKind.QuickFix, lsp.CodeActionKind.SourceFixAll, FIX_KIND_UNSAFE], resolve_provider=True))
def code_action(params: lsp.CodeActionParams) -> list[lsp.CodeAction] | None:
    uri = params.text_document.uri
    checked = current_check(uri)
    if checked is None:
        return None
    only = params.context.only
    wanted = lambda kind: only is None or any(kind == k or kind.startswith(k + ".") for k in only)  # noqa: E731
    actions = []
    if wanted(lsp.CodeActionKind.QuickFix):
        lines = split_lines(checked.text)
        first, last = params.range.start.line, params.range.end.line
        for d in checked.diagnostics:
            if d.fix is None or d.fix.applicability is Applicability.DISPLAY_ONLY or not first <= d.location.line - 1 <= last:
                continue
            unsafe = d.fix.applicability is Applicability.UNSAFE
            actions.append(lsp.CodeAction(
                title=f"{d.fix.title} ({d.code}{', unsafe' if unsafe else ''})", kind=lsp.CodeActionKind.QuickFix,
                diagnostics=[to_lsp(d, lines)], is_preferred=not unsafe,
                data={"uri": uri, "version": checked.version, "codes": [d.code], "unsafe": unsafe,
                      "lines": sorted({e.line + k for e in d.fix.edits for k in range(max(e.span, 1))})},
            ))
    fixable = [d for d in checked.diagnostics if d.fix is not None and d.fix.applicability is not Applicability.DISPLAY_ONLY]
    if fixable and wanted(lsp.CodeActionKind.SourceFixAll):
        actions.append(lsp.CodeAction(title="ftlint: apply all safe fixes", kind=lsp.CodeActionKind.SourceFixAll,
                                      data={"uri": uri, "version": checked.version, "codes": None, "unsafe": False, "lines": None}))
    if any(d.fix.applicability is Applicability.UNSAFE for d in fixable) and wanted(FIX_KIND_UNSAFE):
        actions.append(lsp.CodeAction(title="ftlint: apply all fixes, unsafe ones too", kind=FIX_KIND_UNSAFE,
                                      data={"uri": uri, "version": checked.version, "codes": None, "unsafe": True, "lines": None}))
    if not resolve_supported():
        for action in actions:
            resolve(action)
    return actions


def resolve_supported() -> bool:
    action = server.client_capabilities.text_document and server.client_capabilities.text_document.code_action
    support = action and action.resolve_support
    return bool(support and "edit" in support.properties)


@server.feature(lsp.CODE_ACTION_RESOLVE)
def resolve(action: lsp.CodeAction) -> lsp.CodeAction:
    data = action.data or {}
    checked = current_check(data.get("uri", ""))
    if checked is None or checked.version != data.get("version"):
        action.disabled = lsp.CodeActionDisabled(reason="the document changed; ask again")
        return action
    key = (data["uri"], checked.version, tuple(data["codes"] or ()), data["unsafe"])
    if key not in state.fixed:
        fixed = api.fix_text(checked.text.encode("utf-8", "surrogatepass"), path_of(data["uri"]),
                             settings=api.load_config(start=os.path.dirname(path_of(data["uri"])) or "."),
                             unsafe=data["unsafe"], select=data["codes"])
        state.fixed = {k: v for k, v in state.fixed.items() if k[0] != data["uri"] or k[1] == checked.version}
        state.fixed[key] = fixed.decode("utf-8", "surrogatepass")
    edits = text_edits(checked.text, state.fixed[key], data["lines"])
    action.edit = lsp.WorkspaceEdit(document_changes=[lsp.TextDocumentEdit(
        text_document=lsp.OptionalVersionedTextDocumentIdentifier(uri=data["uri"], version=checked.version), edits=edits)])
    return action


def text_edits(old_text: str, new_text: str, only_lines: list[int] | None) -> list[lsp.TextEdit]:
    """Whole-line edits turning `old_text` into `new_text`; with `only_lines` (1-based), only the
    changes that touch those lines."""
    old, new = split_lines(old_text), split_lines(new_text)
    wanted = None if only_lines is None else {n - 1 for n in only_lines}
    edits = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" or (wanted is not None and not wanted & set(range(i1, max(i2, i1 + 1)))):
            continue
        edits.append(lsp.TextEdit(range=lsp.Range(position_before(old, i1), position_before(old, i2)), new_text="".join(new[j1:j2])))
    return edits


def position_before(lines: list[str], index: int) -> lsp.Position:
    """The position where line `index` starts; past the last line: the end of the document."""
    if index < len(lines) or not lines or lines[-1].endswith("\n"):
        return lsp.Position(index, 0)
    return lsp.Position(len(lines) - 1, units(lines[-1]))


def serve_stdio() -> None:
    server.start_io()
