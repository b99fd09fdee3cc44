"""Loading plugins: every rule set, reporter and command comes through the ``ftlint``
entry-point group, built-in ones included. Nothing is ever loaded from a path or the working
directory. The engine's own codes (FT0xx, `ftlint.engine_rules`) are no plugin: they are
always registered first, and no plugin may redefine them."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

import pluggy

from ftlint import hookspecs
from ftlint.engine_rules import ENGINE_RULES, OWNER
from ftlint.rule import Rule

GROUP = "ftlint"
BUILTIN_DISTRIBUTION = "ftlint"
DISABLE_AUTOLOAD_ENV = "FTLINT_DISABLE_PLUGIN_AUTOLOAD"


class PluginError(Exception):
    """A plugin could not be loaded or registered; the message names it."""


@dataclass
class Registry:
    manager: pluggy.PluginManager
    rules: dict[str, type[Rule]] = field(default_factory=dict)  # code -> rule class
    owners: dict[str, str] = field(default_factory=dict)  # code -> plugin name
    reporters: dict[str, Any] = field(default_factory=dict)

    def rule(self, code: str) -> type[Rule] | None:
        return self.rules.get(code.upper())


def load_plugins(disabled: frozenset[str] = frozenset()) -> Registry:
    """Load and register every enabled plugin, then collect rules and reporters.

    Third-party plugins are skipped when FTLINT_DISABLE_PLUGIN_AUTOLOAD is set; a plugin named
    in `disabled` (entry-point name) is never imported.
    """
    from ftlint import reporters

    manager = pluggy.PluginManager("ftlint")
    manager.add_hookspecs(hookspecs)
    manager.register(reporters, name="ftlint.reporters")
    autoload = not os.environ.get(DISABLE_AUTOLOAD_ENV)
    installed = sorted(entry_points(group=GROUP), key=lambda e: e.name)
    unknown = sorted(disabled - {ep.name for ep in installed})
    if unknown:
        known = ", ".join(dict.fromkeys(ep.name for ep in installed))
        raise PluginError(f"--disable-plugin: no plugin named {', '.join(map(repr, unknown))}; installed plugins: {known}")
    for ep in installed:
        dist = ep.dist.name if ep.dist else "?"
        if ep.name in disabled or (dist != BUILTIN_DISTRIBUTION and not autoload):
            continue
        if manager.has_plugin(ep.name):
            continue  # the same distribution seen twice on sys.path
        try:
            manager.register(ep.load(), name=ep.name)
        except Exception as error:  # noqa: BLE001 - any failure of foreign code is reported by name
            raise PluginError(
                f"plugin {ep.name!r} ({ep.value} from distribution {dist!r}) failed to load: "
                f"{type(error).__name__}: {error}. Disable it with --disable-plugin {ep.name}"
            ) from None
    try:
        manager.check_pending()
    except pluggy.PluginValidationError as error:
        raise PluginError(f"plugin {error.plugin!r}: {error}") from None
    manager.hook.ftlint_addhooks.call_historic(kwargs={"pluginmanager": manager})
    registry = Registry(manager, dict(ENGINE_RULES), dict.fromkeys(ENGINE_RULES, OWNER))
    for impl in manager.hook.ftlint_get_rules.get_hookimpls():
        for rule in _call(impl) or ():
            if not (isinstance(rule, type) and issubclass(rule, Rule)):
                raise PluginError(f"plugin {impl.plugin_name!r} returned {rule!r}, not a Rule subclass")
            if registry.rules.get(rule.code) is rule:
                continue
            if rule.code in registry.rules:
                raise PluginError(
                    f"rule code {rule.code} is defined by both {registry.owners[rule.code]!r} and {impl.plugin_name!r}"
                )
            registry.rules[rule.code] = rule
            registry.owners[rule.code] = impl.plugin_name
    for impl in manager.hook.ftlint_get_reporters.get_hookimpls():
        registry.reporters.update(_call(impl) or {})
    return registry


def _call(impl: pluggy.HookImpl) -> Any:
    try:
        return impl.function()
    except Exception as error:  # noqa: BLE001
        raise PluginError(f"plugin {impl.plugin_name!r} failed in {impl.function.__name__}: {type(error).__name__}: {error}") from None
