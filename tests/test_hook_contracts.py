"""One contract test per hook: a plugin written from the hook's documentation alone
(ftlint/hookspecs.py), found through a real entry point of a real distribution (a dist-info
folder on sys.path, which is what pip installs), run through the command line or the API."""
from __future__ import annotations

import itertools
import sys
import textwrap
from pathlib import Path

import pytest

from ftlint import api, hookspecs
from ftlint.cli import main
from ftlint.plugins import PluginError, load_plugins

_serial = itertools.count()
CLEAN = '{"prompt": "fine ->", "completion": " ham END"}\n' * 3


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """install(source, entry_point="acme") -> the plugin's name: a distribution with one
    module registered in the `ftlint` entry-point group, importable for this test only."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setattr(api, "_loaded", {})
    modules: list[str] = []

    def install(source: str, entry_point: str = "acme") -> str:
        module = f"acme_contract_{next(_serial)}"
        modules.append(module)
        (site / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        info = site / f"{module}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
        (info / "entry_points.txt").write_text(f"[ftlint]\n{entry_point} = {module}\n")
        return module

    yield install
    for module in modules:
        sys.modules.pop(module, None)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "data.jsonl"
    path.write_text(CLEAN + '{"prompt": "STOP SHOUTING ->", "completion": " ham END"}\n', encoding="utf-8")
    return path


# --- ftlint_addhooks -----------------------------------------------------------------------------

ADDHOOKS = """
    import pluggy
    from ftlint import hookimpl

    class AcmeSpecs:
        @pluggy.HookspecMarker("ftlint")
        def acme_extra_words(self) -> list[str]: ...

    @hookimpl
    def ftlint_addhooks(pluginmanager):
        pluginmanager.add_hookspecs(AcmeSpecs)

    @hookimpl
    def acme_extra_words():
        return ["lorem"]
"""


def test_addhooks_declares_a_hook_that_the_same_and_other_plugins_implement(install):
    install(ADDHOOKS)
    install("from ftlint import hookimpl\n\n@hookimpl\ndef acme_extra_words():\n    return ['ipsum']\n", entry_point="acme-words")
    registry = load_plugins()
    assert sorted(registry.manager.hook.acme_extra_words()) == [["ipsum"], ["lorem"]]


def test_addhooks_failure_names_the_plugin(install, capsys, data):
    install("from ftlint import hookimpl\n\n@hookimpl\ndef ftlint_addhooks(pluginmanager):\n    raise RuntimeError('boom')\n")
    code, _, err = run(capsys, "check", str(data))
    assert code == 2 and "plugin 'acme'" in err and "boom" in err and "--disable-plugin acme" in err


def test_unknown_hook_names_the_plugin_not_a_path(install, capsys, data):
    module = install("from ftlint import hookimpl\n\n@hookimpl\ndef ftlint_get_rulez():\n    return []\n")
    code, _, err = run(capsys, "check", str(data))
    assert code == 2 and "plugin 'acme'" in err and "'ftlint_get_rulez'" in err and "did you mean 'ftlint_get_rules'" in err
    assert module + ".py" not in err and "Traceback" not in err


# --- ftlint_get_rules ----------------------------------------------------------------------------

RULES = '''
    from ftlint import Rule, Severity, hookimpl

    class NoShouting(Rule):
        """Prompts must not be all capitals.

        ## What it does
        Reports prompts written entirely in capital letters.
        """

        code = "ACME001"
        name = "no-shouting"
        severity = Severity.WARNING

        def check(self, batch, ctx):
            for line, prompt in zip(batch.lines, batch.strings("prompt")):
                if prompt and prompt.isupper():
                    yield self.diagnostic(ctx, line, "prompt is all capitals", pointer="/prompt")

    @hookimpl
    def ftlint_get_rules():
        return [NoShouting]
'''


def test_rules_run_and_are_documented(install, capsys, data):
    install(RULES)
    code, out, _ = run(capsys, "check", str(data), "--select", "ACME")
    assert code == 0 and f"{data}:4:1: ACME001" in out.replace("[warning] ", "")
    code, out, _ = run(capsys, "rule", "ACME001")
    assert code == 0 and "Prompts must not be all capitals." in out and "from plugin acme" in out
    result = api.check([str(data)], select=["ACME001"])
    assert result.passed and [d.location.line for d in result.diagnostics] == [4]


def test_a_rule_code_of_two_plugins_names_both(install, capsys, data):
    install(RULES)
    install(RULES, entry_point="acme-again")
    code, _, err = run(capsys, "check", str(data))
    assert code == 2 and "ACME001" in err and "'acme'" in err and "'acme-again'" in err


# --- ftlint_get_reporters ------------------------------------------------------------------------

REPORTERS = """
    from ftlint import hookimpl

    def render_count(result, out, options):
        out.write(f"{len(result.diagnostics)} findings\\n")

    @hookimpl
    def ftlint_get_reporters():
        return {"count": render_count}
"""


def test_reporter_is_a_format(install, capsys, data):
    install(REPORTERS)
    install(RULES, entry_point="acme-rules")
    assert run(capsys, "check", str(data), "--select", "ACME", "--format", "count")[:2] == (0, "1 findings\n")
    assert api.check([str(data)], select=["ACME001"]).render("count") == "1 findings\n"


def test_reporter_name_taken_names_both(install, capsys, data):
    install(REPORTERS.replace('"count"', '"json"'))
    code, _, err = run(capsys, "check", str(data))
    assert code == 2 and "'json'" in err and "ftlint.reporters" in err and "'acme'" in err


# --- ftlint_get_input_readers --------------------------------------------------------------------

INPUT_READERS = """
    import csv, orjson
    from ftlint import hookimpl

    def read_psv(path):  # pipe-separated values
        with open(path, newline="", encoding="utf-8") as f:
            for row_number, row in enumerate(csv.DictReader(f, delimiter="|"), start=2):  # header: line 1
                yield row_number, orjson.dumps(row)

    @hookimpl
    def ftlint_get_input_readers():
        return {".psv": read_psv}
"""


def test_input_reader_feeds_every_rule_with_its_lines(install, capsys, tmp_path):
    install(INPUT_READERS)
    table = tmp_path / "data.psv"
    table.write_text('prompt|completion\nfine ->| ham END\n"two\nlines ->"| ham END\nfine ->|ham END\n', encoding="utf-8")
    code, out, _ = run(capsys, "check", str(table), "--select", "FT301", "--format", "json")
    assert code == 1 and '"line": 4' in out  # the third record starts on line 4 of the table
    assert '"line"' in out and out.count('"code": "FT301"') == 1
    folder = tmp_path  # a directory walk includes the reader's files
    assert run(capsys, "check", str(folder), "--select", "FT301")[0] == 1
    before = table.read_bytes()
    run(capsys, "check", str(table), "--fix", "--unsafe-fixes")
    assert table.read_bytes() == before  # never rewritten: it is not JSONL


def test_input_reader_failure_costs_that_file_only(install, capsys, tmp_path, data):
    install(INPUT_READERS)
    broken = tmp_path / "broken.psv"
    broken.write_bytes(b"prompt|completion\n\xff\xfe|x\n")
    code, _, err = run(capsys, "check", str(broken), str(data))
    assert code == 2 and "broken.psv" in err and "UnicodeDecodeError" in err


def test_input_reader_extension_must_be_an_extension(install, capsys, data):
    install(INPUT_READERS.replace('".psv"', '"psv"'))
    code, _, err = run(capsys, "check", str(data))
    assert code == 2 and "plugin 'acme'" in err and "'psv'" in err


# --- ftlint_add_commands -------------------------------------------------------------------------

COMMANDS = """
    from ftlint import api, hookimpl

    def count_files(args):
        result = api.check(args.paths, settings=api.load_config(args.config))
        print(f"{len(result.files)} files, passed: {result.passed}")
        return result.exit_code

    @hookimpl
    def ftlint_add_commands(subparsers):
        parser = subparsers.add_parser("count", help="count the files a check reads")
        parser.add_argument("paths", nargs="+")
        parser.add_argument("--config")
        parser.set_defaults(handler=count_files)
"""


def test_command_handler_takes_args_and_returns_the_exit_code(install, capsys, data, tmp_path):
    install(COMMANDS)
    config = tmp_path / "ftlint.toml"
    config.write_text('select = ["FT0"]\n')
    assert run(capsys, "count", str(data), "--config", str(config))[:2] == (0, "1 files, passed: True\n")
    assert run(capsys, "count", str(tmp_path / "missing.jsonl"))[:2] == (2, "0 files, passed: False\n")


def test_command_name_taken_names_the_plugin(install, capsys, data):
    install(COMMANDS.replace('"count"', '"check"'))
    code, _, err = run(capsys, "rules")
    assert code == 2 and "plugin 'acme'" in err and "check" in err


# --- ftlint_run_finished and ftlint_gate ---------------------------------------------------------

RUN_FINISHED = """
    from ftlint import hookimpl

    seen = []

    @hookimpl
    def ftlint_run_finished(result):
        seen.append({f.path: dict(f.fixed) for f in result.files})
"""

GATE = """
    from ftlint import hookimpl

    @hookimpl
    def ftlint_gate(result):
        records = sum(f.records for f in result.files if f.role == "train")
        if records < 1000:
            return f"only {records} training records; our policy needs 1,000"
        return None
"""


def test_run_finished_sees_the_run_after_fixes(install, capsys, tmp_path):
    module = install(RUN_FINISHED)
    path = tmp_path / "d.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + CLEAN.encode())
    assert run(capsys, "check", str(path), "--fix", "--select", "FT0")[0] == 0
    assert sys.modules[module].seen == [{str(path): {"FT007": 1}}]


def test_gate_vetoes_a_clean_run(install, capsys, data):
    install(GATE)
    code, _, err = run(capsys, "check", str(data), "--select", "FT0")
    assert code == 1 and "ftlint: gate acme: only 4 training records; our policy needs 1,000" in err
    assert run(capsys, "check", str(data), "--select", "FT0", "--exit-zero")[0] == 0
    result = api.check([str(data)], select=["FT0"])
    assert not result.passed and result.exit_code == 1 and [v.plugin for v in result.vetoes] == ["acme"]


def test_gate_that_raises_fails_the_run(install, capsys, data):
    install("from ftlint import hookimpl\n\n@hookimpl\ndef ftlint_gate(result):\n    return 1 / 0\n")
    code, _, err = run(capsys, "check", str(data), "--select", "FT0")
    assert code == 2 and "plugin 'acme' failed in ftlint_gate: ZeroDivisionError" in err


# --- telling plugins apart -----------------------------------------------------------------------

def test_a_third_party_entry_point_named_like_a_built_in_one_loads(install, capsys, data):
    module = install(RULES, entry_point="chat")
    code, out, _ = run(capsys, "rules")
    assert code == 0 and "ACME001" in out and "FT701" in out
    registry = load_plugins()
    assert registry.owners["ACME001"] == f"{module}:chat" and registry.owners["FT701"] == "ftlint:chat"
    without = load_plugins(frozenset({f"{module}:chat"}))
    assert "ACME001" not in without.rules and "FT701" in without.rules


def test_plugin_error_is_a_plugin_error(install):
    install("raise ImportError('needs acme-sdk: pip install acme-sdk')\n")
    with pytest.raises(PluginError, match="plugin 'acme'.*pip install acme-sdk.*--disable-plugin acme"):
        load_plugins()


# --- ftlint_get_submit_backends ------------------------------------------------------------------

BACKENDS = """
    from ftlint import api, hookimpl

    class AcmeBackend:
        name = "acme"

        def list_jobs(self, limit=20):
            return [api.Job("acme-job-1", "babbage-002", "running", "acme-file-1")]

    @hookimpl
    def ftlint_get_submit_backends():
        return {"acme": AcmeBackend}
"""


def test_submit_backend_is_selectable_by_name(install, capsys):
    install(BACKENDS)
    assert api.submit_backends()["acme"]().list_jobs()[0].id == "acme-job-1"
    code, out, _ = run(capsys, "jobs", "list", "--backend", "acme")
    assert code == 0 and "acme-job-1" in out and "running" in out


def test_submit_backend_name_taken_names_both(install, capsys, data):
    install(BACKENDS)
    install(BACKENDS, entry_point="acme-again")
    code, _, err = run(capsys, "check", str(data))
    assert code == 2 and "submit backend 'acme'" in err and "'acme'" in err and "'acme-again'" in err


# --- ftlint_get_engines --------------------------------------------------------------------------

ENGINES = hookspecs.ftlint_get_engines.__doc__.split("Example::", 1)[1]  # the documented example is the plugin tested


def test_engine_runs_a_check_like_the_local_engine(install, capsys, tmp_path):
    install(ENGINES)
    shards = [tmp_path / "a.jsonl", tmp_path / "b.jsonl"]
    shards[0].write_text(CLEAN, encoding="utf-8")
    shards[1].write_text('{"prompt": "fine ->", "completion": " ham END"}\n', encoding="utf-8")
    args = ["check", *map(str, shards), "--one-dataset", "--output-format", "json", "--isolated"]
    local = run(capsys, *args)
    code, out, err = run(capsys, *args, "--engine", "serial", "--serial-note", "serially")
    assert (code, out) == local[:2] and err == "serially\n"
    assert f"exact duplicate of line {shards[0]}:1 " in out  # across the two files


def test_engine_name_taken_names_both(install, capsys, data):
    install(ENGINES)
    install(ENGINES.replace("--serial-note", "--other-note").replace("serial_note", "other_note"), entry_point="acme-again")
    code, _, err = run(capsys, "check", str(data))
    assert code == 2 and "engine 'serial' is defined by both plugin 'acme' and plugin 'acme-again'" in err


def test_engine_named_local_is_refused(install, capsys, data):
    install(ENGINES.replace('"serial"', '"local"'))
    code, _, err = run(capsys, "check", str(data))
    assert code == 2 and "engine 'local' is defined by both plugin 'ftlint' and plugin 'acme'" in err


def test_engine_without_run_is_refused(install, capsys, data):
    install("from ftlint import hookimpl\n\n@hookimpl\ndef ftlint_get_engines():\n    return {'broken': object()}\n")
    code, _, err = run(capsys, "check", str(data))
    assert code == 2 and "plugin 'acme': engine 'broken'" in err and "not an ftlint.api.Engine" in err
