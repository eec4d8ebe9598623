"""Calls for suggestions (征集): questions, answers online and offline, summary and CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.names import mask
from council.audit import service as audit
from council.councils.models import Council
from council.councils.permissions import Action, Actor, can
from council.errors import Conflict, FormInvalid, NotAllowed, NotFound
from council.forms import text_problem
from council.i18n import _
from council.issues.models import Call, CallAnswer, CallQuestion, CallResponse, QuestionKind
from council.issues.schemas import CallForm, OfflineForm

MAX_QUESTIONS = 20
MAX_ANSWER = 2000
SEPARATORS = ("｜", "|")


def local(moment: dt.datetime, council: Council) -> str:
    return moment.astimezone(ZoneInfo(council.timezone)).strftime("%Y-%m-%d %H:%M")


def parse_questions(text: str) -> list[tuple[str, QuestionKind, list[str]]]:
    """One question per line; ``问题 | 选项一 | 选项二`` makes a choice question."""
    questions = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        for sep in SEPARATORS:
            line = line.replace(sep, "\n")
        parts = [p.strip() for p in line.split("\n")]
        question, choices = parts[0][:300], [c[:120] for c in parts[1:] if c]
        if not question:
            raise FormInvalid({"questions": _("每行须以问题开头")}, {"questions": text})
        if len(parts) > 1 and len(set(choices)) < 2:
            raise FormInvalid(
                {"questions": _("选择题“%(q)s”至少要有两个不同的选项", q=question)},
                {"questions": text},
            )
        kind = QuestionKind.CHOICE if choices else QuestionKind.TEXT
        questions.append((question, kind, list(dict.fromkeys(choices))))
    if not questions:
        raise FormInvalid({"questions": _("至少填写一个问题")}, {"questions": text})
    if len(questions) > MAX_QUESTIONS:
        raise FormInvalid(
            {"questions": _("最多 %(n)s 个问题", n=MAX_QUESTIONS)}, {"questions": text}
        )
    return questions


def parse_deadline(value: str, council: Council) -> dt.datetime:
    naive = dt.datetime.strptime(value.replace(" ", "T"), "%Y-%m-%dT%H:%M")
    return naive.replace(tzinfo=ZoneInfo(council.timezone)).astimezone(dt.UTC)


async def open_call(
    db: AsyncSession, actor: Actor, council: Council, form: CallForm, now: dt.datetime
) -> Call:
    if not can(actor, Action.OPEN_CALL, council.id):
        raise NotAllowed(_("只有主持人可以发起征集"))
    values = {
        "title": form.title,
        "deadline": form.deadline,
        "questions": form.questions,
        "description": form.description,
    }
    try:
        deadline = parse_deadline(form.deadline, council)
    except ValueError:
        raise FormInvalid({"deadline": _("请填写正确的截止时间")}, values) from None
    if deadline <= now:
        raise FormInvalid({"deadline": _("截止时间须晚于现在")}, values)
    try:
        questions = parse_questions(form.questions)
    except FormInvalid as exc:
        raise FormInvalid(exc.errors, values) from None
    call = Call(
        council_id=council.id,
        title=form.title,
        description=form.description,
        deadline=deadline,
        opened_by_id=actor.person_id,
        opened_at=now,
    )
    db.add(call)
    await db.flush()
    for position, (text, kind, choices) in enumerate(questions, start=1):
        db.add(
            CallQuestion(
                council_id=council.id,
                call_id=call.id,
                position=position,
                text=text,
                kind=kind,
                choices="\n".join(choices),
            )
        )
    await audit.record(
        db,
        council_id=council.id,
        actor_id=actor.person_id,
        actor_label=actor.display_name,
        action="call.opened",
        object_type="call",
        object_id=call.id,
        summary={
            "title": call.title,
            "deadline": deadline.isoformat(),
            "questions": len(questions),
        },
        at=now,
    )
    return call


async def calls(db: AsyncSession, council: Council) -> list[tuple[Call, int]]:
    responses = (
        sa.select(sa.func.count(CallResponse.id))
        .where(CallResponse.call_id == Call.id)
        .correlate(Call)
        .scalar_subquery()
    )
    rows = await db.execute(
        sa.select(Call, responses)
        .where(Call.council_id == council.id)
        .order_by(Call.deadline.desc())
    )
    return [(c, int(n)) for c, n in rows]


async def get_call(db: AsyncSession, council: Council, call_id: UUID) -> Call:
    call = await db.scalar(sa.select(Call).where(Call.id == call_id, Call.council_id == council.id))
    if call is None:
        raise NotFound(_("找不到这次征集"))
    return call


async def questions(db: AsyncSession, call: Call) -> list[CallQuestion]:
    return list(
        (
            await db.execute(
                sa.select(CallQuestion)
                .where(CallQuestion.call_id == call.id)
                .order_by(CallQuestion.position)
            )
        ).scalars()
    )


async def has_answered(db: AsyncSession, call: Call, person_id: UUID | None) -> bool:
    if person_id is None:
        return False
    found = await db.scalar(
        sa.select(CallResponse.id).where(
            CallResponse.call_id == call.id, CallResponse.respondent_id == person_id
        )
    )
    return found is not None


def _answers_from(
    qs: list[CallQuestion], data: Mapping[str, Any]
) -> tuple[list[tuple[CallQuestion, str, str]], dict[str, str], dict[str, str]]:
    answers, errors, values = [], {}, {}
    for q in qs:
        name = f"q{q.position}"
        raw = data.get(name, "")
        raw = raw[0] if isinstance(raw, list) and raw else raw
        value = raw.strip() if isinstance(raw, str) else ""
        values[name] = value
        if not value:
            continue
        if problem := text_problem(value):
            errors[name] = problem
            continue
        if q.kind is QuestionKind.CHOICE:
            if value not in q.choice_list:
                errors[name] = _("请从选项中选择")
                continue
            answers.append((q, value, ""))
        else:
            if len(value) > MAX_ANSWER:
                errors[name] = _("不能超过 %(n)s 个字", n=MAX_ANSWER)
                continue
            answers.append((q, "", value))
    if not answers and not errors:
        errors["answers"] = _("请至少回答一个问题")
    return answers, errors, values


async def answer(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    call_id: UUID,
    data: Mapping[str, Any],
    now: dt.datetime,
    *,
    offline: OfflineForm | None = None,
) -> CallResponse:
    """An online answer by the person, or (``offline``) answers collected by the facilitator."""
    call = await get_call(db, council, call_id)
    if offline is None and not can(actor, Action.ANSWER_CALL, council.id):
        raise NotAllowed(_("只有本议事会已核实的居民、商户和成员可以在线参与"))
    if offline is not None and not can(actor, Action.ENTER_OFFLINE_ANSWERS, council.id):
        raise NotAllowed(_("只有主持人可以录入线下收集的意见"))
    if now >= call.deadline:
        raise Conflict(
            _("这次征集已于 %(d)s 截止，不能再提交意见", d=local(call.deadline, council))
        )
    already = Conflict(_("您已参与过这次征集，每人只能提交一次"))
    if offline is None and await has_answered(db, call, actor.person_id):
        raise already
    answers, errors, values = _answers_from(await questions(db, call), data)
    if errors:
        raise FormInvalid(errors, values)
    response = CallResponse(
        council_id=council.id,
        call_id=call.id,
        respondent_id=None if offline else actor.person_id,
        offline=offline is not None,
        source=offline.source if offline else "",
        entered_by_id=actor.person_id if offline else None,
        answered_at=now,
    )
    try:
        async with db.begin_nested():
            db.add(response)
            await db.flush()
    except IntegrityError as exc:
        raise already from exc
    for q, choice, text in answers:
        db.add(
            CallAnswer(
                council_id=council.id,
                response_id=response.id,
                question_id=q.id,
                choice=choice,
                text=text,
            )
        )
    await db.flush()
    await audit.record(
        db,
        council_id=council.id,
        actor_id=actor.person_id,
        actor_label=actor.display_name if offline else mask(actor.display_name),
        action="call.offline_entered" if offline else "call.answered",
        object_type="call",
        object_id=call.id,
        summary={"response": response.id.hex, **({"source": offline.source} if offline else {})},
        at=now,
    )
    return response


@dataclass
class ChoiceCount:
    choice: str
    online: int = 0
    offline: int = 0

    @property
    def total(self) -> int:
        return self.online + self.offline


@dataclass
class QuestionSummary:
    question: CallQuestion
    counts: list[ChoiceCount] = field(default_factory=list)
    texts: list[tuple[str, bool, str]] = field(default_factory=list)  # text, offline, source

    @property
    def answered(self) -> int:
        return sum(c.total for c in self.counts) + len(self.texts)


@dataclass
class CallSummary:
    call: Call
    online: int
    offline: int
    questions: list[QuestionSummary]

    @property
    def responses(self) -> int:
        return self.online + self.offline


async def summary(db: AsyncSession, call: Call) -> CallSummary:
    qs = await questions(db, call)
    by_question = {q.id: QuestionSummary(q, [ChoiceCount(c) for c in q.choice_list]) for q in qs}
    rows = await db.execute(
        sa.select(CallAnswer, CallResponse.offline, CallResponse.source)
        .join(CallResponse, CallResponse.id == CallAnswer.response_id)
        .where(CallResponse.call_id == call.id)
        .order_by(CallResponse.answered_at, CallResponse.created_at)
    )
    for ans, offline, source in rows:
        qsum = by_question[ans.question_id]
        if qsum.question.kind is QuestionKind.CHOICE:
            for count in qsum.counts:
                if count.choice == ans.choice:
                    if offline:
                        count.offline += 1
                    else:
                        count.online += 1
        elif ans.text:
            qsum.texts.append((ans.text, bool(offline), source))
    totals = dict(
        (
            await db.execute(
                sa.select(CallResponse.offline, sa.func.count(CallResponse.id))
                .where(CallResponse.call_id == call.id)
                .group_by(CallResponse.offline)
            )
        ).all()
    )
    return CallSummary(
        call,
        online=int(totals.get(False, 0)),
        offline=int(totals.get(True, 0)),
        questions=[by_question[q.id] for q in qs],
    )


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    """A CSV cell that a spreadsheet will not run as a formula (CSV injection)."""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def summary_csv(result: CallSummary, *, with_texts: bool) -> str:
    """The summary as CSV; it starts with a byte-order mark so spreadsheet programs read the
    Chinese text as UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["问题序号", "问题", "回答", "线上", "线下", "合计"])
    for qsum in result.questions:
        q = qsum.question
        for count in qsum.counts:
            writer.writerow(
                [
                    q.position,
                    cell(q.text),
                    cell(count.choice),
                    count.online,
                    count.offline,
                    count.total,
                ]
            )
        if q.kind is QuestionKind.TEXT:
            online = sum(1 for _t, off, _s in qsum.texts if not off)
            offline = len(qsum.texts) - online
            writer.writerow(
                [q.position, cell(q.text), "（文字意见）", online, offline, len(qsum.texts)]
            )
    writer.writerow(["", "答卷总数", "", result.online, result.offline, result.responses])
    if with_texts:
        writer.writerow([])
        writer.writerow(["问题序号", "问题", "文字意见", "来源"])
        for qsum in result.questions:
            for text, offline, source in qsum.texts:
                where = f"线下：{source}" if offline else "线上"
                writer.writerow(
                    [qsum.question.position, cell(qsum.question.text), cell(text), cell(where)]
                )
    return "\ufeff" + out.getvalue()
