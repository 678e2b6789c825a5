"""The plugin manager: built-ins as plugins, typed errors naming the plugin at fault."""

from __future__ import annotations

from importlib.metadata import EntryPoint
from typing import Any

import pytest

from cpnetwork import Network, PluginError, hookimpl
from cpnetwork.hookspecs import hookimpl as spec_hookimpl
from cpnetwork.plugins import DEFAULT_PLUGINS, get_plugin_manager, load_entry_points


def test_builtins_are_registered_like_any_plugin() -> None:
    host = get_plugin_manager(load_entrypoints=False)
    assert set(DEFAULT_PLUGINS) <= set(host.names())
    assert "open_storage" in host.hooks_of("cpnetwork.builtins.memory_backend")
    assert hookimpl is spec_hookimpl


def test_a_builtin_can_be_blocked_and_replaced() -> None:
    class FirstInLine:
        @hookimpl
        def order_waitlist(self, waitlisted: list[Any]) -> list[Any]:
            return list(waitlisted)

    host = get_plugin_manager(
        load_entrypoints=False, block=["cpnetwork.builtins.waitlist"], plugins=[FirstInLine()]
    )
    assert "cpnetwork.builtins.waitlist" not in host.names()
    assert host.call_first("order_waitlist", program=None, waitlisted=[1, 2], network=None) == (
        "FirstInLine",
        [1, 2],
    )


def test_blocking_by_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CPNETWORK_BLOCK_PLUGINS", "cpnetwork.builtins.eligibility")
    assert "cpnetwork.builtins.eligibility" not in get_plugin_manager().names()


def test_a_plugin_implementing_an_unknown_hook_fails_loudly() -> None:
    class Typo:
        @hookimpl
        def chek_eligibility(self) -> list[str]:
            return []

    with pytest.raises(PluginError, match="Typo") as caught:
        get_plugin_manager(load_entrypoints=False, plugins=[Typo()])
    assert caught.value.hook == "check_pending"


def test_an_entry_point_that_cannot_load_is_named() -> None:
    host = get_plugin_manager(load_entrypoints=False)
    broken = EntryPoint(name="brokenplugin", value="no_such_module_here", group="cpnetwork")
    with pytest.raises(PluginError, match="plugin 'brokenplugin': hook load: could not load"):
        load_entry_points(host, [broken])


def test_a_raising_plugin_is_named() -> None:
    class Exploding:
        @hookimpl
        def register_member_fields(self) -> list[Any]:
            raise KeyError("county")

    with pytest.raises(PluginError) as caught:
        Network.open("memory://", plugins=[Exploding()], load_entrypoints=False)
    assert caught.value.plugin == "Exploding"
    assert caught.value.hook == "register_member_fields"
    assert "raised KeyError('county')" in str(caught.value)


@pytest.mark.parametrize(
    ("answer", "message"),
    [("science_credential", "not a list"), ([42], "not CustomField")],
)
def test_a_plugin_answering_the_wrong_type_is_named(answer: Any, message: str) -> None:
    class Sloppy:
        @hookimpl
        def register_member_fields(self) -> Any:
            return answer

    with pytest.raises(PluginError, match=message) as caught:
        Network.open("memory://", plugins=[Sloppy()], load_entrypoints=False)
    assert caught.value.plugin == "Sloppy"


def test_a_storage_plugin_returning_something_else_is_named() -> None:
    class FakeStore:
        @hookimpl(tryfirst=True)
        def open_storage(self, url: str) -> Any:
            return {"url": url}

    with pytest.raises(PluginError, match="not a Storage") as caught:
        Network.open("memory://", plugins=[FakeStore()], load_entrypoints=False)
    assert caught.value.plugin == "FakeStore"


def test_an_unknown_url_scheme_is_a_validation_error() -> None:
    from cpnetwork import ValidationError

    with pytest.raises(ValidationError, match="no installed backend opens this URL"):
        Network.open("redis://localhost", load_entrypoints=False)


def test_observer_failure_is_named_after_the_change_is_saved() -> None:
    with Network.open("memory://", load_entrypoints=False) as net:

        def grumpy(event: object) -> None:
            raise RuntimeError("mail server down")

        net.subscribe(grumpy)
        with pytest.raises(PluginError, match=r"mail server down.*the change was saved"):
            net.members.add(email="saved@example.org")
        net.unsubscribe(grumpy)
        assert net.members.find_by_email("saved@example.org") is not None


class Digest:
    """A handle_event plugin: sees events after commit."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    @hookimpl
    def handle_event(self, event: Any) -> None:
        self.seen.append(type(event).__name__)


def test_handle_event_plugins_observe_committed_changes() -> None:
    digest = Digest()
    with Network.open("memory://", plugins=[digest], load_entrypoints=False) as net:
        net.members.add(email="a@example.org")
        with pytest.raises(Exception):  # noqa: B017 - any refusal must emit nothing
            net.members.add(email="A@example.org")
    assert digest.seen == ["MemberAdded"]
