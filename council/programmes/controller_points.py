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
from council.programmes.controller import answer, blank, now_of
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
from council.web.auth import require_login
from council.web.forms import Form, MultipartForm
from council.web.render import page

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

    async def _on_page(
        self,
        request: Request,
        db: AsyncSession,
        actor: Actor,
        slug: str,
        form_name: str,
        act: Any,
        notice: str,
        *,
        staff: bool = False,
    ) -> Template | Redirect:
        """A form of the public page (or, ``staff``, of the manage page), answered in place."""
        council = await councils.require(db, actor, slug, Action.VIEW_COUNCIL)
        if staff:
            template, target = "programmes/points_manage.html", f"/c/{slug}/points/manage"
            context = self._manage_context
        else:
            template, target = "programmes/points.html", f"/c/{slug}/points"
            context = self._context
        return await answer(
            request,
            template,
            lambda: context(request, db, actor, council),
            form_name,
            lambda: act(council),
            target,
            notice,
        )

    @post("/activities", name="points.create_activity", guards=[require_login])
    async def create_activity(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, data: Form
    ) -> Template | Redirect:
        async def act(council: Council) -> None:
            form = parse_form(ActivityForm, data)
            await points.create_activity(db_session, actor, council, form, now_of(request))

        return await self._on_page(
            request, db_session, actor, slug, "activity", act, "activity_created", staff=True
        )

    @post("/activities/{activity_id:uuid}/apply", name="points.apply", guards=[require_login])
    async def apply(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        activity_id: UUID,
        data: MultipartForm,
    ) -> Template | Redirect:
        async def act(council: Council) -> None:
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

        return await self._on_page(
            request, db_session, actor, slug, f"apply-{activity_id.hex}", act, "points_applied"
        )

    @post(
        "/activities/{activity_id:uuid}/attendance",
        name="points.attendance",
        guards=[require_login],
    )
    async def attendance(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        activity_id: UUID,
        data: Form,
    ) -> Template | Redirect:
        async def act(council: Council) -> None:
            form = parse_form(AttendanceForm, data)
            await points.record_attendance(
                db_session, actor, council, activity_id, form, now_of(request)
            )

        return await self._on_page(
            request,
            db_session,
            actor,
            slug,
            f"attendance-{activity_id.hex}",
            act,
            "attendance_recorded",
            staff=True,
        )

    @post(
        "/activities/{activity_id:uuid}/notice", name="points.put_in_notice", guards=[require_login]
    )
    async def put_in_notice(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        activity_id: UUID,
    ) -> Template | Redirect:
        async def act(council: Council) -> None:
            await points.put_in_notice(db_session, actor, council, activity_id, now_of(request))

        return await self._on_page(
            request,
            db_session,
            actor,
            slug,
            f"notice-{activity_id.hex}",
            act,
            "points_in_notice",
            staff=True,
        )

    @post("/claims/{claim_id:uuid}/review", name="points.review", guards=[require_login])
    async def review(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        claim_id: UUID,
        data: Form,
    ) -> Template | Redirect:
        async def act(council: Council) -> None:
            form = parse_form(ReviewForm, data)
            await points.review(db_session, actor, council, claim_id, form, now_of(request))

        return await self._on_page(
            request,
            db_session,
            actor,
            slug,
            f"review-{claim_id.hex}",
            act,
            "points_reviewed",
            staff=True,
        )

    @post("/notices/{notice_id:uuid}/credit", name="points.credit", guards=[require_login])
    async def credit(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, notice_id: UUID
    ) -> Template | Redirect:
        async def act(council: Council) -> None:
            await points.credit(db_session, actor, council, notice_id, now_of(request))

        return await self._on_page(
            request,
            db_session,
            actor,
            slug,
            f"credit-{notice_id.hex}",
            act,
            "points_credited",
            staff=True,
        )

    @post("/offers", name="points.create_offer", guards=[require_login])
    async def create_offer(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, data: Form
    ) -> Template | Redirect:
        async def act(council: Council) -> None:
            form = parse_form(OfferForm, data)
            await points.create_offer(db_session, actor, council, form, now_of(request))

        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        staff = can(actor, Action.MANAGE_PROGRAMMES, council.id)
        return await self._on_page(
            request, db_session, actor, slug, "offer", act, "offer_created", staff=staff
        )

    @post("/offers/{offer_id:uuid}/redeem", name="points.redeem", guards=[require_login])
    async def redeem(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, offer_id: UUID
    ) -> Template | Redirect:
        async def act(council: Council) -> None:
            await points.redeem(db_session, actor, council, offer_id, now_of(request))

        return await self._on_page(
            request, db_session, actor, slug, f"redeem-{offer_id.hex}", act, "redeemed"
        )

    @post(
        "/redemptions/{redemption_id:uuid}", name="points.decide_redemption", guards=[require_login]
    )
    async def decide(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        redemption_id: UUID,
        data: Form,
    ) -> Template | Redirect:
        async def act(council: Council) -> None:
            form = parse_form(DecisionForm, data)
            await points.decide_redemption(
                db_session, actor, council, redemption_id, form, now_of(request)
            )

        return await self._on_page(
            request,
            db_session,
            actor,
            slug,
            f"decide-{redemption_id.hex}",
            act,
            "redemption_decided",
        )

    @post("/settings", name="points.settings", guards=[require_login])
    async def settings(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, data: Form
    ) -> Template | Redirect:
        async def act(council: Council) -> None:
            form = parse_form(PointSettingsForm, data)
            await points.save_settings(db_session, actor, council, form, now_of(request))

        return await self._on_page(
            request, db_session, actor, slug, "settings", act, "settings_saved", staff=True
        )

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
    ) -> Template | Redirect:
        council = await councils.require(db_session, actor, slug, Action.VIEW_PROGRAMME_RECORDS)

        async def act() -> None:
            form = parse_form(CorrectionForm, data)
            await points.correct(db_session, actor, council, entry_id, form, now_of(request))

        return await answer(
            request,
            "programmes/points_person.html",
            lambda: self._person_context(request, db_session, actor, council, person_id),
            f"correct-{entry_id.hex}",
            act,
            f"/c/{slug}/points/people/{person_id}",
            "points_corrected",
        )
