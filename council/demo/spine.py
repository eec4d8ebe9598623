"""Takes a major matter along 四议两公开一监督 through the same services the people use: the
party organisation's 提议, a deliberation meeting with confirmed minutes, the party members'
review, the representatives' ballot, the notices with their objections, the plan and its
verification, the supervisor's opinion and sign-off. Every step is in the audit chain."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person
from council.accounts.service import actor_for
from council.consultations import links, service, service_meetings, service_plans
from council.consultations.models import ActionItem, ActionPlan, Matter, Round, Side, Verdict
from council.consultations.schemas import (
    CloseRoundForm,
    EntryForm,
    EvidenceForm,
    InviteForm,
    MatterForm,
    MeetingForm,
    MinutesForm,
    PlanForm,
    PublishForm,
    VerifyForm,
)
from council.consultations.workflow import Outcome
from council.councils import service as councils
from council.councils.models import Council, ShopRepresentative
from council.councils.permissions import ANONYMOUS, Actor
from council.issues import service as issues
from council.issues.models import Issue
from council.issues.schemas import IssueForm, TransitionForm
from council.issues.workflow import IssueKind, IssueStatus
from council.notices import service as notices
from council.notices.models import Notice, Objection
from council.notices.periods import NoticeKind
from council.notices.schemas import AnswerForm, NoticeForm, ObjectionForm
from council.voting import service as voting
from council.voting.models import Ballot
from council.workflows import service as workflows
from council.workflows import supervision
from council.workflows.schemas import MoveForm, OpinionForm, ReviewForm, SignOffForm
from council.workflows.workflow import Stage, next_stage

DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Deliberation:
    meeting: str
    invite: tuple[str, ...]  # constituency names
    statements: tuple[tuple[Side, str, str], ...]  # (side, speaker, text)
    summary: str
    minutes: str
    absent: frozenset[str] = frozenset()  # logins


@dataclass
class Path:
    db: AsyncSession
    council: Council
    facilitator_login: str
    supervisor_login: str
    party_login: str
    _actors: dict[str, Actor] = field(default_factory=dict)

    async def actor(self, login: str) -> Actor:
        if login not in self._actors:
            person = await self.db.scalar(sa.select(Person).where(Person.login == login))
            assert person is not None, login  # noqa: S101 - demo and test logins exist
            self._actors[login] = await actor_for(self.db, person)
        return self._actors[login]

    async def facilitator(self) -> Actor:
        return await self.actor(self.facilitator_login)

    async def supervisor(self) -> Actor:
        return await self.actor(self.supervisor_login)

    def local(self, at: dt.datetime) -> dt.datetime:
        return at.astimezone(ZoneInfo(self.council.timezone))

    # --- the stages -------------------------------------------------------------------------

    async def open(self, form: MatterForm, at: dt.datetime) -> Matter:
        """A matter, marked 重大事项 at once."""
        facilitator = await self.facilitator()
        matter = await service.create_matter(self.db, facilitator, self.council, form, at)
        await workflows.start(self.db, facilitator, self.council, matter.id, at)
        return matter

    async def propose(
        self, matter: Matter, title: str, body: str, category: str, at: dt.datetime
    ) -> Issue:
        """提议: the party organisation proposes; the facilitator takes it up and links it."""
        form = IssueForm(
            title=title,
            body=body,
            category=category,
            kind=IssueKind.PROPOSAL,
            shop_number=issues.PARTY,
        )
        party = await self.actor(self.party_login)
        issue = await issues.submit(
            self.db,
            None,
            party,
            self.council,
            form,
            [],
            upload_limit=20,
            now=at,  # type: ignore[arg-type]
        )
        facilitator = await self.facilitator()
        for to, reason in (
            (IssueStatus.TRIAGE, ""),
            (IssueStatus.ACCEPTED, "社区党组织提议，按四议两公开一监督程序列为重大事项。"),
        ):
            move = TransitionForm(to=to, reason=reason)
            await issues.transition(self.db, facilitator, self.council, issue.id, move, at + DAY)
        await links.link_issue(
            self.db, facilitator, self.council, matter, str(issue.number), at + DAY
        )
        return issue

    async def deliberate(self, matter: Matter, story: Deliberation, at: dt.datetime) -> Round:
        """商议: a joint meeting on the matter that agrees, with minutes confirmed by two
        attendees and then published."""
        db, council = self.db, self.council
        facilitator = await self.facilitator()
        local = self.local(at)
        meeting = await service_meetings.create_meeting(
            db,
            facilitator,
            council,
            MeetingForm(
                title=story.meeting,
                date=local.date().isoformat(),
                time=local.strftime("%H:%M"),
                place=council.meeting_place,
            ),
            at - 5 * DAY,
        )
        constituencies = {c.name: c.id.hex for c in await councils.constituencies(db, council.id)}
        for name in story.invite:
            invite = InviteForm(constituency_id=constituencies[name])
            await service_meetings.invite(
                db, facilitator, council, meeting.id, invite, at - 5 * DAY
            )
        round_ = await service.open_round(
            db, facilitator, council, matter.id, meeting.id, at - 4 * DAY
        )
        await service_meetings.set_live(db, facilitator, council, meeting.id, at)
        logins = dict(
            (await db.execute(sa.select(Person.id, Person.login))).all()  # type: ignore[arg-type]
        )
        present = [
            i
            for i in await service_meetings.invitees(db, meeting)
            if logins[i.invitation.person_id] not in story.absent
        ]
        for n, invitee in enumerate(present):
            await service_meetings.mark_present(
                db,
                facilitator,
                council,
                meeting.id,
                invitee.invitation.person_id,
                at + n * dt.timedelta(minutes=1),
            )
        for n, (side, speaker, text) in enumerate(story.statements):
            entry = EntryForm(
                kind=service.EntryKind.STATEMENT, side=side, text=text, speaker=speaker
            )
            await service.add_entry(
                db, facilitator, council, round_.id, entry, at + (10 + n) * dt.timedelta(minutes=5)
            )
        end = at + dt.timedelta(hours=2)
        close = CloseRoundForm(outcome=Outcome.CONSENSUS, summary=story.summary)
        await service.close_round(db, facilitator, council, round_.id, close, end)
        await service_meetings.close_meeting(db, facilitator, council, meeting.id, end)
        [item] = await service_meetings.agenda(db, meeting)
        text = f"{story.minutes}\n出席：{'、'.join(i.name for i in present)}。"
        minutes = await service_meetings.draft_minutes(
            db, facilitator, council, item.id, MinutesForm(text=text), end + dt.timedelta(hours=1)
        )
        for invitee in present[:2]:
            member = await self.actor(logins[invitee.invitation.person_id])
            await service_meetings.confirm_minutes(db, member, council, minutes.id, end + DAY)
        await service_meetings.finalize_minutes(db, facilitator, council, minutes.id, end + DAY)
        await service_meetings.publish_minutes(
            db, facilitator, council, minutes.id, PublishForm(public_text=story.minutes), end + DAY
        )
        return round_

    async def review(
        self, matter: Matter, counts: tuple[int, int, int, int, int], at: dt.datetime, note: str
    ) -> None:
        """审议: the party members' meeting as its record has it: all, present, yes/no/abstain."""
        members, present, yes, no, abstain = counts
        form = ReviewForm(
            held_on=self.local(at).date().isoformat(),
            members=members,
            present=present,
            yes=yes,
            no=no,
            abstain=abstain,
            note=note,
        )
        facilitator = await self.facilitator()
        await workflows.record_review(self.db, facilitator, self.council, matter.id, form, at)

    async def resolve(self, matter: Matter, votes: Mapping[str, str], at: dt.datetime) -> Ballot:
        """决议: the representatives vote on the matter's ballot; closed and certified."""
        facilitator = await self.facilitator()
        db, council = self.db, self.council
        ballot = await workflows.draft_ballot(db, facilitator, council, matter.id, at)
        await voting.open_ballot(db, facilitator, council, ballot.id, at + dt.timedelta(hours=1))
        for n, (login, choice) in enumerate(votes.items()):
            cast_at = at + dt.timedelta(hours=2, minutes=n)
            voter = await self.actor(login)
            await voting.cast(
                db, voter, council, ballot.id, {"choice": choice}, cast_at, per_hour=10**6
            )
        await voting.close(db, facilitator, council, ballot.id, at + DAY)
        await voting.certify(db, facilitator, council, ballot.id, at + DAY + dt.timedelta(hours=1))
        return ballot

    async def notice(
        self,
        matter: Matter,
        kind: NoticeKind,
        at: dt.datetime,
        *,
        posted_at: str = "",
        extra: str = "",
    ) -> Notice:
        """The stage's notice, drafted from the records and published."""
        db, council = self.db, self.council
        facilitator = await self.facilitator()
        draft = await workflows.draft_notice(db, facilitator, council, matter.id, kind, at)
        if posted_at or extra:
            form = NoticeForm(
                title=draft.title,
                body=f"{draft.body}\n{extra}".strip(),
                period_days=draft.period_days,
                posted_at=posted_at,
                kind=draft.kind,
            )
            await notices.edit(db, facilitator, council, draft.id, form, at)
        return await workflows.publish_notice(
            db, facilitator, council, draft.id, at + dt.timedelta(hours=1)
        )

    async def object(
        self,
        notice: Notice,
        name: str,
        contact: str,
        body: str,
        at: dt.datetime,
        *,
        login: str | None = None,
    ) -> Objection:
        """异议 by a visitor (or a signed-in person): name and contact given, contact kept."""
        who = await self.actor(login) if login else ANONYMOUS
        form = ObjectionForm(name=name, contact=contact, body=body)
        return await notices.lodge(self.db, who, self.council, notice.id, form, at)

    async def answer(self, objection: Objection, text: str, at: dt.datetime) -> None:
        facilitator = await self.facilitator()
        await notices.answer(
            self.db, facilitator, self.council, objection.id, AnswerForm(answer=text), at
        )

    async def advance(self, matter: Matter, at: dt.datetime) -> Stage:
        """Finish the current stage; the next one starts."""
        _m, flow = await workflows.require(self.db, self.council, matter.id)
        following = next_stage(flow.stage)
        assert following is not None  # noqa: S101 - the demo only moves an active matter
        facilitator = await self.facilitator()
        moved = await workflows.move(
            self.db, facilitator, self.council, matter.id, MoveForm(to=following), at
        )
        return moved.stage

    async def opinion(
        self, matter: Matter, text: str, at: dt.datetime, *, public: bool = True
    ) -> None:
        supervisor = await self.supervisor()
        form = OpinionForm(body=text, public=public)
        await supervision.file_opinion(self.db, supervisor, self.council, matter.id, form, at)

    async def sign_off(self, matter: Matter, text: str, at: dt.datetime) -> None:
        supervisor = await self.supervisor()
        await supervision.sign_off(
            self.db, supervisor, self.council, matter.id, SignOffForm(body=text), at
        )

    async def plan(self, round_: Round, form: PlanForm, at: dt.datetime) -> ActionPlan:
        facilitator = await self.facilitator()
        return await service_plans.create_plan(
            self.db, facilitator, self.council, round_.id, form, at
        )

    async def implement(self, plan: ActionPlan, notes: Sequence[str], at: dt.datetime) -> None:
        """Each shop's representative reports with a note; the supervisor verifies it."""
        db, council = self.db, self.council
        supervisor = await self.supervisor()
        rows = await db.execute(
            sa.select(ActionItem, Person.login)
            .join(ShopRepresentative, ShopRepresentative.shop_id == ActionItem.shop_id)
            .join(Person, Person.id == ShopRepresentative.person_id)
            .where(ActionItem.plan_id == plan.id)
            .order_by(ActionItem.created_at)
        )
        for n, (item, login) in enumerate(rows.all()):
            owner = await self.actor(login)
            note = EvidenceForm(note=notes[n % len(notes)])
            submitted = at + n * dt.timedelta(hours=3)
            await service_plans.submit_evidence(db, owner, council, item.id, note, submitted)
            ok = VerifyForm(verdict=Verdict.PASSED, reason="现场查看属实。")
            await service_plans.verify_item(db, supervisor, council, item.id, ok, submitted + DAY)
