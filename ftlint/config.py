"""Configuration: `[tool.ftlint]` in the nearest pyproject.toml, or a whole ftlint.toml,
found from the working directory upwards; the command line overrides it."""
from __future__ import annotations

import dataclasses
import fnmatch
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from ftlint.reader import DEFAULT_MAX_LINE_BYTES
from ftlint.rule import Rule


class ConfigError(Exception):
    """The configuration is invalid; the message says where and why."""


@dataclass
class Settings:
    select: list[str] = field(default_factory=lambda: ["ALL"])
    extend_select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    model: str | None = None
    task: str | None = None  # classification | generation; inferred when unset
    format: str | None = None  # prompt-completion | chat | preference; inferred when unset
    separator: str | None = None
    stop: str | None = None
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)  # rule name -> options
    source: str | None = None  # the file the settings came from

    def conventions(self) -> dict[str, Any]:
        return {"task": self.task, "format": self.format, "separator": self.separator, "stop": self.stop}


_KEYS = {f.name.replace("_", "-"): f.name for f in dataclasses.fields(Settings) if f.name != "source"}
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
        return tomllib.loads(path.read_text(encoding="utf-8"))
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
        if isinstance(default, list):
            value = [value] if isinstance(value, str) else value
            if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                raise ConfigError(f"{where}: {key} must be a list of rule codes")
        elif isinstance(default, dict) and not isinstance(value, dict):
            raise ConfigError(f"{where}: {key} must be a table")
        elif name == "max_line_bytes" and not (isinstance(value, int) and value > 0):
            raise ConfigError(f"{where}: max-line-bytes must be a positive integer")
        elif default is None and not isinstance(value, str):
            raise ConfigError(f"{where}: {key} must be a string")
        if name in _CHOICES and value not in _CHOICES[name]:
            raise ConfigError(f"{where}: {key} must be one of {', '.join(_CHOICES[name])}")
        setattr(settings, name, value)


def matches(code: str, selectors: list[str]) -> bool:
    """Whether a code is named by any selector: ALL, a full code, or a prefix like FT2."""
    return any(s == "ALL" or code.startswith(s.upper()) for s in selectors)


def selected_codes(settings: Settings, codes: list[str]) -> list[str]:
    return [
        c for c in codes
        if (matches(c, settings.select) or matches(c, settings.extend_select)) and not matches(c, settings.ignore)
    ]


def ignored_for(settings: Settings, path: str) -> list[str]:
    """Codes that per-file-ignores switches off for `path` (glob patterns)."""
    ignored: list[str] = []
    for pattern, codes in settings.per_file_ignores.items():
        if fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(Path(path).name, pattern):
            ignored.extend([codes] if isinstance(codes, str) else codes)
    return ignored


def rule_options(rule: type[Rule], settings: Settings) -> Any:
    """The rule's Options dataclass filled from `[tool.ftlint.rules.<name>]` (kebab-case keys)."""
    raw = settings.rules.get(rule.name) or settings.rules.get(rule.code) or {}
    if rule.Options is None:
        if raw:
            raise ConfigError(f"rule {rule.code} {rule.name} has no options")
        return None
    fields = {f.name: f for f in dataclasses.fields(rule.Options)}
    values = {}
    for key, value in raw.items():
        name = key.replace("-", "_")
        if name not in fields:
            known = ", ".join(n.replace("_", "-") for n in fields)
            raise ConfigError(f"rule {rule.name}: unknown option {key!r}; known: {known}")
        default = getattr(rule.Options(), name)
        if default is not None and not isinstance(value, type(default)) and not (
            isinstance(default, float) and isinstance(value, int)
        ):
            raise ConfigError(f"rule {rule.name}: option {key} must be {type(default).__name__}")
        values[name] = value
    return rule.Options(**values)
