"""Finding the datasets below a directory: every file the engine takes for a dataset
(`is_dataset`: *.jsonl, *.jsonl.gz) except those in hidden folders, what the `exclude` and
`extend-exclude` settings name and, unless `respect-gitignore` is off, what .gitignore files ignore. A walk counts
the datasets it left out, so the command line can say so: data folders are often git-ignored,
and skipping them silently would pass data that was never checked. Paths named on the command
line are never walked, so always checked."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    import pathspec


@dataclass
class Walk:
    files: list[str] = field(default_factory=list)
    excluded: int = 0  # datasets left out by the exclude settings
    ignored: int = 0  # datasets left out by .gitignore files


def walk(directory: str, is_dataset: Callable[[str], bool], exclude: list[str], base: str, respect_gitignore: bool = True) -> Walk:
    """The datasets below `directory`, sorted; `exclude`: gitignore-style patterns relative to
    `base` (the folder of the config file, else the working directory). A pattern or .gitignore
    that matches the named directory itself does not apply: it was named, so it is checked."""
    import pathspec  # 30 ms to import: only when a directory is walked

    top = Path(directory).resolve()
    excluded = pathspec.GitIgnoreSpec.from_lines(exclude)
    if excluded.match_file(_relative(top, base) + "/"):
        excluded = pathspec.GitIgnoreSpec.from_lines([])
    ignores = _enclosing_gitignores(top) if respect_gitignore else []
    if _ignored(top, ignores, folder=True):
        ignores = []
    found = Walk()
    for folder, subfolders, names in os.walk(directory):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
        here = Path(folder).resolve()
        if respect_gitignore and (here / ".gitignore").is_file():
            ignores.append((here, _spec(here / ".gitignore")))
        for name in sorted(names):
            if name.startswith(".") or not is_dataset(name):
                continue
            if excluded.match_file(_relative(here / name, base)):
                found.excluded += 1
            elif _ignored(here / name, ignores):
                found.ignored += 1
            else:
                found.files.append(os.path.join(folder, name))
    found.files.sort()
    return found


def _relative(path: Path, base: str) -> str:
    """`path` relative to `base` when it is below it, else absolute (as patterns see it)."""
    relative = os.path.relpath(path, os.path.abspath(base))
    return Path(relative).as_posix() if not relative.startswith("..") else path.as_posix()


def _spec(path: Path) -> pathspec.GitIgnoreSpec:
    import pathspec

    try:
        return pathspec.GitIgnoreSpec.from_lines(path.read_text(encoding="utf-8", errors="replace").splitlines())
    except OSError:
        return pathspec.GitIgnoreSpec.from_lines([])


def _enclosing_gitignores(folder: Path) -> list[tuple[Path, pathspec.GitIgnoreSpec]]:
    """The .gitignore files of the folders above `folder` up to its repository's root (none
    outside a repository), outermost first."""
    chain = []
    for parent in folder.parents:
        if (parent / ".gitignore").is_file():
            chain.append((parent, _spec(parent / ".gitignore")))
        if (parent / ".git").exists():
            return list(reversed(chain))
    return []


def _ignored(path: Path, ignores: list[tuple[Path, pathspec.GitIgnoreSpec]], folder: bool = False) -> bool:
    """Whether the deepest .gitignore with a say about `path` ignores it (as git decides)."""
    for where, spec in sorted(ignores, key=lambda item: len(item[0].parts), reverse=True):
        if where not in path.parents:
            continue
        verdict = spec.check_file(path.relative_to(where).as_posix() + ("/" if folder else "")).include
        if verdict is not None:
            return verdict
    return False
