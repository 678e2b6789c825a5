"""The storage conformance suite: one test per clause of the storage contract.

Every backend, built-in or third-party, proves itself against the same tests.  A
backend's whole test file is one subclass overriding the ``storage`` fixture, which
yields a fresh, empty store (the suite registers the kinds it needs)::

    from cpnetwork.testing.storage import StorageConformance

    class TestMyBackend(StorageConformance):
        @pytest.fixture
        def storage(self, tmp_path):
            with MyStorage(f"my://{tmp_path}") as store:
                yield store

Capabilities a backend lacks skip with a reason: set ``concurrent_writers = False``
when it cannot run transactions from several threads, ``concurrent_readers = False``
when a read-only transaction waits for an open writer (as with ``memory://``), and
leave the ``reopen`` fixture alone when data does not outlive ``close()``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
from attrs import field, frozen

from cpnetwork import model as m
from cpnetwork.errors import DuplicateError, NotFoundError, StorageError, ValidationError
from cpnetwork.storage.base import (
    Aggregate,
    Each,
    Matching,
    Month,
    RecordKind,
    Related,
    Storage,
    Transaction,
)
from cpnetwork.storage.kinds import CORE_KINDS

LA = ZoneInfo("America/Los_Angeles")
#: A fixed instant the samples hang off, so runs are reproducible.
T0 = datetime(2024, 8, 1, 9, 0, tzinfo=LA)


@frozen(kw_only=True)
class ReviewScore:
    """A record only a plugin knows: proves stores make room for kinds beyond the core."""

    id: str = field(factory=m.new_id)
    enrollment_id: str
    reviewer_id: str
    score: int
    scored_at: datetime
    weight: float = 1.0
    comments: tuple[str, ...] = ()


#: The plugin kind the suite registers; its name will not clash with a core table.
REVIEW_SCORES = RecordKind(
    name="conformance_review_scores",
    cls=ReviewScore,
    unique=(("enrollment_id", "reviewer_id"),),
    indexed=("enrollment_id",),
)


@frozen(kw_only=True)
class Unregistered:
    """A record no store is told about: using it must fail loudly."""

    id: str = field(factory=m.new_id)


def sample_records() -> list[Any]:
    """Realistic records of every core kind, references pointing backwards.

    Each carries the awkward parts of its kind (nested records, sets, dicts, enums,
    datetimes in a local time zone, durations) so a round trip proves they survive.
    """
    county_office = m.Organization(
        id="org-acoe",
        name="Alameda County Office of Education",
        kind=m.OrganizationKind.COUNTY_OFFICE,
        county="Alameda",
        identifiers={"cds": "01100170000000"},
        website="https://www.acoe.org",
    )
    district = m.Organization(
        id="org-ousd",
        name="Oakland Unified",
        kind="district",
        parent_id=county_office.id,
        county="Alameda",
        identifiers={"cds": "01612590000000", "nces": "0628050"},
    )
    museum = m.Organization(
        id="org-museum",
        name="Bay Area Science Museum",
        kind=m.OrganizationKind.MUSEUM,
        status=m.OrganizationStatus.ACTIVE,
    )
    leader = m.Member(
        id="mem-rivera",
        email="Ana.Rivera@ousd.org",
        given_name="Ana",
        family_name="Rivera",
        roles={m.Role.TOSA, m.Role.SCIENCE_LEAD},
        grade_bands={m.GradeBand.GRADES_6_8},
        affiliations=(
            m.Affiliation(
                organization_id=district.id, title="Science TOSA", start=date(2019, 8, 1)
            ),
            m.Affiliation(
                organization_id=county_office.id,
                title="Coach",
                start=date(2016, 8, 1),
                end=date(2019, 6, 30),
                primary=False,
            ),
        ),
        county="Alameda",
        joined=date(2016, 9, 15),
        reach=m.Reach(teachers_supported=120, students_reached=3500),
        equity_focus=m.EquityFocus.YES,
        consents_to_updates=True,
        custom={"district_code": "61259", "years_teaching": 14, "ngss_trained": True},
    )
    principal = m.Member(
        id="mem-okafor",
        email="c.okafor@example.org",
        given_name="Chidi",
        family_name="Okafor",
        roles={"site_administrator"},
    )
    program = m.Program(
        id="prog-academy",
        title="Science Leadership Academy",
        program_year=2024,
        description="A year-long academy by application.",
        host_ids=(county_office.id,),
        partner_ids=(museum.id,),
        audience="Teacher leaders and TOSAs",
        format=m.Format.HYBRID,
        fee_cents=25000,
        tags={"ngss", "equity"},
        policy=m.EnrollmentPolicy(
            mode=m.EnrollmentMode.APPLICATION,
            opens=datetime(2024, 8, 1, 8, 0, tzinfo=LA),
            deadline=datetime(2024, 9, 15, 23, 59, tzinfo=LA),
            capacity=40,
            offer_window=timedelta(days=5),
            eligibility=(
                m.EligibilityRule(kind=m.RuleKind.ROLES, allowed={"tosa", "teacher_leader"}),
            ),
            quotas=(m.Quota(scope=m.QuotaScope.COUNTY, limit=4),),
        ),
        completion=m.CompletionRule(min_fraction=0.8, session_kinds={"learning_community"}),
        modules=(m.Module(key="m1", title="Kickoff"), m.Module(key="m2", title="Institute")),
    )
    series = m.SessionSeries(
        id="series-lc",
        program_id=program.id,
        title="Monthly learning community",
        rrule="FREQ=MONTHLY;BYDAY=3WE;COUNT=9",
        first_start=datetime(2024, 9, 18, 16, 0, tzinfo=LA),
        duration=timedelta(minutes=90),
        exdates={datetime(2024, 12, 18, 16, 0, tzinfo=LA)},
        join_url="https://zoom.example/j/123",
        capacity=40,
    )
    kickoff = m.Session(
        id="sess-kickoff",
        program_id=program.id,
        title="Virtual kickoff",
        kind=m.SessionKind.KICKOFF,
        start=datetime(2024, 9, 4, 15, 30, tzinfo=LA),
        end=datetime(2024, 9, 4, 17, 0, tzinfo=LA),
        join_url="https://zoom.example/j/456",
        facilitator_ids=(leader.id,),
        module="m1",
    )
    occurrence = m.Session(
        id="sess-lc-1",
        program_id=program.id,
        title="Learning community 1",
        kind="learning_community",
        start=series.first_start,
        end=series.first_start + series.duration,
        series_id=series.id,
        recurrence_id=series.first_start,
    )
    enrollment = m.Enrollment(
        id="enr-rivera",
        program_id=program.id,
        member_id=leader.id,
        status=m.EnrollmentStatus.ACCEPTED,
        created_at=T0,
        updated_at=T0 + timedelta(days=20),
        organization_id=district.id,
        county="Alameda",
        role="tosa",
        rank=3,
        offer_expires_at=datetime(2024, 8, 26, 0, 0, tzinfo=UTC),
        answers={"why": "To grow our district's science leaders."},
    )
    return [
        m.NetworkProfile(
            name="K-12 Science Leader Network",
            priorities=(m.Priority(key="equity", statement="Every student does science."),),
        ),
        county_office,
        district,
        museum,
        leader,
        principal,
        program,
        series,
        kickoff,
        occurrence,
        enrollment,
        m.Transition(
            id="tr-1",
            enrollment_id=enrollment.id,
            program_id=program.id,
            member_id=leader.id,
            to_status=m.EnrollmentStatus.APPLIED,
            at=T0,
            actor=leader.id,
            reason="applied online",
        ),
        m.Transition(
            id="tr-2",
            enrollment_id=enrollment.id,
            program_id=program.id,
            member_id=leader.id,
            from_status="applied",
            to_status="accepted",
            sequence=2,
            at=T0 + timedelta(days=20),
            actor="reviewer@acoe.org",
        ),
        m.Attendance(
            id="att-1",
            session_id=kickoff.id,
            member_id=leader.id,
            program_id=program.id,
            status=m.AttendanceStatus.PARTIAL,
            minutes=70,
            source=m.AttendanceSource.VIDEO_REPORT,
            recorded_at=datetime(2024, 9, 5, 8, 0, tzinfo=UTC),
        ),
        m.Team(
            id="team-bay",
            name="Bay Area regional team",
            kind=m.TeamKind.REGIONAL,
            region="4",
            member_ids={leader.id, principal.id},
            lead_ids={leader.id},
        ),
        m.Resource(
            id="res-slides",
            title="Kickoff slides",
            kind=m.ResourceKind.SLIDES,
            url="https://example.org/kickoff.pdf",
            access=m.AccessLevel.ALUMNI,
            program_id=program.id,
            session_id=kickoff.id,
            program_year=2024,
        ),
        m.Survey(
            id="survey-kickoff",
            title="Kickoff feedback",
            items=(
                m.SurveyItem(key="useful", prompt="The session was useful.", kind="likert"),
                m.SurveyItem(key="again", prompt="Would you come again?", kind="yes_no"),
                m.SurveyItem(key="notes", prompt="Anything else?", kind=m.ItemKind.TEXT),
            ),
            session_id=kickoff.id,
            anonymous=True,
        ),
        m.SurveyResponse(
            id="resp-1",
            survey_id="survey-kickoff",
            submitted_at=datetime(2024, 9, 4, 17, 5, tzinfo=LA),
            answers={"useful": 5, "again": True, "notes": "More time for talk."},
        ),
        m.Milestone(id="ms-founded", year=2016, title="Network founded", on=date(2016, 9, 15)),
        m.Partnership(
            id="part-museum",
            organization_id=museum.id,
            role="host of the summer institute",
            scope=m.PartnershipScope.REGIONAL,
            start=date(2018, 1, 1),
        ),
        m.Recognition(
            id="rec-1",
            title="Science Educator of the Year",
            year=2023,
            member_id=leader.id,
            awarded_by="California Science Teachers Association",
        ),
        m.OutboxMessage(
            id="msg-1",
            key="enrollment:enr-1:email:ada@example.org",
            channel="email",
            recipient="ada@example.org",
            topic="enrollment.accepted",
            category=m.Category.ENROLLMENT,
            member_id=leader.id,
            subject="You are in: Summer Institute",
            text="Welcome,\nsee you in June.",
            html="<p>Welcome</p>",
            headers={"List-Unsubscribe": "<mailto:network@example.org>"},
            status=m.MessageStatus.DEAD,
            attempts=8,
            created_at=datetime(2024, 9, 4, 17, 5, tzinfo=LA),
            due_at=datetime(2024, 9, 5, 17, 5, tzinfo=LA),
            last_error="421 try again later",
        ),
    ]


def _member(email: str, **values: Any) -> m.Member:
    return m.Member(email=email, **values)


def _enrollment(program_id: str, member_id: str, status: str, **values: Any) -> m.Enrollment:
    return m.Enrollment(
        program_id=program_id,
        member_id=member_id,
        status=status,
        created_at=values.pop("created_at", T0),
        updated_at=values.pop("updated_at", T0),
        **values,
    )


def _session(program_id: str, start: datetime, **values: Any) -> m.Session:
    return m.Session(
        program_id=program_id,
        title=values.pop("title", "Workshop"),
        start=start,
        end=start + timedelta(hours=1),
        **values,
    )


def _ids(records: list[Any]) -> list[str]:
    return [r.id for r in records]


class StorageConformance:
    """The storage contract as tests; subclass it and override ``storage``."""

    #: Transactions may run from several threads at once and ``lock`` serializes them.
    concurrent_writers: bool = True
    #: A read-only transaction runs while another thread's writer is still open.
    concurrent_readers: bool = True

    # fixtures -----------------------------------------------------------------
    @pytest.fixture
    def storage(self) -> Storage:
        """A fresh, empty store; every backend's test class overrides this fixture."""
        pytest.fail(f"{type(self).__name__} must override the 'storage' fixture")

    @pytest.fixture
    def reopen(self, storage: Storage) -> Callable[[], Storage]:
        """Open a second store on the same data; override where data outlives ``close``."""
        pytest.skip(f"{type(self).__name__} keeps no data after close(): persistence untested")

    @pytest.fixture
    def store(self, storage: Storage) -> Storage:
        """The backend's store with the core kinds registered."""
        storage.register_kinds(CORE_KINDS)
        return storage

    # insert / get / update / delete ---------------------------------------------
    def test_insert_then_get_returns_an_equal_record(self, store: Storage) -> None:
        member = _member("ada@example.org", given_name="Ada", county="Alameda")
        with store.transaction() as tx:
            tx.insert(member)
        with store.transaction() as tx:
            assert tx.get(m.Member, member.id) == member

    def test_get_of_a_missing_id_is_none(self, store: Storage) -> None:
        with store.transaction() as tx:
            assert tx.get(m.Member, "nobody") is None

    def test_a_transaction_reads_its_own_writes(self, store: Storage) -> None:
        member = _member("ada@example.org")
        with store.transaction() as tx:
            tx.insert(member)
            assert tx.get(m.Member, member.id) == member
            assert _ids(tx.find(m.Member, {"email": "ada@example.org"})) == [member.id]
            assert tx.count(m.Member) == {(): 1}

    def test_update_replaces_the_stored_record(self, store: Storage) -> None:
        member = _member("ada@example.org", county="Alameda")
        moved = attrs.evolve(member, county="Fresno", roles={"teacher"})
        with store.transaction() as tx:
            tx.insert(member)
        with store.transaction() as tx:
            tx.update(moved)
        with store.transaction() as tx:
            assert tx.get(m.Member, member.id) == moved
            assert tx.count(m.Member) == {(): 1}

    def test_update_of_a_missing_record_raises_not_found(self, store: Storage) -> None:
        with store.transaction() as tx, pytest.raises(NotFoundError) as raised:
            tx.update(_member("ghost@example.org", id="ghost"))
        assert (raised.value.kind, raised.value.record_id) == ("Member", "ghost")

    def test_delete_removes_the_record(self, store: Storage) -> None:
        member = _member("ada@example.org")
        with store.transaction() as tx:
            tx.insert(member)
        with store.transaction() as tx:
            tx.delete(m.Member, member.id)
            assert tx.get(m.Member, member.id) is None
        with store.transaction() as tx:
            assert tx.get(m.Member, member.id) is None
            assert tx.find(m.Member) == []

    def test_delete_of_a_missing_record_raises_not_found(self, store: Storage) -> None:
        with store.transaction() as tx, pytest.raises(NotFoundError) as raised:
            tx.delete(m.Member, "ghost")
        assert (raised.value.kind, raised.value.record_id) == ("Member", "ghost")

    def test_an_unregistered_kind_is_a_storage_error(self, store: Storage) -> None:
        with store.transaction() as tx, pytest.raises(StorageError):
            tx.insert(Unregistered())
        with store.transaction() as tx, pytest.raises(StorageError):
            tx.get(Unregistered, "x")

    # unique keys --------------------------------------------------------------
    def test_a_taken_id_is_a_duplicate(self, store: Storage) -> None:
        first = _member("ada@example.org", id="m1")
        with store.transaction() as tx:
            tx.insert(first)
        with store.transaction() as tx, pytest.raises(DuplicateError) as raised:
            tx.insert(_member("grace@example.org", id="m1"))
        assert (raised.value.kind, raised.value.record_id) == ("Member", "m1")
        with store.transaction() as tx:
            assert tx.get(m.Member, "m1") == first

    def test_a_taken_unique_key_is_a_duplicate_naming_the_key(self, store: Storage) -> None:
        with store.transaction() as tx:
            tx.insert(_member("ada@example.org", id="m1"))
        with store.transaction() as tx, pytest.raises(DuplicateError) as raised:
            tx.insert(_member("ADA@example.org", id="m2"))
        assert (raised.value.kind, raised.value.record_id) == ("Member", "m2")
        assert "email" in str(raised.value)
        with store.transaction() as tx:
            assert _ids(tx.find(m.Member)) == ["m1"]

    def test_a_multi_column_key_collides_only_on_every_column(self, store: Storage) -> None:
        with store.transaction() as tx:
            tx.insert(_enrollment("p1", "m1", "enrolled"))
            tx.insert(_enrollment("p1", "m2", "enrolled"))
            tx.insert(_enrollment("p2", "m1", "enrolled"))
        with store.transaction() as tx, pytest.raises(DuplicateError) as raised:
            tx.insert(_enrollment("p1", "m2", "waitlisted", id="again"))
        assert raised.value.record_id == "again"
        assert "program_id" in str(raised.value) and "member_id" in str(raised.value)

    def test_none_in_a_key_component_never_collides(self, store: Storage) -> None:
        start = datetime(2024, 9, 18, 16, 0, tzinfo=LA)
        with store.transaction() as tx:
            tx.insert(_session("p1", start))
            tx.insert(_session("p1", start))
            tx.insert(_session("p1", start, series_id="s1"))
            tx.insert(_session("p1", start, series_id="s1"))
            tx.insert(_session("p1", start, series_id="s1", recurrence_id=start))
        with store.transaction() as tx:
            assert tx.count(m.Session) == {(): 5}
            with pytest.raises(DuplicateError):
                tx.insert(_session("p1", start, series_id="s1", recurrence_id=start))

    def test_update_onto_a_taken_key_is_a_duplicate(self, store: Storage) -> None:
        ada = _member("ada@example.org")
        grace = _member("grace@example.org")
        with store.transaction() as tx:
            tx.insert_many([ada, grace])
        with store.transaction() as tx:
            tx.update(attrs.evolve(ada, given_name="Ada"))  # keeping its own key is fine
            with pytest.raises(DuplicateError) as raised:
                tx.update(attrs.evolve(grace, email="ada@example.org"))
            # The refusal undid only itself: the transaction goes on and commits.
            tx.update(attrs.evolve(grace, given_name="Grace"))
        assert raised.value.record_id == grace.id
        assert "email='ada@example.org' is already taken" in str(raised.value)
        with store.transaction() as tx:
            assert tx.get(m.Member, grace.id) == attrs.evolve(grace, given_name="Grace")
            assert tx.get(m.Member, ada.id) == attrs.evolve(ada, given_name="Ada")

    def test_a_refused_write_changes_nothing_and_the_transaction_goes_on(
        self, store: Storage
    ) -> None:
        ada = _member("ada@example.org")
        with store.transaction() as tx:
            tx.insert(ada)
            with pytest.raises(DuplicateError):
                tx.insert(_member("ada@example.org"))
            grace = _member("grace@example.org")
            tx.insert(grace)
        with store.transaction() as tx:
            assert sorted(_ids(tx.find(m.Member))) == sorted([ada.id, grace.id])

    def test_a_key_freed_in_a_transaction_can_be_taken_in_it(self, store: Storage) -> None:
        ada = _member("ada@example.org")
        grace = _member("grace@example.org")
        with store.transaction() as tx:
            tx.insert_many([ada, grace])
        newcomer = _member("ada@example.org")
        with store.transaction() as tx:
            tx.delete(m.Member, ada.id)
            tx.insert(newcomer)
            tx.update(attrs.evolve(grace, email="grace.hopper@example.org"))
            tx.insert(_member("grace@example.org", id="g2"))
        with store.transaction() as tx:
            assert tx.find_one(m.Member, {"email": "ada@example.org"}) == newcomer
            assert _ids(tx.find(m.Member, {"email": "grace@example.org"})) == ["g2"]

    # find ---------------------------------------------------------------------
    @pytest.fixture
    def people(self, store: Storage) -> list[m.Member]:
        """Five members with a mix of counties (one missing), names and reach."""
        people = [
            _member(
                "a@x.org", id="a", family_name="Zapata", county="Alameda", joined=date(2016, 1, 4)
            ),
            _member(
                "b@x.org", id="b", family_name="Baker", county="Fresno", joined=date(2018, 5, 1)
            ),
            _member("c@x.org", id="c", family_name="Chen", county=None, joined=None),
            _member(
                "d@x.org", id="d", family_name="baker", county="Alameda", joined=date(2020, 2, 2)
            ),
            _member(
                "e@x.org",
                id="e",
                family_name="Baker",
                county="Kern",
                equity_focus="yes",
                consents_to_updates=True,
                joined=date(2018, 5, 1),
            ),
        ]
        with store.transaction() as tx:
            tx.insert_many(people)
        return people

    def _find(self, store: Storage, where: dict[str, Any], **options: Any) -> list[str]:
        with store.transaction() as tx:
            return _ids(tx.find(m.Member, where, **options))

    def test_find_without_conditions_returns_everything_by_id(
        self, store: Storage, people: list[m.Member]
    ) -> None:
        assert self._find(store, {}) == ["a", "b", "c", "d", "e"]

    def test_find_by_equality(self, store: Storage, people: list[m.Member]) -> None:
        assert self._find(store, {"county": "Alameda"}) == ["a", "d"]
        assert self._find(store, {"county": "Alameda", "family_name": "baker"}) == ["d"]
        assert self._find(store, {"consents_to_updates": True}) == ["e"]
        assert self._find(store, {"joined": date(2018, 5, 1)}) == ["b", "e"]
        assert self._find(store, {"county": "Nowhere"}) == []

    def test_find_by_enum_member_or_its_value(self, store: Storage, people: list[m.Member]) -> None:
        assert self._find(store, {"equity_focus": m.EquityFocus.YES}) == ["e"]
        assert self._find(store, {"equity_focus": "unknown"}) == ["a", "b", "c", "d"]

    def test_none_matches_missing_values(self, store: Storage, people: list[m.Member]) -> None:
        assert self._find(store, {"county": None}) == ["c"]

    def test_a_collection_means_in(self, store: Storage, people: list[m.Member]) -> None:
        assert self._find(store, {"county": ["Fresno", "Kern"]}) == ["b", "e"]
        assert self._find(store, {"county": ("Kern", None)}) == ["c", "e"]
        assert self._find(store, {"equity_focus": {m.EquityFocus.YES}}) == ["e"]
        assert self._find(store, {"county": []}) == []

    def test_comparisons(self, store: Storage, people: list[m.Member]) -> None:
        day = date(2018, 5, 1)
        assert self._find(store, {"joined__lt": day}) == ["a"]
        assert self._find(store, {"joined__le": day}) == ["a", "b", "e"]
        assert self._find(store, {"joined__gt": day}) == ["d"]
        assert self._find(store, {"joined__ge": day}) == ["b", "d", "e"]
        assert self._find(store, {"family_name__ge": "C", "family_name__lt": "a"}) == ["a", "c"]

    def test_not_equal_skips_missing_values(self, store: Storage, people: list[m.Member]) -> None:
        assert self._find(store, {"county__ne": "Alameda"}) == ["b", "e"]
        assert self._find(store, {"county__ne": None}) == ["a", "b", "d", "e"]
        assert self._find(store, {"county__ne": ["Alameda", "Kern"]}) == ["b"]

    def test_a_dotted_name_looks_up_a_dict_key(self, store: Storage) -> None:
        with store.transaction() as tx:
            tx.insert_many(
                [
                    m.Organization(id="o1", name="A", kind="school", identifiers={"cds": "011"}),
                    m.Organization(
                        id="o2", name="B", kind="school", identifiers={"cds": "022", "nces": "9"}
                    ),
                    m.Organization(id="o3", name="C", kind="museum"),
                ]
            )
        with store.transaction() as tx:
            assert _ids(tx.find(m.Organization, {"identifiers.cds": "022"})) == ["o2"]
            assert _ids(tx.find(m.Organization, {"identifiers.nces": None})) == ["o1", "o3"]
            assert _ids(tx.find(m.Organization, {"identifiers.cds": ["011", "022"]})) == [
                "o1",
                "o2",
            ]
            assert _ids(tx.find(m.Organization, {"identifiers.cds__gt": "011"})) == ["o2"]

    def test_a_collection_of_any_size_is_one_condition(
        self, store: Storage, people: list[m.Member]
    ) -> None:
        """100,000 values: more than any database binds as separate parameters."""
        nobody = [f"nobody{n}@x.org" for n in range(100_000)]
        days = [date(2000, 1, 1) + timedelta(days=n) for n in range(100_000)]
        with store.transaction() as tx:
            assert _ids(tx.find(m.Member, {"email": [*nobody, "e@x.org", "b@x.org"]})) == [
                "b",
                "e",
            ]
            assert tx.count(m.Member, {"email": (*nobody, "a@x.org")}) == {(): 1}
            assert tx.count(m.Member, {"county": [*nobody, None, "Kern"]}, group_by=["county"]) == {
                (None,): 1,
                ("Kern",): 1,
            }
            assert _ids(tx.find(m.Member, {"email__ne": [*nobody, "a@x.org"]})) == [
                "b",
                "c",
                "d",
                "e",
            ]
            assert _ids(tx.find(m.Member, {"joined": days})) == ["a", "b", "d", "e"]
            assert _ids(tx.find(m.Member, {"equity_focus": [m.EquityFocus.YES] * 100_000})) == ["e"]
            assert _ids(tx.find(m.Member, {"consents_to_updates": [True] * 100_000})) == ["e"]

    def test_a_collection_of_any_size_compares_instants_and_dict_keys(self, store: Storage) -> None:
        india = timezone(timedelta(hours=5, minutes=30))
        start = datetime(2024, 9, 18, 16, 0, tzinfo=LA)
        with store.transaction() as tx:
            tx.insert_many(
                [
                    _session("p", start, id="s1", capacity=10),
                    _session("p", start + timedelta(minutes=1), id="s2", capacity=20),
                    m.Organization(id="o1", name="A", kind="school", identifiers={"cds": "011"}),
                    m.Organization(id="o2", name="B", kind="museum"),
                ]
            )
        # The same instant written in India's offset, among 100,000 others.
        instants = [start.astimezone(india) + timedelta(hours=n) for n in range(100_000)]
        codes = [f"{n:03d}" for n in range(12, 100_012)]
        with store.transaction() as tx:
            assert _ids(tx.find(m.Session, {"start": instants})) == ["s1"]
            assert tx.total(m.Session, "capacity", {"start": instants}) == {(): 10}
            assert _ids(tx.find(m.Session, {"start__ne": instants})) == ["s2"]
            assert _ids(tx.find(m.Organization, {"identifiers.cds": [*codes, "011"]})) == ["o1"]
            assert _ids(tx.find(m.Organization, {"identifiers.cds": [*codes, None]})) == ["o2"]

    def test_an_unknown_field_is_a_validation_error(
        self, store: Storage, people: list[m.Member]
    ) -> None:
        with store.transaction() as tx, pytest.raises(ValidationError):
            tx.find(m.Member, {"shoe_size": 9})

    def test_datetimes_compare_by_instant_across_offsets(self, store: Storage) -> None:
        la = _session("p", datetime(2024, 9, 18, 16, 0, tzinfo=LA), id="la")  # 23:00 UTC
        utc = _session("p", datetime(2024, 9, 18, 20, 0, tzinfo=UTC), id="utc")  # 20:00 UTC
        india = timezone(timedelta(hours=5, minutes=30))
        ist = _session("p", datetime(2024, 9, 19, 3, 0, tzinfo=india), id="ist")  # 21:30 UTC
        with store.transaction() as tx:
            tx.insert_many([la, utc, ist])
        cutoff = datetime(2024, 9, 18, 15, 0, tzinfo=LA)  # 22:00 UTC
        with store.transaction() as tx:
            assert _ids(tx.find(m.Session, order_by=("start",))) == ["utc", "ist", "la"]
            assert _ids(tx.find(m.Session, {"start__lt": cutoff})) == ["ist", "utc"]
            assert _ids(tx.find(m.Session, {"start__ge": cutoff})) == ["la"]
            same_instant = datetime(2024, 9, 18, 23, 0, tzinfo=UTC)
            assert _ids(tx.find(m.Session, {"start": same_instant})) == ["la"]

    # order_by and limit -------------------------------------------------------
    def test_order_by_ascending_puts_missing_values_first(
        self, store: Storage, people: list[m.Member]
    ) -> None:
        assert self._find(store, {}, order_by=("county",)) == ["c", "a", "d", "b", "e"]
        assert self._find(store, {}, order_by=("joined",)) == ["c", "a", "b", "e", "d"]

    def test_order_by_descending_puts_missing_values_last(
        self, store: Storage, people: list[m.Member]
    ) -> None:
        assert self._find(store, {}, order_by=("-county",)) == ["e", "b", "a", "d", "c"]

    def test_order_by_missing_last_puts_missing_values_last(
        self, store: Storage, people: list[m.Member]
    ) -> None:
        assert self._find(store, {}, order_by=("county missing last",)) == [
            "a",
            "d",
            "b",
            "e",
            "c",
        ]
        assert self._find(store, {}, order_by=("joined missing last", "county")) == [
            "a",
            "b",
            "e",
            "d",
            "c",
        ]
        assert self._find(store, {}, order_by=("-county missing last",)) == [
            "e",
            "b",
            "a",
            "d",
            "c",
        ]

    def test_order_by_several_fields_then_id(self, store: Storage, people: list[m.Member]) -> None:
        # Code-point order: upper case before lower case.
        assert self._find(store, {}, order_by=("family_name", "-county")) == [
            "e",
            "b",
            "c",
            "a",
            "d",
        ]
        assert self._find(store, {}, order_by=("-joined", "county")) == ["d", "b", "e", "a", "c"]

    def test_order_by_an_enum_uses_its_value(self, store: Storage, people: list[m.Member]) -> None:
        assert self._find(store, {}, order_by=("-equity_focus",)) == ["e", "a", "b", "c", "d"]

    def test_limit_and_find_one(self, store: Storage, people: list[m.Member]) -> None:
        assert self._find(store, {}, order_by=("-family_name",), limit=2) == ["d", "a"]
        assert self._find(store, {"county": "Alameda"}, limit=0) == []
        with store.transaction() as tx:
            found = tx.find_one(m.Member, {"county": "Kern"})
            assert found is not None and found.id == "e"
            assert tx.find_one(m.Member, {"county": "Nowhere"}) is None

    # scan ---------------------------------------------------------------------
    def test_scan_yields_what_find_gives_in_the_same_order(
        self, store: Storage, people: list[m.Member]
    ) -> None:
        queries: list[tuple[dict[str, Any], tuple[str, ...]]] = [
            ({}, ()),
            ({"county": ["Alameda", "Kern"]}, ("-family_name",)),
            ({"joined__ge": date(2018, 1, 1)}, ("county", "family_name")),
            ({"county": "Nowhere"}, ()),
        ]
        with store.transaction() as tx:
            for where, order_by in queries:
                scanned = tx.scan(m.Member, where, order_by=order_by, chunk_size=2)
                assert not isinstance(scanned, list)
                assert list(scanned) == tx.find(m.Member, where, order_by=order_by)

    def test_scan_reads_many_records_a_chunk_at_a_time(self, store: Storage) -> None:
        members = [_member(f"leader{n:04d}@example.org", id=f"m{n:04d}") for n in range(2_500)]
        with store.transaction() as tx:
            tx.insert_many(members)
        with store.transaction() as tx:
            scanned = tx.scan(m.Member, chunk_size=100)
            first = next(scanned)
            # Other queries may run while a scan is under way.
            assert tx.count(m.Member) == {(): 2_500}
            assert [first, *scanned] == members

    def test_scan_checks_its_query_when_called(self, store: Storage) -> None:
        with store.transaction() as tx:
            with pytest.raises(ValidationError):
                tx.scan(m.Member, {"shoe_size": 9})
            with pytest.raises(StorageError):
                tx.scan(Unregistered)

    # count and total ----------------------------------------------------------
    @pytest.fixture
    def enrollments(self, store: Storage) -> list[m.Enrollment]:
        rows = [
            _enrollment("p1", "m1", "enrolled", county="Alameda"),
            _enrollment("p1", "m2", "enrolled", county="Fresno"),
            _enrollment("p1", "m3", "waitlisted", county="Alameda"),
            _enrollment("p1", "m4", "enrolled", county=None),
            _enrollment("p2", "m1", "offered", county="Alameda"),
        ]
        with store.transaction() as tx:
            tx.insert_many(rows)
        return rows

    def test_count_without_group_by(self, store: Storage, enrollments: list[m.Enrollment]) -> None:
        with store.transaction() as tx:
            assert tx.count(m.Enrollment) == {(): 5}
            assert tx.count(m.Enrollment, {"program_id": "p1", "status": "enrolled"}) == {(): 3}
            assert tx.count(m.Enrollment, {"program_id": "nothing"}) == {(): 0}

    def test_count_with_group_by_gives_plain_values(
        self, store: Storage, enrollments: list[m.Enrollment]
    ) -> None:
        with store.transaction() as tx:
            by_status = tx.count(m.Enrollment, {"program_id": "p1"}, group_by=("status",))
            by_both = tx.count(m.Enrollment, group_by=("program_id", "county"))
            empty = tx.count(m.Enrollment, {"program_id": "nothing"}, group_by=("status",))
        assert by_status == {("enrolled",): 3, ("waitlisted",): 1}
        assert all(type(key[0]) is str for key in by_status)
        assert by_both == {
            ("p1", "Alameda"): 2,
            ("p1", "Fresno"): 1,
            ("p1", None): 1,
            ("p2", "Alameda"): 1,
        }
        assert empty == {}

    def test_count_of_an_empty_kind(self, store: Storage) -> None:
        with store.transaction() as tx:
            assert tx.count(m.Member) == {(): 0}

    def test_total_sums_a_numeric_field(self, store: Storage) -> None:
        programs = [
            m.Program(id="p1", title="A", program_year=2024, fee_cents=1000, format="virtual"),
            m.Program(id="p2", title="B", program_year=2024, fee_cents=2500, format="in_person"),
            m.Program(id="p3", title="C", program_year=2023, fee_cents=500, format="virtual"),
        ]
        with store.transaction() as tx:
            tx.insert_many(programs)
        with store.transaction() as tx:
            assert tx.total(m.Program, "fee_cents") == {(): 4000}
            assert tx.total(m.Program, "fee_cents", {"program_year": 2024}) == {(): 3500}
            by_format = tx.total(m.Program, "fee_cents", group_by=("format",))
            assert by_format == {("virtual",): 1500, ("in_person",): 2500}
            assert all(type(key[0]) is str for key in by_format)
            nothing = {"program_year": 1999}
            assert tx.total(m.Program, "fee_cents", nothing) == {(): 0}
            assert tx.total(m.Program, "fee_cents", nothing, group_by=("format",)) == {}

    def test_total_treats_missing_values_as_zero(self, store: Storage) -> None:
        rows = [
            m.Attendance(
                session_id=f"s{n}",
                member_id="m1",
                program_id="p1",
                status=status,
                minutes=minutes,
                recorded_at=T0,
            )
            for n, (status, minutes) in enumerate(
                [("present", 90), ("partial", 45), ("present", None), ("absent", None)]
            )
        ]
        with store.transaction() as tx:
            tx.insert_many(rows)
        with store.transaction() as tx:
            assert tx.total(m.Attendance, "minutes") == {(): 135}
            assert tx.total(m.Attendance, "minutes", group_by=("status",)) == {
                ("present",): 90,
                ("partial",): 45,
                ("absent",): 0,
            }

    # grouping by month ----------------------------------------------------------
    @pytest.fixture
    def sessions_by_month(self, store: Storage) -> list[m.Session]:
        """Sessions whose month depends on the zone they are read in."""
        india = timezone(timedelta(hours=5, minutes=30))
        starts = {
            "mid-october": datetime(2024, 10, 15, 12, 0, tzinfo=UTC),
            # 20:30 on October 31 in Los Angeles, already November in UTC.
            "halloween": datetime(2024, 11, 1, 3, 30, tzinfo=UTC),
            # 21:00 on New Year's Eve in Los Angeles: 2024-12 there, 2025-01 in UTC.
            "new-year": datetime(2025, 1, 1, 5, 0, tzinfo=UTC),
            # Written with India's offset: 19:30 UTC on November 30, December in Kolkata.
            "kolkata": datetime(2024, 12, 1, 1, 0, tzinfo=india),
            # A minute before clocks spring forward in Los Angeles.
            "dst": datetime(2024, 3, 10, 1, 59, tzinfo=LA),
        }
        rows = [
            _session("p1" if n < 3 else "p2", start, id=name, capacity=10 * (n + 1))
            for n, (name, start) in enumerate(starts.items())
        ]
        with store.transaction() as tx:
            tx.insert_many(rows)
        return rows

    def test_count_by_month_reads_datetimes_in_the_zone_given(
        self, store: Storage, sessions_by_month: list[m.Session]
    ) -> None:
        with store.transaction() as tx:
            in_la = tx.count(m.Session, group_by=[Month("start", "America/Los_Angeles")])
            in_utc = tx.count(m.Session, group_by=[Month("start")])
            in_kolkata = tx.count(m.Session, group_by=[Month("start", ZoneInfo("Asia/Kolkata"))])
        assert in_la == {("2024-03",): 1, ("2024-10",): 2, ("2024-11",): 1, ("2024-12",): 1}
        assert in_utc == {("2024-03",): 1, ("2024-10",): 1, ("2024-11",): 2, ("2025-01",): 1}
        assert in_kolkata == {
            ("2024-03",): 1,
            ("2024-10",): 1,
            ("2024-11",): 1,
            ("2024-12",): 1,
            ("2025-01",): 1,
        }
        assert all(type(key[0]) is str for key in in_la)

    def test_month_groups_combine_with_fields_filters_and_totals(
        self, store: Storage, sessions_by_month: list[m.Session]
    ) -> None:
        la = Month("start", "America/Los_Angeles")
        with store.transaction() as tx:
            assert tx.count(m.Session, group_by=["program_id", la]) == {
                ("p1", "2024-10"): 2,
                ("p1", "2024-12"): 1,
                ("p2", "2024-11"): 1,
                ("p2", "2024-03"): 1,
            }
            autumn = {"start__ge": datetime(2024, 10, 1, tzinfo=LA)}
            assert tx.count(m.Session, autumn, group_by=[la, Month("start")]) == {
                ("2024-10", "2024-10"): 1,
                ("2024-10", "2024-11"): 1,
                ("2024-11", "2024-11"): 1,
                ("2024-12", "2025-01"): 1,
            }
            # Capacities 10..50 in the order the fixture lists the sessions.
            assert tx.total(m.Session, "capacity", group_by=[la]) == {
                ("2024-03",): 50,
                ("2024-10",): 30,
                ("2024-11",): 40,
                ("2024-12",): 30,
            }
            assert tx.total(m.Session, "capacity", {"program_id": "none"}, group_by=[la]) == {}

    def test_month_of_a_date_field_ignores_the_zone(self, store: Storage) -> None:
        joined = [date(2024, 1, 31), date(2024, 2, 1), date(2024, 2, 29), None]
        with store.transaction() as tx:
            tx.insert_many(_member(f"m{n}@example.org", joined=day) for n, day in enumerate(joined))
        expected = {("2024-01",): 1, ("2024-02",): 2, (None,): 1}
        with store.transaction() as tx:
            assert tx.count(m.Member, group_by=[Month("joined")]) == expected
            assert tx.count(m.Member, group_by=[Month("joined", "Pacific/Kiritimati")]) == expected

    def test_missing_datetimes_form_the_month_none(
        self, store: Storage, enrollments: list[m.Enrollment]
    ) -> None:
        with store.transaction() as tx:
            tx.update(
                attrs.evolve(
                    enrollments[4], offer_expires_at=datetime(2024, 9, 1, 6, 0, tzinfo=UTC)
                )
            )
            by_expiry = tx.count(m.Enrollment, group_by=[Month("offer_expires_at", LA)])
        assert by_expiry == {(None,): 4, ("2024-08",): 1}

    def test_month_of_an_unknown_zone_or_a_non_date_field_is_refused(
        self, store: Storage, people: list[m.Member]
    ) -> None:
        with pytest.raises(ValidationError):
            Month("start", "Mars/Olympus_Mons")
        assert Month("start", LA) == Month("start", "America/Los_Angeles")
        with store.transaction() as tx, pytest.raises(ValidationError):
            tx.count(m.Member, group_by=[Month("county")])
        with store.transaction() as tx, pytest.raises(ValidationError):
            tx.count(m.Member, group_by=[Month("shoe_size")])
        with store.transaction() as tx, pytest.raises(ValidationError):
            tx.count(m.Member, group_by=["shoe_size"])

    # grouping by each item, semi-joins, nested fields ------------------------------
    @pytest.fixture
    def staff(self, store: Storage) -> list[m.Member]:
        """Members with several roles, one or none, and self-reported reach."""
        rows = [
            _member("a@example.org", id="a", county="19", roles=["tosa", "teacher"],
                    reach={"teachers_supported": 40, "students_reached": 900}),
            _member("b@example.org", id="b", county="19", roles=["tosa"],
                    reach={"teachers_supported": 10}),
            _member("c@example.org", id="c", county="10", roles=["teacher"]),
            _member("d@example.org", id="d", county="10"),
        ]  # fmt: skip
        with store.transaction() as tx:
            tx.insert_many(rows)
        return rows

    def test_each_counts_a_record_once_per_item_and_none_when_empty(
        self, store: Storage, staff: list[m.Member]
    ) -> None:
        with store.transaction() as tx:
            by_role = tx.count(m.Member, group_by=[Each("roles")])
            by_role_county = tx.count(
                m.Member, {"county": "19"}, group_by=[Each("roles"), "county"]
            )
            reach = tx.total(m.Member, "reach.teachers_supported", group_by=[Each("roles")])
        assert by_role == {("tosa",): 2, ("teacher",): 2, (None,): 1}
        assert by_role_county == {("tosa", "19"): 2, ("teacher", "19"): 1}
        assert reach == {("tosa",): 50, ("teacher",): 40, (None,): 0}
        with store.transaction() as tx, pytest.raises(ValidationError):
            tx.count(m.Member, group_by=[Each("county")])
        with store.transaction() as tx, pytest.raises(ValidationError):
            tx.count(m.Member, group_by=[Each("shoe_sizes")])

    def test_has_keeps_collections_holding_any_of_the_values(
        self, store: Storage, staff: list[m.Member]
    ) -> None:
        with store.transaction() as tx:
            assert [r.id for r in tx.find(m.Member, {"roles__has": "tosa"})] == ["a", "b"]
            either = {"roles__has": [m.Role.TOSA, "teacher"]}
            assert tx.count(m.Member, either) == {(): 3}
            assert tx.count(m.Member, either, group_by=["county"]) == {("19",): 2, ("10",): 1}
            assert tx.count(m.Member, {"roles__has": ["researcher"]}) == {(): 0}
        with store.transaction() as tx, pytest.raises(ValidationError):
            tx.count(m.Member, {"roles__has": []})

    def test_total_of_a_datetime_sums_seconds_since_the_epoch(self, store: Storage) -> None:
        applied = [
            _enrollment("p1", "m1", "accepted", created_at=datetime(2024, 9, 1, 9, 0, tzinfo=LA)),
            _enrollment("p1", "m2", "declined", created_at=datetime(2024, 9, 3, 9, 0, tzinfo=UTC)),
        ]
        decided = [
            m.Transition(enrollment_id=e.id, program_id="p1", member_id=e.member_id,
                         from_status="applied", to_status=e.status, sequence=2,
                         at=e.created_at + timedelta(days=days))
            for e, days in zip(applied, (4, 10), strict=True)
        ]  # fmt: skip
        with store.transaction() as tx:
            tx.insert_many([*applied, *decided])
        with store.transaction() as tx:
            started = tx.total(m.Enrollment, "created_at", group_by=["program_id"])
            ended = tx.total(m.Transition, "at", group_by=["program_id"])
            one = tx.total(m.Enrollment, "created_at", {"member_id": "m1"})
        assert ended[("p1",)] - started[("p1",)] == pytest.approx(14 * 86400, abs=0.01)
        assert one[()] == pytest.approx(applied[0].created_at.timestamp(), abs=0.01)

    def test_aggregate_counts_and_sums_in_one_pass(
        self, store: Storage, staff: list[m.Member]
    ) -> None:
        leaders: dict[str, dict[str, Any]] = {
            "leaders": {"roles__has": ["tosa"]},
            "teachers": {"roles__has": "teacher"},
        }
        sums = ["reach.teachers_supported", "reach.students_reached"]
        with store.transaction() as tx:
            by_county = tx.aggregate(m.Member, group_by=["county"], counts=leaders, sums=sums)
            everyone = tx.aggregate(m.Member, {"county": ["10", "19"]}, sums=sums)
            nobody = tx.aggregate(m.Member, {"county": "99"}, counts=leaders, sums=sums)
            by_default = Transaction.aggregate(
                tx, m.Member, group_by=["county"], counts=leaders, sums=sums
            )
            with pytest.raises(ValidationError, match="repeats"):
                tx.aggregate(m.Member, {"county": "19"}, counts={"x": {"county": "10"}})
        assert by_county == {
            ("19",): Aggregate(
                count=2,
                counts={"leaders": 2, "teachers": 1},
                sums={"reach.teachers_supported": 50.0, "reach.students_reached": 900.0},
                present={"reach.teachers_supported": 2, "reach.students_reached": 1},
            ),
            ("10",): Aggregate(
                count=2,
                counts={"leaders": 0, "teachers": 1},
                sums={"reach.teachers_supported": 0.0, "reach.students_reached": 0.0},
                present={"reach.teachers_supported": 0, "reach.students_reached": 0},
            ),
        }
        assert by_default == by_county  # the SPI's default answers the same
        assert everyone[()].count == 4 and everyone[()].sums["reach.teachers_supported"] == 50
        assert nobody == {
            (): Aggregate(
                count=0,
                counts={"leaders": 0, "teachers": 0},
                sums={"reach.teachers_supported": 0.0, "reach.students_reached": 0.0},
                present={"reach.teachers_supported": 0, "reach.students_reached": 0},
            )
        }

    def test_a_dotted_name_reaches_into_a_nested_record(
        self, store: Storage, staff: list[m.Member]
    ) -> None:
        with store.transaction() as tx:
            assert tx.total(m.Member, "reach.teachers_supported") == {(): 50}
            assert tx.total(m.Member, "reach.students_reached", group_by=["county"]) == {
                ("19",): 900,
                ("10",): 0,
            }
            reported = {"reach.teachers_supported__ne": None}
            assert tx.count(m.Member, reported) == {(): 2}
            assert tx.count(m.Member, {"reach.teachers_supported__ge": 20}) == {(): 1}

    def test_matching_filters_by_another_kinds_records(
        self, store: Storage, staff: list[m.Member]
    ) -> None:
        rows = [
            _enrollment("p1", "a", "enrolled"),
            _enrollment("p1", "c", "withdrawn"),
            _enrollment("p2", "b", "enrolled"),
            _enrollment("p2", "ghost", "enrolled"),
        ]
        with store.transaction() as tx:
            tx.insert_many(rows)
        in_la = Matching(m.Member, {"county": "19"})
        enrolled_p1 = Matching(m.Enrollment, {"program_id": "p1"}, field="member_id")
        with store.transaction() as tx:
            assert tx.count(m.Enrollment, {"member_id": in_la}) == {(): 2}
            assert tx.count(m.Enrollment, {"member_id": in_la}, group_by=["program_id"]) == {
                ("p1",): 1,
                ("p2",): 1,
            }
            assert [r.id for r in tx.find(m.Member, {"id": enrolled_p1})] == ["a", "c"]
            nested = Matching(
                m.Enrollment, {"status": "enrolled", "member_id": in_la}, field="member_id"
            )
            assert tx.count(m.Member, {"id": nested}, group_by=["county"]) == {("19",): 2}
            nobody = Matching(m.Member, {"county": "99"})
            assert tx.count(m.Enrollment, {"member_id": nobody}) == {(): 0}
            assert tx.total(m.Member, "reach.teachers_supported", {"id": enrolled_p1}) == {(): 40}
        with store.transaction() as tx, pytest.raises(ValidationError):
            tx.count(m.Enrollment, {"member_id__ne": in_la})
        with store.transaction() as tx, pytest.raises(ValidationError):
            tx.count(m.Enrollment, {"member_id": Matching(m.Member, field="shoe_size")})

    # insert_many --------------------------------------------------------------
    def test_insert_many_writes_records_of_several_kinds(self, store: Storage) -> None:
        members = [_member(f"leader{n:04d}@example.org") for n in range(1201)]
        program = m.Program(title="Academy", program_year=2024)
        enrollments = [_enrollment(program.id, p.id, "enrolled") for p in members[:50]]
        with store.transaction() as tx:
            tx.insert_many([program, *members, *enrollments])
        with store.transaction() as tx:
            assert tx.count(m.Member) == {(): 1201}
            assert tx.count(m.Enrollment, {"program_id": program.id}) == {(): 50}
            assert tx.get(m.Member, members[-1].id) == members[-1]

    def test_insert_many_reads_a_generator_of_several_kinds(self, store: Storage) -> None:
        """Records from a one-shot generator, kinds interleaved, more than one chunk's worth."""

        def rows() -> Iterator[Any]:
            for n in range(12_001):
                yield m.Attendance(
                    id=f"a{n:05d}",
                    session_id=f"s{n % 7}",
                    member_id=f"m{n}",
                    program_id="p1",
                    status="present" if n % 3 else "absent",
                    minutes=n % 90,
                    recorded_at=T0,
                )
                if n % 4000 == 0:
                    yield _session("p1", T0 + timedelta(days=n), id=f"s{n}")

        with store.transaction() as tx:
            tx.insert_many(rows())
        with store.transaction() as tx:
            assert tx.count(m.Attendance) == {(): 12_001}
            assert tx.count(m.Session) == {(): 4}
            assert tx.get(m.Attendance, "a12000") is not None
            assert tx.total(m.Attendance, "minutes", {"status": "absent"}) == {
                (): float(sum(n % 90 for n in range(0, 12_001, 3)))
            }

    def test_insert_many_of_a_generator_refuses_a_duplicate_far_in(self, store: Storage) -> None:
        with store.transaction() as tx:
            tx.insert(_member("taken@example.org"))

        def people() -> Iterator[m.Member]:
            for n in range(11_000):
                yield _member(f"p{n}@example.org")
            yield _member("taken@example.org")

        with pytest.raises(DuplicateError, match="email"), store.transaction() as tx:
            tx.insert_many(people())
        with store.transaction() as tx:
            assert tx.count(m.Member) == {(): 1}

    def test_insert_many_refuses_duplicates(self, store: Storage) -> None:
        with store.transaction() as tx:
            tx.insert(_member("ada@example.org"))
        with pytest.raises(DuplicateError), store.transaction() as tx:
            tx.insert_many([_member("grace@example.org"), _member("ada@example.org")])
        with pytest.raises(DuplicateError), store.transaction() as tx:
            tx.insert_many([_member("x@example.org"), _member("x@example.org")])
        with store.transaction() as tx:
            assert _ids(tx.find(m.Member, {"email": ["grace@example.org", "x@example.org"]})) == []

    # transactions -------------------------------------------------------------
    def test_a_failed_transaction_leaves_nothing(self, store: Storage) -> None:
        kept = _member("kept@example.org", county="Alameda")
        with store.transaction() as tx:
            tx.insert(kept)
        with pytest.raises(RuntimeError), store.transaction() as tx:
            tx.insert(_member("lost@example.org"))
            tx.insert_many([_member(f"many{n}@example.org") for n in range(30)])
            tx.update(attrs.evolve(kept, county="Fresno"))
            raise RuntimeError("boom")
        with pytest.raises(RuntimeError), store.transaction() as tx:
            tx.delete(m.Member, kept.id)
            raise RuntimeError("boom")
        with store.transaction() as tx:
            assert tx.find(m.Member) == [kept]

    def test_committed_writes_are_seen_by_later_transactions(self, store: Storage) -> None:
        with store.transaction() as tx:
            tx.insert(_member("ada@example.org", id="m1"))
        with store.transaction() as tx:
            assert tx.count(m.Member, {"id": "m1"}) == {(): 1}

    def test_transactions_do_not_nest(self, store: Storage) -> None:
        with store.transaction(), pytest.raises(StorageError), store.transaction():
            pass  # pragma: no cover - the inner transaction refuses to open

    def test_lock_is_callable_on_present_and_missing_records(self, store: Storage) -> None:
        program = m.Program(title="Academy", program_year=2024)
        with store.transaction() as tx:
            tx.insert(program)
        with store.transaction() as tx:
            tx.lock(m.Program, program.id)
            tx.lock(m.Program, "missing")
            tx.update(attrs.evolve(program, title="Academy 2024"))

    # a record with its related records ------------------------------------------
    def test_get_with_reads_children_and_listed_records(self, store: Storage) -> None:
        office = m.Organization(name="County Office", kind="county_office")
        museum = m.Organization(name="Museum", kind="museum")
        elsewhere = m.Organization(name="Elsewhere", kind="museum")
        ada = _member(
            "ada@example.org",
            affiliations=[{"organization_id": museum.id}, {"organization_id": office.id}],
        )
        grace = _member("grace@example.org")
        enrollments = [
            _enrollment("p1", ada.id, "enrolled"),
            _enrollment("p2", ada.id, "applied"),
            _enrollment("p1", grace.id, "enrolled"),
        ]
        with store.transaction() as tx:
            tx.insert_many([office, museum, elsewhere, ada, grace, *enrollments])
        related = {
            "in_p1": Related(m.Enrollment, on="member_id", where={"program_id": "p1"}),
            "all": Related(m.Enrollment, on="member_id"),
            "organizations": Related(m.Organization, via="affiliations.organization_id"),
        }
        with store.transaction(read_only=True) as tx:
            # Two relations of one kind: the store may read them apart, same answer.
            record, found = tx.get_with(m.Member, ada.id, related)
            assert record == ada
            assert found["in_p1"] == [enrollments[0]]
            assert found["all"] == sorted(enrollments[:2], key=_by_id)
            assert found["organizations"] == sorted([office, museum], key=_by_id)
            one = {"in_p1": related["in_p1"], "organizations": related["organizations"]}
            assert tx.get_with(m.Member, ada.id, one) == (
                ada,
                {"in_p1": [enrollments[0]], "organizations": sorted([office, museum], key=_by_id)},
            )
            # No related records, and no record at all.
            assert tx.get_with(m.Member, grace.id, one) == (
                grace,
                {"in_p1": [enrollments[2]], "organizations": []},
            )
            assert tx.get_with(m.Member, "missing", one) == (
                None,
                {"in_p1": [], "organizations": []},
            )

    def test_get_with_sees_the_transaction_s_own_writes(self, store: Storage) -> None:
        ada = _member("ada@example.org")
        with store.transaction() as tx:
            tx.insert(ada)
            enrollment = _enrollment("p1", ada.id, "enrolled")
            tx.insert(enrollment)
            record, found = tx.get_with(
                m.Member, ada.id, {"enrollments": Related(m.Enrollment, on="member_id")}
            )
            assert record == ada and found == {"enrollments": [enrollment]}

    def test_related_takes_one_way_to_its_records(self) -> None:
        with pytest.raises(ValueError):
            Related(m.Enrollment)
        with pytest.raises(ValueError):
            Related(m.Enrollment, on="member_id", via="affiliations.organization_id")
        with pytest.raises(ValueError):
            Related(m.Organization, via="affiliations")

    def test_locked_reads_the_record_it_locks(self, store: Storage) -> None:
        program = m.Program(title="Academy", program_year=2024)
        with store.transaction() as tx:
            tx.insert(program)
        with store.transaction() as tx:
            assert tx.locked(m.Program, program.id) == program
            assert tx.locked(m.Program, "missing") is None
            tx.update(attrs.evolve(program, title="Academy 2024"))

    def test_locked_parent_reads_the_record_a_child_names(self, store: Storage) -> None:
        program = m.Program(title="Academy", program_year=2024)
        enrollment = _enrollment(program.id, "member1", "enrolled")
        with store.transaction() as tx:
            tx.insert(program)
            tx.insert(enrollment)
        with store.transaction() as tx:
            found = tx.locked_parent(m.Program, m.Enrollment, enrollment.id, "program_id")
            assert found == program
            assert tx.locked_parent(m.Program, m.Enrollment, "missing", "program_id") is None
            with pytest.raises(ValidationError, match="no field 'nothing'"):
                tx.locked_parent(m.Program, m.Enrollment, enrollment.id, "nothing")
            tx.update(attrs.evolve(program, title="Academy 2024"))
        with store.transaction() as tx:
            found = tx.locked_parent(m.Program, m.Enrollment, enrollment.id, "program_id")
            assert found is not None and found.title == "Academy 2024"

    def test_locked_parent_serializes_concurrent_writers(self, store: Storage) -> None:
        self._bumps_serialize(
            store,
            lambda tx, enrollment: tx.locked_parent(
                m.Program, m.Enrollment, enrollment.id, "program_id"
            ),
        )

    def test_locked_serializes_concurrent_writers(self, store: Storage) -> None:
        self._bumps_serialize(
            store, lambda tx, enrollment: tx.locked(m.Program, enrollment.program_id)
        )

    def _bumps_serialize(
        self,
        store: Storage,
        lock: Callable[[Transaction, m.Enrollment], m.Program | None],
        writers: int = 6,
    ) -> None:
        """Racing writers that each lock, read and bump one program lose no bump.

        ``lock`` is given the enrollment that names the program, for locks taken
        through it.
        """
        if not self.concurrent_writers:
            pytest.skip(f"{type(self).__name__} does not run transactions from several threads")
        program = m.Program(title="Academy", program_year=2024, description="0")
        enrollment = _enrollment(program.id, "member1", "enrolled")
        with store.transaction() as tx:
            tx.insert(program)
            tx.insert(enrollment)
        start = threading.Barrier(writers)

        def bump(_: int) -> None:
            start.wait(timeout=10)
            with store.transaction() as tx:
                found = lock(tx, enrollment)
                assert found is not None
                tx.update(attrs.evolve(found, description=str(int(found.description) + 1)))

        with ThreadPoolExecutor(max_workers=writers) as pool:
            list(pool.map(bump, range(writers)))
        with store.transaction() as tx:
            final = tx.get(m.Program, program.id)
            assert final is not None and final.description == str(writers)

    def test_lock_serializes_concurrent_writers(self, store: Storage) -> None:
        if not self.concurrent_writers:
            pytest.skip(f"{type(self).__name__} does not run transactions from several threads")
        capacity, applicants = 3, 8
        program = m.Program(
            title="Academy", program_year=2024, policy=m.EnrollmentPolicy(capacity=capacity)
        )
        with store.transaction() as tx:
            tx.insert(program)
        start = threading.Barrier(applicants)

        def take_seat(n: int) -> bool:
            start.wait(timeout=10)
            with store.transaction() as tx:
                tx.lock(m.Program, program.id)
                taken = tx.count(m.Enrollment, {"program_id": program.id})[()]
                if taken >= capacity:
                    return False
                tx.insert(_enrollment(program.id, f"member{n}", "enrolled"))
                return True

        with ThreadPoolExecutor(max_workers=applicants) as pool:
            seated = list(pool.map(take_seat, range(applicants)))
        assert seated.count(True) == capacity
        with store.transaction() as tx:
            assert tx.count(m.Enrollment, {"program_id": program.id}) == {(): capacity}

    # claims and deletes by query -----------------------------------------------
    def test_claim_gives_what_find_gives(self, store: Storage, people: list[m.Member]) -> None:
        with store.transaction() as tx:
            claimed = tx.claim(m.Member, {"county": "Alameda"}, order_by=["email"], limit=2)
            assert claimed == tx.find(m.Member, {"county": "Alameda"}, order_by=["email"])[:2]

    def test_concurrent_claims_never_share_a_record(self, store: Storage) -> None:
        if not self.concurrent_writers:
            pytest.skip(f"{type(self).__name__} does not run transactions from several threads")
        workers, batch = 4, 5
        members = [_member(f"m{n:02d}@example.org", county="Queue") for n in range(workers * batch)]
        with store.transaction() as tx:
            tx.insert_many(members)
        start = threading.Barrier(workers)

        def take(n: int) -> list[str]:
            start.wait(timeout=10)
            with store.transaction() as tx:
                claimed = tx.claim(m.Member, {"county": "Queue"}, order_by=["email"], limit=batch)
                for member in claimed:
                    tx.update(attrs.evolve(member, county=f"Taken{n}"))
                return [member.id for member in claimed]

        with ThreadPoolExecutor(max_workers=workers) as pool:
            taken = [i for ids in pool.map(take, range(workers)) for i in ids]
        assert sorted(taken) == sorted(member.id for member in members)

    def test_delete_where_removes_the_matches_and_counts_them(
        self, store: Storage, people: list[m.Member]
    ) -> None:
        alameda = [p for p in people if p.county == "Alameda"]
        with store.transaction() as tx:
            assert tx.delete_where(m.Member, {"county": "Alameda"}) == len(alameda)
            assert tx.find(m.Member, {"county": "Alameda"}) == []
            assert tx.delete_where(m.Member, {"county": "Alameda"}) == 0
        with store.transaction() as tx:
            assert len(tx.find(m.Member)) == len(people) - len(alameda)

    def test_delete_where_refuses_an_empty_condition(
        self, store: Storage, people: list[m.Member]
    ) -> None:
        with store.transaction() as tx, pytest.raises(ValidationError):
            tx.delete_where(m.Member, {})
        with store.transaction() as tx:
            assert len(tx.find(m.Member)) == len(people)

    # zones --------------------------------------------------------------------
    def test_datetimes_read_back_in_the_zone_they_were_given_in(self, store: Storage) -> None:
        india = timezone(timedelta(hours=5, minutes=30))
        la = _session("p", datetime(2024, 10, 16, 16, 0, tzinfo=LA), id="la")  # 23:00 UTC
        ist = _session("p", datetime(2024, 10, 17, 9, 0, tzinfo=india), id="ist")  # 03:30 UTC
        utc = _session("p", datetime(2024, 10, 17, 1, 0, tzinfo=UTC), id="utc")
        with store.transaction() as tx:
            tx.insert(la)
            tx.insert_many([ist, utc])
        with store.transaction(read_only=True) as tx:
            read = tx.get(m.Session, "la")
            assert read is not None
            assert (read.start.hour, read.start.date()) == (16, date(2024, 10, 16))
            assert isinstance(read.start.tzinfo, ZoneInfo)
            assert read.start.tzinfo.key == "America/Los_Angeles"
            assert read.end.hour == 17 and read.end.tzinfo == read.start.tzinfo
            found = tx.find(m.Session, order_by=("start",))
            assert _ids(found) == ["la", "utc", "ist"]
            assert [(s.start.hour, s.start.utcoffset()) for s in found] == [
                (16, timedelta(hours=-7)),
                (1, timedelta(0)),
                (9, timedelta(hours=5, minutes=30)),
            ]

    def test_a_repeated_wall_time_round_trips_equal(self, store: Storage) -> None:
        # 1:30 am happens twice on 2024-11-03 in Los Angeles; fold=1 is the second (PST).
        first = datetime(2024, 11, 3, 1, 30, tzinfo=LA)
        second = datetime(2024, 11, 3, 1, 30, fold=1, tzinfo=LA)
        moments = {"first": first, "second": second}
        with store.transaction() as tx:
            tx.insert_many([_session("p", start, id=name) for name, start in moments.items()])
        with store.transaction(read_only=True) as tx:
            for name, start in moments.items():
                read = tx.get(m.Session, name)
                assert read is not None and read.start == start
                assert (read.start.tzinfo, read.start.fold) == (start.tzinfo, start.fold)
                assert read.start.utcoffset() == start.utcoffset()

    def test_zones_survive_bulk_writes(self, store: Storage) -> None:
        zones = [LA, ZoneInfo("Asia/Kolkata"), UTC, timezone(timedelta(hours=-3))]
        sessions = [
            _session("p", datetime(2024, 10, 1, 9, n % 60, tzinfo=zones[n % 4]), id=f"s{n:03d}")
            for n in range(240)
        ]
        with store.transaction() as tx:
            tx.insert_many(sessions)
        with store.transaction(read_only=True) as tx:
            for session, read in zip(sessions, tx.find(m.Session), strict=True):
                assert read == session
                assert (read.start.hour, read.start.minute) == (9, session.start.minute)
                assert read.start.utcoffset() == session.start.utcoffset()

    # read-only transactions ---------------------------------------------------
    def test_a_read_only_transaction_refuses_writes_and_changes_nothing(
        self, store: Storage
    ) -> None:
        member = _member("ada@example.org", id="m1", county="Alameda")
        with store.transaction() as tx:
            tx.insert(member)
        writes: list[tuple[str, Callable[[Any], None]]] = [
            ("insert", lambda tx: tx.insert(_member("grace@example.org"))),
            ("insert_many", lambda tx: tx.insert_many([_member("many@example.org")])),
            ("update", lambda tx: tx.update(attrs.evolve(member, county="Fresno"))),
            ("delete", lambda tx: tx.delete(m.Member, member.id)),
            ("lock", lambda tx: tx.lock(m.Member, member.id)),
            ("lock", lambda tx: tx.locked(m.Member, member.id)),
            ("lock", lambda tx: tx.locked_parent(m.Member, m.Member, member.id, "id")),
            ("claim", lambda tx: tx.claim(m.Member, {"county": "Alameda"})),
            ("delete_where", lambda tx: tx.delete_where(m.Member, {"county": "Alameda"})),
        ]
        for operation, write in writes:
            with store.transaction(read_only=True) as tx:
                with pytest.raises(StorageError) as raised:
                    write(tx)
                assert f"{operation} refused" in str(raised.value)
                assert store.url in str(raised.value)
                assert tx.find(m.Member) == [member]  # the transaction goes on
        with store.transaction() as tx:
            assert tx.find(m.Member) == [member]

    def test_a_read_only_transaction_sees_committed_data(self, store: Storage) -> None:
        member = _member("ada@example.org", id="m1", county="Alameda")
        with store.transaction() as tx:
            tx.insert(member)
            tx.insert(_enrollment("p1", member.id, "enrolled"))
        with store.transaction(read_only=True) as tx:
            assert tx.get(m.Member, member.id) == member
            assert tx.find(m.Member, {"county": "Alameda"}) == [member]
            assert tx.count(m.Enrollment, group_by=("status",)) == {("enrolled",): 1}

    def test_a_reader_does_not_wait_for_an_open_writer(self, store: Storage) -> None:
        if not self.concurrent_readers:
            pytest.skip(f"{type(self).__name__} runs one transaction at a time")
        with store.transaction() as tx:
            tx.insert(_member("ada@example.org", id="m1"))
        written, release = threading.Event(), threading.Event()

        def write() -> None:
            with store.transaction() as tx:
                tx.insert(_member("late@example.org", id="late"))
                written.set()
                release.wait(timeout=10)

        with ThreadPoolExecutor(max_workers=1) as pool:
            writer = pool.submit(write)
            try:
                assert written.wait(timeout=10)
                started = time.monotonic()
                with store.transaction(read_only=True) as tx:
                    assert tx.get(m.Member, "late") is None  # not committed yet
                    assert tx.count(m.Member) == {(): 1}
                assert time.monotonic() - started < 2
            finally:
                release.set()
            writer.result()
        with store.transaction(read_only=True) as tx:
            assert tx.count(m.Member) == {(): 2}

    # every kind, and kinds from plugins ---------------------------------------
    def test_samples_cover_every_core_kind(self) -> None:
        assert {type(r) for r in sample_records()} >= {kind.cls for kind in CORE_KINDS}

    @pytest.mark.parametrize("kind", CORE_KINDS, ids=lambda kind: kind.name)
    def test_records_read_back_equal_to_what_was_written(
        self, store: Storage, kind: RecordKind
    ) -> None:
        samples = sample_records()
        written: list[Any] = [r for r in samples if type(r) is kind.cls]
        with store.transaction() as tx:
            tx.insert_many(samples)
        with store.transaction() as tx:
            for record in written:
                read = tx.get(kind.cls, record.id)
                assert read == record
                assert _aware_datetimes(read)
            found: list[Any] = tx.find(kind.cls)
            assert sorted(_ids(found)) == sorted(_ids(written))
            assert sorted(found, key=_by_id) == sorted(written, key=_by_id)

    def test_a_plugin_kind_gets_room_without_touching_core_kinds(self, store: Storage) -> None:
        member = _member("ada@example.org")
        with store.transaction() as tx:
            tx.insert(member)
        store.register_kinds([REVIEW_SCORES])
        store.register_kinds([REVIEW_SCORES, *CORE_KINDS])  # idempotent
        score = ReviewScore(
            enrollment_id="e1",
            reviewer_id="r1",
            score=4,
            scored_at=T0,
            weight=0.5,
            comments=("clear goals", "strong equity plan"),
        )
        with store.transaction() as tx:
            tx.insert(score)
            with pytest.raises(DuplicateError):
                tx.insert(attrs.evolve(score, id="other", score=2))
        with store.transaction() as tx:
            assert tx.get(ReviewScore, score.id) == score
            assert tx.find(ReviewScore, {"score__ge": 3}) == [score]
            assert tx.total(ReviewScore, "weight", group_by=("reviewer_id",)) == {("r1",): 0.5}
            assert tx.find(m.Member) == [member]
        names = {kind.name for kind in store.iter_kinds()}
        assert names >= {REVIEW_SCORES.name} | {kind.name for kind in CORE_KINDS}

    def test_data_outlives_close(self, store: Storage, reopen: Callable[[], Storage]) -> None:
        store.register_kinds([REVIEW_SCORES])
        samples = sample_records()
        score = ReviewScore(enrollment_id="e1", reviewer_id="r1", score=5, scored_at=T0)
        with store.transaction() as tx:
            tx.insert_many([*samples, score])
        store.close()
        with reopen() as again:
            again.register_kinds([*CORE_KINDS, REVIEW_SCORES])
            with again.transaction() as tx:
                assert tx.get(ReviewScore, score.id) == score
                for record in samples:
                    assert tx.get(type(record), record.id) == record


def _by_id(record: Any) -> str:
    return str(record.id)


def _aware_datetimes(record: Any) -> bool:
    """Every top-level datetime of a record carries its offset."""
    values = (getattr(record, a.name) for a in attrs.fields(type(record)))
    return all(v.tzinfo is not None for v in values if isinstance(v, datetime))
