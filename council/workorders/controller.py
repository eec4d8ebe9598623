"""Work-order pages of a council: the queue, an order with the forms of whoever may act on it,
referral from an issue, 吹哨报到, the departments' public scorecards; and 我的待办."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person
from council.councils import service as councils
from council.councils.models import Council
from council.councils.permissions import (
    Action,
    Actor,
    acts_for,
    can,
    may_verify,
    sees_reporter_contact,
)
from council.errors import FormInvalid
from council.files import service as files
from council.files.images import MAX_FILE_BYTES, MAX_FILES, ImageRejected
from council.forms import parse_form
from council.i18n import _
from council.issues import service as issues
from council.issues.models import Issue
from council.web.auth import require_login
from council.web.forms import Form, MultipartForm
from council.web.render import page, redirect
from council.workorders import figures, service, workflow
from council.workorders import service_departments as departments
from council.workorders import service_reads as reads
from council.workorders import service_whistles as whistles
from council.workorders.models import Whistle, WorkOrder
from council.workorders.schemas import (
    DecisionForm,
    ExtensionForm,
    OrderSettingsForm,
    RateForm,
    ReferForm,
    ReplyForm,
    VerifyForm,
    WhistleForm,
)
from council.workorders.workflow import ExtensionStatus, OrderStatus

UPLOAD_BODY_LIMIT = MAX_FILES * MAX_FILE_BYTES + 1024 * 1024
SHOW = {s.value: s for s in reads.Show}


def text_values(data: dict[str, Any]) -> dict[str, Any]:
    """What a person typed, to show again with a refusal (files are never sent back)."""
    return {k: v for k, v in data.items() if isinstance(v, str | list) and k != "_csrf_token"}


def ids_in(data: dict[str, Any], name: str) -> list[UUID]:
    """The ids ticked in a field sent several times (checkboxes); anything else is dropped."""
    raw = data.get(name, [])
    found = []
    for value in raw if isinstance(raw, list) else [raw]:
        try:
            found.append(UUID(str(value)))
        except ValueError:
            continue
    return list(dict.fromkeys(found))


def labels() -> dict[str, Any]:
    return {
        "status_label": workflow.label,
        "kind_label": workflow.kind_label,
        "rating_label": workflow.rating_label,
        "extension_labels": workflow.EXTENSION_LABELS,
        "event_labels": EVENT_LABELS,
        "percent": figures.percent,
    }


async def _council(db: AsyncSession, actor: Actor, slug: str) -> Council:
    return await councils.require(db, actor, slug, Action.VIEW_COUNCIL)


def _now(request: Request) -> dt.datetime:
    return request.app.state.clock.now()


async def order_context(
    db: AsyncSession, actor: Actor, council: Council, order: WorkOrder, now: dt.datetime
) -> dict[str, Any]:
    department = await departments.serving_one(db, council.id, order.department_id)
    issue = await db.get(Issue, order.issue_id) if order.issue_id else None
    whistle = await db.get(Whistle, order.whistle_id) if order.whistle_id else None
    events = await service.timeline(db, order)
    photos = await files.for_parents(db, service.FILE_PARENT, [e.id for e in events])
    issue_photos = (
        (await files.for_parents(db, issues.FILE_PARENT, [issue.id])).get(issue.id, [])
        if issue
        else []
    )
    extensions = await service.extensions(db, order)
    pending = next((x for x in extensions if x.status is ExtensionStatus.PENDING), None)
    reporter = await db.get(Person, order.raised_by_id) if order.raised_by_id else None
    handles = acts_for(actor, council.id, order.department_id)
    runs = can(actor, Action.DISPATCH_ORDERS, council.id)
    verifies = may_verify(actor, council.id, order.raised_by_id)
    with_department = order.status in workflow.WITH_DEPARTMENT
    awaiting_arrival = order.whistle_id is not None and order.arrived_at is None
    facts = reads.facts_of(order)
    settings = await departments.order_settings(db, council.id)
    return {
        "council": council,
        "order": order,
        "department": department,
        "issue": issue,
        "issue_photos": issue_photos,
        "whistle": whistle,
        "events": events,
        "photos": photos,
        "extensions": extensions,
        "pending": pending,
        "reporter": reporter
        if reporter and sees_reporter_contact(actor, council.id, order.department_id)
        else None,
        "overdue": figures.overdue(facts, now),
        "due_soon": figures.due_soon(facts, now, settings.remind_hours),
        "can_arrive": handles and awaiting_arrival,
        "can_accept": handles and order.status is OrderStatus.DISPATCHED and not awaiting_arrival,
        "can_reply": handles and order.status is OrderStatus.ACCEPTED and not awaiting_arrival,
        "can_extend": handles and with_department and pending is None,
        "can_decide": runs and pending is not None,
        "can_verify": verifies and order.status is OrderStatus.REPLIED,
        "can_close": runs and order.status is OrderStatus.VERIFIED,
        "can_rate": verifies and order.status is OrderStatus.CLOSED,
        "rating_options": [(r.value, workflow.rating_label(r)) for r in workflow.Rating],
        "max_files": MAX_FILES,
        "max_mb": MAX_FILE_BYTES // (1024 * 1024),
        "values": {},
        "errors": {},
        "form": "",
        **labels(),
    }


Act = Callable[[Council], Awaitable[str]]


class WorkOrderController(Controller):
    path = "/c/{slug:str}"
    tags = ["workorders"]

    # --- the queue and the council's time limits ----------------------------------------------

    async def _queue_context(
        self,
        db: AsyncSession,
        actor: Actor,
        council: Council,
        now: dt.datetime,
        show: str = "",
        department: str = "",
    ) -> dict[str, Any]:
        serving = await departments.serving(db, council.id)
        chosen = next((d for d in serving if d.id.hex == department), None)
        shown = SHOW.get(show, reads.Show.OPEN)
        settings = await departments.order_settings(db, council.id)
        return {
            "council": council,
            "rows": await reads.queue(
                db, council, now, show=shown, department_id=chosen.id if chosen else None
            ),
            "filters": {"show": shown.value, "department": chosen.id.hex if chosen else ""},
            "show_options": [(s.value, _(reads.SHOW_LABELS[s])) for s in reads.Show],
            "department_options": [(d.id.hex, d.name) for d in serving],
            "settings": settings,
            "values": {
                "inquiry_days": settings.inquiry_days,
                "complaint_days": settings.complaint_days,
                "arrival_minutes": settings.arrival_minutes,
                "remind_hours": settings.remind_hours,
            },
            "errors": {},
            **labels(),
        }

    @get("/orders", name="orders.queue")
    async def queue(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        show: str = "",
        department: str = "",
    ) -> Template:
        council = await _council(db_session, actor, slug)
        context = await self._queue_context(
            db_session, actor, council, _now(request), show, department
        )
        return page(request, "workorders/queue.html", context)

    @post("/orders/settings", name="orders.settings", guards=[require_login])
    async def settings(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, data: Form
    ) -> Template | Redirect:
        council = await councils.require(db_session, actor, slug, Action.EDIT_SETTINGS)
        now = _now(request)
        form = parse_form(OrderSettingsForm, data)
        await departments.update_settings(db_session, actor, council, form, now)
        return redirect(f"/c/{slug}/orders", "settings_saved")

    # --- one order ------------------------------------------------------------------------------

    @get("/orders/{order_id:uuid}", name="orders.detail")
    async def detail(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, order_id: UUID
    ) -> Template:
        council = await _council(db_session, actor, slug)
        order = await service.get(db_session, council, order_id)
        context = await order_context(db_session, actor, council, order, _now(request))
        return page(request, "workorders/order.html", context)

    @post(
        "/orders/{order_id:uuid}/accept",
        name="orders.accept",
        guards=[require_login],
        form="accept",
    )
    async def accept(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, order_id: UUID
    ) -> Redirect:
        council = await _council(db_session, actor, slug)
        await service.accept(db_session, actor, council, order_id, _now(request))
        return redirect(f"/c/{slug}/orders/{order_id}", "order_accepted")

    @post(
        "/orders/{order_id:uuid}/arrive",
        name="orders.arrive",
        guards=[require_login],
        form="arrive",
    )
    async def arrive(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, order_id: UUID
    ) -> Redirect:
        council = await _council(db_session, actor, slug)
        await whistles.arrive(db_session, actor, council, order_id, _now(request))
        return redirect(f"/c/{slug}/orders/{order_id}", "order_arrived")

    @post(
        "/orders/{order_id:uuid}/reply",
        name="orders.reply",
        guards=[require_login],
        request_max_body_size=UPLOAD_BODY_LIMIT,
        form="reply",
    )
    async def reply(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        order_id: UUID,
        data: MultipartForm,
    ) -> Redirect:
        state = request.app.state
        council = await _council(db_session, actor, slug)
        form = parse_form(ReplyForm, data)
        try:
            images = await files.clean_uploads(files.uploads_in(data.get("photos")))
        except ImageRejected as exc:
            raise FormInvalid({"photos": exc.message}, text_values(data)) from None
        await service.reply(
            db_session,
            state.storage,
            actor,
            council,
            order_id,
            form,
            images,
            upload_limit=state.settings.uploads_per_person_hour,
            now=_now(request),
        )
        return redirect(f"/c/{slug}/orders/{order_id}", "order_replied")

    @post(
        "/orders/{order_id:uuid}/extension",
        name="orders.extension",
        guards=[require_login],
        form="extension",
    )
    async def extension(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        order_id: UUID,
        data: Form,
    ) -> Redirect:
        council = await _council(db_session, actor, slug)
        form = parse_form(ExtensionForm, data)
        await service.request_extension(db_session, actor, council, order_id, form, _now(request))
        return redirect(f"/c/{slug}/orders/{order_id}", "extension_requested")

    @post(
        "/orders/{order_id:uuid}/extensions/{extension_id:uuid}",
        name="orders.decide_extension",
        guards=[require_login],
        form="decide",
    )
    async def decide_extension(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        order_id: UUID,
        extension_id: UUID,
        data: Form,
    ) -> Redirect:
        council = await _council(db_session, actor, slug)
        form = parse_form(DecisionForm, data)
        await service.decide_extension(
            db_session, actor, council, order_id, extension_id, form, _now(request)
        )
        return redirect(f"/c/{slug}/orders/{order_id}", "extension_decided")

    @post(
        "/orders/{order_id:uuid}/verify",
        name="orders.verify",
        guards=[require_login],
        form="verify",
    )
    async def verify(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        order_id: UUID,
        data: Form,
    ) -> Redirect:
        council = await _council(db_session, actor, slug)
        form = parse_form(VerifyForm, data)
        order = await service.verify(db_session, actor, council, order_id, form, _now(request))
        return redirect(
            f"/c/{slug}/orders/{order_id}",
            "order_verified" if order.status is OrderStatus.VERIFIED else "order_returned",
        )

    @post(
        "/orders/{order_id:uuid}/close", name="orders.close", guards=[require_login], form="close"
    )
    async def close(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, order_id: UUID
    ) -> Redirect:
        council = await _council(db_session, actor, slug)
        await service.close(db_session, actor, council, order_id, _now(request))
        return redirect(f"/c/{slug}/orders/{order_id}", "order_closed")

    @post("/orders/{order_id:uuid}/rate", name="orders.rate", guards=[require_login], form="rate")
    async def rate(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        order_id: UUID,
        data: Form,
    ) -> Redirect:
        council = await _council(db_session, actor, slug)
        form = parse_form(RateForm, data)
        await service.rate(db_session, actor, council, order_id, form, _now(request))
        return redirect(f"/c/{slug}/orders/{order_id}", "order_rated")

    # --- referral from an issue -------------------------------------------------------------

    @post(
        "/issues/{issue_id:uuid}/refer", name="issues.refer", guards=[require_login], form="refer"
    )
    async def refer(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        issue_id: UUID,
        data: Form,
    ) -> Template | Redirect:
        """转办 from the issue page."""
        council = await councils.require(db_session, actor, slug, Action.DISPATCH_ORDERS)
        form = parse_form(ReferForm, data)
        order = await service.refer(db_session, actor, council, issue_id, form, _now(request))
        return redirect(service.link(council, order), "order_dispatched")

    # --- 吹哨报到 -----------------------------------------------------------------------------

    @get("/whistles", name="whistles.list")
    async def whistle_list(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str
    ) -> Template:
        council = await _council(db_session, actor, slug)
        records = await whistles.listing(db_session, council)
        return page(request, "workorders/whistles.html", {"council": council, "records": records})

    async def _whistle_form(
        self, db: AsyncSession, council: Council, values: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        settings = await departments.order_settings(db, council.id)
        return {
            "council": council,
            "department_options": [
                (d.id.hex, d.name) for d in await departments.serving(db, council.id)
            ],
            "values": values or {"minutes": settings.arrival_minutes, "departments": []},
            "errors": {},
        }

    @get("/whistles/new", name="whistles.new", guards=[require_login])
    async def whistle_new(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, issue: str = ""
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.DISPATCH_ORDERS)
        context = await self._whistle_form(db_session, council)
        context["values"]["issue_number"] = issue[:12]
        return page(request, "workorders/whistle_new.html", context)

    @post("/whistles", name="whistles.create", guards=[require_login], page="whistles.new")
    async def whistle_create(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, data: Form
    ) -> Template | Redirect:
        council = await councils.require(db_session, actor, slug, Action.DISPATCH_ORDERS)
        chosen = [i.hex for i in ids_in(data, "departments")]
        form = parse_form(WhistleForm, data)
        whistle = await whistles.summon(db_session, actor, council, form, chosen, _now(request))
        return redirect(whistles.link(council, whistle), "whistle_summoned")

    @get("/whistles/{whistle_id:uuid}", name="whistles.detail")
    async def whistle_detail(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, whistle_id: UUID
    ) -> Template:
        council = await _council(db_session, actor, slug)
        whistle = await whistles.get(db_session, council, whistle_id)
        record = await whistles.record(db_session, whistle)
        return page(
            request,
            "workorders/whistle.html",
            {"council": council, "record": record, **labels()},
        )

    # --- the departments' public scorecards ---------------------------------------------------

    @get("/departments", name="departments.list")
    async def department_list(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str
    ) -> Template:
        council = await _council(db_session, actor, slug)
        cards = await reads.scorecards(db_session, council, _now(request))
        return page(
            request,
            "workorders/departments.html",
            {
                "council": council,
                "cards": cards,
                "month": cards[0].month if cards else "",
                **labels(),
            },
        )

    @get("/departments/{department_id:uuid}", name="departments.detail")
    async def department_detail(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        department_id: UUID,
        month: str = "",
        figure: str = "",
    ) -> Template:
        """A department's months, its open orders (overdue flagged) and, for one figure of
        one month, the orders behind it."""
        council = await _council(db_session, actor, slug)
        department = await departments.department_serving(db_session, council, department_id)
        now = _now(request)
        months = await reads.monthly(db_session, council, department, now)
        shown = [m for m, _f in months]
        chosen = month if month in shown else ""
        figure = figure if figure in figures.FIGURES and chosen else ""
        return page(
            request,
            "workorders/department.html",
            {
                "council": council,
                "department": department,
                "months": months,
                "open_rows": await reads.queue(
                    db_session, council, now, show=reads.Show.OPEN, department_id=department.id
                ),
                "month": chosen,
                "figure": figure,
                "figure_label": _(figures.FIGURES[figure][0]) if figure else "",
                "behind": await reads.behind(db_session, council, department, chosen, figure, now)
                if figure
                else [],
                "figure_names": [(k, _(v[0])) for k, v in figures.FIGURES.items()],
                **labels(),
            },
        )


class MyOrdersController(Controller):
    tags = ["workorders"]

    @get("/me/orders", name="orders.todo", guards=[require_login])
    async def todo(self, request: Request, db_session: AsyncSession, actor: Actor) -> Template:
        items = await reads.todo(db_session, actor, _now(request))
        return page(request, "workorders/todo.html", {"items": items, **labels()})


EVENT_LABELS = {
    "dispatched": "登记派发",
    "accepted": "签收",
    "arrived": "到场报到",
    "replied": "处置反馈",
    "verified": "核查：满意",
    "returned": "核查：不满意，退回重办",
    "closed": "结案",
    "rated": "评价",
    "extension_requested": "申请延期",
    "extension_approved": "批准延期",
    "extension_refused": "不批准延期",
    "reminded": "到期提醒",
}
