"""Configuration: `[tool.ftlint]` in the nearest pyproject.toml, or a whole ftlint.toml,
found from the working directory upwards; the command line overrides it."""
from __future__ import annotations

import dataclasses
import difflib
import fnmatch
import re
import sys
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from ftlint.reader import DEFAULT_MAX_LINE_BYTES
from ftlint.rule import Rule
from ftlint.sources import DEFAULT_MAX_STREAM_BYTES, parse_size


class ConfigError(Exception):
    """The configuration is invalid; the message says where and why."""


@dataclass
class Settings:
    select: list[str] | None = None  # None: the default set, every rule that is not opt-in
    extend_select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    external: list[str] = field(default_factory=list)  # code prefixes of plugins not installed everywhere
    model: str | None = None
    task: str | None = None  # classification | generation; inferred when unset
    format: str | None = None  # prompt-completion | chat | preference; inferred when unset
    separator: str | None = None
    stop: str | None = None
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
    max_stream_bytes: int = DEFAULT_MAX_STREAM_BYTES  # standard input and pipes are spooled up to this
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)  # rule name -> options
    prices: dict[str, float] = field(default_factory=dict)  # model -> USD per 1M training tokens (ftlint.stats)
    exclude: list[str] = field(default_factory=list)  # gitignore-style patterns left out of directory walks
    extend_exclude: list[str] = field(default_factory=list)  # more of them, added to exclude
    respect_gitignore: bool = True  # directory walks leave out what .gitignore files ignore
    source: str | None = None  # the file the settings came from

    def conventions(self) -> dict[str, Any]:
        return {"task": self.task, "format": self.format, "separator": self.separator, "stop": self.stop}


_KEYS = {f.name.replace("_", "-"): f.name for f in dataclasses.fields(Settings) if f.name != "source"}
_CODE_LISTS = ("select", "extend_select", "ignore", "external")
_PATTERN_LISTS = ("exclude", "extend_exclude")
_CHOICES = {"task": ("classification", "generation"), "format": ("prompt-completion", "chat", "preference")}


def find_config(start: Path) -> Path | None:
    """The nearest ftlint.toml, or pyproject.toml with a [tool.ftlint] table, at or above `start`."""
    for folder in [start, *start.parents]:
        candidate = folder / "ftlint.toml"
        if candidate.is_file():
            return candidate
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and "ftlint" in _read(candidate).get("tool", {}):
            return candidate
    return None


def _read(path: Path) -> dict[str, Any]:
    try:
        table: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
        return table
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: {error}") from None


def load_settings(path: Path | None) -> Settings:
    """Settings from a config file (None: defaults)."""
    settings = Settings()
    if path is None:
        return settings
    table = _read(path)
    if path.name == "pyproject.toml":
        table = table.get("tool", {}).get("ftlint", {})
    settings.source = str(path)
    apply(settings, table, where=str(path))
    return settings


def apply(settings: Settings, table: dict[str, Any], where: str) -> None:
    """Set values from a config table (kebab-case keys), checking names and types."""
    for key, value in table.items():
        name = _KEYS.get(key)
        if name is None:
            raise ConfigError(f"{where}: unknown setting {key!r}; known: {', '.join(sorted(_KEYS))}")
        default = getattr(Settings(), name)
        if name in _CODE_LISTS:
            value = _code_list(value, f"{where}: {key}")
        elif name == "per_file_ignores":
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: {key} must be a table")
            value = {pattern: _code_list(codes, f"{where}: {key} {pattern!r}") for pattern, codes in value.items()}
        elif isinstance(default, dict) and not isinstance(value, dict):
            raise ConfigError(f"{where}: {key} must be a table")
        elif name == "prices" and not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 for v in value.values()
        ):
            raise ConfigError(f"{where}: prices must map model names to USD per 1M training tokens (numbers)")
        elif name in _PATTERN_LISTS and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise ConfigError(f"{where}: {key} must be a list of path patterns")
        elif isinstance(default, bool) and not isinstance(value, bool):
            raise ConfigError(f"{where}: {key} must be true or false")
        elif name == "max_line_bytes" and not (isinstance(value, int) and value > 0):
            raise ConfigError(f"{where}: max-line-bytes must be a positive integer")
        elif name == "max_stream_bytes":
            try:
                value = parse_size(value)
            except ValueError as error:
                raise ConfigError(f"{where}: max-stream-bytes: {error}") from None
        elif default is None and not isinstance(value, str):
            raise ConfigError(f"{where}: {key} must be a string")
        if name in _CHOICES and value not in _CHOICES[name]:
            raise ConfigError(f"{where}: {key} must be one of {', '.join(_CHOICES[name])}")
        setattr(settings, name, value)


def _code_list(value: Any, where: str) -> list[str]:
    """A list of rule selectors from a string or a list of strings."""
    value = [value] if isinstance(value, str) else value
    if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise ConfigError(f"{where} must be a list of rule codes")
    return [v.strip() for v in value if v.strip()]


def matches(code: str, selectors: list[str]) -> bool:
    """Whether a code is named by any selector: ALL, a full code, or a prefix like FT2."""
    return any(s == "ALL" or code.startswith(s.upper()) for s in selectors)


@dataclass
class Selection:
    """The rules a run uses, with every selector checked against the installed rules.

    `settings` is a copy whose selectors are codes and prefixes only (rule names resolved);
    `codes` the selected rules; `opt_in_skipped` the opt-in rules left out; `warnings` what the
    user should hear once (an external prefix that an installed plugin does not provide)."""

    settings: Settings
    codes: list[str]
    opt_in_skipped: list[str]
    warnings: list[str]


def select_rules(settings: Settings, rules: dict[str, type[Rule]]) -> Selection:
    """Resolve and check the selection of `settings` against `rules` (code -> rule class).

    A selector is ALL, a code, a code prefix (FT2) or a rule name (separator-missing), in any
    case. An unknown selector is a ConfigError with the closest known ones, unless it falls
    under a prefix declared in `external`. No select: every rule that is not opt-in; opt-in
    rules run only when a select or extend-select selector names them (ALL, a prefix, their
    code or name). Selecting no rule at all is an error: a run that checks nothing never passes."""
    external = [e.upper() for e in settings.external]
    for prefix in external:
        if not CODE_PREFIX.fullmatch(prefix):
            raise ConfigError(f"external: {prefix!r} is not a code or code prefix like ACME or ACME001")
    names = {rule.name: code for code, rule in rules.items()}
    resolver = _Resolver(sorted(rules), names, external)
    select = None if settings.select is None else resolver.resolve(settings.select, "select")
    extend = resolver.resolve(settings.extend_select, "extend-select")
    ignore = resolver.resolve(settings.ignore, "ignore")
    per_file = {p: resolver.resolve(c, f"per-file-ignores {p!r}") for p, c in settings.per_file_ignores.items()}
    for key in settings.rules:
        if key not in names and key not in rules and not resolver.external(key):
            raise ConfigError(f"rules: unknown rule {key!r}{resolver.hint(key)}")
    codes, skipped = [], []
    for code in sorted(rules):
        if matches(code, ignore):
            continue
        if matches(code, extend) or (matches(code, select) if select is not None else not rules[code].opt_in):
            codes.append(code)
        elif rules[code].opt_in:
            skipped.append(code)
    if not codes:
        raise ConfigError("no rule is selected (check select, extend-select and ignore): a run that checks nothing never passes")
    warnings = [
        f"external: no installed plugin provides codes {prefix}*; those rules do not run here"
        for prefix in dict.fromkeys(external) if not any(code.startswith(prefix) for code in rules)
    ]
    resolved = dataclasses.replace(settings, select=select, extend_select=extend, ignore=ignore, per_file_ignores=per_file)
    return Selection(resolved, codes, skipped, warnings)


CODE_PREFIX = re.compile(r"[A-Z]{1,8}[0-9]{0,4}")
_LOOK_ALIKE_DIGITS = str.maketrans("OILSZ", "01152")


class _Resolver:
    """Turns selectors into codes and prefixes, or says which one is unknown and what was meant."""

    def __init__(self, codes: list[str], names: dict[str, str], external: list[str]) -> None:
        self.codes, self.names, self.externals = codes, names, external

    def external(self, selector: str) -> bool:
        return any(selector.upper().startswith(prefix) for prefix in self.externals)

    def resolve(self, selectors: list[str], where: str) -> list[str]:
        resolved = []
        for selector in selectors:
            upper = selector.upper()
            if upper == "ALL" or any(code.startswith(upper) for code in self.codes) or self.external(upper):
                resolved.append(upper)
            elif selector.lower() in self.names:
                resolved.append(self.names[selector.lower()])
            else:
                raise ConfigError(f"{where}: unknown rule code, prefix or name {selector!r}{self.hint(selector)}")
        return resolved

    def hint(self, selector: str) -> str:
        """"; did you mean ..." with the closest codes and names, and where to look them up."""
        upper = selector.upper()
        candidates = {c: c for c in self.codes} | {n.upper(): n for n in self.names}
        # a prefix is as good as a code: FT2O would mean FT20, so compare with prefixes of its length
        candidates |= {c[: len(upper)]: c[: len(upper)] for c in self.codes if len(upper) < len(c)}
        close = difflib.get_close_matches(upper, list(candidates), n=3, cutoff=0.6)
        digits = "FT" + upper[2:].translate(_LOOK_ALIKE_DIGITS) if upper.startswith("FT") else upper  # FTOO1 -> FT001
        if digits != upper and digits in candidates:
            close = [digits] + [c for c in close if c != digits][:2]
        meant = f"; did you mean {' or '.join(repr(candidates[c]) for c in close)}?" if close else ""
        foreign = re.fullmatch(r"[A-Z]+[0-9]+", upper) is not None and not upper.startswith("FT")
        declare = "; declare the codes of plugins not installed everywhere in `external`" if foreign else ""
        return f"{meant}{declare} (`ftlint rules` lists them)"


def ignored_for(settings: Settings, path: str) -> list[str]:
    """Codes that per-file-ignores switches off for `path` (glob patterns)."""
    ignored: list[str] = []
    for pattern, codes in settings.per_file_ignores.items():
        if fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(Path(path).name, pattern):
            ignored.extend(codes)
    return ignored


def rule_options(rule: type[Rule], settings: Settings) -> Any:
    """The rule's Options dataclass filled from `[tool.ftlint.rules.<name>]` (kebab-case keys),
    each value checked against the option's annotated type."""
    raw = settings.rules.get(rule.name) or settings.rules.get(rule.code) or {}
    if rule.Options is None:
        if raw:
            raise ConfigError(f"rule {rule.code} {rule.name} has no options")
        return None
    if not isinstance(raw, dict):
        raise ConfigError(f"rule {rule.name}: options must be a table")
    fields = {f.name: f for f in dataclasses.fields(rule.Options)}
    hints = typing.get_type_hints(rule.Options)
    values = {}
    for key, value in raw.items():
        name = key.replace("-", "_")
        if name not in fields:
            known = ", ".join(n.replace("_", "-") for n in fields)
            raise ConfigError(f"rule {rule.name}: unknown option {key!r}; known: {known}")
        try:
            values[name] = _typed(value, hints[name])
        except TypeError as expected:
            raise ConfigError(f"rule {rule.name}: option {key} must be {expected}, not {value!r}") from None
    return rule.Options(**values)


def _typed(value: Any, hint: Any) -> Any:
    """`value` (from TOML) as the annotated type `hint`; TypeError(what was expected) if it is not."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):  # `X | None`: TOML has no null, so an X
        choices = [a for a in args if a is not type(None)]
        for choice in choices:
            try:
                return _typed(value, choice)
            except TypeError:
                pass
        raise TypeError(" or ".join(_expected(c) for c in choices))
    if origin is typing.Literal:
        if value in args:
            return value
        raise TypeError(_expected(hint))
    if origin in (list, tuple, set, frozenset):
        if not isinstance(value, list):
            raise TypeError(_expected(hint))
        item = args[0] if args else Any
        try:
            return origin(_typed(v, item) for v in value)
        except TypeError:
            raise TypeError(_expected(hint)) from None
    if origin is dict:
        if not isinstance(value, dict):
            raise TypeError(_expected(hint))
        item = args[1] if args else Any
        try:
            return {k: _typed(v, item) for k, v in value.items()}
        except TypeError:
            raise TypeError(_expected(hint)) from None
    if hint is Any:
        return value
    if hint is bool:
        if type(value) is bool:
            return value
    elif hint is float and type(value) in (int, float):
        return float(value)
    elif isinstance(hint, type) and isinstance(value, hint) and type(value) is not bool:
        return value
    raise TypeError(_expected(hint))


_NAMES = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}
_PLURALS = {bool: "booleans", int: "integers", float: "numbers", str: "strings"}


def _expected(hint: Any) -> str:
    """How a config type is said in an error message."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (list, tuple, set, frozenset):
        item = args[0] if args else Any
        return f"a list of {_PLURALS[item]}" if item in _PLURALS else f"a list (each {_expected(item)})"
    if origin is dict:
        return "a table"
    if origin is typing.Literal:
        return "one of " + ", ".join(map(repr, args))
    return _NAMES.get(hint, getattr(hint, "__name__", str(hint)))
