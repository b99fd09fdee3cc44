"""ftlint: the linter and quality gate for LLM fine-tuning datasets."""
from ftlint.diagnostics import Applicability, Diagnostic, Edit, Fix, Location, Severity
from ftlint.hookspecs import hookimpl
from ftlint.rule import Context, DatasetRule, ReaderRule, Rule

__version__ = "0.1.0"
__all__ = [
    "Applicability", "Context", "DatasetRule", "Diagnostic", "Edit", "Fix", "Location",
    "ReaderRule", "Rule", "Severity", "hookimpl",
]
