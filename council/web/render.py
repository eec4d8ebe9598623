"""One URL serves a full page or, to htmx, just its fragment."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from litestar import MediaType, Request
from litestar.response import Redirect, Template

from council.errors import FormInvalid
from council.i18n import N_
from council.web.answer import REFUSAL_KEY, Refusal, refusal_of
from council.web.auth import actor_of

# Messages shown after a successful POST-redirect-GET, picked by key so no text travels in URLs.
NOTICES: Mapping[str, str] = {
    "signed_in": N_("已登录"),
    "signin_again": N_("验证已超时，请重新登录"),
    "second_factor_on": N_("两步验证已开启，以后登录时需要输入验证器中的验证码"),
    "second_factor_off": N_("两步验证已关闭"),
    "signed_out": N_("已退出登录"),
    "signed_up": N_("注册成功，欢迎加入"),
    "password_changed": N_("密码已修改，其他设备上的登录已失效"),
    "initial_password": N_("请先修改初始密码"),
    "admin_created": N_("管理员账号已创建，设置页面已关闭。下一步：创建议事会"),
    "council_created": N_("议事会已创建"),
    "facilitator_appointed": N_("已任命主持人"),
    "member_added": N_("成员已添加"),
    "constituency_added": N_("界别已添加"),
    "constituency_changed": N_("界别已修改，原名称和席位保留在历史中"),
    "member_ended": N_("成员身份已结束"),
    "shop_added": N_("店铺已添加"),
    "claim_sent": N_("申请已提交，请等待主持人审核"),
    "claim_decided": N_("申请已处理"),
    "settings_saved": N_("设置已保存"),
    "matter_created": N_("议题已立项"),
    "matter_status_changed": N_("议题状态已更新"),
    "round_opened": N_("新一轮协商已列入会议议程"),
    "entry_recorded": N_("已记录"),
    "round_closed": N_("本轮协商已结束"),
    "plan_created": N_("行动计划已制定"),
    "inspection_recorded": N_("巡查已记录"),
    "evidence_submitted": N_("整改材料已提交，等待监督员核验"),
    "item_verified": N_("核验结果已记录"),
    "meeting_scheduled": N_("会议已安排"),
    "invited": N_("已发出邀请"),
    "agenda_added": N_("议程已添加"),
    "minutes_saved": N_("纪要草稿已保存"),
    "minutes_edit": N_("纪要草稿已保存"),
    "minutes_confirm": N_("您已确认纪要"),
    "minutes_finalize": N_("纪要已定稿，此后只读"),
    "minutes_publish": N_("纪要公开版已发布"),
    "minutes_correct": N_("更正纪要已起草"),
    "signed_in_meeting": N_("签到成功"),
    "speak_requested": N_("已申请发言，请等待主持人安排"),
    "issue_submitted": N_("诉求已提交，本议事会的成员可以附议，主持人会尽快受理"),
    "issue_withdrawn": N_("诉求已撤回"),
    "issue_updated": N_("诉求状态已更新"),
    "snap_submitted": N_("随手拍已提交，主持人会尽快转给职能部门办理"),
    "cosigned": N_("已附议"),
    "issues_triaged": N_("所选诉求已受理"),
    "cosign_withdrawn": N_("已撤回附议"),
    "call_opened": N_("征集已发起"),
    "call_answered": N_("感谢参与，您的意见已提交"),
    "offline_entered": N_("线下意见已录入"),
    "ballot_created": N_("表决草稿已保存，请检查后开启"),
    "ballot_saved": N_("表决草稿已修改"),
    "ballot_opened": N_("表决已开启，投票人名单已锁定"),
    "voted": N_("投票成功，请保存您的回执"),
    "ballot_closed": N_("表决已结束，结果已计算并封存"),
    "ballot_reset": N_("表决已撤回至草稿，修改后可重新开启"),
    "ballot_certified": N_("结果已认证，此后不可修改"),
    "convention_created": N_("公约草案已保存，可以继续修改，然后公布征求意见"),
    "convention_saved": N_("草案已保存"),
    "revision_started": N_("已起草新版本，请修改后公布"),
    "comments_opened": N_("已公布征求意见，此版本的文本从此不再修改"),
    "comments_ended": N_("征求意见已结束"),
    "convention_reviewed": N_("合法性审核意见已登记"),
    "convention_put_to_vote": N_("已提交表决，投票人名单已锁定"),
    "convention_decided": N_("表决结果已认证并登记"),
    "commented": N_("意见已提交，感谢参与"),
    "convention_filed": N_("备案已登记"),
    "order_dispatched": N_("已转办，工单已派发给职能部门，办理期限已计算"),
    "order_accepted": N_("已签收工单，请在期限内办理并反馈"),
    "order_arrived": N_("已报到，到场时间已记录"),
    "order_replied": N_("办理情况已反馈，等待核查"),
    "extension_requested": N_("延期申请已提交，等待主持人审批"),
    "extension_decided": N_("延期申请已审批"),
    "order_verified": N_("核查结果已记录：办理满意"),
    "order_returned": N_("核查结果已记录：不满意，工单已退回重办"),
    "order_closed": N_("工单已结案"),
    "order_rated": N_("感谢您的评价"),
    "whistle_summoned": N_("已吹哨，各部门已收到工单，请等待报到"),
    "department_created": N_("职能部门已添加"),
    "department_saved": N_("服务的议事会已更新"),
    "liaison_added": N_("联络员已添加"),
    "liaison_ended": N_("联络员已停用"),
    "calendar_saved": N_("工作日历已更新"),
    "issue_linked": N_("已关联来源诉求"),
    "workflow_started": N_("已列为重大事项，按四议两公开一监督办理，从“提议”开始"),
    "stage_moved": N_("阶段已变更"),
    "review_recorded": N_("审议记录已登记"),
    "notice_drafted": N_("公示草稿已保存，检查无误后发布"),
    "notice_saved": N_("公示草稿已修改"),
    "notice_published": N_("公示已发布，公示期从今天开始计算"),
    "correction_drafted": N_("更正公示草稿已起草，发布后公示期重新计算"),
    "notice_closed": N_("公示已结束"),
    "objection_lodged": N_("异议已提交，主持人将书面答复并在本页公开答复"),
    "objection_answered": N_("答复已公开"),
    "opinion_filed": N_("监督意见已登记"),
    "signed_off": N_("已签字确认"),
    "reopen_requested": N_("已要求重新审视，等待主持人答复"),
    "reopen_answered": N_("答复已登记"),
    "scheme_published": N_("评比标准已公布，此后不再修改"),
    "rating_opened": N_("评比已发起，评分人可以在评分时间内评分"),
    "scored": N_("评分已提交"),
    "results_computed": N_("评比结果已算出"),
    "lot_drawn": N_("抽签结果已登记"),
    "results_in_notice": N_("评比结果已公示，流动红旗已颁发"),
    "activity_created": N_("积分活动已设置"),
    "points_applied": N_("积分申请已提交，等待审核"),
    "attendance_recorded": N_("签到已登记，等待审核"),
    "points_reviewed": N_("审核结果已登记"),
    "points_in_notice": N_("积分已公示，公示期满无异议后入账"),
    "points_credited": N_("积分已入账"),
    "offer_created": N_("兑换项目已增加"),
    "redeemed": N_("兑换已提交，积分已扣除，请到店铺享受服务"),
    "redemption_decided": N_("兑换已处理"),
    "points_corrected": N_("更正记录已新增"),
    "rota_generated": N_("值日表已排好"),
    "item_added": N_("检查项目已增加"),
    "duty_ticked": N_("值日已打卡"),
    "swap_requested": N_("调换申请已发出，等待对方店铺同意"),
    "swap_answered": N_("已答复调换申请"),
    "permit_saved": N_("外摆许可已登记"),
}


def wants_fragment(request: Request) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def page(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    fragment: str | None = None,
    status_code: int = 200,
) -> Template:
    name = fragment if fragment and wants_fragment(request) else template
    notice_key = request.query_params.get("notice", "")
    ctx = {
        "actor": actor_of(request),
        # The configured address, not the Host header: links shared in chat groups stay right.
        "canonical_url": request.app.state.settings.base_url + request.url.path,
        # The one-line message after a redirect (``?notice=``); not "notice", a 公示 in pages.
        "flash": NOTICES.get(notice_key, ""),
        **(context or {}),
    }
    if refusal := refusal_of(request):
        # A refused form's page (web/answer.py): the form again, as typed, with its errors.
        ctx.update(refused=refusal, errors=refusal.errors, values=refusal.values, form=refusal.form)
        status_code = refusal.status
    # Explicit: a handler annotated ``-> Any`` would otherwise lend its default (JSON) media
    # type to the template, and the browser would show the page's markup as text.
    return Template(
        template_name=name,
        context=ctx,
        status_code=status_code,
        headers={"Vary": "HX-Request"},
        media_type=MediaType.HTML,
    )


def form_page(
    request: Request,
    template: str,
    exc: FormInvalid,
    context: Mapping[str, Any] | None = None,
    *,
    fragment: str | None = None,
) -> Template:
    """A refusal a handler answers on a page of its own choosing: shown as web/answer.py
    shows every refused form (the message at the top, errors beside the fields, the values
    typed), beside the form named by ``context["form"]``."""
    shown = dict(context or {})
    refusal = Refusal(
        exc.status_code, exc.message, dict(exc.errors), dict(exc.values), shown.get("form", "")
    )
    request.scope.setdefault("state", {})[REFUSAL_KEY] = refusal
    return page(request, template, shown, fragment=fragment)


def redirect(path: str, notice: str | None = None) -> Redirect:
    if notice:
        path = f"{path}{'&' if '?' in path else '?'}notice={notice}"
    return Redirect(path, status_code=303)


def more_link(params: Mapping[str, str], after: UUID | None) -> str | None:
    """The query string of a list's next page, its filters kept; None on the last page."""
    if after is None:
        return None
    return "?" + urlencode({**{k: v for k, v in params.items() if v}, "after": str(after)})
