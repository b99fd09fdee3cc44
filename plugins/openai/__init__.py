"""The submit plugin: `ftlint submit`, `ftlint jobs ...`, `ftlint try`, and the OpenAI backend.

Install with `pip install 'ftlint[openai]'`. Nothing heavy is imported until a command runs:
the SDK only when the OpenAI backend is used (missing: "install ftlint[openai]").
"""
from __future__ import annotations

import argparse

from ftlint import api, hookimpl


def openai_backend() -> api.SubmitBackend:
    from ftlint_plugins.openai.backend import OpenAIBackend

    return OpenAIBackend()


@hookimpl
def ftlint_get_submit_backends() -> dict[str, api.BackendFactory]:
    return {"openai": openai_backend}


@hookimpl
def ftlint_add_commands(subparsers: argparse._SubParsersAction) -> None:
    from ftlint_plugins.openai.commands import add_commands

    add_commands(subparsers)
