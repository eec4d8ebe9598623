"""Issue pages: public list and statistics, submit, the issue page, triage and the queue."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person
from council.consultations import links
from council.councils import service as councils
from council.councils.models import Council, Shop
from council.councils.permissions import Action, Actor, Visibility, can, can_see
from council.errors import FormInvalid
from council.files import service as files
from council.files.images import MAX_FILE_BYTES, MAX_FILES, ImageRejected
from council.forms import parse_form
from council.i18n import _
from council.issues import service, workflow
from council.issues.models import Issue
from council.issues.schemas import (
    CommentForm,
    IntakeSettingsForm,
    IssueForm,
    TransitionForm,
)
from council.issues.workflow import IssueKind, IssueStatus
from council.web.auth import require_login
from council.web.forms import Form, MultipartForm
from council.web.render import more_link, page, redirect
from council.workorders import service_reads as work_orders
from council.workorders import workflow as order_workflow

# Room for six photos at the per-file limit plus the text fields.
UPLOAD_BODY_LIMIT = MAX_FILES * MAX_FILE_BYTES + 1024 * 1024


def _choice(value: str, allowed: dict[str, Any]) -> Any:
    """Filters and sorts come from an allowlist; anything else is ignored (S24)."""
    return allowed.get(value)


PUBLIC_STATUS_FILTER = {s.value: s for s in workflow.PUBLIC}
QUEUE_STATUS_FILTER = {s.value: s for s in IssueStatus}
KIND_FILTER = {k.value: k for k in IssueKind}


async def _council(db: AsyncSession, actor: Actor, slug: str) -> Council:
    return await councils.require(db, actor, slug, Action.VIEW_COUNCIL)


async def _new_context(db: AsyncSession, actor: Actor, council: Council) -> dict[str, Any]:
    settings = await service.intake_settings(db, council.id)
    shops = await service.my_shops(db, council.id, actor.person_id)
    options = [(s.number, f"{s.number} 号 {s.name}") for s in shops]
    if await service.holds_party_seat(db, council.id, actor.person_id):
        options.append((service.PARTY, _("社区党组织（以党组织名义提议重大事项）")))
    return {
        "council": council,
        "category_options": [(c, c) for c in settings.category_list],
        "shop_options": options,
        "may_propose": bool(options),
        "max_files": MAX_FILES,
        "max_mb": MAX_FILE_BYTES // (1024 * 1024),
        "values": {},
        "errors": {},
    }


class IssueController(Controller):
    path = "/c/{slug:str}/issues"
    tags = ["issues"]

    @get("/", name="issues.list")
    async def index(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        status: str = "",
        category: str = "",
        q: str = "",
        after: UUID | None = None,
    ) -> Template:
        council = await _council(db_session, actor, slug)
        settings = await service.intake_settings(db_session, council.id)
        chosen_category = category if category in settings.category_list else ""
        query = q.strip()[:60]
        found = await service.public_page(
            db_session,
            council,
            status=_choice(status, PUBLIC_STATUS_FILTER),
            category=chosen_category,
            q=query,
            after=after,
        )
        filters = {
            "status": status if status in PUBLIC_STATUS_FILTER else "",
            "category": chosen_category,
            "q": query,
        }
        return page(
            request,
            "issues/list.html",
            {
                "council": council,
                "rows": found.rows,
                "more": more_link(filters, found.next),
                "paged": after is not None or found.next is not None,
                "status_options": [
                    (s.value, workflow.label(s)) for s in IssueStatus if s in workflow.PUBLIC
                ],
                "category_options": [(c, c) for c in settings.category_list],
                "filters": filters,
                "can_submit": can(actor, Action.SUBMIT_ISSUE, council.id),
                "can_queue": can(actor, Action.VIEW_ISSUE_QUEUE, council.id),
                "cosign_days": settings.cosign_days,
                # Pending issues are the council's own: the public never sees them (S18).
                "waiting": await service.waiting_for_cosigns(
                    db_session, council, request.app.state.clock.now()
                )
                if can_see(actor, Visibility.COUNCIL, council.id)
                else None,
            },
            fragment="issues/_list.html",
        )

    @get("/stats", name="issues.stats")
    async def stats(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str
    ) -> Template:
        council = await _council(db_session, actor, slug)
        months = await service.monthly_stats(db_session, council)
        categories = sorted({c for m in months for c in m.by_category})
        return page(
            request,
            "issues/stats.html",
            {
                "council": council,
                "months": months,
                "statuses": [s for s in IssueStatus if s in workflow.PUBLIC],
                "categories": categories,
            },
        )

    @get("/new", name="issues.new", guards=[require_login])
    async def new(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.SUBMIT_ISSUE)
        return page(request, "issues/new.html", await _new_context(db_session, actor, council))

    @post(
        "/new",
        name="issues.create",
        guards=[require_login],
        request_max_body_size=UPLOAD_BODY_LIMIT,
    )
    async def create(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        data: MultipartForm,
    ) -> Template | Redirect:
        council = await councils.require(db_session, actor, slug, Action.SUBMIT_ISSUE)
        state = request.app.state
        form = parse_form(IssueForm, data)
        try:
            images = await files.clean_uploads(files.uploads_in(data.get("photos")))
        except ImageRejected as exc:
            raise FormInvalid({"photos": exc.message}, _values(data)) from None
        issue = await service.submit(
            db_session,
            state.storage,
            actor,
            council,
            form,
            images,
            upload_limit=state.settings.uploads_per_person_hour,
            now=state.clock.now(),
        )
        return redirect(service.link(council, issue), "issue_submitted")

    @get("/queue", name="issues.queue", guards=[require_login])
    async def queue(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        status: str = "",
        category: str = "",
        kind: str = "",
        sort: str = "cosigns",
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.VIEW_ISSUE_QUEUE)
        return page(
            request,
            "issues/queue.html",
            await _queue_context(db_session, council, status, category, kind, sort),
        )

    @post("/queue/triage", name="issues.bulk_triage", guards=[require_login])
    async def bulk_triage(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, data: Form
    ) -> Template | Redirect:
        council = await councils.require(db_session, actor, slug, Action.TRIAGE_ISSUES)
        raw = data.get("issue_ids", [])
        values = raw if isinstance(raw, list) else [raw]
        ids = []
        for value in values:
            try:
                ids.append(UUID(str(value)))
            except ValueError:
                continue
        await service.bulk_triage(db_session, actor, council, ids, request.app.state.clock.now())
        return redirect(f"/c/{slug}/issues/queue", "issues_triaged")

    @post("/settings", name="issues.settings", guards=[require_login], page="issues.queue")
    async def settings(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, data: Form
    ) -> Template | Redirect:
        council = await councils.require(db_session, actor, slug, Action.EDIT_SETTINGS)
        form = parse_form(IntakeSettingsForm, data)
        await service.update_settings(
            db_session, actor, council, form, request.app.state.clock.now()
        )
        return redirect(f"/c/{slug}/issues/queue", "settings_saved")

    @get("/{issue_id:uuid}", name="issues.detail")
    async def detail(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, issue_id: UUID
    ) -> Template:
        council = await _council(db_session, actor, slug)
        issue = await service.get_visible(db_session, actor, council, issue_id)
        context = await detail_context(
            db_session, actor, council, issue, request.app.state.clock.now()
        )
        return page(request, "issues/detail.html", context, fragment="issues/_cosign.html")

    @post("/{issue_id:uuid}/cosign", name="issues.cosign", guards=[require_login])
    async def cosign(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, issue_id: UUID
    ) -> Template | Redirect:
        council = await _council(db_session, actor, slug)
        await service.cosign(db_session, actor, council, issue_id, request.app.state.clock.now())
        return await self._after_cosign(request, db_session, actor, council, issue_id, "cosigned")

    @post("/{issue_id:uuid}/uncosign", name="issues.uncosign", guards=[require_login])
    async def uncosign(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, issue_id: UUID
    ) -> Template | Redirect:
        council = await _council(db_session, actor, slug)
        now = request.app.state.clock.now()
        await service.withdraw_cosign(db_session, actor, council, issue_id, now)
        return await self._after_cosign(
            request, db_session, actor, council, issue_id, "cosign_withdrawn"
        )

    async def _after_cosign(
        self,
        request: Request,
        db: AsyncSession,
        actor: Actor,
        council: Council,
        issue_id: UUID,
        notice: str,
    ) -> Template | Redirect:
        """htmx swaps just the co-sign box; without JavaScript the page reloads."""
        issue = await service.get_visible(db, actor, council, issue_id)
        if getattr(request, "htmx", None):
            context = await detail_context(db, actor, council, issue, request.app.state.clock.now())
            return page(request, "issues/detail.html", context, fragment="issues/_cosign.html")
        return redirect(service.link(council, issue), notice)

    @post("/{issue_id:uuid}/withdraw", name="issues.withdraw", guards=[require_login])
    async def withdraw(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, issue_id: UUID
    ) -> Redirect:
        council = await _council(db_session, actor, slug)
        issue = await service.withdraw(
            db_session, actor, council, issue_id, request.app.state.clock.now()
        )
        return redirect(service.link(council, issue), "issue_withdrawn")

    @post("/{issue_id:uuid}/transition", name="issues.transition", guards=[require_login])
    async def transition(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        issue_id: UUID,
        data: Form,
    ) -> Redirect:
        council = await _council(db_session, actor, slug)
        form = parse_form(TransitionForm, data)
        issue = await service.transition(
            db_session, actor, council, issue_id, form, request.app.state.clock.now()
        )
        return redirect(service.link(council, issue), "issue_updated")

    @post("/{issue_id:uuid}/comments", name="issues.comment", guards=[require_login])
    async def comment(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        issue_id: UUID,
        data: Form,
    ) -> Redirect:
        council = await _council(db_session, actor, slug)
        form = parse_form(CommentForm, data)
        row = await service.comment(
            db_session, actor, council, issue_id, form, request.app.state.clock.now()
        )
        return redirect(f"/c/{slug}/issues/{issue_id}#comment-{row.id.hex}", None)


def _values(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if isinstance(v, str)}


async def _queue_context(
    db: AsyncSession, council: Council, status: str, category: str, kind: str, sort: str
) -> dict[str, Any]:
    settings = await service.intake_settings(db, council.id)
    chosen_status = _choice(status, QUEUE_STATUS_FILTER)
    rows = await service.queue(
        db,
        council,
        statuses=[chosen_status] if chosen_status else service.QUEUE_STATUSES,
        category=category if category in settings.category_list else "",
        kind=_choice(kind, KIND_FILTER),
        sort=sort if sort in service.QUEUE_SORTS else "cosigns",
    )
    return {
        "council": council,
        "rows": rows,
        "threshold": settings.cosign_threshold,
        "status_options": [(s.value, workflow.label(s)) for s in IssueStatus],
        "category_options": [(c, c) for c in settings.category_list],
        "kind_options": [(k.value, KIND_LABELS[k]) for k in IssueKind],
        "sort_options": list(service.QUEUE_SORTS.items()),
        "filters": {
            "status": chosen_status.value if chosen_status else "",
            "category": category if category in settings.category_list else "",
            "kind": kind if kind in KIND_FILTER else "",
            "sort": sort if sort in service.QUEUE_SORTS else "cosigns",
        },
        "values": {
            "cosign_threshold": settings.cosign_threshold,
            "cosign_days": settings.cosign_days,
            "categories": settings.categories,
        },
        "errors": {},
    }


async def detail_context(
    db: AsyncSession, actor: Actor, council: Council, issue: Issue, now: dt.datetime
) -> dict[str, Any]:
    submitter = await db.get(Person, issue.submitter_id)
    shop = await db.get(Shop, issue.shop_id) if issue.shop_id else None
    counts = await service.cosign_counts(db, [issue.id])
    photos = (await files.for_parents(db, service.FILE_PARENT, [issue.id])).get(issue.id, [])
    merged_into = await db.get(Issue, issue.merged_into_id) if issue.merged_into_id else None
    is_submitter = actor.person_id == issue.submitter_id
    cosigned = await service.has_cosigned(db, issue, actor.person_id)
    can_triage = can(actor, Action.TRIAGE_ISSUES, council.id)
    return {
        "matters": await links.matters_of(db, issue),
        "council": council,
        "issue": issue,
        "status_label": workflow.label(issue.status),
        "submitter": service.public_label(issue, submitter, shop),
        "contact": submitter
        if submitter and can(actor, Action.VIEW_CONTACTS, council.id)
        else None,
        "cosigns": counts[issue.id],
        "photos": photos,
        "timeline": await service.timeline(db, issue),
        "comments": await service.comments(db, issue),
        "merged_into": merged_into,
        "is_open": issue.status in workflow.OPEN,
        "is_submitter": is_submitter,
        "cosigned": cosigned,
        "can_cosign": issue.status in workflow.OPEN
        and can(actor, Action.COSIGN_ISSUE, council.id)
        and not is_submitter
        and not cosigned,
        "can_comment": can(actor, Action.COMMENT_ISSUE, council.id)
        and issue.status is not IssueStatus.WITHDRAWN,
        "can_triage": can_triage,
        "moves": [
            m
            for m in workflow.offered_moves(issue.status, issue.kind)
            if m is not IssueStatus.WITHDRAWN
        ]
        if can_triage
        else [],
        "labels": workflow.STATUS_LABELS,
        "event_labels": EVENT_LABELS,
        "kind_labels": KIND_LABELS,
        "status_of_order": order_workflow.label,
        **await work_orders.for_issue(db, council, issue.id, issue.category, now),
        "values": {},
        "errors": {},
        "form": "",
    }


KIND_LABELS = {IssueKind.ISSUE: "诉求", IssueKind.PROPOSAL: "提议", IssueKind.SNAP: "随手拍"}
EVENT_LABELS = {
    "submitted": "提交",
    "triaged": "受理",
    "accepted": "立项",
    "merged": "合并到其他诉求",
    "merged_from": "合并了重复诉求",
    "referred": "转办",
    "verified": "核实",
    "rejected": "不予受理",
    "closed": "办结",
    "withdrawn": "撤回",
    "flagged": "附议达到提醒人数",
}
