"""The street's shop convention, adopted the 永安里 way (公约表决制): a first draft on pavement
trading, frontage hygiene, noise and fumes; comments from shops, residents and the council's
lawyer on each article; a second version that answers them (the fine in article 5 becomes
reminders and public listing, rule 26); the street office's legality review; a vote of one
vote per shop; certification; publication. Loaded through the same services the facilitator,
shops and residents use, so every step is in the audit chain.

Dates are relative to the load time, so the story always reads as recent."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person
from council.accounts.service import actor_for
from council.conventions import adoption, drafting, service
from council.conventions.models import Convention, ConventionVersion
from council.conventions.schemas import (
    ArticleInput,
    CommentForm,
    CommentPeriodForm,
    ConventionForm,
    FilingForm,
    ReviewForm,
    VoteForm,
)
from council.councils.models import Council, Shop
from council.councils.permissions import Actor
from council.voting import service as voting

TITLE = "钟楼烟火美食街商户公约"
BINDS = "美食街全体商户（一店一票表决，通过后对全体商户适用）"
PREAMBLE = (
    "为了让美食街生意红火、楼上住户睡得安稳，全体商户在商居议事会上共同商定本公约，"
    "自愿遵守，相互监督。"
)

# (heading, body) of version 1
FIRST = (
    (
        "外摆经营",
        "外摆桌椅、货架和灯箱不得超出本店门前一米，须留出不少于两米的人行通道；"
        "每晚 23:00 前全部收回店内。",
    ),
    (
        "门前三包",
        "各店负责门前市容、环境卫生和秩序。营业结束后清扫门前，垃圾分类后按时投放到指定收集点，"
        "泔水和废油不得倒入下水道。",
    ),
    ("噪音", "22:00 以后不得使用音响、喇叭招揽顾客，室外音响音量不得影响楼上住户休息。"),
    (
        "油烟",
        "有明火或油炸工序的店铺须安装并正常使用油烟净化器，每月至少清洗一次，清洗记录留存备查。",
    ),
    ("违约处理", "违反本公约的，由商户联合会处以 200 元罚款，所得用于街区公共卫生。"),
)

# The same articles after the comments, and a new one on supervision.
SECOND = (
    (
        "外摆经营",
        "外摆桌椅、货架和灯箱不得超出本店门前一米，须留出不少于两米的人行通道；"
        "每晚 22:30 前全部收回店内，雨天和节假日按街区管家的通知执行。",
    ),
    (
        "门前三包",
        "各店负责门前市容、环境卫生和秩序。营业结束后清扫门前，垃圾分类后按时投放到指定收集点；"
        "餐厨垃圾和废油交有资质的单位收运，不得倒入下水道。",
    ),
    (
        "噪音",
        "22:00 以后不得使用音响、喇叭招揽顾客，不得在店外高声划拳劝酒，"
        "室外音响音量不得影响楼上住户休息。",
    ),
    (
        "油烟",
        "有明火或油炸工序的店铺须安装并正常使用油烟净化器，每两周至少清洗一次，"
        "清洗记录张贴在店内公示。",
    ),
    (
        "违约处理",
        "违反本公约的，由商户联合会上门提醒；一个月内累计三次的，在街区公开栏公示，"
        "并取消当年文明诚信商户评选资格。",
    ),
    (
        "监督",
        "居民代表、网格员和物业组成监督小组，每周两次巡查外摆、卫生和油烟，"
        "巡查结果在商居议事室公开栏公示。",
    ),
)

CHANGE_NOTE = (
    "根据征求意见修改：外摆收回时间提前到 22:30（居民和商户都能接受）；"
    "餐厨垃圾交有资质单位收运（物业建议）；噪音条款写明不得在店外划拳劝酒；"
    "净化器改为每两周清洗一次并公示记录；按法律顾问意见删去罚款，改为提醒、公示和取消评优；"
    "新增第六条监督。"
)

# (article position, login, comment) on version 1
COMMENTS = (
    (
        1,
        "jumin03",
        "晚上桌子一摆出来，人行道只剩一条缝，推婴儿车过不去。收回时间建议提前到 22:30。",
    ),
    (1, "shop12", "夏天生意主要靠外摆，一米可以接受；收摊时间希望不要早于 22:30。"),
    (2, "wuye", "建议餐厨垃圾统一交有资质的单位收运，不要和生活垃圾混放在收集点。"),
    (3, "jumin01", "楼上最怕夜里在店外划拳喝酒的声音，建议写进公约。"),
    (3, "shop27", "同意，我们店可以在门口贴提醒。"),
    (4, "jumin04", "烧烤店一个月洗一次不够，建议两周一次，清洗记录贴出来大家都能看。"),
    (4, "shop01", "同意两周一次。商户联合会可以统一联系清洗公司，价格能便宜些。"),
    (5, "lvshi", "公约不能设定罚款。建议改为上门提醒、公开栏公示、取消评优等方式。"),
    (5, "shop33", "罚款我们不同意，公示可以接受。"),
)

# How the 40 shops voted: most for, a few against or abstaining, three did not vote.
AGAINST = ("24", "37")
ABSTAIN = ("16",)
DID_NOT_VOTE = ("19", "38", "40")


def _at(now: dt.datetime, days_ago: float) -> dt.datetime:
    return now - dt.timedelta(days=days_ago)


def _local_input(moment: dt.datetime, council: Council) -> str:
    return moment.astimezone(ZoneInfo(council.timezone)).strftime("%Y-%m-%dT%H:%M")


async def load(
    db: AsyncSession, council: Council, facilitator: Actor, now: dt.datetime
) -> Convention:
    people = {p.login: p for p in (await db.execute(sa.select(Person))).scalars()}

    async def actor(login: str) -> Actor:
        return await actor_for(db, people[login])

    # Version 1: drafted, published for two weeks of comments.
    form = ConventionForm(title=TITLE, binds=BINDS, preamble=PREAMBLE)
    rows = [ArticleInput("", heading, body) for heading, body in FIRST]
    convention, v1 = await drafting.create(db, facilitator, council, form, rows, _at(now, 48))
    period = CommentPeriodForm(
        opens_at=_local_input(_at(now, 46), council),
        closes_at=_local_input(_at(now, 32), council),
    )
    await drafting.open_comments(db, facilitator, council, convention.id, 1, period, _at(now, 46))
    articles = {a.position: a for a in await service.articles(db, v1)}
    for n, (position, login, body) in enumerate(COMMENTS):
        comment = CommentForm(article=articles[position].id.hex, body=body)
        await drafting.comment(
            db, await actor(login), council, convention.id, 1, comment, _at(now, 44 - n)
        )

    # Version 2 answers the comments; the street office reviews it; the shops vote.
    v2 = await drafting.revise(db, facilitator, council, convention.id, _at(now, 30))
    form = ConventionForm(title=TITLE, binds=BINDS, preamble=PREAMBLE, change_note=CHANGE_NOTE)
    kept = {a.position: a.key for a in await service.articles(db, v2)}
    rows = [
        ArticleInput(kept.get(i, ""), heading, body) for i, (heading, body) in enumerate(SECOND, 1)
    ]
    await drafting.save_draft(db, facilitator, council, convention.id, 2, form, rows, _at(now, 29))
    review = ReviewForm(
        reviewer="钟楼街道司法所",
        note="经审核，第 2 版内容符合法律法规，未设定罚款等强制性处罚，同意提交商户表决。",
    )
    await drafting.record_review(db, facilitator, council, convention.id, 2, review, _at(now, 27))
    await adoption.put_to_vote(db, facilitator, council, convention.id, 2, VoteForm(), _at(now, 26))
    v2 = await db.scalar(
        sa.select(ConventionVersion).where(
            ConventionVersion.convention_id == convention.id, ConventionVersion.number == 2
        )
    )
    assert v2 is not None and v2.ballot_id is not None  # noqa: S101 - put to vote just above
    shops = (await db.execute(sa.select(Shop).where(Shop.council_id == council.id))).scalars()
    for i, shop in enumerate(sorted(shops, key=lambda s: int(s.number))):
        if shop.number in DID_NOT_VOTE:
            continue
        choice = "no" if shop.number in AGAINST else "abstain" if shop.number in ABSTAIN else "yes"
        voter = await actor(f"shop{int(shop.number):02d}")
        at = _at(now, 25.5) + dt.timedelta(minutes=17 * i)
        await voting.cast(db, voter, council, v2.ballot_id, {"choice": choice}, at)
    await adoption.close_vote(db, facilitator, council, convention.id, 2, _at(now, 22))
    await adoption.record_result(db, facilitator, council, convention.id, 2, _at(now, 21))
    filing = FilingForm(filed_with="钟楼街道办事处", reference="钟街公约备〔2026〕3 号")
    await adoption.record_filing(db, facilitator, council, convention.id, 2, filing, _at(now, 19))
    return convention
