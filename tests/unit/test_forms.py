"""Form parsing: all errors at once, in zh-CN, and undeclared fields never bound (S16)."""

from __future__ import annotations

import pytest

from council.councils.schemas import CouncilForm, ShopForm
from council.errors import FormInvalid
from council.forms import parse_form


def test_every_bad_field_is_reported_in_chinese() -> None:
    with pytest.raises(FormInvalid) as caught:
        parse_form(CouncilForm, {"name": "", "slug": "Bad Slug!", "notice_period_days": "3"})
    errors = caught.value.errors
    assert errors["name"] == "此项必填"
    assert errors["slug"] == "网址名只能包含小写字母、数字和横线"
    assert errors["notice_period_days"] == "公示期不得少于 7 天，最多 90 天"


def test_too_long_text_names_the_limit() -> None:
    with pytest.raises(FormInvalid) as caught:
        parse_form(ShopForm, {"number": "12", "name": "店" * 121})
    assert caught.value.errors == {"name": "不能超过 120 个字"}


def test_S16_extra_fields_are_ignored() -> None:
    form = parse_form(
        ShopForm,
        {
            "number": "12",
            "name": "老王烧烤",
            "council_id": "x",
            "status": "published",
            "role": "admin",
        },
    )
    assert form.number == "12" and not hasattr(form, "status")


def test_values_are_trimmed_and_defaults_apply() -> None:
    form = parse_form(CouncilForm, {"name": " 议事会 ", "slug": "abc"})
    assert form.name == "议事会" and form.notice_period_days == 7
