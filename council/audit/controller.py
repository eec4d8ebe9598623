"""The public audit page of a council: its entries and whether the chain verifies."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from council.audit import service
from council.councils import service as councils
from council.councils.permissions import Action, Actor
from council.i18n import N_
from council.web.render import page

ACTION_LABELS = {
    "council.created": N_("创建议事会"),
    "council.settings_changed": N_("修改议事会设置"),
    "membership.granted": N_("授予成员身份"),
    "membership.ended": N_("结束成员身份"),
    "shop.added": N_("添加店铺"),
    "claim.submitted": N_("提交身份申请"),
    "claim.verified": N_("核实身份申请"),
    "claim.rejected": N_("驳回身份申请"),
    "ballot.created": N_("创建表决"),
    "ballot.edited": N_("修改表决草稿"),
    "ballot.opened": N_("开启表决"),
    "vote.cast": N_("投票"),
    "vote.changed": N_("改票"),
    "ballot.closed": N_("结束表决并计票"),
    "ballot.certified": N_("认证表决结果"),
}


class AuditController(Controller):
    tags = ["audit"]

    @get("/c/{slug:str}/audit", name="audit.log")
    async def log(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        before: int | None = None,
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.VIEW_AUDIT)
        verdict = await service.verify_chain(db_session, council.id)
        entries = await service.entries(db_session, council.id, limit=50, before_seq=before)
        return page(
            request,
            "audit/log.html",
            {
                "council": council,
                "verdict": verdict,
                "entries": entries,
                "labels": ACTION_LABELS,
                "older": entries[-1].seq if entries and entries[-1].seq > 1 else None,
            },
        )
