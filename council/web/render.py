"""One URL serves a full page or, to htmx, just its fragment."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Request
from litestar.response import Redirect, Template

from council.errors import FormInvalid
from council.web.auth import actor_of

# Messages shown after a successful POST-redirect-GET, picked by key so no text travels in URLs.
NOTICES: Mapping[str, str] = {
    "signed_in": "已登录",
    "signed_out": "已退出登录",
    "signed_up": "注册成功，欢迎加入",
    "password_changed": "密码已修改，其他设备上的登录已失效",
    "council_created": "议事会已创建",
    "facilitator_appointed": "已任命主持人",
    "member_added": "成员已添加",
    "member_ended": "成员身份已结束",
    "shop_added": "店铺已添加",
    "claim_sent": "申请已提交，请等待主持人审核",
    "claim_decided": "申请已处理",
    "settings_saved": "设置已保存",
    "matter_created": "议题已立项",
    "matter_status_changed": "议题状态已更新",
    "round_opened": "新一轮协商已列入会议议程",
    "entry_recorded": "已记录",
    "round_closed": "本轮协商已结束",
    "plan_created": "行动计划已制定",
    "inspection_recorded": "巡查已记录",
    "evidence_submitted": "整改材料已提交，等待监督员核验",
    "item_verified": "核验结果已记录",
    "meeting_scheduled": "会议已安排",
    "invited": "已发出邀请",
    "agenda_added": "议程已添加",
    "minutes_saved": "纪要草稿已保存",
    "minutes_edit": "纪要草稿已保存",
    "minutes_confirm": "您已确认纪要",
    "minutes_finalize": "纪要已定稿，此后只读",
    "minutes_publish": "纪要公开版已发布",
    "minutes_correct": "更正纪要已起草",
    "signed_in_meeting": "签到成功",
    "speak_requested": "已申请发言，请等待主持人安排",
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
    return Template(
        template_name=name, context=ctx, status_code=status_code, headers={"Vary": "HX-Request"}
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
