"""``import_data`` / ``import-json`` hold the invariants the services keep, on every store.

An edited export that puts 20 enrolled members into a program of capacity 1, fills a
quota twice over, or enrolls a member the network does not hold is refused with a
typed error naming the record, and nothing is written.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cpnetwork import Network
from cpnetwork.cli import CliConfig, cli
from cpnetwork.errors import CapacityFullError, QuotaReachedError, ValidationError
from cpnetwork.model import EnrollmentPolicy, Quota, new_id
from cpnetwork.testing.pytest_plugin import FrozenClock

Export = dict[str, list[dict[str, Any]]]


@pytest.fixture
def export(clock: FrozenClock) -> Export:
    """A network with one enrolled member in a program of capacity 1 (quota 1 per county)."""
    with Network.open("memory://", load_entrypoints=False, clock=clock) as net:
        members = [net.members.add(email=f"m{n}@example.org", county="19") for n in range(20)]
        program = net.programs.create(
            title="Academy",
            program_year=2024,
            policy=EnrollmentPolicy(
                mode="registration", capacity=1, quotas=[Quota(scope="county", limit=1)]
            ),
        )
        net.enrollment.register(program.id, members[0].id)
        return net.export_data()


def _more_enrolled(export: Export, n: int, **changes: Any) -> Export:
    """The export with ``n`` more enrollments copied from the first, one per member."""
    edited = copy.deepcopy(export)
    first = edited["enrollments"][0]
    members = [m["id"] for m in edited["members"] if m["id"] != first["member_id"]]
    for member_id in members[:n]:
        edited["enrollments"].append({**first, "id": new_id(), "member_id": member_id, **changes})
    return edited


def _refused(url: str, data: Export, error: type[Exception], match: str) -> Exception:
    with Network.open(url, load_entrypoints=False) as net:
        with pytest.raises(error, match=match) as raised:
            net.import_data(data)
        assert net.count_records() == 0
    return raised.value


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh store of each kind: in memory, a SQLite file, a PostgreSQL schema."""
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'network.db'}"
    request.applymarker(pytest.mark.postgres)
    url: str = request.getfixturevalue("pg_url")
    return url


def test_the_export_as_written_loads(store: str, export: Export) -> None:
    with Network.open(store, load_entrypoints=False) as net:
        assert net.import_data(export) == sum(len(rows) for rows in export.values())


def test_twenty_enrolled_in_a_program_of_capacity_one_are_refused(
    store: str, export: Export
) -> None:
    data = _more_enrolled(export, 19, county=None)
    program = export["programs"][0]["id"]
    error = _refused(store, data, CapacityFullError, "20 enrollments hold seats")
    assert isinstance(error, CapacityFullError) and error.record_id == program
    assert "capacity is 1" in str(error)


def test_a_quota_filled_twice_over_is_refused(store: str, export: Export) -> None:
    data = _more_enrolled(export, 1, status="waitlisted")  # no seat: within capacity
    data["programs"][0]["policy"]["capacity"] = None
    data["enrollments"][1]["status"] = "enrolled"
    _refused(store, data, QuotaReachedError, r"2 seats are held for county '19'.*quota is 1")


def test_an_enrollment_of_a_member_that_does_not_exist_is_refused(
    store: str, export: Export
) -> None:
    data = copy.deepcopy(export)
    enrollment = data["enrollments"][0]
    enrollment["member_id"] = "no-such-member"
    error = _refused(store, data, ValidationError, "member_id 'no-such-member' names no Member")
    assert isinstance(error, ValidationError)
    assert (error.kind, error.record_id, error.field) == (
        "Enrollment",
        enrollment["id"],
        "member_id",
    )


def test_a_transition_of_an_enrollment_that_does_not_exist_is_refused(
    store: str, export: Export
) -> None:
    data = copy.deepcopy(export)
    data["enrollments"] = []
    _refused(store, data, ValidationError, "enrollment_id .* names no Enrollment")


def test_import_json_names_the_record_and_writes_nothing(
    tmp_path: Path, export: Export, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(_more_enrolled(export, 19, county=None)), encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        ["--db", "restored.db", "import-json", str(edited)],
        obj=CliConfig(load_entrypoints=False),
    )
    assert result.exit_code == 1
    program = export["programs"][0]["id"]
    assert f"Program {program!r}" in result.output or program in result.output
    assert "20 enrollments hold seats" in result.output
    assert not (tmp_path / "new.db").exists()
