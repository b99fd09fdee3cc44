"""`ftlint server`: a Language Server for editors (install ftlint[lsp]). The server module, and
pygls with it, is imported only when the command runs."""
from __future__ import annotations

import argparse

from ftlint import api, hookimpl


@hookimpl
def ftlint_add_commands(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "server", help="run the Language Server over stdio: diagnostics, fixes and rule docs in your editor (ftlint[lsp])")
    parser.add_argument("--stdio", action="store_true", help="talk over standard input and output (the default and only transport)")
    parser.set_defaults(handler=serve)


def serve(args: argparse.Namespace) -> int:
    api.import_extra("ftlint_plugins.lsp.server", "lsp", "`ftlint server`").serve_stdio()
    return 0
