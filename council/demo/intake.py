"""The intake part of the 钟楼烟火 demo: the fume complaints that started the matter, with
co-signs, accepted as the matter the consultation rounds take up; issues taken up for the
departments (the work-order demo refers them) and a rejected one; a closed call for
suggestions with online and offline answers.

Everything goes through the intake services, so timelines and the audit chain are real.
"""

from __future__ import annotations

import datetime as dt
import io

import sqlalchemy as sa
from PIL import Image, ImageDraw
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person
from council.accounts.service import actor_for
from council.councils.models import Council
from council.councils.permissions import Actor
from council.files.images import clean_image
from council.files.storage import Storage
from council.issues import service, service_calls
from council.issues.models import Issue
from council.issues.schemas import CallForm, IssueForm, OfflineForm, TransitionForm
from council.issues.workflow import IssueKind, IssueStatus

# The consultation room looks the matter up by this title, the work orders the other two.
FUME_MATTER_TITLE = "美食街烧烤油烟直排，楼上住户常年不敢开窗"
PAVEMENT_TITLE = "人行道被外摆桌椅占满，轮椅和童车过不去"
SEWAGE_TITLE = "隔油池满溢，污水流到路面"

DAY = dt.timedelta(days=1)


def _photo(seed: int) -> bytes:
    """A simple drawn picture (grey smoke over a shop front) standing in for a phone photo."""
    image = Image.new("RGB", (800, 600), (120, 130, 140))
    draw = ImageDraw.Draw(image)
    draw.rectangle((80, 330, 720, 580), fill=(150, 60, 40))
    draw.rectangle((140, 400, 300, 580), fill=(60, 40, 30))
    draw.rectangle((380, 390, 660, 500), fill=(230, 210, 150))
    for i in range(7):
        x = 520 + (i * 37 + seed * 13) % 120
        y = 300 - i * 40
        draw.ellipse((x - 60 - i * 10, y - 40, x + 60 + i * 10, y + 40), fill=(200, 200, 205))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


class _Demo:
    def __init__(self, db: AsyncSession, council: Council, storage: Storage | None) -> None:
        self.db, self.council, self.storage = db, council, storage
        self.actors: dict[str, Actor] = {}

    async def actor(self, login: str) -> Actor:
        if login not in self.actors:
            person = await self.db.scalar(sa.select(Person).where(Person.login == login))
            assert person is not None, login  # noqa: S101 - demo data is fixed
            self.actors[login] = await actor_for(self.db, person)
        return self.actors[login]

    async def submit(self, login: str, at: dt.datetime, photos: int = 0, **form: object) -> Issue:
        images = [clean_image(_photo(i)) for i in range(photos)] if self.storage else []
        return await service.submit(
            self.db,
            self.storage,  # type: ignore[arg-type]
            await self.actor(login),
            self.council,
            IssueForm(**form),  # type: ignore[arg-type]
            images,
            upload_limit=100,
            now=at,
        )

    async def cosign(self, issue: Issue, logins: list[str], at: dt.datetime) -> None:
        for n, login in enumerate(logins):
            moment = at + dt.timedelta(hours=3 * n)
            await service.cosign(self.db, await self.actor(login), self.council, issue.id, moment)

    async def move(self, issue: Issue, to: IssueStatus, at: dt.datetime, **form: str) -> None:
        await service.transition(
            self.db,
            await self.actor("zhuchi"),
            self.council,
            issue.id,
            TransitionForm(to=to, **form),
            at,
        )


async def load(
    db: AsyncSession, council: Council, now: dt.datetime, storage: Storage | None = None
) -> None:
    demo = _Demo(db, council, storage)
    start = now - 150 * DAY
    residents = ["jumin01", "jumin02", "jumin04", "jumin05", "jumin06", "jumin07", "jumin11"]

    # The complaint that started it all, co-signed by the street's residents.
    fumes = await demo.submit(
        "jumin03",
        start,
        photos=2,
        title=FUME_MATTER_TITLE,
        body=(
            "每天下午五点到凌晨，美食街十几家烧烤店的油烟从后厨排风口直接排到楼道和天井，"
            "楼上住户衣服不能晾、窗户不敢开，老人孩子呛得咳嗽。希望商户安装油烟净化器，"
            "排烟口改到楼顶。"
        ),
        category="油烟",
        place="美食街 8 号至 20 号楼上",
    )
    await demo.cosign(fumes, [*residents, "jumin12"], start + DAY)
    duplicate = await demo.submit(
        "jumin13",
        start + 4 * DAY,
        title="12 号楼外墙被油烟熏黑",
        body="楼下烧烤店排烟管贴着外墙，外墙和空调外机全是油垢，夏天更严重。",
        category="油烟",
        place="美食街 12 号",
        masked="1",
    )
    await demo.cosign(duplicate, ["jumin11", "jumin01"], start + 5 * DAY)
    await demo.move(fumes, IssueStatus.TRIAGE, start + 6 * DAY)
    await demo.move(duplicate, IssueStatus.TRIAGE, start + 6 * DAY)
    await demo.move(
        duplicate,
        IssueStatus.MERGED,
        start + 6 * DAY,
        target_number=str(fumes.number),
        reason="同一油烟问题，并入主诉求一并协商",
    )
    await demo.move(
        fumes,
        IssueStatus.ACCEPTED,
        start + 7 * DAY,
        reason="油烟扰民反映集中，附议居民众多，列为商居议事会协商议题，召开协商会逐轮商议。",
    )

    # A merchant's proposal for the same matter (rule 21: accepted with a reason).
    proposal = await demo.submit(
        "shop01",
        start + 9 * DAY,
        kind=IssueKind.PROPOSAL,
        shop_number="1",
        title="商户联合采购油烟净化器，争取批量价格",
        body="由商户联合会统一询价、统一采购安装，费用按灶头数分摊，居民代表参与验收。",
        category="油烟",
    )
    await demo.cosign(proposal, ["shop05", "shop09", "shop14", "shop20"], start + 9 * DAY)
    await demo.move(proposal, IssueStatus.TRIAGE, start + 10 * DAY)
    await demo.move(
        proposal,
        IssueStatus.ACCEPTED,
        start + 10 * DAY,
        reason="与油烟治理议题一并协商，作为方案之一提交第二轮协商会。",
    )

    await _referrals(demo, start)
    await _rejected_and_pending(demo, now)
    await _call(demo, now)


async def _referrals(demo: _Demo, start: dt.datetime) -> None:
    """Two issues taken up for departments: the work-order demo refers them."""
    pavement = await demo.submit(
        "jumin06",
        start + 30 * DAY,
        photos=1,
        title=PAVEMENT_TITLE,
        body="晚上七点以后，美食街东段人行道全部摆满桌椅，行人只能走机动车道。",
        category="占道经营",
        place="美食街东段 20 号至 30 号",
    )
    await demo.cosign(pavement, ["jumin07", "jumin04", "jumin11"], start + 31 * DAY)
    await demo.move(pavement, IssueStatus.TRIAGE, start + 32 * DAY)
    sewage = await demo.submit(
        "jumin04",
        start + 60 * DAY,
        title=SEWAGE_TITLE,
        body="美食街西口后巷的隔油池经常满溢，污水带着油花流到路面，又滑又臭。",
        category="环境卫生",
        place="美食街西口后巷",
    )
    await demo.cosign(sewage, ["jumin02", "jumin05"], start + 61 * DAY)
    await demo.move(sewage, IssueStatus.TRIAGE, start + 62 * DAY)


async def _rejected_and_pending(demo: _Demo, now: dt.datetime) -> None:
    night_market = await demo.submit(
        "jumin12",
        now - 40 * DAY,
        title="要求取消美食街夜市",
        body="夜市太吵，希望直接取消美食街夜市。",
        category="其他",
    )
    await demo.move(night_market, IssueStatus.TRIAGE, now - 38 * DAY)
    await demo.move(
        night_market,
        IssueStatus.REJECTED,
        now - 38 * DAY,
        reason="美食街的设立和经营时间属区政府规划事项，不在议事会协商范围内；已转告街道办。"
        "夜间噪音问题欢迎单独提出，议事会可以协商。",
    )
    await demo.move(night_market, IssueStatus.CLOSED, now - 37 * DAY)

    noise = await demo.submit(
        "jumin05",
        now - 6 * DAY,
        title="夜里 11 点后外摆音响噪音",
        body="有两家店晚上 11 点以后还在门口放音乐，影响休息。",
        category="噪音",
        place="美食街 27 号、33 号",
        masked="1",
    )
    await demo.cosign(noise, ["jumin07", "jumin11", "jumin13"], now - 5 * DAY)
    await demo.submit(
        "jumin02",
        now - 2 * DAY,
        title="周末晚上停车难，车辆堵住消防通道",
        body="周末晚上来吃夜宵的车停满小区门口，消防通道经常被堵。",
        category="消防安全",
        place="钟楼小区北门",
    )


async def _call(demo: _Demo, now: dt.datetime) -> None:
    opened = now - 100 * DAY
    council = demo.council
    deadline = service_calls.local(now - 80 * DAY, council).replace(" ", "T")
    call = await service_calls.open_call(
        demo.db,
        await demo.actor("zhuchi"),
        council,
        CallForm(
            title="美食街油烟治理方案意见征集",
            deadline=deadline,
            description="第三轮协商会前，向居民和商户征集对油烟治理方案的意见，线上填写或到议事室恳谈。",
            questions="\n".join(
                [
                    "净化器费用由谁承担 | 商户全额承担 | 商户承担、社区争取补贴 | 政府全额补贴",
                    "是否支持每周两次联合巡查 | 支持 | 不支持",
                    "对治理方案的其他建议",
                ]
            ),
        ),
        opened,
    )
    answers = [
        ("jumin01", "商户承担、社区争取补贴", "支持", "希望净化器装好后请第三方检测。"),
        ("jumin02", "商户全额承担", "支持", ""),
        ("jumin03", "商户全额承担", "支持", "排烟口一定要改到楼顶。"),
        ("jumin04", "商户承担、社区争取补贴", "支持", ""),
        ("jumin11", "商户承担、社区争取补贴", "支持", "巡查结果请在公开栏公示。"),
        ("shop01", "商户承担、社区争取补贴", "支持", "统一采购可以降低成本。"),
        ("shop05", "政府全额补贴", "不支持", "小店负担重，希望分期付款。"),
        ("shop09", "商户承担、社区争取补贴", "支持", ""),
    ]
    for n, (login, cost, patrol, text) in enumerate(answers):
        await service_calls.answer(
            demo.db,
            await demo.actor(login),
            council,
            call.id,
            {"q1": cost, "q2": patrol, "q3": text},
            opened + dt.timedelta(days=1 + n),
        )
    offline = [
        ("议事室恳谈会（商户场）", "商户承担、社区争取补贴", "支持", "安装期间希望错开营业高峰。"),
        ("议事室恳谈会（商户场）", "商户全额承担", "支持", ""),
        ("入户走访 · 钟楼小区 3 栋", "商户全额承担", "支持", "老人呛得厉害，越快越好。"),
    ]
    for n, (source, cost, patrol, text) in enumerate(offline):
        await service_calls.answer(
            demo.db,
            await demo.actor("zhuchi"),
            council,
            call.id,
            {"q1": cost, "q2": patrol, "q3": text},
            opened + dt.timedelta(days=12 + n),
            offline=OfflineForm(source=source),
        )
