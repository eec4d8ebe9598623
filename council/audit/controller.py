"""The public audit page of a council: its entries and whether the chain verifies."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from council.audit import service
from council.councils import service as councils
from council.councils.permissions import Action, Actor
from council.web.render import page

ACTION_LABELS = {
    "council.created": "创建议事会",
    "council.settings_changed": "修改议事会设置",
    "membership.granted": "授予成员身份",
    "membership.ended": "结束成员身份",
    "shop.added": "添加店铺",
    "claim.submitted": "提交身份申请",
    "claim.verified": "核实身份申请",
    "claim.rejected": "驳回身份申请",
    "matter.created": "议题立项",
    "matter.status_changed": "议题状态变更",
    "meeting.scheduled": "安排会议",
    "meeting.invited": "邀请参会",
    "agenda.added": "添加议程",
    "meeting.opened": "会议开始",
    "meeting.closed": "会议结束",
    "meeting.signed_in": "会议签到",
    "meeting.excused": "登记请假",
    "round.opened": "开始新一轮协商",
    "round.entry_recorded": "记录协商发言",
    "round.closed": "结束协商轮次",
    "minutes.drafted": "起草纪要",
    "minutes.confirmed_by": "到会成员确认纪要",
    "minutes.confirmed": "纪要定稿",
    "minutes.published": "公开纪要",
    "minutes.corrected": "更正纪要",
    "plan.created": "制定行动计划",
    "item.evidence_submitted": "提交整改材料",
    "item.verified": "核验通过",
    "item.returned": "核验退回",
    "inspection.recorded": "记录巡查",
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
