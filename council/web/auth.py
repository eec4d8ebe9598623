"""Who is asking: the session cookie resolved to an Actor, and the guards that need one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person
from council.councils.permissions import ANONYMOUS, Actor
from council.errors import NotFound
from council.i18n import _

if TYPE_CHECKING:
    from council.accounts.sessions import SessionCache
    from council.settings import Settings

SESSION_COOKIE = "council_session"


def session_cookie_name(settings: Settings) -> str:
    # The __Host- prefix pins the cookie to this exact origin; browsers only accept it on HTTPS.
    return f"__Host-{SESSION_COOKIE}" if settings.https else SESSION_COOKIE


class SessionAuthMiddleware(AbstractAuthenticationMiddleware):
    """Resolve the session cookie on every request; anonymous visitors pass as ANONYMOUS.

    The session and roles come from the process's session cache, which checks the person's
    auth version on every request (``council.accounts.sessions``): removing a role, disabling
    a person or signing out takes effect on their very next request, in every process.
    """

    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        state = connection.app.state
        token = connection.cookies.get(session_cookie_name(state.settings), "")
        if not token:
            return AuthenticationResult(user=ANONYMOUS, auth=None)
        sessions: SessionCache = state.sessions
        actor = await sessions.actor(token, state.clock.now())
        return AuthenticationResult(user=actor or ANONYMOUS, auth=None)


def actor_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Actor:
    user = connection.scope.get("user")
    return user if isinstance(user, Actor) else ANONYMOUS


def require_login(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
    """Guard: a signed-in person (the page sends others to sign in)."""
    if not actor_of(connection).signed_in:
        raise NotAuthorizedException(_("请先登录"))


def require_admin(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
    """Guard: the platform administrator; everyone else is told the page does not exist."""
    actor = actor_of(connection)
    if not actor.signed_in:
        raise NotAuthorizedException(_("请先登录"))
    if not actor.is_admin:
        raise NotFound(_("找不到这个页面"))


async def provide_actor(request: Request[Any, Any, Any]) -> Actor:
    return actor_of(request)


async def current_person(db: AsyncSession, actor: Actor) -> Person:
    person = await db.get(Person, actor.person_id) if actor.person_id else None
    if person is None:
        raise NotAuthorizedException(_("请先登录"))
    return person
