"""ftlint: the linter and quality gate for LLM fine-tuning datasets.

Everything a rule or a plugin needs is importable from here (typed; the hooks are documented in
``ftlint.hookspecs``, running checks in ``ftlint.api``). Nothing else in ftlint is public API.
"""
from ftlint.conventions import Conventions
from ftlint.diagnostics import Applicability, Diagnostic, Edit, Fix, Location, Severity
from ftlint.engine import FileResult, RunResult, Veto
from ftlint.hookspecs import InputReader, Reporter, hookimpl, hookspec
from ftlint.reader import Batch, Issue, none_as_empty, present_values, where
from ftlint.reporters import ReportOptions
from ftlint.rule import Context, DatasetRule, ReaderRule, Rule

__version__ = "0.1.0"
__all__ = [
    "Applicability", "Batch", "Context", "Conventions", "DatasetRule", "Diagnostic", "Edit", "FileResult", "Fix",
    "InputReader", "Issue", "Location", "ReaderRule", "ReportOptions", "Reporter", "Rule", "RunResult", "Severity",
    "Veto", "__version__", "hookimpl", "hookspec", "none_as_empty", "present_values", "where",
]
