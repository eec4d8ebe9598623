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
    "council_created": N_("议事会已创建"),
    "facilitator_appointed": N_("已任命主持人"),
    "member_added": N_("成员已添加"),
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
    "issue_replied": N_("答复已记录"),
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
        "notice": NOTICES.get(notice_key, ""),
        **(context or {}),
    }
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
    """The form again, with every field's error and the values the person typed."""
    return page(
        request,
        template,
        {**(context or {}), "errors": exc.errors, "values": exc.values},
        fragment=fragment,
        status_code=exc.status_code,
    )


def redirect(path: str, notice: str | None = None) -> Redirect:
    if notice:
        path = f"{path}{'&' if '?' in path else '?'}notice={notice}"
    return Redirect(path, status_code=303)


def more_link(params: Mapping[str, str], after: UUID | None) -> str | None:
    """The query string of a list's next page, its filters kept; None on the last page."""
    if after is None:
        return None
    return "?" + urlencode({**{k: v for k, v in params.items() if v}, "after": str(after)})
