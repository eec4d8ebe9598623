"""Adoption by ballot (公约表决制): a version goes to a vote of the chosen electorate through
the voting service, and the certified result decides it. No HTTP here.

The ballot is created, opened, closed and certified by ``council.voting.service`` itself, so
its rules, the frozen electorate and the closing hash are those of every other vote; this
module only links the ballot to the version and records what its result means.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.conventions import workflow
from council.conventions.drafting import supersede_replaced
from council.conventions.models import ConventionFiling, ConventionVersion
from council.conventions.schemas import VOTE_BASES, VOTE_ELECTORATES, FilingForm, VoteForm
from council.conventions.service import (
    audit_version,
    facts_for,
    get_version,
    lock_convention,
    require_manage,
    versions,
)
from council.conventions.workflow import VersionStatus
from council.councils.models import Council
from council.councils.permissions import Actor
from council.errors import Conflict, FormInvalid, TransitionRefused
from council.i18n import _
from council.voting import service as voting
from council.voting.models import Ballot, BallotKind, Method
from council.voting.schemas import BallotForm
from council.voting.workflow import Status as BallotStatus


@dataclass(frozen=True)
class VoteRecord:
    """The ballot that decided (or is deciding) a version, as the public sees it."""

    ballot: Ballot
    result: dict[str, Any]
    counts: dict[str, int]
    base_label: str
    electorate_label: str


async def vote_of(db: AsyncSession, version: ConventionVersion) -> VoteRecord | None:
    if version.ballot_id is None:
        return None
    ballot = await db.get(Ballot, version.ballot_id)
    if ballot is None:
        return None
    result = voting.stored_result(ballot)
    return VoteRecord(
        ballot,
        result,
        {k: int(v) for k, v in result.get("counts", {}).items()},
        _(VOTE_BASES.get(voting.rules_of(ballot).passing.base, "")),
        _(VOTE_ELECTORATES.get(ballot.electorate, "")),
    )


def ballot_question(title: str, number: int) -> str:
    return _("是否通过《%(title)s》（第 %(n)s 版）", title=title, n=number)


async def put_to_vote(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    convention_id: UUID,
    number: int,
    form: VoteForm,
    now: dt.datetime,
) -> ConventionVersion:
    """Create and open the adopting ballot through the voting service (electorate frozen)."""
    require_manage(actor, council)
    if form.electorate not in VOTE_ELECTORATES:
        raise FormInvalid({"electorate": _("请选择表决范围")})
    if form.pass_base not in VOTE_BASES:
        raise FormInvalid({"pass_base": _("请选择计算基数")})
    convention, version = await get_version(db, actor, council, convention_id, number, lock=True)
    await lock_convention(db, convention)
    target = workflow.advance(await facts_for(db, version, now), VersionStatus.VOTING)
    ballot_form = BallotForm(
        question=ballot_question(version.title, version.number),
        description=_("表决对象为本版公约全文；各版本修订对照和征求意见记录见公约页面。"),
        kind=BallotKind.YES_NO,
        electorate=form.electorate,
        method=Method.NAMED,
        pass_rule=form.pass_rule,
        pass_base=form.pass_base,
        closes_at=form.closes_at,
    )
    ballot = await voting.create(db, actor, council, ballot_form, now)
    ballot = await voting.open_ballot(db, actor, council, ballot.id, now)
    version.ballot_id = ballot.id
    version.status = target
    version.published_at = version.published_at or now
    await db.flush()
    await supersede_replaced(db, actor, version, now)
    await audit_version(
        db,
        actor,
        version,
        "convention.put_to_vote",
        {
            "ballot": ballot.id.hex,
            "electorate": ballot.electorate.value,
            "eligible": ballot.eligible_count,
            "rules": voting.rules_summary(ballot),
        },
        now,
    )
    return version


async def close_vote(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    convention_id: UUID,
    number: int,
    now: dt.datetime,
) -> ConventionVersion:
    """End the adopting ballot and count it (the voting service seals the result)."""
    require_manage(actor, council)
    _convention, version = await get_version(db, actor, council, convention_id, number)
    if version.status is not VersionStatus.VOTING or version.ballot_id is None:
        raise TransitionRefused(
            _("这一版本不在表决中（当前：%(s)s）", s=workflow.label(version.status))
        )
    await voting.close(db, actor, council, version.ballot_id, now)
    return version


async def record_result(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    convention_id: UUID,
    number: int,
    now: dt.datetime,
) -> ConventionVersion:
    """Certify the closed ballot (if not yet) and let its result decide the version: passed →
    adopted and published, the earlier adopted version superseded; failed → not adopted."""
    require_manage(actor, council)
    convention, version = await get_version(db, actor, council, convention_id, number, lock=True)
    await lock_convention(db, convention)
    if version.status is not VersionStatus.VOTING or version.ballot_id is None:
        raise TransitionRefused(
            _("这一版本不在表决中（当前：%(s)s）", s=workflow.label(version.status))
        )
    ballot = await voting.get(db, actor, council, version.ballot_id, lock=True)
    if ballot.status is BallotStatus.OPEN:
        raise TransitionRefused(_("表决尚未结束，请先结束表决并计票"))
    if ballot.status is BallotStatus.CLOSED:
        ballot = await voting.certify(db, actor, council, ballot.id, now)
    result = voting.stored_result(ballot)
    passed = bool(result.get("passed"))
    facts = await facts_for(
        db,
        version,
        now,
        ballot_certified=ballot.status is BallotStatus.CERTIFIED,
        ballot_passed=passed,
    )
    target = VersionStatus.ADOPTED if passed else VersionStatus.NOT_ADOPTED
    version.status = workflow.advance(facts, target)
    version.decided_at = now
    if passed:
        version.adopted_at = now
    summary = {
        "ballot": ballot.id.hex,
        "passed": passed,
        "counts": result.get("counts", {}),
        "cast": result.get("cast"),
        "eligible": result.get("eligible"),
        "closing_hash": ballot.closing_hash,
    }
    if passed:
        for older in await versions(db, convention):
            if older.id != version.id and older.status is VersionStatus.ADOPTED:
                older_facts = workflow.Facts(status=older.status, now=now, newer_adopted=True)
                older.status = workflow.advance(older_facts, VersionStatus.SUPERSEDED)
                older.superseded_at = now
                await audit_version(
                    db, actor, older, "convention.superseded", {"by": version.number}, now
                )
        convention.title = version.title
    await db.flush()
    await audit_version(
        db,
        actor,
        version,
        "convention.adopted" if passed else "convention.not_adopted",
        summary,
        now,
    )
    return version


def coverage(record: VoteRecord | None) -> tuple[int, int] | None:
    """Rule 27: shops that voted for the convention / shops it binds (the frozen electorate)."""
    if record is None or not record.result:
        return None
    return record.counts.get("yes", 0), int(record.result.get("eligible", 0))


async def filing_of(db: AsyncSession, version: ConventionVersion) -> ConventionFiling | None:
    return await db.scalar(
        sa.select(ConventionFiling).where(ConventionFiling.version_id == version.id)
    )


async def record_filing(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    convention_id: UUID,
    number: int,
    form: FilingForm,
    now: dt.datetime,
) -> ConventionFiling:
    """备案公布, the last of the five steps: only an adopted version is filed, once."""
    require_manage(actor, council)
    _convention, version = await get_version(db, actor, council, convention_id, number, lock=True)
    if version.status is not VersionStatus.ADOPTED:
        raise TransitionRefused(
            _("只有已生效的版本可以登记备案（当前：%(s)s）", s=workflow.label(version.status))
        )
    if await filing_of(db, version) is not None:
        raise Conflict(_("这一版本已登记备案"))
    filing = ConventionFiling(
        council_id=council.id,
        version_id=version.id,
        filed_with=form.filed_with,
        reference=form.reference,
        filed_at=now,
        recorded_by_id=actor.person_id,
    )
    db.add(filing)
    await db.flush()
    summary = {"filed_with": form.filed_with, "reference": form.reference}
    await audit_version(db, actor, version, "convention.filed", summary, now)
    return filing
