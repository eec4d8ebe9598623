"""Form shapes for councils, members and shops."""

from __future__ import annotations

from typing import Annotated

import msgspec

from council.councils.models import ConstituencyKind, Role
from council.i18n import N_

Short = Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
Optional120 = Annotated[str, msgspec.Meta(max_length=120)]
Note = Annotated[str, msgspec.Meta(max_length=500)]
Slug = Annotated[
    str,
    msgspec.Meta(
        min_length=2,
        max_length=60,
        pattern=r"^[a-z0-9][a-z0-9\-]*$",
        description=N_("网址名只能包含小写字母、数字和横线"),
    ),
]
Days = Annotated[int, msgspec.Meta(ge=7, le=90, description=N_("公示期不得少于 7 天，最多 90 天"))]
ShopNumber = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=20,
        pattern=r"^[A-Za-z0-9\-]+$",
        description=N_("门牌编号只能包含字母、数字和横线"),
    ),
]
Login = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]


class CouncilForm(msgspec.Struct):
    name: Short
    slug: Slug
    street: Optional120 = ""
    district: Optional120 = ""
    meeting_place: Optional120 = ""
    description: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    notice_period_days: Days = 7


AnswerDays = Annotated[
    int, msgspec.Meta(ge=1, le=15, description=N_("异议答复期限须在 1 到 15 天之间"))
]


class SettingsForm(msgspec.Struct):
    description: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    meeting_place: Optional120 = ""
    notice_period_days: Days = 7
    objection_answer_days: AnswerDays = 3


class AppointForm(msgspec.Struct):
    login: Login


class MemberForm(msgspec.Struct):
    login: Login
    role: Role
    constituency_id: str = ""
    title: Optional120 = ""


class ShopForm(msgspec.Struct):
    number: ShopNumber
    name: Short
    address: Optional120 = ""
    category: Annotated[str, msgspec.Meta(max_length=60)] = ""


class ClaimForm(msgspec.Struct):
    kind: Annotated[str, msgspec.Meta(pattern=r"^(resident|shop)$")]
    shop_number: Annotated[str, msgspec.Meta(max_length=20)] = ""
    note: Note = ""


class DecisionForm(msgspec.Struct):
    decision: Annotated[str, msgspec.Meta(pattern=r"^(verify|reject)$")]
    reason: Note = ""


DEFAULT_CONSTITUENCIES: tuple[tuple[ConstituencyKind, str, int], ...] = (
    (ConstituencyKind.MERCHANT, "商户代表", 7),
    (ConstituencyKind.RESIDENT, "居民代表", 7),
    (ConstituencyKind.PARTY, "社区党组织", 2),
    (ConstituencyKind.PROPERTY, "物业", 1),
    (ConstituencyKind.DEPARTMENT, "职能部门", 3),
    (ConstituencyKind.EXPERT, "专家/律师", 1),
)
