"""积分 pages: the public awards and offers with one's own balance and ledger, applying and
redeeming; the shop's redemptions to confirm; the facilitator's review queue, notices to
credit, activities, offers and settings; a person's ledger with its corrections."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person
from council.councils import service as councils
from council.councils.models import Council
from council.councils.permissions import Action, Actor, can
from council.errors import FormInvalid, NotFound
from council.files.images import MAX_FILE_BYTES, ImageRejected
from council.files.service import clean_uploads, for_parents, uploads_in
from council.forms import parse_form
from council.i18n import _
from council.programmes import service_points as points
from council.programmes.common import owned_shop_ids, settings_of
from council.programmes.controller import blank, now_of
from council.programmes.kinds import ActivityKind, ClaimState, label
from council.programmes.schemas import (
    ActivityForm,
    ApplyForm,
    AttendanceForm,
    CorrectionForm,
    DecisionForm,
    OfferForm,
    PointSettingsForm,
    ReviewForm,
)
from council.web.answer import answer_on
from council.web.auth import require_login
from council.web.forms import Form, MultipartForm
from council.web.render import page, redirect

WAITING = (ClaimState.APPLIED, ClaimState.APPROVED, ClaimState.IN_NOTICE)


class PointsController(Controller):
    path = "/c/{slug:str}/points"
    tags = ["programmes"]

    async def _context(
        self, request: Request, db: AsyncSession, actor: Actor, council: Council
    ) -> dict[str, Any]:
        """The public page, with what this person may do on it."""
        own = await owned_shop_ids(db, actor, council.id)
        mine = actor.person_id if can(actor, Action.REDEEM_POINTS, council.id) else None
        settings = await settings_of(db, council)
        shops = await points.offers(db, council)
        return blank(
            council=council,
            point_value=points.yuan(settings.point_value_fen),
            award_days=settings.award_notice_days,
            totals=await points.totals(db, council),
            activities=[a for a in await points.activities(db, council) if a.active],
            offers=shops,
            awards=await points.public_awards(db, council, limit=50),
            balance=await points.balance_of(db, council, mine) if mine else None,
            ledger=await points.ledger_of(db, council, mine) if mine else [],
            my_claims=await points.claims(db, council, person_id=mine) if mine else [],
            my_redemptions=await points.redemptions(db, council, person_id=mine) if mine else [],
            shop_redemptions=await points.redemptions(db, council, shop_ids=own) if own else [],
            own_shops=sorted(own),
            own_shop_options=[
                (r.shop.number, f"{r.shop.number} 号 {r.shop.name}")
                for r in shops
                if r.shop.id in own
            ],
            can_apply=can(actor, Action.APPLY_POINTS, council.id),
            can_manage=can(actor, Action.MANAGE_PROGRAMMES, council.id),
            can_review=can(actor, Action.REVIEW_POINTS, council.id),
            max_mb=MAX_FILE_BYTES // (1024 * 1024),
        )

    async def _manage_context(
        self, request: Request, db: AsyncSession, actor: Actor, council: Council
    ) -> dict[str, Any]:
        councils.check(actor, council, Action.VIEW_PROGRAMME_RECORDS)
        waiting = await points.claims(db, council, states=WAITING)
        photos = await for_parents(db, points.CLAIM_FILES, [r.claim.id for r in waiting])
        settings = await settings_of(db, council)
        return blank(
            council=council,
            claims=waiting,
            photos=photos,
            notices=await points.award_notices(db, council, now_of(request)),
            activities=await points.activities(db, council),
            balances=await points.balances(db, council),
            kind_options=[(k.value, label(k)) for k in ActivityKind],
            activity_options=[(a.id.hex, a.name) for a in await points.activities(db, council)],
            settings_values={
                "point_value": points.yuan(settings.point_value_fen),
                "award_notice_days": settings.award_notice_days,
            },
            can_manage=can(actor, Action.MANAGE_PROGRAMMES, council.id),
            can_review=can(actor, Action.REVIEW_POINTS, council.id),
            ClaimState=ClaimState,
        )

    @get("/", name="points.index")
    async def index(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        context = await self._context(request, db_session, actor, council)
        return page(request, "programmes/points.html", context)

    @get("/manage", name="points.manage", guards=[require_login])
    async def manage(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.VIEW_PROGRAMME_RECORDS)
        context = await self._manage_context(request, db_session, actor, council)
        return page(request, "programmes/points_manage.html", context)

    @post(
        "/activities",
        name="points.create_activity",
        guards=[require_login],
        form="activity",
        page="points.manage",
    )
    async def create_activity(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, data: Form
    ) -> Redirect:
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        form = parse_form(ActivityForm, data)
        await points.create_activity(db_session, actor, council, form, now_of(request))
        return redirect(f"/c/{slug}/points/manage", "activity_created")

    @post(
        "/activities/{activity_id:uuid}/apply",
        name="points.apply",
        guards=[require_login],
        form="apply-{activity_id.hex}",
        page="points.index",
    )
    async def apply(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        activity_id: UUID,
        data: MultipartForm,
    ) -> Redirect:
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        form = parse_form(ApplyForm, data)
        try:
            images = await clean_uploads(uploads_in(data.get("photos")))
        except ImageRejected as exc:
            raise FormInvalid({"photos": str(exc)}, {"note": form.note}) from exc
        await points.apply(
            db_session,
            actor,
            council,
            activity_id,
            form,
            now_of(request),
            images=images,
            storage=request.app.state.storage,
            upload_limit=request.app.state.settings.uploads_per_person_hour,
        )
        return redirect(f"/c/{slug}/points", "points_applied")

    @post(
        "/activities/{activity_id:uuid}/attendance",
        name="points.attendance",
        guards=[require_login],
        form="attendance-{activity_id.hex}",
        page="points.manage",
    )
    async def attendance(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        activity_id: UUID,
        data: Form,
    ) -> Redirect:
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        form = parse_form(AttendanceForm, data)
        await points.record_attendance(
            db_session, actor, council, activity_id, form, now_of(request)
        )
        return redirect(f"/c/{slug}/points/manage", "attendance_recorded")

    @post(
        "/activities/{activity_id:uuid}/notice",
        name="points.put_in_notice",
        guards=[require_login],
        form="notice-{activity_id.hex}",
        page="points.manage",
    )
    async def put_in_notice(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        activity_id: UUID,
    ) -> Redirect:
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        await points.put_in_notice(db_session, actor, council, activity_id, now_of(request))
        return redirect(f"/c/{slug}/points/manage", "points_in_notice")

    @post(
        "/claims/{claim_id:uuid}/review",
        name="points.review",
        guards=[require_login],
        form="review-{claim_id.hex}",
        page="points.manage",
    )
    async def review(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        claim_id: UUID,
        data: Form,
    ) -> Redirect:
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        form = parse_form(ReviewForm, data)
        await points.review(db_session, actor, council, claim_id, form, now_of(request))
        return redirect(f"/c/{slug}/points/manage", "points_reviewed")

    @post(
        "/notices/{notice_id:uuid}/credit",
        name="points.credit",
        guards=[require_login],
        form="credit-{notice_id.hex}",
        page="points.manage",
    )
    async def credit(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, notice_id: UUID
    ) -> Redirect:
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        await points.credit(db_session, actor, council, notice_id, now_of(request))
        return redirect(f"/c/{slug}/points/manage", "points_credited")

    @post("/offers", name="points.create_offer", guards=[require_login], form="offer")
    async def create_offer(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, data: Form
    ) -> Redirect:
        """A shop's offer (from the public page) or the staff's (from the manage page)."""
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        staff = can(actor, Action.MANAGE_PROGRAMMES, council.id)
        answer_on(request, "points.manage" if staff else "points.index")
        form = parse_form(OfferForm, data)
        await points.create_offer(db_session, actor, council, form, now_of(request))
        target = f"/c/{slug}/points/manage" if staff else f"/c/{slug}/points"
        return redirect(target, "offer_created")

    @post(
        "/offers/{offer_id:uuid}/redeem",
        name="points.redeem",
        guards=[require_login],
        form="redeem-{offer_id.hex}",
        page="points.index",
    )
    async def redeem(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, offer_id: UUID
    ) -> Redirect:
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        await points.redeem(db_session, actor, council, offer_id, now_of(request))
        return redirect(f"/c/{slug}/points", "redeemed")

    @post(
        "/redemptions/{redemption_id:uuid}",
        name="points.decide_redemption",
        guards=[require_login],
        form="decide-{redemption_id.hex}",
        page="points.index",
    )
    async def decide(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        redemption_id: UUID,
        data: Form,
    ) -> Redirect:
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        form = parse_form(DecisionForm, data)
        await points.decide_redemption(
            db_session, actor, council, redemption_id, form, now_of(request)
        )
        return redirect(f"/c/{slug}/points", "redemption_decided")

    @post(
        "/settings",
        name="points.settings",
        guards=[require_login],
        form="settings",
        page="points.manage",
    )
    async def settings(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, data: Form
    ) -> Redirect:
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        form = parse_form(PointSettingsForm, data)
        await points.save_settings(db_session, actor, council, form, now_of(request))
        return redirect(f"/c/{slug}/points/manage", "settings_saved")

    async def _person_context(
        self, request: Request, db: AsyncSession, actor: Actor, council: Council, person_id: UUID
    ) -> dict[str, Any]:
        councils.check(actor, council, Action.VIEW_PROGRAMME_RECORDS)
        person = await db.get(Person, person_id)
        ledger = await points.ledger_of(db, council, person_id) if person else []
        if person is None or not ledger:
            raise NotFound(_("找不到这个页面"))
        return blank(
            council=council,
            person=person,
            ledger=ledger,
            balance=await points.balance_of(db, council, person_id),
            can_manage=can(actor, Action.MANAGE_PROGRAMMES, council.id),
        )

    @get("/people/{person_id:uuid}", name="points.person", guards=[require_login])
    async def person(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, person_id: UUID
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.VIEW_PROGRAMME_RECORDS)
        context = await self._person_context(request, db_session, actor, council, person_id)
        return page(request, "programmes/points_person.html", context)

    @post(
        "/people/{person_id:uuid}/entries/{entry_id:uuid}/correct",
        name="points.correct",
        guards=[require_login],
        form="correct-{entry_id.hex}",
    )
    async def correct(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        person_id: UUID,
        entry_id: UUID,
        data: Form,
    ) -> Redirect:
        council = await councils.require(db_session, actor, slug, Action.VIEW_PROGRAMME_RECORDS)
        form = parse_form(CorrectionForm, data)
        await points.correct(db_session, actor, council, entry_id, form, now_of(request))
        return redirect(f"/c/{slug}/points/people/{person_id}", "points_corrected")
