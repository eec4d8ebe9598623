"""Form parsing: msgspec structs describe the fields; errors come back per field in zh-CN.

Every field is checked on its own so that a person sees all of their mistakes at once, and
fields the struct does not declare (status, author_id, role…) are dropped, never bound.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, TypeVar, get_args, get_origin

import msgspec

from council.errors import FormInvalid
from council.i18n import _

T = TypeVar("T", bound=msgspec.Struct)

# C0 and C1 control characters and DEL, except tab, line feed and carriage return, which
# multi-line text needs. NUL cannot be stored in PostgreSQL text; the others turn terminals
# and printed notices into something other than what a person typed.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# The widest integer every supported database stores in an INTEGER column (PostgreSQL's).
INT_MIN, INT_MAX = -(2**31), 2**31 - 1


def has_control_characters(value: str) -> bool:
    return CONTROL_CHARACTERS.search(value) is not None


def text_problem(value: str) -> str | None:
    """Why typed text cannot be accepted, or None."""
    if has_control_characters(value):
        return _("包含无法显示的控制字符，请删除后重新填写")
    return None


def first_value(data: Mapping[str, Any], name: str) -> Any:
    """A submitted field's value; a field sent twice counts once, as its first value."""
    raw = data.get(name)
    if isinstance(raw, list):
        raw = raw[0] if raw else None
    return raw


def _meta(annotation: Any) -> msgspec.Meta | None:
    if get_origin(annotation) is Annotated:
        for extra in get_args(annotation)[1:]:
            if isinstance(extra, msgspec.Meta):
                return extra
    return None


def _message(meta: msgspec.Meta | None, value: Any) -> str:
    if meta is not None:
        if isinstance(value, str):
            if meta.min_length and len(value) < meta.min_length:
                return _("此项必填") if not value else _("至少 %(n)s 个字", n=meta.min_length)
            if meta.max_length is not None and len(value) > meta.max_length:
                return _("不能超过 %(n)s 个字", n=meta.max_length)
        if meta.description:
            return _(meta.description)
        if meta.ge is not None and meta.le is not None:
            return _("请填写 %(lo)s 到 %(hi)s 之间的整数", lo=meta.ge, hi=meta.le)
        if meta.ge is not None:
            return _("请填写不小于 %(lo)s 的整数", lo=meta.ge)
    return _("格式不正确")


def _own_refusal(kind: Any, raw: str) -> str | None:
    """The message of the field's own constraints if they refuse ``raw``, or None."""
    try:
        msgspec.convert(raw, kind, strict=False)
    except msgspec.ValidationError:
        return _message(_meta(kind), raw)
    return None


def parse_form(schema: type[T], data: Mapping[str, Any]) -> T:
    """Build ``schema`` from a submitted form or raise FormInvalid with every field's error."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field in msgspec.structs.fields(schema):
        raw = first_value(data, field.name)
        if isinstance(raw, str):
            raw = raw.strip()
            if problem := text_problem(raw):
                # A field's own rule about characters (a name's) says it more precisely.
                errors[field.name] = _own_refusal(field.type, raw) or problem
                values[field.name] = CONTROL_CHARACTERS.sub("", raw)
                continue
        if raw is None or raw == "":
            if field.required:
                errors[field.name] = _("此项必填")
                values[field.name] = ""
            elif field.default_factory is not msgspec.NODEFAULT:
                values[field.name] = field.default_factory()
            else:
                values[field.name] = field.default
            continue
        try:
            value = msgspec.convert(raw, field.type, strict=False)
        except msgspec.ValidationError:
            errors[field.name] = _message(_meta(field.type), raw)
            values[field.name] = raw
            continue
        if (
            isinstance(value, int)
            and not isinstance(value, bool)
            and not INT_MIN <= value <= INT_MAX
        ):
            errors[field.name] = _("数字超出了可以接受的范围")
            values[field.name] = raw
            continue
        values[field.name] = value
    if errors:
        raise FormInvalid(errors, values)
    return msgspec.convert(values, schema, strict=False)
