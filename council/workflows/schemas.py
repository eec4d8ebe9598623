"""Form shapes of the workflows room."""

from __future__ import annotations

from typing import Annotated

import msgspec

from council.i18n import N_
from council.workflows.workflow import Stage

Count = Annotated[int, msgspec.Meta(ge=0, le=100000, description=N_("请填写人数（整数）"))]
Reason = Annotated[str, msgspec.Meta(max_length=500)]
Text = Annotated[str, msgspec.Meta(min_length=2, max_length=2000)]


class MoveForm(msgspec.Struct):
    to: Annotated[Stage, msgspec.Meta(description=N_("请选择要进入的阶段"))]
    reason: Reason = ""


class ReviewForm(msgspec.Struct):
    held_on: Annotated[
        str, msgspec.Meta(pattern=r"^\d{4}-\d{2}-\d{2}$", description=N_("日期格式应为 年-月-日"))
    ]
    members: Count
    present: Count
    yes: Count
    no: Count = 0
    abstain: Count = 0
    note: Annotated[str, msgspec.Meta(max_length=1000)] = ""


class OpinionForm(msgspec.Struct):
    body: Text
    public: bool = False


class SignOffForm(msgspec.Struct):
    body: Text


class ReopenForm(msgspec.Struct):
    stage: Annotated[Stage, msgspec.Meta(description=N_("请选择要重新审视的阶段"))]
    body: Text


class ReopenAnswerForm(msgspec.Struct):
    answer: Text
    accept: bool = False
