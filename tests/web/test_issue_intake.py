"""Submitting, co-signing and commenting on issues over HTTP (SQLite and PostgreSQL)."""

from __future__ import annotations

import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from council.files.images import MAX_FILE_BYTES
from council.files.models import StoredFile
from council.issues.models import Issue, IssueComment
from council.issues.workflow import IssueStatus
from tests.images import HTML, exif_of, jpeg_html_polyglot, jpeg_with_gps, png_claiming
from tests.intake import (
    BASE,
    act,
    cosigners,
    done,
    issue,
    issue_id_from,
    photos_of,
    submit,
    submit_as,
)
from tests.support import Client, audit_actions, csrf_token, sign_in_directly, text_of


async def _issue_count(db: AsyncSession) -> int:
    db.expire_all()
    n = int(await db.scalar(sa.select(sa.func.count(Issue.id))) or 0)
    await done(db)
    return n


async def _file_count(db: AsyncSession) -> int:
    n = int(await db.scalar(sa.select(sa.func.count(StoredFile.id))) or 0)
    await done(db)
    return n


async def test_resident_submits_with_photo_stored_clean_and_council_only(
    client: Client, db: AsyncSession, app: Litestar
) -> None:
    await sign_in_directly(client, "jumin11")
    response = await submit(client, photos=[("gps.jpg", jpeg_with_gps(), "image/jpeg")])
    issue_id = issue_id_from(response)
    row = await issue(db, issue_id)
    assert row.status is IssueStatus.SUBMITTED
    [photo] = await photos_of(db, issue_id)
    assert photo.content_type == "image/jpeg"
    url = photo.url
    assert exif_of(app.state.storage.get(photo.name)) == {}
    assert [e.action for e in await audit_actions(db, "issue.submitted")][-1] == "issue.submitted"
    await done(db)

    page = await client.get(f"{BASE}/{issue_id}")
    assert page.status_code == 200
    assert "8 号楼下烧烤油烟直排" in text_of(page.text)
    assert (await client.get(url)).status_code == 200

    # Another resident of the council sees it (to co-sign); the public does not.
    client.cookies.clear()
    await sign_in_directly(client, "jumin12")
    assert (await client.get(f"{BASE}/{issue_id}")).status_code == 200
    client.cookies.clear()
    assert (await client.get(f"{BASE}/{issue_id}")).status_code == 404
    assert (await client.get(url)).status_code == 404
    assert "8 号楼下烧烤油烟直排" not in (await client.get(BASE)).text


async def test_second_cosign_is_refused_and_counts_once(client: Client, db: AsyncSession) -> None:
    issue_id = await submit_as(client, "jumin11", "夜间噪音扰民")
    first = await act(client, "jumin12", issue_id, "cosign")
    assert first.status_code == 303
    second = await client.post(
        f"{BASE}/{issue_id}/cosign",
        data={"_csrf_token": await csrf_token(client)},
        follow_redirects=False,
    )
    assert second.status_code == 409
    assert "您已附议过这个诉求" in text_of(second.text)
    assert len(await cosigners(db, issue_id)) == 1


async def test_submitter_cannot_cosign_own_issue(client: Client, db: AsyncSession) -> None:
    issue_id = await submit_as(client, "jumin11", "夜间噪音扰民")
    response = await act(client, "jumin11", issue_id, "cosign")
    assert response.status_code == 409
    assert "不能附议自己提交的诉求" in text_of(response.text)
    assert await cosigners(db, issue_id) == []


async def test_cosign_withdrawn_while_open(client: Client, db: AsyncSession) -> None:
    issue_id = await submit_as(client, "jumin11", "夜间噪音扰民")
    await act(client, "jumin12", issue_id, "cosign")
    response = await act(client, "jumin12", issue_id, "uncosign")
    assert response.status_code == 303
    assert await cosigners(db, issue_id) == []


async def test_htmx_cosign_returns_the_cosign_fragment(client: Client) -> None:
    issue_id = await submit_as(client, "jumin11", "夜间噪音扰民")
    client.cookies.clear()
    await sign_in_directly(client, "jumin12")
    await client.get(f"{BASE}/{issue_id}")
    response = await client.post(
        f"{BASE}/{issue_id}/cosign",
        headers={"HX-Request": "true", "x-csrftoken": await csrf_token(client)},
    )
    assert response.status_code == 200
    assert response.text.strip().startswith('<section id="cosign"')
    assert "附议 1 人" in response.text


async def test_threshold_flags_issue_in_queue(client: Client, db: AsyncSession) -> None:
    client.cookies.clear()
    await sign_in_directly(client, "zhuchi")
    await client.post(
        f"{BASE}/settings",
        data={
            "_csrf_token": await csrf_token(client),
            "cosign_threshold": "2",
            "categories": "油烟\n噪音\n其他",
        },
    )
    issue_id = await submit_as(client, "jumin11", "夜间噪音扰民", category="噪音")
    await act(client, "jumin12", issue_id, "cosign")
    assert (await issue(db, issue_id)).flagged_at is None
    await act(client, "jumin13", issue_id, "cosign")
    assert (await issue(db, issue_id)).flagged_at is not None
    client.cookies.clear()
    await sign_in_directly(client, "zhuchi")
    queue = await client.get(f"{BASE}/queue")
    assert "提请关注" in text_of(queue.text)


async def test_bad_uploads_are_refused_and_nothing_is_stored(
    client: Client, db: AsyncSession
) -> None:
    await sign_in_directly(client, "jumin11")
    before = (await _issue_count(db), await _file_count(db))
    cases = [
        ([("x.jpg", HTML, "image/jpeg")], "只能上传 JPEG、PNG 或 WebP"),
        ([("big.jpg", b"\xff\xd8\xff" + b"0" * MAX_FILE_BYTES, "image/jpeg")], "不能超过"),
        ([("bomb.png", png_claiming(20_000, 20_000), "image/png")], "像素过多"),
        ([(f"{i}.jpg", jpeg_with_gps(), "image/jpeg") for i in range(7)], "最多上传 6 张"),
    ]
    for photos, message in cases:
        response = await submit(client, photos=photos)
        assert response.status_code == 422, message
        assert message in text_of(response.text)
        assert "8 号楼下烧烤油烟直排" in response.text  # what was typed comes back
    assert (await _issue_count(db), await _file_count(db)) == before


async def test_S23_polyglot_and_hostile_filename_are_stored_safely(
    client: Client, db: AsyncSession, app: Litestar
) -> None:
    await sign_in_directly(client, "jumin11")
    response = await submit(
        client, photos=[("../../x\r\n.html", jpeg_html_polyglot(), "text/html")]
    )
    [photo] = await photos_of(db, issue_id_from(response))
    assert "x" not in photo.name and len(photo.name) == 32
    assert b"<script" not in app.state.storage.get(photo.name)
    fetched = await client.get(photo.url)
    assert fetched.headers["content-type"] == "image/jpeg"
    assert fetched.headers["content-disposition"] == f'inline; filename="{photo.name}.jpg"'


async def test_S16_extra_fields_are_ignored(client: Client, db: AsyncSession) -> None:
    await sign_in_directly(client, "jumin11")
    response = await submit(client, status="accepted", submitter_id="0" * 32, number="1")
    row = await issue(db, issue_id_from(response))
    assert row.status is IssueStatus.SUBMITTED
    assert row.number != 1 or await _issue_count(db) == 1


async def test_S20_stored_text_is_escaped(client: Client) -> None:
    await sign_in_directly(client, "jumin11")
    issue_id = issue_id_from(await submit(client, "<script>alert(1)</script>标题"))
    page = await client.get(f"{BASE}/{issue_id}")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;标题" in page.text


async def test_invalid_category_and_short_text_are_refused(
    client: Client, db: AsyncSession
) -> None:
    await sign_in_directly(client, "jumin11")
    before = await _issue_count(db)
    response = await submit(client, "x", category="不存在的类别", body="短")
    assert response.status_code == 422
    page = text_of(response.text)
    assert "至少 2 个字" in page and "至少 5 个字" in page
    assert await _issue_count(db) == before


async def test_merchant_proposal_for_own_shop_only(client: Client, db: AsyncSession) -> None:
    await sign_in_directly(client, "shop01")
    refused = await submit(client, "提议统一安装净化器", kind="proposal", shop_number="2")
    assert refused.status_code == 422
    assert "已核实代表的店铺" in text_of(refused.text)
    made = await submit(client, "提议统一安装净化器", kind="proposal", shop_number="1", masked="1")
    row = await issue(db, issue_id_from(made))
    assert row.kind.value == "proposal" and row.masked is False  # rule 21: named submitter
    page = await client.get(f"{BASE}/{row.id}")
    assert "商户 1 号 老王烧烤" in text_of(page.text)


async def test_outsider_without_role_cannot_submit(client: Client) -> None:
    await sign_in_directly(client, "admin")  # the administrator may; a stranger may not
    client.cookies.clear()
    await client.get("/signup")
    response = await client.post(
        "/signup",
        data={
            "_csrf_token": await csrf_token(client),
            "login": "luren",
            "display_name": "路人",
            "password": "a-long-passphrase-2026",
            "password_again": "a-long-passphrase-2026",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert (await client.get(f"{BASE}/new", follow_redirects=False)).status_code == 404


async def test_comments_with_replies(client: Client, db: AsyncSession) -> None:
    issue_id = await submit_as(client, "jumin11", "夜间噪音扰民")
    first = await act(client, "jumin12", issue_id, "comments", body="我家也是，晚上十一点还很吵")
    assert first.status_code == 303
    db.expire_all()
    parent = await db.scalar(sa.select(IssueComment).where(IssueComment.issue_id == issue_id))
    await done(db)
    assert parent is not None
    reply = await act(
        client, "zhuchi", issue_id, "comments", body="已记录", parent_id=str(parent.id)
    )
    assert reply.status_code == 303
    page = text_of((await client.get(f"{BASE}/{issue_id}")).text)
    assert "我家也是，晚上十一点还很吵" in page and "已记录" in page
    assert "讨论（1）" in page


async def test_submitter_withdraws_while_open(client: Client, db: AsyncSession) -> None:
    issue_id = await submit_as(client, "jumin11", "夜间噪音扰民")
    response = await act(client, "jumin11", issue_id, "withdraw")
    assert response.status_code == 303
    assert (await issue(db, issue_id)).status is IssueStatus.WITHDRAWN
    client.cookies.clear()
    await sign_in_directly(client, "jumin12")
    assert (await client.get(f"{BASE}/{issue_id}")).status_code == 404


async def test_upload_quota_per_person_refuses_with_429_and_stores_nothing(
    client: Client, db: AsyncSession, app: Litestar
) -> None:
    import dataclasses

    app.state.settings = dataclasses.replace(app.state.settings, uploads_per_person_hour=2)
    await sign_in_directly(client, "jumin11")
    photo = [("a.jpg", jpeg_with_gps(), "image/jpeg")]
    assert (await submit(client, "第一条", photos=photo * 2)).status_code == 303
    before = (await _issue_count(db), await _file_count(db))
    refused = await submit(client, "第二条", photos=photo)
    assert refused.status_code == 429
    assert "每小时最多上传 2 个文件" in text_of(refused.text)
    assert (await _issue_count(db), await _file_count(db)) == before
