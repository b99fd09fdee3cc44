"""Hostile datasets and file names (see docs/GUARANTEES.md): nothing from a dataset is executed,
formatted, loaded as code or printed raw to a terminal.

tests/test_plugins.py already shows that plugins come from entry points only and that
`ftlint_rules/` or `conftest.py` in the working directory is not imported; these tests add the
dataset's own folder, modules that shadow ftlint's dependencies, config files, and the
commands ftlint suggests in its messages.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote

SEP = "\n\n###\n\n"
# What must never reach a terminal raw: C0 (but \n), DEL, C1, U+2028/9, bidi embeddings,
# overrides and isolates (the set ftlint.text escapes).
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")

PAYLOADS = [
    "{__import__('os').system('touch PWNED')}",
    "%s%n%(prompt)s%x",
    "{0.__class__}{prompt}{{}}",
    "$(touch PWNED)`touch PWNED`${HOME}",
    "'; touch PWNED; echo '",
    "<script>alert(1)</script>&amp;",
    "\\u0000\\n",
]
TERMINAL = [
    "\x1b[2J\x1b[H",  # clear the screen
    "\x1b]0;owned\x07",  # set the window title
    "\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\",  # a hyperlink
    "\rtrain.jsonl:1:1: FT000 forged finding",  # overwrite the current line
    "\nforged.jsonl:9:9: FT999 forged line",
    "\u2028forged\u2029",
    "\u202eevil\u202c",  # right-to-left override (Trojan source)
    "\u2066isolate\u2069",
    "\x9b2J\x85\x7f",  # 8-bit CSI, NEL, DEL
    "\x00\x08\x0b\x0c",
]


def hostile_dataset(path: Path, payloads: list[str]) -> None:
    """A classification dataset with each payload in a prompt, a completion (a class label),
    a key and a separator-like ending, plus the defects that make rules quote the text."""
    records = [{"prompt": f"review {i}{SEP}", "completion": " positive" if i % 2 else " negative"} for i in range(20)]
    for p in payloads:
        records.append({"prompt": f"{p}{SEP}", "completion": f" {p}"})
        records.append({"prompt": f"{p} no separator", "completion": p})
        records.append({"prompt": f"x{SEP}", "completion": " positive", p: p})
        records.append({"prompt": f"{p}", "completion": " negative", "prompt\u200b": 1})
    with open(path, "w", encoding="utf-8") as out:
        out.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
        out.write('{"prompt": "a", "prompt": "b"}\n')  # a duplicate key
        out.write(json.dumps({"prompt": payloads[0]}, ensure_ascii=False)[:-1] + "\n")  # invalid JSON
        out.write(json.dumps({"messages": [{"role": p, "content": p} for p in payloads]}, ensure_ascii=False) + "\n")


def ftlint_command() -> list[str]:
    script = Path(sys.executable).parent / "ftlint"
    return [str(script)] if script.exists() else [sys.executable, "-m", "ftlint"]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*ftlint_command(), *args], capture_output=True, cwd=cwd, timeout=120, check=False)


# --- nothing is executed or formatted ----------------------------------------------------------

def test_dataset_text_is_never_executed_or_formatted(tmp_path):
    path = tmp_path / "train.jsonl"
    hostile_dataset(path, PAYLOADS)
    outputs = []
    for args in (["check", "--format", "text"], ["check", "--format", "json"], ["check", "--format", "github"],
                 ["check", "--format", "sarif"], ["check", "--format", "junit"], ["check", "--statistics"],
                 ["check", "--diff", "--unsafe-fixes"], ["conventions"], ["conventions", "--format", "json"],
                 ["tokens"], ["tokens", "--format", "json"]):
        proc = run(*args, str(path), "--isolated", cwd=tmp_path)
        assert proc.returncode in (0, 1), (args, proc.stderr)
        assert b"internal error" not in proc.stderr, (args, proc.stderr[-500:])
        if "sarif" in args:  # its rule descriptions hold FT000's documentation, whose example is such a line
            assert "FT000" not in {result["ruleId"] for result in json.loads(proc.stdout)["runs"][0]["results"]}
        else:
            assert b"crashed near this line" not in proc.stdout, (args, proc.stdout[-500:])
        outputs.append(proc.stdout.decode())
    before = path.read_bytes()
    proc = run("check", str(path), "--isolated", "--fix", "--unsafe-fixes", cwd=tmp_path)
    assert proc.returncode in (0, 1) and b"crashed near this line" not in proc.stdout, proc.stderr
    assert not list(tmp_path.rglob("PWNED*"))
    # the payloads were quoted as text, not interpreted: they appear literally in the reports
    text = outputs[0]
    assert "{0.__class__}{prompt}{{}}" in text and "%s%n%(prompt)s%x" in text
    assert "{__import__('os').system('touch PWNED')}" in text
    report = json.loads(outputs[1])
    assert any("{0.__class__}" in json.dumps(d, ensure_ascii=False) for d in report["diagnostics"])
    assert path.read_bytes() != before  # the fix ran on the same text, and kept it
    assert "{0.__class__}{prompt}{{}}" in path.read_text(encoding="utf-8")


def test_suggested_commands_are_safe_to_paste(tmp_path):
    """Messages that suggest a command (FT204: no common separator; FT302: no stop) quote the
    file name and the separator for the shell: pasted, they pass exactly those arguments."""
    folder = tmp_path / "x $(touch PWNED) `touch PWNED`; touch PWNED 'q"
    folder.mkdir()
    path = folder / "it's; rm -rf ~ &.jsonl"
    path.write_text("".join(json.dumps({"prompt": f"question {i}", "completion": f" answer number {i}"}) + "\n" for i in range(12)))
    proc = run("check", str(path), "--isolated", "--format", "json", cwd=tmp_path)
    commands = [m for d in json.loads(proc.stdout)["diagnostics"] for m in re.findall(r"`(ftlint check .+? --fix)`", d["message"])]
    assert len(commands) >= 2, proc.stdout
    for command in commands:
        words = subprocess.run(["sh", "-c", f'set -- {command}; for a in "$@"; do printf "%s\\0" "$a"; done'], check=False,
                               capture_output=True, cwd=tmp_path).stdout.split(b"\0")[:-1]
        assert [w.decode() for w in words[:3]] == ["ftlint", "check", str(path)], command
        option, value = words[3].decode(), words[4].decode()
        assert option in ("--separator", "--stop") and value in ("\\n\\n###\\n\\n", " END"), command
    assert not list(tmp_path.rglob("PWNED"))


# --- nothing is loaded -------------------------------------------------------------------------

SHADOWS = ["orjson", "pluggy", "numpy", "tiktoken", "xxhash", "json", "ftlint_rules", "ftlint_plugins", "sitecustomize", "usercustomize"]


def plant_modules(folder: Path) -> None:
    """Modules named like ftlint's own and its dependencies, each failing loudly if imported."""
    for name in SHADOWS:
        (folder / f"{name}.py").write_text(f"raise SystemExit('imported {name} from {folder}')\n")
    (folder / "conftest.py").write_text("raise SystemExit('imported conftest')\n")
    (folder / "evil.pth").write_text("import os; os.system('touch PWNED')\n")
    plugin = folder / "ftlint_acme"
    plugin.mkdir()
    (plugin / "__init__.py").write_text("raise SystemExit('imported a plugin from the dataset folder')\n")
    dist = folder / "ftlint_acme-1.0.dist-info"  # an entry point in a folder that is not on sys.path
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: ftlint_acme\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[ftlint]\nacme = ftlint_acme\n")


def test_nothing_is_loaded_from_the_dataset_folder_or_working_directory(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    plant_modules(data)
    path = data / "train.jsonl"
    path.write_text('{"prompt": "a ->", "completion": " b"}\n')
    commands = [(tmp_path, ["check", str(data)])] + [
        (data, args) for args in (["check", str(path)], ["check", str(data)], ["check", str(path), "--fix"],
                                  ["conventions", str(path)], ["tokens", str(path)], ["rules"])]
    for cwd, args in commands:
        proc = run(*args, "--isolated", cwd=cwd)
        assert proc.returncode in (0, 1), (cwd, args, proc.stderr)
        assert b"imported" not in proc.stdout + proc.stderr, (cwd, args, proc.stderr)
    if sys.version_info >= (3, 11):  # -P: do not put the working directory on sys.path
        safe = subprocess.run([sys.executable, "-P", "-m", "ftlint", "check", str(path), "--isolated"], capture_output=True, cwd=data, check=False)
        assert safe.returncode in (0, 1) and b"imported" not in safe.stderr, safe.stderr
    assert not list(tmp_path.rglob("PWNED"))


def test_config_cannot_name_code_to_load(tmp_path):
    """A config file holds settings only: a key that would load a plugin, a path or a module is
    an unknown setting (exit 2), never imported."""
    (tmp_path / "ftlint_acme.py").write_text("raise SystemExit('imported')\n")
    path = tmp_path / "train.jsonl"
    path.write_text('{"prompt": "a ->", "completion": " b"}\n')
    for key in ("plugins", "plugin-paths", "reporters", "extend"):
        (tmp_path / "ftlint.toml").write_text(f'{key} = ["ftlint_acme"]\n')
        proc = run("check", str(path), cwd=tmp_path)
        assert proc.returncode == 2 and f"unknown setting '{key}'".encode() in proc.stderr, proc.stderr
        assert b"imported" not in proc.stderr
    (tmp_path / "ftlint.toml").write_text('[rules.ftlint_acme]\nx = 1\n')
    proc = run("check", str(path), cwd=tmp_path)
    assert b"imported" not in proc.stdout + proc.stderr


# --- nothing is printed raw to a terminal ------------------------------------------------------

def terminal_outputs(path: Path, cwd: Path) -> dict[str, subprocess.CompletedProcess]:
    runs = {
        "text": ["check", str(path)],
        "text-statistics": ["check", str(path), "--statistics", "--unsafe-fixes"],
        "github": ["check", str(path), "--format", "github"],
        "diff": ["check", str(path), "--diff", "--unsafe-fixes"],
        "conventions": ["conventions", str(path)],
        "tokens": ["tokens", str(path)],
    }
    return {name: run(*args, "--isolated", cwd=cwd) for name, args in runs.items()}


STATISTICS = re.compile(r"^ *\d+\t[A-Z]+\d+\t", re.MULTILINE)  # `--statistics` rows: ftlint's own tabs


def assert_no_raw_controls(outputs: dict[str, subprocess.CompletedProcess]) -> None:
    for name, proc in outputs.items():
        assert proc.returncode in (0, 1), (name, proc.stderr)
        for stream in (proc.stdout, proc.stderr):
            found = UNSAFE.search(STATISTICS.sub("", stream.decode("utf-8", "replace")))
            assert found is None, (name, repr(found.group()), stream[max(0, found.start() - 60): found.end() + 20])


def test_terminal_formats_escape_control_characters_from_data(tmp_path):
    path = tmp_path / "train.jsonl"
    hostile_dataset(path, TERMINAL)
    outputs = terminal_outputs(path, tmp_path)
    assert_no_raw_controls(outputs)
    # one report line per finding: nothing in the data started a new line or overwrote one
    text = outputs["text"].stdout.decode()
    findings = [line for line in text.splitlines() if line.startswith(f"{path}:")]
    assert all(re.match(rf"{re.escape(str(path))}:\d+:\d+: FT\d+ \[(error|warning|info)\] ", line) for line in findings if not line.startswith(f"{path}: "))
    assert "forged.jsonl:9:9" not in "\n".join(line.split(": ", 1)[0] for line in text.splitlines())
    assert "\\u001b[2J" in text or "\\u001b" in outputs["diff"].stdout.decode()
    github = outputs["github"].stdout.decode().splitlines()
    assert github and all(line.startswith(("::error ", "::warning ", "::notice ")) for line in github)
    diff = outputs["diff"].stdout.decode().splitlines()
    assert diff and all(line[:1] in "-+@" for line in diff)


def test_separator_made_of_control_characters(tmp_path):
    """A dataset whose own separator is an escape sequence: reported escaped, fixed raw."""
    path = tmp_path / "train.jsonl"
    sep = "\x1b[2J\u202e ->"
    records = [{"prompt": f"q{i}{sep}", "completion": f" answer {i} END"} for i in range(15)]
    records.append({"prompt": "no separator", "completion": " answer END"})
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    outputs = terminal_outputs(path, tmp_path)
    assert_no_raw_controls(outputs)
    assert '"\\u001b[2J\\u202e ->"' in outputs["conventions"].stdout.decode()
    proc = run("check", str(path), "--isolated", "--fix", cwd=tmp_path)
    assert proc.returncode in (0, 1) and UNSAFE.search(proc.stdout.decode()) is None
    assert json.loads(path.read_text(encoding="utf-8").splitlines()[-1])["prompt"] == "no separator" + sep


def test_file_names_with_control_characters_in_terminal_formats(tmp_path):
    """File names are data too: a folder of datasets may hold `evil\\x1b[2J\\r.jsonl`."""
    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "evil\x1b[2J\r\u202e.jsonl"
    hostile_dataset(path, ["x"])
    outputs = {name: proc for name, proc in terminal_outputs(path, tmp_path).items() if name != "diff"}
    outputs["folder"] = run("check", str(folder), "--isolated", cwd=tmp_path)
    outputs["folder-github"] = run("check", str(folder), "--isolated", "--format", "github", cwd=tmp_path)
    assert_no_raw_controls(outputs)


def test_diff_header_escapes_the_file_name(tmp_path):
    path = tmp_path / "evil\x1b[2J\r.jsonl"
    hostile_dataset(path, ["x"])
    assert_no_raw_controls({"diff": run("check", str(path), "--isolated", "--diff", cwd=tmp_path)})


# --- machine formats: valid, raw text preserved -------------------------------------------------

def test_json_and_sarif_stay_valid_with_the_raw_text(tmp_path):
    path = tmp_path / "train.jsonl"
    hostile_dataset(path, TERMINAL + PAYLOADS)
    report = json.loads(run("check", str(path), "--isolated", "--format", "json", "--unsafe-fixes", cwd=tmp_path).stdout)
    values = [e["value"] for d in report["diagnostics"] if d["fix"] for e in d["fix"]["edits"] if e["op"] == "set"]
    for payload in TERMINAL:  # fix values carry the exact text (JSON-escaped on the wire)
        assert any(isinstance(v, str) and payload.strip() in v for v in values), payload
    sarif = run("check", str(path), "--isolated", "--format", "sarif", cwd=tmp_path)
    document = json.loads(sarif.stdout)
    assert document["version"] == "2.1.0" and document["runs"][0]["results"]
    conv = json.loads(run("conventions", str(path), "--isolated", "--format", "json", cwd=tmp_path).stdout)
    assert str(path) in conv
    tokens = json.loads(run("tokens", str(path), "--isolated", "--format", "json", cwd=tmp_path).stdout)
    assert str(path) in tokens["files"]


def test_json_printed_to_a_terminal_has_no_raw_controls(tmp_path):
    path = tmp_path / "train.jsonl"
    sep = "\u202e\x9b2J ->"
    records = [{"prompt": f"q{i}{sep}", "completion": f" a{i}\u2028 END"} for i in range(12)]
    records.append({"prompt": "no separator", "completion": " a END"})
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    for args in (["check", "--format", "json"], ["conventions", "--format", "json"]):
        proc = run(*args, str(path), "--isolated", cwd=tmp_path)
        text = proc.stdout.decode()
        assert json.loads(text)  # still valid JSON, the raw text kept by \\u escapes
        assert UNSAFE.search(text) is None, (args, repr(UNSAFE.search(text).group()))


def test_machine_formats_escape_controls_and_keep_the_text(tmp_path):
    """Every terminal payload, in the data and in the file name, through JSON, SARIF and
    `conventions --format json`: no raw control character, and the parsed report holds the
    exact text (C1, U+2028 and bidi controls escaped as \\uXXXX, which JSON reads back)."""
    path = tmp_path / "evil\u202e\x9b\u2066.jsonl"
    hostile_dataset(path, TERMINAL)
    for args in (["check", "--format", "json", "--unsafe-fixes"], ["check", "--format", "sarif"], ["conventions", "--format", "json"]):
        proc = run(*args, str(path), "--isolated", cwd=tmp_path)
        assert proc.returncode in (0, 1), proc.stderr
        text = proc.stdout.decode()
        assert UNSAFE.search(text) is None, (args, repr(UNSAFE.search(text).group()))
        if "sarif" in args:  # the path is a percent-encoded URI there
            uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in json.loads(text)["runs"][0]["results"]}
            assert {unquote(uri) for uri in uris} == {"file://" + str(path)}, uris
        else:
            assert str(path) in json.dumps(json.loads(text), ensure_ascii=False), args
    report = json.loads(run("check", str(path), "--isolated", "--format", "json", "--unsafe-fixes", cwd=tmp_path).stdout)
    values = [e["value"] for d in report["diagnostics"] if d["fix"] for e in d["fix"]["edits"] if e["op"] == "set"]
    for payload in TERMINAL:
        assert any(isinstance(v, str) and payload.strip() in v for v in values), payload


def test_json_report_of_a_file_name_that_is_not_utf8(tmp_path):
    """The byte 0xff of a name that is not UTF-8 (Python's lone surrogate U+DCFF) is the JSON
    escape `\udcff`: the report stays UTF-8 (it used to carry the raw byte, deliberately; a
    strict consumer refused it), and `os.fsencode` of the parsed path gives the bytes back."""
    path = tmp_path / "data\udcff.jsonl"
    hostile_dataset(path, ["x"])
    proc = run("check", str(path), "--isolated", "--format", "json", cwd=tmp_path)
    assert proc.returncode in (0, 1) and b"Traceback" not in proc.stderr and b"internal error" not in proc.stderr, proc.stderr
    assert b'"path": "' + bytes(tmp_path) + b'/data\\udcff.jsonl"' in proc.stdout
    assert bytes(path) not in proc.stdout
    report = json.loads(proc.stdout.decode("utf-8"))
    assert os.fsencode(report["files"][0]["path"]) == bytes(path)


def test_junit_stays_valid_xml_with_control_characters_in_the_file_name(tmp_path):
    path = tmp_path / "evil\x1b[2J.jsonl"
    hostile_dataset(path, TERMINAL)
    proc = run("check", str(path), "--isolated", "--format", "junit", cwd=tmp_path)
    ET.fromstring(proc.stdout)


def test_junit_stays_valid_xml_with_control_characters_in_the_data(tmp_path):
    path = tmp_path / "train.jsonl"
    hostile_dataset(path, TERMINAL + PAYLOADS)
    proc = run("check", str(path), "--isolated", "--format", "junit", cwd=tmp_path)
    assert ET.fromstring(proc.stdout).tag == "testsuites"
    assert UNSAFE.search(proc.stdout.decode()) is None
