"""Building a plugin manager and calling hooks through pluggy so a failing plugin is named.

Each network gets its own manager (no global one at import time), so an embedding
application and its tests decide what loads.

Every hook call goes through ``manager.hook.<name>(**kwargs)``: pluggy runs wrappers,
``firstresult``, ``tryfirst``/``trylast`` and call monitoring.  To name the plugin at
fault, each implementation's function is wrapped when its plugin registers (pluggy
still calls it): an exception it raises becomes a :class:`PluginError` naming its plugin
and hook, and its answer is noted so a wrong answer can be traced to whoever gave it.
"""

from __future__ import annotations

import functools
import importlib
import logging
import os
from collections.abc import Callable, Generator, Iterable, Sequence
from contextvars import ContextVar
from importlib import metadata
from typing import Any

import pluggy

from cpnetwork import hookspecs
from cpnetwork.errors import CpnetworkError, PluginError

ENTRY_POINT_GROUP = "cpnetwork"

#: Hooks that observe a change already saved: a failing implementation is logged
#: and isolated, never undoing the change or hiding the others.
ISOLATED_HOOKS = frozenset({"handle_event"})

#: Where isolated failures are reported.
LOGGER = logging.getLogger("cpnetwork.plugins")

#: Built-in behaviour, registered like any third-party plugin; each one can be blocked.
DEFAULT_PLUGINS: tuple[str, ...] = (
    "cpnetwork.builtins.memory_backend",
    "cpnetwork.builtins.sql_backend",
    "cpnetwork.builtins.eligibility",
    "cpnetwork.builtins.waitlist",
    "cpnetwork.builtins.importers",
    "cpnetwork.builtins.notifications",
    "cpnetwork.builtins.reports",
)

#: Comma-separated plugin names that must not load (built-in or entry point).
BLOCK_ENV = "CPNETWORK_BLOCK_PLUGINS"

#: ``check(answer)``: why one implementation's answer is wrong, or None if it is fine.
AnswerCheck = Callable[[Any], "str | None"]

#: Name given to an answer no implementation or new-style wrapper returned (an
#: old-style ``hookwrapper`` that forced the result).
FORCED = "an old-style hookwrapper"


class _Call:
    """What the implementations answered during one hook call made by :class:`PluginHost`."""

    def __init__(self, hook: str, check: AnswerCheck | None) -> None:
        self.hook = hook
        self.check = check
        #: ``(plugin, answer)`` for every implementation that answered, in call order.
        self.answers: list[tuple[str, Any]] = []
        #: ``(plugin, result)`` for every new-style wrapper, innermost first.
        self.wrapped: list[tuple[str, Any]] = []

    def owner(self, answer: object) -> str:
        """The plugin that produced ``answer``: an implementation, else the wrapper that
        first returned it (a wrapper that passes an answer through does not own it)."""
        for plugin, given in self.answers:
            if given is answer:
                return plugin
        for plugin, result in self.wrapped:
            if result is answer or (isinstance(result, list) and any(r is answer for r in result)):
                return plugin
        return FORCED


_CURRENT: ContextVar[_Call | None] = ContextVar("cpnetwork_hook_call", default=None)
_RUNNING: ContextVar[str | None] = ContextVar("cpnetwork_running_plugin", default=None)


def running_plugin() -> str | None:
    """The name of the plugin whose hook implementation is running now, if any.

    For arguments a hook changes (``register_commands`` adds to ``cli``): who added what.
    """
    return _RUNNING.get()


def _current(hook: str) -> _Call | None:
    call = _CURRENT.get()
    return call if call is not None and call.hook == hook else None


def _attributed(impl: pluggy.HookImpl, hook: str) -> Callable[..., Any]:
    """``impl.function``, naming its plugin when it raises or answers wrongly.

    In an :data:`ISOLATED_HOOKS` hook a failure is logged, naming the plugin, and the
    other implementations still run: the change they observe is already saved.
    """
    function, plugin = impl.function, impl.plugin_name

    @functools.wraps(function)
    def attributed(*args: Any, **kwargs: Any) -> Any:
        running = _RUNNING.set(plugin)
        try:
            answer = function(*args, **kwargs)
        except Exception as exc:
            if hook in ISOLATED_HOOKS:
                LOGGER.error(
                    "plugin %s failed in %s; the change was saved", plugin, hook, exc_info=True
                )
                return None
            if isinstance(exc, CpnetworkError):
                raise
            raise PluginError(plugin, hook, f"raised {exc!r}") from exc
        finally:
            _RUNNING.reset(running)
        call = _current(hook)
        if call is not None and answer is not None:
            if call.check is not None and (problem := call.check(answer)) is not None:
                raise PluginError(plugin, hook, problem)
            call.answers.append((plugin, answer))
        return answer

    return attributed


def _attributed_wrapper(impl: pluggy.HookImpl, hook: str) -> Callable[..., Any]:
    """A wrapper's generator function, naming its plugin when the wrapper itself raises.

    Errors thrown into it from inner implementations are already named (or come from
    pluggy) and pass through unchanged.
    """
    function: Callable[..., Generator[None, Any, Any]] = impl.function  # type: ignore[assignment]
    plugin = impl.plugin_name

    @functools.wraps(function)
    def attributed(*args: Any, **kwargs: Any) -> Generator[None, Any, Any]:
        try:
            result = yield from function(*args, **kwargs)
        except (CpnetworkError, pluggy.HookCallError):
            raise
        except Exception as exc:
            raise PluginError(plugin, hook, f"raised {exc!r}") from exc
        call = _current(hook)
        if call is not None and impl.wrapper:
            call.wrapped.append((plugin, result))
        return result

    return attributed


class _Manager(pluggy.PluginManager):
    """A pluggy manager whose implementations name their plugin when they fail."""

    def register(self, plugin: object, name: str | None = None) -> str | None:
        registered = super().register(plugin, name)
        if registered is None:  # blocked
            return None
        for caller in self.get_hookcallers(plugin) or []:
            for impl in caller.get_hookimpls():
                if impl.plugin is plugin:
                    wrap = _attributed_wrapper if impl.wrapper or impl.hookwrapper else _attributed
                    impl.function = wrap(impl, caller.name)  # type: ignore[misc]
        return registered


def hook_names() -> list[str]:
    """The names of every hook cpnetwork calls (its hookspecs), sorted."""
    return sorted(
        name
        for name, function in vars(hookspecs).items()
        if callable(function) and hasattr(function, "cpnetwork_spec")
    )


class PluginHost:
    """A pluggy manager plus calls that check answers and name the plugin at fault.

    Every call goes through pluggy (``manager.hook.<name>``), so new-style
    ``wrapper=True`` implementations, ``firstresult`` and monitoring all apply.
    """

    def __init__(self, manager: pluggy.PluginManager) -> None:
        self.manager = manager
        #: Versions of plugins loaded from distributions, by plugin name.
        self.versions: dict[str, str] = {}

    def names(self) -> list[str]:
        return sorted(
            name for name, plugin in self.manager.list_name_plugin() if plugin is not None
        )

    def blocked(self) -> list[str]:
        """Names of the plugins blocked from loading."""
        return sorted(name for name, plugin in self.manager.list_name_plugin() if plugin is None)

    def hooks_of(self, name: str) -> list[str]:
        plugin = self.manager.get_plugin(name)
        callers = self.manager.get_hookcallers(plugin) or []
        return sorted(caller.name for caller in callers)

    def answered_only_by(self, hook_name: str, plugin_name: str) -> bool:
        """Whether ``plugin_name`` alone implements the hook (no other plugin, no wrapper).

        Then the library may answer as that plugin does without calling it, say in the
        database instead of in Python over every row.
        """
        caller: pluggy.HookCaller = getattr(self.manager.hook, hook_name)
        implementations = caller.get_hookimpls()
        return len(implementations) == 1 and implementations[0].plugin_name == plugin_name

    def _call(
        self, hook_name: str, kwargs: dict[str, Any], check: AnswerCheck | None = None
    ) -> tuple[list[tuple[str, Any]], _Call]:
        """Call the hook through pluggy; its non-None answers, each with its plugin."""
        caller: pluggy.HookCaller = getattr(self.manager.hook, hook_name)
        call = _Call(hook_name, check)
        token = _CURRENT.set(call)
        try:
            result = caller(**kwargs)
        finally:
            _CURRENT.reset(token)
        firstresult = caller.spec is not None and caller.spec.opts.get("firstresult", False)
        if firstresult or result is None:  # None: a wrapper of a hook answering nothing
            answers = [result]
        elif isinstance(result, list):
            answers = result
        else:  # a wrapper replaced the list of answers with something else
            raise PluginError(call.owner(result), hook_name, f"returned {result!r}, not a list")
        return [(call.owner(answer), answer) for answer in answers if answer is not None], call

    def call_all(self, hook_name: str, /, **kwargs: Any) -> list[tuple[str, Any]]:
        """Every answer that is not None, with the name of the plugin that gave it.

        An answer passed through unchanged by a wrapper belongs to the implementation
        that gave it; one a wrapper made belongs to the wrapper's plugin.
        """
        return self._call(hook_name, kwargs)[0]

    def call_first(self, hook_name: str, /, **kwargs: Any) -> tuple[str, Any] | None:
        """The first answer that is not None (the hook's result for ``firstresult``
        hooks), with the name of the plugin that gave it."""
        answers = self._call(hook_name, kwargs)[0]
        return answers[0] if answers else None

    def collect(
        self, hook_name: str, item_type: type | tuple[type, ...], /, **kwargs: Any
    ) -> list[Any]:
        """Flatten list answers of a ``register_*`` / ``check_*`` hook, type-checked.

        Each implementation's answer is checked as it returns, before any wrapper sees
        it; what wrappers return is checked again at the end.
        """

        def check(answer: Any) -> str | None:
            if isinstance(answer, str | bytes) or not isinstance(answer, Sequence):
                return f"returned {answer!r}, not a list"
            for item in answer:
                if not isinstance(item, item_type):
                    return f"returned {item!r}, not {_type_name(item_type)}"
            return None

        items: list[Any] = []
        for plugin, answer in self._call(hook_name, kwargs, check)[0]:
            if (problem := check(answer)) is not None:
                raise PluginError(plugin, hook_name, problem)
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
    manager = _Manager("cpnetwork")
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
