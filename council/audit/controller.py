"""The public audit page of a council: its entries, each naming its record, filtered by kind
and date; whether the chain verifies and where it first breaks; the export and its checker."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get
from litestar.params import Parameter
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from council.audit import service
from council.audit.export import export_lines
from council.audit.objects import KINDS, name_objects
from council.councils import service as councils
from council.councils.permissions import Action, Actor
from council.i18n import N_
from council.web import pagecache
from council.web.render import page

CHECKER = Path(__file__).with_name("verify_export.py")

ACTION_LABELS = {
    "council.created": N_("创建议事会"),
    "council.settings_changed": N_("修改议事会设置"),
    "membership.granted": N_("授予成员身份"),
    "membership.ended": N_("结束成员身份"),
    "shop.added": N_("添加店铺"),
    "claim.submitted": N_("提交身份申请"),
    "claim.verified": N_("核实身份申请"),
    "claim.rejected": N_("驳回身份申请"),
    "matter.created": N_("议题立项"),
    "matter.status_changed": N_("议题状态变更"),
    "meeting.scheduled": N_("安排会议"),
    "meeting.invited": N_("邀请参会"),
    "agenda.added": N_("添加议程"),
    "meeting.opened": N_("会议开始"),
    "meeting.closed": N_("会议结束"),
    "meeting.signed_in": N_("会议签到"),
    "meeting.excused": N_("登记请假"),
    "meeting.vote_opened": N_("会上开启表决"),
    "round.opened": N_("开始新一轮协商"),
    "round.entry_recorded": N_("记录协商发言"),
    "round.closed": N_("结束协商轮次"),
    "minutes.drafted": N_("起草纪要"),
    "minutes.confirmed_by": N_("到会成员确认纪要"),
    "minutes.confirmed": N_("纪要定稿"),
    "minutes.published": N_("公开纪要"),
    "minutes.corrected": N_("更正纪要"),
    "plan.created": N_("制定行动计划"),
    "item.evidence_submitted": N_("提交整改材料"),
    "item.verified": N_("核验通过"),
    "item.returned": N_("核验退回"),
    "inspection.recorded": N_("记录巡查"),
    "issue.settings_changed": N_("修改诉求设置"),
    "issue.submitted": N_("提交诉求"),
    "issue.cosigned": N_("附议诉求"),
    "issue.cosign_withdrawn": N_("撤回附议"),
    "issue.flagged": N_("附议达到提醒人数"),
    "issue.withdrawn": N_("撤回诉求"),
    "issue.triaged": N_("受理诉求"),
    "issue.accepted": N_("诉求立项"),
    "issue.merged": N_("合并诉求"),
    "issue.referred": N_("转办诉求"),
    "issue.verified": N_("核实办理结果"),
    "issue.rejected": N_("不予受理"),
    "issue.closed": N_("诉求办结"),
    "call.opened": N_("发起意见征集"),
    "call.answered": N_("在线提交意见"),
    "call.offline_entered": N_("录入线下意见"),
    "ballot.created": N_("创建表决"),
    "ballot.edited": N_("修改表决草稿"),
    "ballot.opened": N_("开启表决"),
    "ballot.reset": N_("撤回表决至草稿"),
    "vote.cast": N_("投票"),
    "vote.changed": N_("改票"),
    "ballot.closed": N_("结束表决并计票"),
    "ballot.certified": N_("认证表决结果"),
    "convention.created": N_("起草公约"),
    "convention.draft_saved": N_("修改公约草案"),
    "convention.revision_started": N_("起草公约新版本"),
    "convention.comment_opened": N_("公约公布征求意见"),
    "convention.comment_ended": N_("提前结束公约征求意见"),
    "convention.reviewed": N_("登记公约合法性审核"),
    "convention.put_to_vote": N_("公约提交表决"),
    "convention.adopted": N_("公约表决通过并生效"),
    "convention.not_adopted": N_("公约表决未通过"),
    "convention.superseded": N_("公约版本被取代"),
    "convention.filed": N_("公约登记备案"),
    "department.serves": N_("职能部门开始服务本议事会"),
    "department.stops_serving": N_("职能部门停止服务本议事会"),
    "order.settings_changed": N_("修改办理时限"),
    "order.dispatched": N_("派发工单"),
    "order.accepted": N_("签收工单"),
    "order.arrived": N_("吹哨报到：到场"),
    "order.replied": N_("工单处置反馈"),
    "order.extension_requested": N_("申请延期"),
    "order.extension_approved": N_("批准延期"),
    "order.extension_refused": N_("不批准延期"),
    "order.verified": N_("工单核查：满意"),
    "order.returned": N_("工单核查：不满意，退回"),
    "order.closed": N_("工单结案"),
    "order.rated": N_("工单评价"),
    "whistle.summoned": N_("吹哨召集职能部门"),
    "matter.issue_linked": N_("议题关联来源诉求"),
    "workflow.started": N_("列为重大事项"),
    "workflow.stage_changed": N_("重大事项阶段变更"),
    "workflow.review_recorded": N_("登记党员审议记录"),
    "workflow.ballot_drafted": N_("起草决议表决"),
    "notice.drafted": N_("起草公示"),
    "notice.edited": N_("修改公示草稿"),
    "notice.published": N_("发布公示"),
    "notice.correction_drafted": N_("起草更正公示"),
    "notice.closed": N_("公示结束"),
    "objection.lodged": N_("提出异议"),
    "objection.answered": N_("答复异议"),
    "supervision.opinion": N_("监督意见"),
    "supervision.signoff": N_("监督员签字确认"),
    "supervision.reopen": N_("监督员要求重新审视"),
    "supervision.reopen_answered": N_("答复重新审视要求"),
}


MAX_SEQ = 2**31 - 1


def _utc_midnight(day: dt.date, timezone: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=ZoneInfo(timezone)).astimezone(dt.UTC)


class AuditController(Controller):
    tags = ["audit"]

    # The verdict reads the chain as it is now: an entry edited outside the application must
    # show on the next request, and no page version records such an edit.
    @get("/c/{slug:str}/audit", name="audit.log", opt={pagecache.OPT_OUT: True})
    async def log(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        # An entry number as the database stores it (a 32-bit integer): anything larger would
        # reach the driver and fail there, so it is a 400 here (S24).
        before: Annotated[int | None, Parameter(ge=1, le=MAX_SEQ)] = None,
        kind: str = "",
        since: dt.date | None = None,
        until: dt.date | None = None,
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.VIEW_AUDIT)
        writer = request.app.state.alchemy.get_session
        verdict = await service.checked_verdict(db_session, council.id, writer)
        # An unknown kind is ignored, as the issue list ignores an unknown status (S24).
        kind = kind if kind in KINDS else ""
        entries = await service.entries(
            db_session,
            council.id,
            limit=50,
            before_seq=before,
            object_types=KINDS[kind][1] if kind else (),
            since=_utc_midnight(since, council.timezone) if since else None,
            until=_utc_midnight(until + dt.timedelta(days=1), council.timezone) if until else None,
        )
        names = await name_objects(
            db_session, council, {(e.object_type, e.object_id) for e in entries}
        )
        filters = {"kind": kind, "since": since or "", "until": until or ""}
        older = entries[-1].seq if entries and entries[-1].seq > 1 else None
        kept = {k: v for k, v in filters.items() if v}
        return page(
            request,
            "audit/log.html",
            {
                "council": council,
                "verdict": verdict,
                "entries": entries,
                "names": names,
                "labels": ACTION_LABELS,
                "kinds": [(k, label) for k, (label, _types) in KINDS.items()],
                "filters": filters,
                "older": f"?{urlencode({**kept, 'before': older})}" if older else None,
            },
        )

    @get("/c/{slug:str}/audit.jsonl", name="audit.export")
    async def export(self, db_session: AsyncSession, actor: Actor, slug: str) -> Response[str]:
        """The whole chain, as verify_export.py reads it."""
        council = await councils.require(db_session, actor, slug, Action.VIEW_AUDIT)
        return Response(
            content="".join(await export_lines(db_session, council)),
            media_type="application/jsonl",
            headers={"Content-Disposition": f'attachment; filename="{slug}-audit.jsonl"'},
        )

    @get("/audit/verify_export.py", name="audit.checker")
    async def checker(self) -> Response[str]:
        """The checker's source, to read and to run with Python alone."""
        return Response(
            content=CHECKER.read_text(encoding="utf-8"),
            media_type="text/x-python",
            headers={"Content-Disposition": 'attachment; filename="verify_export.py"'},
        )
