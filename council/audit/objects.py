"""What an audit entry is about, named for the public: "诉求 #7「…」", "表决「…」", with a link.

An entry about a record the public may not see now (a draft notice, a ballot in draft, an
issue waiting for triage, unpublished minutes) is *withheld*: the public page and the export
show its place in the chain and its hashes, not its facts, until the record is public.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.consultations.models import Matter, Meeting, Minutes, MinutesStatus
from council.conventions import workflow as convention_workflow
from council.conventions.models import Convention, ConventionVersion
from council.councils.models import Council
from council.councils.permissions import ANONYMOUS
from council.i18n import N_, _
from council.issues import workflow as issue_workflow
from council.issues.models import Call, Issue
from council.notices import periods
from council.notices.models import Notice, Objection
from council.voting import service as voting
from council.voting.models import Ballot
from council.workorders.models import WorkOrder

TYPE_LABELS: Mapping[str, str] = {
    "issue": N_("诉求"),
    "call": N_("意见征集"),
    "ballot": N_("表决"),
    "notice": N_("公示"),
    "objection": N_("异议"),
    "convention": N_("公约"),
    "convention_version": N_("公约版本"),
    "matter": N_("议题"),
    "meeting": N_("会议"),
    "round": N_("协商轮次"),
    "minutes": N_("会议纪要"),
    "action_plan": N_("行动计划"),
    "action_item": N_("整改事项"),
    "work_order": N_("工单"),
    "whistle": N_("吹哨报到"),
    "department": N_("职能部门"),
    "council": N_("议事会"),
    "membership": N_("成员身份"),
    "shop": N_("店铺"),
    "shop_representative": N_("店铺代表身份"),
}

# The filter of the public log: a kind of record → the object types it covers.
KINDS: Mapping[str, tuple[str, frozenset[str]]] = {
    "issue": (N_("诉求与意见征集"), frozenset({"issue", "call"})),
    "ballot": (N_("表决"), frozenset({"ballot"})),
    "notice": (N_("公示与异议"), frozenset({"notice", "objection"})),
    "convention": (N_("公约"), frozenset({"convention", "convention_version"})),
    "matter": (
        N_("议题、会议与行动计划"),
        frozenset({"matter", "meeting", "round", "minutes", "action_plan", "action_item"}),
    ),
    "order": (N_("工单与吹哨报到"), frozenset({"work_order", "whistle", "department"})),
    "council": (
        N_("议事会与成员"),
        frozenset({"council", "membership", "shop", "shop_representative"}),
    ),
}


@dataclass(frozen=True)
class Named:
    label: str
    url: str | None
    public: bool


@dataclass(frozen=True)
class Resolver:
    model: Any
    name: Callable[[Any, str], tuple[str, str | None]]  # (row, council base) → (title, url)
    public: Callable[[Any], bool]


def _quoted(kind: str, title: str) -> str:
    return f"{_(TYPE_LABELS[kind])}「{title}」"


RESOLVERS: Mapping[str, Resolver] = {
    "issue": Resolver(
        Issue,
        lambda r, b: (f"{_('诉求')} #{r.number}「{r.title}」", f"{b}/issues/{r.id}"),
        lambda r: r.status in issue_workflow.PUBLIC,
    ),
    "ballot": Resolver(
        Ballot,
        lambda r, b: (_quoted("ballot", r.question), f"{b}/ballots/{r.id}"),
        lambda r: voting.visible(ANONYMOUS, r),
    ),
    "notice": Resolver(
        Notice,
        lambda r, b: (_quoted("notice", r.title), f"{b}/notices/{r.id}"),
        lambda r: r.status in periods.PUBLIC,
    ),
    "objection": Resolver(
        Objection,
        lambda r, b: (_("对公示的异议"), f"{b}/notices/{r.notice_id}"),
        lambda r: True,
    ),
    "convention_version": Resolver(
        ConventionVersion,
        lambda r, b: (
            _("公约「%(t)s」第 %(n)s 版", t=r.title, n=r.number),
            f"{b}/conventions/{r.convention_id}/v/{r.number}",
        ),
        lambda r: r.status in convention_workflow.PUBLIC,
    ),
    "convention": Resolver(
        Convention,
        lambda r, b: (_quoted("convention", r.title), f"{b}/conventions/{r.id}"),
        # Public once a version is out of draft: ``_rows`` finds no other.
        lambda r: True,
    ),
    "matter": Resolver(
        Matter, lambda r, b: (_quoted("matter", r.title), f"{b}/matters/{r.id}"), lambda r: True
    ),
    "meeting": Resolver(Meeting, lambda r, b: (_quoted("meeting", r.title), None), lambda r: True),
    "minutes": Resolver(
        Minutes,
        lambda r, b: (_("会议纪要"), f"{b}/meetings/{r.meeting_id}/minutes"),
        lambda r: r.status is MinutesStatus.PUBLISHED,
    ),
    "call": Resolver(
        Call, lambda r, b: (_quoted("call", r.title), f"{b}/calls/{r.id}"), lambda r: True
    ),
    "work_order": Resolver(
        WorkOrder,
        lambda r, b: (f"{_('工单')} #{r.number}", f"{b}/orders/{r.id}"),
        lambda r: True,
    ),
}


def _uuid(value: str) -> UUID | None:
    try:
        return UUID(hex=value)
    except ValueError:
        return None


async def _rows(db: AsyncSession, kind: str, council: Council, ids: list[UUID]) -> dict[UUID, Any]:
    resolver = RESOLVERS[kind]
    model = resolver.model
    found: dict[UUID, Any] = {}
    # In chunks: a chain names thousands of records, and databases bound a statement's
    # parameters.
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        stmt = sa.select(model).where(model.id.in_(chunk), model.council_id == council.id)
        for row in (await db.execute(stmt)).scalars():
            found[row.id] = row
    if kind == "convention" and found:
        public = set(
            (
                await db.execute(
                    sa.select(ConventionVersion.convention_id).where(
                        ConventionVersion.convention_id.in_(list(found)),
                        ConventionVersion.status.in_(convention_workflow.PUBLIC),
                    )
                )
            ).scalars()
        )
        found = {k: v for k, v in found.items() if k in public}
    return found


async def name_objects(
    db: AsyncSession, council: Council, objects: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], Named]:
    """(object_type, object_id) → its public name and address, or withheld."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for kind, object_id in objects:
        wanted[kind].add(object_id)
    base = f"/c/{council.slug}"
    named: dict[tuple[str, str], Named] = {}
    for kind, object_ids in wanted.items():
        if kind not in RESOLVERS:
            label = _(TYPE_LABELS[kind]) if kind in TYPE_LABELS else kind
            for object_id in object_ids:
                named[(kind, object_id)] = Named(label, None, True)
            continue
        ids = {o: _uuid(o) for o in object_ids}
        rows = await _rows(db, kind, council, [u for u in ids.values() if u is not None])
        for object_id, uid in ids.items():
            row = rows.get(uid) if uid is not None else None
            if row is None or not RESOLVERS[kind].public(row):
                # Unknown or not public: the page says what kind of record, nothing more.
                named[(kind, object_id)] = Named(_(TYPE_LABELS[kind]), None, False)
                continue
            label, url = RESOLVERS[kind].name(row, base)
            named[(kind, object_id)] = Named(label, url, True)
    return named
