"""Form shapes for matters, meetings, rounds, minutes and action plans."""

from __future__ import annotations

from typing import Annotated

import msgspec

from council.accounts.names import name_meta
from council.consultations.models import EntryKind, Side, Verdict
from council.consultations.quorum import QuorumRule
from council.consultations.workflow import MatterStatus, Outcome

Title = Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
Line = Annotated[str, msgspec.Meta(max_length=500)]
Text = Annotated[str, msgspec.Meta(max_length=5000)]
Required = Annotated[str, msgspec.Meta(min_length=1, max_length=5000)]
Date = Annotated[
    str,
    msgspec.Meta(pattern=r"^\d{4}-\d{2}-\d{2}$", description="请按 2026-11-25 的格式填写日期"),
]
Time = Annotated[
    str, msgspec.Meta(pattern=r"^\d{2}:\d{2}$", description="请按 19:30 的格式填写时间")
]
Code = Annotated[
    str, msgspec.Meta(pattern=r"^\d{6}$", description="签到码是主持人屏幕上的 6 位数字")
]


class MatterForm(msgspec.Struct):
    title: Title
    description: Text = ""
    merchant_side: Line = ""
    resident_side: Line = ""
    other_parties: Line = ""
    source: Line = ""


class LinkIssueForm(msgspec.Struct):
    issue_number: Annotated[
        str, msgspec.Meta(min_length=1, max_length=12, description="请填写诉求编号，如 12")
    ]


class MatterStatusForm(msgspec.Struct):
    status: MatterStatus
    reason: Line = ""


class MeetingForm(msgspec.Struct):
    title: Title
    date: Date
    time: Time
    place: Annotated[str, msgspec.Meta(max_length=200)] = ""
    quorum_rule: QuorumRule = QuorumRule.MAJORITY


class InviteForm(msgspec.Struct):
    constituency_id: str = ""
    login: Annotated[str, msgspec.Meta(max_length=40)] = ""


class AgendaForm(msgspec.Struct):
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class RoundForm(msgspec.Struct):
    meeting_id: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]


class EntryForm(msgspec.Struct):
    kind: EntryKind
    side: Side
    text: Required
    speaker: Annotated[str, name_meta(max_length=120)] = ""


class CloseRoundForm(msgspec.Struct):
    outcome: Outcome | None = None
    summary: Text = ""
    open_questions: Text = ""
    next_meeting_id: str = ""
    deferral_note: Line = ""


class CodeForm(msgspec.Struct):
    code: Code


class MinutesForm(msgspec.Struct):
    text: Required


class PublishForm(msgspec.Struct):
    public_text: Required


class PlanForm(msgspec.Struct):
    title: Title
    agreed_text: Text
    shops: Annotated[
        str,
        msgspec.Meta(
            max_length=500,
            pattern=r"^[0-9A-Za-z\-,，\s]*$",
            description="店铺编号用逗号分隔，可写范围，如 1-37",
        ),
    ]
    obligation: Line
    payer: Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
    deadline: Date
    merchants_pay: bool = False
    supervision_group: Annotated[str, msgspec.Meta(max_length=300)] = ""
    inspection_frequency: Annotated[str, msgspec.Meta(max_length=120)] = ""
    acceptance_method: Annotated[str, msgspec.Meta(max_length=300)] = ""


class EvidenceForm(msgspec.Struct):
    note: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]


class VerifyForm(msgspec.Struct):
    verdict: Verdict
    reason: Line = ""


class InspectionForm(msgspec.Struct):
    date: Date
    note: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
    shop_number: Annotated[str, msgspec.Meta(max_length=20)] = ""
