"""Form shapes for ballots and votes, and the threshold presets a facilitator picks from."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

import msgspec

from council.i18n import N_
from council.voting.models import BallotKind, Electorate, Method
from council.voting.tally import (
    HALF_OR_MORE,
    MAJORITY,
    THREE_QUARTERS,
    TWO_THIRDS,
    BaseKind,
    Threshold,
)

THRESHOLDS: Mapping[str, Threshold] = {
    t.key: t for t in (MAJORITY, HALF_OR_MORE, TWO_THIRDS, Threshold(2, 3, True), THREE_QUARTERS)
}
THRESHOLD_LABELS: Mapping[str, str] = {
    MAJORITY.key: N_("过半数（超过二分之一）"),
    HALF_OR_MORE.key: N_("半数以上（含二分之一）"),
    TWO_THIRDS.key: N_("三分之二以上（含三分之二）"),
    Threshold(2, 3, True).key: N_("超过三分之二"),
    THREE_QUARTERS.key: N_("四分之三以上（含四分之三）"),
}
BASE_LABELS: Mapping[BaseKind, str] = {
    BaseKind.ELIGIBLE: N_("应到人数（全体有表决权者）"),
    BaseKind.PRESENT: N_("实到人数（开启时签到者）"),
    BaseKind.CAST: N_("投票数（含弃权）"),
    BaseKind.DECISIVE: N_("有效表态数（同意＋反对，不含弃权）"),
}
ELECTORATE_LABELS: Mapping[Electorate, str] = {
    Electorate.MEMBERS: N_("全体议事会成员"),
    Electorate.CONSTITUENCIES: N_("指定界别的成员"),
    Electorate.SHOPS: N_("全体已核实店铺（一店一票）"),
    Electorate.LISTED: N_("指定人员"),
}
METHOD_LABELS: Mapping[Method, str] = {Method.NAMED: N_("记名"), Method.SECRET: N_("无记名")}
KIND_LABELS: Mapping[BallotKind, str] = {
    BallotKind.YES_NO: N_("同意 / 反对 / 弃权"),
    BallotKind.OPTIONS: N_("多个选项"),
}
YES_NO_LABELS = {"yes": N_("同意"), "no": N_("反对"), "abstain": N_("弃权")}

RuleKey = Annotated[
    str, msgspec.Meta(pattern=r"^[1-9]/[1-9](>|>=)$", description=N_("请选择通过规则"))
]
QuorumKey = Annotated[
    str, msgspec.Meta(pattern=r"^([1-9]/[1-9](>|>=))?$", description=N_("请选择法定人数规则"))
]
LocalTime = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})?$", description=N_("时间格式应为 年-月-日 时:分")
    ),
]


class BallotForm(msgspec.Struct):
    question: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    description: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    kind: BallotKind = BallotKind.YES_NO
    options: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    multiple: bool = False
    electorate: Electorate = Electorate.MEMBERS
    listed: Annotated[str, msgspec.Meta(max_length=4000)] = ""
    method: Method = Method.NAMED
    allow_change: bool = False
    pass_rule: RuleKey = MAJORITY.key
    pass_base: BaseKind = BaseKind.CAST
    quorum_rule: QuorumKey = ""
    quorum_measure: BaseKind = BaseKind.CAST
    opens_at: LocalTime = ""
    closes_at: LocalTime = ""


class ResetForm(msgspec.Struct):
    """Why an opened ballot goes back to draft: recorded in the audit chain (S5)."""

    reason: Annotated[str, msgspec.Meta(min_length=2, max_length=500)]


class Preset(msgspec.Struct, frozen=True):
    """Rules a facilitator fills in one choice; every field stays editable afterwards."""

    label: str
    values: Mapping[str, str]


# The three rule sets councils use most (DOMAIN.md §3): a meeting decides by more than half
# of those signed in; a shops' convention by more than half of all verified shops, one vote
# each; a major matter by two thirds of those present, with two thirds present.
PRESETS: Mapping[str, Preset] = {
    "meeting": Preset(
        N_("会议表决 · 实到过半数"),
        {
            "electorate": Electorate.MEMBERS.value,
            "pass_rule": MAJORITY.key,
            "pass_base": BaseKind.PRESENT.value,
            "quorum_rule": "",
            "quorum_measure": BaseKind.CAST.value,
        },
    ),
    "convention": Preset(
        N_("公约表决 · 一店一票 · 全体商户过半数"),
        {
            "electorate": Electorate.SHOPS.value,
            "pass_rule": MAJORITY.key,
            "pass_base": BaseKind.ELIGIBLE.value,
            "quorum_rule": "",
            "quorum_measure": BaseKind.CAST.value,
        },
    ),
    "major": Preset(
        N_("重大事项 · 三分之二以上"),
        {
            "electorate": Electorate.MEMBERS.value,
            "pass_rule": TWO_THIRDS.key,
            "pass_base": BaseKind.PRESENT.value,
            "quorum_rule": TWO_THIRDS.key,
            "quorum_measure": BaseKind.PRESENT.value,
        },
    ),
}
