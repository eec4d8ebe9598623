"""随手拍 on a phone: a photo, the place, one line. The category is suggested from the line."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from council.councils import service as councils
from council.councils.models import Council
from council.councils.permissions import Action, Actor
from council.errors import FormInvalid
from council.files import service as files
from council.files.images import MAX_FILE_BYTES, ImageRejected
from council.forms import parse_form
from council.issues import service
from council.issues.schemas import SnapForm
from council.web.auth import require_login
from council.web.forms import MultipartForm
from council.web.render import page, redirect

# One photo at the per-file limit plus the text fields.
SNAP_BODY_LIMIT = MAX_FILE_BYTES + 1024 * 1024


async def _context(db: AsyncSession, council: Council) -> dict[str, Any]:
    settings = await service.intake_settings(db, council.id)
    return {
        "council": council,
        "category_options": [(c, c) for c in settings.category_list],
        "max_mb": MAX_FILE_BYTES // (1024 * 1024),
        "values": {},
        "errors": {},
    }


class SnapController(Controller):
    path = "/c/{slug:str}/snap"
    guards = [require_login]
    tags = ["issues"]

    @get("/", name="issues.snap")
    async def new(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.SUBMIT_ISSUE)
        return page(request, "issues/snap.html", await _context(db_session, council))

    @post("/", name="issues.snap_create", request_max_body_size=SNAP_BODY_LIMIT)
    async def create(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        data: MultipartForm,
    ) -> Template | Redirect:
        council = await councils.require(db_session, actor, slug, Action.SUBMIT_ISSUE)
        state = request.app.state
        typed = {k: v for k, v in data.items() if isinstance(v, str)}
        form = parse_form(SnapForm, data)
        try:
            images = await files.clean_uploads(files.uploads_in(data.get("photo")))
        except ImageRejected as exc:
            raise FormInvalid({"photos": exc.message}, typed) from None
        issue = await service.submit_snap(
            db_session,
            state.storage,
            actor,
            council,
            form,
            images,
            upload_limit=state.settings.uploads_per_person_hour,
            now=state.clock.now(),
        )
        return redirect(service.link(council, issue), "snap_submitted")
