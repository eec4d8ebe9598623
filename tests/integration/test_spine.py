"""四议两公开一监督 through the services on both databases: every refused move changes nothing
and says why; an objection blocks finishing until answered; a correction restarts the period;
the period is counted in the council's time zone across a month end.

The demo's purifier subsidy (钟楼烟火) is in 决议公开: its notice was published two days
before the demo's load time, so at NOW it has 5 days left (11-21 … 11-27, local)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.audit import service as audit
from council.audit.models import AuditEntry
from council.consultations import links
from council.consultations.models import Matter, Round
from council.consultations.schemas import MatterForm, PlanForm
from council.councils import service as councils
from council.councils.models import Council, Role
from council.councils.permissions import ANONYMOUS, Actor
from council.councils.schemas import MemberForm
from council.demo.spine import Path
from council.errors import StateRefused
from council.issues import service as issues
from council.issues.schemas import IssueForm, TransitionForm
from council.issues.workflow import IssueStatus
from council.notices import service as notices
from council.notices.models import Notice, Objection
from council.notices.periods import NoticeKind, NoticeStatus
from council.notices.schemas import NoticeForm, ObjectionForm
from council.workflows import service as workflows
from council.workflows import supervision
from council.workflows.models import Opinion, Workflow, WorkflowEvent
from council.workflows.schemas import MoveForm, ReopenAnswerForm, ReopenForm, SignOffForm
from council.workflows.workflow import Stage

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)  # the demo's load time, 10:00 local
PERIOD_ENDS = dt.datetime(2026, 11, 27, 16, 0, tzinfo=dt.UTC)  # midnight starting 11-28 local
SUBSIDY = "油烟净化器安装补贴（以奖代补）"


async def _council(db: AsyncSession, slug: str = "zhonglou") -> Council:
    return (await db.execute(sa.select(Council).where(Council.slug == slug))).scalar_one()


async def _path(db: AsyncSession) -> Path:
    return Path(db, await _council(db), "zhuchi", "jiandu", "dangwei")


async def _subsidy(db: AsyncSession) -> Matter:
    return (await db.execute(sa.select(Matter).where(Matter.title == SUBSIDY))).scalar_one()


async def _notice(db: AsyncSession, matter: Matter, kind: NoticeKind) -> Notice:
    found = await notices.latest(db, await _council(db), "matter", matter.id, kind)
    assert found is not None
    return found


async def _snapshot(db: AsyncSession) -> tuple[object, ...]:
    """What a refused move must leave as it was: stages, events, notices, objections, opinions
    and the audit chain."""
    stages = (await db.execute(sa.select(Workflow.id, Workflow.stage).order_by(Workflow.id))).all()
    counted = []
    for model in (WorkflowEvent, Notice, Objection, Opinion, AuditEntry):
        counted.append(await db.scalar(sa.select(sa.func.count(model.id))))
    statuses = (await db.execute(sa.select(Notice.id, Notice.status).order_by(Notice.id))).all()
    return (tuple(stages), tuple(counted), tuple(statuses))


async def _refused(db: AsyncSession, action: object, *said: str) -> StateRefused:
    """The action is refused with every ``said`` in its reasons, and nothing has changed."""
    before = await _snapshot(db)
    with pytest.raises(StateRefused) as refused:
        await action  # type: ignore[misc]
    text = " ".join(refused.value.errors.values())
    for words in said:
        assert words in text, text
    assert await _snapshot(db) == before
    return refused.value


@dataclass
class World:
    db: AsyncSession
    path: Path
    facilitator: Actor
    supervisor: Actor
    subsidy: Matter

    @property
    def council(self) -> Council:
        return self.path.council

    def move(
        self, to: Stage, at: dt.datetime, reason: str = "", matter: Matter | None = None
    ) -> Coroutine[Any, Any, Workflow]:
        form = MoveForm(to=to, reason=reason)
        target = matter or self.subsidy
        return workflows.move(self.db, self.facilitator, self.council, target.id, form, at)


@pytest.fixture
async def world(db: AsyncSession) -> World:
    path = await _path(db)
    return World(db, path, await path.facilitator(), await path.supervisor(), await _subsidy(db))


async def _stage(db: AsyncSession, matter: Matter) -> Stage:
    _m, flow = await workflows.require(db, await _council(db), matter.id)
    return flow.stage


# --- order and records (rule 1) -------------------------------------------------------------


async def test_R1_skipping_a_stage_is_refused_and_changes_nothing(world: World) -> None:
    db = world.db
    path = world.path
    matter = await path.open(MatterForm(title="夜市外摆时间调整"), NOW)
    await _refused(
        db,
        world.move(Stage.REVIEW, NOW, matter=matter),
        "当前为“提议”，下一步是“商议”，不能跳到“审议”",
    )
    assert await _stage(db, matter) is Stage.PROPOSAL


async def test_R1_a_stage_does_not_finish_without_its_record(world: World) -> None:
    """提议 needs the party organisation's written proposal; a resident's issue is not one."""
    db = world.db
    path = world.path
    matter = await path.open(MatterForm(title="夜市外摆时间调整"), NOW)
    await _refused(db, world.move(Stage.DELIBERATION, NOW, matter=matter), "社区党组织的书面提议")
    await path.propose(
        matter, "规范夜市外摆时间", "建议外摆最晚到 22 点，超时收回。", "占道经营", NOW
    )
    await world.move(Stage.DELIBERATION, NOW + dt.timedelta(days=2), matter=matter)
    assert await _stage(db, matter) is Stage.DELIBERATION
    await _refused(db, world.move(Stage.REVIEW, NOW, matter=matter), "纪要已确认")


async def test_R1_sending_back_and_withdrawing_are_recorded_with_their_reason(
    world: World,
) -> None:
    db = world.db
    await _refused(db, world.move(Stage.RESOLUTION, NOW), "请写明理由")
    await world.move(Stage.RESOLUTION, NOW, "决议表述需补充检测机构")
    await world.move(Stage.WITHDRAWN, NOW, "街道资金另行安排")
    events = (
        await db.execute(
            sa.select(WorkflowEvent.from_stage, WorkflowEvent.to_stage, WorkflowEvent.reason)
            .order_by(WorkflowEvent.created_at.desc())
            .limit(2)
        )
    ).all()
    assert events == [
        (Stage.RESOLUTION, Stage.WITHDRAWN, "街道资金另行安排"),
        (Stage.RESOLUTION_NOTICE, Stage.RESOLUTION, "决议表述需补充检测机构"),
    ]
    await _refused(db, world.move(Stage.PROPOSAL, NOW, "重来"), "已撤回")


# --- the resolution notice: period and objections (rules 6, 7, 9, 10) ------------------------


async def test_R6_implementation_cannot_start_before_the_notice_period_ends(
    world: World,
) -> None:
    db = world.db
    matter = world.subsidy
    await _refused(
        db,
        world.move(Stage.IMPLEMENTATION, NOW),
        "决议公示的公示期未满（还剩 5 天），不能进入“实施”",
    )
    last_minute = PERIOD_ENDS - dt.timedelta(minutes=1)
    await _refused(db, world.move(Stage.IMPLEMENTATION, last_minute), "还剩 1 天")
    await world.move(Stage.IMPLEMENTATION, PERIOD_ENDS)
    assert await _stage(db, matter) is Stage.IMPLEMENTATION
    assert (await _notice(db, matter, NoticeKind.RESOLUTION)).status is NoticeStatus.CLOSED


async def test_R7_an_objection_blocks_finishing_until_answered(world: World) -> None:
    db = world.db
    path = world.path
    matter = world.subsidy
    notice = await _notice(db, matter, NoticeKind.RESOLUTION)
    objection = await path.object(
        notice, "钱师傅", "13800001111", "补贴名单漏了 22 号烤红薯坊。", NOW
    )
    facilitator = await path.facilitator()
    await _refused(
        db,
        world.move(Stage.IMPLEMENTATION, PERIOD_ENDS),
        "决议公示还有 1 条异议未答复，不能进入“实施”（第 7 条）",
    )
    await _refused(
        db,
        notices.close(db, facilitator, path.council, notice.id, PERIOD_ENDS),
        "还有 1 条异议未答复",
    )
    await path.answer(objection, "22 号不在 37 家明火餐饮之列，未装净化器，不在补贴范围。", NOW)
    await world.move(Stage.IMPLEMENTATION, PERIOD_ENDS)
    assert await _stage(db, matter) is Stage.IMPLEMENTATION
    row = await db.get(Objection, objection.id)
    assert row is not None and row.answer.startswith("22 号")


async def test_R9_a_published_notice_is_never_edited(world: World) -> None:
    db = world.db
    path = world.path
    notice = await _notice(db, await _subsidy(db), NoticeKind.RESOLUTION)
    form = NoticeForm(title="改过的标题", body="改过的正文")
    await _refused(
        db,
        notices.edit(db, await path.facilitator(), path.council, notice.id, form, NOW),
        "已发布的公示不能修改",
    )
    assert notice.title.startswith("决议公示")


async def test_R6_a_notice_never_ends_early(world: World) -> None:
    db = world.db
    path = world.path
    notice = await _notice(db, await _subsidy(db), NoticeKind.RESOLUTION)
    facilitator = await path.facilitator()
    await _refused(
        db,
        notices.close(db, facilitator, path.council, notice.id, NOW),
        "公示期未满，不能提前结束（还剩 5 天）",
    )
    await notices.close(db, facilitator, path.council, notice.id, PERIOD_ENDS)
    assert notice.status is NoticeStatus.CLOSED


async def test_an_objection_after_the_period_is_refused(world: World) -> None:
    db = world.db
    path = world.path
    notice = await _notice(db, await _subsidy(db), NoticeKind.RESOLUTION)
    form = ObjectionForm(name="钱师傅", contact="13800001111", body="还想再说一句意见。")
    await _refused(
        db, notices.lodge(db, ANONYMOUS, path.council, notice.id, form, PERIOD_ENDS), "公示期已结束"
    )
    await notices.lodge(
        db, ANONYMOUS, path.council, notice.id, form, PERIOD_ENDS - dt.timedelta(seconds=1)
    )


async def test_R10_a_correction_restarts_the_period(world: World) -> None:
    db = world.db
    path = world.path
    matter = world.subsidy
    facilitator = await path.facilitator()
    old = await _notice(db, matter, NoticeKind.RESOLUTION)
    correction = await notices.correct(db, facilitator, path.council, old.id, NOW)
    corrected_at = NOW + dt.timedelta(days=3)  # 11-26 10:00 local
    await workflows.publish_notice(db, facilitator, path.council, correction.id, corrected_at)
    assert old.status is NoticeStatus.SUPERSEDED
    assert correction.corrects_id == old.id
    # The correction runs 11-26 … 12-02 local: the old end no longer frees the stage.
    assert correction.ends_at == dt.datetime(2026, 12, 2, 16, 0, tzinfo=dt.UTC)
    await _refused(db, world.move(Stage.IMPLEMENTATION, PERIOD_ENDS), "还剩 5 天")
    form = ObjectionForm(name="钱师傅", contact="13800001111", body="对旧公示的意见。")
    await _refused(
        db, notices.lodge(db, ANONYMOUS, path.council, old.id, form, corrected_at), "已被更正"
    )
    await world.move(Stage.IMPLEMENTATION, correction.ends_at)
    assert await _stage(db, matter) is Stage.IMPLEMENTATION


async def test_R6_the_period_is_counted_in_the_councils_time_zone_across_a_month_end(
    world: World,
) -> None:
    """Published at 20:00 UTC on 11-25, which is 04:00 on 11-26 in Shanghai: 7 calendar days
    are 11-26 … 12-02, so the notice runs until 16:00 UTC on 12-02, not a day earlier."""
    db = world.db
    path = world.path
    facilitator = await path.facilitator()
    published = dt.datetime(2026, 11, 25, 20, 0, tzinfo=dt.UTC)
    form = NoticeForm(title="外摆时间征求意见公告", body="外摆最晚到 22 点，请提意见。")
    notice = await notices.draft(db, facilitator, path.council, form, published)
    await notices.publish(db, facilitator, path.council, notice.id, published)
    assert notice.ends_at == dt.datetime(2026, 12, 2, 16, 0, tzinfo=dt.UTC)
    view = await notices.view(db, facilitator, path.council, notice, published)
    assert (view.period.first_day, view.period.last_day) == (  # type: ignore[union-attr]
        dt.date(2026, 11, 26),
        dt.date(2026, 12, 2),
    )
    assert view.days_left == 7
    last_second = dt.datetime(2026, 12, 2, 15, 59, 59, tzinfo=dt.UTC)
    assert (await notices.view(db, facilitator, path.council, notice, last_second)).days_left == 1
    await _refused(
        db,
        notices.close(db, facilitator, path.council, notice.id, last_second),
        "还剩 1 天",
    )
    await notices.close(db, facilitator, path.council, notice.id, notice.ends_at)
    assert notice.status is NoticeStatus.CLOSED


# --- implementation, sign-off and the results notice (rules 11, 12) --------------------------


async def _implemented(world: World) -> tuple[Path, Matter]:
    """The subsidy past its notice, in 实施, with a plan whose three items are verified."""
    path = world.path
    matter = world.subsidy
    await world.move(Stage.IMPLEMENTATION, PERIOD_ENDS)
    rounds = sa.select(Round).where(Round.matter_id == matter.id)
    round_ = (await world.db.execute(rounds)).scalar_one()
    form = PlanForm(
        title="补贴发放",
        agreed_text="对检测达标的店铺发放以奖代补资金。",
        shops="1-3",
        obligation="提交检测报告和收款账户",
        payer="街道以奖代补资金",
        deadline="2026-12-20",
    )
    plan = await path.plan(round_, form, PERIOD_ENDS)
    await path.implement(plan, ("检测报告已提交。",), PERIOD_ENDS)
    return path, matter


async def test_R11_no_results_notice_without_the_supervisors_sign_off(world: World) -> None:
    db = world.db
    path, matter = await _implemented(world)
    later = PERIOD_ENDS + dt.timedelta(days=3)
    await _refused(
        db,
        world.move(Stage.RESULTS_NOTICE, later),
        "实施结果公开前须有监督员签字确认（第 11 条）",
    )
    facilitator = await path.facilitator()
    await _refused(
        db,
        workflows.draft_notice(db, facilitator, path.council, matter.id, NoticeKind.RESULTS, later),
        "当前为“实施”",
    )
    await path.sign_off(matter, "三家已核验，同意公开结果。", later)
    await world.move(Stage.RESULTS_NOTICE, later)
    notice = await path.notice(matter, NoticeKind.RESULTS, later)
    assert notice.status is NoticeStatus.PUBLISHED


async def test_R12_a_supervisor_does_not_sign_off_a_matter_she_proposed(
    world: World,
) -> None:
    db = world.db
    path, matter = await _implemented(world)
    facilitator = await path.facilitator()
    council = path.council
    # The supervisor lives on the street too, and raised this matter as a resident.
    form = MemberForm(login="jiandu", role=Role.RESIDENT)
    await councils.add_member(db, facilitator, council, form, NOW)
    path._actors.clear()
    supervisor = await path.supervisor()
    issue = await issues.submit(
        db,
        None,  # type: ignore[arg-type]
        supervisor,
        council,
        IssueForm(
            title="补贴应覆盖全部达标店铺", body="建议补贴覆盖全部检测达标店铺。", category="油烟"
        ),
        [],
        upload_limit=20,
        now=NOW,
    )
    for to in (IssueStatus.TRIAGE, IssueStatus.ACCEPTED):
        move = TransitionForm(to=to, reason="并入补贴议题")
        await issues.transition(db, facilitator, council, issue.id, move, NOW)
    await links.link_issue(db, facilitator, council, matter, str(issue.number), NOW)
    await _refused(
        db,
        supervision.sign_off(db, supervisor, council, matter.id, SignOffForm(body="同意"), NOW),
        "监督员不能为自己提议的事项签字确认",
    )


async def test_a_reopen_request_blocks_the_stage_until_the_facilitator_answers(
    world: World,
) -> None:
    db = world.db
    path = world.path
    matter = world.subsidy
    supervisor = await path.supervisor()
    facilitator = await path.facilitator()
    request = await supervision.request_reopen(
        db,
        supervisor,
        path.council,
        matter.id,
        ReopenForm(stage=Stage.REVIEW, body="审议到会人数与签到表不符，请核对。"),
        NOW,
    )
    await _refused(
        db,
        world.move(Stage.IMPLEMENTATION, PERIOD_ENDS),
        "监督员要求重新审视“审议”，主持人须先答复",
    )
    answer = ReopenAnswerForm(answer="已核对签到表，到会 12 人无误。", accept=False)
    await supervision.answer_reopen(
        db, facilitator, path.council, matter.id, request.id, answer, NOW
    )
    await world.move(Stage.IMPLEMENTATION, PERIOD_ENDS)
    assert await _stage(db, matter) is Stage.IMPLEMENTATION


# --- the audit chain (done-when: every stage change and notice) ------------------------------


async def test_every_stage_change_notice_and_objection_of_the_finished_case_is_audited(
    world: World,
) -> None:
    db = world.db
    council = await _council(db, "zhenning")
    actions = [
        a
        for (a,) in await db.execute(
            sa.select(AuditEntry.action)
            .where(AuditEntry.council_id == council.id)
            .order_by(AuditEntry.seq)
        )
    ]
    assert actions.count("workflow.started") == 1
    assert actions.count("workflow.stage_changed") == 7
    assert actions.count("notice.published") == 2
    assert actions.count("notice.closed") == 2
    assert actions.count("objection.lodged") == actions.count("objection.answered") == 1
    assert actions.count("supervision.signoff") == 1
    assert (await audit.verify_chain(db, council.id)).ok
    lodged = (
        await db.execute(sa.select(AuditEntry).where(AuditEntry.action == "objection.lodged"))
    ).scalar_one()
    assert "13971150888" not in lodged.summary + lodged.actor_label  # rule 28
    assert lodged.actor_label == "钟**"
    _m, flow = await workflows.require(
        db,
        council,
        (
            await db.execute(sa.select(Workflow.matter_id).where(Workflow.council_id == council.id))
        ).scalar_one(),
    )
    assert flow.stage is Stage.DONE


async def test_R8_an_objection_unanswered_past_the_councils_answer_time_is_flagged(
    world: World,
) -> None:
    """Lodged 11-23 (local); the council answers within 3 days: due when 11-26 ends."""
    db, path = world.db, world.path
    notice = await _notice(db, world.subsidy, NoticeKind.RESOLUTION)
    objection = await path.object(notice, "钱师傅", "13800001111", "名单请公开。", NOW)
    assert objection.due_at == dt.datetime(2026, 11, 26, 16, 0, tzinfo=dt.UTC)
    in_time = await supervision.queue(
        db, world.facilitator, world.council, objection.due_at - dt.timedelta(seconds=1)
    )
    late = await supervision.queue(db, world.facilitator, world.council, objection.due_at)
    assert [d.overdue for d in in_time.objections] == [False]
    assert [d.overdue for d in late.objections] == [True]
    world.council.objection_answer_days = 5
    later = await path.object(notice, "孙师傅", "13800002222", "名单请附金额。", NOW)
    assert later.due_at == dt.datetime(2026, 11, 28, 16, 0, tzinfo=dt.UTC)
