"""/c/{slug}/meetings/{id}/votes: a vote opened, cast, closed and certified in a live meeting."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from council.consultations import service_meetings
from council.consultations.controller import now_of
from council.consultations.controller_meetings import console_page, phone_page, visible_to
from council.councils import service as councils
from council.councils.models import Council
from council.councils.permissions import Action, Actor
from council.db import write_intent
from council.errors import NotFound
from council.forms import parse_form
from council.i18n import _
from council.voting import meetings, schemas
from council.voting.controller import labels
from council.web.auth import require_login
from council.web.forms import Form
from council.web.render import page, redirect, wants_fragment


async def _form_context(
    db: AsyncSession, council: Council, meeting_id: UUID, values: dict[str, Any]
) -> dict[str, Any]:
    meeting = await service_meetings.get_meeting(db, council, meeting_id)
    state = await service_meetings.live_state(db, meeting)
    return {
        **labels(),
        "council": council,
        "meeting": meeting,
        "state": state,
        "threshold_options": [(k, _(v)) for k, v in schemas.THRESHOLD_LABELS.items()],
        "base_options": [(b.value, _(schemas.BASE_LABELS[b])) for b in meetings.MEETING_BASES],
        "values": values or meetings.defaults(meeting, state.current),
        "errors": {},
    }


class MeetingVoteController(Controller):
    path = "/c/{slug:str}/meetings/{meeting_id:uuid}/votes"
    tags = ["meetings", "voting"]

    @get("/new", name="meeting_votes.new", guards=[require_login])
    async def new(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, meeting_id: UUID
    ) -> Template:
        council = await visible_to(db_session, actor, slug, Action.RUN_MEETINGS)
        context = await _form_context(db_session, council, meeting_id, {})
        return page(request, "ballots/meeting_form.html", context)

    @post("/", name="meeting_votes.open", guards=[require_login], page="meeting_votes.new")
    async def open(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        meeting_id: UUID,
        data: Form,
    ) -> Template | Redirect:
        council = await councils.require(db_session, actor, slug, Action.VIEW_MATTERS)
        form = parse_form(meetings.MeetingVoteForm, data)
        await meetings.open_vote(db_session, actor, council, meeting_id, form, now_of(request))
        return redirect(f"/c/{slug}/meetings/{meeting_id}/console", "ballot_opened")

    @post("/{ballot_id:uuid}/{step:str}", name="meeting_votes.step", guards=[require_login])
    async def step(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        meeting_id: UUID,
        ballot_id: UUID,
        step: str,
    ) -> Template | Redirect:
        """Close or certify from the console; htmx gets the console fragment back."""
        council = await councils.require(db_session, actor, slug, Action.VIEW_MATTERS)
        now = now_of(request)
        if step == "close":
            await meetings.close_vote(db_session, actor, council, meeting_id, ballot_id, now)
        elif step == "certify":
            await meetings.certify_vote(db_session, actor, council, meeting_id, ballot_id, now)
        else:
            raise NotFound(_("找不到这个页面"))
        if wants_fragment(request):
            await db_session.flush()
            return await console_page(request, db_session, actor, slug, meeting_id)
        notice = "ballot_closed" if step == "close" else "ballot_certified"
        return redirect(f"/c/{slug}/meetings/{meeting_id}/console", notice)

    @post("/{ballot_id:uuid}", name="meeting_votes.cast", guards=[require_login])
    async def cast(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        meeting_id: UUID,
        ballot_id: UUID,
        data: Form,
    ) -> Template | Redirect:
        """A vote from the phone view; the voter is the signed-in person, never a form field."""
        # Only reads here: the vote itself is written by the process's vote writer.
        with write_intent(False):
            council = await councils.require(db_session, actor, slug, Action.VIEW_MATTERS)
            receipt = await meetings.cast(
                db_session,
                actor,
                council,
                meeting_id,
                ballot_id,
                data,
                now_of(request),
                per_hour=request.app.state.settings.votes_per_person_hour,
                writer=request.app.state.votes,
            )
            headers = {"X-Vote-Receipt": receipt.receipt}
            if wants_fragment(request) or receipt.secret:
                # A secret receipt is shown once, in this answer: nothing stored links it to
                # them.
                response = await phone_page(
                    request, db_session, actor, slug, meeting_id, receipt=receipt
                )
                response.headers.update(headers)
                return response
        done = redirect(f"/c/{slug}/meetings/{meeting_id}/phone", "voted")
        done.headers.update(headers)
        return done
