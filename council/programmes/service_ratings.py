"""文明诚信商户: schemes with published weights, quarterly rounds, scoring, results put in
notice, the 流动红旗 and the supervisor's lots. No HTTP here."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person
from council.accounts.service import actor_for
from council.consultations.service_plans import shop_numbers
from council.councils.models import Council, Shop
from council.councils.permissions import ANONYMOUS, Action, Actor, can, can_score
from council.councils.service import check, street_order
from council.errors import FormInvalid, NotFound
from council.forms import first_value
from council.i18n import _
from council.notices import service as notices
from council.notices.models import Notice
from council.notices.periods import NoticeKind
from council.notices.schemas import NoticeForm
from council.programmes import ratings, violations
from council.programmes.common import (
    as_uuid,
    day_start,
    forbid,
    local_moment,
    local_text,
    owned_shop_ids,
    record,
    refuse,
    scoped,
    shops_in_order,
)
from council.programmes.kinds import RoundStatus
from council.programmes.models import (
    RatingDimension,
    RatingEntrant,
    RatingGroup,
    RatingRound,
    RatingScheme,
    RatingScore,
    RatingScorer,
)
from council.programmes.schemas import LotForm, RoundForm, SchemeForm

SUBJECT = "rating_round"
DEFAULT_INTEGRITY = "诚信"


# --- schemes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SchemeView:
    scheme: RatingScheme
    dimensions: list[RatingDimension]
    groups: list[RatingGroup]

    def pure(self) -> ratings.Scheme:
        return ratings.Scheme(
            tuple(
                ratings.Dimension(d.id.hex, d.name, d.weight, d.integrity) for d in self.dimensions
            ),
            tuple(ratings.Group(g.id.hex, g.name, g.weight) for g in self.groups),
            self.scheme.penalty,
        )


async def _scheme_view(db: AsyncSession, scheme: RatingScheme) -> SchemeView:
    dims = await db.execute(
        sa.select(RatingDimension)
        .where(RatingDimension.scheme_id == scheme.id)
        .order_by(RatingDimension.position)
    )
    groups = await db.execute(
        sa.select(RatingGroup)
        .where(RatingGroup.scheme_id == scheme.id)
        .order_by(RatingGroup.position)
    )
    return SchemeView(scheme, list(dims.scalars()), list(groups.scalars()))


async def schemes(db: AsyncSession, council: Council) -> list[SchemeView]:
    rows = await db.execute(
        sa.select(RatingScheme)
        .where(RatingScheme.council_id == council.id)
        .order_by(RatingScheme.created_at.desc())
    )
    return [await _scheme_view(db, s) for s in rows.scalars()]


def _weighted_lines(text: str, field: str, values: Mapping[str, object]) -> list[tuple[str, int]]:
    """ "卫生 20" a line → [("卫生", 20)]; a percent sign after the number is allowed."""
    found: list[tuple[str, int]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        match = re.fullmatch(r"\s*(\S.{0,29}?)[\s:：]+(\d{1,3})\s*%?\s*", line)
        if match is None:
            message = _("每行写一项名称和权重，如“卫生 20”：%(line)s", line=line.strip()[:40])
            raise FormInvalid({field: message}, values)
        found.append((match.group(1).strip(), int(match.group(2))))
    names = [n for n, _w in found]
    if len(set(names)) != len(names):
        raise FormInvalid({field: _("名称不能重复")}, values)
    return found


def scheme_values(form: SchemeForm) -> dict[str, object]:
    return {
        "name": form.name,
        "dimensions": form.dimensions,
        "groups": form.groups,
        "integrity": form.integrity,
        "penalty": form.penalty,
    }


async def create_scheme(
    db: AsyncSession, actor: Actor, council: Council, form: SchemeForm, now: dt.datetime
) -> RatingScheme:
    """Published as made: criteria and weights never change; a change is a new scheme."""
    check(actor, council, Action.MANAGE_PROGRAMMES, _("只有主持人可以制定评比标准"))
    values = scheme_values(form)
    dimensions = _weighted_lines(form.dimensions, "dimensions", values)
    groups = _weighted_lines(form.groups, "groups", values)
    integrity = form.integrity.strip() or DEFAULT_INTEGRITY
    names = [n for n, _w in dimensions]
    if form.integrity.strip() and integrity not in names:
        raise FormInvalid({"integrity": _("“%(n)s”不在评分标准中", n=integrity)}, values)
    problems = ratings.scheme_problems(
        [w for _n, w in dimensions], [w for _n, w in groups], int(integrity in names)
    )
    if problems:
        raise FormInvalid(problems, values)
    scheme = RatingScheme(
        council_id=council.id, name=form.name, penalty=form.penalty, created_by_id=actor.person_id
    )
    db.add(scheme)
    await db.flush()
    for position, (name, weight) in enumerate(dimensions):
        db.add(
            RatingDimension(
                council_id=council.id,
                scheme_id=scheme.id,
                position=position,
                name=name,
                weight=weight,
                integrity=name == integrity,
            )
        )
    for position, (name, weight) in enumerate(groups):
        db.add(
            RatingGroup(
                council_id=council.id,
                scheme_id=scheme.id,
                position=position,
                name=name,
                weight=weight,
            )
        )
    await db.flush()
    await record(
        db,
        actor,
        council,
        "rating.scheme_published",
        ("rating_scheme", scheme.id),
        now,
        name=scheme.name,
        dimensions=dict(dimensions),
        groups=dict(groups),
        penalty=scheme.penalty,
    )
    return scheme


# --- rounds -----------------------------------------------------------------------------------


def quarter_dates(quarter: str) -> tuple[dt.date, dt.date]:
    """ "2026-Q4" → (2026-10-01, 2026-12-31)."""
    year, number = int(quarter[:4]), int(quarter[-1])
    first = dt.date(year, 3 * number - 2, 1)
    following = dt.date(year + (number == 4), 1 if number == 4 else 3 * number + 1, 1)
    return first, following - dt.timedelta(days=1)


def round_values(form: RoundForm, shops: str = "") -> dict[str, object]:
    return {
        "title": form.title,
        "scheme_id": form.scheme_id,
        "quarter": form.quarter,
        "opens_at": form.opens_at,
        "closes_at": form.closes_at,
        "scorers": form.scorers,
        "shops": shops,
    }


async def _scorers_from(
    db: AsyncSession, council: Council, view: SchemeView, text: str, values: Mapping[str, object]
) -> list[tuple[RatingGroup, Person]]:
    """ "商会：shop01 shop05" a line; every group of the scheme needs a scorer who may score."""
    by_name = {g.name: g for g in view.groups}
    chosen: list[tuple[RatingGroup, Person]] = []
    seen: set[UUID] = set()
    for line in text.splitlines():
        if not line.strip():
            continue
        match = re.fullmatch(r"\s*([^:：]+)[:：](.*)", line)
        group = by_name.get(match.group(1).strip()) if match else None
        if match is None or group is None:
            known = "、".join(by_name)
            message = _("每行以评分组名称开头（%(g)s），后接冒号和账号", g=known)
            raise FormInvalid({"scorers": message}, values)
        logins = match.group(2)
        for login in re.split(r"[\s,，、]+", logins.strip()):
            if not login:
                continue
            person = await db.scalar(sa.select(Person).where(Person.login == login))
            scorer = await actor_for(db, person) if person else None
            if person is None or scorer is None or not can(scorer, Action.SCORE_SHOPS, council.id):
                message = _("“%(l)s”不是本议事会可以评分的成员", l=login[:40])
                raise FormInvalid({"scorers": message}, values)
            if person.id in seen:
                message = _("%(n)s 只能在一个评分组", n=person.display_name)
                raise FormInvalid({"scorers": message}, values)
            seen.add(person.id)
            chosen.append((group, person))
    missing = [g.name for g in view.groups if g not in {grp for grp, _p in chosen}]
    if missing:
        message = _("每个评分组至少一位评分人：%(g)s 还没有", g="、".join(missing))
        raise FormInvalid({"scorers": message}, values)
    return chosen


async def create_round(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    form: RoundForm,
    shops_text: str,
    now: dt.datetime,
) -> RatingRound:
    """A quarter's round: the shops rated, its scorers by group and its scoring period."""
    check(actor, council, Action.MANAGE_PROGRAMMES, _("只有主持人可以发起评比"))
    values = round_values(form, shops_text)
    try:
        view = await _scheme_view(db, await scoped(db, RatingScheme, council.id, form.scheme_id))
    except NotFound as exc:
        raise FormInvalid({"scheme_id": _("请选择本议事会的评比标准")}, values) from exc
    opens, closes = (local_moment(v, council.timezone) for v in (form.opens_at, form.closes_at))
    if opens is None:
        raise FormInvalid({"opens_at": _("请按“2026-12-01 09:00”填写")}, values)
    if closes is None or closes <= opens:
        raise FormInvalid({"closes_at": _("评分截止时间须晚于开始时间")}, values)
    if closes <= now:
        raise FormInvalid({"closes_at": _("评分截止时间已过，请填写以后的时间")}, values)
    entrants = await _entrants_from(db, council, shops_text, values)
    scorers = await _scorers_from(db, council, view, form.scorers, values)
    first, last = quarter_dates(form.quarter)
    rnd = RatingRound(
        council_id=council.id,
        scheme_id=view.scheme.id,
        title=form.title,
        quarter_start=first,
        quarter_end=last,
        opens_at=opens,
        closes_at=closes,
        status=RoundStatus.SCORING,
        created_by_id=actor.person_id,
    )
    db.add(rnd)
    await db.flush()
    db.add_all(
        RatingEntrant(council_id=council.id, round_id=rnd.id, shop_id=s.id) for s in entrants
    )
    db.add_all(
        RatingScorer(council_id=council.id, round_id=rnd.id, group_id=g.id, person_id=p.id)
        for g, p in scorers
    )
    await db.flush()
    by_group: dict[str, list[str]] = {}
    for group, person in scorers:
        by_group.setdefault(group.name, []).append(person.display_name)
    await record(
        db,
        actor,
        council,
        "rating.round_opened",
        ("rating_round", rnd.id),
        now,
        title=rnd.title,
        quarter=form.quarter,
        shops=[s.number for s in entrants],
        scorers=by_group,
        opens_at=opens.isoformat(),
        closes_at=closes.isoformat(),
    )
    return rnd


async def _entrants_from(
    db: AsyncSession, council: Council, text: str, values: Mapping[str, object]
) -> list[Shop]:
    """The shops a round rates: numbers and ranges ("1-12, 20"); blank means every shop."""
    every = await shops_in_order(db, council.id)
    if not text.strip():
        return every
    try:
        wanted = shop_numbers(text)
    except FormInvalid as exc:
        raise FormInvalid(exc.errors, values) from exc
    by_number = {s.number: s for s in every}
    unknown = [n for n in wanted if n not in by_number]
    if unknown or len(wanted) < 2:
        message = (
            _("本议事会没有这些编号的店铺：%(n)s", n="、".join(unknown[:5]))
            if unknown
            else _("一轮评比至少两家店铺")
        )
        raise FormInvalid({"shops": message}, values)
    return [by_number[n] for n in wanted]


async def get_round(
    db: AsyncSession, council: Council, round_id: UUID | str, *, lock: bool = False
) -> RatingRound:
    rnd = await scoped(db, RatingRound, council.id, round_id)
    if lock:
        await db.refresh(rnd, with_for_update=True)
    return rnd


async def rounds(db: AsyncSession, council: Council) -> list[RatingRound]:
    rows = await db.execute(
        sa.select(RatingRound)
        .where(RatingRound.council_id == council.id)
        .order_by(RatingRound.quarter_end.desc(), RatingRound.created_at.desc())
    )
    return list(rows.scalars())


async def entrants(db: AsyncSession, rnd: RatingRound) -> list[Shop]:
    rows = await db.execute(
        sa.select(Shop)
        .join(RatingEntrant, RatingEntrant.shop_id == Shop.id)
        .where(RatingEntrant.round_id == rnd.id)
    )
    return sorted(rows.scalars(), key=lambda s: street_order(s.number))


@dataclass(frozen=True)
class ScorerProgress:
    scorer: RatingScorer
    name: str
    group: str
    done: int  # shops fully scored
    due: int  # shops to score: every entrant but the scorer's own


@dataclass(frozen=True)
class Progress:
    scorers: list[ScorerProgress]

    @property
    def complete(self) -> bool:
        return all(p.done >= p.due for p in self.scorers)

    @property
    def missing(self) -> int:
        return sum(max(0, p.due - p.done) for p in self.scorers)


async def progress(db: AsyncSession, council: Council, rnd: RatingRound) -> Progress:
    """What the supervisor watches: each scorer's shops scored out of those due."""
    shops = {s.id for s in await entrants(db, rnd)}
    dims = int(
        await db.scalar(
            sa.select(sa.func.count(RatingDimension.id)).where(
                RatingDimension.scheme_id == rnd.scheme_id
            )
        )
        or 0
    )
    rows = await db.execute(
        sa.select(RatingScorer, Person.display_name, RatingGroup.name)
        .join(Person, Person.id == RatingScorer.person_id)
        .join(RatingGroup, RatingGroup.id == RatingScorer.group_id)
        .where(RatingScorer.round_id == rnd.id)
        .order_by(RatingGroup.position, Person.display_name)
    )
    counted = await db.execute(
        sa.select(RatingScore.scorer_id, RatingScore.shop_id, sa.func.count(RatingScore.id))
        .where(RatingScore.round_id == rnd.id)
        .group_by(RatingScore.scorer_id, RatingScore.shop_id)
    )
    done: dict[UUID, int] = {}
    for scorer_id, _shop, n in counted:
        if n >= dims:
            done[scorer_id] = done.get(scorer_id, 0) + 1
    result = []
    for scorer, name, group in rows:
        own = await owned_shop_ids(db, Actor(person_id=scorer.person_id), council.id)
        due = len(shops - own)
        result.append(ScorerProgress(scorer, name, group, done.get(scorer.id, 0), due))
    return Progress(result)


async def my_scorer(db: AsyncSession, actor: Actor, rnd: RatingRound) -> RatingScorer | None:
    if not actor.signed_in:
        return None
    return await db.scalar(
        sa.select(RatingScorer).where(
            RatingScorer.round_id == rnd.id, RatingScorer.person_id == actor.person_id
        )
    )


def scoring_open(rnd: RatingRound, now: dt.datetime) -> bool:
    return rnd.status is RoundStatus.SCORING and rnd.opens_at <= now < rnd.closes_at


async def my_scores(
    db: AsyncSession, scorer: RatingScorer, shop_id: UUID | None = None
) -> dict[UUID, dict[UUID, int]]:
    """shop → dimension → score, for one scorer."""
    stmt = sa.select(RatingScore).where(RatingScore.scorer_id == scorer.id)
    if shop_id is not None:
        stmt = stmt.where(RatingScore.shop_id == shop_id)
    found: dict[UUID, dict[UUID, int]] = {}
    for row in (await db.execute(stmt)).scalars():
        found.setdefault(row.shop_id, {})[row.dimension_id] = row.score
    return found


async def scheme_of(db: AsyncSession, rnd: RatingRound) -> SchemeView:
    scheme = await db.get(RatingScheme, rnd.scheme_id)
    assert scheme is not None  # noqa: S101 - RESTRICT keeps a round's scheme
    return await _scheme_view(db, scheme)


def score_field(dimension: RatingDimension) -> str:
    return f"score_{dimension.id.hex}"


async def score(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    round_id: UUID | str,
    shop_id: UUID | str,
    data: Mapping[str, Any],
    now: dt.datetime,
) -> dict[str, int]:
    """One scorer's 0–10 per dimension for one shop, in the round's period; scoring the same
    shop again in the period replaces the earlier sheet. Never one's own shop."""
    rnd = await get_round(db, council, round_id, lock=True)
    shop = await scoped(db, Shop, council.id, shop_id)
    view = await scheme_of(db, rnd)
    values = {score_field(d): str(first_value(data, score_field(d)) or "") for d in view.dimensions}
    scorer = await my_scorer(db, actor, rnd)
    if scorer is None:
        forbid(_("您不是本轮评比的评分人"), values=values)
    if shop.id not in {s.id for s in await entrants(db, rnd)}:
        raise NotFound(_("这家店铺不在本轮评比中"))
    if not can_score(actor, council.id, shop.id, await owned_shop_ids(db, actor, council.id)):
        forbid(_("不能给自己经营的店铺评分"), values=values)
    if not scoring_open(rnd, now):
        window = f"{_local(rnd.opens_at, council)} – {_local(rnd.closes_at, council)}"
        refuse(_("不在本轮评分期内（%(w)s），不能评分", w=window), values=values)
    scores: dict[UUID, int] = {}
    errors: dict[str, str] = {}
    for dim in view.dimensions:
        raw = values[score_field(dim)].strip()
        value = int(raw) if re.fullmatch(r"\d{1,2}", raw) else -1
        if problem := (ratings.score_problem(value) if value >= 0 else _("请为这一项打分（0–10）")):
            errors[score_field(dim)] = problem
        scores[dim.id] = value
    if errors:
        raise FormInvalid(errors, values)
    existing = {
        row.dimension_id: row
        for row in (
            await db.execute(
                sa.select(RatingScore).where(
                    RatingScore.scorer_id == scorer.id, RatingScore.shop_id == shop.id
                )
            )
        ).scalars()
    }
    for dim_id, value in scores.items():
        if dim_id in existing:
            existing[dim_id].score = value
        else:
            db.add(
                RatingScore(
                    council_id=council.id,
                    round_id=rnd.id,
                    scorer_id=scorer.id,
                    shop_id=shop.id,
                    dimension_id=dim_id,
                    score=value,
                )
            )
    await db.flush()
    # Each scorer's own sheet is not published (only group means are): the chain records
    # that this person scored this shop, not the scores.
    await record(
        db,
        actor,
        council,
        "rating.scored",
        ("rating_round", rnd.id),
        now,
        shop=shop.number,
        again=bool(existing),
    )
    by_name = {d.id: d.name for d in view.dimensions}
    return {by_name[k]: v for k, v in scores.items()}


def _local(moment: dt.datetime, council: Council) -> str:
    return local_text(moment, council.timezone)


async def sheets_of(db: AsyncSession, rnd: RatingRound) -> list[ratings.Sheet]:
    rows = await db.execute(
        sa.select(RatingScore, RatingScorer.group_id)
        .join(RatingScorer, RatingScorer.id == RatingScore.scorer_id)
        .where(RatingScore.round_id == rnd.id)
    )
    sheets: dict[tuple[UUID, UUID], tuple[UUID, dict[str, int]]] = {}
    for row, group_id in rows:
        key = (row.scorer_id, row.shop_id)
        sheets.setdefault(key, (group_id, {}))[1][row.dimension_id.hex] = row.score
    dims = {
        d.hex
        for d in (
            await db.execute(
                sa.select(RatingDimension.id).where(RatingDimension.scheme_id == rnd.scheme_id)
            )
        ).scalars()
    }
    return [
        ratings.Sheet(scorer.hex, group.hex, shop.hex, scores)
        for (scorer, shop), (group, scores) in sheets.items()
        if set(scores) == dims
    ]


async def round_violations(
    db: AsyncSession, council: Council, rnd: RatingRound
) -> list[violations.Violation]:
    """Verified violations in the quarter the round rates."""
    since = day_start(rnd.quarter_start, council.timezone)
    until = day_start(rnd.quarter_end + dt.timedelta(days=1), council.timezone)
    return await violations.verified_violations(db, council.id, since, until)


async def compute(
    db: AsyncSession, actor: Actor, council: Council, round_id: UUID | str, now: dt.datetime
) -> RatingRound:
    """Results, frozen: after the period, or earlier once every scorer has scored every
    shop. A tie after both published rules waits for the supervisor's lot."""
    check(actor, council, Action.MANAGE_PROGRAMMES, _("只有主持人可以计算评比结果"))
    rnd = await get_round(db, council, round_id, lock=True)
    if rnd.status is not RoundStatus.SCORING:
        refuse(_("本轮评比的结果已经算出"))
    watched = await progress(db, council, rnd)
    if now < rnd.closes_at and not watched.complete:
        refuse(
            _(
                "评分期至 %(t)s 结束，还有 %(n)s 份评分未交，不能提前出结果",
                t=_local(rnd.closes_at, council),
                n=watched.missing,
            )
        )
    view = await scheme_of(db, rnd)
    shops = await entrants(db, rnd)
    found = await round_violations(db, council, rnd)
    counts = {k.hex: v for k, v in violations.tally(found).items()}
    outcome = ratings.compute(
        view.pure(), [s.id.hex for s in shops], await sheets_of(db, rnd), counts
    )
    rnd.results = ratings.dump(outcome)
    rnd.status = RoundStatus.COMPUTED
    rnd.computed_at = now
    rnd.winner_shop_id = as_uuid(outcome.winner) if outcome.winner else None
    await db.flush()
    numbers = {s.id.hex: s.number for s in shops}
    await record(
        db,
        actor,
        council,
        "rating.computed",
        ("rating_round", rnd.id),
        now,
        winner=numbers.get(outcome.winner or ""),
        tied=[numbers[s] for s in outcome.tied],
        scores={numbers[r.shop]: ratings.display(r.score) for r in outcome.results},
        violations=len(found),
    )
    return rnd


async def draw_lot(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    round_id: UUID | str,
    form: LotForm,
    now: dt.datetime,
) -> RatingRound:
    """The supervisor records the lot drawn among shops still tied after both rules."""
    check(actor, council, Action.DRAW_LOTS, _("抽签由监督员主持并登记"))
    rnd = await get_round(db, council, round_id, lock=True)
    values = {"shop_id": form.shop_id, "note": form.note}
    if rnd.status is not RoundStatus.COMPUTED or rnd.winner_shop_id is not None:
        refuse(_("本轮评比没有需要抽签决定的并列"), "shop_id", values)
    shop_hex = (as_uuid(form.shop_id) or UUID(int=0)).hex
    outcome = ratings.drawn(ratings.load(rnd.results), shop_hex)
    if outcome is None:
        raise FormInvalid({"shop_id": _("请选择并列的店铺之一")}, values)
    rnd.results = ratings.dump(outcome)
    rnd.winner_shop_id = rnd.lot_shop_id = as_uuid(shop_hex)
    rnd.lot_by_id = actor.person_id
    rnd.lot_note = form.note
    await db.flush()
    shop = await db.get(Shop, rnd.winner_shop_id)
    await record(
        db,
        actor,
        council,
        "rating.lot_drawn",
        ("rating_round", rnd.id),
        now,
        winner=shop.number if shop else None,
        note=form.note,
    )
    return rnd


async def _draft_notice(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    rnd: RatingRound,
    outcome: ratings.Outcome,
    now: dt.datetime,
) -> Notice:
    view = await scheme_of(db, rnd)
    shops = {s.id.hex: s for s in await entrants(db, rnd)}
    lines = [
        _(
            "%(title)s评比按公布的标准和权重进行：%(dims)s；评分组 %(groups)s。"
            "每次经核实的违规扣 %(p)s 分，诚信类违规当季不得获流动红旗。",
            title=rnd.title,
            dims="、".join(f"{d.name} {d.weight}" for d in view.dimensions),
            groups="、".join(f"{g.name} {g.weight}%" for g in view.groups),
            p=view.scheme.penalty,
        ),
        "",
    ]
    for r in outcome.results:
        shop = shops[r.shop]
        flag = _("（流动红旗）") if r.shop == outcome.winner else ""
        rank = _("第 %(n)s 名", n=r.rank) if r.rank else _("未评完")
        lines.append(f"{rank} · {shop.number} 号 {shop.name} {ratings.display(r.score)}{flag}")
    if outcome.by_lot:
        lines.append(_("并列由监督员抽签决定。"))
    form = NoticeForm(
        title=_("%(title)s文明诚信商户评比结果", title=rnd.title)[:120],
        body="\n".join(lines),
        kind=NoticeKind.RATING,
    )
    return await notices.draft(db, actor, council, form, now, subject=(SUBJECT, rnd.id))


async def results_notice(db: AsyncSession, council: Council, rnd: RatingRound) -> Notice | None:
    return await notices.latest(db, council, SUBJECT, rnd.id, NoticeKind.RATING)


async def in_notice(db: AsyncSession, council: Council, rnd: RatingRound) -> bool:
    """The results are public once their notice is published (a visitor can see it)."""
    public = await notices.for_subject(db, ANONYMOUS, council, SUBJECT, rnd.id)
    return any(n.kind is NoticeKind.RATING for n in public)


async def publish_results(
    db: AsyncSession, actor: Actor, council: Council, round_id: UUID | str, now: dt.datetime
) -> Notice:
    """Put the results in notice: they become public and the 流动红旗 moves."""
    check(actor, council, Action.MANAGE_PROGRAMMES, _("只有主持人可以公示评比结果"))
    rnd = await get_round(db, council, round_id, lock=True)
    if rnd.status is not RoundStatus.COMPUTED or rnd.winner_shop_id is None:
        refuse(_("结果算出、流动红旗归属确定后才能公示"))
    if await results_notice(db, council, rnd) is not None:
        refuse(_("本轮评比结果已经公示"))
    draft = await _draft_notice(db, actor, council, rnd, ratings.load(rnd.results), now)
    published = await notices.publish(db, actor, council, draft.id, now)
    winner = await db.get(Shop, rnd.winner_shop_id)
    await record(
        db,
        actor,
        council,
        "rating.results_in_notice",
        ("rating_round", rnd.id),
        now,
        notice=published.id.hex,
        flag=winner.number if winner else None,
    )
    return published


# --- what pages show --------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultRow:
    shop: Shop
    result: ratings.ShopResult
    flag: bool


@dataclass(frozen=True)
class Results:
    rnd: RatingRound
    scheme: SchemeView
    rows: list[ResultRow]
    outcome: ratings.Outcome
    tied: list[Shop]


async def results(db: AsyncSession, council: Council, rnd: RatingRound) -> Results | None:
    if rnd.status is not RoundStatus.COMPUTED:
        return None
    outcome = ratings.load(rnd.results)
    shops = {s.id.hex: s for s in await entrants(db, rnd)}
    rows = [
        ResultRow(shops[r.shop], r, r.shop == outcome.winner)
        for r in outcome.results
        if r.shop in shops
    ]
    tied = [shops[s] for s in outcome.tied if s in shops]
    return Results(rnd, await scheme_of(db, rnd), rows, outcome, tied)


async def visible_results(
    db: AsyncSession, actor: Actor, council: Council, rnd: RatingRound
) -> Results | None:
    """Staff see results once computed; everyone once they are in notice."""
    if can(actor, Action.VIEW_PROGRAMME_RECORDS, council.id) or await in_notice(db, council, rnd):
        return await results(db, council, rnd)
    return None


@dataclass(frozen=True)
class Flag:
    rnd: RatingRound
    shop: Shop
    score: str


async def current_flag(db: AsyncSession, council: Council) -> Flag | None:
    """The 流动红旗: with the winner of the latest round whose results are in notice, until
    the next round's results are."""
    for rnd in await rounds(db, council):
        if rnd.winner_shop_id is None or not await in_notice(db, council, rnd):
            continue
        shop = await db.get(Shop, rnd.winner_shop_id)
        if shop is None:
            continue
        outcome = ratings.load(rnd.results)
        mine = next((r for r in outcome.results if r.shop == shop.id.hex), None)
        return Flag(rnd, shop, ratings.display(mine.score if mine else None))
    return None


@dataclass(frozen=True)
class ShopStanding:
    rnd: RatingRound
    result: ratings.ShopResult
    flag: bool


async def shop_history(db: AsyncSession, council: Council, shop: Shop) -> list[ShopStanding]:
    """The shop's published results, newest first: history is kept."""
    found = []
    for rnd in await rounds(db, council):
        if rnd.status is not RoundStatus.COMPUTED or not await in_notice(db, council, rnd):
            continue
        outcome = ratings.load(rnd.results)
        mine = next((r for r in outcome.results if r.shop == shop.id.hex), None)
        if mine is not None:
            found.append(ShopStanding(rnd, mine, outcome.winner == shop.id.hex))
    return found


async def scorer_rounds(db: AsyncSession, actor: Actor, council: Council) -> list[RatingRound]:
    """Rounds this person scores in, still open for scoring."""
    if not actor.signed_in:
        return []
    rows = await db.execute(
        sa.select(RatingRound)
        .join(RatingScorer, RatingScorer.round_id == RatingRound.id)
        .where(
            RatingRound.council_id == council.id,
            RatingScorer.person_id == actor.person_id,
            RatingRound.status == RoundStatus.SCORING,
        )
    )
    return list(rows.scalars())
