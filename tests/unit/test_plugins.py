"""The plugin manager: built-ins as plugins, typed errors naming the plugin at fault."""

from __future__ import annotations

from importlib.metadata import EntryPoint
from typing import Any

import pytest

from cpnetwork import Network, PluginError, hookimpl
from cpnetwork.errors import StorageError
from cpnetwork.hookspecs import hookimpl as spec_hookimpl
from cpnetwork.model import Member, NetworkProfile
from cpnetwork.plugins import DEFAULT_PLUGINS, get_plugin_manager, hook_names, load_entry_points
from cpnetwork.storage import MemoryStorage


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


def test_a_storage_plugin_ignoring_read_only_is_refused_and_named() -> None:
    class Careless:
        @hookimpl(tryfirst=True)
        def open_storage(self, url: str) -> Any:
            return MemoryStorage(url)  # never read-only

    with Network.open("memory://", plugins=[Careless()], load_entrypoints=False) as net:
        assert not net.storage.read_only
    with pytest.raises(PluginError, match="cannot open memory:// read-only") as caught:
        Network.open("memory://", plugins=[Careless()], load_entrypoints=False, read_only=True)
    assert caught.value.plugin == "Careless"


def test_a_network_opened_read_only_writes_not_even_its_profile() -> None:
    store = MemoryStorage("memory://", read_only=True)

    class Given:
        @hookimpl(tryfirst=True)
        def open_storage(self, url: str, read_only: bool) -> Any:
            assert read_only
            return store

    with Network.open(
        "memory://", plugins=[Given()], load_entrypoints=False, read_only=True
    ) as net:
        assert net.profile.name == "Network"
        with pytest.raises(StorageError, match="read-only"):
            net.members.add(email="ada@example.org")
    with store.transaction() as tx:
        assert tx.find(NetworkProfile) == [] and tx.find(Member) == []


def test_an_unknown_url_scheme_is_a_validation_error() -> None:
    from cpnetwork import ValidationError

    with pytest.raises(ValidationError, match="no installed backend opens this URL"):
        Network.open("redis://localhost", load_entrypoints=False)


def test_a_failing_observer_is_logged_and_isolated_and_the_change_stands(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[str] = []

    class Failing:
        @hookimpl
        def handle_event(self, event: Any) -> None:
            raise RuntimeError("digest server down")

    class Watching:
        @hookimpl
        def handle_event(self, event: Any) -> None:
            seen.append(type(event).__name__)

    with Network.open("memory://", plugins=[Failing(), Watching()], load_entrypoints=False) as net:

        def grumpy(event: object) -> None:
            raise RuntimeError("mail server down")

        net.subscribe(grumpy)
        net.subscribe(lambda event: seen.append("observer"))
        with caplog.at_level("ERROR", logger="cpnetwork.plugins"):
            member = net.members.add(email="saved@example.org")
        assert net.members.find_by_email("saved@example.org") == member
        assert seen == ["MemberAdded", "observer"]
        messages = [record.getMessage() for record in caplog.records]
        assert any("plugin Failing failed in handle_event" in m for m in messages)
        assert any("observer" in m and "grumpy" in m for m in messages)
        assert all("the change was saved" in m for m in messages)


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


# -- hooks are called through pluggy ------------------------------------------------------
def _program(net: Network, title: str = "Leadership I", **policy: Any) -> Any:
    from cpnetwork.model import EnrollmentMode, EnrollmentPolicy

    return net.programs.create(
        title=title,
        program_year=2024,
        policy=EnrollmentPolicy(mode=EnrollmentMode("registration"), **policy),
    )


class Exploding:
    @hookimpl
    def check_eligibility(self, member: Any) -> list[str]:
        raise ValueError(f"no rule for {member.email}")


class Sloppy:
    @hookimpl
    def check_eligibility(self) -> Any:
        return "not a list of reasons"


class PassThrough:
    """A new-style wrapper around every decision, changing nothing."""

    @hookimpl(wrapper=True)
    def check_eligibility(self) -> Any:
        return (yield)

    @hookimpl(wrapper=True)
    def register_member_fields(self) -> Any:
        return (yield)


@pytest.mark.parametrize("wrappers", [[], [PassThrough()]], ids=["alone", "wrapped"])
def test_a_raising_hook_is_named_with_its_hook_also_when_wrapped(wrappers: list[object]) -> None:
    with Network.open("memory://", plugins=[Exploding(), *wrappers], load_entrypoints=False) as net:
        member = net.members.add(email="ada@example.org")
        with pytest.raises(PluginError) as caught:
            net.enrollment.register(_program(net).id, member.id)
    assert (caught.value.plugin, caught.value.hook) == ("Exploding", "check_eligibility")
    assert "raised ValueError('no rule for ada@example.org')" in str(caught.value)
    assert isinstance(caught.value.__cause__, ValueError)


@pytest.mark.parametrize("wrappers", [[], [PassThrough()]], ids=["alone", "wrapped"])
def test_a_wrong_answer_is_named_with_its_hook_also_when_wrapped(wrappers: list[object]) -> None:
    with Network.open("memory://", plugins=[Sloppy(), *wrappers], load_entrypoints=False) as net:
        member = net.members.add(email="ada@example.org")
        with pytest.raises(PluginError, match="not a list of reasons") as caught:
            net.enrollment.register(_program(net).id, member.id)
    assert (caught.value.plugin, caught.value.hook) == ("Sloppy", "check_eligibility")


def test_a_wrong_registration_is_named_before_a_wrapper_sees_it() -> None:
    class Sloppy:
        @hookimpl
        def register_member_fields(self) -> Any:
            return [42]

    class Counting:
        @hookimpl(wrapper=True)
        def register_member_fields(self) -> Any:
            answers = yield
            assert all(field.name for answer in answers for field in answer)  # not 42.name
            return answers

    with pytest.raises(PluginError, match="returned 42, not CustomField") as caught:
        Network.open("memory://", plugins=[Sloppy(), Counting()], load_entrypoints=False)
    assert (caught.value.plugin, caught.value.hook) == ("Sloppy", "register_member_fields")


def test_a_wrapper_that_raises_or_answers_wrongly_is_named() -> None:
    class Breaking:
        @hookimpl(wrapper=True)
        def check_eligibility(self) -> Any:
            yield
            raise RuntimeError("rules server down")

    class Garbling:
        @hookimpl(wrapper=True)
        def register_member_fields(self) -> Any:
            answers = yield
            return [*answers, ["science_credential"]]

    with Network.open("memory://", plugins=[Breaking()], load_entrypoints=False) as net:
        member = net.members.add(email="ada@example.org")
        with pytest.raises(PluginError, match=r"raised RuntimeError\('rules server down'\)") as e:
            net.enrollment.register(_program(net).id, member.id)
    assert (e.value.plugin, e.value.hook) == ("Breaking", "check_eligibility")
    with pytest.raises(PluginError, match="returned 'science_credential', not CustomField") as e:
        Network.open("memory://", plugins=[Garbling()], load_entrypoints=False)
    assert (e.value.plugin, e.value.hook) == ("Garbling", "register_member_fields")


def test_an_error_of_the_library_raised_by_a_plugin_passes_through_unchanged() -> None:
    from cpnetwork import ValidationError

    refusal = ValidationError("Member", None, "closed for the summer")

    class Closed:
        @hookimpl
        def check_eligibility(self) -> list[str]:
            raise refusal

    with Network.open(
        "memory://", plugins=[Closed(), PassThrough()], load_entrypoints=False
    ) as net:
        member = net.members.add(email="ada@example.org")
        with pytest.raises(ValidationError) as caught:
            net.enrollment.register(_program(net).id, member.id)
    assert caught.value is refusal


def test_answers_keep_the_name_of_the_plugin_that_gave_them() -> None:
    class Seconded:
        @hookimpl(wrapper=True)
        def check_eligibility(self) -> Any:
            answers = yield
            return [*answers, ["seconded"]]

    class Busy:
        @hookimpl
        def check_eligibility(self) -> list[str]:
            return ["busy"]

    with Network.open("memory://", plugins=[Busy(), Seconded()], load_entrypoints=False) as net:
        answers = net.plugins.call_all(
            "check_eligibility",
            program=_program(net),
            member=net.members.add(email="ada@example.org"),
            organizations=[],
            region=None,
            network=net,
        )
    assert answers == [
        ("Busy", ["busy"]),
        ("cpnetwork.builtins.eligibility", []),
        ("Seconded", ["seconded"]),
    ]


def test_call_monitoring_sees_every_hook_call() -> None:
    """Every hook call goes through pluggy (a hook no plugin implements is not called)."""

    class Outbox:
        @hookimpl
        def record_event(self, event: Any) -> None:
            return None

    seen: list[str] = []
    with Network.open("memory://", load_entrypoints=False, plugins=[Outbox()]) as net:
        undo = net.plugins.manager.add_hookcall_monitoring(
            lambda hook_name, impls, kwargs: seen.append(hook_name),
            lambda outcome, hook_name, impls, kwargs: None,
        )
        member = net.members.add(email="ada@example.org")
        net.enrollment.register(_program(net).id, member.id)
        undo()
    assert "check_eligibility" in seen and "record_event" in seen


def test_firstresult_stops_at_the_first_answer() -> None:
    calls: list[str] = []

    class Early:
        @hookimpl(tryfirst=True)
        def order_waitlist(self, waitlisted: list[Any]) -> list[Any]:
            calls.append("early")
            return list(reversed(waitlisted))

    host = get_plugin_manager(load_entrypoints=False, plugins=[Early()])
    answer = host.call_first("order_waitlist", program=None, waitlisted=[1, 2], network=None)
    assert answer == ("Early", [2, 1]) and calls == ["early"]


# -- the startup hook and the core's own kinds ------------------------------------------
def test_startup_is_called_once_with_the_ready_network() -> None:
    opened: list[Network] = []

    class Greeter:
        @hookimpl
        def startup(self, network: Network) -> None:
            assert network.profile.name == "Hooks"
            opened.append(network)

    net = Network.open("memory://", name="Hooks", plugins=[Greeter()], load_entrypoints=False)
    assert opened == [net]


def test_a_failing_startup_is_named_and_nothing_stays_open() -> None:
    from cpnetwork.storage import MemoryStorage

    closed: list[str] = []

    class Tidy(MemoryStorage):
        def close(self) -> None:
            closed.append(self.url)
            super().close()

    class Store:
        @hookimpl(tryfirst=True)
        def open_storage(self, url: str) -> Any:
            return Tidy(url)

    class Grumpy:
        @hookimpl
        def startup(self) -> None:
            raise OSError("no mail server")

    with pytest.raises(PluginError, match="raised OSError") as caught:
        Network.open("memory://", plugins=[Store(), Grumpy()], load_entrypoints=False)
    assert (caught.value.plugin, caught.value.hook) == ("Grumpy", "startup")
    assert closed == ["memory://"]


def test_the_core_kinds_are_registered_by_the_network_then_the_plugins() -> None:
    from attrs import frozen

    from cpnetwork.storage import CORE_KINDS, RecordKind

    @frozen(kw_only=True)
    class Badge:
        id: str
        member_id: str

    badges = RecordKind(name="badges", cls=Badge)

    class Badges:
        @hookimpl
        def register_record_kinds(self) -> list[RecordKind]:
            return [badges]

    with Network.open("memory://", plugins=[Badges()], load_entrypoints=False) as net:
        assert list(net.storage.iter_kinds()) == [*CORE_KINDS, badges]
        assert "register_record_kinds" not in net.plugins.hooks_of(
            "cpnetwork.builtins.memory_backend"
        )


def test_blocking_the_memory_backend_says_why_memory_urls_fail() -> None:
    from cpnetwork import ValidationError

    with pytest.raises(
        ValidationError,
        match=r"no installed backend opens this URL "
        r"\(blocked plugins: cpnetwork\.builtins\.memory_backend\)",
    ):
        Network.open(
            "memory://", block_plugins=["cpnetwork.builtins.memory_backend"], load_entrypoints=False
        )


# -- every hook has a test ----------------------------------------------------------------
@pytest.mark.parametrize("hook", hook_names())
def test_every_hook_has_a_test_implementing_it(hook: str) -> None:
    from pathlib import Path

    tests = Path(__file__).parents[1]
    implemented = (
        path for path in tests.rglob("*.py") if f"def {hook}(" in path.read_text(encoding="utf-8")
    )
    assert next(implemented, None) is not None, f"no test under tests/ implements {hook}"


def test_register_commands_goes_through_pluggy_so_wrappers_apply() -> None:
    import click

    from cpnetwork.cli import plugin_commands

    class Greeter:
        @hookimpl
        def register_commands(self, cli: click.Group) -> None:
            cli.add_command(click.Command("hello"))

    class Audit:
        @hookimpl(wrapper=True)
        def register_commands(self, cli: click.Group) -> Any:
            yield
            assert sorted(cli.commands) == ["hello"]
            cli.add_command(click.Command("audit"))

    class Again:
        @hookimpl
        def register_commands(self, cli: click.Group) -> None:
            cli.add_command(click.Command("hello"))

    host = get_plugin_manager(load_entrypoints=False, plugins=[Greeter(), Audit()])
    assert sorted(plugin_commands(host, {"members"})) == ["audit", "hello"]
    host = get_plugin_manager(load_entrypoints=False, plugins=[Greeter(), Again(), Audit()])
    with pytest.raises(PluginError, match="'hello' is already defined by Again") as caught:
        plugin_commands(host, {"members"})
    assert (caught.value.plugin, caught.value.hook) == ("Greeter", "register_commands")
