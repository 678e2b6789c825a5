"""The test plugin distribution under tests/plugins/ is installed and found by entry point."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import metadata

import pytest

from cpnetwork import Network, NotEligibleError, ValidationError
from cpnetwork.testing.pytest_plugin import FrozenClock


@pytest.fixture
def net(clock: FrozenClock) -> Iterator[Network]:
    with Network.open("memory://", clock=clock) as network:
        yield network


def test_plugin_is_installed_as_a_distribution_with_an_entry_point() -> None:
    names = [ep.name for ep in metadata.entry_points(group="cpnetwork")]
    assert "testplugin" in names


def test_plugin_is_loaded_by_entry_point_with_its_version(net: Network) -> None:
    assert "testplugin" in net.plugins.names()
    assert net.plugins.versions["testplugin"] == "cpnetwork-testplugin 0.1.0"
    assert net.plugins.hooks_of("testplugin") == ["check_eligibility", "register_member_fields"]


def test_custom_member_field_is_declared_and_validated(net: Network) -> None:
    assert "science_credential" in net.member_fields
    member = net.members.add(email="c@example.org", custom={"science_credential": True})
    assert net.members.get(member.id).custom == {"science_credential": True}
    with pytest.raises(ValidationError, match="science_credential must be boolean"):
        net.members.add(email="d@example.org", custom={"science_credential": "yes"})
    with pytest.raises(ValidationError, match="unknown custom fields"):
        net.members.add(email="e@example.org", custom={"shoe_size": 9})
    assert net.members.find_by_email("d@example.org") is None


def test_plugin_eligibility_rule_takes_effect(net: Network) -> None:
    program = net.programs.create(
        title="Lab safety leads", program_year=2024, tags={"credential-required"}
    )
    holder = net.members.add(email="h@example.org", custom={"science_credential": True})
    other = net.members.add(email="o@example.org")
    assert net.enrollment.register(program.id, holder.id).status.value == "enrolled"
    with pytest.raises(NotEligibleError, match="needs a science credential"):
        net.enrollment.register(program.id, other.id)


def test_blocking_the_plugin_turns_both_off(clock: FrozenClock) -> None:
    with Network.open("memory://", clock=clock, block_plugins=["testplugin"]) as net:
        assert "testplugin" not in net.plugins.names()
        assert "science_credential" not in net.member_fields


def test_without_entry_points_only_builtins_load(clock: FrozenClock) -> None:
    with Network.open("memory://", clock=clock, load_entrypoints=False) as net:
        assert all(name.startswith("cpnetwork.builtins.") for name in net.plugins.names())
