"""The public API: what the command line, plugins (submit, editor server, reports) and tests use.

    from ftlint import api

    settings = api.load_config()                       # nearest pyproject.toml / ftlint.toml
    result = api.check(["train.jsonl"], validation="valid.jsonl", settings=settings,
                       model="gpt-4o-mini-2024-07-18", extend_select=["FT603"])
    if not result.passed:
        for d in result.diagnostics: ...
    result.conventions["train.jsonl"].separator        # what inference needs
    api.fix(["train.jsonl"], settings=settings)         # apply safe fixes in place

Everything here is stable API: names and signatures change only with a major version.
"""
from __future__ import annotations

import contextlib
import dataclasses
import io
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence, TextIO

from ftlint.backends import (
    BackendError, BackendFactory, Checkpoint, Inference, InferenceRequest, Job, JobEvent, JobRequest, RemoteFile,
    SubmitBackend,
)
from ftlint.config import ConfigError, Settings, apply, find_config, load_settings
from ftlint.conventions import Conventions, label_key
from ftlint.datasets import Engine, EngineError, Part, Partial, Plan, PlanFactory, Survey
from ftlint.diagnostics import Applicability, Diagnostic, Severity
from ftlint.engine import FileResult, Linter, RunResult, Veto
from ftlint.fixes import FixSite
from ftlint.plugins import MissingExtra, PluginError, Registry, import_extra, load_plugins
from ftlint.stats import dataset_stats, example_tokens, hyperparameter_advice
from ftlint.stats import describe as describe_stats
from ftlint.tempfiles import temporary_directory

__all__ = [
    "BackendError", "BackendFactory", "Checkpoint", "CheckResult", "ConfigError", "Conventions", "Engine", "EngineError", "Inference",
    "InferenceRequest", "Job", "JobEvent", "JobRequest", "MissingExtra", "PluginError", "RemoteFile", "Settings", "SubmitBackend", "check",
    "check_text", "dataset_stats", "describe_stats", "example_tokens", "fix", "fix_text", "FixSite", "hyperparameter_advice", "import_extra", "label_key",
    "load_config", "Part", "Partial", "Plan", "PlanFactory", "registry",
    "submit_backends", "Survey", "temporary_directory",
]


def load_config(path: str | Path | None = None, *, isolated: bool = False, start: str | Path | None = None) -> Settings:
    """Settings from `path`, else from the nearest ftlint.toml or pyproject.toml with
    [tool.ftlint] at or above `start` (default: the working directory); `isolated`: defaults.
    Raises ConfigError (its message says where and why) on an invalid config."""
    if isolated:
        return Settings()
    if path is not None:
        if not Path(path).is_file():
            raise ConfigError(f"config file {path}: not found")
        return load_settings(Path(path))
    return load_settings(find_config(Path(start) if start is not None else Path.cwd()))


_loaded: dict[frozenset[str], Registry] = {}  # the plugins, loaded once per set of disabled ones
_active: frozenset[str] = frozenset()  # the set of the command being run


def registry(disabled: frozenset[str] | None = None) -> Registry:
    """The installed plugins, loaded (rules, reporters, input readers, hooks); loaded once per
    process for each set of `disabled` plugins (names as for ``--disable-plugin``).

    None: the set of the ``ftlint`` command being run (its ``--disable-plugin`` names, so that a
    plugin's command calling `check` gets the same plugins), else every installed plugin.
    Raises ``PluginError`` naming a broken plugin.
    """
    key = _active if disabled is None else disabled
    if key not in _loaded:
        _loaded[key] = load_plugins(key)
    return _loaded[key]


@contextlib.contextmanager
def _command_plugins(disabled: frozenset[str]) -> Iterator[Registry]:
    """The plugins of one command-line run: `registry()` returns them inside the block."""
    global _active
    previous, _active = _active, disabled
    try:
        yield registry(disabled)
    finally:
        _active = previous


def submit_backends() -> dict[str, BackendFactory]:
    """Every installed fine-tuning backend by name (the `ftlint_get_submit_backends` hook).
    Raises PluginError when two plugins define the same name."""
    return dict(registry().submit_backends)


@dataclass
class CheckResult:
    """What a check found. `passed`: every file was read and judged, and no error-level finding
    remains (warnings and info do not fail a check)."""

    run: RunResult

    @property
    def files(self) -> list[FileResult]:
        return self.run.files

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return self.run.diagnostics

    @property
    def errors(self) -> list[str]:
        """Usage and I/O problems (a file that could not be read, a bad option, a plugin's
        hook that failed)."""
        return self.run.errors + [f.error for f in self.run.files if f.error]

    @property
    def vetoes(self) -> list[Veto]:
        """Gate plugins that refused the run (``ftlint_gate``), each with its reason."""
        return self.run.vetoes

    @property
    def exit_code(self) -> int:
        """0 passed, 1 error-level findings, 2 usage, configuration or I/O error."""
        return self.run.exit_code()

    @property
    def passed(self) -> bool:
        return self.exit_code == 0

    @property
    def conventions(self) -> dict[str, Conventions]:
        """The conventions of each file (by reported path): separator, stop, task, classes."""
        return {f.path: f.conventions for f in self.run.files}

    @property
    def counts(self) -> dict[str, int]:
        """Findings per code."""
        return dict(Counter(d.code for d in self.diagnostics))

    @property
    def errors_found(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]

    def render(self, format: str = "text") -> str:
        """The report in an output format (text, json, sarif, junit, github, or a plugin's)."""
        from ftlint import __version__
        from ftlint.reporters import ReportOptions

        out = io.StringIO()
        registry().reporters[format](self.run, out, ReportOptions(version=__version__))
        return out.getvalue()


def _settings(settings: Settings | None, overrides: dict[str, object]) -> Settings:
    settings = dataclasses.replace(settings) if settings is not None else Settings()
    apply(settings, {k: v for k, v in overrides.items() if v is not None}, where="api")
    if settings.model:
        from ftlint.tokens import resolve_model

        try:
            resolve_model(settings.model)
        except ValueError as error:
            raise ConfigError(str(error)) from None
    return settings


def check(
    paths: Sequence[str], *, validation: str | Sequence[str] | None = None, settings: Settings | None = None,
    model: str | None = None, select: Sequence[str] | None = None, extend_select: Sequence[str] | None = None,
    ignore: Sequence[str] | None = None, jobs: int = 1, one_dataset: bool = False,
) -> CheckResult:
    """Lint files (directories: every dataset inside) with `settings` (default: defaults, not
    the config file: pass `load_config()` for that); keyword arguments override the settings.
    `one_dataset`: the training files are one dataset (and the validation files, several
    allowed, another), with line numbers per file."""
    settings = _settings(settings, {"model": model, "select": list(select) if select is not None else None,
                                    "extend-select": list(extend_select) if extend_select is not None else None,
                                    "ignore": list(ignore) if ignore is not None else None})
    plugins = registry()
    linter = Linter(plugins.rules, settings, jobs=jobs, input_readers=plugins.input_readers)
    linter.one_dataset = one_dataset
    return CheckResult(plugins.finish(linter.run(list(paths), validation=[validation] if isinstance(validation, str) else validation)))


def fix(
    paths: Sequence[str], *, validation: str | None = None, settings: Settings | None = None,
    unsafe: bool = False, diff: TextIO | None = None, model: str | None = None, jobs: int = 1,
) -> CheckResult:
    """Apply safe fixes (and unsafe ones with `unsafe`) in place, or write them as a unified diff
    to `diff` and change nothing. Returns the check of the fixed files. Raises FixError (an
    OSError) when another `ftlint --fix` is fixing one of the files."""
    from ftlint.fixes import apply_fixes, guard
    from ftlint.sources import is_stream

    streams = [p for p in [*paths, validation or ""] if p and is_stream(p)]
    if streams:
        raise ConfigError(f"fixes need regular files, not standard input or a pipe ({streams[0]})")
    settings = _settings(settings, {"model": model})
    plugins = registry()
    linter = Linter(plugins.rules, settings, jobs=jobs, input_readers=plugins.input_readers)
    minimum = Applicability.UNSAFE if unsafe else Applicability.SAFE
    with guard(paths, validation) if diff is None else contextlib.nullcontext(None) as held:  # locked before reading
        result = linter.run(list(paths), validation=validation)
        return CheckResult(plugins.finish(apply_fixes(linter, result, minimum, diff_out=diff, held=held)))


def check_text(
    content: bytes | str, filename: str, *, settings: Settings | None = None, model: str | None = None,
) -> CheckResult:
    """Lint an in-memory dataset (an editor's unsaved buffer) as if it were the file `filename`:
    diagnostics name `filename`, and the config's per-file ignores match it."""
    settings = _settings(settings, {"model": model})
    linter = Linter(registry().rules, settings)
    with temporary_directory(prefix="ftlint-text-") as folder:
        copy = _write_copy(folder, content, filename)
        return CheckResult(linter.run([copy], displays={copy: filename}))


def fix_text(
    content: bytes | str, filename: str, *, settings: Settings | None = None, unsafe: bool = False,
    select: Sequence[str] | None = None,
) -> bytes:
    """`content` with safe fixes (and unsafe ones with `unsafe`) applied, as bytes; `select`
    limits them to those rules. Nothing on disk changes and nothing is set aside: the caller
    keeps the original (an editor: its undo)."""
    from ftlint.fixes import apply_fixes

    settings = _settings(settings, {"select": list(select) if select is not None else None})
    linter = Linter(registry().rules, settings)
    minimum = Applicability.UNSAFE if unsafe else Applicability.SAFE
    with temporary_directory(prefix="ftlint-text-") as folder:
        copy = _write_copy(folder, content, filename)
        apply_fixes(linter, linter.run([copy]), minimum, diff_out=None)
        return Path(copy).read_bytes()


def _write_copy(folder: str, content: bytes | str, filename: str) -> str:
    copy = str(Path(folder) / (Path(filename).name or "buffer.jsonl"))
    Path(copy).write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return copy
