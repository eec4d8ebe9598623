"""Sign up, sign in, sign out, change password."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts import service
from council.accounts.schemas import ChangePasswordForm, SignInForm, SignUpForm
from council.councils.permissions import Actor
from council.errors import FormInvalid, Throttled
from council.forms import parse_form
from council.web.auth import current_person, require_login, session_cookie_name
from council.web.forms import Form
from council.web.render import form_page, page, redirect
from council.web.security import client_ip


def _safe_next(target: str) -> str:
    """Only local paths: never an open redirect to another site."""
    if target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/me"


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


class AccountController(Controller):
    tags = ["accounts"]

    @get("/signin", name="accounts.signin")
    async def signin_form(self, request: Request, next: str = "") -> Template:
        return page(request, "accounts/signin.html", {"values": {"next": next}, "errors": {}})

    @post("/signin", name="accounts.signin_post")
    async def signin(self, request: Request, db_session: AsyncSession, data: Form) -> Any:
        state = request.app.state
        now = state.clock.now()
        attempt = service.SignInAttempt(
            ip=client_ip(request.scope, state.settings.trusted_proxies), now=now
        )
        try:
            form = parse_form(SignInForm, data)
            person = await service.authenticate(db_session, form, attempt, state.settings)
        except (FormInvalid, Throttled) as exc:
            # Failed attempts must count even though the request fails: keep the counters.
            await db_session.commit()
            if isinstance(exc, Throttled):
                raise
            return form_page(request, "accounts/signin.html", exc)
        old = request.cookies.get(session_cookie_name(state.settings))
        if old:
            await service.end_session(db_session, old)
        token = await service.start_session(db_session, person, state.settings, now)
        response = redirect(_safe_next(form.next), "signed_in")
        return _with_session_cookie(response, request, token)

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
    async def signup(self, request: Request, db_session: AsyncSession, data: Form) -> Any:
        state = request.app.state
        try:
            form = parse_form(SignUpForm, data)
            person = await service.sign_up(db_session, form)
        except FormInvalid as exc:
            return form_page(request, "accounts/signup.html", exc)
        token = await service.start_session(db_session, person, state.settings, state.clock.now())
        return _with_session_cookie(redirect("/me", "signed_up"), request, token)

    @get("/me/password", name="accounts.password", guards=[require_login])
    async def password_form(self, request: Request) -> Template:
        return page(request, "accounts/password.html", {"values": {}, "errors": {}})

    @post("/me/password", name="accounts.password_post", guards=[require_login])
    async def change_password(
        self, request: Request, db_session: AsyncSession, actor: Actor, data: Form
    ) -> Any:
        state = request.app.state
        person = await current_person(db_session, actor)
        try:
            form = parse_form(ChangePasswordForm, data)
            await service.change_password(db_session, person, form)
        except FormInvalid as exc:
            return form_page(request, "accounts/password.html", exc)
        # Every other browser is signed out; this one gets a fresh session.
        await service.end_all_sessions(db_session, person.id)
        token = await service.start_session(db_session, person, state.settings, state.clock.now())
        return _with_session_cookie(redirect("/me", "password_changed"), request, token)
