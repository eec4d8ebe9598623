"""The permission table: every role × every action, and record visibility (404 for hidden)."""

from __future__ import annotations

import uuid

import pytest

from council.councils.models import Role
from council.councils.permissions import (
    ANONYMOUS,
    POLICY,
    Action,
    Actor,
    Visibility,
    acts_for,
    appointing_action,
    can,
    can_act_for_shop,
    can_review_claim,
    can_score,
    can_see,
    conflicting_role,
    may_verify,
    sees_reporter_contact,
)

HERE = uuid.uuid4()
ELSEWHERE = uuid.uuid4()
PERSON = uuid.uuid4()
DEPARTMENT = uuid.uuid4()
OTHER_DEPARTMENT = uuid.uuid4()


def actor(*roles: Role, admin: bool = False, council: uuid.UUID = HERE) -> Actor:
    return Actor(
        person_id=PERSON, display_name="x", is_admin=admin, roles={council: frozenset(roles)}
    )


ACTORS = {
    "public": ANONYMOUS,
    "signed_in": actor(),
    "resident": actor(Role.RESIDENT),
    "merchant": actor(Role.MERCHANT),
    "member": actor(Role.MEMBER),
    "observer": actor(Role.OBSERVER),
    "supervisor": actor(Role.SUPERVISOR),
    "facilitator": actor(Role.FACILITATOR),
    "other_facilitator": actor(Role.FACILITATOR, council=ELSEWHERE),
    "admin": actor(admin=True),
    # 职能部门联络员: no seat in the council, a department that serves it (or serves another)
    "liaison": Actor(
        person_id=PERSON, display_name="x", departments={HERE: frozenset({DEPARTMENT})}
    ),
    "other_liaison": Actor(
        person_id=PERSON, display_name="x", departments={ELSEWHERE: frozenset({DEPARTMENT})}
    ),
}

ALL = set(ACTORS)
SIGNED = ALL - {"public"}
STAFF = {"supervisor", "facilitator", "admin"}
RUNS = {"facilitator", "admin"}
PARTICIPATE = {"resident", "merchant", "member", "admin"}

EXPECTED: dict[Action, set[str]] = {
    Action.CREATE_COUNCIL: {"admin"},
    Action.APPOINT_FACILITATOR: {"admin"},
    Action.APPOINT_SUPERVISOR: {"admin"},
    Action.VIEW_COUNCIL: ALL,
    Action.VIEW_AUDIT: ALL,
    Action.CLAIM_MEMBERSHIP: SIGNED,
    Action.VIEW_MANAGEMENT: STAFF,
    Action.VIEW_CONTACTS: STAFF,
    Action.VIEW_PENDING_CLAIMS: STAFF,
    Action.MANAGE_MEMBERS: RUNS,
    Action.MANAGE_SHOPS: RUNS,
    Action.VERIFY_CLAIMS: RUNS,
    Action.EDIT_SETTINGS: RUNS,
    Action.VIEW_MATTERS: ALL,
    Action.VIEW_MEETINGS: {"member", "observer", "supervisor", "facilitator", "admin"},
    Action.MANAGE_CONSULTATIONS: RUNS,
    Action.RUN_MEETINGS: RUNS,
    Action.ATTEND_MEETINGS: {"member", "observer", "supervisor", "admin"},
    Action.CONFIRM_MINUTES: {"member", "observer", "supervisor", "admin"},
    Action.SUBMIT_EVIDENCE: {"merchant", "admin"},
    Action.VERIFY_ACTION_ITEMS: {"supervisor", "admin"},
    Action.RECORD_INSPECTIONS: {"supervisor", "facilitator", "admin"},
    # issue intake: residents, merchants and members take part; the facilitator triages
    Action.SUBMIT_ISSUE: PARTICIPATE,
    Action.COSIGN_ISSUE: PARTICIPATE,
    Action.COMMENT_ISSUE: PARTICIPATE | STAFF,
    Action.TRIAGE_ISSUES: RUNS,
    Action.VIEW_ISSUE_QUEUE: STAFF,
    Action.OPEN_CALL: RUNS,
    Action.ANSWER_CALL: PARTICIPATE,
    Action.ENTER_OFFLINE_ANSWERS: RUNS,
    Action.VIEW_CALL_ANSWERS: STAFF,
    Action.MANAGE_BALLOTS: RUNS,
    Action.VIEW_BALLOT_DRAFTS: STAFF,
    Action.VIEW_LIVE_TALLY: STAFF,
    # rule 19: an observer never votes; the ballot's frozen electorate decides the rest
    Action.CAST_VOTE: {"resident", "merchant", "member", "supervisor", "facilitator", "admin"},
    # conventions: the facilitator drafts and puts to vote; the council's people comment
    Action.MANAGE_CONVENTIONS: RUNS,
    Action.VIEW_CONVENTION_DRAFTS: STAFF,
    Action.COMMENT_CONVENTION: PARTICIPATE | {"supervisor"},
    # work orders: the administrator keeps departments and calendar; the facilitator refers,
    # summons and closes; the liaison handles (his own department's: acts_for)
    Action.MANAGE_DEPARTMENTS: {"admin"},
    Action.EDIT_CALENDAR: {"admin"},
    Action.DISPATCH_ORDERS: RUNS,
    Action.HANDLE_ORDERS: {"liaison", "admin"},
    Action.VERIFY_ORDERS: RUNS,
    Action.VIEW_ORDER_WORK: {"liaison", "supervisor", "facilitator", "admin"},
    # 四议两公开一监督: the facilitator moves stages and publishes notices; anyone objects
    Action.MANAGE_WORKFLOWS: RUNS,
    Action.MANAGE_NOTICES: RUNS,
    Action.VIEW_NOTICE_DRAFTS: STAFF,
    Action.LODGE_OBJECTION: ALL,
    Action.VIEW_SUPERVISION: STAFF,
    # 一监督 is the supervisor's own word: not even the administrator signs in their place
    Action.SUPERVISE: {"supervisor"},
    # street programmes: scoring, lots, applying and redeeming, and speaking for a shop are
    # a person's own acts; the administrator does the rest
    Action.MANAGE_PROGRAMMES: RUNS,
    Action.VIEW_PROGRAMME_RECORDS: STAFF,
    Action.SCORE_SHOPS: {"resident", "merchant", "member", "facilitator"},
    Action.DRAW_LOTS: {"supervisor"},
    Action.APPLY_POINTS: PARTICIPATE - {"admin"},
    Action.REVIEW_POINTS: STAFF,
    Action.REDEEM_POINTS: PARTICIPATE - {"admin"},
    Action.ACT_FOR_SHOP: {"merchant"},
}


def test_every_action_has_an_expectation() -> None:
    assert set(EXPECTED) == set(Action) == set(POLICY)


@pytest.mark.parametrize("action", list(Action), ids=lambda a: a.value)
@pytest.mark.parametrize("who", list(ACTORS))
def test_role_action_table(action: Action, who: str) -> None:
    assert can(ACTORS[who], action, HERE) is (who in EXPECTED[action])


VISIBLE: dict[Visibility, set[str]] = {
    Visibility.PUBLIC: ALL | {"owner"},
    Visibility.COUNCIL: {
        "resident",
        "merchant",
        "member",
        "observer",
        "supervisor",
        "facilitator",
        "admin",
    },
    Visibility.STAFF: STAFF,
    Visibility.OWNER: STAFF | {"owner"},
}


@pytest.mark.parametrize("visibility", list(Visibility), ids=lambda v: v.value)
@pytest.mark.parametrize("who", [*ACTORS, "owner"])
def test_record_visibility_table(visibility: Visibility, who: str) -> None:
    """A hidden record is simply not there for those outside: another council's staff included."""
    viewer = Actor(person_id=uuid.uuid4(), display_name="o") if who == "owner" else ACTORS[who]
    owner_id = viewer.person_id if who == "owner" else uuid.uuid4()
    assert can_see(viewer, visibility, HERE, owner_id) is (who in VISIBLE[visibility])


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_probe_6_supervisors_and_facilitators_are_appointed_by_the_administrator(
    role: Role,
) -> None:
    """The council's facilitator gives every role except the two that check each other."""
    by_admin_only = role in (Role.FACILITATOR, Role.SUPERVISOR)
    assert can(ACTORS["facilitator"], appointing_action(role), HERE) is not by_admin_only
    assert can(ACTORS["admin"], appointing_action(role), HERE)


def test_R11_only_a_supervisor_of_this_council_signs_off() -> None:
    """Sign-off and opinions are testimony: the administrator and another council's
    supervisor may not give them here."""
    assert can(actor(Role.SUPERVISOR), Action.SUPERVISE, HERE)
    assert not can(actor(Role.SUPERVISOR, council=ELSEWHERE), Action.SUPERVISE, HERE)
    assert not can(actor(admin=True), Action.SUPERVISE, HERE)
    assert not can(actor(Role.FACILITATOR), Action.SUPERVISE, HERE)


def test_probe_6_nobody_is_facilitator_and_supervisor_of_one_council() -> None:
    """Whoever runs the process does not sign it off: either way round."""
    assert conflicting_role({Role.FACILITATOR}, Role.SUPERVISOR) is Role.FACILITATOR
    assert conflicting_role({Role.SUPERVISOR, Role.MEMBER}, Role.FACILITATOR) is Role.SUPERVISOR
    assert conflicting_role({Role.FACILITATOR}, Role.MEMBER) is None
    assert conflicting_role({Role.SUPERVISOR}, Role.OBSERVER) is None
    assert conflicting_role(set(), Role.SUPERVISOR) is None


SHOP = uuid.uuid4()
OTHER_SHOP = uuid.uuid4()


def test_rating_a_shop_never_scores_itself() -> None:
    """A merchant scorer scores every shop but the one they represent; so does a member."""
    for scorer in (actor(Role.MERCHANT), actor(Role.MEMBER), actor(Role.MERCHANT, Role.MEMBER)):
        assert can_score(scorer, HERE, OTHER_SHOP, {SHOP})
        assert not can_score(scorer, HERE, SHOP, {SHOP})
    assert can_score(actor(Role.RESIDENT), HERE, SHOP, set())
    # The supervisor watches the round, and another council's people score nothing here.
    assert not can_score(actor(Role.SUPERVISOR), HERE, SHOP, set())
    assert not can_score(actor(Role.MERCHANT, council=ELSEWHERE), HERE, OTHER_SHOP, set())


def test_only_a_shops_representative_acts_for_it() -> None:
    assert can_act_for_shop(actor(Role.MERCHANT), HERE, SHOP, {SHOP})
    assert not can_act_for_shop(actor(Role.MERCHANT), HERE, OTHER_SHOP, {SHOP})
    # Not the facilitator, not the administrator: a shop's agreement is its own.
    assert not can_act_for_shop(actor(Role.FACILITATOR), HERE, SHOP, {SHOP})
    assert not can_act_for_shop(actor(admin=True), HERE, SHOP, {SHOP})


def test_points_nobody_approves_their_own_points_or_their_own_attendance_record() -> None:
    me = actor(Role.FACILITATOR)
    someone = uuid.uuid4()
    assert can_review_claim(me, HERE, someone, someone)
    assert not can_review_claim(me, HERE, someone, PERSON)  # I recorded the attendance
    assert not can_review_claim(me, HERE, PERSON, None)  # my own claim
    assert can_review_claim(actor(Role.SUPERVISOR), HERE, someone, None)
    assert not can_review_claim(actor(Role.RESIDENT), HERE, someone, None)


@pytest.mark.parametrize("who", list(ACTORS))
def test_a_liaison_acts_only_on_his_own_departments_orders_in_councils_it_serves(
    who: str,
) -> None:
    assert acts_for(ACTORS[who], HERE, DEPARTMENT) is (who in {"liaison", "admin"})
    assert acts_for(ACTORS[who], HERE, OTHER_DEPARTMENT) is (who == "admin")


@pytest.mark.parametrize("who", list(ACTORS))
def test_orders_are_verified_by_the_facilitator_or_the_person_who_raised_them(who: str) -> None:
    assert may_verify(ACTORS[who], HERE, raised_by=uuid.uuid4()) is (who in RUNS)
    raised_it = who != "public"  # every signed-in actor here is PERSON
    assert may_verify(ACTORS[who], HERE, raised_by=PERSON) is raised_it


@pytest.mark.parametrize("who", list(ACTORS))
def test_R28_reporter_contacts_for_staff_and_the_handling_liaison_only(who: str) -> None:
    allowed = who in STAFF or who == "liaison"
    assert sees_reporter_contact(ACTORS[who], HERE, DEPARTMENT) is allowed
