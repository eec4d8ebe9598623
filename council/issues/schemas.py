"""Form shapes of the intake room."""

from __future__ import annotations

from typing import Annotated

import msgspec

from council.issues.workflow import IssueKind, IssueStatus

Title = Annotated[str, msgspec.Meta(min_length=2, max_length=120)]
Text = Annotated[str, msgspec.Meta(min_length=5, max_length=5000)]
Note = Annotated[str, msgspec.Meta(max_length=2000)]


class IssueForm(msgspec.Struct):
    title: Title
    body: Text
    category: Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
    kind: IssueKind = IssueKind.ISSUE
    place: Annotated[str, msgspec.Meta(max_length=120)] = ""
    shop_number: Annotated[str, msgspec.Meta(max_length=20)] = ""
    masked: str = ""  # a checkbox: present means "show my name masked"


class SnapForm(msgspec.Struct):
    """随手拍: one line, the place and a photo; the category is suggested from the line."""

    line: Annotated[str, msgspec.Meta(min_length=4, max_length=120)]
    place: Annotated[str, msgspec.Meta(min_length=2, max_length=120)]
    category: Annotated[str, msgspec.Meta(max_length=60)] = ""


class TransitionForm(msgspec.Struct):
    to: Annotated[IssueStatus, msgspec.Meta(description="请选择要执行的操作")]
    reason: Note = ""
    target_number: Annotated[str, msgspec.Meta(max_length=12)] = ""  # "12" or "#12"


class CommentForm(msgspec.Struct):
    body: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
    parent_id: str = ""


class IntakeSettingsForm(msgspec.Struct):
    cosign_threshold: Annotated[
        int, msgspec.Meta(ge=1, le=500, description="附议提醒人数须在 1 到 500 之间")
    ]
    categories: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
    cosign_days: Annotated[
        int, msgspec.Meta(ge=1, le=90, description="附议期须在 1 到 90 天之间")
    ] = 14


class CallForm(msgspec.Struct):
    title: Title
    deadline: Annotated[
        str,
        msgspec.Meta(pattern=r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}$", description="请填写截止时间"),
    ]
    questions: Annotated[str, msgspec.Meta(min_length=2, max_length=5000)]
    description: Note = ""


class OfflineForm(msgspec.Struct):
    source: Annotated[str, msgspec.Meta(min_length=2, max_length=120)]
