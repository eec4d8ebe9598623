"""Form shapes of the notices room."""

from __future__ import annotations

from typing import Annotated

import msgspec

from council.i18n import N_
from council.notices.periods import NoticeKind

# 0 (left blank) means the council's period; the council's minimum is checked by the service.
Days = Annotated[int, msgspec.Meta(ge=0, le=90, description=N_("公示期不得少于 7 天，最多 90 天"))]


class NoticeForm(msgspec.Struct):
    title: Annotated[str, msgspec.Meta(min_length=2, max_length=120)]
    body: Annotated[str, msgspec.Meta(min_length=2, max_length=10000)]
    period_days: Days = 0
    posted_at: Annotated[str, msgspec.Meta(max_length=300)] = ""
    kind: NoticeKind = NoticeKind.GENERAL
    # "convention:<id>" or "call:<id>": the record a notice outside the workflow discloses.
    subject: Annotated[str, msgspec.Meta(max_length=60)] = ""


class ObjectionForm(msgspec.Struct):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
    contact: Annotated[
        str,
        msgspec.Meta(
            min_length=5, max_length=120, description=N_("请留下电话或其他联系方式（不会公开）")
        ),
    ]
    body: Annotated[str, msgspec.Meta(min_length=5, max_length=2000)]


class AnswerForm(msgspec.Struct):
    answer: Annotated[str, msgspec.Meta(min_length=2, max_length=2000)]
