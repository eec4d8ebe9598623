"""/c/{slug}/ballots: drafting, opening, voting, the live tally, closing and the result."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from council.consultations import links
from council.conventions import service as conventions
from council.councils import constituencies as shape
from council.councils import service as councils
from council.councils.models import Council
from council.councils.permissions import Action, Actor, can
from council.db import write_intent
from council.errors import FormInvalid, NotFound
from council.forms import first_value, parse_form
from council.i18n import _
from council.voting import meetings, schemas
from council.voting import service as voting
from council.voting.models import Ballot, BallotKind, BallotOption, Electorate, Method
from council.voting.workflow import STATUS_LABELS, Status
from council.web.auth import require_login
from council.web.forms import Form
from council.web.render import form_page, more_link, page, redirect


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


@dataclass(frozen=True)
class Confirmation:
    """A choice picked on a vote page, asked back ("确认投 同意？") before it is cast."""

    choices: tuple[str, ...]
    question: str
    shop: str

    @property
    def query(self) -> str:
        """The page's query that asks it again (the phone's poll keeps the question up)."""
        pairs = [("choice", c) for c in self.choices] + ([("shop", self.shop)] if self.shop else [])
        return urlencode(pairs)


def confirmation(
    request: Request,
    options: Sequence[BallotOption],
    multiple: bool,
    shops: Collection[str] = (),
) -> Confirmation | None:
    """The choice the page's query names, to confirm; None unless every code is an option.

    Picking is a GET that changes nothing, so a vote takes one extra tap and no script; the
    vote itself is the confirmation form's POST.
    """
    picked = set(request.query_params.getall("choice", []))
    labels_by_code = {o.code: o.label for o in options}
    if not picked or not picked <= labels_by_code.keys() or (len(picked) > 1 and not multiple):
        return None
    codes = tuple(o.code for o in options if o.code in picked)
    question = _("确认投 %(choice)s？", choice="、".join(labels_by_code[c] for c in codes))
    # A shop is named only if it is one of the voter's own seats: nothing else is echoed.
    shop = request.query_params.get("shop", "")
    return Confirmation(codes, question, shop if shop in shops else "")


def labels() -> dict[str, Any]:
    return {
        "status_labels": STATUS_LABELS,
        "threshold_labels": schemas.THRESHOLD_LABELS,
        "base_labels": schemas.BASE_LABELS,
        "electorate_labels": schemas.ELECTORATE_LABELS,
        "method_labels": schemas.METHOD_LABELS,
        "kind_labels": schemas.KIND_LABELS,
        "fmt_receipt": voting.format_receipt,
    }


async def form_context(
    db: AsyncSession, council: Council, values: dict[str, Any]
) -> dict[str, Any]:
    return {
        **labels(),
        "council": council,
        "constituencies": await councils.constituencies(db, council.id),
        "kind_options": [(k.value, _(v)) for k, v in schemas.KIND_LABELS.items()],
        "electorate_options": [(k.value, _(v)) for k, v in schemas.ELECTORATE_LABELS.items()],
        "threshold_options": [(k, _(v)) for k, v in schemas.THRESHOLD_LABELS.items()],
        "base_options": [(k.value, _(v)) for k, v in schemas.BASE_LABELS.items()],
        "presets": [(k, _(p.label)) for k, p in schemas.PRESETS.items()],
        "values": values,
        "errors": {},
    }


def _preset_values(data: Form) -> dict[str, Any]:
    """The form as typed, with the chosen preset's rules filled over it (nothing is saved)."""
    values: dict[str, Any] = {
        field: first_value(data, field) for field in schemas.BallotForm.__struct_fields__
    }
    values["constituency_ids"] = _as_list(data.get("constituency_ids"))
    preset = schemas.PRESETS.get(str(first_value(data, "preset")))
    if preset is not None:
        values.update(preset.values)
    return values


def _draft_values(ballot: Ballot, options: list[Any], listed: str) -> dict[str, Any]:
    rules = voting.rules_of(ballot)
    return {
        "question": ballot.question,
        "description": ballot.description,
        "kind": ballot.kind.value,
        "options": "\n".join(o.label for o in options if o.code.startswith("o")),
        "multiple": ballot.multiple,
        "electorate": ballot.electorate.value,
        "constituency_ids": json.loads(ballot.electorate_spec or "[]"),
        "listed": listed,
        "method": ballot.method.value,
        "allow_change": ballot.allow_change,
        "pass_rule": rules.passing.threshold.key,
        "pass_base": rules.passing.base.value,
        "quorum_rule": rules.quorum.threshold.key if rules.quorum else "",
        "quorum_measure": rules.quorum.measure.value if rules.quorum else "cast",
    }


class BallotController(Controller):
    path = "/c/{slug:str}/ballots"
    tags = ["voting"]

    @get("/", name="ballots.index")
    async def index(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        after: UUID | None = None,
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        ballots, more = await voting.ballot_page(db_session, actor, council, after=after)
        return page(
            request,
            "ballots/index.html",
            {
                **labels(),
                "council": council,
                "ballots": ballots,
                "more": more_link({}, more),
                "can_manage": can(actor, Action.MANAGE_BALLOTS, council.id),
            },
        )

    @get("/new", name="ballots.new", guards=[require_login])
    async def new(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.MANAGE_BALLOTS)
        return page(request, "ballots/form.html", await form_context(db_session, council, {}))

    @post("/", name="ballots.create", guards=[require_login])
    async def create(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, data: Form
    ) -> Template | Redirect:
        council = await councils.require(db_session, actor, slug, Action.MANAGE_BALLOTS)
        if "preset" in data:
            context = await form_context(db_session, council, _preset_values(data))
            return page(request, "ballots/form.html", context)
        try:
            form = parse_form(schemas.BallotForm, data)
            ballot = await voting.create(
                db_session,
                actor,
                council,
                form,
                request.app.state.clock.now(),
                constituency_ids=_as_list(data.get("constituency_ids")),
            )
        except FormInvalid as exc:
            context = await form_context(db_session, council, exc.values)
            return form_page(request, "ballots/form.html", exc, context)
        return redirect(f"/c/{slug}/ballots/{ballot.id}", "ballot_created")

    @get("/{ballot_id:uuid}/edit", name="ballots.edit", guards=[require_login])
    async def edit(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, ballot_id: UUID
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.MANAGE_BALLOTS)
        ballot = await voting.get(db_session, actor, council, ballot_id)
        options = await voting.options_of(db_session, ballot)
        listed = "\n".join(p.label for p in await voting.prospective_electorate(db_session, ballot))
        context = await form_context(db_session, council, _draft_values(ballot, options, listed))
        context["ballot"] = ballot
        return page(request, "ballots/form.html", context)

    @post("/{ballot_id:uuid}/edit", name="ballots.update", guards=[require_login])
    async def update(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        ballot_id: UUID,
        data: Form,
    ) -> Template | Redirect:
        council = await councils.require(db_session, actor, slug, Action.MANAGE_BALLOTS)
        if "preset" in data:
            context = await form_context(db_session, council, _preset_values(data))
            context["ballot"] = await voting.get(db_session, actor, council, ballot_id)
            return page(request, "ballots/form.html", context)
        try:
            form = parse_form(schemas.BallotForm, data)
            await voting.update_draft(
                db_session,
                actor,
                council,
                ballot_id,
                form,
                request.app.state.clock.now(),
                constituency_ids=_as_list(data.get("constituency_ids")),
            )
        except FormInvalid as exc:
            context = await form_context(db_session, council, exc.values)
            context["ballot"] = await voting.get(db_session, actor, council, ballot_id)
            return form_page(request, "ballots/form.html", exc, context)
        return redirect(f"/c/{slug}/ballots/{ballot_id}", "ballot_saved")

    @get("/{ballot_id:uuid}", name="ballots.detail")
    async def detail(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, ballot_id: UUID
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.VIEW_COUNCIL)
        ballot = await voting.get(db_session, actor, council, ballot_id)
        context = await self._detail_context(db_session, actor, council, ballot)
        if ballot.status is Status.OPEN:
            shops = [s.shop_id.hex for s in context["seats"] if s.shop_id]
            context["confirm"] = confirmation(request, context["options"], ballot.multiple, shops)
        return page(request, "ballots/detail.html", context)

    async def _detail_context(
        self, db: AsyncSession, actor: Actor, council: Council, ballot: Ballot
    ) -> dict[str, Any]:
        options = await voting.options_of(db, ballot)
        closed = ballot.status in (Status.CLOSED, Status.CERTIFIED)
        manage = can(actor, Action.MANAGE_BALLOTS, council.id)
        context: dict[str, Any] = {
            **labels(),
            "council": council,
            "ballot": ballot,
            "options": options,
            "option_labels": {o.code: o.label for o in options},
            "rules": voting.rules_of(ballot),
            "seats": await voting.seats(db, actor, ballot),
            "can_manage": manage,
            "can_tally": can(actor, Action.VIEW_LIVE_TALLY, council.id),
            "closed": closed,
            "secret": ballot.method is Method.SECRET,
            "yes_no": ballot.kind is BallotKind.YES_NO,
            "prospects": [],
            "corrections": await voting.corrections(db, actor, ballot),
            "meeting_vote": await meetings.view(db, ballot) if ballot.meeting_id else None,
            "votes_cast": await voting.participation_count(db, ballot) if manage else 0,
            "convention_vote": await conventions.voted_by(db, ballot.id),
            "matter": await links.matter_of_ballot(db, ballot),
        }
        if ballot.electorate is Electorate.CONSTITUENCIES:
            # As the constituencies stood when the ballot opened (or now, for a draft).
            ids = [UUID(v) for v in json.loads(ballot.electorate_spec or "[]")]
            context["constituencies_then"] = await shape.as_of(db, ids, ballot.opened_at)
        if ballot.status is Status.DRAFT and manage and context["rules"].needs_present:
            context["prospects"] = await voting.prospective_electorate(db, ballot)
        if ballot.status is Status.OPEN and context["can_tally"]:
            context.update(await self._tally_context(db, ballot))
        if closed:
            context["result"] = voting.stored_result(ballot)
            context["receipts"] = await voting.receipts(db, ballot)
            context["verdict"] = await voting.verify(db, ballot)
        return context

    async def _tally_context(self, db: AsyncSession, ballot: Ballot) -> dict[str, Any]:
        # Secret ballots show turnout only while open: a running count watched beside the
        # participation list would tell who chose what.
        secret = ballot.method is Method.SECRET
        return {
            "turnout": await voting.participation_count(db, ballot),
            "live": None if secret else (await voting.count(db, ballot)).counts,
        }

    @get("/{ballot_id:uuid}/tally", name="ballots.tally", guards=[require_login])
    async def tally(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, ballot_id: UUID
    ) -> Template:
        council = await councils.require(db_session, actor, slug, Action.VIEW_LIVE_TALLY)
        ballot = await voting.get(db_session, actor, council, ballot_id)
        if ballot.status is Status.DRAFT:
            raise NotFound(_("找不到这个表决"))
        options = await voting.options_of(db_session, ballot)
        context = {
            **labels(),
            "council": council,
            "ballot": ballot,
            "options": options,
            **await self._tally_context(db_session, ballot),
        }
        return page(request, "ballots/_tally.html", context)

    @post("/{ballot_id:uuid}/open", name="ballots.open", guards=[require_login])
    async def open(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        ballot_id: UUID,
        data: Form,
    ) -> Redirect:
        council = await councils.require(db_session, actor, slug, Action.MANAGE_BALLOTS)
        present = _as_list(data.get("present")) if "present_list" in data else None
        await voting.open_ballot(
            db_session, actor, council, ballot_id, request.app.state.clock.now(), present=present
        )
        return redirect(f"/c/{slug}/ballots/{ballot_id}", "ballot_opened")

    @post("/{ballot_id:uuid}/vote", name="ballots.vote", guards=[require_login])
    async def vote(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        ballot_id: UUID,
        data: Form,
    ) -> Template | Redirect:
        # Only reads here: the vote itself is written by the process's vote writer.
        with write_intent(False):
            council = await councils.require(db_session, actor, slug, Action.CAST_VOTE)
            receipt = await voting.cast(
                db_session,
                actor,
                council,
                ballot_id,
                data,
                request.app.state.clock.now(),
                per_hour=request.app.state.settings.votes_per_person_hour,
                writer=request.app.state.votes,
            )
            headers = {"X-Vote-Receipt": receipt.receipt}
            if receipt.secret:
                # A secret receipt is shown once, here: nothing stored links it to this person.
                ballot = await voting.get(db_session, actor, council, ballot_id)
                response = page(
                    request,
                    "ballots/receipt.html",
                    {**labels(), "council": council, "ballot": ballot, "receipt": receipt},
                )
                response.headers.update(headers)
                return response
        response_redirect = redirect(f"/c/{slug}/ballots/{ballot_id}", "voted")
        response_redirect.headers.update(headers)
        return response_redirect

    @post("/{ballot_id:uuid}/close", name="ballots.close", guards=[require_login])
    async def close(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, ballot_id: UUID
    ) -> Redirect:
        council = await councils.require(db_session, actor, slug, Action.MANAGE_BALLOTS)
        ballot = await voting.close(
            db_session, actor, council, ballot_id, request.app.state.clock.now()
        )
        response = redirect(f"/c/{slug}/ballots/{ballot_id}", "ballot_closed")
        # Every close, first or repeated, answers with the same sealed result (S3).
        response.headers["X-Closing-Hash"] = ballot.closing_hash or ""
        return response

    @post("/{ballot_id:uuid}/reset", name="ballots.reset", guards=[require_login])
    async def reset(
        self,
        request: Request,
        db_session: AsyncSession,
        actor: Actor,
        slug: str,
        ballot_id: UUID,
        data: Form,
    ) -> Redirect:
        council = await councils.require(db_session, actor, slug, Action.MANAGE_BALLOTS)
        form = parse_form(schemas.ResetForm, data)
        await voting.reset(
            db_session, actor, council, ballot_id, form.reason, request.app.state.clock.now()
        )
        return redirect(f"/c/{slug}/ballots/{ballot_id}", "ballot_reset")

    @post("/{ballot_id:uuid}/certify", name="ballots.certify", guards=[require_login])
    async def certify(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, ballot_id: UUID
    ) -> Redirect:
        council = await councils.require(db_session, actor, slug, Action.MANAGE_BALLOTS)
        await voting.certify(db_session, actor, council, ballot_id, request.app.state.clock.now())
        return redirect(f"/c/{slug}/ballots/{ballot_id}", "ballot_certified")

    @post("/{ballot_id:uuid}/correct", name="ballots.correct", guards=[require_login])
    async def correct(
        self, request: Request, db_session: AsyncSession, actor: Actor, slug: str, ballot_id: UUID
    ) -> Redirect:
        council = await councils.require(db_session, actor, slug, Action.MANAGE_BALLOTS)
        new = await voting.correct(
            db_session, actor, council, ballot_id, request.app.state.clock.now()
        )
        return redirect(f"/c/{slug}/ballots/{new.id}/edit", "ballot_created")
