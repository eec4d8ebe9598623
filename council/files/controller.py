"""GET /files/{name}: every fetch of a non-public file is authorized again."""

from __future__ import annotations

from litestar import Controller, Request, Response, get
from sqlalchemy.ext.asyncio import AsyncSession

from council.councils.permissions import Actor, Visibility
from council.files import service


class FileController(Controller):
    tags = ["files"]

    @get("/files/{name:str}", name="files.get")
    async def get_file(
        self, request: Request, db_session: AsyncSession, actor: Actor, name: str
    ) -> Response[bytes]:
        storage = request.app.state.storage
        row, data = await service.fetch(db_session, storage, actor, name)
        public = row.visibility is Visibility.PUBLIC
        return Response(
            content=data,
            media_type=row.content_type,
            headers={
                "Content-Disposition": f'inline; filename="{row.name}.{row.extension}"',
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; sandbox",
                "Cache-Control": "public, max-age=86400" if public else "private, no-store",
            },
        )
