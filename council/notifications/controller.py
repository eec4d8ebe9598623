"""/me/todo and /me/notifications: what waits for the signed-in person, what they were told,
and the channels (e-mail, 企业微信 webhook) they chose to be told through."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from council.councils.permissions import Actor
from council.forms import first_value
from council.notifications import channels, service, todo
from council.notifications.models import ChannelKind
from council.web.auth import require_login
from council.web.forms import Form
from council.web.render import page, redirect


def _person(actor: Actor) -> UUID:
    assert actor.person_id is not None  # noqa: S101 - guaranteed by require_login
    return actor.person_id


class TodoController(Controller):
    tags = ["notifications"]

    @get("/me/todo", name="todo.index", guards=[require_login])
    async def index(self, request: Request, db_session: AsyncSession, actor: Actor) -> Template:
        now = request.app.state.clock.now()
        found = await todo.todos(db_session, actor, now)
        return page(request, "me/todo.html", {"todos": found, "now": now})

    @get("/me/todo/count", name="todo.count", guards=[require_login])
    async def count(self, request: Request, db_session: AsyncSession, actor: Actor) -> Template:
        """The header's badges, fetched once a page has loaded so no page waits for them."""
        found = await todo.todos(db_session, actor, request.app.state.clock.now())
        unread = await service.unread_count(db_session, _person(actor))
        return page(request, "me/_todo_count.html", {"todos": found, "unread": unread})


def _choices(data: Form) -> list[service.ChannelChoice]:
    return [
        service.ChannelChoice(
            kind,
            str(first_value(data, f"{kind.value}_address") or "").strip(),
            bool(first_value(data, f"{kind.value}_enabled")),
        )
        for kind in ChannelKind
    ]


class NotificationController(Controller):
    path = "/me/notifications"
    tags = ["notifications"]

    @get("/", name="notifications.list", guards=[require_login])
    async def index(self, request: Request, db_session: AsyncSession, actor: Actor) -> Template:
        rows = await service.latest(db_session, _person(actor))
        unread = sum(1 for n, _d in rows if n.read_at is None)
        return page(request, "me/notifications.html", {"rows": rows, "unread": unread})

    @post("/read", name="notifications.read_all", guards=[require_login])
    async def read_all(self, request: Request, db_session: AsyncSession, actor: Actor) -> Redirect:
        await service.mark_read(db_session, _person(actor), request.app.state.clock.now())
        return redirect("/me/notifications")

    @post("/{notification_id:uuid}/open", name="notifications.open", guards=[require_login])
    async def open(
        self, request: Request, db_session: AsyncSession, actor: Actor, notification_id: UUID
    ) -> Redirect:
        """Marked read as it is followed: reading is a POST, never a side effect of a GET."""
        found = await service.mark_read(
            db_session, _person(actor), request.app.state.clock.now(), notification_id
        )
        assert found is not None  # noqa: S101 - mark_read returns the one it was given
        # Links are made by the server, always local paths; anything else goes nowhere.
        target = (
            found.link if found.link.startswith("/") and not found.link.startswith("//") else "/"
        )
        return redirect(target)

    async def _settings_page(self, request: Request, db: AsyncSession, actor: Actor) -> Template:
        settings = request.app.state.settings
        chosen = await service.channels_of(db, _person(actor))
        context = {
            "offered": list(channels.offered(settings)),
            "webhook_prefix": (settings.webhook_prefixes or ("",))[0],
            "values": {
                **{f"{k.value}_address": c.address for k, c in chosen.items()},
                **{f"{k.value}_enabled": c.enabled for k, c in chosen.items()},
            },
            "errors": {},
        }
        return page(request, "me/notification_settings.html", context)

    @get("/settings", name="notifications.settings", guards=[require_login])
    async def settings(self, request: Request, db_session: AsyncSession, actor: Actor) -> Template:
        return await self._settings_page(request, db_session, actor)

    @post("/settings", name="notifications.save_settings", guards=[require_login])
    async def save_settings(
        self, request: Request, db_session: AsyncSession, actor: Actor, data: Form
    ) -> Template | Redirect:
        settings = request.app.state.settings
        choices = _choices(data)
        # Refused, the settings page answers in place with what was typed (web/answer.py).
        service.check_choices(choices, channels.offered(settings), settings.webhook_prefixes)
        await service.save_channels(db_session, _person(actor), choices)
        return redirect("/me/notifications/settings", "settings_saved")
