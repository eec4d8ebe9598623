"""随手拍 suggests a category from its one line (pure)."""

from __future__ import annotations

import pytest

from council.issues.models import DEFAULT_CATEGORIES
from council.issues.snap import suggest_category


@pytest.mark.parametrize(
    ("line", "category"),
    [
        ("后巷隔油池又满了，污水流到路上", "环境卫生"),
        ("三辆车违停堵住小区门口", "停车"),
        ("夜市外摆桌椅占满人行道", "占道经营"),
        ("楼下烧烤排风口油烟熏人", "油烟"),
        ("凌晨还在放音乐，太吵了", "噪音"),
        ("店门口堆着液化气罐", "消防安全"),
        ("路灯坏了", "其他"),
    ],
)
def test_snap_category_is_suggested_from_the_line(line: str, category: str) -> None:
    assert suggest_category(line, DEFAULT_CATEGORIES) == category


def test_only_the_councils_own_categories_are_suggested() -> None:
    assert suggest_category("违停堵门", ["油烟", "杂项"]) == "杂项"
    assert suggest_category("违停堵门", []) == "其他"
