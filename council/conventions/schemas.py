"""Form shapes of the conventions room, and the article rows of the draft editor."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec

from council.errors import FormInvalid
from council.forms import parse_form, text_problem
from council.i18n import N_, _
from council.voting.models import Electorate
from council.voting.schemas import LocalTime, RuleKey
from council.voting.tally import MAJORITY, BaseKind

MAX_ARTICLES = 60
BLANK_ROWS = 3  # empty rows the editor offers for new articles
HEADING_MAX = 60
BODY_MAX = 2000

# Who may adopt a convention here: one vote per shop (商户公约), or the council's members.
VOTE_ELECTORATES: Mapping[Electorate, str] = {
    Electorate.SHOPS: N_("全体已核实店铺（一店一票）"),
    Electorate.MEMBERS: N_("全体议事会成员"),
}
# A convention vote is counted against everyone bound (应到) by default (DOMAIN §3, example 1).
VOTE_BASES: Mapping[BaseKind, str] = {
    BaseKind.ELIGIBLE: N_("应到（全体有表决权的店铺或成员）"),
    BaseKind.CAST: N_("投票数（含弃权）"),
    BaseKind.DECISIVE: N_("有效表态数（同意＋反对）"),
}


class ConventionForm(msgspec.Struct):
    title: Annotated[str, msgspec.Meta(min_length=2, max_length=120)]
    binds: Annotated[str, msgspec.Meta(max_length=120)] = ""
    preamble: Annotated[str, msgspec.Meta(max_length=2000)] = ""
    change_note: Annotated[str, msgspec.Meta(max_length=2000)] = ""


class CommentPeriodForm(msgspec.Struct):
    closes_at: Annotated[
        str,
        msgspec.Meta(
            pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$", description=N_("请填写征求意见的截止时间")
        ),
    ]
    opens_at: LocalTime = ""  # empty: from now


class EndCommentsForm(msgspec.Struct):
    reason: Annotated[str, msgspec.Meta(min_length=2, max_length=500)]


class ReviewForm(msgspec.Struct):
    reviewer: Annotated[str, msgspec.Meta(min_length=2, max_length=120)]
    note: Annotated[str, msgspec.Meta(min_length=2, max_length=2000)]


class FilingForm(msgspec.Struct):
    filed_with: Annotated[str, msgspec.Meta(min_length=2, max_length=120)]
    reference: Annotated[str, msgspec.Meta(max_length=60)] = ""


class VoteForm(msgspec.Struct):
    electorate: Electorate = Electorate.SHOPS
    pass_rule: RuleKey = MAJORITY.key
    pass_base: BaseKind = BaseKind.ELIGIBLE
    closes_at: LocalTime = ""


class CommentForm(msgspec.Struct):
    article: Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{32}$", description=N_("请选择条款"))]
    body: Annotated[str, msgspec.Meta(min_length=2, max_length=1000)]


@dataclass(frozen=True)
class ArticleInput:
    key: str  # "" for a new article
    heading: str
    body: str


def _text(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value).replace("\r\n", "\n").strip()


def article_rows(data: Mapping[str, Any]) -> list[dict[str, str]]:
    """The editor's rows as typed: ``key_N``, ``heading_N``, ``body_N``, ``delete_N`` for
    N = 1..count. A row without a key is a new article; left blank, it is ignored."""
    try:
        count = min(int(_text(data, "count") or 0), MAX_ARTICLES + BLANK_ROWS)
    except ValueError:
        count = 0
    rows = [
        {
            "key": _text(data, f"key_{i}"),
            "heading": _text(data, f"heading_{i}"),
            "body": _text(data, f"body_{i}"),
            "delete": "1" if _text(data, f"delete_{i}") else "",
        }
        for i in range(1, count + 1)
    ]
    while rows and not (rows[-1]["key"] or rows[-1]["heading"] or rows[-1]["body"]):
        rows.pop()
    return rows


def parse_articles(data: Mapping[str, Any]) -> list[ArticleInput]:
    """The articles to keep, in order, or FormInvalid naming each empty or too long one."""
    rows = article_rows(data)
    errors: dict[str, str] = {}
    kept: list[ArticleInput] = []
    for i, row in enumerate(rows, start=1):
        if row["delete"] or not (row["key"] or row["heading"] or row["body"]):
            continue
        if not row["body"]:
            errors[f"body_{i}"] = (
                _("第 %(n)s 条内容不能为空；要删除这一条，请勾选“删除此条”", n=i)
                if row["key"]
                else _("新条款的内容不能为空")
            )
        elif len(row["body"]) > BODY_MAX:
            errors[f"body_{i}"] = _("每条不能超过 %(n)s 个字", n=BODY_MAX)
        if len(row["heading"]) > HEADING_MAX:
            errors[f"heading_{i}"] = _("条款标题不能超过 %(n)s 个字", n=HEADING_MAX)
        for part in ("heading", "body"):
            if problem := text_problem(row[part]):
                errors[f"{part}_{i}"] = problem
        kept.append(ArticleInput(row["key"], row["heading"], row["body"]))
    if not kept and not errors:
        errors["body_1"] = _("公约至少要有一条条款")
    if len(kept) > MAX_ARTICLES:
        errors["body_1"] = _("最多 %(n)s 条", n=MAX_ARTICLES)
    if errors:
        raise FormInvalid(errors)
    return kept


def parse_editor(data: Mapping[str, Any]) -> tuple[ConventionForm, list[ArticleInput]]:
    """The draft editor's title fields and articles, with every error of either at once."""
    values = {k: v for k, v in data.items() if isinstance(v, str)}
    errors: dict[str, str] = {}
    form = None
    try:
        form = parse_form(ConventionForm, data)
    except FormInvalid as exc:
        errors.update(exc.errors)
    rows: list[ArticleInput] = []
    try:
        rows = parse_articles(data)
    except FormInvalid as exc:
        errors.update(exc.errors)
    if errors or form is None:
        raise FormInvalid(errors, {**values, "rows": article_rows(data)})
    return form, rows
