"""Refusals name people, organizations and programs by name and code, never only by id."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from cpnetwork import (
    CapacityFullError,
    EnrollmentClosedError,
    IllegalTransitionError,
    Network,
    NotEligibleError,
    QuotaReachedError,
    hookimpl,
)
from cpnetwork.model import (
    County,
    EligibilityRule,
    EnrollmentPolicy,
    Jurisdiction,
    Member,
    Organization,
    Quota,
    Region,
)
from cpnetwork.testing.pytest_plugin import FrozenClock


class California:
    @hookimpl
    def register_jurisdictions(self) -> list[Jurisdiction]:
        return [
            Jurisdiction(
                code="CA",
                regions=(Region(code="r7", name="Central Valley"),),
                counties=(County(code="10", name="Fresno", region_code="r7"),),
            )
        ]


@pytest.fixture
def net(clock: FrozenClock) -> Iterator[Network]:
    with Network.open(
        "memory://", name="Test", clock=clock, load_entrypoints=False, plugins=[California()]
    ) as network:
        yield network


@pytest.fixture
def oakland(net: Network) -> Organization:
    return net.organizations.add(
        name="Oakland Unified", kind="district", county="10", identifiers={"cds": "01612590000000"}
    )


def _member(net: Network, email: str, organization: Organization, **fields: object) -> Member:
    member = net.members.add(email=email, county="10", **fields)  # type: ignore[arg-type]
    net.members.affiliate(member.id, organization.id)
    return member


def test_an_organization_quota_names_the_organization_member_and_program(
    net: Network, oakland: Organization
) -> None:
    academy = net.programs.create(
        title="Science Leadership Academy",
        program_year=2024,
        policy=EnrollmentPolicy(quotas=[Quota(scope="organization", limit=1)]),
    )
    first = _member(net, "ada@example.org", oakland)
    second = _member(net, "bo@example.org", oakland, given_name="Bo", family_name="Diaz")
    net.enrollment.register(academy.id, first.id)
    with pytest.raises(QuotaReachedError) as caught:
        net.enrollment.register(academy.id, second.id)
    message = str(caught.value)
    assert (
        "Bo Diaz <bo@example.org> cannot take a seat in 'Science Leadership Academy' (2024): "
        "the organization quota of 1 for Oakland Unified (CDS 01612590000000) is filled"
    ) in message
    assert caught.value.record_id == academy.id  # the structured id stays
    assert f"for {oakland.id!r}" not in message


def test_a_county_and_region_quota_name_the_place(net: Network, oakland: Organization) -> None:
    by_county = net.programs.create(
        title="County",
        program_year=2024,
        policy=EnrollmentPolicy(quotas=[Quota(scope="county", limit=1)]),
    )
    by_region = net.programs.create(
        title="Region",
        program_year=2024,
        policy=EnrollmentPolicy(quotas=[Quota(scope="region", limit=1)]),
    )
    first = _member(net, "ada@example.org", oakland)
    second = _member(net, "bo@example.org", oakland)
    for program in (by_county, by_region):
        net.enrollment.register(program.id, first.id)
    with pytest.raises(QuotaReachedError, match=r"county quota of 1 for '10' \(Fresno\) is filled"):
        net.enrollment.register(by_county.id, second.id)
    with pytest.raises(
        QuotaReachedError, match=r"region quota of 1 for 'r7' \(Central Valley\) is filled"
    ):
        net.enrollment.register(by_region.id, second.id)


def test_a_full_program_names_who_has_no_seat(net: Network, oakland: Organization) -> None:
    program = net.programs.create(
        title="Convening", program_year=2024, policy=EnrollmentPolicy(capacity=1, waitlist=False)
    )
    net.enrollment.register(program.id, _member(net, "ada@example.org", oakland).id)
    with pytest.raises(CapacityFullError) as caught:
        net.enrollment.register(program.id, _member(net, "bo@example.org", oakland).id)
    assert "bo@example.org cannot take a seat in 'Convening' (2024): all 1 seats are taken" in str(
        caught.value
    )


def test_ineligibility_names_the_member_and_the_program(
    net: Network, oakland: Organization
) -> None:
    program = net.programs.create(
        title="Admins",
        program_year=2024,
        policy=EnrollmentPolicy(eligibility=[EligibilityRule(kind="roles", allowed={"principal"})]),
    )
    member = _member(net, "ada@example.org", oakland, given_name="Ada")
    with pytest.raises(NotEligibleError) as caught:
        net.enrollment.register(program.id, member.id)
    assert caught.value.subject == "Ada <ada@example.org> for 'Admins' (2024)"
    assert "Ada <ada@example.org> for 'Admins' (2024) is not eligible: roles must include" in str(
        caught.value
    )


def test_closed_programs_and_illegal_steps_name_the_member(
    net: Network, oakland: Organization, clock: FrozenClock
) -> None:
    clock.now = datetime(2024, 9, 20, tzinfo=UTC)
    closed = net.programs.create(
        title="Academy",
        program_year=2024,
        policy=EnrollmentPolicy(mode="application", deadline=clock.now - timedelta(days=1)),
    )
    member = _member(net, "ada@example.org", oakland)
    with pytest.raises(
        EnrollmentClosedError, match=r"'Academy' \(2024\) takes no entry from ada@example.org: "
    ):
        net.enrollment.apply(closed.id, member.id)
    with pytest.raises(EnrollmentClosedError, match=r"ada@example\.org cannot register"):
        net.enrollment.register(closed.id, member.id)
    open_program = net.programs.create(title="Open", program_year=2024)
    enrollment = net.enrollment.register(open_program.id, member.id)
    with pytest.raises(
        IllegalTransitionError, match=r"cannot accept offer .*: ada@example.org in 'Open' \(2024\)"
    ):
        net.enrollment.accept_offer(enrollment.id)


def test_a_bulk_import_names_the_member_of_the_row(net: Network, oakland: Organization) -> None:
    program = net.programs.create(
        title="Academy", program_year=2024, policy=EnrollmentPolicy(capacity=1)
    )
    ada = _member(net, "ada@example.org", oakland)
    bo = _member(net, "bo@example.org", oakland)
    with pytest.raises(CapacityFullError, match=r"row 2 \(enrolled, bo@example.org\) would take"):
        net.enrollment.import_many(
            [(ada.id, program.id, "enrolled"), (bo.id, program.id, "enrolled")]
        )
