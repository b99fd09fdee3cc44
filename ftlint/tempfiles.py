"""Temporary files that never outlive the run.

Every temporary file or folder ftlint makes (the stdin spool, the working copies of --fix) is
registered here and removed when the run ends: normally, on an exception, on Ctrl-C (SIGINT)
and on SIGTERM. One mechanism for all of them; nothing is left in /tmp or beside the data.
"""
from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import tempfile
import threading
from typing import Any, Iterator

_registered: set[str] = set()
_lock = threading.Lock()
_installed = False


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)


def remove_all() -> None:
    """Remove every registered temporary file now (at exit and on a terminating signal)."""
    with _lock:
        paths = list(_registered)
        _registered.clear()
    for path in paths:
        _remove(path)


def _on_terminate(signum: int, frame: Any) -> None:
    remove_all()
    signal.signal(signum, signal.SIG_DFL)  # die of the same signal, as the caller expects
    os.kill(os.getpid(), signum)


def _install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    atexit.register(remove_all)
    if threading.current_thread() is threading.main_thread():
        with contextlib.suppress(ValueError, OSError):
            if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
                signal.signal(signal.SIGTERM, _on_terminate)
            # SIGINT raises KeyboardInterrupt: the `with` blocks below remove their files.


def register(path: str) -> str:
    """Remove `path` (a file or a folder) when the run ends, whatever ends it."""
    _install()
    with _lock:
        _registered.add(path)
    return path


def release(path: str) -> None:
    """Remove `path` now and forget it."""
    with _lock:
        _registered.discard(path)
    _remove(path)


@contextlib.contextmanager
def temporary_file(prefix: str = "ftlint-", suffix: str = "", dir: str | None = None) -> Iterator[tuple[int, str]]:
    """A new temporary file as (open descriptor, path), removed on leaving the block and on
    any exit of the process. The caller owns (and closes) the descriptor."""
    _install()  # the handler first: a signal right after the file exists still removes it
    handle, path = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=dir)
    register(path)
    try:
        yield handle, path
    finally:
        release(path)


@contextlib.contextmanager
def temporary_directory(prefix: str = "ftlint-", dir: str | None = None) -> Iterator[str]:
    """A new temporary folder, removed with its content on leaving the block and on any exit."""
    _install()
    path = register(tempfile.mkdtemp(prefix=prefix, dir=dir))
    try:
        yield path
    finally:
        release(path)
