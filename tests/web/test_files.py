"""GET /files/{name}: authorized on every fetch, served with nosniff and a disposition."""

from __future__ import annotations

import sqlalchemy as sa
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from council.councils.models import Council
from council.councils.permissions import Visibility
from council.files import service as files
from council.files.images import clean_image
from tests.images import exif_of, jpeg_with_gps
from tests.support import Client, sign_in_directly


async def _stored(app: Litestar, db: AsyncSession, visibility: Visibility) -> str:
    council = await db.scalar(sa.select(Council).where(Council.slug == "zhonglou"))
    assert council is not None
    parent = files.Parent(council.id, "test", council.id)
    [row] = await files.attach(
        db,
        app.state.storage,
        [clean_image(jpeg_with_gps())],
        parent=parent,
        owner_id=None,
        visibility=visibility,
        now=app.state.clock.now(),
    )
    await db.commit()
    return row.name


async def test_public_file_is_served_clean_with_safe_headers(
    app: Litestar, db: AsyncSession, client: Client
) -> None:
    name = await _stored(app, db, Visibility.PUBLIC)
    response = await client.get(f"/files/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-disposition"] == f'inline; filename="{name}.jpg"'
    assert exif_of(response.content) == {}


async def test_S14_council_file_is_404_for_the_public_and_served_to_members(
    app: Litestar, db: AsyncSession, client: Client
) -> None:
    name = await _stored(app, db, Visibility.COUNCIL)
    hidden = await client.get(f"/files/{name}")
    missing = await client.get(f"/files/{'0' * 32}")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.text == missing.text
    await sign_in_directly(client, "jumin11")
    shown = await client.get(f"/files/{name}")
    assert shown.status_code == 200
    assert shown.headers["cache-control"] == "private, no-store"


async def test_S15_hostile_names_are_404(client: Client) -> None:
    for name in ("..%2F..%2Fsecret_key", "secret_key", "A" * 32):
        assert (await client.get(f"/files/{name}")).status_code == 404
