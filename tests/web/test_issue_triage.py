"""Triage over HTTP: every move, every refusal, merging, referral and who may do it."""

from __future__ import annotations

from uuid import uuid4

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.issues.models import IssueEvent
from council.issues.workflow import IssueStatus
from council.notifications.models import Notification
from council.workorders.models import Department, WorkOrder
from tests.images import jpeg_with_gps
from tests.intake import (
    BASE,
    act,
    cosigners,
    done,
    issue,
    move,
    other_council,
    photos_of,
    status_of,
    submit_as,
)
from tests.support import Client, audit_actions, csrf_token, post_form, sign_in_directly, text_of

F = "zhuchi"  # the demo council's facilitator


async def _department_id(db: AsyncSession, name: str = "城管") -> str:
    found = await db.scalar(sa.select(Department.id).where(Department.name == name))
    await done(db)
    return str(found)


async def _triaged(client: Client, title: str = "夜间噪音扰民", login: str = "jumin11"):
    issue_id = await submit_as(client, login, title)
    assert (await move(client, F, issue_id, "triage")).status_code == 303
    return issue_id


async def _events(db: AsyncSession, issue_id) -> list[str]:
    db.expire_all()
    rows = await db.execute(
        sa.select(IssueEvent.kind).where(IssueEvent.issue_id == issue_id).order_by(IssueEvent.at)
    )
    kinds = list(rows.scalars())
    await done(db)
    return kinds


async def test_submitted_to_triage(client: Client, db: AsyncSession) -> None:
    issue_id = await submit_as(client, "jumin11", "夜间噪音扰民")
    response = await move(client, F, issue_id, "triage")
    assert response.status_code == 303
    assert await status_of(db, issue_id) is IssueStatus.TRIAGE
    assert await _events(db, issue_id) == ["submitted", "triaged"]
    assert await audit_actions(db, "issue.triaged")
    await done(db)


async def test_triage_to_accepted_becomes_public_with_timeline(
    client: Client, db: AsyncSession
) -> None:
    issue_id = await _triaged(client)
    response = await move(client, F, issue_id, "accepted", reason="列入下次协商议题")
    assert response.status_code == 303
    assert await status_of(db, issue_id) is IssueStatus.ACCEPTED
    client.cookies.clear()
    page = text_of((await client.get(f"{BASE}/{issue_id}")).text)
    assert "已立项" in page and "列入下次协商议题" in page
    assert "提交" in page and "受理" in page and "刘敏" in page
    assert "13807142011" not in page  # rule 28: contact details never public
    assert "夜间噪音扰民" in text_of((await client.get(BASE)).text)


async def test_triage_to_rejected_needs_a_public_reason(client: Client, db: AsyncSession) -> None:
    issue_id = await _triaged(client)
    refused = await move(client, F, issue_id, "rejected")
    assert refused.status_code == 409
    assert "不予受理须写明公开理由" in text_of(refused.text)
    assert await status_of(db, issue_id) is IssueStatus.TRIAGE
    done_ = await move(client, F, issue_id, "rejected", reason="属于物业合同纠纷，请联系物业")
    assert done_.status_code == 303
    assert await status_of(db, issue_id) is IssueStatus.REJECTED
    client.cookies.clear()
    page = text_of((await client.get(f"{BASE}/{issue_id}")).text)
    assert "不予受理的理由" in page and "属于物业合同纠纷" in page
    assert (await move(client, F, issue_id, "closed")).status_code == 303
    assert await status_of(db, issue_id) is IssueStatus.CLOSED


async def test_R22_referral_is_a_work_order_and_the_issue_follows_it(
    client: Client, db: AsyncSession
) -> None:
    issue_id = await _triaged(client, "人行道被占道经营")
    dept = await _department_id(db)
    nowhere = await act(client, F, issue_id, "refer", kind="complaint", department_id=str(uuid4()))
    assert nowhere.status_code == 409
    assert "转办须选择服务本议事会的职能部门" in text_of(nowhere.text)
    assert await status_of(db, issue_id) is IssueStatus.TRIAGE
    referred = await act(client, F, issue_id, "refer", kind="complaint", department_id=dept)
    assert referred.status_code == 303 and "/orders/" in referred.headers["location"]
    assert await status_of(db, issue_id) is IssueStatus.REFERRED
    order_url = referred.headers["location"].split("?")[0]

    # R22: nobody verifies or closes the issue by hand; its work order moves it.
    close = await move(client, F, issue_id, "closed")
    assert close.status_code == 409 and "须先核实办理结果" in text_of(close.text)
    verify = await move(client, F, issue_id, "verified", reason="已到现场")
    assert verify.status_code == 409 and "工单尚未全部核查" in text_of(verify.text)
    assert await status_of(db, issue_id) is IssueStatus.REFERRED

    client.cookies.clear()
    await sign_in_directly(client, "chengguan")
    for path, data in (("accept", {}), ("reply", {"reply": "已责令三家店铺退回店内经营"})):
        response = await client.post(
            f"{order_url}/{path}",
            data={"_csrf_token": await csrf_token(client), **data},
            files=[("_", (None, ""))] if path == "reply" else None,
        )
        assert response.status_code == 303, response.text
    client.cookies.clear()
    await sign_in_directly(client, F)
    token = await csrf_token(client)
    verdict = {"_csrf_token": token, "verdict": "satisfied", "note": "复查已整改"}
    assert (await client.post(f"{order_url}/verify", data=verdict)).status_code == 303
    assert await status_of(db, issue_id) is IssueStatus.VERIFIED
    assert (await client.post(f"{order_url}/close", data={"_csrf_token": token})).status_code == 303
    assert await status_of(db, issue_id) is IssueStatus.CLOSED
    assert await _events(db, issue_id) == ["submitted", "triaged", "referred", "verified", "closed"]
    client.cookies.clear()
    page = text_of((await client.get(f"{BASE}/{issue_id}")).text)
    assert "已责令三家店铺退回店内经营" in page and "城管" in page and "转办工单" in page
    db.expire_all()
    orders = (await db.execute(sa.select(WorkOrder).where(WorkOrder.issue_id == issue_id))).all()
    await done(db)
    assert len(orders) == 1


async def test_accept_before_triage_is_refused(client: Client, db: AsyncSession) -> None:
    issue_id = await submit_as(client, "jumin11", "夜间噪音扰民")
    response = await move(client, F, issue_id, "accepted")
    assert response.status_code == 409
    assert "“已提交”的诉求不能改为“已立项”" in text_of(response.text)
    assert await status_of(db, issue_id) is IssueStatus.SUBMITTED


async def test_unknown_target_status_is_422(client: Client, db: AsyncSession) -> None:
    issue_id = await submit_as(client, "jumin11", "夜间噪音扰民")
    response = await move(client, F, issue_id, "published")
    assert response.status_code == 422
    assert await status_of(db, issue_id) is IssueStatus.SUBMITTED


async def test_closed_issue_cannot_move_again(client: Client, db: AsyncSession) -> None:
    issue_id = await _triaged(client)
    await move(client, F, issue_id, "accepted")
    await move(client, F, issue_id, "closed")
    response = await move(client, F, issue_id, "triage")
    assert response.status_code == 409
    assert await status_of(db, issue_id) is IssueStatus.CLOSED


async def test_merge_into_itself_is_refused(client: Client, db: AsyncSession) -> None:
    issue_id = await _triaged(client)
    number = (await issue(db, issue_id)).number
    response = await move(client, F, issue_id, "merged", target_number=str(number))
    assert response.status_code == 409
    assert "不能把诉求合并到它自己" in text_of(response.text)
    assert await status_of(db, issue_id) is IssueStatus.TRIAGE


async def test_merge_into_closed_issue_is_refused(client: Client, db: AsyncSession) -> None:
    closed = await _triaged(client, "早已办结的油烟问题")
    await move(client, F, closed, "accepted")
    await move(client, F, closed, "closed")
    source = await _triaged(client, "油烟问题（重复）", login="jumin12")
    number = (await issue(db, closed)).number
    response = await move(client, F, source, "merged", target_number=str(number))
    assert response.status_code == 409
    assert "只能合并到仍在办理的诉求" in text_of(response.text)
    assert await status_of(db, source) is IssueStatus.TRIAGE
    assert await cosigners(db, closed) == []


async def test_merge_counts_shared_cosigners_once(client: Client, db: AsyncSession) -> None:
    target = await submit_as(client, "jumin11", "烧烤油烟熏到三楼")
    source = await submit_as(client, "jumin12", "油烟太大（重复）")
    for login in ("jumin13", "jumin01"):  # co-sign both issues
        assert (await act(client, login, target, "cosign")).status_code == 303
        assert (await act(client, login, source, "cosign")).status_code == 303
    assert (await act(client, "jumin02", source, "cosign")).status_code == 303
    # The target's own submitter co-signed the duplicate: still not counted on the target.
    assert (await act(client, "jumin11", source, "cosign")).status_code == 303
    await move(client, F, source, "triage")
    number = (await issue(db, target)).number
    response = await move(client, F, source, "merged", target_number=str(number))
    assert response.status_code == 303
    assert await status_of(db, source) is IssueStatus.MERGED
    after = await cosigners(db, target)
    # jumin13, jumin01 (shared), jumin02 (carried), jumin12 (the duplicate's submitter)
    assert len(after) == len(set(after)) == 4
    page = text_of((await client.get(f"{BASE}/{target}")).text)
    assert "附议 4 人" in page and "合并了重复诉求" in page
    merged = text_of((await client.get(f"{BASE}/{source}")).text)
    assert "已合并到" in merged


async def test_non_facilitator_triage_is_refused_and_changes_nothing(
    client: Client, db: AsyncSession
) -> None:
    issue_id = await submit_as(client, "jumin11", "夜间噪音扰民")
    for login, status in (("jumin12", 403), ("jiandu", 403), ("shop01", 403)):
        response = await move(client, login, issue_id, "triage")
        assert response.status_code == status, login
        assert "只有主持人可以受理和处理诉求" in text_of(response.text)
    assert await status_of(db, issue_id) is IssueStatus.SUBMITTED


async def test_another_councils_facilitator_sees_and_does_nothing(
    client: Client, db: AsyncSession
) -> None:
    await other_council(db)
    photo = [("p.jpg", jpeg_with_gps(), "image/jpeg")]
    issue_id = await submit_as(client, "jumin11", "待受理的油烟问题", photos=photo)
    [stored] = await photos_of(db, issue_id)
    url = stored.url
    client.cookies.clear()
    await sign_in_directly(client, "waidi")
    token = await csrf_token(client)
    gets = [
        f"{BASE}/{issue_id}",
        url,
        f"{BASE}/queue",
        f"{BASE}/new",
    ]
    for path in gets:
        response = await client.get(path, follow_redirects=False)
        assert response.status_code == 404, path
    listing = await client.get(BASE)
    assert "待受理的油烟问题" not in listing.text
    assert "待受理的油烟问题" not in (await client.get(f"{BASE}/stats")).text
    fragment = await client.get(BASE, headers={"HX-Request": "true"}, params={"q": "油烟"})
    assert "待受理的油烟问题" not in fragment.text
    for path, data in (
        ("transition", {"to": "triage"}),
        ("cosign", {}),
        ("uncosign", {}),
        ("comments", {"body": "外地意见"}),
        ("refer", {"kind": "complaint", "department_id": str(uuid4())}),
        ("withdraw", {}),
    ):
        response = await client.post(
            f"{BASE}/{issue_id}/{path}",
            data={"_csrf_token": token, **data},
            follow_redirects=False,
        )
        assert response.status_code == 404, path
    settings = await client.post(
        f"{BASE}/settings",
        data={"_csrf_token": token, "cosign_threshold": "1", "categories": "x"},
        follow_redirects=False,
    )
    assert settings.status_code == 404
    assert await status_of(db, issue_id) is IssueStatus.SUBMITTED
    assert await cosigners(db, issue_id) == []
    assert await _events(db, issue_id) == ["submitted"]


async def test_S14_pending_issue_is_404_for_public_and_identical_to_missing(
    client: Client,
) -> None:
    issue_id = await submit_as(client, "jumin11", "待受理的油烟问题")
    client.cookies.clear()
    hidden = await client.get(f"{BASE}/{issue_id}")
    missing = await client.get(f"{BASE}/00000000-0000-0000-0000-000000000000")
    assert hidden.status_code == missing.status_code == 404
    assert text_of(hidden.text) == text_of(missing.text)


async def test_status_change_notifies_submitter_and_cosigners(
    client: Client, db: AsyncSession
) -> None:
    issue_id = await submit_as(client, "jumin11", "夜间噪音扰民")
    await act(client, "jumin12", issue_id, "cosign")
    await move(client, F, issue_id, "triage")
    for login in ("jumin11", "jumin12"):
        client.cookies.clear()
        await sign_in_directly(client, login)
        page = text_of((await client.get("/me/notifications")).text)
        assert "夜间噪音扰民" in page and "受理中" in page and "未读" in page
        assert (await post_form(client, "/me/notifications/read")).status_code == 303
    db.expire_all()
    unread = await db.scalar(
        sa.select(sa.func.count(Notification.id)).where(
            Notification.read_at.is_(None), Notification.link.endswith(str(issue_id))
        )
    )
    await done(db)
    assert unread == 0  # both were read; the facilitator gets none for their own move


async def test_queue_filters_and_sort_use_allowlists(client: Client) -> None:
    await submit_as(client, "jumin11", "夜间噪音扰民", category="噪音")
    client.cookies.clear()
    await sign_in_directly(client, F)
    ok = await client.get(f"{BASE}/queue", params={"category": "噪音", "sort": "oldest"})
    assert ok.status_code == 200 and "夜间噪音扰民" in ok.text
    hostile = await client.get(
        f"{BASE}/queue", params={"sort": "id; DROP TABLE issue", "status": "x' OR 1=1"}
    )
    assert hostile.status_code == 200 and "夜间噪音扰民" in hostile.text


async def test_public_search_and_monthly_stats(client: Client) -> None:
    issue_id = await _triaged(client, "停车位被长期占用")
    await move(client, F, issue_id, "accepted")
    client.cookies.clear()
    found = await client.get(BASE, params={"q": "停车位", "status": "accepted"})
    assert "停车位被长期占用" in text_of(found.text)
    none = await client.get(BASE, params={"q": "100%_不存在"})
    assert "停车位被长期占用" not in none.text
    stats = text_of((await client.get(f"{BASE}/stats")).text)
    assert "2026-11" in stats and "已立项" in stats


async def test_bulk_triage_moves_submitted_issues_all_or_nothing(
    client: Client, db: AsyncSession
) -> None:
    first = await submit_as(client, "jumin11", "楼道堆放杂物")
    second = await submit_as(client, "jumin12", "路灯不亮")
    accepted = await _triaged(client, "已经受理的诉求")
    client.cookies.clear()
    await sign_in_directly(client, F)
    token = await csrf_token(client)
    refused = await client.post(
        f"{BASE}/queue/triage",
        data={"_csrf_token": token, "issue_ids": [str(first), str(accepted)]},
        follow_redirects=False,
    )
    assert refused.status_code == 409
    assert await status_of(db, first) is IssueStatus.SUBMITTED  # nothing half-done
    empty = await client.post(f"{BASE}/queue/triage", data={"_csrf_token": token})
    assert empty.status_code == 422 and "请先勾选" in text_of(empty.text)
    done_ = await client.post(
        f"{BASE}/queue/triage",
        data={"_csrf_token": token, "issue_ids": [str(first), str(second)]},
        follow_redirects=False,
    )
    assert done_.status_code == 303
    assert await status_of(db, first) is IssueStatus.TRIAGE
    assert await status_of(db, second) is IssueStatus.TRIAGE
    again = await move(client, F, first, "triage")
    assert again.status_code == 409
    client.cookies.clear()
    await sign_in_directly(client, "jiandu")
    supervisor = await client.post(
        f"{BASE}/queue/triage",
        data={"_csrf_token": await csrf_token(client), "issue_ids": [str(second)]},
        follow_redirects=False,
    )
    assert supervisor.status_code == 403
