"""A refused form answers in place: the page it was sent from comes back with the person's
input, the message at the top and beside the field, and the refusal's status: 422 for invalid
input, 409 for a state conflict, 403 for what this person may not do there, 429 for a rate
limit (with its Retry-After).

Controllers only raise (``FormInvalid``, ``TransitionRefused``, ``Conflict``…). The page is
the GET route at the form's address or the nearest one above it, unless the POST route names
another with ``page="route.name"`` (or the handler calls ``answer_on`` when it depends on who
asks); ``form="name"`` says which form of that page was refused (templates show errors and
values beside the form whose name matches). The page's own handler renders it, after the
refused transaction is rolled back, and ``render.page`` adds the refusal to its context. To
htmx, and where the page cannot be shown, web/errors.py answers with the message alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from litestar import Request, Response
from litestar.datastructures import UploadFile
from litestar.exceptions import MethodNotAllowedException, NotFoundException
from litestar.response import Template
from litestar.routes import HTTPRoute
from litestar.types import Receive, Scope, Send
from litestar.utils.scope.state import CONNECTION_STATE_KEY, ScopeState

from council.errors import (
    Conflict,
    DomainError,
    FormInvalid,
    NotAllowed,
    Throttled,
    TransitionRefused,
)

log = logging.getLogger("council.answer")

REFUSAL_KEY = "council.refusal"
PAGE_KEY = "council.page"


@dataclass(frozen=True)
class Refusal:
    """What the page shows again: the message, each field's error, the values typed."""

    status: int
    message: str
    errors: Mapping[str, str]
    values: Mapping[str, Any] = field(default_factory=dict)
    form: str = ""

    @property
    def messages(self) -> list[str]:
        """What to change, each message once: the fields' (or the gate's reasons), else the
        general one."""
        return list(dict.fromkeys(t for t in self.errors.values() if t)) or [self.message]


def answers_in_place(exc: DomainError) -> bool:
    """Refusals answered on the form's page: invalid input, a state conflict, an action this
    person may not take there, a rate limit (with its Retry-After). A missing page stays an
    error page, and so does a page the person may not see (its own handler refuses it)."""
    return isinstance(exc, FormInvalid | TransitionRefused | Conflict | NotAllowed | Throttled)


def answer_on(request: Request, page: str) -> None:
    """Name the page a refusal of this request is answered on, where it depends on who asks
    (a form that staff send from one page and shops from another)."""
    request.scope.setdefault("state", {})[PAGE_KEY] = page


def refusal_of(request: Request) -> Refusal | None:
    refusal = request.scope.get("state", {}).get(REFUSAL_KEY)
    return refusal if isinstance(refusal, Refusal) else None


def _errors(exc: DomainError) -> dict[str, str]:
    if isinstance(exc, FormInvalid):
        return dict(exc.errors)
    reasons = getattr(exc, "reasons", ())
    return {"_form": "；".join(reasons or (exc.message,))}


async def _typed(request: Request) -> dict[str, Any]:
    """The submitted fields as typed (files and the CSRF token left out)."""
    try:
        form = await request.form()
    except Exception:  # a body that did not parse has nothing to show again
        return {}
    typed: dict[str, Any] = {}
    for name in form:
        if name == "_csrf_token":
            continue
        kept = [v for v in form.getall(name) if not isinstance(v, UploadFile)]
        if kept:
            typed[name] = kept[0] if len(kept) == 1 else kept
    return typed


def page_route(request: Request) -> tuple[str, HTTPRoute] | None:
    """The page a POST's form lives on: its ``page`` option, else the GET route at the same
    address or the nearest above it."""
    handler = request.scope.get("route_handler")
    opt = getattr(handler, "opt", {}) or {}
    app = request.app
    params = request.path_params
    name = request.scope.get("state", {}).get(PAGE_KEY) or opt.get("page")
    path = app.route_reverse(name, **params) if name else request.url.path
    while path:
        try:
            _, found, _, _, _ = app.asgi_router.handle_routing(path=path, method="GET")
        except (NotFoundException, MethodNotAllowedException):  # no page here: look above
            path = path.rsplit("/", 1)[0]
            continue
        for route in app.routes:
            if (
                isinstance(route, HTTPRoute)
                and route.route_handler_map.get("GET", (None,))[0] is found
            ):
                return path, route
        return None
    return None


def _form_name(request: Request, typed: Mapping[str, Any]) -> str:
    """The route's ``form`` option: a name, formatted with the path's parameters, or a
    function of the submitted fields (for one route serving two forms)."""
    opt = getattr(request.scope.get("route_handler"), "opt", {}) or {}
    name = opt.get("form", "")
    if callable(name):
        return str(name(typed))
    return str(name).format(**request.path_params) if name else ""


class InPlace(Response[Any]):
    """The refused form's page, rendered by its own handler, with the refusal's status."""

    def __init__(self, exc: DomainError, fallback: Callable[[], Response[Any]]) -> None:
        super().__init__(content=None, status_code=exc.status_code)
        self.exc = exc
        self.fallback = fallback

    def to_asgi_response(self, app: Any, request: Request, **kwargs: Any) -> Any:  # type: ignore[override]
        async def answer(scope: Scope, receive: Receive, send: Send) -> None:
            response = await self._page(request) or self.fallback()
            asgi = response.to_asgi_response(app=None, request=request, **kwargs)
            await asgi(scope=scope, receive=receive, send=send)

        return answer

    async def _page(self, request: Request) -> Response[Any] | None:
        exc = self.exc
        typed = await _typed(request)
        values = {**typed, **exc.values} if isinstance(exc, FormInvalid) else typed
        form = _form_name(request, typed)
        refusal = Refusal(exc.status_code, exc.message, _errors(exc), values, form)
        found = page_route(request)
        if found is None:
            return None
        path, route = found
        # Nothing the refused action did may show on its page, nor be committed later.
        session = request.scope.get("_aa_connection_state", {})
        for value in list(session.values()):
            if hasattr(value, "rollback"):
                await value.rollback()
        handler, kwargs_model = route.route_handler_map["GET"]
        _, _, _, path_params, _ = request.app.asgi_router.handle_routing(path=path, method="GET")
        state = {k: v for k, v in request.scope["state"].items() if k != CONNECTION_STATE_KEY}
        scope: Any = {
            **request.scope,
            "method": "GET",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "path_params": path_params,
            "route_handler": handler,
            "state": {**state, REFUSAL_KEY: refusal},
        }
        # The form shown again must carry the same CSRF token as the page it came from.
        ScopeState.from_scope(scope).csrf_token = ScopeState.from_scope(request.scope).csrf_token
        shown: Request = handler.resolve_request_class()(scope=scope, receive=request.receive)
        try:
            if handler.resolve_guards():
                await handler.authorize_connection(connection=shown)
            kwargs = await kwargs_model.to_kwargs(connection=shown)
            kwargs.pop("data", None)
            if kwargs_model.dependency_batches:
                cleanup = await kwargs_model.resolve_dependencies(shown, kwargs)
                async with cleanup:
                    return await self._call(handler, shown, kwargs)
            return await self._call(handler, shown, kwargs)
        except Exception as page_error:  # the page cannot be shown: the error page says it
            if not isinstance(page_error, DomainError):
                log.warning("page of a refused form failed", exc_info=page_error)
            return None

    async def _call(
        self, handler: Any, shown: Request, kwargs: dict[str, Any]
    ) -> Response[Any] | None:
        parsed = handler.signature_model.parse_values_from_connection_kwargs(
            connection=shown, kwargs=kwargs
        )
        result = await handler.fn(**parsed)
        if not isinstance(result, Template):
            return None
        result.status_code = self.exc.status_code
        result.headers.update(self.exc.headers)
        return result
