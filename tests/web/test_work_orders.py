"""Work orders over HTTP on both databases: every refusal of the issue's Bad input answered in
place with nothing changed, the overdue flag once the clock passes the deadline, 吹哨报到 with
three departments, 随手拍 to a work order, and reporters' contacts kept off public pages."""

from __future__ import annotations

import re
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.audit.models import AuditEntry
from council.clock import FixedClock
from council.issues.models import Issue
from council.issues.workflow import IssueKind, IssueStatus
from council.workorders.models import OrderExtension, Whistle, WorkOrder
from council.workorders.workflow import OrderStatus
from tests.intake import BASE, SLUG, done, issue, status_of, submit_as
from tests.orders_support import (
    ORDERS,
    F,
    act,
    as_,
    department_id,
    extensions,
    order,
    post,
    refer,
    snap,
)
from tests.support import Client, text_of


async def _audit_count(db: AsyncSession) -> int:
    db.expire_all()
    count = await db.scalar(sa.select(sa.func.count(AuditEntry.id)))
    await done(db)
    return int(count or 0)


async def _referred(client: Client, db: AsyncSession, department: str = "城管", **kw: str) -> UUID:
    issue_id = await submit_as(
        client, kw.pop("login", "jumin11"), kw.pop("title", "人行道被外摆占满")
    )
    await as_(client, F)
    assert (await post(client, f"{BASE}/{issue_id}/transition", to="triage")).status_code == 303
    return await refer(client, issue_id, department, db, **kw)


def _row(html: str, marker: str, tag: str = "tr") -> str:
    """The table row (or list item) of the page that holds ``marker``."""
    for row in re.findall(rf"<{tag}\b.*?</{tag}>", html, flags=re.S):
        if marker in row:
            return row
    raise AssertionError(f"no {tag} holds {marker}")


# --- Bad input: each refused in zh-CN, in place, input kept, nothing changed ------------------


async def test_a_liaison_acting_on_another_departments_order_is_refused(
    client: Client, db: AsyncSession
) -> None:
    order_id = await _referred(client, db, "城管")
    before = await _audit_count(db)
    for path, data in (("accept", {}), ("extension", {"days": "3", "reason": "忙"})):
        refused = await act(client, "jiaojing", order_id, path, **data)
        assert refused.status_code == 403, path
        assert refused.headers["content-type"] == "text/html; charset=utf-8"
        assert "只有承办部门的联络员可以办理这个工单" in text_of(refused.text)
        assert "城管" in text_of(refused.text)  # the order's page, answered in place
    assert (await order(db, order_id)).status is OrderStatus.DISPATCHED
    assert await extensions(db, order_id) == []
    assert await _audit_count(db) == before
    # The department's own liaison may.
    assert (await act(client, "chengguan", order_id, "accept")).status_code == 303
    refused = await act(client, "jiaojing", order_id, "reply", reply="交警代办了")
    assert refused.status_code == 403 and "只有承办部门的联络员" in text_of(refused.text)
    assert (await order(db, order_id)).status is OrderStatus.ACCEPTED


async def test_an_extension_without_a_reason_is_refused_with_the_form_kept(
    client: Client, db: AsyncSession
) -> None:
    order_id = await _referred(client, db, "城管")
    before = (await order(db, order_id)).due_at
    refused = await act(client, "chengguan", order_id, "extension", days="5", reason="  ")
    assert refused.status_code == 409
    assert "申请延期须写明理由" in text_of(refused.text)
    assert re.search(r'name="days"[^>]*value="5"', refused.text)  # what was typed stays
    assert '<details class="act-more" open>' in refused.text
    assert await extensions(db, order_id) == []
    assert (await order(db, order_id)).due_at == before

    asked = await act(client, "chengguan", order_id, "extension", days="5", reason="需协调商户")
    assert asked.status_code == 303
    again = await act(client, "chengguan", order_id, "extension", days="2", reason="再延两天")
    assert again.status_code == 409 and "已有一份延期申请等待审批" in text_of(again.text)
    [request] = await extensions(db, order_id)
    await as_(client, F)
    url = f"{ORDERS}/{order_id}/extensions/{request.id}"
    approved = await post(client, url, decision="approve", note="同意")
    assert approved.status_code == 303
    after = await order(db, order_id)
    assert after.due_at > before  # five more working days
    twice = await post(client, url, decision="refuse")
    assert twice.status_code == 409 and "已处理（已批准）" in text_of(twice.text)


async def test_verifying_ones_own_handling_is_refused(client: Client, db: AsyncSession) -> None:
    # 赵军 sits for 城管 in the council and raises an issue himself; his department handles it.
    order_id = await _referred(client, db, "城管", login="chengguan", title="城管岗亭前积水")
    assert (await act(client, "chengguan", order_id, "accept")).status_code == 303
    replied = await act(client, "chengguan", order_id, "reply", reply="已疏通排水沟")
    assert replied.status_code == 303
    before = await _audit_count(db)
    refused = await act(
        client, "chengguan", order_id, "verify", verdict="satisfied", note="我看过了，没问题"
    )
    assert refused.status_code == 409
    assert "不能核查自己办理的工单" in text_of(refused.text)
    assert "我看过了，没问题</textarea>" in refused.text
    assert (await order(db, order_id)).status is OrderStatus.REPLIED
    assert await _audit_count(db) == before
    # Someone who did not raise it and does not run the council may not verify at all.
    stranger = await act(client, "jumin12", order_id, "verify", verdict="satisfied", note="好")
    assert stranger.status_code == 403 and "只有主持人或提出诉求的人可以核查" in text_of(
        stranger.text
    )
    assert (await order(db, order_id)).status is OrderStatus.REPLIED


async def test_R22_closing_an_order_that_is_not_verified_is_refused(
    client: Client, db: AsyncSession
) -> None:
    order_id = await _referred(client, db, "城管")
    for step in ("dispatched", "accepted", "replied"):
        refused = await act(client, F, order_id, "close")
        assert refused.status_code == 409, step
        assert "须先经核查" in text_of(refused.text)
        assert (await order(db, order_id)).status.value == step
        if step == "dispatched":
            await act(client, "chengguan", order_id, "accept")
        elif step == "accepted":
            await act(client, "chengguan", order_id, "reply", reply="已清理")
    rating = await act(client, F, order_id, "rate", rating="satisfied")
    assert rating.status_code == 409 and "工单结案后才能评价" in text_of(rating.text)


async def test_a_refused_referral_keeps_the_form_on_the_issue_page(
    client: Client, db: AsyncSession
) -> None:
    issue_id = await submit_as(client, "jumin11", "夜里外摆音响太吵")
    await as_(client, F)
    await post(client, f"{BASE}/{issue_id}/transition", to="triage")
    refused = await post(client, f"{BASE}/{issue_id}/refer", kind="inquiry", brief="请查看")
    assert refused.status_code == 422
    assert "此项必填" in text_of(refused.text)
    assert "请查看</textarea>" in refused.text
    assert re.search(r'<option value="inquiry" selected>', refused.text)
    assert await status_of(db, issue_id) is IssueStatus.TRIAGE


# --- the deadline and the overdue flag ----------------------------------------------------------


async def test_overdue_is_flagged_on_queue_todo_and_department_page_once_the_clock_passes(
    client: Client, db: AsyncSession, clock: FixedClock
) -> None:
    # Monday 2026-11-23: a complaint's 13 working days end on Thursday 2026-12-10.
    order_id = await _referred(client, db, "交警中队", title="夜宵车辆堵住北门")
    row = await order(db, order_id)
    assert row.due_at.isoformat() == "2026-12-10T16:00:00+00:00"
    dept = await department_id(db, "交警中队")
    pages = {
        "queue": (f"{ORDERS}?department={dept}", "tr"),
        "department": (f"/c/{SLUG}/departments/{dept}", "li"),
        "todo": ("/me/orders", "li"),
    }
    await as_(client, "jiaojing")
    for name, (url, tag) in pages.items():
        html = (await client.get(url)).text
        line = _row(html, str(order_id), tag)
        assert "超期" not in line and "2026-12-10 24:00" in line, name
    clock.advance(days=17, hours=14)  # 2026-12-10 16:00 UTC: the deadline itself
    await as_(client, "jiaojing")  # a new session: the old one timed out meanwhile
    for name, (url, tag) in pages.items():
        line = _row((await client.get(url)).text, str(order_id), tag)
        assert 'class="overdue"' in line and "超期" in line, name
    page = text_of((await client.get(f"{ORDERS}/{order_id}")).text)
    assert "超期" in page
    months = (await client.get(f"/c/{SLUG}/departments/{dept}")).text
    behind = await client.get(f"/c/{SLUG}/departments/{dept}?month=2026-11&figure=overdue")
    assert str(order_id) in behind.text
    assert 'data-month="2026-11"' in months


async def test_reminders_reach_the_liaison_before_the_deadline_once(
    client: Client, db: AsyncSession, clock: FixedClock
) -> None:
    from council.notifications.models import Notification
    from council.workorders import service as orders

    order_id = await _referred(client, db, "交警中队", title="路口违停", kind="inquiry")
    assert (await order(db, order_id)).due_at.isoformat() == "2026-11-26T16:00:00+00:00"

    async def remind() -> None:
        await orders.send_reminders(db, clock.now())
        await db.commit()

    async def reminders() -> int:
        db.expire_all()
        count = await db.scalar(
            sa.select(sa.func.count(Notification.id)).where(
                Notification.link.endswith(str(order_id)), Notification.text.contains("到期")
            )
        )
        await done(db)
        return int(count or 0)

    clock.advance(days=2)  # Wednesday 10:00 local: 38 hours left, outside the window
    await remind()
    assert (await order(db, order_id)).reminded_at is None and await reminders() == 0
    clock.advance(days=1, hours=1)  # Thursday 11:00 local: 13 hours left
    await remind()
    assert (await order(db, order_id)).reminded_at == clock.now() and await reminders() == 1
    clock.advance(hours=2)
    await remind()
    assert await reminders() == 1  # once per deadline
    await as_(client, "jiaojing")
    notes = text_of((await client.get("/me/notifications")).text)
    assert "路口违停" in notes and "2026-11-26 24:00 到期" in notes


# --- 吹哨报到 -----------------------------------------------------------------------------------


async def test_whistle_shows_each_arrival_and_stays_open_until_the_last_department_reports(
    client: Client, db: AsyncSession, clock: FixedClock
) -> None:
    names = ("城管", "生态环境分局", "钟楼物业")
    await as_(client, F)
    response = await post(
        client,
        f"/c/{SLUG}/whistles",
        title="后巷隔油池又满溢",
        place="美食街西口后巷",
        minutes="30",
        brief="请各部门到场",
        departments=[await department_id(db, n) for n in names],
    )
    assert response.status_code == 303, response.text[:800]
    url = response.headers["location"].split("?")[0]
    whistle_id = UUID(url.rsplit("/", 1)[1])
    db.expire_all()
    summoned = {
        o.department_id.hex: o
        for o in (
            await db.execute(sa.select(WorkOrder).where(WorkOrder.whistle_id == whistle_id))
        ).scalars()
    }
    await done(db)
    assert len(summoned) == 3 and {o.kind.value for o in summoned.values()} == {"emergency"}
    orders = {n: summoned[await department_id(db, n)].id for n in names}

    # A part before arriving is refused; then each arrives in turn, the last one late.
    early = await act(client, "chengguan", orders["城管"], "reply", reply="已处理")
    assert early.status_code == 409 and "须先报到" in text_of(early.text)
    arrivals = {"城管": ("chengguan", 12), "生态环境分局": ("huanbao", 9), "钟楼物业": ("wuye", 20)}
    for name, (login, minutes) in arrivals.items():
        clock.advance(minutes=minutes)
        assert (await act(client, login, orders[name], "arrive")).status_code == 303
    again = await act(client, "wuye", orders["钟楼物业"], "arrive")
    assert again.status_code == 409 and "已于" in text_of(again.text)
    page = (await client.get(url)).text
    for name, shown in (("城管", "12 分钟"), ("生态环境分局", "21 分钟"), ("钟楼物业", "41 分钟")):
        line = _row(page, f'data-department="{name}"')
        assert shown in text_of(line), name
    assert "超时" in text_of(_row(page, 'data-department="钟楼物业"'))
    assert "超时" not in text_of(_row(page, 'data-department="城管"'))

    for n, (name, (login, _m)) in enumerate(arrivals.items(), start=1):
        clock.advance(minutes=30)
        part = await act(client, login, orders[name], "reply", reply=f"{name}已完成分工")
        assert part.status_code == 303
        state = text_of(_row((await client.get(url)).text, 'id="whistle-state"', "p"))
        db.expire_all()
        completed = (await db.get(Whistle, whistle_id)).completed_at  # type: ignore[union-attr]
        await done(db)
        if n < 3:
            assert f"进行中：{n} / 3 个部门已反馈" in state and completed is None
        else:
            assert "各部门均已反馈" in state and completed == clock.now()
    await as_(client, "jumin11")  # the record is public, to anyone
    client.cookies.clear()
    public = text_of((await client.get(url)).text)
    assert "城管已完成分工" in public and "各部门均已反馈" in public


async def test_a_whistle_needs_two_departments_and_keeps_the_form(
    client: Client, db: AsyncSession
) -> None:
    await as_(client, F)
    refused = await post(
        client,
        f"/c/{SLUG}/whistles",
        title="后巷隔油池又满溢",
        place="美食街西口后巷",
        minutes="30",
        departments=[await department_id(db, "城管")],
    )
    assert refused.status_code == 422
    assert "吹哨须召集至少 2 个" in text_of(refused.text)
    assert 'value="后巷隔油池又满溢"' in refused.text
    db.expire_all()
    assert await db.scalar(sa.select(sa.func.count(Whistle.id))) == 1  # the demo's only
    await done(db)


# --- 随手拍 and contacts ----------------------------------------------------------------------


async def test_snap_suggests_a_category_and_is_referred_without_triage(
    client: Client, db: AsyncSession
) -> None:
    issue_id = await snap(client, "jumin11", "三辆车违停堵住北门", "钟楼小区北门")
    found = await issue(db, issue_id)
    assert found.kind is IssueKind.SNAP and found.category == "停车"
    assert found.status is IssueStatus.SUBMITTED
    submitter = found.submitter_id
    await as_(client, F)
    page = (await client.get(f"{BASE}/{issue_id}")).text
    # 交警中队 takes 停车: the referral form proposes it.
    assert re.search(rf'<option value="{await department_id(db, "交警中队")}" selected>', page)
    order_id = await refer(client, issue_id, "交警中队", db)
    assert await status_of(db, issue_id) is IssueStatus.REFERRED
    assert (await order(db, order_id)).raised_by_id == submitter


async def test_snap_without_a_photo_is_refused_in_place(client: Client, db: AsyncSession) -> None:
    await as_(client, "jumin11")
    from tests.support import csrf_token

    response = await client.post(
        f"/c/{SLUG}/snap",
        data={"_csrf_token": await csrf_token(client), "line": "垃圾桶满了", "place": "后巷"},
        files=[("_", (None, ""))],
    )
    assert response.status_code == 422
    assert "随手拍须附一张现场照片" in text_of(response.text)
    assert 'value="垃圾桶满了"' in response.text
    db.expire_all()
    assert await db.scalar(sa.select(Issue.id).where(Issue.title == "垃圾桶满了")) is None
    await done(db)


async def test_R28_reporter_contact_for_the_handling_liaison_never_the_public(
    client: Client, db: AsyncSession
) -> None:
    order_id = await _referred(client, db, "城管")
    phone = "13807142011"  # 何平, jumin11
    client.cookies.clear()
    assert phone not in (await client.get(f"{ORDERS}/{order_id}")).text
    assert phone not in (await client.get(f"{ORDERS}?show=all")).text
    await as_(client, "jiaojing")  # another department's liaison
    assert phone not in (await client.get(f"{ORDERS}/{order_id}")).text
    await as_(client, "chengguan")
    assert phone in (await client.get(f"{ORDERS}/{order_id}")).text


async def test_demo_orders_are_flagged_and_its_grease_trap_summons_is_public(
    client: Client, db: AsyncSession
) -> None:
    queue = await client.get(f"{ORDERS}?show=overdue")
    assert "路口违停车辆挡住视线" in text_of(queue.text)
    assert "后巷隔油池满溢" in text_of(queue.text)  # the property manager's part, sent back
    whistles = text_of((await client.get(f"/c/{SLUG}/whistles")).text)
    assert "后巷隔油池满溢" in whistles and "各部门均已反馈" in whistles
    db.expire_all()
    pending = await db.scalar(
        sa.select(sa.func.count(OrderExtension.id)).where(OrderExtension.status == "pending")
    )
    await done(db)
    assert pending == 1
