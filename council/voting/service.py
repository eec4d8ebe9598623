"""Ballots from draft to certified result, and casting votes. No HTTP here.

Every change locks the ballot row (FOR UPDATE on PostgreSQL; SQLite writers are serialised by
BEGIN IMMEDIATE), so a vote and a close never interleave: a vote either commits before the
close counts or is refused with "表决已结束" (rule 16, S3). The vote and its audit entry
commit together (S36).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person
from council.audit import service as audit
from council.councils.models import (
    ClaimStatus,
    Constituency,
    Council,
    Membership,
    Role,
    Shop,
    ShopRepresentative,
)
from council.councils.permissions import Action, Actor, Visibility, can, can_see
from council.councils.service import street_order
from council.errors import (
    Conflict,
    FormInvalid,
    NotAllowed,
    NotFound,
    TransitionRefused,
)
from council.i18n import N_, _
from council.notifications import events
from council.paging import page_of
from council.settings import Settings
from council.voting import closing, pipeline, workflow
from council.voting.models import (
    Ballot,
    BallotElector,
    BallotKind,
    BallotOption,
    BallotParticipation,
    Electorate,
    Method,
    SecretChoice,
    Vote,
)
from council.voting.pipeline import Receipt
from council.voting.schemas import THRESHOLDS, YES_NO_LABELS, BallotForm
from council.voting.tally import (
    ABSTAIN,
    BaseKind,
    PassingRule,
    QuorumRule,
    Result,
    Rules,
    tally,
)
from council.voting.workflow import Status

log = logging.getLogger("council.voting")
QUORUM_MEASURES = (BaseKind.PRESENT, BaseKind.CAST)

VISIBILITY = {
    Status.DRAFT: Visibility.STAFF,
    Status.OPEN: Visibility.COUNCIL,
    Status.CLOSED: Visibility.PUBLIC,
    Status.CERTIFIED: Visibility.PUBLIC,
}


# --- rules and options ----------------------------------------------------------------------


def rules_of(ballot: Ballot) -> Rules:
    quorum = None
    if ballot.quorum_num and ballot.quorum_den and ballot.quorum_measure:
        quorum = QuorumRule(
            THRESHOLDS[
                f"{ballot.quorum_num}/{ballot.quorum_den}{'>' if ballot.quorum_strict else '>='}"
            ],
            ballot.quorum_measure,
        )
    passing = PassingRule(
        THRESHOLDS[f"{ballot.pass_num}/{ballot.pass_den}{'>' if ballot.pass_strict else '>='}"],
        ballot.pass_base,
    )
    return Rules(passing=passing, quorum=quorum, multiple=ballot.multiple)


def rules_summary(ballot: Ballot) -> dict[str, Any]:
    rules = rules_of(ballot)
    return {
        "pass": rules.passing.threshold.key,
        "base": rules.passing.base.value,
        "quorum": rules.quorum.threshold.key if rules.quorum else None,
        "quorum_measure": rules.quorum.measure.value if rules.quorum else None,
        "multiple": ballot.multiple,
        "method": ballot.method.value,
        "allow_change": ballot.allow_change,
    }


async def options_of(db: AsyncSession, ballot: Ballot) -> list[BallotOption]:
    stmt = (
        sa.select(BallotOption)
        .where(BallotOption.ballot_id == ballot.id, BallotOption.council_id == ballot.council_id)
        .order_by(BallotOption.position)
    )
    return list((await db.execute(stmt)).scalars())


def _option_rows(form: BallotForm) -> list[tuple[str, str]]:
    if form.kind is BallotKind.YES_NO:
        return [(code, label) for code, label in YES_NO_LABELS.items()]
    labels = [line.strip() for line in form.options.splitlines() if line.strip()]
    if len(labels) < 2:
        raise FormInvalid({"options": _("请至少填写两个选项，每行一个")}, _values(form))
    if len(labels) > 20 or any(len(label) > 200 for label in labels):
        raise FormInvalid({"options": _("最多 20 个选项，每个不超过 200 字")}, _values(form))
    if len(set(labels)) != len(labels):
        raise FormInvalid({"options": _("选项不能重复")}, _values(form))
    return [(f"o{i}", label) for i, label in enumerate(labels, 1)] + [
        (ABSTAIN, YES_NO_LABELS[ABSTAIN])
    ]


def _values(form: BallotForm) -> dict[str, Any]:
    return {
        f: getattr(form, f).value if hasattr(getattr(form, f), "value") else getattr(form, f)
        for f in form.__struct_fields__
    }


def _local(value: str, council: Council) -> dt.datetime | None:
    if not value:
        return None
    naive = dt.datetime.fromisoformat(value)
    return naive.replace(tzinfo=ZoneInfo(council.timezone)).astimezone(dt.UTC)


# --- reads ----------------------------------------------------------------------------------


def visible(actor: Actor, ballot: Ballot) -> bool:
    return can_see(actor, VISIBILITY[ballot.status], ballot.council_id)


async def get(
    db: AsyncSession, actor: Actor, council: Council, ballot_id: UUID, *, lock: bool = False
) -> Ballot:
    """The ballot if this person may see it (404 otherwise); ``lock`` takes the row lock."""
    stmt = sa.select(Ballot).where(Ballot.id == ballot_id, Ballot.council_id == council.id)
    if lock:
        # populate_existing: after waiting for the lock, read what the last holder committed.
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    ballot = await db.scalar(stmt)
    if ballot is None or not visible(actor, ballot):
        raise NotFound(_("找不到这个表决"))
    return ballot


def _visible_ballots(actor: Actor, council: Council) -> sa.Select[Any]:
    shown = [status for status, seen in VISIBILITY.items() if can_see(actor, seen, council.id)]
    return sa.select(Ballot).where(Ballot.council_id == council.id, Ballot.status.in_(shown))


async def list_ballots(db: AsyncSession, actor: Actor, council: Council) -> list[Ballot]:
    """Every ballot this person may see, newest first."""
    stmt = _visible_ballots(actor, council).order_by(Ballot.created_at.desc(), Ballot.id.desc())
    return list((await db.execute(stmt)).scalars())


async def ballot_page(
    db: AsyncSession, actor: Actor, council: Council, *, after: UUID | None = None
) -> tuple[list[Ballot], UUID | None]:
    """The ballots this person may see, newest first, a page at a time; and the ballot to
    continue after."""
    stmt = _visible_ballots(actor, council)
    found = await page_of(db, stmt, order=[Ballot.created_at], ident=Ballot.id, after=after)
    return [row[0] for row in found.rows], found.next


NOT_PRESENT = N_("表决开启时您尚未签到，不能参加本次表决")


def present_only(ballot: Ballot) -> bool:
    """Rule 14: a ballot that took who was present (实到) when it opened (a meeting vote, or
    one whose base or quorum is 实到) is cast by those present alone, so that no count can
    exceed its base."""
    return ballot.present_count is not None


def may_cast(ballot: Ballot, elector: BallotElector) -> bool:
    return elector.present or not present_only(ballot)


@dataclass(frozen=True)
class Seat:
    """One vote this person holds on a ballot: their own, or a shop's they represent.
    ``absent``: on the electorate, but not present when a present-only ballot opened."""

    voter_key: str
    label: str
    shop_id: UUID | None
    voted: bool
    receipt: str | None = None
    choices: tuple[str, ...] = ()
    absent: bool = False


async def seats(db: AsyncSession, actor: Actor, ballot: Ballot) -> list[Seat]:
    if not actor.signed_in or ballot.status is Status.DRAFT:
        return []
    electors = await _electors_for(db, actor, ballot)
    keys = [e.voter_key for e in electors]
    if ballot.method is Method.NAMED:
        votes = {
            v.voter_key: v
            for v in (
                await db.execute(
                    sa.select(Vote).where(Vote.ballot_id == ballot.id, Vote.voter_key.in_(keys))
                )
            ).scalars()
        }
    else:
        voted = set(
            (
                await db.execute(
                    sa.select(BallotParticipation.voter_key).where(
                        BallotParticipation.ballot_id == ballot.id,
                        BallotParticipation.voter_key.in_(keys),
                    )
                )
            ).scalars()
        )
    found: list[Seat] = []
    for elector in electors:
        absent = not may_cast(ballot, elector)
        if ballot.method is Method.NAMED:
            vote = votes.get(elector.voter_key)
            found.append(
                Seat(
                    elector.voter_key,
                    elector.label,
                    elector.shop_id,
                    vote is not None,
                    vote.receipt if vote else None,
                    tuple(vote.choices.split(",")) if vote else (),
                    absent=absent,
                )
            )
        else:
            found.append(
                Seat(
                    elector.voter_key,
                    elector.label,
                    elector.shop_id,
                    elector.voter_key in voted,
                    absent=absent,
                )
            )
    return found


async def _electors_for(db: AsyncSession, actor: Actor, ballot: Ballot) -> list[BallotElector]:
    """The frozen electorate's seats this person holds now (shops: as a verified rep)."""
    if ballot.electorate is Electorate.SHOPS:
        my_shops = sa.select(ShopRepresentative.shop_id).where(
            ShopRepresentative.council_id == ballot.council_id,
            ShopRepresentative.person_id == actor.person_id,
            ShopRepresentative.status == ClaimStatus.VERIFIED,
        )
        condition = BallotElector.shop_id.in_(my_shops)
    else:
        condition = BallotElector.person_id == actor.person_id
    stmt = (
        sa.select(BallotElector)
        .where(BallotElector.ballot_id == ballot.id, condition)
        .order_by(BallotElector.label)
    )
    return list((await db.execute(stmt)).scalars())


async def electorate(db: AsyncSession, ballot: Ballot) -> list[BallotElector]:
    stmt = (
        sa.select(BallotElector)
        .where(BallotElector.ballot_id == ballot.id)
        .order_by(BallotElector.label)
    )
    return list((await db.execute(stmt)).scalars())


@dataclass(frozen=True)
class Prospect:
    voter_key: str
    label: str
    person_id: UUID | None
    shop_id: UUID | None


async def prospective_electorate(db: AsyncSession, ballot: Ballot) -> list[Prospect]:
    """Who would be eligible if the ballot opened now (rule 19: observers never are)."""
    spec = json.loads(ballot.electorate_spec or "[]")
    if ballot.electorate is Electorate.SHOPS:
        rows = await db.execute(
            sa.select(Shop)
            .where(
                Shop.council_id == ballot.council_id,
                sa.exists().where(
                    ShopRepresentative.shop_id == Shop.id,
                    ShopRepresentative.status == ClaimStatus.VERIFIED,
                ),
            )
            .order_by(Shop.number)
        )
        shops = sorted(rows.scalars(), key=lambda s: street_order(s.number))
        return [
            Prospect(
                f"s:{s.id.hex}",
                _("%(number)s 号 %(name)s", number=s.number, name=s.name),
                None,
                s.id,
            )
            for s in shops
        ]
    stmt = (
        sa.select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .where(
            Membership.council_id == ballot.council_id,
            Membership.status == ClaimStatus.VERIFIED,
        )
        .distinct()
    )
    if ballot.electorate is Electorate.MEMBERS:
        stmt = stmt.where(Membership.role == Role.MEMBER)
    elif ballot.electorate is Electorate.CONSTITUENCIES:
        ids = [UUID(x) for x in spec]
        stmt = stmt.where(Membership.role == Role.MEMBER, Membership.constituency_id.in_(ids))
    else:
        ids = [UUID(x) for x in spec]
        stmt = stmt.where(Membership.role != Role.OBSERVER, Person.id.in_(ids))
    people = sorted((await db.execute(stmt)).scalars(), key=lambda p: p.display_name)
    return [Prospect(f"p:{p.id.hex}", p.display_name, p.id, None) for p in people]


# --- drafting -------------------------------------------------------------------------------


async def _electorate_spec(
    db: AsyncSession, council: Council, form: BallotForm, constituency_ids: Sequence[str]
) -> str:
    if form.electorate is Electorate.CONSTITUENCIES:
        wanted = set()
        for value in constituency_ids:
            try:
                wanted.add(UUID(value))
            except ValueError:
                continue
        found = (
            await db.execute(
                sa.select(Constituency.id).where(
                    Constituency.council_id == council.id, Constituency.id.in_(wanted)
                )
            )
        ).scalars()
        ids = sorted(c.hex for c in found)
        if not ids or len(ids) != len(wanted):
            raise FormInvalid({"constituency_ids": _("请选择本议事会的界别")}, _values(form))
        return json.dumps(ids)
    if form.electorate is Electorate.LISTED:
        logins = sorted(
            {x.strip().lower() for x in form.listed.replace(",", "\n").splitlines() if x.strip()}
        )
        if not logins:
            raise FormInvalid({"listed": _("请填写投票人的账号，每行一个")}, _values(form))
        rows = await db.execute(
            sa.select(Person.login, Person.id, Membership.role)
            .join(Membership, Membership.person_id == Person.id)
            .where(
                Person.login.in_(logins),
                Membership.council_id == council.id,
                Membership.status == ClaimStatus.VERIFIED,
            )
        )
        voters: dict[str, UUID] = {}
        seen = set()
        for login, person_id, role in rows:
            seen.add(login)
            if role is not Role.OBSERVER:
                voters[login] = person_id
        unknown = [x for x in logins if x not in seen]
        observers = [x for x in logins if x in seen and x not in voters]
        if unknown:
            message = _("这些账号不是本议事会的成员：%(logins)s", logins="、".join(unknown))
            raise FormInvalid({"listed": message}, _values(form))
        if observers:
            message = _("列席人员不能投票：%(logins)s", logins="、".join(observers))
            raise FormInvalid({"listed": message}, _values(form))
        return json.dumps(sorted(p.hex for p in voters.values()))
    return "[]"


def _apply(ballot: Ballot, form: BallotForm, council: Council, spec: str) -> None:
    if form.method is Method.SECRET and form.allow_change:
        # Changing a secret vote would need a link from the person to their choice.
        raise FormInvalid({"allow_change": _("无记名表决不能改票")}, _values(form))
    if form.quorum_rule and form.quorum_measure not in QUORUM_MEASURES:
        raise FormInvalid({"quorum_measure": _("法定人数按实到或投票人数计算")}, _values(form))
    passing = THRESHOLDS.get(form.pass_rule)
    quorum = THRESHOLDS.get(form.quorum_rule) if form.quorum_rule else None
    if passing is None or (form.quorum_rule and quorum is None):
        raise FormInvalid({"pass_rule": _("请选择通过规则")}, _values(form))
    opens_at, closes_at = _local(form.opens_at, council), _local(form.closes_at, council)
    if opens_at and closes_at and closes_at <= opens_at:
        raise FormInvalid({"closes_at": _("截止时间须晚于开始时间")}, _values(form))
    ballot.question = form.question
    ballot.description = form.description
    ballot.kind = form.kind
    ballot.multiple = form.multiple and form.kind is BallotKind.OPTIONS
    ballot.electorate = form.electorate
    ballot.electorate_spec = spec
    ballot.method = form.method
    ballot.allow_change = form.allow_change
    ballot.pass_num, ballot.pass_den, ballot.pass_strict = (
        passing.numerator,
        passing.denominator,
        passing.strict,
    )
    ballot.pass_base = form.pass_base
    if quorum is None:
        ballot.quorum_num = ballot.quorum_den = ballot.quorum_strict = None
        ballot.quorum_measure = None
    else:
        ballot.quorum_num, ballot.quorum_den, ballot.quorum_strict = (
            quorum.numerator,
            quorum.denominator,
            quorum.strict,
        )
        ballot.quorum_measure = form.quorum_measure
    ballot.opens_at, ballot.closes_at = opens_at, closes_at


def _require_manage(actor: Actor, council: Council) -> None:
    if not can(actor, Action.MANAGE_BALLOTS, council.id):
        raise NotAllowed(_("只有主持人可以管理表决"))


async def _audit(
    db: AsyncSession,
    actor: Actor,
    ballot: Ballot,
    action: str,
    summary: Mapping[str, Any],
    now: dt.datetime,
) -> None:
    await audit.record_by(db, actor, ballot.council_id, action, ("ballot", ballot.id), summary, now)


async def create(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    form: BallotForm,
    now: dt.datetime,
    *,
    constituency_ids: Sequence[str] = (),
    corrects: Ballot | None = None,
) -> Ballot:
    _require_manage(actor, council)
    spec = await _electorate_spec(db, council, form, constituency_ids)
    ballot = Ballot(council_id=council.id, status=Status.DRAFT, created_by_id=actor.person_id)
    _apply(ballot, form, council, spec)
    options = _option_rows(form)
    if corrects is not None:
        if corrects.status is not Status.CERTIFIED:
            raise TransitionRefused(_("只有已认证的结果需要以新表决更正"))
        ballot.corrects_id = corrects.id
    db.add(ballot)
    await db.flush()
    _add_options(db, ballot, options)
    await _audit(
        db,
        actor,
        ballot,
        "ballot.created",
        {
            "question": ballot.question,
            "rules": rules_summary(ballot),
            "electorate": ballot.electorate.value,
            "corrects": ballot.corrects_id.hex if ballot.corrects_id else None,
        },
        now,
    )
    return ballot


def _add_options(db: AsyncSession, ballot: Ballot, options: Sequence[tuple[str, str]]) -> None:
    for position, (code, label) in enumerate(options):
        db.add(
            BallotOption(
                council_id=ballot.council_id,
                ballot_id=ballot.id,
                code=code,
                label=label,
                position=position,
            )
        )


async def update_draft(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    ballot_id: UUID,
    form: BallotForm,
    now: dt.datetime,
    *,
    constituency_ids: Sequence[str] = (),
) -> Ballot:
    """Question, choices, rules and electorate change only while a draft (S5)."""
    _require_manage(actor, council)
    ballot = await get(db, actor, council, ballot_id, lock=True)
    if not workflow.editable(ballot.status):
        log.warning("refused change to opened ballot %s by %s", ballot.id, actor.person_id)
        raise TransitionRefused(_("表决已开启，问题、选项、规则和投票人名单都不能再修改"))
    spec = await _electorate_spec(db, council, form, constituency_ids)
    _apply(ballot, form, council, spec)
    options = _option_rows(form)
    await db.execute(sa.delete(BallotOption).where(BallotOption.ballot_id == ballot.id))
    _add_options(db, ballot, options)
    await db.flush()
    await _audit(
        db,
        actor,
        ballot,
        "ballot.edited",
        {"question": ballot.question, "rules": rules_summary(ballot)},
        now,
    )
    return ballot


def _facts(ballot: Ballot, now: dt.datetime, **extra: Any) -> workflow.Facts:
    return workflow.Facts(
        status=ballot.status,
        opens_at=ballot.opens_at,
        closes_at=ballot.closes_at,
        now=now,
        has_result=ballot.closing_hash is not None,
        needs_present=rules_of(ballot).needs_present,
        **extra,
    )


async def open_ballot(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    ballot_id: UUID,
    now: dt.datetime,
    *,
    present: Collection[str] | None = None,
) -> Ballot:
    """Freeze the electorate (应到) and, for meeting votes, who is present (实到, rule 14)."""
    _require_manage(actor, council)
    ballot = await get(db, actor, council, ballot_id, lock=True)
    prospects = await prospective_electorate(db, ballot)
    keys = {p.voter_key for p in prospects}
    present_keys = set(present or ()) & keys
    facts = _facts(
        ballot,
        now,
        choices=len([o for o in await options_of(db, ballot) if o.code != ABSTAIN]),
        electorate=len(prospects),
        present_given=present is not None and bool(present_keys),
    )
    ballot.status = workflow.advance(facts, Status.OPEN)
    forget(ballot.id)
    for p in prospects:
        db.add(
            BallotElector(
                council_id=ballot.council_id,
                ballot_id=ballot.id,
                voter_key=p.voter_key,
                person_id=p.person_id,
                shop_id=p.shop_id,
                label=p.label,
                present=p.voter_key in present_keys,
            )
        )
    ballot.opened_at = now
    ballot.eligible_count = len(prospects)
    ballot.present_count = len(present_keys) if present is not None else None
    await db.flush()
    await _audit(
        db,
        actor,
        ballot,
        "ballot.opened",
        {
            "eligible": ballot.eligible_count,
            "present": ballot.present_count,
            "rules": rules_summary(ballot),
        },
        now,
    )
    await events.ballot_opened(db, council, ballot, now)
    return ballot


async def reset(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    ballot_id: UUID,
    reason: str,
    now: dt.datetime,
) -> Ballot:
    """Take an opened ballot nobody has voted on back to draft, so that its question, choices,
    rules or electorate can be put right (S5); the electorate frozen at opening is released.
    The reset and its reason are an audit entry of their own."""
    _require_manage(actor, council)
    ballot = await get(db, actor, council, ballot_id, lock=True)
    votes = await participation_count(db, ballot)
    ballot.status = workflow.advance(_facts(ballot, now, votes=votes), Status.DRAFT)
    forget(ballot.id)
    await db.execute(sa.delete(BallotElector).where(BallotElector.ballot_id == ballot.id))
    opened = {"eligible": ballot.eligible_count, "present": ballot.present_count}
    ballot.opened_at = None
    ballot.eligible_count = None
    ballot.present_count = None
    await db.flush()
    await _audit(db, actor, ballot, "ballot.reset", {**opened, "reason": reason}, now)
    return ballot


# --- casting --------------------------------------------------------------------------------


def format_receipt(receipt: str) -> str:
    return "-".join(receipt[i : i + 4] for i in range(0, len(receipt), 4))


def _chosen(ballot: Ballot, codes: frozenset[str], submitted: Any) -> tuple[str, ...]:
    """The submitted codes, exactly as offered on this ballot, or 422 with nothing stored."""
    values = (
        submitted if isinstance(submitted, list) else ([] if submitted is None else [submitted])
    )
    if not values:
        raise FormInvalid({"choice": _("请选择一项")})
    if any(not isinstance(v, str) or v not in codes for v in values) or len(set(values)) != len(
        values
    ):
        raise FormInvalid({"choice": _("选项无效，请从本表决的选项中选择")})
    if ABSTAIN in values and len(values) > 1:
        raise FormInvalid({"choice": _("弃权不能与其他选项同时选择")})
    if len(values) > 1 and not ballot.multiple:
        raise FormInvalid({"choice": _("本表决只能选择一项")})
    return tuple(sorted(values))


async def cast(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    ballot_id: UUID,
    data: Mapping[str, Any],
    now: dt.datetime,
    *,
    per_hour: int = Settings.votes_per_person_hour,
    writer: pipeline.VoteWriter | None = None,
) -> Receipt:
    """Record the signed-in person's vote (or their shop's). The person is never read from the
    form (S9); a shop field is honoured only when it names a shop this person represents.
    At most ``per_hour`` accepted votes (changes included) per person in any hour: counted per
    person, never per address, so a council voting from one office is never held back (S40).

    Everything a read can check is checked here, without the write lock; the vote is then
    written by ``writer`` (the process's vote writer, in a batch of its own transaction) or,
    without one, in the caller's transaction."""
    fresh = False
    while True:
        vote = await checked_vote(
            db, actor, council, ballot_id, data, now, per_hour=per_hour, fresh=fresh
        )
        try:
            if writer is None:
                return await pipeline.write_one(db, vote)
            return await writer.submit(db, vote)
        except pipeline.Reopened:
            log.info("ballot %s was opened again while a vote was checked", ballot_id)
            forget(ballot_id)
            fresh = True


@dataclass(frozen=True)
class _Opened:
    """An open ballot as it stands for its whole opening: question, rules, electorate and
    options are fixed from opening to close or reset."""

    ballot: Ballot
    codes: frozenset[str]


# Open ballots by id, in this process, for the checks a vote makes before it is written. A
# status change made here forgets its ballot; one made by another process is found by the
# writer, which reads status and opening time under the lock and refuses or sends the vote
# back to be checked afresh (``pipeline.Reopened``).
_opened: dict[UUID, _Opened] = {}
OPENED_KEPT = 1024


def forget(ballot_id: UUID) -> None:
    _opened.pop(ballot_id, None)


async def _open_ballot_of(
    db: AsyncSession, actor: Actor, council: Council, ballot_id: UUID, *, fresh: bool
) -> _Opened:
    known = None if fresh else _opened.get(ballot_id)
    if known is not None and known.ballot.council_id == council.id:
        if not visible(actor, known.ballot):
            raise NotFound(_("找不到这个表决"))
        return known
    ballot = await get(db, actor, council, ballot_id)
    found = _Opened(ballot, frozenset(o.code for o in await options_of(db, ballot)))
    if ballot.status is Status.OPEN:
        # Out of the session: its rollback (any refused request) would expire the columns
        # that other requests read from the kept ballot.
        db.expunge(ballot)
        if len(_opened) >= OPENED_KEPT:
            _opened.clear()
        _opened[ballot.id] = found
    return found


async def checked_vote(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    ballot_id: UUID,
    data: Mapping[str, Any],
    now: dt.datetime,
    *,
    per_hour: int,
    fresh: bool = False,
) -> pipeline.Cast:
    """The vote as the form asks for it, if every check a read can make lets it through;
    the writer checks the rest under the lock (ballot still open, the hourly quota, S1)."""
    if not actor.signed_in or actor.person_id is None:
        raise NotAllowed(_("请先登录"))
    try:
        opened = await _open_ballot_of(db, actor, council, ballot_id, fresh=fresh)
    except NotFound:
        # A draft looks missing to voters; the refusal is still worth a line (S4).
        log.warning("vote refused on unseen ballot %s by %s", ballot_id, actor.person_id)
        raise
    ballot, codes = opened.ballot, opened.codes
    try:
        workflow.check_cast(_facts(ballot, now))
    except Conflict:
        log.warning("vote refused on %s ballot %s by %s", ballot.status, ballot.id, actor.person_id)
        raise
    electors = await _electors_for(db, actor, ballot)
    if not electors:
        log.warning("vote refused outside the electorate of %s by %s", ballot.id, actor.person_id)
        raise NotAllowed(_("您不在本次表决的投票人名单中"))
    electors = [e for e in electors if may_cast(ballot, e)]
    if not electors:
        log.warning("vote refused, not present at opening of %s", ballot.id)
        raise NotAllowed(_(NOT_PRESENT))
    wanted_shop = data.get("shop")
    if wanted_shop:
        electors = [e for e in electors if e.shop_id and e.shop_id.hex == wanted_shop]
        if not electors:
            log.warning("vote for another shop refused on %s by %s", ballot.id, actor.person_id)
            raise NotAllowed(_("您不能代表这家店铺投票"))
    elector = electors[0]
    return pipeline.Cast(
        council_id=ballot.council_id,
        slug=council.slug,
        ballot_id=ballot.id,
        opened_at=ballot.opened_at,
        secret=ballot.method is Method.SECRET,
        allow_change=ballot.allow_change,
        person_id=actor.person_id,
        person_label=actor.display_name,
        voter_key=elector.voter_key,
        voter_label=elector.label,
        shop_id=elector.shop_id,
        choices=_chosen(ballot, codes, data.get("choice")),
        now=now,
        per_hour=per_hour,
    )


# --- counting, closing, certifying ------------------------------------------------------------


async def counted(db: AsyncSession, ballot: Ballot) -> list[tuple[str, ...]]:
    if ballot.method is Method.NAMED:
        rows = await db.execute(sa.select(Vote.choices).where(Vote.ballot_id == ballot.id))
    else:
        rows = await db.execute(
            sa.select(SecretChoice.choices).where(SecretChoice.ballot_id == ballot.id)
        )
    return [tuple(c.split(",")) for (c,) in rows]


async def participation_count(db: AsyncSession, ballot: Ballot) -> int:
    model = Vote if ballot.method is Method.NAMED else BallotParticipation
    return int(
        await db.scalar(sa.select(sa.func.count(model.id)).where(model.ballot_id == ballot.id)) or 0
    )


async def count(db: AsyncSession, ballot: Ballot) -> Result:
    options = [o.code for o in await options_of(db, ballot) if o.code != ABSTAIN]
    return tally(
        await counted(db, ballot),
        options=options,
        rules=rules_of(ballot),
        eligible=ballot.eligible_count or 0,
        present=ballot.present_count,
    )


async def live_record(
    db: AsyncSession, ballot: Ballot, result: Mapping[str, Any]
) -> dict[str, Any]:
    """The closing record rebuilt from the rows as they are now."""
    electors = [(e.voter_key, e.label, e.present) for e in await electorate(db, ballot)]
    options = [(o.code, o.label) for o in await options_of(db, ballot)]
    header = {
        "id": ballot.id.hex,
        "council": ballot.council_id.hex,
        "question": ballot.question,
        "options": options,
        "rules": rules_summary(ballot),
        "eligible": ballot.eligible_count,
        "present": ballot.present_count,
    }
    if ballot.method is Method.NAMED:
        votes = await db.execute(
            sa.select(Vote.voter_key, Vote.choices, Vote.receipt).where(Vote.ballot_id == ballot.id)
        )
        return closing.build_record(
            ballot=header, electorate=electors, named_votes=[tuple(v) for v in votes], result=result
        )
    keys = await db.execute(
        sa.select(BallotParticipation.voter_key).where(BallotParticipation.ballot_id == ballot.id)
    )
    choices = await db.execute(
        sa.select(SecretChoice.receipt, SecretChoice.choices).where(
            SecretChoice.ballot_id == ballot.id
        )
    )
    return closing.build_record(
        ballot=header,
        electorate=electors,
        participation=[k for (k,) in keys],
        secret_choices=[tuple(c) for c in choices],
        result=result,
    )


async def _rewrite_secret_choices(db: AsyncSession, ballot: Ballot) -> None:
    """Rewrite the choice rows in receipt order: storage order then says nothing about the
    order in which people voted (participation keeps that order)."""
    rows = (
        await db.execute(
            sa.select(SecretChoice.id, SecretChoice.choices, SecretChoice.receipt).where(
                SecretChoice.ballot_id == ballot.id
            )
        )
    ).all()
    await db.execute(sa.delete(SecretChoice).where(SecretChoice.ballot_id == ballot.id))
    ordered = sorted(rows, key=lambda r: r.receipt)
    if ordered:
        await db.execute(
            sa.insert(SecretChoice),
            [
                {
                    "id": r.id,
                    "council_id": ballot.council_id,
                    "ballot_id": ballot.id,
                    "choices": r.choices,
                    "receipt": r.receipt,
                }
                for r in ordered
            ],
        )


def stored_result(ballot: Ballot) -> dict[str, Any]:
    return json.loads(ballot.result or "{}")


async def close(
    db: AsyncSession, actor: Actor, council: Council, ballot_id: UUID, now: dt.datetime
) -> Ballot:
    """Count and seal. Idempotent: a second close returns the result of the first."""
    _require_manage(actor, council)
    ballot = await get(db, actor, council, ballot_id, lock=True)
    if ballot.status in (Status.CLOSED, Status.CERTIFIED):
        return ballot
    ballot.status = workflow.advance(_facts(ballot, now), Status.CLOSED)
    forget(ballot.id)
    if ballot.method is Method.SECRET:
        await _rewrite_secret_choices(db, ballot)
    result = (await count(db, ballot)).as_dict()
    record = await live_record(db, ballot, result)
    ballot.result = json.dumps(result, ensure_ascii=False, sort_keys=True)
    ballot.counted_record = closing.canonical_json(record)
    ballot.closing_hash = closing.closing_hash(record)
    ballot.closed_at = now
    await db.flush()
    await _audit(
        db,
        actor,
        ballot,
        "ballot.closed",
        {
            "passed": result["passed"],
            "counts": result["counts"],
            "cast": result["cast"],
            "eligible": result["eligible"],
            "closing_hash": ballot.closing_hash,
        },
        now,
    )
    await events.ballot_closed(db, council, ballot, now)
    return ballot


@dataclass(frozen=True)
class BallotVerdict:
    ballot_id: UUID
    ok: bool
    problems: tuple[str, ...]

    def describe(self) -> str:
        return f"ballot {self.ballot_id.hex}: " + ("ok" if self.ok else "; ".join(self.problems))


async def verify(
    db: AsyncSession, ballot: Ballot, published_hash: str | None = None
) -> BallotVerdict:
    """Recompute the closing record from the rows and name every one that changed (S6, S7)."""
    if ballot.closing_hash is None or ballot.counted_record is None:
        return BallotVerdict(ballot.id, True, ())
    problems: list[str] = []
    stored = json.loads(ballot.counted_record)
    expected = published_hash or ballot.closing_hash
    if closing.closing_hash(stored) != expected:
        problems.append("closing record: does not match the closing hash")
    # Through JSON and back, so that the live record compares like the stored one.
    live = json.loads(closing.canonical_json(await live_record(db, ballot, stored["result"])))
    problems += closing.differences(stored, live)
    return BallotVerdict(ballot.id, not problems, tuple(problems))


async def certify(
    db: AsyncSession, actor: Actor, council: Council, ballot_id: UUID, now: dt.datetime
) -> Ballot:
    _require_manage(actor, council)
    ballot = await get(db, actor, council, ballot_id, lock=True)
    ballot.status, previous = workflow.advance(_facts(ballot, now), Status.CERTIFIED), ballot.status
    verdict = await verify(db, ballot)
    if not verdict.ok:
        ballot.status = previous
        raise TransitionRefused(_("计票记录与关闭时不一致，不能认证"), verdict.problems)
    ballot.certified_at = now
    await db.flush()
    await _audit(db, actor, ballot, "ballot.certified", {"closing_hash": ballot.closing_hash}, now)
    return ballot


async def correct(
    db: AsyncSession, actor: Actor, council: Council, ballot_id: UUID, now: dt.datetime
) -> Ballot:
    """A certified result is never edited: a correction is a new draft pointing at it."""
    _require_manage(actor, council)
    old = await get(db, actor, council, ballot_id)
    options = [o for o in await options_of(db, old) if o.code != ABSTAIN]
    rules = rules_of(old)
    form = BallotForm(
        question=old.question,
        description=old.description,
        kind=old.kind,
        options="\n".join(o.label for o in options) if old.kind is BallotKind.OPTIONS else "",
        multiple=old.multiple,
        electorate=old.electorate,
        method=old.method,
        allow_change=old.allow_change,
        pass_rule=rules.passing.threshold.key,
        pass_base=rules.passing.base,
        quorum_rule=rules.quorum.threshold.key if rules.quorum else "",
        quorum_measure=rules.quorum.measure if rules.quorum else BaseKind.CAST,
    )
    spec = json.loads(old.electorate_spec or "[]")
    if old.electorate is Electorate.LISTED:
        logins = (
            await db.execute(sa.select(Person.login).where(Person.id.in_([UUID(x) for x in spec])))
        ).scalars()
        form = BallotForm(**{**_values(form), "listed": "\n".join(logins)})
    return await create(db, actor, council, form, now, constituency_ids=spec, corrects=old)


async def corrections(db: AsyncSession, actor: Actor, ballot: Ballot) -> list[Ballot]:
    """The ballots that correct this one (rule 9), as far as this person may see them."""
    rows = await db.execute(
        sa.select(Ballot)
        .where(Ballot.corrects_id == ballot.id, Ballot.council_id == ballot.council_id)
        .order_by(Ballot.created_at)
    )
    return [b for b in rows.scalars() if visible(actor, b)]


async def receipts(db: AsyncSession, ballot: Ballot) -> list[tuple[str, str, str]]:
    """Named: (voter, choices, receipt) per vote. Secret: ("", "", receipt), receipts only."""
    if ballot.method is Method.NAMED:
        rows = await db.execute(
            sa.select(BallotElector.label, Shop.number, Vote.choices, Vote.receipt)
            .join(
                BallotElector,
                sa.and_(
                    BallotElector.ballot_id == Vote.ballot_id,
                    BallotElector.voter_key == Vote.voter_key,
                ),
            )
            .outerjoin(Shop, Shop.id == BallotElector.shop_id)
            .where(Vote.ballot_id == ballot.id)
        )
        # Shops in street order (a label "10 号 …" sorts before "2 号 …" as text), people
        # by name.
        ordered = sorted(rows, key=lambda r: (street_order(r.number or ""), r.label))
        return [(r.label, r.choices, r.receipt) for r in ordered]
    rows = await db.execute(
        sa.select(SecretChoice.receipt)
        .where(SecretChoice.ballot_id == ballot.id)
        .order_by(SecretChoice.receipt)
    )
    return [("", "", r) for (r,) in rows]
