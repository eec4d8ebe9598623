"""Taking uploads in and handing them back out, with the checks SECURITY.md asks for."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from litestar.datastructures import UploadFile
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts import throttle
from council.councils.permissions import Actor, Visibility, can_see
from council.errors import NotFound, Throttled
from council.files.images import MAX_FILE_BYTES, MAX_FILES, CleanImage, ImageRejected, clean_image
from council.files.models import StoredFile
from council.files.storage import Storage, new_name, valid_name
from council.i18n import _

HOUR = dt.timedelta(hours=1)


def uploads_in(value: Any) -> list[UploadFile]:
    """The files of one multipart field (none, one or several); empty file inputs dropped."""
    items = value if isinstance(value, list) else [value]
    return [u for u in items if isinstance(u, UploadFile) and u.filename]


async def clean_uploads(uploads: Sequence[UploadFile]) -> list[CleanImage]:
    """Check and re-encode every file before anything is stored: all or nothing."""
    if len(uploads) > MAX_FILES:
        raise ImageRejected(_("每次最多上传 %(n)s 张照片", n=MAX_FILES))
    cleaned = []
    for upload in uploads:
        data = await upload.read(MAX_FILE_BYTES + 1)
        await upload.close()
        cleaned.append(clean_image(data))
    return cleaned


def _quota_key(person_id: UUID) -> str:
    return f"upload:{person_id.hex}"


async def check_quota(
    db: AsyncSession, person_id: UUID, count: int, limit: int, now: dt.datetime
) -> None:
    if count and await throttle.count(db, _quota_key(person_id), HOUR, now) + count > limit:
        raise Throttled(_("上传过于频繁：每小时最多上传 %(n)s 个文件，请稍后再试", n=limit))


@dataclass(frozen=True)
class Parent:
    council_id: UUID
    type: str
    id: UUID


async def attach(
    db: AsyncSession,
    storage: Storage,
    images: Sequence[CleanImage],
    *,
    parent: Parent,
    owner_id: UUID | None,
    visibility: Visibility,
    now: dt.datetime,
) -> list[StoredFile]:
    rows = []
    for position, image in enumerate(images):
        name = new_name()
        storage.put(name, image.data)
        row = StoredFile(
            council_id=parent.council_id,
            owner_id=owner_id,
            name=name,
            content_type=image.content_type,
            extension=image.extension,
            size=len(image.data),
            width=image.width,
            height=image.height,
            visibility=visibility,
            parent_type=parent.type,
            parent_id=parent.id,
            position=position,
        )
        db.add(row)
        rows.append(row)
        if owner_id is not None:
            await throttle.hit(db, _quota_key(owner_id), now)
    await db.flush()
    return rows


async def set_visibility(
    db: AsyncSession, parent_type: str, parent_ids: Iterable[UUID], visibility: Visibility
) -> None:
    ids = list(parent_ids)
    if ids:
        await db.execute(
            sa.update(StoredFile)
            .where(StoredFile.parent_type == parent_type, StoredFile.parent_id.in_(ids))
            .values(visibility=visibility)
        )


async def for_parents(
    db: AsyncSession, parent_type: str, parent_ids: Iterable[UUID]
) -> dict[UUID, list[StoredFile]]:
    ids = list(parent_ids)
    found: dict[UUID, list[StoredFile]] = {}
    if not ids:
        return found
    rows = await db.execute(
        sa.select(StoredFile)
        .where(StoredFile.parent_type == parent_type, StoredFile.parent_id.in_(ids))
        .order_by(StoredFile.position)
    )
    for row in rows.scalars():
        found.setdefault(row.parent_id, []).append(row)  # type: ignore[arg-type]
    return found


async def fetch(
    db: AsyncSession, storage: Storage, actor: Actor, name: str
) -> tuple[StoredFile, bytes]:
    """The file and its bytes if this person may see it; missing and forbidden look alike."""
    missing = NotFound(_("找不到这个文件"))
    if not valid_name(name):
        raise missing
    row = await db.scalar(sa.select(StoredFile).where(StoredFile.name == name))
    if row is None or not can_see(actor, row.visibility, row.council_id, row.owner_id):
        raise missing
    data = storage.get(name)
    if data is None:
        raise missing
    return row, data
