"""Third-party plugins: a real package with an entry point, installed by pip into a target."""
from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

GOOD = '''
from ftlint import Rule, Severity, api, hookimpl


class NoShouting(Rule):
    """Prompts must not be all capitals.

    ## What it does
    Reports prompts written entirely in capital letters.

    ## Why
    House style.
    """

    code = "ACME001"
    name = "no-shouting"
    severity = Severity.ERROR

    def check(self, batch, ctx):
        for line, prompt in zip(batch.lines, batch.strings("prompt")):
            if prompt and prompt.isupper():
                yield self.diagnostic(ctx, line, "prompt is all capitals", pointer="/prompt")


@hookimpl
def ftlint_get_rules():
    return [NoShouting]


def render_count(result, out, options):
    out.write(f"{len(result.diagnostics)} findings\\n")


@hookimpl
def ftlint_get_reporters():
    return {"count": render_count}


def shouting_share(args):
    result = api.check(args.paths, settings=api.load_config(args.config), select=["ACME001"])
    print(f"{len(result.diagnostics)} of {sum(f.records for f in result.files)} prompts shout")
    return result.exit_code


@hookimpl
def ftlint_add_commands(subparsers):
    parser = subparsers.add_parser("shouting", help="how many prompts shout")
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--config")
    parser.set_defaults(handler=shouting_share)


class QuietBackend:
    """A fine-tuning service that has run one job."""

    name = "quiet"

    def list_jobs(self, limit=20):
        return [api.Job("quietjob-1", "babbage-002", "succeeded", "quietfile-1", fine_tuned_model="ft:babbage-002:quiet")]


@hookimpl
def ftlint_get_submit_backends():
    return {"quiet": QuietBackend}
'''

PLUGINS = {
    "good": GOOD,
    "broken": "import no_such_module_anywhere\n",
    "misspelt": "from ftlint import hookimpl\n\n@hookimpl\ndef ftlint_get_rulez():\n    return []\n",
    "samename": GOOD.replace("ACME001", "ACME002").replace('"count"', '"count-again"').replace('"shouting"', '"shouting-again"')
    .replace('"quiet"', '"quiet-again"'),
    "clash": GOOD.replace("class NoShouting(Rule)", "class Again(Rule)").replace("[NoShouting]", "[Again]"),
}


ENTRY_POINTS = {"samename": "chat"}  # the same entry-point name as a built-in plugin


def build_wheel(tmp_path: Path, name: str, source: str) -> Path:
    """A minimal wheel for package `acme_<name>` registering entry point `acme-<name>`."""
    dist = f"acme_{name}"
    entry_point = ENTRY_POINTS.get(name, f"acme-{name}")
    files = {
        f"{dist}/__init__.py": source,
        f"{dist}-1.0.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n",
        f"{dist}-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{dist}-1.0.dist-info/entry_points.txt": f"[ftlint]\n{entry_point} = {dist}\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    record.append(f"{dist}-1.0.dist-info/RECORD,,")
    files[f"{dist}-1.0.dist-info/RECORD"] = "\n".join(record) + "\n"
    wheel = tmp_path / f"{dist}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, text in files.items():
            zf.writestr(path, text)
    return wheel


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict[str, Path]:
    """Each plugin pip-installed (offline, from its wheel) into its own target folder."""
    root = tmp_path_factory.mktemp("plugins")
    targets = {}
    for name, source in PLUGINS.items():
        wheel = build_wheel(root, name, source)
        target = root / f"site-{name}"
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--target", str(target), str(wheel)], check=True)
        targets[name] = target
    return targets


@pytest.fixture
def shouting(tmp_path: Path) -> Path:
    path = tmp_path / "data.jsonl"
    path.write_text('{"prompt": "STOP SHOUTING ->", "completion": " ham"}\n{"prompt": "fine ->", "completion": " ham"}\n')
    return path


def env_with(*targets: Path) -> dict:
    return {"PYTHONPATH": ":".join(str(t) for t in targets)}


def test_third_party_rule_runs_and_is_listed(ftlint, installed, shouting):
    env = env_with(installed["good"])
    proc = ftlint("check", str(shouting), "--select", "ACME", env=env)
    assert proc.returncode == 1
    assert f"{shouting}:1:1: ACME001 [error] prompt is all capitals".encode() in proc.stdout
    assert b"ACME001 no-shouting" in ftlint("rules", env=env).stdout.replace(b"  ", b" ").replace(b"  ", b" ")
    assert b"Prompts must not be all capitals." in ftlint("rule", "acme001", env=env).stdout
    assert ftlint("check", str(shouting), "--format", "count", "--select", "ACME", env=env).stdout == b"1 findings\n"
    command = ftlint("shouting", str(shouting), env=env)
    assert (command.returncode, command.stdout) == (1, b"1 of 2 prompts shout\n")
    jobs = ftlint("jobs", "list", "--backend", "quiet", env=env)
    assert jobs.returncode == 0 and b"quietjob-1" in jobs.stdout and b"ft:babbage-002:quiet" in jobs.stdout


def test_third_party_entry_point_named_like_a_built_in_one_loads(ftlint, installed, shouting):
    env = env_with(installed["samename"])
    proc = ftlint("check", str(shouting), "--select", "ACME", env=env)
    assert proc.returncode == 1 and b"ACME002" in proc.stdout
    listed = ftlint("rules", "--format", "json", env=env).stdout.decode()
    assert '"plugin": "acme_samename:chat"' in listed and '"plugin": "ftlint:chat"' in listed
    off = ftlint("check", str(shouting), "--disable-plugin", "acme_samename:chat", env=env)
    assert off.returncode == 1 and b"ACME002" not in off.stdout and b"FT110" in off.stdout  # too few examples


def test_broken_plugin_is_named_not_a_traceback(ftlint, installed, shouting):
    proc = ftlint("check", str(shouting), env=env_with(installed["good"], installed["broken"]))
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert "plugin 'acme-broken'" in err and "no_such_module_anywhere" in err and "--disable-plugin acme-broken" in err
    assert "Traceback" not in err
    ok = ftlint("check", str(shouting), "--select", "ACME", "--disable-plugin", "acme-broken", env=env_with(installed["good"], installed["broken"]))
    assert ok.returncode == 1 and b"ACME001" in ok.stdout


def test_autoload_can_be_switched_off(ftlint, installed, shouting):
    env = {**env_with(installed["good"], installed["broken"]), "FTLINT_DISABLE_PLUGIN_AUTOLOAD": "1"}
    proc = ftlint("check", str(shouting), env=env)
    assert b"ACME001" not in proc.stdout and b"plugin" not in proc.stderr
    assert b"FT003" in ftlint("rules", env=env).stdout  # built-in rules still load


def test_misspelt_hook_fails_loudly(ftlint, installed, shouting):
    proc = ftlint("check", str(shouting), env=env_with(installed["misspelt"]))
    assert proc.returncode == 2 and b"ftlint_get_rulez" in proc.stderr and b"Traceback" not in proc.stderr


def test_code_clash_names_both_plugins(ftlint, installed, shouting):
    proc = ftlint("check", str(shouting), env=env_with(installed["good"], installed["clash"]))
    assert proc.returncode == 2
    assert b"ACME001" in proc.stderr and b"acme-good" in proc.stderr and b"acme-clash" in proc.stderr


def test_nothing_is_loaded_from_the_working_directory(ftlint, tmp_path, shouting):
    (tmp_path / "ftlint_rules").mkdir()
    (tmp_path / "ftlint_rules" / "__init__.py").write_text("raise SystemExit('loaded from cwd')\n")
    (tmp_path / "conftest.py").write_text("raise SystemExit('loaded from cwd')\n")
    proc = ftlint("check", str(shouting), "--select", "FT0", cwd=tmp_path)
    assert b"loaded from cwd" not in proc.stdout + proc.stderr
    module = subprocess.run([sys.executable, "-m", "ftlint", "check", str(shouting), "--select", "FT0"], cwd=tmp_path, capture_output=True)
    assert b"loaded from cwd" not in module.stdout + module.stderr
