"""Helpers for the work-order room's tests: report, refer, act on orders over HTTP and read
what the database holds."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import sqlalchemy as sa
from httpx import Response
from sqlalchemy.ext.asyncio import AsyncSession

from council.workorders.models import Department, OrderExtension, Whistle, WorkOrder
from tests.images import jpeg_with_gps
from tests.intake import BASE, SLUG, done
from tests.support import Client, csrf_token, sign_in

ORDERS = f"/c/{SLUG}/orders"
F = "zhuchi"  # the demo council's facilitator
LIAISON = {
    "城管": "chengguan",
    "市场监管所": "shijian",
    "生态环境分局": "huanbao",
    "交警中队": "jiaojing",
    "钟楼物业": "wuye",
}


async def as_(client: Client, login: str) -> Client:
    client.cookies.clear()
    await sign_in(client, login)
    return client


async def post(client: Client, url: str, *, multipart: bool = False, **data: Any) -> Response:
    """A form as the page sends it; the reply form is multipart (photos)."""
    form = {"_csrf_token": await csrf_token(client), **data}
    files = [("_", (None, ""))] if multipart else None
    return await client.post(url, data=form, files=files, follow_redirects=False)


async def department_id(db: AsyncSession, name: str) -> str:
    found = await db.scalar(sa.select(Department.id).where(Department.name == name))
    await done(db)
    assert found is not None, name
    return found.hex


async def snap(client: Client, login: str, line: str, place: str = "美食街后巷") -> UUID:
    """A 随手拍 from a phone: photo, place, one line."""
    await as_(client, login)
    response = await client.post(
        f"/c/{SLUG}/snap",
        data={"_csrf_token": await csrf_token(client), "line": line, "place": place},
        files=[("photo", ("IMG_0001.jpg", jpeg_with_gps(), "image/jpeg"))],
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:500]
    return UUID(response.headers["location"].split("?")[0].rsplit("/", 1)[1])


async def refer(
    client: Client,
    issue_id: UUID,
    department: str,
    db: AsyncSession,
    kind: str = "complaint",
    **data: Any,
) -> UUID:
    """The facilitator refers the issue; the new order's id."""
    await as_(client, F)
    response = await post(
        client,
        f"{BASE}/{issue_id}/refer",
        department_id=await department_id(db, department),
        kind=kind,
        **data,
    )
    assert response.status_code == 303, response.text[:800]
    return UUID(response.headers["location"].split("?")[0].rsplit("/", 1)[1])


async def act(client: Client, login: str, order_id: UUID, path: str, **data: Any) -> Response:
    await as_(client, login)
    return await post(client, f"{ORDERS}/{order_id}/{path}", multipart=path == "reply", **data)


async def order(db: AsyncSession, order_id: UUID) -> WorkOrder:
    db.expire_all()
    found = await db.get(WorkOrder, order_id)
    await done(db)
    assert found is not None
    return found


async def extensions(db: AsyncSession, order_id: UUID) -> list[OrderExtension]:
    db.expire_all()
    rows = await db.execute(sa.select(OrderExtension).where(OrderExtension.order_id == order_id))
    found = list(rows.scalars())
    await done(db)
    return found


async def whistle(db: AsyncSession, whistle_id: UUID) -> Whistle:
    db.expire_all()
    found = await db.get(Whistle, whistle_id)
    await done(db)
    assert found is not None
    return found
