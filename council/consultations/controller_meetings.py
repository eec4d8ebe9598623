"""Meetings: schedule, invite, sign in, the live console, the member's phone and minutes."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person
from council.consultations import service_meetings as service
from council.consultations.controller import now_of
from council.consultations.models import Meeting, MeetingStatus
from council.consultations.quorum import QUORUM_LABELS, QuorumRule
from council.consultations.schemas import (
    AgendaForm,
    CodeForm,
    InviteForm,
    MeetingForm,
    MinutesForm,
    PublishForm,
)
from council.councils import service as councils
from council.councils.models import Council
from council.councils.permissions import Action, Actor, can
from council.errors import FormInvalid, NotFound
from council.forms import parse_form
from council.i18n import _
from council.voting import meetings as meeting_votes
from council.voting.controller import confirmation
from council.voting.controller import labels as vote_labels
from council.voting.service import Receipt
from council.voting.workflow import Status as BallotStatus
from council.web.auth import require_login
from council.web.forms import Form
from council.web.render import more_link, page, redirect, wants_fragment

CONSOLE_FRAGMENT = "consultations/_console_live.html"
PHONE_FRAGMENT = "consultations/_phone_live.html"


async def visible_to(db: AsyncSession, actor: Actor, slug: str, action: Action) -> Council:
    """A page (or its live fragment) shown only to those who may do ``action``: to anyone
    else it is 404, exactly like a wrong address."""
    council = await councils.require(db, actor, slug, Action.VIEW_MATTERS)
    if not can(actor, action, council.id):
        raise NotFound(_("找不到这个页面"))
    return council


async def console_page(
    request: Request, db: AsyncSession, actor: Actor, slug: str, meeting_id: UUID
) -> Template:
    """The facilitator's console, or to htmx its live fragment (polled every 2 s)."""
    council = await visible_to(db, actor, slug, Action.RUN_MEETINGS)
    meeting = await service.get_meeting(db, council, meeting_id)
    state = await service.live_state(db, meeting)
    return page(
        request,
        "consultations/console.html",
        {
            "council": council,
            "meeting": meeting,
            "state": state,
            "labels": QUORUM_LABELS,
            "now": now_of(request),
            "vote": await meeting_votes.latest(db, meeting),
            **vote_labels(),
        },
        fragment=CONSOLE_FRAGMENT,
    )


async def phone_page(
    request: Request,
    db: AsyncSession,
    actor: Actor,
    slug: str,
    meeting_id: UUID,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    receipt: Receipt | None = None,
) -> Template:
    """The member's phone view, or to htmx its live fragment; ``receipt`` is shown once."""
    council = await visible_to(db, actor, slug, Action.ATTEND_MEETINGS)
    meeting = await service.get_meeting(db, council, meeting_id)
    state = await service.live_state(db, meeting)
    me = state.invitee(actor.person_id)
    if me is None:
        # Not invited: this meeting's phone view does not exist for them.
        raise NotFound(_("找不到这个页面"))
    vote = await meeting_votes.for_phone(db, actor, meeting)
    confirm = None
    if vote is not None and vote.vote.ballot.status is BallotStatus.OPEN:
        confirm = confirmation(request, vote.vote.options, vote.vote.ballot.multiple)
    return page(
        request,
        "consultations/phone.html",
        {
            "council": council,
            "meeting": meeting,
            "state": state,
            "me": me,
            "queued": state.in_queue(actor.person_id),
            "closed": meeting.status is MeetingStatus.CLOSED,
            "errors": errors or {},
            "values": {},
            "vote": vote,
            "confirm": confirm,
            "receipt": receipt,
            **vote_labels(),
        },
        fragment=PHONE_FRAGMENT,
        status_code=status_code,
    )


class MeetingController(Controller):
    path = "/c/{slug:str}/meetings"
    tags = ["meetings"]

    # --- list and schedule ----------------------------------------------------------------

    async def _list(
        self,
        db: AsyncSession,
        actor: Actor,
        council: Council,
        now: dt.datetime,
        after: UUID | None = None,
    ) -> dict[str, Any]:
        meetings, more = await service.meeting_page(db, council.id, after=after)
        return {
            "council": council,
            "meetings": meetings,
            "more": more_link({}, more),
            "published": await service.with_public_minutes(db, council.id),
            "absentees": await service.absentees(db, council, now)
            if can(actor, Action.VIEW_MEETINGS, council.id)
            else [],
            "can_manage": can(actor, Action.MANAGE_CONSULTATIONS, council.id),
            "can_view": can(actor, Action.VIEW_MEETINGS, council.id),
            "quorum_options": [(r.value, _(QUORUM_LABELS[r])) for r in QuorumRule],
            "values": {"place": council.meeting_place},
            "errors": {},
        }

    @get("/", name="meetings.list")
    async def meetings(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        after: UUID | None = None,
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.VIEW_MATTERS)
        context = await self._list(db_session, actor, council, now_of(request), after)
        return page(request, "consultations/meetings.html", context)

    @post("/", name="meetings.create", guards=[require_login])
    async def create(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, data: Form
    ) -> Template | Redirect:
        council = await councils.require(db_session, actor, slug, Action.VIEW_MATTERS)
        form = parse_form(MeetingForm, data)
        meeting = await service.create_meeting(db_session, actor, council, form, now_of(request))
        return redirect(f"/c/{slug}/meetings/{meeting.id}", "meeting_scheduled")

    # --- the meeting record ---------------------------------------------------------------

    async def _meeting_context(
        self, db: AsyncSession, actor: Actor, council: Council, meeting_id: UUID
    ) -> dict[str, Any]:
        meeting = await service.get_meeting(db, council, meeting_id)
        state = await service.live_state(db, meeting)
        constituencies = await councils.constituencies(db, council.id)
        return {
            "council": council,
            "meeting": meeting,
            "chair": await db.get(Person, meeting.chair_id) if meeting.chair_id else None,
            "recorder": await db.get(Person, meeting.recorder_id) if meeting.recorder_id else None,
            "state": state,
            "minutes": await service.minutes_of(db, meeting),
            "published": await service.with_public_minutes(db, council.id),
            "meeting_votes": await meeting_votes.results_for_meeting(db, meeting),
            **vote_labels(),
            "constituency_options": [("", _("按账号邀请"))]
            + [(c.id.hex, c.name) for c in constituencies],
            "can_manage": can(actor, Action.MANAGE_CONSULTATIONS, council.id),
            "can_run": can(actor, Action.RUN_MEETINGS, council.id),
            "me": state.invitee(actor.person_id),
            "values": {},
            "errors": {},
            "form": "",
        }

    @get("/{meeting_id:uuid}", name="meetings.detail", guards=[require_login])
    async def detail(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, meeting_id: UUID
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.VIEW_MEETINGS)
        context = await self._meeting_context(db_session, actor, council, meeting_id)
        return page(request, "consultations/meeting.html", context)

    @get("/{meeting_id:uuid}/signin-sheet", name="meetings.signin_sheet", guards=[require_login])
    async def signin_sheet(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, meeting_id: UUID
    ) -> Template:
        """签到表 to print: every invitee with a box to sign, and blank lines for walk-ins."""
        council = await councils.require(db_session, actor, slug, Action.MANAGE_CONSULTATIONS)
        meeting = await service.get_meeting(db_session, council, meeting_id)
        context = {
            "council": council,
            "meeting": meeting,
            "invitees": await service.invitees(db_session, meeting),
            "blank_lines": range(6),
        }
        return page(request, "consultations/signin_sheet.html", context)

    @post(
        "/{meeting_id:uuid}/invitations",
        name="meetings.invite",
        guards=[require_login],
        form="invite",
    )
    async def invite(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        meeting_id: UUID,
        data: Form,
    ) -> Redirect:
        council = await councils.require(db_session, actor, slug, Action.VIEW_MEETINGS)
        form = parse_form(InviteForm, data)
        await service.invite(db_session, actor, council, meeting_id, form, now_of(request))
        return redirect(f"/c/{slug}/meetings/{meeting_id}", "invited")

    @post(
        "/{meeting_id:uuid}/agenda", name="meetings.agenda", guards=[require_login], form="agenda"
    )
    async def add_agenda(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        meeting_id: UUID,
        data: Form,
    ) -> Redirect:
        council = await councils.require(db_session, actor, slug, Action.VIEW_MEETINGS)
        form = parse_form(AgendaForm, data)
        await service.add_agenda_item(db_session, actor, council, meeting_id, form, now_of(request))
        return redirect(f"/c/{slug}/meetings/{meeting_id}", "agenda_added")

    @post(
        "/{meeting_id:uuid}/agenda/{item_id:uuid}/minutes",
        name="meetings.draft_minutes",
        guards=[require_login],
        form="minutes-{item_id.hex}",
    )
    async def draft_minutes(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        meeting_id: UUID,
        item_id: UUID,
        data: Form,
    ) -> Redirect:
        council = await councils.require(db_session, actor, slug, Action.VIEW_MEETINGS)
        form = parse_form(MinutesForm, data)
        await service.draft_minutes(db_session, actor, council, item_id, form, now_of(request))
        return redirect(f"/c/{slug}/meetings/{meeting_id}", "minutes_saved")

    @post(
        "/{meeting_id:uuid}/minutes/{minutes_id:uuid}/{step:str}",
        name="meetings.minutes_step",
        guards=[require_login],
        form="{step}-{minutes_id.hex}",
    )
    async def minutes_step(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        meeting_id: UUID,
        minutes_id: UUID,
        step: str,
        data: Form,
    ) -> Redirect:
        now = now_of(request)
        council = await councils.require(db_session, actor, slug, Action.VIEW_MEETINGS)
        if step == "edit":
            form = parse_form(MinutesForm, data)
            await service.edit_minutes(db_session, actor, council, minutes_id, form, now)
        elif step == "confirm":
            await service.confirm_minutes(db_session, actor, council, minutes_id, now)
        elif step == "finalize":
            await service.finalize_minutes(db_session, actor, council, minutes_id, now)
        elif step == "publish":
            form = parse_form(PublishForm, data)
            await service.publish_minutes(db_session, actor, council, minutes_id, form, now)
        elif step == "correct":
            form = parse_form(MinutesForm, data)
            await service.correct_minutes(db_session, actor, council, minutes_id, form, now)
        else:
            raise NotFound(_("找不到这个页面"))
        return redirect(f"/c/{slug}/meetings/{meeting_id}", f"minutes_{step}")

    @get("/{meeting_id:uuid}/minutes", name="meetings.public_minutes")
    async def public_minutes(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, meeting_id: UUID
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.VIEW_MATTERS)
        published = await service.public_minutes(db_session, council, meeting_id)
        return page(
            request,
            "consultations/minutes_public.html",
            {"council": council, "published": published, "QUORUM_LABELS": QUORUM_LABELS},
        )

    # --- the live console (facilitator) ---------------------------------------------------

    async def _console(
        self, request: Request, db: AsyncSession, actor: Actor, slug: str, meeting_id: UUID
    ) -> Template:
        return await console_page(request, db, actor, slug, meeting_id)

    @get("/{meeting_id:uuid}/console", name="meetings.console", guards=[require_login])
    async def console(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, meeting_id: UUID
    ) -> Template:
        return await self._console(request, db_session, actor, slug, meeting_id)

    async def _console_action(
        self,
        request: Request,
        db: AsyncSession,
        actor: Actor,
        slug: str,
        meeting_id: UUID,
        action: Any,
    ) -> Template | Redirect:
        council = await councils.require(db, actor, slug, Action.RUN_MEETINGS)
        await action(council)
        if wants_fragment(request):
            await db.flush()
            return await self._console(request, db, actor, slug, meeting_id)
        return redirect(f"/c/{slug}/meetings/{meeting_id}/console")

    @post("/{meeting_id:uuid}/start", name="meetings.start", guards=[require_login])
    async def start(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, meeting_id: UUID
    ) -> Template | Redirect:
        async def act(council: Council) -> Meeting:
            return await service.set_live(db_session, actor, council, meeting_id, now_of(request))

        return await self._console_action(request, db_session, actor, slug, meeting_id, act)

    @post("/{meeting_id:uuid}/close", name="meetings.close", guards=[require_login])
    async def close(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, meeting_id: UUID
    ) -> Template | Redirect:
        async def act(council: Council) -> Meeting:
            return await service.close_meeting(
                db_session, actor, council, meeting_id, now_of(request)
            )

        return await self._console_action(request, db_session, actor, slug, meeting_id, act)

    @post(
        "/{meeting_id:uuid}/current/{position:int}", name="meetings.current", guards=[require_login]
    )
    async def current(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        meeting_id: UUID,
        position: int,
    ) -> Template | Redirect:
        async def act(council: Council) -> Meeting:
            return await service.set_current_item(db_session, actor, council, meeting_id, position)

        return await self._console_action(request, db_session, actor, slug, meeting_id, act)

    @post(
        "/{meeting_id:uuid}/attendance/{person_id:uuid}",
        name="meetings.mark_present",
        guards=[require_login],
    )
    async def mark_present(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        meeting_id: UUID,
        person_id: UUID,
    ) -> Template | Redirect:
        async def act(council: Council) -> None:
            await service.mark_present(
                db_session, actor, council, meeting_id, person_id, now_of(request)
            )

        return await self._console_action(request, db_session, actor, slug, meeting_id, act)

    @post(
        "/{meeting_id:uuid}/excuse/{person_id:uuid}",
        name="meetings.excuse",
        guards=[require_login],
    )
    async def excuse(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        meeting_id: UUID,
        person_id: UUID,
    ) -> Template | Redirect:
        async def act(council: Council) -> None:
            await service.excuse(db_session, actor, council, meeting_id, person_id, now_of(request))

        return await self._console_action(request, db_session, actor, slug, meeting_id, act)

    @post(
        "/{meeting_id:uuid}/queue/{request_id:uuid}/{step:str}",
        name="meetings.queue",
        guards=[require_login],
    )
    async def queue(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        meeting_id: UUID,
        request_id: UUID,
        step: str,
    ) -> Template | Redirect:
        now = now_of(request)

        async def act(council: Council) -> None:
            if step == "up":
                await service.move_up(db_session, actor, council, meeting_id, request_id)
            elif step == "start":
                await service.start_speaking(
                    db_session, actor, council, meeting_id, request_id, now
                )
            elif step == "done":
                await service.finish_speaking(
                    db_session, actor, council, meeting_id, request_id, now
                )
            else:
                raise NotFound(_("找不到这个页面"))

        return await self._console_action(request, db_session, actor, slug, meeting_id, act)

    # --- the member's phone -------------------------------------------------------------------

    async def _phone(
        self,
        request: Request,
        db: AsyncSession,
        actor: Actor,
        slug: str,
        meeting_id: UUID,
        *,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        return await phone_page(
            request, db, actor, slug, meeting_id, errors=errors, status_code=status_code
        )

    @get("/{meeting_id:uuid}/phone", name="meetings.phone", guards=[require_login])
    async def phone(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, meeting_id: UUID
    ) -> Template:
        return await self._phone(request, db_session, actor, slug, meeting_id)

    @post(
        "/{meeting_id:uuid}/signin",
        name="meetings.sign_in",
        guards=[require_login],
        page="meetings.phone",
        form="code",
    )
    async def sign_in(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        meeting_id: UUID,
        data: Form,
    ) -> Template | Redirect:
        council = await councils.require(db_session, actor, slug, Action.ATTEND_MEETINGS)
        settings = request.app.state.settings
        try:
            form = parse_form(CodeForm, data)
            await service.sign_in_with_code(
                db_session,
                actor,
                council,
                meeting_id,
                form,
                now_of(request),
                per_person=settings.meeting_code_failures_per_person_hour,
                per_meeting=settings.meeting_code_failures_per_meeting_hour,
            )
        except FormInvalid:
            await db_session.commit()  # a wrong code counts, although it is refused
            raise
        if wants_fragment(request):
            await db_session.flush()
            return await self._phone(request, db_session, actor, slug, meeting_id)
        return redirect(f"/c/{slug}/meetings/{meeting_id}/phone", "signed_in_meeting")

    @post("/{meeting_id:uuid}/speak", name="meetings.speak", guards=[require_login])
    async def speak(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, meeting_id: UUID
    ) -> Template | Redirect:
        council = await councils.require(db_session, actor, slug, Action.ATTEND_MEETINGS)
        await service.request_to_speak(db_session, actor, council, meeting_id, now_of(request))
        if wants_fragment(request):
            await db_session.flush()
            return await self._phone(request, db_session, actor, slug, meeting_id)
        return redirect(f"/c/{slug}/meetings/{meeting_id}/phone", "speak_requested")
