"""Sign up, sign in (with a second factor when turned on), sign out, change password."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Response, Template
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts import second_factor, service, setup
from council.accounts.models import Person
from council.accounts.schemas import (
    ChangePasswordForm,
    CodeForm,
    DisableSecondFactorForm,
    SignInForm,
    SignUpForm,
)
from council.councils.permissions import Actor
from council.errors import FormInvalid, NotFound, Throttled
from council.forms import parse_form
from council.i18n import _
from council.web.auth import current_person, require_login, session_cookie_name
from council.web.forms import Form
from council.web.qr import qr_svg, svg_response
from council.web.render import page, redirect
from council.web.security import client_ip


def _safe_next(target: str) -> str:
    """Only local paths: never an open redirect to another site."""
    if target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/me/todo"


def _landing(person: Person, target: str) -> Redirect:
    """Where sign-in leads: where the person was going, unless their password is an initial
    one that someone else chose and saw; then to changing it first, at every sign-in."""
    if person.must_change_password:
        return redirect(f"/me/password?next={quote(_safe_next(target))}", "initial_password")
    return redirect(_safe_next(target), "signed_in")


def _with_session_cookie(response: Redirect, request: Request, token: str | None) -> Redirect:
    settings = request.app.state.settings
    name = session_cookie_name(settings)
    if token is None:
        response.delete_cookie(name, path="/")
    else:
        response.set_cookie(
            name,
            token,
            path="/",
            httponly=True,
            secure=settings.https,
            samesite="lax",
            max_age=settings.session_absolute_hours * 3600,
        )
    return response


def _attempt(request: Request) -> service.Attempt:
    state = request.app.state
    return service.Attempt(
        ip=client_ip(request.scope, state.settings.trusted_proxies), now=state.clock.now()
    )


class AccountController(Controller):
    tags = ["accounts"]

    @get("/setup", name="accounts.setup")
    async def setup_form(self, request: Request, db_session: AsyncSession) -> Template:
        """The first administrator of an empty instance; gone once one exists."""
        if not await setup.needs_setup(db_session):
            raise NotFound(_("找不到这个页面"))
        state = request.app.state
        now = state.clock.now()
        if code := await setup.setup_code(db_session, state.settings, now, make=False):
            # Printed again on the server, for whoever lost the line printed at start.
            setup.announce(code, state.settings.base_url)
        return page(request, "accounts/setup.html", {"values": {}, "errors": {}})

    @post("/setup", name="accounts.setup_post")
    async def setup(self, request: Request, db_session: AsyncSession, data: Form) -> Redirect:
        state = request.app.state
        if not await setup.needs_setup(db_session):
            raise NotFound(_("找不到这个页面"))
        try:
            form = parse_form(setup.SetupForm, data)
            person = await setup.claim(db_session, form, _attempt(request), state.settings)
        except FormInvalid:
            await db_session.commit()  # a wrong code counts, although it is refused
            raise
        token = await service.start_session(db_session, person, state.settings, state.clock.now())
        return _with_session_cookie(redirect("/admin", "admin_created"), request, token)

    @get("/signin", name="accounts.signin")
    async def signin_form(self, request: Request, next: str = "") -> Template:
        return page(request, "accounts/signin.html", {"values": {"next": next}, "errors": {}})

    @post("/signin", name="accounts.signin_post")
    async def signin(
        self, request: Request, db_session: AsyncSession, data: Form
    ) -> Template | Redirect:
        state = request.app.state
        attempt = _attempt(request)
        now = attempt.now
        try:
            form = parse_form(SignInForm, data)
            person = await service.authenticate(db_session, form, attempt, state.settings)
        except (FormInvalid, Throttled):
            # Failed attempts must count even though the request fails: keep the counters.
            await db_session.commit()
            raise
        old = request.cookies.get(session_cookie_name(state.settings))
        if old:
            await service.end_session(db_session, old)
        if second_factor.enabled(person):
            token = await service.start_session(
                db_session, person, state.settings, now, second_factor_pending=True
            )
            target = f"/signin/code?next={quote(_safe_next(form.next))}"
            return _with_session_cookie(redirect(target), request, token)
        token = await service.start_session(db_session, person, state.settings, now)
        return _with_session_cookie(_landing(person, form.next), request, token)

    @get("/signin/code", name="accounts.signin_code")
    async def code_form(
        self, request: Request, db_session: AsyncSession, next: str = ""
    ) -> Template | Redirect:
        token = request.cookies.get(session_cookie_name(request.app.state.settings), "")
        if await service.pending_person(db_session, token, request.app.state.clock.now()) is None:
            return redirect("/signin", "signin_again")
        return page(request, "accounts/code.html", {"values": {"next": next}, "errors": {}})

    @post("/signin/code", name="accounts.signin_code_post")
    async def code(
        self, request: Request, db_session: AsyncSession, data: Form
    ) -> Template | Redirect:
        state = request.app.state
        now = state.clock.now()
        token = request.cookies.get(session_cookie_name(state.settings), "")
        person = await service.pending_person(db_session, token, now)
        if person is None:
            return _with_session_cookie(redirect("/signin", "signin_again"), request, None)
        try:
            form = parse_form(CodeForm, data)
            await second_factor.check_sign_in_code(
                db_session, person, form.code, state.settings.signin_failures_per_account_hour, now
            )
        except (FormInvalid, Throttled):
            await db_session.commit()  # failed codes count, as failed passwords do
            raise
        await service.end_session(db_session, token)
        fresh = await service.start_session(db_session, person, state.settings, now)
        return _with_session_cookie(_landing(person, form.next), request, fresh)

    @post("/signout", name="accounts.signout")
    async def signout(self, request: Request, db_session: AsyncSession) -> Redirect:
        token = request.cookies.get(session_cookie_name(request.app.state.settings))
        if token:
            await service.end_session(db_session, token)
        return _with_session_cookie(redirect("/", "signed_out"), request, None)

    @get("/signup", name="accounts.signup")
    async def signup_form(self, request: Request) -> Template:
        return page(request, "accounts/signup.html", {"values": {}, "errors": {}})

    @post("/signup", name="accounts.signup_post")
    async def signup(
        self, request: Request, db_session: AsyncSession, data: Form
    ) -> Template | Redirect:
        state = request.app.state
        try:
            form = parse_form(SignUpForm, data)
            person = await service.sign_up(db_session, form, _attempt(request), state.settings)
        except FormInvalid:
            await db_session.commit()  # a taken login was answered: the probe counts
            raise
        token = await service.start_session(db_session, person, state.settings, state.clock.now())
        return _with_session_cookie(redirect("/me", "signed_up"), request, token)

    @get("/me/two-factor", name="accounts.second_factor", guards=[require_login])
    async def second_factor_page(
        self, request: Request, db_session: AsyncSession, actor: Actor
    ) -> Template:
        person = await current_person(db_session, actor)
        return page(request, "accounts/second_factor.html", _second_factor_context(person))

    @get("/me/two-factor/qr.svg", name="accounts.second_factor_qr", guards=[require_login])
    async def second_factor_qr(self, db_session: AsyncSession, actor: Actor) -> Response[str]:
        """The enrolment QR code, only while an enrolment awaits its first code."""
        person = await current_person(db_session, actor)
        if person.totp_secret is None or second_factor.enabled(person):
            raise NotFound(_("找不到这个页面"))
        uri = second_factor.provisioning_uri(person, person.totp_secret)
        return svg_response(qr_svg(uri), "private, no-store")

    @post("/me/two-factor/begin", name="accounts.second_factor_begin", guards=[require_login])
    async def second_factor_begin(self, db_session: AsyncSession, actor: Actor) -> Redirect:
        await second_factor.begin(db_session, await current_person(db_session, actor))
        return redirect("/me/two-factor")

    @post("/me/two-factor/confirm", name="accounts.second_factor_confirm", guards=[require_login])
    async def second_factor_confirm(
        self, request: Request, db_session: AsyncSession, actor: Actor, data: Form
    ) -> Template | Redirect:
        person = await current_person(db_session, actor)
        form = parse_form(CodeForm, data)
        await second_factor.confirm(db_session, person, form.code, request.app.state.clock.now())
        return redirect("/me/two-factor", "second_factor_on")

    @post("/me/two-factor/disable", name="accounts.second_factor_disable", guards=[require_login])
    async def second_factor_disable(
        self, request: Request, db_session: AsyncSession, actor: Actor, data: Form
    ) -> Template | Redirect:
        person = await current_person(db_session, actor)
        try:
            form = parse_form(DisableSecondFactorForm, data)
            state = request.app.state
            await second_factor.disable(
                db_session, person, form.password, form.code, state.settings, state.clock.now()
            )
        except FormInvalid:
            await db_session.commit()  # a wrong password counts, as on /me/password
            raise
        return redirect("/me/two-factor", "second_factor_off")

    @get("/me/password", name="accounts.password", guards=[require_login])
    async def password_form(
        self, request: Request, db_session: AsyncSession, actor: Actor, next: str = ""
    ) -> Template:
        person = await current_person(db_session, actor)
        return page(request, "accounts/password.html", _password_context(person, next))

    @post("/me/password", name="accounts.password_post", guards=[require_login])
    async def change_password(
        self, request: Request, db_session: AsyncSession, actor: Actor, data: Form
    ) -> Template | Redirect:
        state = request.app.state
        person = await current_person(db_session, actor)
        try:
            form = parse_form(ChangePasswordForm, data)
            await service.change_password(
                db_session, person, form, state.settings, state.clock.now()
            )
        except FormInvalid:
            await db_session.commit()  # a wrong current password counts
            raise
        # Every other browser is signed out; this one gets a fresh session.
        await service.end_all_sessions(db_session, person.id)
        token = await service.start_session(db_session, person, state.settings, state.clock.now())
        # Sent here by sign-in (an initial password): on to where sign-in was going.
        target = _safe_next(form.next) if form.next else "/me"
        return _with_session_cookie(redirect(target, "password_changed"), request, token)


def _password_context(person: Person, next: str) -> dict[str, Any]:
    return {"person": person, "values": {"next": _safe_next(next) if next else ""}, "errors": {}}


def _second_factor_context(person: Person) -> dict[str, Any]:
    secret = person.totp_secret
    pending = secret is not None and not second_factor.enabled(person)
    return {
        "person": person,
        "enabled": second_factor.enabled(person),
        "pending": pending,
        "secret": second_factor.grouped(secret) if pending and secret else "",
        "values": {},
        "errors": {},
    }
