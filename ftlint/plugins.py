"""Loading plugins: every rule set, reporter, input reader and command comes through the
``ftlint`` entry-point group, built-in ones included. Nothing is ever loaded from a path or the
working directory. The engine's own codes (FT0xx, `ftlint.engine_rules`) are no plugin: they are
always registered first, and no plugin may redefine them.

A plugin is one entry point of one distribution. Its name is the entry point's name, or
``distribution:name`` when several distributions use that entry-point name (a third-party
``chat`` next to the built-in one); ``--disable-plugin`` takes either form.
"""
from __future__ import annotations

import argparse
import difflib
import importlib
import os
from collections import Counter
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pluggy

from ftlint import hookspecs
from ftlint.datasets import Engine
from ftlint.engine_rules import ENGINE_RULES, OWNER
from ftlint.hookspecs import InputReader, Reporter
from ftlint.rule import Rule

if TYPE_CHECKING:
    from ftlint.backends import BackendFactory
    from ftlint.engine import RunResult

GROUP = "ftlint"
BUILTIN_DISTRIBUTION = "ftlint"
BUILTIN_REPORTERS = "ftlint.reporters"
DISABLE_AUTOLOAD_ENV = "FTLINT_DISABLE_PLUGIN_AUTOLOAD"


class PluginError(Exception):
    """A plugin could not be loaded or registered, or one of its hooks failed; the message
    names the plugin."""


class MissingExtra(PluginError):
    """What a plugin needs is not installed; the message says which extra installs it."""


def import_extra(module: str, extra: str, needed_by: str) -> ModuleType:
    """Import `module` on first use (optional dependencies stay out of every other command),
    or raise MissingExtra: "`needed_by` needs <missing package>: pip install 'ftlint[extra]'"."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise MissingExtra(f"{needed_by} needs {error.name or module}: pip install 'ftlint[{extra}]'") from None


@dataclass(frozen=True)
class Plugin:
    """One entry point of one distribution."""

    name: str  # what messages and --disable-plugin use
    entry_point: EntryPoint
    distribution: str

    def describe(self) -> str:
        return f"plugin {self.name!r} ({self.entry_point.value} from distribution {self.distribution!r})"


@dataclass
class Registry:
    """What the loaded plugins provide, each item with the plugin that provides it."""

    manager: pluggy.PluginManager
    plugins: dict[str, Plugin] = field(default_factory=dict)  # name -> plugin (entry points loaded)
    rules: dict[str, type[Rule]] = field(default_factory=dict)  # code -> rule class
    owners: dict[str, str] = field(default_factory=dict)  # code -> plugin name
    reporters: dict[str, Reporter] = field(default_factory=dict)  # format name -> render
    reporter_owners: dict[str, str] = field(default_factory=dict)
    input_readers: dict[str, InputReader] = field(default_factory=dict)  # ".ext" -> read
    input_reader_owners: dict[str, str] = field(default_factory=dict)
    submit_backends: dict[str, BackendFactory] = field(default_factory=dict)  # name -> factory
    submit_backend_owners: dict[str, str] = field(default_factory=dict)
    command_owners: dict[str, str] = field(default_factory=dict)  # command -> plugin name
    engines: dict[str, Engine] = field(default_factory=dict)  # name -> engine (check --engine)
    engine_owners: dict[str, str] = field(default_factory=dict)

    def rule(self, code_or_name: str) -> type[Rule] | None:
        """The rule with this code (any case) or kebab-case name; None if there is none."""
        found = self.rules.get(code_or_name.upper())
        return found or next((rule for rule in self.rules.values() if rule.name == code_or_name), None)

    def add_commands(self, subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
        """Let every plugin add its sub-commands (``ftlint_add_commands``); a name already taken
        is an error naming the plugin."""
        for impl in self.manager.hook.ftlint_add_commands.get_hookimpls():
            before = dict(subparsers.choices)
            _call(impl, subparsers=subparsers)  # Python 3.11+ raises on a name taken: named too
            replaced = [name for name, parser in before.items() if subparsers.choices.get(name) is not parser]
            if replaced:
                owner = self.command_owners.get(replaced[0], "ftlint")
                raise PluginError(f"plugin {impl.plugin_name!r} adds command {replaced[0]!r}, which {owner!r} defines")
            for name in subparsers.choices.keys() - before.keys():
                self.command_owners[name] = impl.plugin_name

    def finish(self, result: RunResult) -> RunResult:
        """Call ``ftlint_run_finished`` then every ``ftlint_gate`` on a run (after its fixes);
        vetoes go to ``result.vetoes``. A hook that raises is an error of the run (exit 2)."""
        from ftlint.engine import Veto

        for impl in self.manager.hook.ftlint_run_finished.get_hookimpls():
            try:
                _call(impl, result=result)
            except PluginError as error:
                result.errors.append(str(error))
        for impl in self.manager.hook.ftlint_gate.get_hookimpls():
            try:
                message = _call(impl, result=result)
            except PluginError as error:
                result.errors.append(str(error))
                continue
            if message is not None:
                result.vetoes.append(Veto(impl.plugin_name, str(message)))
        return result


def discover() -> list[Plugin]:
    """Every entry point of the ``ftlint`` group, once per (distribution, entry point), named."""
    found: dict[tuple[str, str], EntryPoint] = {}
    for ep in entry_points(group=GROUP):
        dist = ep.dist.name if ep.dist else "?"
        found.setdefault((dist, ep.name), ep)  # the same distribution seen twice on sys.path
    shared = Counter(name for _, name in found)
    return [
        Plugin(name if shared[name] == 1 else f"{dist}:{name}", ep, dist)
        for (dist, name), ep in sorted(found.items(), key=lambda item: (item[0][1], item[0][0] != BUILTIN_DISTRIBUTION, item[0][0]))
    ]


def _names(plugin: Plugin) -> set[str]:
    """What --disable-plugin accepts for a plugin: its entry-point name or distribution:name."""
    return {plugin.name, plugin.entry_point.name, f"{plugin.distribution}:{plugin.entry_point.name}"}


def load_plugins(disabled: frozenset[str] = frozenset()) -> Registry:
    """Load and register every enabled plugin, check their hooks, collect what they provide.

    Third-party plugins are skipped when FTLINT_DISABLE_PLUGIN_AUTOLOAD is set; a plugin named
    in `disabled` (its name, entry-point name or ``distribution:name``) is never imported.
    """
    from ftlint import reporters

    manager = pluggy.PluginManager("ftlint")
    manager.add_hookspecs(hookspecs)
    # Historic: each plugin receives ftlint_addhooks as it is registered, before any hook is
    # checked, so a plugin may declare a hook and implement it; a failure names that plugin.
    manager.hook.ftlint_addhooks.call_historic(kwargs={"pluginmanager": manager})
    manager.register(reporters, name=BUILTIN_REPORTERS)
    registry = Registry(manager, rules=dict(ENGINE_RULES), owners=dict.fromkeys(ENGINE_RULES, OWNER))
    autoload = not os.environ.get(DISABLE_AUTOLOAD_ENV)
    installed = discover()
    names = {name for plugin in installed for name in _names(plugin)}
    unknown = sorted(disabled - names)
    if unknown:
        known = ", ".join(plugin.name for plugin in installed)
        raise PluginError(f"--disable-plugin: no plugin named {', '.join(map(repr, unknown))}; installed plugins: {known}")
    for plugin in installed:
        if disabled & _names(plugin) or (plugin.distribution != BUILTIN_DISTRIBUTION and not autoload):
            continue
        try:
            manager.register(plugin.entry_point.load(), name=plugin.name)
        except Exception as error:  # noqa: BLE001 - any failure of foreign code is reported by name
            raise PluginError(
                f"{plugin.describe()} failed to load: {type(error).__name__}: {error}. "
                f"Disable it with --disable-plugin {plugin.name}"
            ) from None
        registry.plugins[plugin.name] = plugin
    _check_hooks(manager)
    _collect(registry)
    return registry


def _check_hooks(manager: pluggy.PluginManager) -> None:
    """Every hook implementation matches a specification (pluggy's check_pending, with the
    plugin's name instead of its module's path, and a suggestion)."""
    known = [name for name in vars(manager.hook) if not name.startswith("_") and getattr(manager.hook, name).has_spec()]
    for name, hook in vars(manager.hook).items():
        if name.startswith("_") or hook.has_spec():
            continue
        for impl in hook.get_hookimpls():
            if not impl.optionalhook:
                close = difflib.get_close_matches(name, known, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise PluginError(
                    f"plugin {impl.plugin_name!r} implements unknown hook {name!r}{hint}. "
                    f"Disable it with --disable-plugin {impl.plugin_name}"
                )


def _collect(registry: Registry) -> None:
    hook = registry.manager.hook
    for impl in hook.ftlint_get_rules.get_hookimpls():
        for rule in _call(impl) or ():
            if not (isinstance(rule, type) and issubclass(rule, Rule)):
                raise PluginError(f"plugin {impl.plugin_name!r} returned {rule!r} from ftlint_get_rules, not a Rule subclass")
            if registry.rules.get(rule.code) is rule:
                continue
            if rule.code in registry.rules:
                raise PluginError(
                    f"rule code {rule.code} is defined by both plugin {registry.owners[rule.code]!r} "
                    f"and plugin {impl.plugin_name!r}"
                )
            registry.rules[rule.code] = rule
            registry.owners[rule.code] = impl.plugin_name
    for impl in hook.ftlint_get_reporters.get_hookimpls():
        _merge(registry.reporters, registry.reporter_owners, _call(impl) or {}, impl.plugin_name, "output format")
    for impl in hook.ftlint_get_input_readers.get_hookimpls():
        readers = dict(_call(impl) or {})
        for ext in readers:
            if not (isinstance(ext, str) and ext.startswith(".") and len(ext) > 1 and ext == ext.lower()) or ext in (".jsonl", ".gz"):
                raise PluginError(
                    f"plugin {impl.plugin_name!r}: input reader extension {ext!r} must look like '.csv' (lower case; not .jsonl or .gz)"
                )
        _merge(registry.input_readers, registry.input_reader_owners, readers, impl.plugin_name, "input reader for")
    for impl in hook.ftlint_get_submit_backends.get_hookimpls():
        _merge(registry.submit_backends, registry.submit_backend_owners, _call(impl) or {}, impl.plugin_name, "submit backend")
    registry.engine_owners["local"] = BUILTIN_DISTRIBUTION
    for impl in hook.ftlint_get_engines.get_hookimpls():
        for name, engine in dict(_call(impl) or {}).items():
            if not isinstance(engine, Engine):
                raise PluginError(f"plugin {impl.plugin_name!r}: engine {name!r} is {engine!r}, not an ftlint.api.Engine (run and add_options)")
            if name in registry.engine_owners:
                raise PluginError(f"engine {name!r} is defined by both plugin {registry.engine_owners[name]!r} and plugin {impl.plugin_name!r}")
            registry.engines[name] = engine
            registry.engine_owners[name] = impl.plugin_name


def _merge(into: dict[str, Any], owners: dict[str, str], new: dict[str, Any], plugin: str, what: str) -> None:
    for key, value in new.items():
        if not callable(value):
            raise PluginError(f"plugin {plugin!r}: {what} {key!r} is {value!r}, not a function")
        if key in into:
            raise PluginError(f"{what} {key!r} is defined by both plugin {owners[key]!r} and plugin {plugin!r}")
        into[key] = value
        owners[key] = plugin


def _call(impl: pluggy.HookImpl, **kwargs: Any) -> Any:
    """Call one plugin's hook implementation; any exception becomes a PluginError naming it."""
    try:
        return impl.function(*(kwargs[name] for name in impl.argnames))
    except PluginError:
        raise
    except Exception as error:  # noqa: BLE001 - any failure of foreign code is reported by name
        raise PluginError(
            f"plugin {impl.plugin_name!r} failed in {impl.function.__name__}: {type(error).__name__}: {error}"
        ) from None
