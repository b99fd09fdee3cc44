"""Rule options from the config: checked against each option's annotated type, whatever its
default; unknown options are errors."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from ftlint import Rule, Severity, api
from ftlint.config import ConfigError, Settings, rule_options


@dataclass(frozen=True)
class _Options:
    names: list[str] | None = None
    keys: tuple[str, ...] = ()
    limit: int = 0
    ratio: float = 1.5
    strict: bool = False
    mode: str = field(default="fast")


class _Optioned(Rule):
    """A rule with options of every kind."""

    code = "TEST001"
    name = "optioned"
    severity = Severity.INFO
    Options = _Options


def options(**values: object) -> _Options:
    return rule_options(_Optioned, Settings(rules={"optioned": {k.replace("_", "-"): v for k, v in values.items()}}))


def test_values_of_the_annotated_type_are_taken():
    got = options(names=["meta"], keys=["a", "b"], limit=3, ratio=2, strict=True, mode="slow")
    assert got == _Options(["meta"], ("a", "b"), 3, 2.0, True, "slow") and type(got.ratio) is float


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("names", "meta", "a list of strings"),  # not the letters m, e, t, a
    ("names", [1, 2], "a list of strings"),
    ("keys", "a", "a list of strings"),
    ("limit", "3", "an integer"),
    ("limit", True, "an integer"),
    ("limit", 2.5, "an integer"),
    ("ratio", "2", "a number"),
    ("strict", 1, "true or false"),
    ("mode", 3, "a string"),
])
def test_values_of_another_type_are_errors(key, value, expected):
    with pytest.raises(ConfigError, match=f"rule optioned: option {key} must be {expected}, not"):
        options(**{key: value})


def test_unknown_option_is_an_error():
    with pytest.raises(ConfigError, match="unknown option 'limt'; known: names, keys, limit, ratio, strict, mode"):
        rule_options(_Optioned, Settings(rules={"optioned": {"limt": 3}}))


def test_a_built_in_rule_option_whose_default_is_none(tmp_path):
    config = tmp_path / "ftlint.toml"
    config.write_text('[rules.unexpected-message-key]\nallowed-keys = "meta"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="option allowed-keys must be a list of strings, not 'meta'"):
        api.check([str(tmp_path)], settings=api.load_config(config))
    config.write_text('[rules.unexpected-message-key]\nallowed-keys = ["meta"]\n', encoding="utf-8")
    (tmp_path / "chat.jsonl").write_text(
        '{"messages": [{"role": "user", "content": "hi", "meta": 1}, {"role": "assistant", "content": "hello"}]}\n',
        encoding="utf-8",
    )
    assert [d.code for d in api.check([str(tmp_path)], select=["FT704"]).diagnostics] == ["FT704"]
    assert api.check([str(tmp_path)], settings=api.load_config(config), select=["FT704"]).diagnostics == []
