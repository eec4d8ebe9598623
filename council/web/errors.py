"""Every error becomes a zh-CN page (or, for htmx, a fragment; under /api/, JSON) with the
right status."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import DBAPIError, OperationalError

from council.db import is_retryable
from council.errors import DomainError, FormInvalid, TransitionRefused
from council.i18n import N_, _
from council.web.answer import InPlace, answers_in_place
from council.web.auth import actor_of
from council.web.render import wants_fragment

log = logging.getLogger("council.errors")

API_PREFIX = "/api/"

TITLES: Mapping[int, str] = {
    400: N_("请求有误"),
    401: N_("请先登录"),
    403: N_("没有权限"),
    404: N_("找不到这个页面"),
    405: N_("不支持这种请求方式"),
    409: N_("操作与当前状态冲突"),
    413: N_("提交的内容太大"),
    422: N_("提交的内容有误"),
    429: N_("操作过于频繁"),
    500: N_("服务器出错了"),
    503: N_("服务暂时不可用"),
}
DETAILS: Mapping[int, str] = {
    400: N_("请求的格式不正确，请返回重试。"),
    403: N_("您没有权限进行此操作。如果您刚刚打开了很久的页面，请刷新后重试。"),
    404: N_("您要找的页面不存在，或者您没有查看它的权限。"),
    405: N_("这个地址不接受这种请求方式。"),
    413: N_("上传的内容超过了大小限制。"),
    500: N_("我们已记录这个错误，请稍后重试。"),
    503: N_("数据库暂时无法连接，请稍后重试。"),
}


def error_response(
    request: Request, status: int, detail: str | None = None, reasons: Sequence[str] = ()
) -> Response[Any]:
    title = _(TITLES.get(status, TITLES[500] if status >= 500 else TITLES[400]))
    if request.url.path.startswith(API_PREFIX):
        # The JSON API answers in JSON, refusals included: the same body for a record that
        # does not exist and one the public may not see.
        body = {"status": status, "title": title, "detail": detail or _(DETAILS.get(status, ""))}
        return Response(content=body, status_code=status, media_type=MediaType.JSON)
    context = {
        "status": status,
        "title": title,
        "detail": detail or _(DETAILS.get(status, "")),
        "reasons": list(reasons),
        "actor": actor_of(request),
        "flash": "",
    }
    headers = {"Vary": "HX-Request"}
    if wants_fragment(request):
        # htmx swaps errors into the page's message area instead of the form's target.
        headers.update({"HX-Retarget": "#messages", "HX-Reswap": "innerHTML"})
        name = "errors/_fragment.html"
    else:
        name = "errors/page.html"
    return Template(
        template_name=name,
        context=context,
        status_code=status,
        headers=headers,
        media_type=MediaType.HTML,
    )


def on_domain_error(request: Request, exc: DomainError) -> Response[Any]:
    """A refused form answers in place (web/answer.py); to htmx, and where no page can show it,
    the refusal says what was wrong with each field in the page's message area."""

    def error_page() -> Response[Any]:
        reasons: Sequence[str] = ()
        if isinstance(exc, FormInvalid):
            reasons = list(dict.fromkeys(exc.errors.values()))
        elif isinstance(exc, TransitionRefused):
            reasons = exc.reasons
        response = error_response(request, exc.status_code, exc.message, reasons)
        response.headers.update(exc.headers)
        return response

    if request.method != "GET" and answers_in_place(exc) and not wants_fragment(request):
        return InPlace(exc, error_page)
    return error_page()


def on_http_exception(request: Request, exc: HTTPException) -> Response[Any]:
    if isinstance(exc, NotAuthorizedException) and request.method == "GET":
        target = request.url.path
        if request.url.query:
            target = f"{target}?{request.url.query}"
        return Redirect(f"/signin?next={target}", status_code=303)
    if isinstance(exc, ValidationException):
        # A value of the wrong shape (query, path or body): understood, but not acceptable.
        return error_response(request, 422, _("请求中的某个值格式不正确或超出范围，请检查后重试。"))
    detail = None
    if exc.status_code == 403:
        detail = _("安全校验失败（页面可能已过期），请刷新页面后重试。")
    elif exc.status_code in (401, 429):
        detail = exc.detail
    return error_response(request, exc.status_code, detail)


def _let_retry(exc: Exception) -> None:
    """A transaction PostgreSQL aborted as retryable is not answered here: the error goes on
    to RetryMiddleware (web/retry.py), which runs the request again."""
    if is_retryable(exc):
        raise exc


def on_database_unavailable(request: Request, exc: Exception) -> Response[Any]:
    _let_retry(exc)
    log.warning("database unavailable: %s", exc)
    return error_response(request, 503)


def on_server_error(request: Request, exc: Exception) -> Response[Any]:
    _let_retry(exc)
    if isinstance(exc, OperationalError | DBAPIError) and getattr(
        exc, "connection_invalidated", False
    ):
        return on_database_unavailable(request, exc)
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(request, HTTP_500_INTERNAL_SERVER_ERROR)


def on_undecodable(request: Request, exc: UnicodeDecodeError) -> Response[Any]:
    """Litestar's multipart parser decodes text parts strictly: bytes that are not UTF-8 are
    the sender's mistake, not the server's."""
    return error_response(
        request, 422, _("提交的文字无法识别（不是有效的 UTF-8 编码），请重新输入后提交。")
    )


EXCEPTION_HANDLERS: Mapping[Any, Any] = {
    DomainError: on_domain_error,
    UnicodeDecodeError: on_undecodable,
    HTTPException: on_http_exception,
    OperationalError: on_database_unavailable,
    ConnectionError: on_database_unavailable,
    Exception: on_server_error,
}
