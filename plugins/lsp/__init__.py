"""`ftlint server`: a Language Server for editors (install ftlint[lsp]). The server module, and
pygls with it, is imported only when the command runs."""
from __future__ import annotations

import argparse
import sys

from ftlint import hookimpl


@hookimpl
def ftlint_add_commands(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "server", help="run the Language Server over stdio: diagnostics, fixes and rule docs in your editor (ftlint[lsp])")
    parser.add_argument("--stdio", action="store_true", help="talk over standard input and output (the default and only transport)")
    parser.set_defaults(handler=serve)


def serve(args: argparse.Namespace) -> int:
    try:
        from ftlint_plugins.lsp.server import serve_stdio
    except ImportError as error:
        print(f"ftlint: error: `ftlint server` needs {error.name}: pip install 'ftlint[lsp]'", file=sys.stderr)
        return 2
    serve_stdio()
    return 0
