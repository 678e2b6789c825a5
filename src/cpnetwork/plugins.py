"""Building a plugin manager and calling hooks so a failing plugin is named.

Each network gets its own manager (no global one at import time), so an embedding
application and its tests decide what loads.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable, Sequence
from importlib import metadata
from typing import Any

import pluggy

from cpnetwork import hookspecs
from cpnetwork.errors import CpnetworkError, PluginError

ENTRY_POINT_GROUP = "cpnetwork"

#: Built-in behaviour, registered like any third-party plugin.
DEFAULT_PLUGINS: tuple[str, ...] = (
    "cpnetwork.builtins.memory_backend",
    "cpnetwork.builtins.sql_backend",
    "cpnetwork.builtins.eligibility",
    "cpnetwork.builtins.waitlist",
    "cpnetwork.builtins.importers",
)

#: Comma-separated plugin names that must not load (built-in or entry point).
BLOCK_ENV = "CPNETWORK_BLOCK_PLUGINS"


class PluginHost:
    """A pluggy manager plus calls that check answers and name the plugin at fault."""

    def __init__(self, manager: pluggy.PluginManager) -> None:
        self.manager = manager
        #: Versions of plugins loaded from distributions, by plugin name.
        self.versions: dict[str, str] = {}

    def names(self) -> list[str]:
        return sorted(
            name for name, plugin in self.manager.list_name_plugin() if plugin is not None
        )

    def hooks_of(self, name: str) -> list[str]:
        plugin = self.manager.get_plugin(name)
        callers = self.manager.get_hookcallers(plugin) or []
        return sorted(caller.name for caller in callers)

    def _call_order(self, hook_name: str) -> list[pluggy.HookImpl]:
        caller = getattr(self.manager.hook, hook_name)
        # pluggy runs implementations last-registered (and tryfirst) first.
        return list(reversed(caller.get_hookimpls()))

    def _call(self, impl: pluggy.HookImpl, hook_name: str, kwargs: dict[str, Any]) -> Any:
        try:
            return impl.function(**{name: kwargs[name] for name in impl.argnames})
        except CpnetworkError:
            raise
        except Exception as exc:
            raise PluginError(impl.plugin_name, hook_name, f"raised {exc!r}") from exc

    def call_all(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Every implementation's answer that is not None, with its plugin's name."""
        answers = []
        for impl in self._call_order(hook_name):
            result = self._call(impl, hook_name, kwargs)
            if result is not None:
                answers.append((impl.plugin_name, result))
        return answers

    def call_first(self, hook_name: str, **kwargs: Any) -> tuple[str, Any] | None:
        """The first answer that is not None, with its plugin's name."""
        for impl in self._call_order(hook_name):
            result = self._call(impl, hook_name, kwargs)
            if result is not None:
                return impl.plugin_name, result
        return None

    def collect(
        self, hook_name: str, item_type: type | tuple[type, ...], **kwargs: Any
    ) -> list[Any]:
        """Flatten list answers of a ``register_*`` / ``check_*`` hook, type-checked."""
        items: list[Any] = []
        for plugin, answer in self.call_all(hook_name, **kwargs):
            if isinstance(answer, str | bytes) or not isinstance(answer, Sequence):
                raise PluginError(plugin, hook_name, f"returned {answer!r}, not a list")
            for item in answer:
                if not isinstance(item, item_type):
                    raise PluginError(
                        plugin, hook_name, f"returned {item!r}, not {_type_name(item_type)}"
                    )
            items.extend(answer)
        return items


def _type_name(item_type: type | tuple[type, ...]) -> str:
    if isinstance(item_type, tuple):
        return " or ".join(t.__name__ for t in item_type)
    return item_type.__name__


def get_plugin_manager(
    *,
    load_entrypoints: bool = True,
    block: Iterable[str] = (),
    plugins: Iterable[object] = (),
) -> PluginHost:
    """A fresh plugin manager with the built-ins, ``plugins`` and installed entry points.

    ``block`` (and the ``CPNETWORK_BLOCK_PLUGINS`` environment variable) names plugins
    that must not load.  A plugin that fails to import, or implements a hook that does
    not exist, is a :class:`~cpnetwork.errors.PluginError` naming it.
    """
    manager = pluggy.PluginManager("cpnetwork")
    manager.add_hookspecs(hookspecs)
    blocked = set(block) | {n.strip() for n in os.environ.get(BLOCK_ENV, "").split(",")}
    for name in blocked - {""}:
        manager.set_blocked(name)
    host = PluginHost(manager)
    for module_name in DEFAULT_PLUGINS:
        if not manager.is_blocked(module_name):
            manager.register(importlib.import_module(module_name), name=module_name)
    for plugin in plugins:
        manager.register(plugin, name=_plugin_name(manager, plugin))
    if load_entrypoints:
        load_entry_points(host)
    try:
        manager.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(
            manager.get_name(exc.plugin) or repr(exc.plugin), "check_pending", str(exc)
        ) from exc
    return host


def _plugin_name(manager: pluggy.PluginManager, plugin: object) -> str | None:
    """A readable name for a plugin registered by hand: its module or class name."""
    name = getattr(plugin, "__name__", None) or type(plugin).__name__
    return None if manager.has_plugin(name) else name


def load_entry_points(
    host: PluginHost, entry_points: Iterable[metadata.EntryPoint] | None = None
) -> None:
    """Register plugins from entry points (by default the installed ``cpnetwork`` group)."""
    manager = host.manager
    if entry_points is None:
        entry_points = metadata.entry_points(group=ENTRY_POINT_GROUP)
    for entry_point in entry_points:
        name = entry_point.name
        if manager.is_blocked(name) or manager.get_plugin(name) is not None:
            continue
        try:
            plugin = entry_point.load()
            manager.register(plugin, name=name)
        except pluggy.PluginValidationError as exc:
            raise PluginError(name, "register", str(exc)) from exc
        except Exception as exc:
            raise PluginError(name, "load", f"could not load: {exc!r}") from exc
        if entry_point.dist is not None:
            host.versions[name] = f"{entry_point.dist.name} {entry_point.dist.version}"
