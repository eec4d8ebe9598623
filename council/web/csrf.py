"""CSRF tokens bound to the browser's session, never copied from a cookie into a page.

Litestar's CSRF middleware hands the ``csrftoken`` cookie back as the token, unverified, so a
planted cookie value reaches every page's markup (CVE-2026-48060), and a token stays valid
across sign-in and in any other session that carries the same cookie. Here the token is an
HMAC, under the server's secret, of two things the browser holds:

- a signed random secret in the CSRF cookie (so anonymous forms such as sign-in are covered),
- the session cookie as sent (so the token of one session is refused in another).

A cookie whose signature does not verify is replaced, never echoed. The expected token is put
where Litestar's templates read it (``csrf_token()``, ``csrf_input``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING, Any

from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.enums import RequestEncodingType
from litestar.exceptions import PermissionDeniedException
from litestar.utils.scope.state import ScopeState

from council.web.auth import session_cookie_name

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

    from council.settings import Settings

HEADER = "x-csrftoken"
FIELD = "_csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
EXCLUDE_OPT = "exclude_from_csrf"


def cookie_name(settings: Settings) -> str:
    # The __Host- prefix stops a sibling subdomain from planting the cookie (HTTPS only).
    return "__Host-csrftoken" if settings.https else "csrftoken"


class CsrfMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.key = hashlib.sha256(f"csrf|{settings.secret_key}".encode()).digest()
        self.cookie = cookie_name(settings)
        self.session_cookie = session_cookie_name(settings)

    def _sign(self, value: str) -> str:
        return hmac.new(self.key, value.encode(), hashlib.sha256).hexdigest()

    def _browser_secret(self, cookie: str | None) -> str | None:
        """The random part of a CSRF cookie this server issued, or None for anything else."""
        if not cookie or len(cookie) != 128:
            return None
        secret, signature = cookie[:64], cookie[64:]
        return secret if hmac.compare_digest(signature, self._sign(f"cookie|{secret}")) else None

    def token_for(self, browser_secret: str, session: str) -> str:
        return self._sign(f"token|{browser_secret}|{session}")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = scope.get("route_handler")
        if scope["type"] != "http" or (handler is not None and handler.opt.get(EXCLUDE_OPT)):
            await self.app(scope, receive, send)
            return
        request: Any = scope["litestar_app"].request_class(scope=scope, receive=receive)
        secret = self._browser_secret(request.cookies.get(self.cookie))
        new_cookie = None
        if secret is None:
            secret = secrets.token_hex(32)
            new_cookie = secret + self._sign(f"cookie|{secret}")
        expected = self.token_for(secret, request.cookies.get(self.session_cookie, ""))
        if scope["method"] not in SAFE_METHODS:
            given = request.headers.get(HEADER)
            content_type, _ = request.content_type
            if not given and content_type in {
                RequestEncodingType.URL_ENCODED,
                RequestEncodingType.MULTI_PART,
            }:
                given = (await request.form()).get(FIELD)
            # A new cookie means the browser had none that this server issued: nothing to match.
            if new_cookie or not isinstance(given, str):
                raise PermissionDeniedException("CSRF token verification failed")
            if not hmac.compare_digest(given.encode(), expected.encode()):
                raise PermissionDeniedException("CSRF token verification failed")
        ScopeState.from_scope(scope).csrf_token = expected
        if new_cookie is None:
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                cookie = Cookie(
                    key=self.cookie,
                    value=new_cookie,
                    path="/",
                    secure=self.settings.https,
                    httponly=True,
                    samesite="lax",
                )
                headers.add("set-cookie", cookie.to_header(header=""))
            await send(message)

        await self.app(scope, receive, send_with_cookie)
