"""Two major matters on 四议两公开一监督, so that a finished and a running case can be seen:

- 振宁社区街区议事会 (a second council): the 振宁路 night-parking scheme, 150 元 a month, has
  gone through all seven stages; one objection was lodged and answered in the resolution
  notice's period.
- 钟楼烟火: the purifier subsidy (以奖代补) sits in 决议公开, its notice with days left.

Dates are relative to the load time, like the rest of the demo."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from council.consultations.models import Side
from council.consultations.schemas import MatterForm, PlanForm
from council.councils import service as councils
from council.councils.models import Council, Role
from council.councils.permissions import Actor
from council.councils.schemas import (
    AppointForm,
    ClaimForm,
    CouncilForm,
    DecisionForm,
    MemberForm,
    ShopForm,
)
from council.demo import data
from council.demo.spine import DAY, Deliberation, Path
from council.notices.periods import NoticeKind

ZHENNING = {
    "slug": "zhenning",
    "name": "振宁社区街区议事会",
    "district": "湖北省黄石市黄石港区",
    "street": "振宁社区 振宁路街区",
    "meeting_place": "振宁社区党群服务中心 二楼议事厅",
    "description": (
        "振宁社区的居民、沿街商户、社区党组织和物业在这里商量街区的事。重大事项按"
        "“四议两公开一监督”办理：党组织提议、联席会议商议、党员大会审议、代表会议决议，"
        "决议和实施结果都公示，居务监督委员会全程监督。"
    ),
    "notice_period_days": 7,
}
# (login, name, phone, title)
ZN_FACILITATOR = ("znzhuchi", "王丽", "13907150001", "振宁社区工作者")
ZN_SUPERVISOR = ("znjiandu", "周建军", "13907150002", "振宁社区居务监督委员会主任")
# constituency name -> [(login, name, phone, title)]; every one a seated member
ZN_SEATS: dict[str, list[tuple[str, str, str, str]]] = {
    "社区党组织": [
        ("zndangwei", "李国华", "13907150101", "振宁社区党委书记"),
        ("zndangwei2", "陈静", "13907150102", "振宁社区党委委员"),
    ],
    "居民代表": [
        ("znjumin01", "胡德明", "13807150201", "振宁小区 1 栋楼长"),
        ("znjumin02", "刘桂芳", "13807150202", "振宁小区 3 栋"),
        ("znjumin03", "邓志刚", "13807150203", "江边路 6 号院"),
        ("znjumin04", "宋玉兰", "13807150204", "振宁小区 5 栋"),
    ],
    "商户代表": [
        ("znshop01", "马永强", "13907150301", "1 号 振宁超市"),
        ("znshop02", "郭小梅", "13907150302", "2 号 小梅早点"),
        ("znshop03", "黄建平", "13907150303", "3 号 建平五金"),
    ],
    "物业": [("znwuye", "吴海燕", "13907150401", "振宁小区物业服务中心经理")],
}
ZN_SHOPS = (("1", "振宁超市", "超市"), ("2", "小梅早点", "早点"), ("3", "建平五金", "五金"))


def zhenning_people() -> list[tuple[str, str, str]]:
    """(login, name, phone) of everyone the second council needs."""
    seated = [
        (login, name, phone) for seats in ZN_SEATS.values() for login, name, phone, _t in seats
    ]
    return [ZN_FACILITATOR[:3], ZN_SUPERVISOR[:3], *seated]


PARKING = MatterForm(
    title="振宁路夜间停车收费方案（150 元/月）",
    description=(
        "振宁路晚上车辆乱停，消防通道和店门口常被堵。方案：划设 48 个夜间车位，"
        "居民办理月票 150 元/月，收入用于车位维护和保洁，账目每季度公开。"
    ),
    merchant_side="振宁路沿街商户",
    resident_side="振宁小区及江边路 6 号院有车居民",
    other_parties="社区党委、振宁小区物业",
    source="社区党组织提议",
)
PARKING_TALK = Deliberation(
    meeting="振宁路停车方案联席会议",
    invite=("社区党组织", "居民代表", "商户代表", "物业"),
    statements=(
        (
            Side.PARTY,
            "社区党委书记 李国华",
            "夜间乱停占了消防通道，必须规范；收费只为维护，不为营利。",
        ),
        (Side.RESIDENT, "居民代表 胡德明", "150 元一个月大家能接受，但要保证有车位，账目要公开。"),
        (Side.MERCHANT, "商户代表 马永强", "店门口早上要卸货，希望 7 点前车辆挪走。"),
        (Side.PROPERTY, "物业 吴海燕", "物业负责划线、巡查和收费，每季度公布收支。"),
    ),
    summary="同意实行夜间停车月票 150 元/月，划设 48 个车位，早 7 点前腾出卸货位，账目每季度公开。",
    minutes=(
        "联席会议商议振宁路夜间停车方案：同意月票 150 元/月，划设 48 个车位，"
        "收入用于维护，每季度公开账目。"
    ),
)


def parking_plan(deadline: dt.date) -> PlanForm:
    return PlanForm(
        title="振宁路夜间停车方案实施",
        agreed_text=(
            "划设 48 个夜间车位，月票 150 元/月；沿街商户门前车位不堆放货物，早 7 点前腾出卸货位。"
        ),
        shops="1-3",
        obligation="门前车位划线后不堆放货物，张贴停车收费公示",
        payer="无需出资",
        deadline=deadline.isoformat(),
    )


SUBSIDY = MatterForm(
    title="油烟净化器安装补贴（以奖代补）",
    description=(
        "按第五轮协商共识，商户出资安装油烟净化器。社区党委提议：经第三方检测达标的店铺，"
        "由街道按每台 840 元（团购价 2800 元的 30%）以奖代补，37 家合计 31080 元。"
    ),
    merchant_side="美食街 37 家已安装净化器的餐饮商户",
    resident_side="钟楼小区居民代表",
    other_parties="社区党委、街道办事处",
    source="社区党组织提议",
)
SUBSIDY_TALK = Deliberation(
    meeting="净化器补贴联席会议",
    invite=("社区党组织", "商户代表", "居民代表"),
    statements=(
        (
            Side.PARTY,
            "社区党委书记 张红梅",
            "补贴只给检测达标的店，先装后补，钱从街道以奖代补资金列支。",
        ),
        (
            Side.MERCHANT,
            "商户联合会会长 王建国",
            "大家都装好了，补贴能到位就是对守规矩的商户的鼓励。",
        ),
        (Side.RESIDENT, "居民代表 赵淑珍", "同意补贴，但名单和金额要公示，让大家都看得见。"),
    ),
    summary="同意对检测达标的 37 家商户按每台 840 元以奖代补，名单和金额公示。",
    minutes="联席会议商议净化器补贴：对检测达标的店铺每台补贴 840 元，合计 31080 元，名单公示。",
)


async def load_zhenning(
    db: AsyncSession, admin: Actor, people: dict[str, object], now: dt.datetime
) -> Council:
    """The second council, its people and shops, and the parking scheme from 提议 to 完成."""
    start = now - 160 * DAY
    council = await councils.create_council(db, admin, CouncilForm(**ZHENNING), start)
    await councils.appoint_facilitator(
        db, admin, council, AppointForm(login=ZN_FACILITATOR[0]), start
    )
    supervisor = MemberForm(login=ZN_SUPERVISOR[0], role=Role.SUPERVISOR, title=ZN_SUPERVISOR[3])
    await councils.add_member(db, admin, council, supervisor, start)
    path = Path(db, council, ZN_FACILITATOR[0], ZN_SUPERVISOR[0], "zndangwei")
    facilitator = await path.facilitator()
    constituencies = {c.name: c.id.hex for c in await councils.constituencies(db, council.id)}
    for name, seats in ZN_SEATS.items():
        for login, _name, _phone, title in seats:
            form = MemberForm(
                login=login, role=Role.MEMBER, constituency_id=constituencies[name], title=title
            )
            await councils.add_member(db, facilitator, council, form, start)
    for number, name, category in ZN_SHOPS:
        shop = ShopForm(number=number, name=name, category=category, address=f"振宁路 {number} 号")
        await councils.add_shop(db, facilitator, council, shop, start)
        owner = await path.actor(f"znshop0{number}")
        claim = ClaimForm(kind="shop", shop_number=number, note=f"营业执照：{name}")
        record = await councils.claim(db, owner, people[f"znshop0{number}"], council, claim, start)  # type: ignore[arg-type]
        decision = DecisionForm(decision="verify")
        await councils.decide_claim(db, facilitator, council, "shop", record.id, decision, start)
    path._actors.clear()  # roles changed: read them again

    t = now - 150 * DAY
    matter = await path.open(PARKING, t)
    await path.propose(
        matter,
        "规范振宁路夜间停车，实行月票制",
        "振宁路夜间乱停车堵塞消防通道、影响商户经营。建议划设夜间车位，实行月票 150 元/月，"
        "收入用于维护保洁，账目公开。",
        "停车",
        t,
    )
    await path.advance(matter, t + 3 * DAY)  # 提议 → 商议
    round_ = await path.deliberate(matter, PARKING_TALK, t + 10 * DAY)
    await path.advance(matter, t + 12 * DAY)  # 商议 → 审议
    await path.review(
        matter, (11, 8, 6, 1, 1), t + 18 * DAY, "振宁社区党员大会，应到 11 人，实到 8 人。"
    )
    await path.advance(matter, t + 19 * DAY)  # 审议 → 决议
    await path.opinion(
        matter, "收费标准应附测算依据，收支每季度公开，请在决议公示中写明。", t + 20 * DAY
    )
    votes = {
        "zndangwei": "yes",
        "zndangwei2": "yes",
        "znjumin01": "yes",
        "znjumin02": "yes",
        "znjumin03": "no",
        "znjumin04": "yes",
        "znshop01": "yes",
        "znshop02": "abstain",
        "znshop03": "yes",
        "znwuye": "yes",
    }
    await path.resolve(matter, votes, t + 22 * DAY)
    await path.advance(matter, t + 24 * DAY)  # 决议 → 决议公开
    notice = await path.notice(
        matter,
        NoticeKind.RESOLUTION,
        t + 24 * DAY,
        posted_at="振宁社区党群服务中心公开栏、振宁小区 1 栋门口公告栏",
        extra=(
            "收费测算：48 个车位年维护、划线和保洁费用约 8.6 万元，按月票 150 元/月测算收支平衡。"
        ),
    )
    objection = await path.object(
        notice,
        "钟师傅",
        "13971150888",
        "我上夜班，凌晨两点才回来，能不能办半价的夜班月票？",
        t + 26 * DAY,
    )
    await path.answer(
        objection,
        "感谢意见。月票不分时段，夜班职工同样 150 元/月；凌晨回来的车辆可停在 1–10 号车位，"
        "早 7 点前不必挪车。此答复已报社区党委。",
        t + 27 * DAY,
    )
    await path.advance(matter, t + 32 * DAY)  # 决议公开 → 实施 (the period is over)
    deadline = path.local(t + 60 * DAY).date()
    plan = await path.plan(round_, parking_plan(deadline), t + 32 * DAY)
    await path.implement(plan, ("门前车位已划线，未堆放货物，收费公示已张贴。",), t + 40 * DAY)
    await path.sign_off(
        matter,
        "48 个车位已划设，收费公示到位，3 家商户门前车位已核验，同意公开实施结果。",
        t + 50 * DAY,
    )
    await path.advance(matter, t + 51 * DAY)  # 实施 → 实施结果公开
    await path.notice(
        matter,
        NoticeKind.RESULTS,
        t + 51 * DAY,
        posted_at="振宁社区党群服务中心公开栏",
        extra=(
            "账目：首季度月票收入 5.4 万元，划线和标识 1.2 万元，保洁和巡查 2.1 万元，"
            "结余 2.1 万元。\n实施效果：夜间消防通道保持畅通，沿街商户早间卸货不再受阻。"
        ),
    )
    await path.advance(matter, t + 60 * DAY)  # 实施结果公开 → 完成
    return council


async def load_subsidy(db: AsyncSession, council: Council, now: dt.datetime) -> None:
    """钟楼烟火: the purifier subsidy, resolved and in its notice period now."""
    path = Path(db, council, "zhuchi", "jiandu", "dangwei")
    t = now - 30 * DAY
    matter = await path.open(SUBSIDY, t)
    await path.propose(
        matter,
        "对检测达标的净化器以奖代补",
        "37 家商户已按共识自行出资安装油烟净化器。建议对第三方检测达标的店铺，"
        "由街道按每台 840 元以奖代补，名单和金额公示。",
        "油烟",
        t,
    )
    await path.advance(matter, t + 2 * DAY)
    await path.deliberate(matter, SUBSIDY_TALK, t + 6 * DAY)
    await path.advance(matter, t + 8 * DAY)
    await path.review(
        matter, (15, 12, 10, 1, 1), t + 12 * DAY, "钟楼社区党员大会，应到 15 人，实到 12 人。"
    )
    await path.advance(matter, t + 13 * DAY)
    await path.opinion(
        matter, "补贴名单应与第三方检测报告逐一对应，建议在公示中附检测机构名称。", t + 14 * DAY
    )
    members = [
        login for seats in data.SEATS.values() for login, *_r, role in seats if role is Role.MEMBER
    ]
    choices = {"jumin06": "no", "chengguan": "abstain", "huanbao": "abstain"}
    await path.resolve(matter, {m: choices.get(m, "yes") for m in members}, t + 20 * DAY)
    await path.advance(matter, t + 26 * DAY)
    await path.notice(
        matter,
        NoticeKind.RESOLUTION,
        now - 2 * DAY,
        posted_at="美食街商户联合会公开栏、钟楼小区 3 栋公告栏",
        extra="检测机构：黄石市环境监测中心站（第三方），报告编号附于公开栏。",
    )
