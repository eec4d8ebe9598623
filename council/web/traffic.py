"""The anonymous rate limit (SECURITY.md): so many requests per address in 5 minutes.

Every request from someone not signed in counts, pages, fragments and form posts alike;
static files and the health probe do not (``UNMETERED``). Signed-in people are never counted
by address: a whole council may sit behind one NAT (S40). The counters live where every
process sees them (``council.accounts.counters``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware

from council.accounts.throttle import address_key, seconds_left_in_bucket
from council.errors import Throttled
from council.i18n import _
from council.web.auth import actor_of
from council.web.security import client_ip

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Receive, Scope, Send

    from council.accounts.counters import Counters
    from council.clock import Clock
    from council.settings import Settings

# Paths no person reads as a page: neither signed-in checks nor the anonymous count apply.
UNMETERED = ("^/static/", "^/healthz$")


class AnonymousLimitMiddleware(ASGIMiddleware):
    """After SessionAuthMiddleware, which tells a signed-in person from everyone else."""

    scopes = (ScopeType.HTTP,)
    exclude_path_pattern = UNMETERED

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        connection: ASGIConnection = ASGIConnection(scope)
        if not actor_of(connection).signed_in:
            await count_anonymous(connection)
        await next_app(scope, receive, send)


async def count_anonymous(connection: ASGIConnection) -> None:
    """Count one anonymous request from this address; refuse it over the limit."""
    state = connection.app.state
    settings: Settings = state.settings
    clock: Clock = state.clock
    counters: Counters = state.counters
    now = clock.now()
    address = address_key(client_ip(connection.scope, settings.trusted_proxies))
    if await counters.hit(f"anonymous-ip:{address}", now) > settings.anonymous_per_ip_5min:
        wait = seconds_left_in_bucket(now)
        raise Throttled(
            _("来自您所在网络的访问过于频繁，请 %(n)s 分钟后再试", n=math.ceil(wait / 60)),
            retry_after=wait,
        )
