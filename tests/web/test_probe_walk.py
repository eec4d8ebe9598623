"""Every GET route and every form of the app, for every role: pages and fragments are served
as text/html; refusals are pages too; hostile values in any field or path parameter never
cause a server error (probe findings 1–3)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from httpx import Response
from litestar import Litestar

from council.app import create_app
from council.clock import FixedClock
from council.db import alchemy_config, create_engine
from tests import databases as dbs
from tests.conftest import copy_of
from tests.support import client_for, sign_in
from tests.walk import NOT_PAGES, ROLES, Form, Site, explore, problem_of, stage, submit

# Every test here acts on the one walked database of its engine (the ``walked`` fixture); on
# one worker per engine, it is walked once.
pytestmark = pytest.mark.one_worker_per_engine

HTMX = {"HX-Request": "true"}


class _Walks:
    """The walked database of each engine, built once per process: a module-scoped fixture
    parametrized by engine is built again whenever the engine of consecutive tests changes."""

    def __init__(self, stack: contextlib.AsyncExitStack) -> None:
        self.stack = stack
        self.built: dict[str, tuple[Litestar, Site]] = {}

    async def walk(
        self, engine_name: str, template: str, admin_url: str | None, root: Path
    ) -> tuple[Litestar, Site]:
        url = self.stack.enter_context(copy_of(engine_name, template, admin_url, root))
        # Hundreds of sign-ins and hostile sign-in forms from one test client: throttles are
        # tested elsewhere and would only stop the walk here.
        settings = dbs.make_settings(
            url,
            root / "data",
            signin_failures_per_ip_hour=10**6,
            signin_failures_per_account_hour=10**6,
        )
        clock = FixedClock()
        app = create_app(settings, clock=clock)
        self.stack.push_async_callback(app.state.alchemy.get_engine().dispose)
        engine = create_engine(settings, pooled=False)
        watcher = engine.execution_options(write_intent=False)
        async with alchemy_config(settings, watcher).get_session() as db:
            staged = await stage(app, db, clock.now())
        await engine.dispose()
        return app, await explore(app, staged=staged)


@pytest.fixture(scope="session")
async def _walks() -> AsyncIterator[_Walks]:
    async with contextlib.AsyncExitStack() as stack:
        yield _Walks(stack)


@pytest.fixture
async def walked(
    _walks: _Walks,
    engine_name: str,
    template_database: str,
    postgres_admin_url: str | None,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Litestar, Site]:
    """One database per engine for this module: the demo plus things in progress, walked once
    by every role. The tests after it act on that same database in turn."""
    if engine_name not in _walks.built:
        root = tmp_path_factory.mktemp(f"walk-{engine_name}")
        _walks.built[engine_name] = await _walks.walk(
            engine_name, template_database, postgres_admin_url, root
        )
    return _walks.built[engine_name]


def _check(response: Response, what: str, failures: list[str]) -> None:
    if problem := problem_of(response):
        failures.append(f"{what}: {problem}")


async def test_probe_walk_reaches_every_route_of_the_app(walked: tuple[Litestar, Site]) -> None:
    """The walk is the route table: a route nobody can reach with demo ids fails here."""
    _app, site = walked
    pages = site.get_urls()
    assert [path for path, urls in pages.items() if not urls] == []
    assert [path for path, forms in site.post_targets().items() if not forms] == []
    # Most forms are found on the pages themselves, not only made up from the route table.
    assert len(site.forms) >= len(site.post_targets()) * 2 // 3


async def test_crawl_of_every_role_finds_no_link_to_an_error(walked: tuple[Litestar, Site]) -> None:
    """Links never lead to a 404 (or any 4xx/5xx) a person did not ask for: every link each
    role is shown, followed as that role, answers."""
    _app, site = walked
    assert site.broken == [], "\n".join(site.broken)


@pytest.mark.parametrize("role", list(ROLES))
async def test_probe_1_every_page_and_fragment_is_html_for_every_role(
    walked: tuple[Litestar, Site], role: str
) -> None:
    app, site = walked
    failures: list[str] = []
    async with client_for(app) as client:
        if login := ROLES[role]:
            await sign_in(client, login)
        for urls in site.get_urls().values():
            for url in urls:
                # What the walk already fetched as this role is not fetched again.
                if (role, url) in site.problems:
                    if problem := site.problems[role, url]:
                        failures.append(f"GET {url}: {problem}")
                else:
                    _check(await client.get(url), f"GET {url}", failures)
                _check(await client.get(url, headers=HTMX), f"GET {url} (htmx)", failures)
    assert failures == []


def _posts(site: Site) -> list[tuple[str, Form]]:
    """One form per POST route, sign-out last so the rest are sent signed in."""
    chosen = [(path, forms[0]) for path, forms in site.post_targets().items()]
    return sorted(chosen, key=lambda item: item[0] == "/signout")


@pytest.mark.parametrize("role", list(ROLES))
async def test_probe_1_every_form_refusal_is_html_for_every_role(
    walked: tuple[Litestar, Site], role: str
) -> None:
    app, site = walked
    failures: list[str] = []
    async with client_for(app) as client:
        if login := ROLES[role]:
            await sign_in(client, login)
        for _path, form in _posts(site):
            _check(await submit(client, form, []), f"POST {form.action} empty", failures)
            blank = [(name, "") for name, _ in form.fields if name != "_csrf_token"]
            _check(await submit(client, form, blank, **HTMX), f"POST {form.action} blank", failures)
    assert failures == []


# Values a careless user or an attacker types; bytes are sent as raw octets (invalid UTF-8).
PAYLOADS: dict[str, str | bytes] = {
    "nul": "油烟\x00直排",
    "control": "\x1b[2J\x07\x08",
    "invalid_utf8": b"\xff\xfe\xc3(",
    "huge_integer": "99999999999999999999",
    "negative_integer": "-2147483649",
    "malformed_uuid": "00000000-0000-0000-0000-00000000000g",
    "long": "长" * 20_000,
}
PATH_PAYLOADS = {
    "str": ("%00", "%FF%FE", "a" * 2000, "..%2F..%2Fetc"),
    "uuid": ("not-a-uuid", "00000000-0000-0000-0000-000000000000", "%00"),
    "int": ("99999999999999999999", "-99999999999999999999", "0", "%00"),
    "path": ("%00", "..%2F..%2Fsecret_key"),
}


@pytest.mark.parametrize("payload", list(PAYLOADS))
async def test_probe_fuzz_every_form_field_never_causes_a_server_error(
    walked: tuple[Litestar, Site], payload: str
) -> None:
    app, site = walked
    failures: list[str] = []
    async with contextlib.AsyncExitStack() as stack:
        clients = {}
        for role, login in ROLES.items():
            clients[role] = await stack.enter_async_context(client_for(app))
            if login:
                await sign_in(clients[role], login)
        for _path, form in _posts(site):
            if form.action == "/signout":
                continue
            for name, _value in form.fields:
                if name == "_csrf_token":
                    continue
                data = form.data(**{name: PAYLOADS[payload]})
                response = await submit(clients[form.role], form, data)
                if response.status_code >= 500:
                    failures.append(f"POST {form.action} {name}={payload}: {response.status_code}")
    assert failures == []


@pytest.mark.parametrize("role", ["public", "facilitator"])
async def test_probe_fuzz_every_path_parameter_never_causes_a_server_error(
    walked: tuple[Litestar, Site], role: str
) -> None:
    app, site = walked
    failures: list[str] = []
    async with client_for(app) as client:
        if login := ROLES[role]:
            await sign_in(client, login)
        for route in site.routes:
            for name, kind in route.params:
                for value in PATH_PAYLOADS[kind]:
                    url = site.example(route, **{name: value})
                    if url is None:
                        continue
                    for method in sorted(route.methods & {"GET", "POST"}):
                        if url == "/signout":
                            continue
                        if method == "GET":
                            response = await client.get(url)
                        else:
                            response = await submit(client, Form(url, (), False, role), [])
                        if response.status_code >= 500:
                            failures.append(f"{method} {url}: {response.status_code}")
                        elif method == "GET" and route.path not in NOT_PAGES:
                            _check(response, f"GET {url}", failures)
    assert failures == []


TYPED = "请保留我写的这句话"  # what a person typed, to be found again on the refused form
REFUSED = (403, 409, 422)


def _not_in_place(response: Response, form: Form) -> str | None:
    """Why a refusal is not the form's page again with the input and a message, or None. Bad
    input (422) shows the form again as typed; a move the state or the person's role no
    longer allows (409, 403) may leave the form out, its reason at the top."""
    html = response.text
    if 'class="panel error-page"' in html:
        return "a bare error page"
    if 'id="refusal"' not in html or "没有保存" not in html:
        return "no message at the top"
    if response.status_code != 422:
        return None
    if not _shows(html, form):
        return MISSING
    if form.texts and TYPED not in html:
        return "the input typed is lost"
    return None


MISSING = "the form is not on the page"


def _shows(html: str, form: Form) -> bool:
    action = urlsplit(form.action).path
    return re.search(rf'(action|hx-post)="{re.escape(action)}/?"', html) is not None


@pytest.mark.parametrize("role", list(ROLES))
async def test_every_refused_form_answers_in_place_with_the_input_kept(
    walked: tuple[Litestar, Site], role: str
) -> None:
    """Each form a role is shown, sent with what a person types filled in and every other
    field blank: refused, the same page comes back with the form, what was typed and a zh-CN
    message (and, to htmx, the message in the page's message area), never a bare error page."""
    app, site = walked
    failures: list[str] = []
    answered: list[str] = []
    async with client_for(app) as client:
        if login := ROLES[role]:
            await sign_in(client, login)
        for path, forms in site.post_targets().items():
            mine = [f for f in forms if f.role == role and f.action != "/signout"]
            for form in mine[:1]:
                # Typed fields filled in, hidden ones as the page set them, the rest blank.
                data = [
                    (n, TYPED if n in form.texts else v if n in form.hidden else "")
                    for n, v in form.fields
                    if n != "_csrf_token"
                ]
                response = await submit(client, form, data)
                if response.status_code not in REFUSED or 'id="refusal"' not in response.text:
                    if response.status_code in (409, 422):
                        failures.append(f"{path}: {_not_in_place(response, form)}")
                    continue
                answered.append(path)
                problem = _not_in_place(response, form)
                if problem == MISSING:
                    # A form no page showed (made up from the route table), or one whose record
                    # earlier posts moved on, is gone from its page for everyone.
                    fresh = (await client.get(form.page)).text if form.page else ""
                    problem = problem if _shows(fresh, form) else None
                if problem:
                    failures.append(f"{path}: {problem}")
                again = await submit(client, form, data, **HTMX)
                if again.headers.get("hx-retarget") != "#messages" or "error-box" not in again.text:
                    failures.append(f"{path} (htmx): {again.status_code}")
    assert failures == [], "\n".join(failures)
    # Not a vacuous pass: every role that is shown forms has some refused in place.
    assert answered or not any(f.role == role for fs in site.forms.values() for f in fs)
