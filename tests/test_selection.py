"""Rule selection never turns a gate green by accident: unknown codes, prefixes, names and
plugins are usage errors (exit 2) with what was meant; rule names work wherever codes do;
codes of plugins not installed here are declared (`external`); opt-in rules run only when
named. Run on examples/defects.jsonl (real text with planted defects)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from ftlint import Rule, Severity, api, cli
from ftlint.engine_rules import ENGINE_RULES
from ftlint.plugins import load_plugins

ROOT = Path(__file__).resolve().parent.parent
DEFECTS = str(ROOT / "examples" / "defects.jsonl")


def check(capsys, *args: str, path: str = DEFECTS) -> tuple[int, str, str]:
    code = cli.main(["check", path, "--jobs", "1", *args])
    out, err = capsys.readouterr()
    return code, out, err


def codes_found(out: str) -> set[str]:
    """The codes reported, without the engine's errors for unreadable data (FT0xx), which run
    whatever the selection (defects.jsonl has some)."""
    return {d["code"] for d in json.loads(out)["diagnostics"]} - ENGINE_ERRORS


ENGINE_ERRORS = {c for c, r in ENGINE_RULES.items() if r.severity is Severity.ERROR}


@pytest.mark.parametrize("args, message", [
    (["--select", "FTX"], "select: unknown rule code, prefix or name 'FTX'"),
    (["--select", "FT999"], "unknown rule code, prefix or name 'FT999'"),
    (["--select", "FTOO1"], "'FTOO1'; did you mean 'FT001'"),  # letters O for zeros
    (["--select", "FT201,FT2O3"], "'FT2O3'; did you mean 'FT203'"),  # the second is not dropped
    (["--ignore", "bogus"], "ignore: unknown rule code, prefix or name 'bogus'"),
    (["--ignore", "separator-mising"], "did you mean 'separator-missing'"),
    (["--extend-select", "ACME001"], "declare the codes of plugins not installed everywhere in `external`"),
    (["--select", ""], "no rule is selected"),
    (["--select", "FT2", "--ignore", "FT2"], "no rule is selected"),
])
def test_unknown_selectors_on_the_command_line_are_usage_errors(capsys, args, message):
    code, out, err = check(capsys, "--isolated", *args)
    assert code == 2, err
    assert message in err
    assert out == ""  # nothing that reads as a pass


@pytest.mark.parametrize("config, message", [
    ('select = ["FTX1"]\n', "select: unknown rule code, prefix or name 'FTX1'"),
    ('ignore = ["FT2O5"]\n', "'FT2O5'; did you mean 'FT205'"),
    ('extend-select = ["ACME001"]\n', "extend-select: unknown rule code, prefix or name 'ACME001'"),
    ('[per-file-ignores]\n"*.jsonl" = ["FT2O1"]\n', "per-file-ignores '*.jsonl': unknown rule code, prefix or name 'FT2O1'"),
    ('[per-file-ignores]\n"*.jsonl" = "separator-missin"\n', "did you mean 'separator-missing'"),
    ('[rules.too-few-per-clas]\nmin-examples = 5\n', "rules: unknown rule 'too-few-per-clas'; did you mean 'too-few-per-class'"),
    ('external = ["acme-1"]\n', "external: 'ACME-1' is not a code or code prefix"),
])
def test_unknown_selectors_in_the_config_are_usage_errors(capsys, tmp_path, config, message):
    (tmp_path / "ftlint.toml").write_text(config)
    code, out, err = check(capsys, "--config", str(tmp_path / "ftlint.toml"))
    assert code == 2, err
    assert message in err
    assert out == ""


def test_unknown_selectors_in_pyproject_through_the_real_command(ftlint, tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.ftlint]\nselect = ["FTX1"]\n')
    proc = ftlint("check", DEFECTS, cwd=tmp_path)
    assert proc.returncode == 2 and b"unknown rule code, prefix or name 'FTX1'" in proc.stderr
    assert proc.stdout == b""


def test_rule_names_work_wherever_codes_do(capsys, tmp_path):
    every = codes_found(check(capsys, "--isolated", "--format", "json")[1])
    assert {"FT201", "FT203"} <= every
    code, out, _ = check(capsys, "--isolated", "--format", "json", "--ignore", "separator-missing")
    assert codes_found(out) == every - {"FT201"}
    code, out, _ = check(capsys, "--isolated", "--format", "json", "--select", "separator-missing,SEPARATOR-IN-BODY")
    assert codes_found(out) == {"FT201", "FT203"}
    code, out, _ = check(capsys, "--isolated", "--format", "json", "--select", "ft007", "--extend-select", "special-token")
    assert codes_found(out) == {"FT403"} and "FT007" in out
    config = tmp_path / "ftlint.toml"
    config.write_text('select = ["FT2"]\nignore = ["separator-in-body"]\n[per-file-ignores]\n"defects.jsonl" = ["separator-missing"]\n')
    code, out, _ = check(capsys, "--format", "json", "--config", str(config))
    assert codes_found(out) == {"FT205"}


def test_external_codes_are_declared_and_warned_about_once(capsys, tmp_path):
    """A shared config names a plugin's codes; where the plugin is absent it still runs, and says
    once that those rules do not run here."""
    config = tmp_path / "ftlint.toml"
    config.write_text('external = ["ACME"]\nextend-select = ["ACME001", "ACME"]\nignore = ["ACME002"]\n'
                      '[per-file-ignores]\n"*.jsonl" = ["ACME003"]\n[rules.ACME001]\nlevel = 3\n')
    code, out, err = check(capsys, "--format", "json", "--config", str(config))
    assert code == 1, err
    assert err.count("ftlint: warning:") == 1
    assert "external: no installed plugin provides codes ACME*; those rules do not run here" in err
    assert "FT201" in codes_found(out)


class Shouting(Rule):
    """Prompts must not be all capitals (test plugin).

    ## What it does
    Reports prompts in capitals.
    """

    code = "ACME001"
    name = "no-shouting"
    severity = Severity.WARNING

    def check(self, batch, ctx):
        for line in batch.lines[:1]:
            yield self.diagnostic(ctx, line, "shouting")


class NearCopy(Rule):
    """An opt-in rule (test plugin).

    ## What it does
    Reports the first record.
    """

    code = "FT699"
    name = "near-copy-test"
    severity = Severity.WARNING
    opt_in = True

    def check(self, batch, ctx):
        for line in batch.lines[:1]:
            yield self.diagnostic(ctx, line, "near copy")


@pytest.fixture
def with_rules(monkeypatch):
    """The installed plugins plus the test rules, as the command line loads them."""
    registry = load_plugins()
    for rule in (Shouting, NearCopy):
        registry.rules[rule.code] = rule
        registry.owners[rule.code] = "test"
    monkeypatch.setattr(api, "_loaded", {frozenset(): registry})
    return registry


def test_an_installed_external_plugin_gets_no_warning(capsys, tmp_path, with_rules):
    config = tmp_path / "ftlint.toml"
    config.write_text('external = ["ACME"]\nextend-select = ["ACME001"]\n')
    code, out, err = check(capsys, "--format", "json", "--config", str(config))
    assert "warning" not in err
    assert "ACME001" in codes_found(out)


@pytest.mark.parametrize("args, runs", [
    ([], False),
    (["--select", "ALL"], True),
    (["--select", "FT699"], True),
    (["--select", "near-copy-test"], True),
    (["--select", "FT6"], True),  # an explicit prefix
    (["--extend-select", "FT69"], True),
    (["--extend-select", "near-copy-test"], True),
    (["--select", "ALL", "--ignore", "FT699"], False),
    (["--ignore", "FT601"], False),
])
def test_opt_in_rules_run_only_when_named(capsys, with_rules, args, runs):
    code, out, err = check(capsys, "--isolated", "--format", "json", *args)
    assert ("FT699" in codes_found(out)) is runs, err


def test_opt_in_rules_named_in_the_config(capsys, tmp_path, with_rules):
    config = tmp_path / "ftlint.toml"
    config.write_text('extend-select = ["near-copy-test"]\n')
    assert "FT699" in codes_found(check(capsys, "--format", "json", "--config", str(config))[1])
    config.write_text('select = ["ALL"]\n')
    assert "FT699" in codes_found(check(capsys, "--format", "json", "--config", str(config))[1])


def test_the_summary_says_which_opt_in_rules_did_not_run(capsys, with_rules):
    def opt_in_line(*args: str) -> str:
        lines = [line for line in check(capsys, "--isolated", *args)[1].splitlines() if line.startswith("Opt-in")]
        assert len(lines) <= 1
        return lines[0] if lines else ""

    skipped = sorted(c for c, r in with_rules.rules.items() if r.opt_in)
    assert "FT699" in skipped
    assert opt_in_line() == f"Opt-in rules not selected, so not run: {', '.join(skipped)} (`--extend-select CODE` or `--select ALL` runs them)."
    assert opt_in_line("--select", "ALL") == ""
    assert "FT699" not in opt_in_line("--extend-select", "FT699")
    assert opt_in_line("-q") == ""


def test_built_in_rules_are_all_in_the_default_set_unless_opt_in(capsys):
    """The default selection is the non-opt-in rules, and every rule is reachable."""
    from ftlint.config import Settings, select_rules

    rules = load_plugins().rules
    default = select_rules(Settings(), rules)
    assert default.codes == sorted(c for c, r in rules.items() if not r.opt_in)
    assert default.opt_in_skipped == sorted(c for c, r in rules.items() if r.opt_in)
    assert select_rules(Settings(select=["ALL"]), rules).codes == sorted(rules)


def test_unknown_plugin_to_disable_is_a_usage_error(capsys):
    assert cli.main(["check", DEFECTS, "--disable-plugin", "nosuch"]) == 2
    out, err = capsys.readouterr()
    assert "--disable-plugin: no plugin named 'nosuch'; installed plugins: " in err
    assert "separator" in err and out == ""
    assert cli.main(["check", DEFECTS, "--isolated", "--disable-plugin", "separator", "--select", "FT0", "-q"]) == 1


def test_the_api_refuses_unknown_selectors_too():
    from ftlint import api

    with pytest.raises(api.ConfigError, match="did you mean 'FT203'"):
        api.check([DEFECTS], select=["FT2O3"])
    assert {d.code for d in api.check([DEFECTS], select=["separator-missing"]).diagnostics} - ENGINE_ERRORS == {"FT201"}


def test_rule_docs_by_name(capsys):
    assert cli.main(["rule", "separator-missing"]) == 0
    assert capsys.readouterr().out.startswith("# FT201 separator-missing (error; from plugin separator)")
    assert cli.main(["rule", "separator-mising"]) == 2
