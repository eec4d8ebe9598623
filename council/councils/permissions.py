"""Who may do what in which council: the one place that decides. Pure; no I/O.

Every controller and template asks ``can`` or ``can_see``. A record a person may not see is
reported as missing (404), so that a forbidden id and a wrong id look the same.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from uuid import UUID

from council.councils.models import Role


class Action(enum.StrEnum):
    # platform
    CREATE_COUNCIL = "create_council"
    APPOINT_FACILITATOR = "appoint_facilitator"
    APPOINT_SUPERVISOR = "appoint_supervisor"
    # council, public
    VIEW_COUNCIL = "view_council"
    VIEW_AUDIT = "view_audit"
    # council, any signed-in person
    CLAIM_MEMBERSHIP = "claim_membership"
    # council, staff
    VIEW_MANAGEMENT = "view_management"
    VIEW_CONTACTS = "view_contacts"
    VIEW_PENDING_CLAIMS = "view_pending_claims"
    MANAGE_MEMBERS = "manage_members"
    MANAGE_SHOPS = "manage_shops"
    VERIFY_CLAIMS = "verify_claims"
    EDIT_SETTINGS = "edit_settings"
    # consultations: matters, meetings, rounds, action plans
    VIEW_MATTERS = "view_matters"
    VIEW_MEETINGS = "view_meetings"
    MANAGE_CONSULTATIONS = "manage_consultations"
    RUN_MEETINGS = "run_meetings"
    ATTEND_MEETINGS = "attend_meetings"
    CONFIRM_MINUTES = "confirm_minutes"
    SUBMIT_EVIDENCE = "submit_evidence"
    VERIFY_ACTION_ITEMS = "verify_action_items"
    RECORD_INSPECTIONS = "record_inspections"
    # issue intake (议题征集)
    SUBMIT_ISSUE = "submit_issue"
    COSIGN_ISSUE = "cosign_issue"
    COMMENT_ISSUE = "comment_issue"
    TRIAGE_ISSUES = "triage_issues"
    VIEW_ISSUE_QUEUE = "view_issue_queue"
    OPEN_CALL = "open_call"
    ANSWER_CALL = "answer_call"
    ENTER_OFFLINE_ANSWERS = "enter_offline_answers"
    VIEW_CALL_ANSWERS = "view_call_answers"
    # voting (表决)
    MANAGE_BALLOTS = "manage_ballots"
    VIEW_BALLOT_DRAFTS = "view_ballot_drafts"
    VIEW_LIVE_TALLY = "view_live_tally"
    CAST_VOTE = "cast_vote"
    # conventions (公约)
    MANAGE_CONVENTIONS = "manage_conventions"
    VIEW_CONVENTION_DRAFTS = "view_convention_drafts"
    COMMENT_CONVENTION = "comment_convention"
    # departments and work orders (转办 · 工单)
    MANAGE_DEPARTMENTS = "manage_departments"
    EDIT_CALENDAR = "edit_calendar"
    DISPATCH_ORDERS = "dispatch_orders"
    HANDLE_ORDERS = "handle_orders"
    VERIFY_ORDERS = "verify_orders"
    VIEW_ORDER_WORK = "view_order_work"
    # 四议两公开一监督, notices (公示) and objections (异议)
    MANAGE_WORKFLOWS = "manage_workflows"
    MANAGE_NOTICES = "manage_notices"
    VIEW_NOTICE_DRAFTS = "view_notice_drafts"
    LODGE_OBJECTION = "lodge_objection"
    VIEW_SUPERVISION = "view_supervision"
    SUPERVISE = "supervise"
    # street programmes: 文明诚信商户, 积分, 值日, 外摆
    MANAGE_PROGRAMMES = "manage_programmes"
    VIEW_PROGRAMME_RECORDS = "view_programme_records"
    SCORE_SHOPS = "score_shops"
    DRAW_LOTS = "draw_lots"
    APPLY_POINTS = "apply_points"
    REVIEW_POINTS = "review_points"
    REDEEM_POINTS = "redeem_points"
    ACT_FOR_SHOP = "act_for_shop"


class Visibility(enum.StrEnum):
    PUBLIC = "public"  # anyone, no account
    COUNCIL = "council"  # verified people of that council
    STAFF = "staff"  # facilitators and supervisors of that council
    OWNER = "owner"  # the record's author, and staff


EVERYONE = "everyone"
SIGNED_IN = "signed_in"
ADMIN = "admin"
# A department's liaison (职能部门联络员) in every council the department serves: not a seat of
# the council (no membership), and acting only on his own department's work orders.
LIAISON = "liaison"

# Residents, merchants and council members raise issues, co-sign them and answer calls.
PARTICIPANTS: frozenset[str] = frozenset({Role.RESIDENT, Role.MERCHANT, Role.MEMBER})

# action -> who may do it. Roles are verified roles in the council the action concerns; the
# administrator (街道管理员) sees and does everything.
POLICY: Mapping[Action, frozenset[str]] = {
    Action.CREATE_COUNCIL: frozenset({ADMIN}),
    Action.APPOINT_FACILITATOR: frozenset({ADMIN}),
    # The supervisor checks the facilitator's work (一监督), so the facilitator cannot pick him.
    Action.APPOINT_SUPERVISOR: frozenset({ADMIN}),
    Action.VIEW_COUNCIL: frozenset({EVERYONE}),
    Action.VIEW_AUDIT: frozenset({EVERYONE}),
    Action.CLAIM_MEMBERSHIP: frozenset({SIGNED_IN}),
    Action.VIEW_MANAGEMENT: frozenset({Role.FACILITATOR, Role.SUPERVISOR}),
    Action.VIEW_CONTACTS: frozenset({Role.FACILITATOR, Role.SUPERVISOR}),
    Action.VIEW_PENDING_CLAIMS: frozenset({Role.FACILITATOR, Role.SUPERVISOR}),
    Action.MANAGE_MEMBERS: frozenset({Role.FACILITATOR}),
    Action.MANAGE_SHOPS: frozenset({Role.FACILITATOR}),
    Action.VERIFY_CLAIMS: frozenset({Role.FACILITATOR}),
    Action.EDIT_SETTINGS: frozenset({Role.FACILITATOR}),
    # The consultation record and the published minutes are public (DESIGN capability 6);
    # who said what in a meeting, and the sign-in list, are for the council's people.
    Action.VIEW_MATTERS: frozenset({EVERYONE}),
    Action.VIEW_MEETINGS: frozenset(
        {Role.MEMBER, Role.OBSERVER, Role.SUPERVISOR, Role.FACILITATOR}
    ),
    Action.MANAGE_CONSULTATIONS: frozenset({Role.FACILITATOR}),
    Action.RUN_MEETINGS: frozenset({Role.FACILITATOR}),
    # Attending also needs an invitation to that meeting (checked by the service).
    Action.ATTEND_MEETINGS: frozenset({Role.MEMBER, Role.OBSERVER, Role.SUPERVISOR}),
    Action.CONFIRM_MINUTES: frozenset({Role.MEMBER, Role.OBSERVER, Role.SUPERVISOR}),
    # Submitting also needs to represent the item's shop; verifying must not be one's own
    # item or evidence (rule 12, consultations.workflow.ITEM).
    Action.SUBMIT_EVIDENCE: frozenset({Role.MERCHANT}),
    Action.VERIFY_ACTION_ITEMS: frozenset({Role.SUPERVISOR}),
    Action.RECORD_INSPECTIONS: frozenset({Role.SUPERVISOR, Role.FACILITATOR}),
    Action.SUBMIT_ISSUE: PARTICIPANTS,
    Action.COSIGN_ISSUE: PARTICIPANTS,
    Action.COMMENT_ISSUE: PARTICIPANTS | {Role.FACILITATOR, Role.SUPERVISOR},
    Action.TRIAGE_ISSUES: frozenset({Role.FACILITATOR}),
    Action.VIEW_ISSUE_QUEUE: frozenset({Role.FACILITATOR, Role.SUPERVISOR}),
    Action.OPEN_CALL: frozenset({Role.FACILITATOR}),
    Action.ANSWER_CALL: PARTICIPANTS,
    Action.ENTER_OFFLINE_ANSWERS: frozenset({Role.FACILITATOR}),
    Action.VIEW_CALL_ANSWERS: frozenset({Role.FACILITATOR, Role.SUPERVISOR}),
    Action.MANAGE_BALLOTS: frozenset({Role.FACILITATOR}),
    Action.VIEW_BALLOT_DRAFTS: frozenset({Role.FACILITATOR, Role.SUPERVISOR}),
    Action.VIEW_LIVE_TALLY: frozenset({Role.FACILITATOR, Role.SUPERVISOR}),
    # Who holds a vote on a ballot is its frozen electorate; observers (列席) never do (rule 19).
    Action.CAST_VOTE: frozenset(
        {Role.MEMBER, Role.MERCHANT, Role.RESIDENT, Role.SUPERVISOR, Role.FACILITATOR}
    ),
    Action.MANAGE_CONVENTIONS: frozenset({Role.FACILITATOR}),
    Action.VIEW_CONVENTION_DRAFTS: frozenset({Role.FACILITATOR, Role.SUPERVISOR}),
    # Comments on a convention in its comment period come from the people it binds or
    # speaks for; supervisors may comment at every stage (一监督).
    Action.COMMENT_CONVENTION: PARTICIPANTS | {Role.SUPERVISOR},
    # The administrator keeps the street's departments and the working-day calendar.
    Action.MANAGE_DEPARTMENTS: frozenset({ADMIN}),
    Action.EDIT_CALENDAR: frozenset({ADMIN}),
    # Referring, 吹哨, approving more time and closing are the facilitator's; handling is the
    # department's (its own orders only: ``acts_for``); verifying is the facilitator's or the
    # person's who raised it (``may_verify``), never the handler's.
    Action.DISPATCH_ORDERS: frozenset({Role.FACILITATOR}),
    Action.HANDLE_ORDERS: frozenset({LIAISON}),
    Action.VERIFY_ORDERS: frozenset({Role.FACILITATOR}),
    Action.VIEW_ORDER_WORK: frozenset({Role.FACILITATOR, Role.SUPERVISOR, LIAISON}),
    # The facilitator moves a major matter through its stages and publishes its notices.
    Action.MANAGE_WORKFLOWS: frozenset({Role.FACILITATOR}),
    Action.MANAGE_NOTICES: frozenset({Role.FACILITATOR}),
    Action.VIEW_NOTICE_DRAFTS: frozenset({Role.FACILITATOR, Role.SUPERVISOR}),
    # Anyone, with or without an account, may object to a notice in its period.
    Action.LODGE_OBJECTION: frozenset({EVERYONE}),
    # Opinions not marked public, reopen requests and the queue of what waits.
    Action.VIEW_SUPERVISION: frozenset({Role.FACILITATOR, Role.SUPERVISOR}),
    # Opinions, sign-off and reopen requests (一监督): the supervisor's own word.
    Action.SUPERVISE: frozenset({Role.SUPERVISOR}),
    # Schemes, rounds, activities, the rota, checklists and 外摆 permits.
    Action.MANAGE_PROGRAMMES: frozenset({Role.FACILITATOR}),
    # A round's progress, the claims queue, every balance: the supervisor watches.
    Action.VIEW_PROGRAMME_RECORDS: frozenset({Role.FACILITATOR, Role.SUPERVISOR}),
    # Scorers are named per round in a group (商会, 社区, 居民代表); the supervisor watches
    # and never scores.
    Action.SCORE_SHOPS: frozenset({Role.MEMBER, Role.MERCHANT, Role.RESIDENT, Role.FACILITATOR}),
    Action.DRAW_LOTS: frozenset({Role.SUPERVISOR}),
    Action.APPLY_POINTS: PARTICIPANTS,
    Action.REVIEW_POINTS: frozenset({Role.FACILITATOR, Role.SUPERVISOR}),
    Action.REDEEM_POINTS: PARTICIPANTS,
    # Confirming a redemption, ticking the duty checklist, swapping a duty: for a shop one
    # represents (can_act_for_shop).
    Action.ACT_FOR_SHOP: frozenset({Role.MERCHANT}),
}

# Actions that are a person's testimony in a role, not administration: the administrator,
# who may do everything else, does not sign as a supervisor without being one.
IN_PERSON: frozenset[Action] = frozenset(
    {
        Action.SUPERVISE,
        Action.SCORE_SHOPS,
        Action.DRAW_LOTS,
        Action.APPLY_POINTS,
        Action.REDEEM_POINTS,
        Action.ACT_FOR_SHOP,
    }
)

STAFF_ROLES = frozenset({Role.FACILITATOR, Role.SUPERVISOR})

# Who grants (and ends) a role in a council: the administrator appoints facilitators and
# supervisors; the council's facilitator gives every other role.
APPOINTED_BY: Mapping[Role, Action] = {
    Role.FACILITATOR: Action.APPOINT_FACILITATOR,
    Role.SUPERVISOR: Action.APPOINT_SUPERVISOR,
}

# Roles one person never holds together in one council: whoever runs the process does not
# also sign it off (一监督; rule 12 by analogy).
EXCLUSIVE_ROLES: Mapping[Role, frozenset[Role]] = {
    Role.FACILITATOR: frozenset({Role.SUPERVISOR}),
    Role.SUPERVISOR: frozenset({Role.FACILITATOR}),
}


@dataclass(frozen=True)
class Actor:
    """The person making a request, with their verified roles per council."""

    person_id: UUID | None = None
    display_name: str = ""
    is_admin: bool = False
    roles: Mapping[UUID, frozenset[Role]] = field(default_factory=dict)
    # council → the departments serving it that this person is a liaison of.
    departments: Mapping[UUID, frozenset[UUID]] = field(default_factory=dict)

    @property
    def signed_in(self) -> bool:
        return self.person_id is not None

    def roles_in(self, council_id: UUID | None) -> frozenset[Role]:
        if council_id is None:
            return frozenset()
        return self.roles.get(council_id, frozenset())

    def councils_with(self, role: Role) -> frozenset[UUID]:
        return frozenset(cid for cid, roles in self.roles.items() if role in roles)

    def departments_in(self, council_id: UUID | None) -> frozenset[UUID]:
        if council_id is None:
            return frozenset()
        return self.departments.get(council_id, frozenset())


ANONYMOUS = Actor()


def can(actor: Actor, action: Action, council_id: UUID | None = None) -> bool:
    allowed = POLICY[action]
    if EVERYONE in allowed:
        return True
    if not actor.signed_in:
        return False
    if action in IN_PERSON:
        return bool(actor.roles_in(council_id) & allowed)
    if actor.is_admin or SIGNED_IN in allowed:
        return True
    if LIAISON in allowed and actor.departments_in(council_id):
        return True
    return bool(actor.roles_in(council_id) & allowed)


def can_score(actor: Actor, council_id: UUID, shop_id: UUID, represented: Collection[UUID]) -> bool:
    """A scorer scores every shop except those they represent: a shop never scores itself."""
    return can(actor, Action.SCORE_SHOPS, council_id) and shop_id not in represented


def can_act_for_shop(
    actor: Actor, council_id: UUID, shop_id: UUID, represented: Collection[UUID]
) -> bool:
    """Only a verified representative of that shop speaks for it."""
    return can(actor, Action.ACT_FOR_SHOP, council_id) and shop_id in represented


def can_review_claim(
    actor: Actor, council_id: UUID, claimant_id: UUID, submitted_by_id: UUID | None
) -> bool:
    """A second pair of eyes: nobody approves points for themselves or a record of attendance
    they made (rule 12 by analogy)."""
    own = actor.person_id in (claimant_id, submitted_by_id)
    return can(actor, Action.REVIEW_POINTS, council_id) and not own


def acts_for(actor: Actor, council_id: UUID, department_id: UUID) -> bool:
    """A liaison acts on the orders of his own department, in a council it serves."""
    if not actor.signed_in:
        return False
    return actor.is_admin or department_id in actor.departments_in(council_id)


def may_verify(actor: Actor, council_id: UUID, raised_by: UUID | None) -> bool:
    """核查 and 评价: the facilitator, or the person who raised the matter. Whether the actor
    handled the order himself is the work-order state machine's rule."""
    if not actor.signed_in:
        return False
    return can(actor, Action.VERIFY_ORDERS, council_id) or (
        raised_by is not None and actor.person_id == raised_by
    )


def sees_reporter_contact(actor: Actor, council_id: UUID, department_id: UUID) -> bool:
    """Staff, and the liaison who must call the reporter back; never the public (rule 28)."""
    return can(actor, Action.VIEW_CONTACTS, council_id) or acts_for(
        actor, council_id, department_id
    )


def appointing_action(role: Role) -> Action:
    """The action that grants or ends ``role`` in a council."""
    return APPOINTED_BY.get(role, Action.MANAGE_MEMBERS)


def conflicting_role(held: Collection[Role], role: Role) -> Role | None:
    """A role in ``held`` that excludes taking ``role`` in the same council, if any."""
    return next((r for r in sorted(EXCLUSIVE_ROLES.get(role, ())) if r in held), None)


def can_see(
    actor: Actor, visibility: Visibility, council_id: UUID, owner_id: UUID | None = None
) -> bool:
    if visibility is Visibility.PUBLIC:
        return True
    if not actor.signed_in:
        return False
    if actor.is_admin:
        return True
    roles = actor.roles_in(council_id)
    if roles & STAFF_ROLES:
        return True
    if visibility is Visibility.OWNER:
        return owner_id is not None and owner_id == actor.person_id
    if visibility is Visibility.COUNCIL:
        return bool(roles)
    return False
