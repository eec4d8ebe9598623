"""Run a request again when PostgreSQL aborts its transaction as retryable (S35).

A request's transaction spans the handler and the commit made as its response starts
(``council.db.request_transaction``). When PostgreSQL aborts it with SQLSTATE 40001
(serialization_failure) or 40P01 (deadlock_detected), nothing of it was written and nothing
reached the client yet, so the whole request runs again from the start: a fresh scope, a fresh
session, the same body replayed. After the last attempt the person is told to try again later
(503) and, again, nothing was written.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import TYPE_CHECKING

from litestar import Request

from council.db import database_error, end_request_session, is_retryable, sqlstate_of
from council.i18n import _
from council.web.errors import error_response

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("council.retry")

RETRIES = 3  # runs after the first: four attempts in all
BACKOFF = 0.02  # seconds before the first retry, doubled for each next one, jittered ±50 %
_jitter = secrets.SystemRandom()


class _Replay:
    """The request's receive channel, recorded as the app reads it, so that a retry reads the
    same body. Only what was read is kept: the body limit is enforced by the app as before."""

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self._seen: list[Message] = []
        self._position = 0

    async def receive(self) -> Message:
        if self._position < len(self._seen):
            message = self._seen[self._position]
        else:
            message = await self._receive()
            self._seen.append(message)
        self._position += 1
        return message

    def rewind(self) -> None:
        self._position = 0


class RetryMiddleware:
    """Outside Litestar's exception handling (which lets retryable errors through, see
    ``web/errors.py``) and inside the before-send hooks that commit, so it sees both a failed
    statement and a failed commit, before either could reach the client."""

    def __init__(
        self,
        app: ASGIApp,
        session_scope_key: str,
        *,
        retries: int = RETRIES,
        backoff: float = BACKOFF,
    ) -> None:
        self.app = app
        self.session_scope_key = session_scope_key
        self.retries = retries
        self.backoff = backoff

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # The before-send hooks hold this very scope object: it is reset in place, not copied.
        pristine = dict(scope)
        pristine_state = dict(scope.get("state", {}))
        replay = _Replay(receive)
        for attempt in range(self.retries + 1):
            started = False

            async def send_once_started(message: Message) -> None:
                nonlocal started
                await send(message)  # the commit runs in here, before the client sees anything
                if message["type"] == "http.response.start":
                    started = True

            try:
                await self.app(scope, replay.receive, send_once_started)
                return
            except Exception as exc:
                # A session the response never ended (the error escaped the handlers) holds
                # its locks until rolled back: end it before anything runs again.
                await end_request_session(scope, self.session_scope_key, commit=False)
                if started or database_error(exc) is None:
                    raise
                if not is_retryable(exc):
                    # Only a failed commit gets here: the handlers render every other error.
                    log.exception("commit failed on %s %s", scope["method"], scope["path"])
                    await self._try_later(scope, replay.receive, send)
                    return
                code = sqlstate_of(exc)
            if attempt == self.retries:
                break
            log.warning(
                "retrying %s %s after SQLSTATE %s (attempt %d of %d)",
                scope["method"],
                scope["path"],
                code,
                attempt + 2,
                self.retries + 1,
            )
            await asyncio.sleep(self.backoff * 2**attempt * _jitter.uniform(0.5, 1.5))
            scope.clear()
            scope.update(pristine)
            scope["state"] = dict(pristine_state)
            replay.rewind()
        log.error(
            "gave up on %s %s after %d attempts (SQLSTATE %s)",
            scope["method"],
            scope["path"],
            self.retries + 1,
            code,
        )
        await self._try_later(scope, replay.receive, send)

    @staticmethod
    async def _try_later(scope: Scope, receive: Receive, send: Send) -> None:
        request: Request = Request(scope, receive=receive)
        detail = _("系统繁忙，这次操作没有保存，请稍后重试。")
        response = error_response(request, 503, detail)
        await response.to_asgi_response(app=None, request=request)(scope, receive, send)
