"""Every hook ftlint calls, documented where it is declared.

A plugin is a module (or object) registered through the ``ftlint`` entry-point group, exactly
like ftlint's own built-in rules. It implements any of these hooks with ``@ftlint.hookimpl``.
Hook names are checked after loading (``check_pending``): a misspelt hook is an error.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import argparse

    from ftlint.backends import BackendFactory
    from ftlint.engine import RunResult
    from ftlint.rule import Rule

hookspec = pluggy.HookspecMarker("ftlint")
hookimpl = pluggy.HookimplMarker("ftlint")


@hookspec(historic=True)
def ftlint_addhooks(pluginmanager: pluggy.PluginManager) -> None:
    """Add new hook specifications, with ``pluginmanager.add_hookspecs(module)``.

    Historic: a plugin registered later still receives the call.
    """


@hookspec
def ftlint_get_rules() -> list[type[Rule]]:
    """Return rule classes (subclasses of ``ftlint.Rule`` or ``ftlint.DatasetRule``).

    Codes must be unique across all plugins; a clash is reported naming both plugins.
    """


@hookspec
def ftlint_get_reporters() -> dict[str, Any]:
    """Return ``{format_name: render}`` where ``render(result, stream, options)`` writes a
    ``RunResult`` to a text stream. Names become choices of ``--format``."""


@hookspec
def ftlint_add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Add sub-commands to the ``ftlint`` command line. A sub-command sets its handler with
    ``parser.set_defaults(handler=func)``; ``func(args) -> int`` returns the exit code."""


@hookspec
def ftlint_run_finished(result: RunResult) -> None:
    """Called after ``ftlint check`` has linted every file, before the report is written."""


@hookspec
def ftlint_get_submit_backends() -> dict[str, BackendFactory]:
    """Return the fine-tuning services this plugin can submit to: ``{name: factory}``.

    :return: a mapping of backend name (what ``--backend NAME`` selects) to a factory, a
        callable without arguments that returns an object following the
        ``ftlint.api.SubmitBackend`` protocol (upload a file and wait until it is processed,
        find an uploaded file by content hash, create/get/list/cancel jobs, list events, fetch
        result files, one inference request). The factory raises ``ftlint.api.BackendError``
        when the backend cannot be used (missing credentials or SDK: say how to fix it).

    **When**: ``ftlint submit``, ``ftlint jobs`` and ``ftlint try`` call it once, then call the
    chosen factory only after the data passed the gate. Factories must not send requests or
    import heavy SDKs when the hook is called. A name defined by two plugins is an error.

    Example::

        from ftlint import api, hookimpl

        class AcmeBackend:
            name = "acme"
            def upload(self, path, sha256): ...
            ...

        @hookimpl
        def ftlint_get_submit_backends():
            return {"acme": AcmeBackend}
    """
