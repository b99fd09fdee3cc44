"""Built-in output formats. Each is `render(result, out, options)`; plugins add more through
the `ftlint_get_reporters` hook."""
from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO, Callable, TextIO
from urllib.parse import quote

import orjson

from ftlint.diagnostics import Applicability, Diagnostic, Severity
from ftlint.hookspecs import hookimpl
from ftlint.text import escape_controls, show

if TYPE_CHECKING:
    from ftlint.engine import FileResult, RunResult

TOOL_URI = "https://github.com/ftlint/ftlint"
JSON_CHUNK = 10_000  # diagnostics converted and written at once by the JSON reporter
# What JSON encoders leave raw but a terminal acts on (DEL, C1 controls, U+2028/U+2029, bidi
# embeddings, overrides and isolates; the encoders escape C0 controls themselves), and lone
# surrogates, which UTF-8 cannot encode: a file name's bytes that are not UTF-8 (Python's
# surrogateescape, U+DC80-U+DCFF) or a lone `\ud800` escape in the data.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# The characters of _JSON_UNSAFE in UTF-8 (orjson refuses lone surrogates), by their first byte:
# the bytes that follow it in one of them. `_holds_unsafe` finds each first byte at memchr speed
# (a regular expression scans 5-10x slower) and looks at what follows only there.
_JSON_UNSAFE_UTF8 = {
    b"\x7f": (b"",),
    b"\xc2": tuple(bytes([b]) for b in range(0x80, 0xA0)),
    b"\xe2": (*(b"\x80" + bytes([b]) for b in range(0xA8, 0xAF)), *(b"\x81" + bytes([b]) for b in range(0xA6, 0xAA))),
}
# What XML 1.0 does not allow in a document at all, not even as a character reference.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass
class ReportOptions:
    quiet: bool = False
    unsafe_fixes: bool = False
    version: str = ""


def _fix_mark(d: Diagnostic, opts: ReportOptions) -> str:
    if d.fix is None:
        return ""
    applicable = d.fix.applicability is Applicability.SAFE or (
        opts.unsafe_fixes and d.fix.applicability is Applicability.UNSAFE
    )
    return "[*] " if applicable else ""


def describe_conventions(f: FileResult, model: str | None = None) -> str:
    """One line: the file's records, format, task, separator, stop, and what to pass at
    inference time with `model` (see `Conventions.inference`)."""
    c = f.conventions
    parts = [f"{f.records:,} records", c.format]
    if c.format == "prompt-completion":
        if c.task:
            task = c.task + (f" ({len(c.classes)} class{'es' if len(c.classes) != 1 else ''})" if c.task == "classification" else "")
            parts.append(task if c.task_source == "config" else task + " (inferred)")
        sep = f"separator {show(c.separator)} ({c.separator_source}, {c.separator_share:.0%} of sampled prompts)" if c.separator else "no common separator"
        parts.append(sep)
        if c.task == "generation":
            parts.append(f"stop {show(c.stop)} ({c.stop_source}, {c.stop_share:.0%})" if c.stop else "no common stop sequence")
        elif c.task == "classification" and c.classes:
            parts.append(_classifier_inference(c.inference(model), len(c.classes)))
    return escape_controls(f"{f.path}: " + ", ".join(parts))


def _classifier_inference(inference: dict[str, Any], classes: int) -> str:
    """`at inference: max_tokens=N, logprobs=K[, stop "..."]`, with why when it is not simply
    1 and the number of classes."""
    tokens = inference["max_tokens"]
    text = f"at inference: max_tokens={tokens}"
    if tokens > 1:
        text += f" (the longest label's tokens under {inference['encoding']})"
    text += f", logprobs={inference['logprobs']}"
    if inference["logprobs"] < classes:
        text += f" (the completions API's maximum: the top {inference['logprobs']} of {classes} classes)"
    if "stop" in inference:
        text += f", stop {show(inference['stop'][0])}"
    return text


def render_text(result: RunResult, out: TextIO, opts: ReportOptions) -> None:
    """`path:line:col: CODE [severity] [*] message` per finding (the prefix editors parse,
    severity as yamllint shows it), then the files' conventions and the summary."""
    diagnostics = result.diagnostics
    for d in diagnostics:
        loc = d.location
        out.write(escape_controls(f"{loc.path}:{loc.line}:{loc.column}: {d.code} [{d.severity.value}] {_fix_mark(d, opts)}{d.message}") + "\n")
    if opts.quiet:
        return
    for f in result.files:
        if not f.error:
            out.write(describe_conventions(f, result.model) + "\n")
        if f.fixed:
            done = ", ".join(f"{code} ×{n}" for code, n in sorted(f.fixed.items()))
            out.write(escape_controls(f"{f.path}: fixed {sum(f.fixed.values())} ({done})") + "\n")
        if f.removed_to:
            out.write(escape_controls(f"{f.path}: removed records and cut text saved to {f.removed_to}") + "\n")
    if result.opt_in_skipped:
        skipped = ", ".join(result.opt_in_skipped)
        out.write(f"Opt-in rules not selected, so not run: {skipped} (`--extend-select CODE` or `--select ALL` runs them).\n")
    unread = bool(result.errors or any(f.error for f in result.files))
    out.write(summary_line(Counter(d.severity for d in diagnostics), unread) + "\n")
    safe = sum(1 for d in diagnostics if d.fix and d.fix.applicability is Applicability.SAFE)
    unsafe = sum(1 for d in diagnostics if d.fix and d.fix.applicability is Applicability.UNSAFE)
    if safe:
        out.write(f"[*] {safe} fixable with `--fix`.\n")
    if unsafe:
        out.write(f"{unsafe} more fixable with `--fix --unsafe-fixes` (they change content; review with --diff).\n")


def statistics(result: RunResult, opts: ReportOptions) -> list[dict[str, Any]]:
    """Findings per rule, most first: code, name, count, fixable (by the fixes asked for)."""
    counts = Counter(d.code for d in result.diagnostics)
    fixable = {d.code for d in result.diagnostics if _fix_mark(d, opts)}
    return [{"code": code, "name": result.rules[code].name if code in result.rules else "internal-error",
             "count": n, "fixable": code in fixable}
            for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def render_statistics(result: RunResult, out: TextIO, opts: ReportOptions) -> None:
    """`--statistics`: only the counts per rule (as ruff), `count<TAB>code<TAB>[*] name`."""
    for row in statistics(result, opts):
        out.write(f"{row['count']:>6}\t{row['code']}\t{'[*] ' if row['fixable'] else '    '}{row['name']}\n")


def render_statistics_json(result: RunResult, out: TextIO, opts: ReportOptions) -> None:
    """`--statistics --output-format json`: the counts per rule as a JSON array."""
    out.write(dumps_json(statistics(result, opts)) + "\n")


def _count(n: int, severity: Severity) -> str:
    return f"{n} {severity.value}{'s' if n != 1 and severity is not Severity.INFO else ''}"


def summary_line(by_severity: Counter[Severity], unread: bool) -> str:
    """The last word of a run: failed (errors, or input not read) or passed (perhaps with
    warnings and info, which never fail a check)."""
    counts = ", ".join(_count(by_severity[s], s) for s in Severity if by_severity[s])
    if unread:
        return f"Failed: an input was not read or an option is wrong (see the errors on standard error){'; found ' + counts if counts else ''}."
    if by_severity[Severity.ERROR]:
        return f"Failed: found {counts}."
    if counts:
        return f"Passed with {counts} (warnings and info do not fail the check)."
    return "All checks passed!"


def _value(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, tuple):
        return [_value(v) for v in value]
    return value


_SEVERITY_NAMES = {s: s.value for s in Severity}  # a dict lookup: an enum's .value is a Python call
_APPLICABILITY_LABELS = {a: a.label for a in Applicability}


_LOCATION_KEYS = ("path", "line", "column", "pointer")  # a Location's fields, in order


def diagnostic_json(d: Diagnostic) -> dict[str, Any]:
    fix = d.fix
    return {
        "code": d.code,
        "name": d.name,
        "severity": _SEVERITY_NAMES[d.severity],
        "message": d.message,
        "location": dict(zip(_LOCATION_KEYS, d.location)),
        "related": [dict(zip(_LOCATION_KEYS, r)) for r in d.related] if d.related else [],
        "fix": None if fix is None else {
            "title": fix.title,
            "applicability": _APPLICABILITY_LABELS[fix.applicability],
            "edits": [{"line": e.line, "op": e.op, "pointer": e.pointer, "value": _value(e.value)} for e in fix.edits],
        },
    }


def dumps_json(document: Any) -> str:
    """`document` as JSON indented by 2, UTF-8-encodable and safe to print to a terminal: the
    characters of `_JSON_UNSAFE` as `\\uXXXX` escapes (the same strings once parsed; a file
    name's byte 0xff that is not UTF-8 is `\\udcff`, which Python's `os.fsencode` turns back
    into the byte). orjson, or json for what orjson refuses (lone surrogates, integers beyond
    64 bits, keys that are not strings)."""
    data = _safe_orjson(document)
    if data is not None:
        return data.decode()
    try:
        text = orjson.dumps(document, option=orjson.OPT_INDENT_2).decode()
    except orjson.JSONEncodeError:
        text = json.dumps(document, ensure_ascii=False, indent=2)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _safe_orjson(document: Any) -> bytes | None:
    """`dumps_json(document)` as UTF-8 when orjson writes it and it holds no character of
    `_JSON_UNSAFE` (the usual case: no text is decoded or copied); else None."""
    try:
        data = orjson.dumps(document, option=orjson.OPT_INDENT_2)
    except orjson.JSONEncodeError:
        return None
    return None if _holds_unsafe(data) else data


def _holds_unsafe(data: bytes) -> bool:
    """Whether UTF-8 `data` holds a character of `_JSON_UNSAFE`."""
    for first, rests in _JSON_UNSAFE_UTF8.items():
        at = data.find(first)
        while at >= 0:
            if data.startswith(rests, at + 1):
                return True
            at = data.find(first, at + 1)
    return False


def _write_streamed(out: TextIO, document: dict[str, Any], key: str, items: list[Any], convert: Callable[[Any], Any], depth: int) -> None:
    """`dumps_json(document)` with `items`, each converted, as the list at `key` (which
    `document` holds as an empty list): the items are converted and written JSON_CHUNK at a
    time, so a report of a million findings never exists whole as Python dicts and as text at
    once. `depth`: the indentation level of `key` (the output is the same as one dump)."""
    head, tail = dumps_json(document).split(f'"{key}": []', 1)
    out.write(head + f'"{key}": [')
    end = "\n" + "  " * depth + "]"
    binary = _utf8_buffer(out)
    for start in range(0, len(items), JSON_CHUNK):
        nested: Any = [convert(item) for item in items[start : start + JSON_CHUNK]]
        for _ in range(depth):  # indented where they go: {"": {"": [...]}} at depth 2
            nested = {"": nested}
        data = _safe_orjson(nested) if binary is not None else None
        if data is None:
            chunk = dumps_json(nested)
            out.write(("," if start else "") + "\n" + chunk[chunk.index("[\n") + 2 : chunk.rindex(end)])
            continue
        assert binary is not None  # for mypy
        out.write("," if start else "")
        out.flush()  # what the text layer holds goes first
        binary.write(memoryview(data)[data.index(b"[\n") + 1 : data.rindex(end.encode())])  # from the newline on: no copy
    out.write((end if items else "]") + tail + "\n")


def _utf8_buffer(out: TextIO) -> BinaryIO | None:
    """The binary file under a text file that writes UTF-8, to write orjson's bytes to
    without decoding and encoding them again; None for other text streams, and where text
    files translate newlines (Windows)."""
    buffer = getattr(out, "buffer", None)
    encoding = (getattr(out, "encoding", None) or "").lower().replace("-", "").replace("_", "")
    return buffer if buffer is not None and encoding == "utf8" and os.linesep == "\n" else None


def render_json(result: RunResult, out: TextIO, opts: ReportOptions) -> None:
    """One JSON document: version, files, errors, diagnostics, summary; the diagnostics
    streamed (`_write_streamed`)."""
    diagnostics = result.diagnostics
    document = {
        "version": opts.version,
        "files": [
            {"path": f.path, "role": f.role, "records": f.records, "lines": f.lines, "error": f.error,
             "conventions": f.conventions.to_json(result.model), "fixed": f.fixed, "removed_to": f.removed_to}
            for f in result.files
        ],
        "errors": result.errors,
        "diagnostics": [],
        "summary": dict(Counter(d.code for d in diagnostics)),
    }
    _write_streamed(out, document, "diagnostics", diagnostics, diagnostic_json, 1)


def _github_escape(text: str, property_value: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return escape_controls(text)


def render_github(result: RunResult, out: TextIO, opts: ReportOptions) -> None:
    level = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
    for d in result.diagnostics:
        loc = d.location
        out.write(
            f"::{level[d.severity]} title={_github_escape(f'{d.code} {d.name}', True)},"
            f"file={_github_escape(loc.path, True)},line={loc.line},col={loc.column}::"
            f"{_github_escape(f'{d.code} {d.message}')}\n"
        )


def file_uri(path: str) -> str:
    """A path as a SARIF `uri`: a relative path as a relative URI reference, an absolute one as
    a `file://` URI, every byte but unreserved ones and `/` percent-encoded (the path's own
    bytes: a name that is not UTF-8 keeps them, `%FF`)."""
    quoted = quote(os.fsencode(path), safe="/")
    return "file://" + quoted if path.startswith("/") else quoted


def render_sarif(result: RunResult, out: TextIO, opts: ReportOptions) -> None:
    """SARIF 2.1.0: the rules that ran, then one result per finding, streamed (`_write_streamed`)."""
    level = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
    codes = sorted(result.rules)
    rules = [
        {
            "id": code,
            "name": result.rules[code].name,
            "shortDescription": {"text": result.rules[code].summary()},
            "fullDescription": {"text": result.rules[code].documentation()},
            "defaultConfiguration": {"level": level[result.rules[code].severity]},
        }
        for code in codes
    ]
    index = {code: i for i, code in enumerate(codes)}
    artifacts: dict[str, dict[str, str]] = {}  # path -> its artifactLocation, one dict shared by its findings

    def entry(d: Diagnostic) -> dict[str, Any]:
        path = d.location.path
        artifact = artifacts.get(path) or artifacts.setdefault(path, {"uri": file_uri(path)})
        found: dict[str, Any] = {
            "ruleId": d.code,
            "level": level[d.severity],
            "message": {"text": d.message},
            "locations": [{"physicalLocation": {
                "artifactLocation": artifact,
                "region": {"startLine": d.location.line, "startColumn": d.location.column},
            }}],
        }
        if d.code in index:
            found["ruleIndex"] = index[d.code]
        if d.fix:
            found["properties"] = {"fix": d.fix.title, "applicability": _APPLICABILITY_LABELS[d.fix.applicability]}
        return found

    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "ftlint", "version": opts.version, "informationUri": TOOL_URI, "rules": rules}},
                  "results": []}],
    }
    _write_streamed(out, sarif, "results", result.diagnostics, entry, 3)


def xml_text(text: str) -> str:
    """Text that a well-formed XML document can hold: controls escaped as in every terminal
    format, and what XML 1.0 forbids (lone surrogates such as a file name's bytes that are not
    UTF-8, U+FFFE, U+FFFF) written as visible `\\uXXXX` escapes."""
    return _XML_ILLEGAL.sub(lambda m: f"\\u{ord(m.group()):04x}", escape_controls(text))


def render_junit(result: RunResult, out: TextIO, opts: ReportOptions) -> None:
    """One testsuite per file, one testcase per finding: an error-level finding is a
    `<failure>`, a warning or info a passing testcase whose `<system-out>` says it; a file
    without findings is one passing testcase; a file that could not be read (entirely) adds a
    testcase with an `<error>`, and usage errors (a path that does not exist) one each in a
    testsuite named `ftlint`. `tests`, `failures` and `errors` count exactly those testcases,
    so a run that exits 0 has no failure and no error. Written as it goes (counted first)."""
    from xml.sax.saxutils import escape, quoteattr  # imports urllib.request: only when asked for

    counts = []  # per file: (testcases, failures, errors)
    for f in result.files:
        failures = sum(1 for d in f.diagnostics if d.severity is Severity.ERROR)
        counts.append((len(f.diagnostics) + (1 if f.error or not f.diagnostics else 0), failures, 1 if f.error else 0))
    if result.errors:
        counts.append((len(result.errors), 0, len(result.errors)))
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(f'<testsuites name="ftlint" tests="{sum(c[0] for c in counts)}" failures="{sum(c[1] for c in counts)}" '
              f'errors="{sum(c[2] for c in counts)}">\n')
    for f, (tests, failures, errors) in zip(result.files, counts):
        name = quoteattr(xml_text(f.path))
        out.write(f'  <testsuite name={name} tests="{tests}" failures="{failures}" errors="{errors}">\n')
        for d in f.diagnostics:
            title = quoteattr(xml_text(f"{d.code} {d.name} line {d.location.line}"))
            out.write(f"    <testcase name={title} classname={name}>\n")
            if d.severity is Severity.ERROR:
                out.write(f'      <failure message={quoteattr(xml_text(d.message))} type="error"/>\n')
            else:
                line = f"{f.path}:{d.location.line}:{d.location.column}: {d.code} [{d.severity.value}] {d.message}"
                out.write(f"      <system-out>{escape(xml_text(line))}</system-out>\n")
            out.write("    </testcase>\n")
        if f.error:
            out.write(_junit_error(name, f.error, "unread"))
        elif not f.diagnostics:
            out.write(f'    <testcase name={name} classname="ftlint"/>\n')
        out.write("  </testsuite>\n")
    if result.errors:
        out.write(f'  <testsuite name="ftlint" tests="{len(result.errors)}" failures="0" errors="{len(result.errors)}">\n')
        for message in result.errors:
            out.write(_junit_error(quoteattr(xml_text(message)), message, "usage"))
        out.write("  </testsuite>\n")
    out.write("</testsuites>\n")


def _junit_error(name: str, message: str, kind: str) -> str:
    from xml.sax.saxutils import quoteattr

    return (f'    <testcase name={name} classname="ftlint">\n'
            f'      <error message={quoteattr(xml_text(message))} type="{kind}"/>\n    </testcase>\n')


GITLAB_SEVERITY = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.INFO: "info"}


def render_gitlab(result: RunResult, out: TextIO, opts: ReportOptions) -> None:
    """GitLab Code Quality JSON (`artifacts: reports: codequality:`): one issue per finding. The
    fingerprint hashes the path, code, message and the occurrence of that triple, not the line,
    so a finding keeps its identity when lines move above it."""
    seen: Counter[tuple[str, str, str]] = Counter()
    issues = []
    for d in result.diagnostics:
        key = (d.location.path, d.code, d.message)
        seen[key] += 1
        fingerprint = hashlib.sha256("\0".join((*key, str(seen[key]))).encode("utf-8", "surrogatepass")).hexdigest()
        issues.append({"type": "issue", "check_name": d.code, "description": f"{d.code} {d.name}: {d.message}",
                       "categories": ["Bug Risk"], "severity": GITLAB_SEVERITY[d.severity], "fingerprint": fingerprint,
                       "location": {"path": d.location.path, "lines": {"begin": d.location.line}}})
    out.write(dumps_json(issues) + "\n")


@hookimpl
def ftlint_get_reporters() -> dict[str, Callable[..., None]]:
    return {"text": render_text, "json": render_json, "github": render_github, "sarif": render_sarif, "junit": render_junit,
            "gitlab": render_gitlab}
