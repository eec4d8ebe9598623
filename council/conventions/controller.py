"""/c/{slug}/conventions, the public side: the list, a convention with its text in force and
its vote, each version with the comments on its articles, the diff; commenting."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.params import Parameter
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from council.conventions import adoption, drafting, schemas, service, workflow
from council.conventions.diff import Change, Op, summarize
from council.conventions.models import Convention, ConventionVersion
from council.conventions.workflow import VersionStatus
from council.councils import service as councils
from council.councils.models import Council
from council.councils.permissions import Action, Actor, can
from council.errors import NotFound
from council.forms import parse_form
from council.i18n import N_, _
from council.voting.schemas import THRESHOLD_LABELS
from council.voting.workflow import STATUS_LABELS as BALLOT_STATUS_LABELS
from council.web.auth import require_login
from council.web.forms import Form
from council.web.render import page, redirect

CHANGE_LABELS = {
    Change.ADDED: N_("新增条款"),
    Change.REMOVED: N_("删除条款"),
    Change.CHANGED: N_("已修改"),
    Change.UNCHANGED: N_("未修改"),
}


def labels() -> dict[str, Any]:
    return {
        "version_label": workflow.label,
        "ballot_status_labels": BALLOT_STATUS_LABELS,
        "change_labels": CHANGE_LABELS,
        "Op": Op,
        "Change": Change,
        "S": VersionStatus,
    }


async def _council(db: AsyncSession, actor: Actor, slug: str) -> Council:
    return await councils.require(db, actor, slug, Action.VIEW_COUNCIL)


def _local_input(moment: dt.datetime, council: Council) -> str:
    return moment.astimezone(ZoneInfo(council.timezone)).strftime("%Y-%m-%dT%H:%M")


def rows_of(articles: list[Any]) -> list[dict[str, str]]:
    return [{"key": a.key, "heading": a.heading, "body": a.body, "delete": ""} for a in articles]


def editor_context(
    council: Council, values: dict[str, Any], version: ConventionVersion | None = None
) -> dict[str, Any]:
    return {
        "council": council,
        "version": version,
        "values": values,
        "errors": {},
        "blank_rows": schemas.BLANK_ROWS,
    }


def form_values(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if isinstance(v, str)}


async def version_context(
    db: AsyncSession,
    actor: Actor,
    council: Council,
    convention: Convention,
    version: ConventionVersion,
    now: dt.datetime,
) -> dict[str, Any]:
    all_versions = await service.visible_versions(db, actor, convention)
    manage = can(actor, Action.MANAGE_CONVENTIONS, council.id)
    record = await adoption.vote_of(db, version)
    refusal = workflow.accepts_comments(
        workflow.Facts(
            status=version.status,
            now=now,
            comment_opens_at=version.comment_opens_at,
            comment_closes_at=version.comment_closes_at,
        )
    )
    days_left = None
    if refusal is None and version.comment_closes_at is not None:
        days_left = max(0, (version.comment_closes_at - now).days)
    previous = next((v for v in all_versions if v.id == version.based_on_id), None)
    return {
        **labels(),
        "council": council,
        "convention": convention,
        "version": version,
        "versions": all_versions,
        "now": now,
        "comment_counts": await service.comment_counts(db, all_versions),
        "previous": previous,
        "articles": await service.articles(db, version),
        "comments": await service.comments_by_article(db, version),
        "comments_open": refusal is None,
        "comments_refusal": refusal,
        "days_left": days_left,
        "can_comment": can(actor, Action.COMMENT_CONVENTION, council.id),
        "can_manage": manage,
        "record": record,
        "coverage": adoption.coverage(record),
        "filing": await adoption.filing_of(db, version),
        "blockers": await _blockers(db, version, now) if manage else {},
        "electorate_options": [(k.value, _(v)) for k, v in schemas.VOTE_ELECTORATES.items()],
        "threshold_options": [(k, _(v)) for k, v in THRESHOLD_LABELS.items()],
        "base_options": [(k.value, _(v)) for k, v in schemas.VOTE_BASES.items()],
        "default_closes_at": _local_input(now + dt.timedelta(days=7), council),
        "busy": any(v.status in workflow.IN_PROGRESS for v in all_versions),
        "values": {},
        "errors": {},
    }


async def _blockers(
    db: AsyncSession, version: ConventionVersion, now: dt.datetime
) -> dict[str, list[str]]:
    """What stands between this version and its next steps, shown to the facilitator."""
    facts = await service.facts_for(db, version, now)
    return {
        to.value: workflow.blocking(facts, to)
        for to in (VersionStatus.VOTING,)
        if to in workflow.allowed_moves(version.status)
    }


class ConventionController(Controller):
    path = "/c/{slug:str}/conventions"
    tags = ["conventions"]

    @get("/", name="conventions.index")
    async def index(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str
    ) -> Template:
        council = await _council(db_session, actor, slug)
        rows = await service.list_conventions(db_session, actor, council)
        return page(
            request,
            "conventions/index.html",
            {
                **labels(),
                "council": council,
                "rows": rows,
                "can_manage": can(actor, Action.MANAGE_CONVENTIONS, council.id),
            },
        )

    @get("/{convention_id:uuid}", name="conventions.detail")
    async def detail(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        convention_id: UUID,
    ) -> Template:
        council = await _council(db_session, actor, slug)
        convention = await service.get(db_session, actor, council, convention_id)
        all_versions = await service.visible_versions(db_session, actor, convention)
        adopted = service.adopted_of(all_versions)
        record = await adoption.vote_of(db_session, adopted) if adopted else None
        working = [
            v for v in all_versions if v.status in workflow.IN_PROGRESS | {VersionStatus.COMMENTING}
        ]
        return page(
            request,
            "conventions/detail.html",
            {
                **labels(),
                "council": council,
                "convention": convention,
                "versions": all_versions,
                "now": request.app.state.clock.now(),
                "comment_counts": await service.comment_counts(db_session, all_versions),
                "adopted": adopted,
                "articles": await service.articles(db_session, adopted) if adopted else [],
                "record": record,
                "coverage": adoption.coverage(record),
                "filing": await adoption.filing_of(db_session, adopted) if adopted else None,
                "working": working[-1] if working else None,
                "can_manage": can(actor, Action.MANAGE_CONVENTIONS, council.id),
                "busy": any(v.status in workflow.IN_PROGRESS for v in all_versions),
            },
        )

    @get("/{convention_id:uuid}/v/{number:int}", name="conventions.version")
    async def version(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        convention_id: UUID,
        number: int,
    ) -> Template:
        council = await _council(db_session, actor, slug)
        convention, version = await service.get_version(
            db_session, actor, council, convention_id, number
        )
        context = await version_context(
            db_session, actor, council, convention, version, request.app.state.clock.now()
        )
        return page(request, "conventions/version.html", context)

    @get("/{convention_id:uuid}/diff", name="conventions.diff")
    async def diff(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        convention_id: UUID,
        from_: Annotated[int, Parameter(query="from", ge=0)] = 0,
        to: Annotated[int, Parameter(ge=0)] = 0,
    ) -> Template:
        council = await _council(db_session, actor, slug)
        convention = await service.get(db_session, actor, council, convention_id)
        all_versions = {
            v.number: v for v in await service.visible_versions(db_session, actor, convention)
        }
        new = all_versions.get(to) or all_versions[max(all_versions)]
        old = all_versions.get(from_)
        if old is None:
            based = next((v for v in all_versions.values() if v.id == new.based_on_id), None)
            old = based or all_versions.get(new.number - 1)
        if old is None or old.number == new.number:
            raise NotFound(_("没有可以对照的另一个版本"))
        diffs = await service.compare_versions(db_session, old, new)
        return page(
            request,
            "conventions/diff.html",
            {
                **labels(),
                "council": council,
                "convention": convention,
                "old": old,
                "new": new,
                "versions": list(all_versions.values()),
                "diffs": diffs,
                "summary": summarize(diffs),
            },
        )

    @post(
        "/{convention_id:uuid}/v/{number:int}/comments",
        name="conventions.comment",
        guards=[require_login],
        form="comment",
    )
    async def comment(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        convention_id: UUID,
        number: int,
        data: Form,
    ) -> Template | Redirect:
        council = await _council(db_session, actor, slug)
        now = request.app.state.clock.now()
        form = parse_form(schemas.CommentForm, data)
        row = await drafting.comment(db_session, actor, council, convention_id, number, form, now)
        return redirect(
            f"/c/{slug}/conventions/{convention_id}/v/{number}?notice=commented"
            f"#comment-{row.id.hex}"
        )
