"""/c/{slug}/manage/import: a facilitator imports the council's shops and people from a sheet
(template, preview with each row's problem, then one transaction)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from council.councils import importing, service
from council.councils.models import Council
from council.councils.permissions import Action, Actor
from council.errors import FormInvalid
from council.i18n import _
from council.web.auth import require_login
from council.web.forms import Form, MultipartForm
from council.web.render import page

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def _council(db: AsyncSession, actor: Actor, slug: str) -> Council:
    return await service.require(db, actor, slug, Action.MANAGE_SHOPS)


def _preview(request: Request, council: Council, sheet: importing.Sheet) -> Template:
    """Every row with its problems; only a sheet without any can be confirmed (422 if not)."""
    context: dict[str, Any] = {
        "council": council,
        "sheet": sheet,
        "headings": importing.headings(),
        "rows": list(importing.rows_for_display(sheet)),
        "shop_count": sum(1 for r in sheet.rows if r.is_shop),
        "person_count": sum(1 for r in sheet.rows if r.has_person),
        "values": {},
        "errors": {},
    }
    return page(request, "manage/import.html", context, status_code=200 if sheet.ok else 422)


class ImportController(Controller):
    path = "/c/{slug:str}/manage/import"
    guards = [require_login]
    tags = ["manage"]

    @get("/", name="manage.import")
    async def index(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str
    ) -> Template:
        council = await _council(db_session, actor, slug)
        context = {
            "council": council,
            "sheet": None,
            "headings": importing.headings(),
            "values": {},
            "errors": {},
        }
        return page(request, "manage/import.html", context)

    @get("/template.csv", name="manage.import_template_csv")
    async def template_csv(
        self, db_session: AsyncSession, actor: Actor, slug: str
    ) -> Response[bytes]:
        await _council(db_session, actor, slug)
        return _download(importing.template_csv(), "text/csv; charset=utf-8", "csv")

    @get("/template.xlsx", name="manage.import_template_xlsx")
    async def template_xlsx(
        self, db_session: AsyncSession, actor: Actor, slug: str
    ) -> Response[bytes]:
        await _council(db_session, actor, slug)
        return _download(importing.template_xlsx(), XLSX, "xlsx")

    @post("/", name="manage.import_preview", form="upload")
    async def preview(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        data: MultipartForm,
    ) -> Template:
        """Nothing is saved here: the sheet is read and each row checked."""
        council = await _council(db_session, actor, slug)
        upload = data.get("sheet")
        if not isinstance(upload, UploadFile):
            raise FormInvalid({"sheet": _("请选择要导入的文件")})
        content = await upload.read(importing.MAX_BYTES + 1)
        sheet = await importing.check(db_session, council, importing.read(content))
        return _preview(request, council, sheet)

    @post("/confirm", name="manage.import_confirm", form="upload")
    async def confirm(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, data: Form
    ) -> Template:
        """The previewed rows, checked again and saved together, or none of them."""
        council = await _council(db_session, actor, slug)
        sheet = importing.decode(str(data.get("rows", "")))
        state = request.app.state
        try:
            created = await importing.save(
                db_session, actor, council, sheet, state.settings, state.clock.now()
            )
        except importing.SheetRefused as exc:
            # Nothing was written (the sheet is checked first); the 422 is never committed.
            return _preview(request, council, exc.sheet)
        context = {"council": council, "created": created, "values": {}, "errors": {}}
        done = page(request, "manage/import_done.html", context)
        done.headers["Cache-Control"] = "no-store"  # initial passwords are shown once
        return done


def _download(content: bytes, media_type: str, suffix: str) -> Response[bytes]:
    return Response(
        content=content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="council-import-template.{suffix}"'},
    )
