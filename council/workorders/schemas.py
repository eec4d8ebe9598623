"""Form shapes of the work-order room."""

from __future__ import annotations

import enum
from typing import Annotated

import msgspec

from council.workorders.models import DayKind
from council.workorders.workflow import OrderKind, Rating

Note = Annotated[str, msgspec.Meta(max_length=2000)]
Place = Annotated[str, msgspec.Meta(min_length=2, max_length=120)]
Day = Annotated[
    str, msgspec.Meta(pattern=r"^\d{4}-\d{2}-\d{2}$", description="请按 2026-10-01 的格式填写日期")
]


class DepartmentForm(msgspec.Struct):
    name: Annotated[str, msgspec.Meta(min_length=2, max_length=60)]
    unit: Annotated[str, msgspec.Meta(max_length=120)] = ""
    categories: Annotated[str, msgspec.Meta(max_length=500)] = ""


class LiaisonForm(msgspec.Struct):
    login: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    title: Annotated[str, msgspec.Meta(max_length=120)] = ""


class CalendarForm(msgspec.Struct):
    start: Day
    kind: Annotated[DayKind, msgspec.Meta(description="请选择节假日或调休上班")]
    end: Day | None = None
    note: Annotated[str, msgspec.Meta(max_length=60)] = ""


class OrderSettingsForm(msgspec.Struct):
    inquiry_days: Annotated[int, msgspec.Meta(ge=1, le=60)]
    complaint_days: Annotated[int, msgspec.Meta(ge=1, le=60)]
    arrival_minutes: Annotated[int, msgspec.Meta(ge=5, le=240)]
    remind_hours: Annotated[int, msgspec.Meta(ge=1, le=240)]


class ReferForm(msgspec.Struct):
    department_id: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    kind: Annotated[OrderKind, msgspec.Meta(description="请选择工单类型：紧急、咨询或投诉")]
    brief: Note = ""


class ExtensionForm(msgspec.Struct):
    days: Annotated[int, msgspec.Meta(ge=1, le=30, description="延期天数须在 1 到 30 个工作日之间")]
    # Checked by the state machine, which says why a request without one is refused.
    reason: Note = ""


class Decision(enum.StrEnum):
    APPROVE = "approve"
    REFUSE = "refuse"


class DecisionForm(msgspec.Struct):
    decision: Annotated[Decision, msgspec.Meta(description="请选择批准或不批准")]
    note: Note = ""


class ReplyForm(msgspec.Struct):
    reply: Annotated[str, msgspec.Meta(min_length=2, max_length=2000)]


class Verdict(enum.StrEnum):
    SATISFIED = "satisfied"
    UNSATISFIED = "unsatisfied"


class VerifyForm(msgspec.Struct):
    verdict: Annotated[Verdict, msgspec.Meta(description="请选择满意或不满意")]
    note: Note = ""


class RateForm(msgspec.Struct):
    rating: Annotated[Rating, msgspec.Meta(description="请选择满意、基本满意或不满意")]
    note: Note = ""


class WhistleForm(msgspec.Struct):
    title: Annotated[str, msgspec.Meta(min_length=2, max_length=120)]
    place: Place
    minutes: Annotated[int, msgspec.Meta(ge=5, le=240)]
    brief: Note = ""
    issue_number: Annotated[str, msgspec.Meta(max_length=12)] = ""
