"""Addresses no record can have are refused before any handler or query sees them.

Every route's path and query parameters pass here (the app's ``before_request`` hook): a path
with a control character or an integer no column can hold names nothing, so it is a 404,
identical to any other missing page; a query with a control character is a 422. Form fields
get the same text rule in ``council.forms``, in place, field by field.
"""

from __future__ import annotations

from typing import Any

from litestar import Request

from council.errors import DomainError, NotFound
from council.forms import INT_MAX, INT_MIN, has_control_characters
from council.i18n import _


class QueryInvalid(DomainError):
    status_code = 422


def _unusable(value: Any) -> bool:
    if isinstance(value, str):
        return has_control_characters(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return not INT_MIN <= value <= INT_MAX
    return False


async def refuse_unusable_parameters(request: Request[Any, Any, Any]) -> None:
    if any(_unusable(value) for value in request.path_params.values()):
        raise NotFound(_("找不到这个页面"))
    for _name, value in request.query_params.multi_items():
        if has_control_characters(value):
            raise QueryInvalid(_("地址中含有无法识别的控制字符，请检查链接后重试。"))
