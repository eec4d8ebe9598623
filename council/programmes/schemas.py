"""Form shapes of the street programmes. Fields a form repeats per dimension, rule or
checklist line (``score_<id>``, ``rule_<id>``, ``item``) are read by the service."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from council.i18n import N_
from council.programmes.kinds import ActivityKind, CheckPurpose

Name = Annotated[str, msgspec.Meta(min_length=2, max_length=60)]
Note = Annotated[str, msgspec.Meta(max_length=500)]
Lines = Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]
Moment = Annotated[
    str, msgspec.Meta(min_length=10, max_length=20, description=N_("请按“2026-12-01 09:00”填写"))
]
Id = Annotated[str, msgspec.Meta(max_length=40)]
ShopNumber = Annotated[str, msgspec.Meta(min_length=1, max_length=20)]


class SchemeForm(msgspec.Struct):
    name: Name
    # One dimension a line, "卫生 20"; one scorer group a line, "商会 40".
    dimensions: Lines
    groups: Lines
    # The dimension whose violations bar the 流动红旗 and which breaks ties.
    integrity: Annotated[str, msgspec.Meta(max_length=30)] = ""
    penalty: Annotated[
        int, msgspec.Meta(ge=0, le=100, description=N_("每次违规扣分为 0 到 100 的整数"))
    ] = 5


class RoundForm(msgspec.Struct):
    title: Name
    scheme_id: Id
    quarter: Annotated[
        str,
        msgspec.Meta(pattern=r"^\d{4}-Q[1-4]$", description=N_("请按“2026-Q4”填写季度")),
    ]
    opens_at: Moment
    closes_at: Moment
    # One group a line: "商会：shop01 shop05".
    scorers: Lines


class LotForm(msgspec.Struct):
    shop_id: Id
    note: Annotated[str, msgspec.Meta(min_length=2, max_length=300)]


class ActivityForm(msgspec.Struct):
    name: Name
    kind: ActivityKind
    points: Annotated[int, msgspec.Meta(ge=1, le=100, description=N_("积分为 1 到 100 的整数"))]
    held_on: Annotated[str, msgspec.Meta(max_length=10)] = ""


class ApplyForm(msgspec.Struct):
    note: Note = ""


class AttendanceForm(msgspec.Struct):
    logins: Lines


class ReviewForm(msgspec.Struct):
    decision: Literal["approve", "reject"]
    note: Annotated[str, msgspec.Meta(max_length=300)] = ""


class OfferForm(msgspec.Struct):
    shop_number: ShopNumber
    title: Name
    points: Annotated[
        int, msgspec.Meta(ge=1, le=10000, description=N_("所需积分为 1 到 10000 的整数"))
    ]


class DecisionForm(msgspec.Struct):
    decision: Literal["confirm", "decline"]


class CorrectionForm(msgspec.Struct):
    amount: Annotated[int, msgspec.Meta(ge=-10000, le=10000)]
    reason: Annotated[str, msgspec.Meta(min_length=2, max_length=300)]


class PointSettingsForm(msgspec.Struct):
    point_value: Annotated[
        str,
        msgspec.Meta(
            pattern=r"^\d{1,4}(\.\d{1,2})?$", description=N_("请填写金额，如 1 或 0.5（元）")
        ),
    ]
    award_notice_days: Annotated[
        int, msgspec.Meta(ge=3, le=30, description=N_("积分公示期为 3 到 30 天"))
    ] = 3


class MonthForm(msgspec.Struct):
    month: Annotated[
        str, msgspec.Meta(pattern=r"^\d{4}-\d{2}$", description=N_("请按“2026-12”填写月份"))
    ]


class ClosingForm(msgspec.Struct):
    shop_number: ShopNumber
    in_rota: bool = True


class TickForm(msgspec.Struct):
    note: Note = ""


class SwapForm(msgspec.Struct):
    other_duty_id: Id


class SwapAnswerForm(msgspec.Struct):
    decision: Literal["accept", "decline"]


class PermitForm(msgspec.Struct):
    shop_number: ShopNumber
    area: Annotated[str, msgspec.Meta(min_length=2, max_length=120)]
    hours: Annotated[str, msgspec.Meta(min_length=2, max_length=60)]


class InspectionForm(msgspec.Struct):
    shop_number: ShopNumber
    note: Note = ""


class ItemForm(msgspec.Struct):
    purpose: CheckPurpose
    text: Annotated[str, msgspec.Meta(min_length=2, max_length=80)]
    section: Annotated[str, msgspec.Meta(max_length=30)] = ""
