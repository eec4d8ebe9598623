"""/me/todo: what waits for the signed-in person, and its count for the site header."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.response import Template
from sqlalchemy.ext.asyncio import AsyncSession

from council.councils.permissions import Actor
from council.notifications import todo
from council.web.auth import require_login
from council.web.render import page


class TodoController(Controller):
    tags = ["notifications"]

    @get("/me/todo", name="todo.index", guards=[require_login])
    async def index(self, request: Request, db_session: AsyncSession, actor: Actor) -> Template:
        now = request.app.state.clock.now()
        found = await todo.todos(db_session, actor, now)
        return page(request, "me/todo.html", {"todos": found, "now": now})

    @get("/me/todo/count", name="todo.count", guards=[require_login])
    async def count(self, request: Request, db_session: AsyncSession, actor: Actor) -> Template:
        """The header's badge, fetched once a page has loaded so no page waits for it."""
        found = await todo.todos(db_session, actor, request.app.state.clock.now())
        return page(request, "me/_todo_count.html", {"todos": found})
