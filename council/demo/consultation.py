"""The 钟楼烟火 consultation: five rounds on kitchen fumes, the consensus "商户出资治理、
居民参与监督" passed by the council in a named vote at the fifth meeting, the purifier plan for
37 shops (all verified) and the follow-up cleaning log (most verified, some awaiting a check,
one overdue). Loaded through the same services a facilitator, members, merchants and the
supervisor use, so every step is in the audit chain.

Dates are relative to the load time, so the story always reads as recent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from uuid import UUID
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person
from council.accounts.service import actor_for
from council.consultations import service, service_meetings, service_plans
from council.consultations.models import ActionItem, EntryKind, Side, Verdict
from council.consultations.schemas import (
    CloseRoundForm,
    CodeForm,
    EntryForm,
    EvidenceForm,
    InspectionForm,
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
from council.councils.models import Council, Shop
from council.councils.permissions import Actor
from council.voting import meetings as meeting_votes
from council.voting.tally import MAJORITY, TWO_THIRDS, BaseKind

S, P, OPT = EntryKind.STATEMENT, EntryKind.POSITION, EntryKind.OPTION
M, R, PARTY, PROP, DEPT, EXP = (
    Side.MERCHANT,
    Side.RESIDENT,
    Side.PARTY,
    Side.PROPERTY,
    Side.DEPARTMENT,
    Side.EXPERT,
)

MATTER = MatterForm(
    title="美食街餐饮油烟扰民",
    description=(
        "钟楼烟火美食街晚上生意最旺的时候，烧烤、炸串、火锅店的油烟顺着后巷飘进钟楼小区和"
        "楼上住户家里。居民多年来反映不敢开窗、晾的衣服有油味；商户也想解决，但不清楚该装什么、"
        "钱怎么出、装好以后谁来认定。"
    ),
    merchant_side="美食街 37 家有明火或油炸的餐饮商户（商户联合会）",
    resident_side="钟楼小区 1–7 栋及美食街楼上住户",
    other_parties="社区党委、钟楼物业、区城管执法中队、市生态环境局分局、区市场监管所、社区法律顾问",
    source="近两年 12345 热线和网格员上报的油烟投诉 60 余件",
)

ActorOf = Callable[[str], Awaitable[Actor]]
ALL = ("商户代表", "居民代表", "社区党组织", "物业", "职能部门", "专家/律师")


@dataclass(frozen=True)
class RoundStory:
    days_ago: int
    meeting: str
    invite: tuple[str, ...]
    absent: tuple[str, ...]
    entries: tuple[tuple[EntryKind, Side, str, str], ...]
    outcome: Outcome
    summary: str
    open_questions: str
    minutes: str


ROUNDS: tuple[RoundStory, ...] = (
    RoundStory(
        days_ago=109,
        meeting="油烟问题第一次商居协商会",
        invite=("商户代表", "居民代表", "社区党组织", "物业"),
        absent=("shop33", "jumin06"),
        entries=(
            (S, R, "居民代表 赵淑珍", "夏天晚上油烟顺着窗户进屋，3 栋家家不敢开窗，老人咳嗽。"),
            (S, R, "居民代表 钱玉梅", "楼下排烟口正对我家阳台，晾的衣服全是油烟味。"),
            (S, M, "商户代表 王建国", "生意靠夜市，大家不是不想治，是不清楚装什么、要花多少钱。"),
            (S, M, "商户代表 李秀兰", "小店利润薄，一台净化器好几千，一下子拿出来有压力。"),
            (S, PROP, "物业 李向东", "老楼没有公共烟道，不少店的排烟管直接伸到后巷。"),
            (P, R, "", "入冬前必须解决，排烟口不得直冲住宅窗户。"),
            (P, M, "", "愿意整改，但要先弄清标准、费用和时间。"),
            (OPT, M, "", "方案一：每家店加装油烟净化器。"),
            (OPT, R, "", "方案二：明火烧烤晚上 10 点后停止营业。"),
            (OPT, PROP, "", "方案三：改造一条公共烟道，各店接入。"),
        ),
        outcome=Outcome.NONE,
        summary="各方都认为问题必须解决，但对做法没有一致意见。会后由物业和网格员用一周时间逐户排查排烟口。",
        open_questions="哪些店铺的排烟口直对住户？需要逐户排查\n净化器用什么标准、由谁来定？\n费用由谁承担？",
        minutes="第一轮协商：居民代表反映油烟扰民情况，商户代表表示愿意整改但需明确标准和费用。"
        "会议决定由物业和网格员开展为期一周的排烟口排查，下次会议通报结果。",
    ),
    RoundStory(
        days_ago=95,
        meeting="油烟问题第二次商居协商会（通报排查结果）",
        invite=("商户代表", "居民代表", "社区党组织", "物业", "职能部门"),
        absent=("jumin04", "shijian"),
        entries=(
            (
                S,
                PROP,
                "物业 李向东",
                "一周排查结果：40 家店铺中 37 家有明火或大量油炸，"
                "其中 12 家排烟口距住户窗户不足 3 米。",
            ),
            (
                S,
                DEPT,
                "市生态环境局 周文",
                "餐饮油烟须符合《饮食业油烟排放标准》，建议选用有检测报告的净化器，公共烟道改造周期长、投入大。",
            ),
            (S, DEPT, "区城管执法局 赵军", "对拒不整改的可以依法处理，但更希望大家协商解决。"),
            (S, M, "商户代表 张伟", "火锅店油烟小一些，能不能按油烟大小分类要求？"),
            (P, R, "", "37 家都要装，排烟口正对窗户的 12 家要先装。"),
            (OPT, M, "", "各店分别自购净化器，约 3000–8000 元一台。"),
            (OPT, M, "", "商户联合会集中采购，争取团购价。"),
        ),
        outcome=Outcome.PARTIAL,
        summary="各方同意 37 家有油烟的店铺都加装净化器，不再考虑公共烟道；费用和监督办法待定。",
        open_questions="费用全部由商户承担，还是可以申请补贴？\n装好以后谁来检查、多久查一次？",
        minutes="第二轮协商：通报排查结果（37 家需治理）。环保部门介绍排放标准。"
        "各方同意 37 家店铺加装油烟净化器，费用和监督办法下轮再议。",
    ),
    RoundStory(
        days_ago=81,
        meeting="油烟问题第三次商居协商会",
        invite=("商户代表", "居民代表", "社区党组织", "物业"),
        absent=("shop20",),
        entries=(
            (S, M, "商户联合会会长 王建国", "联合会谈下了团购价：每台 2800 元，含安装和一年维保。"),
            (S, R, "居民代表 冯建华", "我们可以出人参与监督，但要看到检测报告，不能只看照片。"),
            (
                S,
                PARTY,
                "社区党委书记 张红梅",
                "社区可以协调街道“以奖代补”，但要先装后补，不能作为前提。",
            ),
            (P, M, "", "团购价可以接受，希望补贴能落实。"),
            (OPT, PARTY, "", "商户出资，街道以奖代补约 30%。"),
            (OPT, M, "", "商户全额出资。"),
        ),
        outcome=Outcome.PARTIAL,
        summary="商户同意按团购价出资安装；居民愿意参与监督。补贴和验收方式未定。",
        open_questions="监督小组由谁组成、怎么验收？\n对装好后仍有油烟的店铺怎么办？",
        minutes="第三轮协商：商户联合会通报团购价 2800 元/台。社区介绍以奖代补政策。"
        "商户同意出资，监督和验收方式下轮再议。",
    ),
    RoundStory(
        days_ago=67,
        meeting="油烟问题第四次商居协商会",
        invite=("商户代表", "居民代表", "社区党组织", "物业", "专家/律师"),
        absent=("jumin07",),
        entries=(
            (
                S,
                EXP,
                "社区法律顾问 孙律师",
                "补贴要经街道审批，不宜写成共识的前提；验收标准应写清楚。",
            ),
            (S, R, "居民代表 孙志明", "建议每周两次晚上巡查，油烟最大的时候去看。"),
            (S, M, "商户代表 吴强", "第三方检测一次几百元，这笔钱谁出？我们两家觉得不应由单店出。"),
            (P, R, "", "验收必须有第三方检测。"),
            (P, M, "", "同意检测，但检测费应统一解决。"),
        ),
        outcome=Outcome.NONE,
        summary="对第三方检测费用由谁承担没有谈拢，约定两周后再议。",
        open_questions="第三方检测费用由谁承担？\n监督小组的名单",
        minutes="第四轮协商：法律顾问就补贴和验收提出意见。居民代表建议每周两次夜间巡查。"
        "检测费用分歧未解决，安排第五轮协商。",
    ),
    RoundStory(
        days_ago=46,
        meeting="油烟问题第五次商居协商会",
        invite=ALL,
        absent=("dangwei2",),
        entries=(
            (S, M, "商户联合会会长 王建国", "联合会决定从会费中统一委托第三方检测，不向单店收费。"),
            (S, R, "居民代表 赵淑珍", "居民代表赵淑珍、钱玉梅、冯建华报名参加监督小组。"),
            (S, PROP, "物业 李向东", "物业配合巡查，提供后巷通道。"),
            (S, DEPT, "市生态环境局 周文", "可以推荐有资质的检测机构。"),
            (P, M, "", "37 家在一个月内装好净化器。"),
            (P, R, "", "同意，由居民参与监督。"),
        ),
        outcome=Outcome.CONSENSUS,
        summary="达成共识：商户出资治理、居民参与监督。",
        open_questions="",
        minutes="第五轮协商达成共识“商户出资治理、居民参与监督”：37 家商户一个月内自行出资加装"
        "油烟净化器；监督小组由网格员、钟楼物业和三名居民代表组成，每周两次夜间巡查；"
        "商户联合会统一委托第三方检测，以检测达标为验收标准。",
    ),
)

AGREED = (
    "商户出资治理、居民参与监督：美食街 1–37 号餐饮店铺在一个月内自行出资加装油烟净化器"
    "（联合会团购价 2800 元/台）；监督小组由网格员、钟楼物业和居民代表赵淑珍、钱玉梅、冯建华"
    "组成，每周两次夜间巡查；商户联合会从会费中统一委托第三方检测，以油烟排放检测达标为验收标准。"
)
SUPERVISION = "网格员刘敏、钟楼物业李向东、居民代表赵淑珍、钱玉梅、冯建华（监督员陈国强牵头）"
PURIFIER_MODELS = ("静电式 JD-8000", "复合式 HF-6", "静电式 JD-4000")


def _local(now: dt.datetime, tz: str, days_ago: int, hour: int, minute: int = 0) -> dt.datetime:
    day = now.astimezone(ZoneInfo(tz)).date() - dt.timedelta(days=days_ago)
    return dt.datetime.combine(day, dt.time(hour, minute), ZoneInfo(tz)).astimezone(dt.UTC)


async def load(db: AsyncSession, council: Council, facilitator: Actor, now: dt.datetime) -> None:
    tz = council.timezone
    people = {
        p.login: p
        for p in (await db.execute(sa.select(Person).where(Person.login.not_like("admin%"))))
        .scalars()
        .all()
    }
    actors: dict[str, Actor] = {}

    async def actor(login: str) -> Actor:
        if login not in actors:
            actors[login] = await actor_for(db, people[login])
        return actors[login]

    constituencies = {c.name: c.id.hex for c in await councils.constituencies(db, council.id)}
    matter = None
    meeting = None
    for number, story in enumerate(ROUNDS, start=1):
        start = _local(now, tz, story.days_ago, 19, 30)
        if meeting is None:
            meeting = await _schedule(db, council, facilitator, story, constituencies, start, now)
            matter = await service.create_matter(
                db, facilitator, council, MATTER, start - dt.timedelta(days=12)
            )
            await service.open_round(
                db, facilitator, council, matter.id, meeting.id, start - dt.timedelta(days=10)
            )
        assert matter is not None  # noqa: S101 - created with the first round
        await service_meetings.set_live(db, facilitator, council, meeting.id, start)
        state = await service_meetings.live_state(db, meeting)
        present = [i for i in state.invitees if people_login(people, i) not in story.absent]
        for position, invitee in enumerate(present):
            at = start - dt.timedelta(minutes=15 - position // 3)
            login = people_login(people, invitee)
            if position % 3 == 0:  # some sign in on their phones with the code
                code = CodeForm(code=meeting.code)
                member = await actor(login)
                await service_meetings.sign_in_with_code(db, member, council, meeting.id, code, at)
            else:
                await service_meetings.mark_present(
                    db, facilitator, council, meeting.id, invitee.invitation.person_id, at
                )
        round_ = (await service.rounds_of(db, matter))[-1]
        for minute, (kind, side, speaker, text) in enumerate(story.entries):
            entry = EntryForm(kind=kind, side=side, text=text, speaker=speaker)
            at = start + dt.timedelta(minutes=10 + 8 * minute)
            await service.add_entry(db, facilitator, council, round_.id, entry, at)
        end = start + dt.timedelta(hours=2)
        if number == len(ROUNDS):
            await _resolution(db, council, facilitator, meeting, present, people, actor, start)
        next_meeting = None
        if number < len(ROUNDS):
            following = ROUNDS[number]
            next_meeting = await _schedule(
                db,
                council,
                facilitator,
                following,
                constituencies,
                _local(now, tz, following.days_ago, 19, 30),
                end,
            )
        close = CloseRoundForm(
            outcome=story.outcome,
            summary=story.summary,
            open_questions=story.open_questions,
            next_meeting_id=next_meeting.id.hex if next_meeting else "",
        )
        await service.close_round(db, facilitator, council, round_.id, close, end)
        await service_meetings.close_meeting(db, facilitator, council, meeting.id, end)
        await _minutes(db, council, facilitator, meeting, story, present, people, actor, end)
        if next_meeting is None:
            await _plans(db, council, facilitator, round_.id, actor, now, end)
        meeting = next_meeting


def people_login(people: dict[str, Person], invitee: service_meetings.Invitee) -> str:
    return next(login for login, p in people.items() if p.id == invitee.invitation.person_id)


async def _schedule(
    db: AsyncSession,
    council: Council,
    facilitator: Actor,
    story: RoundStory,
    constituencies: dict[str, str],
    start: dt.datetime,
    noticed: dt.datetime,
) -> service_meetings.Meeting:
    local = start.astimezone(ZoneInfo(council.timezone))
    form = MeetingForm(
        title=story.meeting,
        date=local.date().isoformat(),
        time=local.strftime("%H:%M"),
        place=council.meeting_place,
    )
    meeting = await service_meetings.create_meeting(db, facilitator, council, form, noticed)
    for name in story.invite:
        invite = InviteForm(constituency_id=constituencies[name])
        await service_meetings.invite(db, facilitator, council, meeting.id, invite, noticed)
    return meeting


RESOLUTION = (
    "决议：通过第五轮协商共识“商户出资治理、居民参与监督”——美食街 1–37 号餐饮店铺一个月内"
    "自行出资加装油烟净化器，监督小组每周两次夜间巡查，以第三方检测达标为验收标准"
)
# How the present members voted on it; everyone else present said 同意.
AGAINST = {"jumin06": "no"}  # 褚国平 still wanted barbecues to stop at 10 pm
ABSTAINING = {"chengguan": "abstain", "huanbao": "abstain"}  # the departments stay neutral


async def _resolution(
    db: AsyncSession,
    council: Council,
    facilitator: Actor,
    meeting: service_meetings.Meeting,
    present: list[service_meetings.Invitee],
    people: dict[str, Person],
    actor: ActorOf,
    start: dt.datetime,
) -> None:
    """The council passes the consensus in the meeting that reached it: a named vote opened
    on the current item, quorum ≥ 2/3 of members present, passing with > 1/2 of those present."""
    [item] = await service_meetings.agenda(db, meeting)
    opened_at = start + dt.timedelta(hours=1, minutes=35)
    form = meeting_votes.MeetingVoteForm(
        agenda_item_id=item.id.hex,
        question=RESOLUTION,
        pass_rule=MAJORITY.key,
        pass_base=BaseKind.PRESENT,
        quorum_rule=TWO_THIRDS.key,
    )
    ballot = await meeting_votes.open_vote(db, facilitator, council, meeting.id, form, opened_at)
    voters = [i for i in present if i.invitation.counts_for_quorum]
    for n, invitee in enumerate(voters):
        login = people_login(people, invitee)
        choice = AGAINST.get(login) or ABSTAINING.get(login) or "yes"
        at = opened_at + dt.timedelta(seconds=20 + 15 * n)
        await meeting_votes.cast(
            db, await actor(login), council, meeting.id, ballot.id, {"choice": choice}, at
        )
    closed_at = opened_at + dt.timedelta(minutes=8)
    await meeting_votes.close_vote(db, facilitator, council, meeting.id, ballot.id, closed_at)
    await meeting_votes.certify_vote(
        db, facilitator, council, meeting.id, ballot.id, closed_at + dt.timedelta(minutes=2)
    )


async def _minutes(
    db: AsyncSession,
    council: Council,
    facilitator: Actor,
    meeting: service_meetings.Meeting,
    story: RoundStory,
    present: list[service_meetings.Invitee],
    people: dict[str, Person],
    actor: ActorOf,
    end: dt.datetime,
) -> None:
    """Drafted that night, confirmed by two attendees the next day, then published."""
    [item] = await service_meetings.agenda(db, meeting)
    text = f"{story.minutes}\n出席：{'、'.join(i.name for i in present)}。"
    minutes = await service_meetings.draft_minutes(
        db, facilitator, council, item.id, MinutesForm(text=text), end + dt.timedelta(hours=1)
    )
    for attendee in present[:2]:
        member = await actor(people_login(people, attendee))
        await service_meetings.confirm_minutes(
            db, member, council, minutes.id, end + dt.timedelta(days=1)
        )
    await service_meetings.finalize_minutes(
        db, facilitator, council, minutes.id, end + dt.timedelta(days=1, hours=2)
    )
    await service_meetings.publish_minutes(
        db,
        facilitator,
        council,
        minutes.id,
        PublishForm(public_text=story.minutes),
        end + dt.timedelta(days=1, hours=3),
    )


async def _plans(
    db: AsyncSession,
    council: Council,
    facilitator: Actor,
    round_id: UUID,
    actor: ActorOf,
    now: dt.datetime,
    agreed_at: dt.datetime,
) -> None:
    supervisor = await actor("jiandu")
    tz = council.timezone
    install_deadline = (agreed_at + dt.timedelta(days=31)).astimezone(ZoneInfo(tz)).date()
    plan = await service_plans.create_plan(
        db,
        facilitator,
        council,
        round_id,
        PlanForm(
            title="37 家商户加装油烟净化器",
            agreed_text=AGREED,
            shops="1-37",
            obligation="加装油烟净化器，排烟口改向后巷上方，保留发票和安装照片",
            payer="商户自行出资（联合会团购）",
            deadline=install_deadline.isoformat(),
            merchants_pay=True,
            supervision_group=SUPERVISION,
            inspection_frequency="每周两次（周二、周五晚 8 点后）",
            acceptance_method="商户联合会统一委托第三方检测，油烟排放达标即验收",
        ),
        agreed_at + dt.timedelta(days=1),
    )
    items = await _items(db, plan.id)
    for index, (item, shop) in enumerate(items):
        owner = await actor(f"shop{int(shop.number):02d}")
        submitted = agreed_at + dt.timedelta(days=4 + index % 24, hours=index % 5)
        model = PURIFIER_MODELS[index % len(PURIFIER_MODELS)]
        note = f"已安装{model}油烟净化器，排烟口改至后巷上方；发票和安装照片已交联合会存档。"
        await service_plans.submit_evidence(
            db, owner, council, item.id, EvidenceForm(note=note), submitted
        )
        checked = submitted + dt.timedelta(days=2)
        if shop.number == "12":  # one was sent back once before it passed
            back = VerifyForm(
                verdict=Verdict.RETURNED, reason="照片看不到排烟口的位置，请补拍后巷一侧。"
            )
            await service_plans.verify_item(db, supervisor, council, item.id, back, checked)
            again = EvidenceForm(note="已补拍后巷排烟口照片，排烟口离住户窗户 5 米以上。")
            await service_plans.submit_evidence(
                db, owner, council, item.id, again, checked + dt.timedelta(days=1)
            )
            checked += dt.timedelta(days=3)
        passed = VerifyForm(verdict=Verdict.PASSED, reason="现场查看已安装，第三方检测达标。")
        await service_plans.verify_item(db, supervisor, council, item.id, passed, checked)
    inspection_day = agreed_at + dt.timedelta(days=5)
    notes = (
        "夜间巡查后巷，已装好的店铺基本闻不到油烟。",
        "12 号排烟口位置需要补拍照片，已提醒店主。",
        "居民代表赵淑珍反映 3 栋晚上可以开窗了。",
        "第三方检测机构抽测 10 家，全部达标。",
    )
    count = 0
    while inspection_day < now - dt.timedelta(days=1):
        await service_plans.record_inspection(
            db,
            supervisor if count % 2 == 0 else facilitator,
            council,
            plan.id,
            InspectionForm(
                date=inspection_day.astimezone(ZoneInfo(tz)).date().isoformat(),
                note=notes[count % len(notes)],
            ),
            inspection_day,
        )
        inspection_day += dt.timedelta(days=3 if count % 2 == 0 else 4)
        count += 1

    # The follow-up log: filters cleaned every quarter, reported by each shop.
    clean_deadline = (now - dt.timedelta(days=3)).astimezone(ZoneInfo(tz)).date()
    cleaning = await service_plans.create_plan(
        db,
        facilitator,
        council,
        round_id,
        PlanForm(
            title="净化器首次清洗维护台账",
            agreed_text="按共识约定，净化器每季度清洗一次滤网，商户上传清洗记录，监督小组抽查。",
            shops="1-37",
            obligation="清洗净化器滤网并上传清洗记录",
            payer="商户自行出资（含在一年维保内）",
            deadline=clean_deadline.isoformat(),
            merchants_pay=True,
            supervision_group=SUPERVISION,
            inspection_frequency="每周两次",
            acceptance_method="清洗记录加监督小组抽查",
        ),
        now - dt.timedelta(days=20),
    )
    for index, (item, shop) in enumerate(await _items(db, cleaning.id)):
        if shop.number == "37":
            continue  # overdue: no record yet
        owner = await actor(f"shop{int(shop.number):02d}")
        at = now - dt.timedelta(days=18 - index % 14)
        await service_plans.submit_evidence(
            db, owner, council, item.id, EvidenceForm(note="已由维保公司清洗滤网，附清洗单。"), at
        )
        if shop.number not in ("34", "35", "36"):  # these three wait for the supervisor
            ok = VerifyForm(verdict=Verdict.PASSED)
            await service_plans.verify_item(
                db, supervisor, council, item.id, ok, at + dt.timedelta(hours=20)
            )


async def _items(db: AsyncSession, plan_id: UUID) -> list[tuple[ActionItem, Shop]]:
    rows = await db.execute(
        sa.select(ActionItem, Shop)
        .join(Shop, Shop.id == ActionItem.shop_id)
        .where(ActionItem.plan_id == plan_id)
    )
    return sorted(((i, s) for i, s in rows), key=lambda r: int(r[1].number))
