"""文明诚信商户 pages: schemes and rounds, a round with its results and progress, the phone
page where a scorer scores one shop, and the facilitator's and supervisor's moves."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from council.consultations.common import scoped
from council.councils import service as councils
from council.councils.models import Council, Shop
from council.councils.permissions import Action, Actor, can, can_score
from council.forms import parse_form
from council.programmes import service_ratings as rating
from council.programmes.common import local_text, owned_shop_ids
from council.programmes.controller import blank, now_of
from council.programmes.schemas import LotForm, RoundForm, SchemeForm
from council.web.auth import require_login
from council.web.forms import Form
from council.web.render import page, redirect

DEFAULT_DIMENSIONS = "卫生 20\n服务 20\n诚信 20\n安全 15\n门前三包 15\n明码标价 10"
DEFAULT_GROUPS = "商会 40\n社区 30\n居民代表 30"


def _quarter(day: dt.date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


class RatingController(Controller):
    path = "/c/{slug:str}/ratings"
    tags = ["programmes"]

    async def _index_context(
        self, request: Request, db: AsyncSession, actor: Actor, council: Council
    ) -> dict[str, Any]:
        now = now_of(request)
        schemes = await rating.schemes(db, council)
        rounds = []
        for rnd in await rating.rounds(db, council):
            shown = await rating.visible_results(db, actor, council, rnd)
            rounds.append((rnd, shown, await rating.in_notice(db, council, rnd)))
        scorer_lines = "\n".join(f"{g.name}：" for g in schemes[0].groups) if schemes else ""
        return blank(
            council=council,
            schemes=schemes,
            scheme_options=[
                (v.scheme.id.hex, f"{v.scheme.name}（{v.scheme.created_at.date().isoformat()}）")
                for v in schemes
            ],
            rounds=rounds,
            flag=await rating.current_flag(db, council),
            can_manage=can(actor, Action.MANAGE_PROGRAMMES, council.id),
            mine=await rating.scorer_rounds(db, actor, council),
            scheme_defaults={
                "name": "文明诚信商户",
                "dimensions": DEFAULT_DIMENSIONS,
                "groups": DEFAULT_GROUPS,
                "integrity": "诚信",
                "penalty": 5,
            },
            round_defaults={
                "title": "",
                "quarter": _quarter(now.date()),
                "opens_at": local_text(now, council.timezone),
                "closes_at": local_text(now + dt.timedelta(days=14), council.timezone),
                "scorers": scorer_lines,
                "scheme_id": schemes[0].scheme.id.hex if schemes else "",
            },
        )

    @get("/", name="ratings.index")
    async def index(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        context = await self._index_context(request, db_session, actor, council)
        return page(request, "programmes/ratings.html", context)

    @post("/schemes", name="ratings.create_scheme", guards=[require_login], form="scheme")
    async def create_scheme(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, data: Form
    ) -> Redirect:
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        form = parse_form(SchemeForm, data)
        await rating.create_scheme(db_session, actor, council, form, now_of(request))
        return redirect(f"/c/{slug}/ratings", "scheme_published")

    @post("/", name="ratings.create_round", guards=[require_login], form="round")
    async def create_round(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, data: Form
    ) -> Redirect:
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        shops = str(data.get("shops") or "")[:2000]
        form = parse_form(RoundForm, data)
        rnd = await rating.create_round(db_session, actor, council, form, shops, now_of(request))
        return redirect(f"/c/{slug}/ratings/{rnd.id}", "rating_opened")

    async def _round_context(
        self, request: Request, db: AsyncSession, actor: Actor, council: Council, round_id: UUID
    ) -> dict[str, Any]:
        rnd = await rating.get_round(db, council, round_id)
        now = now_of(request)
        scorer = await rating.my_scorer(db, actor, rnd)
        own = await owned_shop_ids(db, actor, council.id)
        shops = await rating.entrants(db, rnd)
        scored = await rating.my_scores(db, scorer) if scorer else {}
        watching = can(actor, Action.VIEW_PROGRAMME_RECORDS, council.id)
        results = await rating.visible_results(db, actor, council, rnd)
        return blank(
            council=council,
            rnd=rnd,
            scheme=await rating.scheme_of(db, rnd),
            shops=shops,
            results=results,
            in_notice=await rating.in_notice(db, council, rnd),
            notice=await rating.results_notice(db, council, rnd),
            progress=await rating.progress(db, council, rnd) if watching else None,
            scorer=scorer,
            to_score=[
                (s, s.id in scored)
                for s in shops
                if scorer and can_score(actor, council.id, s.id, own)
            ],
            scoring_open=rating.scoring_open(rnd, now),
            can_manage=can(actor, Action.MANAGE_PROGRAMMES, council.id),
            can_draw=can(actor, Action.DRAW_LOTS, council.id),
            tied_options=[("", "")]
            + [(s.id.hex, f"{s.number} 号 {s.name}") for s in (results.tied if results else [])],
            window=(
                local_text(rnd.opens_at, council.timezone),
                local_text(rnd.closes_at, council.timezone),
            ),
        )

    @get("/{round_id:uuid}", name="ratings.round")
    async def round_page(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, round_id: UUID
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        context = await self._round_context(request, db_session, actor, council, round_id)
        return page(request, "programmes/round.html", context)

    @post(
        "/{round_id:uuid}/compute", name="ratings.compute", guards=[require_login], form="compute"
    )
    async def compute(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, round_id: UUID
    ) -> Redirect:
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        await rating.compute(db_session, actor, council, round_id, now_of(request))
        return redirect(f"/c/{slug}/ratings/{round_id}", "results_computed")

    @post("/{round_id:uuid}/lot", name="ratings.lot", guards=[require_login], form="lot")
    async def lot(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        round_id: UUID,
        data: Form,
    ) -> Redirect:
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        form = parse_form(LotForm, data)
        await rating.draw_lot(db_session, actor, council, round_id, form, now_of(request))
        return redirect(f"/c/{slug}/ratings/{round_id}", "lot_drawn")

    @post(
        "/{round_id:uuid}/publish", name="ratings.publish", guards=[require_login], form="publish"
    )
    async def publish(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, round_id: UUID
    ) -> Redirect:
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        await rating.publish_results(db_session, actor, council, round_id, now_of(request))
        return redirect(f"/c/{slug}/ratings/{round_id}", "results_in_notice")

    async def _score_context(
        self,
        request: Request,
        db: AsyncSession,
        actor: Actor,
        council: Council,
        round_id: UUID,
        shop_id: UUID,
    ) -> dict[str, Any]:
        rnd = await rating.get_round(db, council, round_id)
        shop = await scoped(db, Shop, council.id, shop_id)
        scheme = await rating.scheme_of(db, rnd)
        scorer = await rating.my_scorer(db, actor, rnd)
        mine = (await rating.my_scores(db, scorer, shop.id)).get(shop.id, {}) if scorer else {}
        shops = await rating.entrants(db, rnd)
        own = await owned_shop_ids(db, actor, council.id)
        scored = await rating.my_scores(db, scorer) if scorer else {}
        following = next(
            (
                s
                for s in shops
                if s.id not in scored
                and s.id != shop.id
                and can_score(actor, council.id, s.id, own)
            ),
            None,
        )
        return blank(
            council=council,
            rnd=rnd,
            shop=shop,
            scheme=scheme,
            scorer=scorer,
            next_shop=following,
            own_shop=shop.id in own,
            scoring_open=rating.scoring_open(rnd, now_of(request)),
            values={rating.score_field(d): mine.get(d.id, "") for d in scheme.dimensions},
            window=(
                local_text(rnd.opens_at, council.timezone),
                local_text(rnd.closes_at, council.timezone),
            ),
        )

    @get("/{round_id:uuid}/shops/{shop_id:uuid}", name="ratings.sheet", guards=[require_login])
    async def sheet(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        round_id: UUID,
        shop_id: UUID,
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        context = await self._score_context(request, db_session, actor, council, round_id, shop_id)
        return page(request, "programmes/score.html", context)

    @post(
        "/{round_id:uuid}/shops/{shop_id:uuid}",
        name="ratings.score",
        guards=[require_login],
        form="score",
    )
    async def score(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        round_id: UUID,
        shop_id: UUID,
        data: Form,
    ) -> Redirect:
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        await rating.score(db_session, actor, council, round_id, shop_id, data, now_of(request))
        context = await self._score_context(request, db_session, actor, council, round_id, shop_id)
        following = context["next_shop"]
        base = f"/c/{slug}/ratings/{round_id}"
        return redirect(f"{base}/shops/{following.id}" if following else base, "scored")
