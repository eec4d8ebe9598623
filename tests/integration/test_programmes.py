"""Street programmes through the services, on both databases: the DOMAIN §8 worked examples
(ratings and points), every refused case changing nothing, the period-gated crediting, and
a ledger that neither loses nor double-counts."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from council.audit.models import AuditEntry
from council.councils.models import Shop
from council.councils.permissions import Actor
from council.errors import DomainError, FormInvalid, FormRefused, NotAllowed, StateRefused
from council.notices import service as notices
from council.notices.models import Notice
from council.notices.periods import NoticeKind, NoticeStatus
from council.notices.schemas import AnswerForm, ObjectionForm
from council.programmes import ratings
from council.programmes import service_inspections as inspections
from council.programmes import service_points as points
from council.programmes import service_ratings as rating
from council.programmes import service_rota as rotas
from council.programmes.kinds import (
    ActivityKind,
    CheckPurpose,
    ClaimState,
    EntryKind,
    RedemptionState,
    RoundStatus,
    SwapState,
)
from council.programmes.models import (
    CheckItem,
    DutyCheck,
    Inspection,
    PointBalance,
    PointClaim,
    PointEntry,
    RatingRound,
    RatingScore,
    Redemption,
    RotaDuty,
    RotaSwap,
)
from council.programmes.schemas import (
    AttendanceForm,
    CorrectionForm,
    DecisionForm,
    InspectionForm,
    ItemForm,
    LotForm,
    MonthForm,
    ReviewForm,
    SwapAnswerForm,
    SwapForm,
)
from tests.programmes_support import AFTER_AWARD_NOTICE, NOW, World, world

TABLES = (
    RatingRound,
    RatingScore,
    PointClaim,
    PointEntry,
    PointBalance,
    Redemption,
    RotaDuty,
    RotaSwap,
    DutyCheck,
    Inspection,
    Notice,
    AuditEntry,
)


async def _snapshot(db: AsyncSession) -> tuple[object, ...]:
    """Row counts of every programme table, the notices and the audit chain, the balances,
    scores, claim states, duty shops and round states: what a refusal must leave as it was."""
    counts = [await db.scalar(sa.select(sa.func.count(m.id))) for m in TABLES]
    balances = (await db.execute(sa.select(PointBalance.person_id, PointBalance.balance))).all()
    scores = (await db.execute(sa.select(RatingScore.id, RatingScore.score))).all()
    claims = (await db.execute(sa.select(PointClaim.id, PointClaim.status))).all()
    duties = (await db.execute(sa.select(RotaDuty.id, RotaDuty.shop_id, RotaDuty.done_at))).all()
    rounds = (await db.execute(sa.select(RatingRound.id, RatingRound.status))).all()
    return (
        counts,
        *(sorted(map(tuple, rows)) for rows in (balances, scores, claims, duties, rounds)),
    )


async def _refused(db: AsyncSession, action: object, kind: type[DomainError], *said: str) -> None:
    """The action is refused as ``kind`` with every ``said`` in its message; nothing changed."""
    before = await _snapshot(db)
    with pytest.raises(kind) as refused:
        await action  # type: ignore[misc]
    error = refused.value
    text = " ".join(error.errors.values()) if isinstance(error, FormInvalid) else error.message
    for words in said:
        assert words in text, text
    assert await _snapshot(db) == before


@pytest.fixture
async def w(db: AsyncSession) -> World:
    return await world(db)


# --- 文明诚信商户 ------------------------------------------------------------------------------


async def test_rating_round_worked_example_gives_81_7_and_the_flag(w: World) -> None:
    """DOMAIN §8 on the database: 商会 86 and 90; 社区 80; 居民代表 70, 75, 80 → 81.7."""
    db = w.db
    rnd = await w.round(
        shops="5, 12",
        scorers="商会：shop01 shop09\n社区：dangwei\n居民代表：jumin02 jumin03 jumin04",
    )
    sheets = {
        "shop01": [9, 9, 9, 8, 8, 8],  # 86
        "shop09": [9, 9, 9, 9, 9, 9],  # 90
        "dangwei": [8] * 6,  # 80
        "jumin02": [7] * 6,  # 70
        "jumin03": [8, 8, 7, 7, 7, 8],  # 75
        "jumin04": [8] * 6,  # 80
    }
    for login, values in sheets.items():
        await w.score(login, rnd, "12", values)
        await w.score(login, rnd, "5", [7] * 6)
    done = await rating.compute(db, await w.actor("zhuchi"), w.council, rnd.id, NOW)
    assert done.status is RoundStatus.COMPUTED  # early: every scorer scored every shop
    results = await rating.results(db, w.council, done)
    assert results is not None
    top = results.rows[0]
    assert (top.shop.number, top.result.score, top.flag) == ("12", Fraction(817, 10), True)
    groups = {g.name: top.result.by_group[g.id.hex] for g in results.scheme.groups}
    assert groups == {"商会": 88, "社区": 80, "居民代表": 75}
    assert ratings.display(results.rows[1].result.score) == "70.0"
    # The results notice is drafted; publishing it puts the results in notice and moves the
    # 流动红旗 to shop 12.
    before = await rating.current_flag(db, w.council)
    assert before is None or before.rnd.id != rnd.id
    notice = await rating.publish_results(db, await w.actor("zhuchi"), w.council, rnd.id, NOW)
    assert notice.kind is NoticeKind.RATING and notice.status is NoticeStatus.PUBLISHED
    assert "第 1 名 · 12 号 西塞山烧烤 81.7（流动红旗）" in notice.body
    flag = await rating.current_flag(db, w.council)
    assert flag is not None and (flag.rnd.id, flag.shop.number, flag.score) == (
        rnd.id,
        "12",
        "81.7",
    )


async def _marks(w: World, rule: CheckItem, mark: str) -> dict[str, str]:
    """An inspection sheet as the form sends it: ``mark`` for ``rule``, every other active
    外摆 rule of the council (the demo has its own) passed."""
    rules = await w.db.scalars(
        sa.select(CheckItem).where(
            CheckItem.council_id == w.council.id,
            CheckItem.purpose == CheckPurpose.DISPLAY,
            CheckItem.active.is_(True),
        )
    )
    return {inspections.rule_field(r): "pass" for r in rules} | {inspections.rule_field(rule): mark}


async def test_rating_a_failed_inspection_in_the_quarter_downgrades(w: World) -> None:
    """A verified violation (a failed 外摆 inspection) takes 5 off: 81.7 → 76.7, and the flag
    goes to the next shop."""
    db = w.db
    rnd = await w.round(shops="5, 12", scorers="商会：shop09\n社区：dangwei\n居民代表：jumin02")
    for login in ("shop09", "dangwei", "jumin02"):
        await w.score(login, rnd, "12", [8] * 6)  # 80.0
        await w.score(login, rnd, "5", [8, 8, 8, 8, 8, 6])  # 78.0
    zhuchi = await w.actor("zhuchi")
    rule = await rotas.add_item(
        db, zhuchi, w.council, ItemForm(purpose=CheckPurpose.DISPLAY, text="不超出门前一米"), NOW
    )
    await inspections.record_inspection(
        db,
        await w.actor("jiandu"),
        w.council,
        InspectionForm(shop_number="12", note="桌椅摆到了路中间"),
        await _marks(w, rule, "fail"),
        NOW - dt.timedelta(days=2),
    )
    done = await rating.compute(db, zhuchi, w.council, rnd.id, NOW)
    results = await rating.results(db, w.council, done)
    assert results is not None
    assert [(r.shop.number, ratings.display(r.result.score), r.flag) for r in results.rows] == [
        ("5", "78.0", True),
        ("12", "75.0", False),
    ]
    assert results.rows[1].result.violations.count == 1


async def test_rating_a_tie_waits_for_the_supervisors_lot(w: World) -> None:
    db = w.db
    rnd = await w.round(shops="5, 12", scorers="商会：shop09\n社区：dangwei\n居民代表：jumin02")
    for login in ("shop09", "dangwei", "jumin02"):
        for number in ("5", "12"):
            await w.score(login, rnd, number, [8] * 6)
    zhuchi, jiandu = await w.actor("zhuchi"), await w.actor("jiandu")
    done = await rating.compute(db, zhuchi, w.council, rnd.id, NOW)
    assert done.winner_shop_id is None
    await _refused(  # nothing to put in notice until the lot is drawn
        db, rating.publish_results(db, zhuchi, w.council, rnd.id, NOW), StateRefused, "流动红旗归属"
    )
    shop_12 = await w.shop("12")
    lot = LotForm(shop_id=shop_12.id.hex, note="监督员在议事室当众抽签")
    await _refused(
        db, rating.draw_lot(db, zhuchi, w.council, rnd.id, lot, NOW), NotAllowed, "监督员"
    )
    drawn = await rating.draw_lot(db, jiandu, w.council, rnd.id, lot, NOW)
    assert drawn.winner_shop_id == shop_12.id
    notice = await rating.publish_results(db, zhuchi, w.council, rnd.id, NOW)
    assert "并列由监督员抽签决定" in notice.body
    flag = await rating.current_flag(db, w.council)
    assert flag is not None and flag.shop.number == "12"


async def test_rating_scoring_ones_own_shop_is_refused(w: World) -> None:
    """shop09 (张伟) scores for the 商会 but never shop 9."""
    rnd = await w.round()
    await _refused(
        w.db, w.score("shop09", rnd, "9", [10] * 6), FormRefused, "不能给自己经营的店铺评分"
    )
    await w.score("shop09", rnd, "12", [8] * 6)  # any other shop is fine


async def test_rating_scoring_outside_the_period_is_refused(w: World) -> None:
    rnd = await w.round(opens=NOW + dt.timedelta(days=1), closes=NOW + dt.timedelta(days=8))
    await _refused(w.db, w.score("jumin02", rnd, "12", [8] * 6), StateRefused, "不在本轮评分期内")
    late = NOW + dt.timedelta(days=8)
    await _refused(
        w.db, w.score("jumin02", rnd, "12", [8] * 6, at=late), StateRefused, "不在本轮评分期内"
    )


async def test_rating_a_non_scorer_and_a_bad_score_are_refused(w: World) -> None:
    rnd = await w.round()
    await _refused(
        w.db, w.score("jumin11", rnd, "12", [8] * 6), FormRefused, "不是本轮评比的评分人"
    )
    await _refused(w.db, w.score("jumin02", rnd, "12", [8, 8, 8, 8, 8, 11]), FormInvalid, "0 到 10")


async def test_rating_results_wait_for_the_period_or_every_sheet(w: World) -> None:
    rnd = await w.round()
    await w.score("jumin02", rnd, "12", [8] * 6)
    zhuchi = await w.actor("zhuchi")
    await _refused(
        w.db, rating.compute(w.db, zhuchi, w.council, rnd.id, NOW), StateRefused, "份评分未交"
    )
    closed = await rating.compute(w.db, zhuchi, w.council, rnd.id, NOW + dt.timedelta(days=7))
    assert closed.status is RoundStatus.COMPUTED


# --- 积分 ------------------------------------------------------------------------------------


async def test_points_worked_example_chen_earns_4_and_redeems_10(w: World) -> None:
    """DOMAIN §8: 陈阿姨 (8 points) applies for 清洁家园日 (4) with a photo → approved → in
    notice 3 days with no objection → credited (12). She redeems 修鞋 for 10 at a shop, which
    confirms → 2; a second 修鞋 is refused (2 < 10)."""
    db = w.db
    chen = await w.resident("chenayi", "陈阿姨")
    await w.earn_and_credit(chen, "义务巡逻", 8)
    assert await points.balance_of(db, w.council, chen.person_id) == 8
    notice = await w.earn(chen, "清洁家园日", 4)
    assert (notice.kind, notice.period_days) == (NoticeKind.AWARD, 3)
    assert "陈** 4 分" in notice.body  # the public notice names her by surname only
    zhuchi = await w.actor("zhuchi")
    await points.credit(db, zhuchi, w.council, notice.id, AFTER_AWARD_NOTICE)
    assert await points.balance_of(db, w.council, chen.person_id) == 12
    offer = await w.offer("7", "修鞋", 10)
    redemption = await points.redeem(db, chen, w.council, offer.id, AFTER_AWARD_NOTICE)
    shop07 = await w.actor("shop07")
    await points.decide_redemption(
        db, shop07, w.council, redemption.id, DecisionForm(decision="confirm"), AFTER_AWARD_NOTICE
    )
    assert redemption.status is RedemptionState.CONFIRMED
    assert await points.balance_of(db, w.council, chen.person_id) == 2
    await _refused(
        db,
        points.redeem(db, chen, w.council, offer.id, AFTER_AWARD_NOTICE),
        StateRefused,
        "积分不足：余额 2 分，兑换需要 10 分",
    )
    ledger = await points.ledger_of(db, w.council, chen.person_id)
    assert [(e.seq, e.kind, e.amount, e.balance_after) for e in ledger] == [
        (3, EntryKind.REDEMPTION, -10, 2),
        (2, EntryKind.AWARD, 4, 12),
        (1, EntryKind.AWARD, 8, 8),
    ]
    awards = [(a.name, a.activity, a.points) for a in await points.public_awards(db, w.council)]
    assert ("陈**", "清洁家园日", 4) in awards


async def test_points_crediting_before_the_notice_ends_is_refused(w: World) -> None:
    chen = await w.resident("chenayi", "陈阿姨")
    notice = await w.earn(chen, "清洁家园日", 4)
    zhuchi = await w.actor("zhuchi")
    last_minute = AFTER_AWARD_NOTICE - dt.timedelta(days=1)
    await _refused(
        w.db,
        points.credit(w.db, zhuchi, w.council, notice.id, last_minute),
        StateRefused,
        "公示期满",
        "还剩 1 天",
    )
    assert await points.balance_of(w.db, w.council, chen.person_id) == 0


async def test_points_an_unanswered_objection_holds_the_credit(w: World) -> None:
    db = w.db
    chen = await w.resident("chenayi", "陈阿姨")
    notice = await w.earn(chen, "清洁家园日", 4)
    objection = await notices.lodge(
        db,
        await w.actor("jumin11"),
        w.council,
        notice.id,
        ObjectionForm(name="何平", contact="13800000000", body="她那天没有来参加清洁"),
        NOW + dt.timedelta(hours=2),
    )
    zhuchi = await w.actor("zhuchi")
    await _refused(
        db,
        points.credit(db, zhuchi, w.council, notice.id, AFTER_AWARD_NOTICE),
        StateRefused,
        "异议未答复",
    )
    answer = AnswerForm(answer="经核对签到表和照片，陈阿姨当天参加了清洁")
    await notices.answer(db, zhuchi, w.council, objection.id, answer, AFTER_AWARD_NOTICE)
    await points.credit(db, zhuchi, w.council, notice.id, AFTER_AWARD_NOTICE)
    assert await points.balance_of(db, w.council, chen.person_id) == 4


async def test_points_nobody_approves_their_own_attendance_record(w: World) -> None:
    """The facilitator records attendance; the supervisor, not the facilitator, approves."""
    db = w.db
    activity = await w.activity("防诈骗讲座", 2, ActivityKind.LECTURE)
    zhuchi, jiandu = await w.actor("zhuchi"), await w.actor("jiandu")
    [claim] = await points.record_attendance(
        db, zhuchi, w.council, activity.id, AttendanceForm(logins="jumin11"), NOW
    )
    approve = ReviewForm(decision="approve")
    await _refused(
        db,
        points.review(db, zhuchi, w.council, claim.id, approve, NOW),
        FormRefused,
        "不能审核自己",
    )
    await points.review(db, jiandu, w.council, claim.id, approve, NOW)
    assert claim.status is ClaimState.APPROVED


async def test_points_redeeming_more_than_the_balance_is_refused(w: World) -> None:
    chen = await w.resident("chenayi", "陈阿姨")
    await w.earn_and_credit(chen, "清洁家园日", 4)
    haircut = await w.offer("20", "理发", 30)
    await _refused(
        w.db,
        points.redeem(w.db, chen, w.council, haircut.id, AFTER_AWARD_NOTICE),
        StateRefused,
        "积分不足：余额 4 分，兑换需要 30 分",
    )


async def test_points_a_ledger_entry_is_never_edited_only_corrected(w: World) -> None:
    """The database refuses UPDATE and DELETE of an entry; a correction is a new negative
    entry with a reason pointing at the wrong one."""
    db = w.db
    chen = await w.resident("chenayi", "陈阿姨")
    await w.earn_and_credit(chen, "清洁家园日", 4)
    [entry] = await points.ledger_of(db, w.council, chen.person_id)
    zhuchi = await w.actor("zhuchi")
    too_much = CorrectionForm(amount=-5, reason="误记")
    await _refused(
        db,
        points.correct(db, zhuchi, w.council, entry.id, too_much, AFTER_AWARD_NOTICE),
        FormInvalid,
        "最多还能更正 -4 分",
    )
    form = CorrectionForm(amount=-4, reason="当天并未参加，误记")
    fixed = await points.correct(db, zhuchi, w.council, entry.id, form, AFTER_AWARD_NOTICE)
    assert (fixed.kind, fixed.amount, fixed.corrects_id, fixed.balance_after) == (
        EntryKind.CORRECTION,
        -4,
        entry.id,
        0,
    )
    await db.refresh(entry)
    assert (entry.amount, entry.balance_after) == (4, 4)  # the wrong entry stands, corrected
    entry_id = entry.id
    await db.commit()
    for statement in (
        sa.update(PointEntry).where(PointEntry.id == entry_id).values(amount=40),
        sa.delete(PointEntry).where(PointEntry.id == entry_id),
    ):
        with pytest.raises(DBAPIError) as refused:
            await db.execute(statement)
        assert "积分流水只能追加，不能修改或删除" in str(refused.value)
        await db.rollback()
    amounts = await db.execute(
        sa.select(PointEntry.amount).where(PointEntry.person_id == chen.person_id)
    )
    assert sorted(amounts.scalars()) == [-4, 4]


# --- 值日 · 街区管家 ---------------------------------------------------------------------------


async def _december(w: World) -> list[RotaDuty]:
    """December's duties: the demo draws the month after its load date (NOW) too."""
    rows = await w.db.execute(
        sa.select(RotaDuty)
        .where(RotaDuty.council_id == w.council.id, RotaDuty.day >= dt.date(2026, 12, 1))
        .order_by(RotaDuty.day)
    )
    return list(rows.scalars())


async def test_rota_a_swap_one_shop_did_not_agree_to_is_refused(w: World) -> None:
    db = w.db
    duties = await _december(w)
    first, second = duties[0], duties[1]
    mine = await _rep(w, first)
    theirs = await _rep(w, second)
    swap = await rotas.request_swap(
        db, mine, w.council, first.id, SwapForm(other_duty_id=second.id.hex), NOW
    )
    accept = SwapAnswerForm(decision="accept")
    # Neither the asking shop nor the facilitator can agree in the other shop's place.
    for who in (mine, await w.actor("zhuchi")):
        await _refused(
            db,
            rotas.answer_swap(db, who, w.council, swap.id, accept, NOW),
            FormRefused,
            "调换须由对方店铺同意",
        )
    shops_before = (first.shop_id, second.shop_id)
    await rotas.answer_swap(db, theirs, w.council, swap.id, accept, NOW)
    assert swap.status is SwapState.ACCEPTED
    assert (first.shop_id, second.shop_id) == shops_before[::-1]


async def _rep(w: World, duty: RotaDuty) -> Actor:
    shop = await w.db.get(Shop, duty.shop_id)
    assert shop is not None
    return await w.actor(f"shop{int(shop.number):02d}")


async def test_rota_only_the_duty_shop_ticks_and_only_on_its_day(w: World) -> None:
    db = w.db
    duties = await _december(w)
    first = duties[0]
    owner = await _rep(w, first)
    other = await _rep(w, duties[1])
    day = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)  # 10:00 local on 12-01
    await _refused(
        db, rotas.tick(db, other, w.council, first.id, set(), "", day), FormRefused, "值日的店铺"
    )
    await _refused(
        db, rotas.tick(db, owner, w.council, first.id, set(), "", NOW), StateRefused, "值日当天"
    )
    item = await db.scalar(sa.select(CheckItem).where(CheckItem.council_id == w.council.id))
    assert item is not None
    await rotas.tick(db, owner, w.council, first.id, {item.id.hex}, "门前干净", day)
    assert first.done_at == day


async def test_rota_a_month_is_generated_once_in_street_order(w: World) -> None:
    duties = await _december(w)
    assert len(duties) == 31
    zhuchi = await w.actor("zhuchi")
    await _refused(
        w.db,
        rotas.generate(w.db, zhuchi, w.council, MonthForm(month="2026-12"), NOW),
        StateRefused,
        "值日表已经排好",
    )


# --- 外摆 -----------------------------------------------------------------------------------


async def test_inspections_give_a_monthly_compliance_rate(w: World) -> None:
    db = w.db
    zhuchi = await w.actor("zhuchi")
    rule = await rotas.add_item(
        db, zhuchi, w.council, ItemForm(purpose=CheckPurpose.DISPLAY, text="22:00 后收摊"), NOW
    )
    later = dt.datetime(2027, 3, 10, 12, 0, tzinfo=dt.UTC)
    for i, mark in enumerate(["pass", "pass", "pass", "fail"]):
        form = InspectionForm(shop_number=str(i + 1))
        sheet = await _marks(w, rule, mark)
        await inspections.record_inspection(db, zhuchi, w.council, form, sheet, later)
    march = [m for m in await inspections.compliance(db, w.council, later) if m.month == "2027-03"]
    assert [(m.inspected, m.passed, m.shown) for m in march] == [(4, 3, "75")]
    resident = await w.actor("jumin11")
    with pytest.raises(NotAllowed):
        form = InspectionForm(shop_number="1")
        sheet = await _marks(w, rule, "pass")
        await inspections.record_inspection(db, resident, w.council, form, sheet, later)
