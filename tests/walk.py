"""Walk the app as its users do: follow every link and collect every form each role is shown,
then map what was found onto the route table, so that a test can visit every GET route and
submit every form of the app with ids from the demo."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

import sqlalchemy as sa
from httpx import Response
from litestar import Litestar
from litestar.routes import HTTPRoute
from sqlalchemy.ext.asyncio import AsyncSession

from council.consultations.models import Matter
from council.notices.models import Notice
from council.workorders.models import Department, WorkOrder
from council.workorders.workflow import OrderStatus
from tests.consultation_flow import agreed_plan, consultation, meeting_code, schedule, signed_in
from tests.conventions_support import create, open_for_comment
from tests.images import jpeg_with_gps
from tests.intake import submit as submit_issue
from tests.programmes_support import stage as stage_programmes
from tests.support import Client, client_for, csrf_token, post_form, sign_in
from tests.voting_support import draft, opened

SUBSIDY = "油烟净化器安装补贴（以奖代补）"  # the demo's major matter in 决议公开

# Who walks: one person per kind of role in the demo council.
ROLES: dict[str, str | None] = {
    "public": None,
    "resident": "jumin11",  # a verified resident without a seat
    "merchant": "shop02",  # a shop's representative without a seat
    "member": "jumin01",  # a resident representative with a seat
    "observer": "shijian",  # 列席: attends, never votes
    "supervisor": "jiandu",
    "facilitator": "zhuchi",
    "admin": "admin",
    "liaison": "jiaojing",  # 职能部门联络员 (交警中队), without a seat in the council
}
# The ratings list among the seeds: the front page's notices link older rating rounds first,
# and with PER_ROUTE addresses per route the round being scored would be crowded out.
SEEDS = (
    "/",
    "/c/zhonglou",
    "/c/zhonglou/ratings",
    "/me",
    "/admin",
    "/me/notifications",
    "/me/two-factor",
)
PER_ROUTE = 3  # distinct addresses kept per route: enough for ids, bounded in time
# Links beyond those are still followed to see that they answer (not read for more links).
CHECKED_PER_ROUTE = 12
# Values for parameters that no page links to with a value (state names, positions).
DEFAULTS = {
    "step": "confirm",
    "kind": "shop",
    "position": "1",
    "path": "openapi.json",  # /schema/{path}: the OpenAPI document's other address
    "record_id": "00000000-0000-0000-0000-000000000000",  # an API record: none has it (404)
}
# GET routes that answer something other than a page, by design.
NOT_PAGES = {
    "/healthz",  # text for load balancers
    "/favicon.ico",  # a redirect to the icon
    "/static/{file_path:path}",
    "/files/{name:str}",  # the stored image itself
    "/me/two-factor/qr.svg",
    # QR codes of printed sheets: images, fetched by the print views' <img>.
    "/c/{slug:str}/notices/{notice_id:uuid}/qr.svg",
    "/c/{slug:str}/ballots/{ballot_id:uuid}/qr.svg",
    "/c/{slug:str}/conventions/{convention_id:uuid}/qr.svg",
    "/c/{slug:str}/calls/{call_id:uuid}/summary.csv",
    "/c/{slug:str}/manage/import/template.csv",
    "/c/{slug:str}/manage/import/template.xlsx",
}
# Routes that answer data for programs, not pages: the read-only JSON API and its OpenAPI
# document, and the feeds and downloads, which name their format by suffix. They are walked
# like pages (every role, hostile values) but their answers are not HTML.
DATA_PREFIXES = ("/api/", "/schema")
DATA_SUFFIXES = (".atom", ".csv", ".json", ".jsonl", ".py")


def answers_data(url: str) -> bool:
    path = urlsplit(url).path
    return path.startswith(DATA_PREFIXES) or path.endswith(DATA_SUFFIXES)


HTML = "text/html; charset=utf-8"
REDIRECTS = {301, 302, 303, 307, 308}
# An object rendered where text was meant ("<council.notices.models.Notice object at 0x…>").
PYTHON_REPR = re.compile(r"object at 0x[0-9a-f]+")


def problem_of(response: Response) -> str | None:
    """What is wrong with an answer to a person's browser, or None: a server error, a page
    or refusal not served as HTML, a Python object's repr on the page."""
    status = response.status_code
    kind = response.headers.get("content-type", "")
    if status >= 500:
        return str(status)
    if status in REDIRECTS or not response.content:
        return None
    if kind != HTML and not answers_data(str(response.url)):
        return f"{status} {kind}"
    if PYTHON_REPR.search(response.text):
        return "shows a Python object's repr"
    return None


@dataclass(frozen=True)
class Route:
    path: str  # Litestar's template, e.g. /c/{slug:str}/issues/{issue_id:uuid}
    methods: frozenset[str]
    pattern: re.Pattern[str]
    params: tuple[tuple[str, str], ...]  # (name, type)


@dataclass(frozen=True)
class Form:
    action: str
    fields: tuple[tuple[str, str], ...]  # as rendered: (name, value)
    multipart: bool
    role: str
    texts: tuple[str, ...] = ()  # the fields a person types into (text inputs, text areas)
    hidden: tuple[str, ...] = ()  # the fields a person never edits
    page: str = ""  # where the form was shown

    def data(self, **changes: str | bytes) -> list[tuple[str, str | bytes]]:
        kept = [(k, v) for k, v in self.fields if k not in changes and k != "_csrf_token"]
        return [*kept, *changes.items()]


@dataclass
class Site:
    routes: list[Route]
    pages: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    forms: dict[str, list[Form]] = field(default_factory=lambda: defaultdict(list))
    pool: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    # Links a page showed that answered 4xx/5xx: "role: page → link (status)".
    broken: list[str] = field(default_factory=list)
    # Every GET of the walk by (role, address): its problem_of, None when it had none.
    problems: dict[tuple[str, str], str | None] = field(default_factory=dict)

    def route_of(self, url: str, method: str = "GET") -> Route | None:
        path = urlsplit(url).path
        for route in self.routes:
            if method in route.methods and route.pattern.fullmatch(path):
                return route
        return None

    def example(self, route: Route, **override: str) -> str | None:
        """An address of ``route`` with values seen in the demo for each parameter."""
        values = {}
        for name, _kind in route.params:
            value = override.get(name) or next(iter(self.pool.get(name, [])), DEFAULTS.get(name))
            if value is None:
                return None
            values[name] = value
        return re.sub(r"\{(\w+):\w+\}", lambda m: values[m.group(1)], route.path)

    def get_urls(self) -> dict[str, list[str]]:
        """Every GET route: the addresses found by walking, or one made from the pool."""
        found: dict[str, list[str]] = {}
        for route in self.routes:
            if "GET" not in route.methods or route.path in NOT_PAGES:
                continue
            urls = self.pages.get(route.path) or [u for u in [self.example(route)] if u]
            found[route.path] = urls
        return found

    def post_targets(self) -> dict[str, list[Form]]:
        """Every POST route: the forms found by walking, or an empty form to an address made
        from the pool (for forms the demo's states do not show)."""
        targets: dict[str, list[Form]] = {}
        for route in self.routes:
            if "POST" not in route.methods:
                continue
            forms = self.forms.get(route.path)
            if not forms:
                url = self.example(route)
                forms = [Form(url, (), False, "facilitator")] if url else []
            targets[route.path] = forms
        return targets


_PARAM_TYPES = {
    "str": r"[^/]+",
    "uuid": r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}",
    "int": r"-?\d+",
    "path": r".*",
}


def routes_of(app: Litestar) -> list[Route]:
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        params = tuple(re.findall(r"\{(\w+):(\w+)\}", route.path))
        regex = re.escape(route.path)
        for name, kind in params:
            regex = regex.replace(
                re.escape(f"{{{name}:{kind}}}"), f"(?P<{name}>{_PARAM_TYPES[kind]})"
            )
        found.append(Route(route.path, frozenset(route.methods), re.compile(regex), params))
    # Static segments win over parameters, as in Litestar's router.
    found.sort(key=lambda r: (r.path.count("{"), -len(r.path)))
    return found


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.forms: list[tuple[str, bool, list[tuple[str, str]]]] = []
        self.texts: list[list[str]] = []  # per form, its free-text fields
        self.hidden: list[list[str]] = []  # per form, its hidden fields
        self._form: tuple[str, bool, list[tuple[str, str]]] | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        for name in ("href", "hx-get"):
            if a.get(name) and tag != "link":
                self.links.append(a[name])
        if tag == "form":
            post = a.get("method", "get").lower() == "post" or "hx-post" in a
            if post:
                action = a.get("hx-post") or a.get("action", "")
                self._form = (action, "multipart" in a.get("enctype", ""), [])
                self.texts.append([])
                self.hidden.append([])
            elif a.get("action"):
                self.links.append(a["action"])
        if self._form is None:
            if "hx-post" in a and tag != "form":
                self.forms.append((a["hx-post"], False, []))
                self.texts.append([])
                self.hidden.append([])
            return
        if (tag == "textarea" or (tag == "input" and a.get("type", "text") == "text")) and a.get(
            "name"
        ):
            self.texts[-1].append(a["name"])
        if tag == "input" and a.get("type") == "hidden" and a.get("name"):
            self.hidden[-1].append(a["name"])
        fields = self._form[2]
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a or not any(n == a["name"] for n, _ in fields):
                    fields.append((a["name"], a.get("value", "on")))
            elif kind != "file":
                fields.append((a["name"], a.get("value", "")))
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
        elif tag == "option" and self._select:
            if not any(n == self._select for n, _ in fields) or "selected" in a:
                fields[:] = [(n, v) for n, v in fields if n != self._select]
                fields.append((self._select, a.get("value", "")))
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            fields.append((a["name"], ""))
        elif tag == "button" and a.get("name"):
            fields.append((a["name"], a.get("value", "")))

    def handle_data(self, data: str) -> None:
        if self._form is not None and self._textarea:
            fields = self._form[2]
            fields[-1] = (self._textarea, fields[-1][1] + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None


def _local(base: str, link: str) -> str | None:
    url = urljoin(base, link.split("#")[0])
    parts = urlsplit(url)
    if parts.netloc not in ("", "testserver.local") or not parts.path.startswith("/"):
        return None
    path = parts.path.rstrip("/") or "/"  # Litestar routes /a/ as /a
    return path + (f"?{parts.query}" if parts.query else "")


async def explore(
    app: Litestar, roles: dict[str, str | None] = ROLES, staged: Sequence[str] = ()
) -> Site:
    """Follow links breadth-first as each role, from SEEDS and the ``staged`` pages; keep
    PER_ROUTE addresses per route."""
    site = Site(routes_of(app))
    for role, login in roles.items():
        async with client_for(app) as client:
            if login:
                await sign_in(client, login)
            queue = [*SEEDS, *staged]
            seen = set(queue)
            visits: dict[str, int] = defaultdict(int)  # per route, for this role
            found_on: dict[str, str] = {}  # link → the page that showed it
            while queue:
                url = queue.pop(0)
                response = await client.get(url)
                site.problems[role, url] = problem_of(response)
                if response.status_code >= 400 and url in found_on:
                    where = f"{found_on[url]} → {url} ({response.status_code})"
                    site.broken.append(f"{role}: {where}")
                if response.status_code != 200 or "text/html" not in response.headers.get(
                    "content-type", ""
                ):
                    continue
                page = _Page()
                page.feed(response.text)
                shapes = zip(page.forms, page.texts, page.hidden, strict=True)
                for (action, multipart, fields), texts, hidden in shapes:
                    target = _local(url, action) if action else url
                    route = site.route_of(target, "POST") if target else None
                    if route is None or target is None:
                        continue
                    _remember(site, target, "POST")
                    form = Form(
                        target, tuple(fields), multipart, role, tuple(texts), tuple(hidden), url
                    )
                    kept = site.forms[route.path]
                    if form not in kept and len(kept) < PER_ROUTE * len(roles):
                        kept.append(form)
                for link in page.links:
                    target = _local(url, link)
                    route = site.route_of(target) if target else None
                    if target is not None and route is None and target not in seen:
                        site.broken.append(f"{role}: {url} → {target} (no such page)")
                    if target is None or route is None or target in seen:
                        continue
                    seen.add(target)
                    found_on[target] = url
                    _remember(site, target, "GET")
                    if route.path in NOT_PAGES:
                        continue
                    visits[route.path] += 1
                    if visits[route.path] > PER_ROUTE:
                        if visits[route.path] <= CHECKED_PER_ROUTE:
                            checked = await client.get(target)
                            site.problems[role, target] = problem_of(checked)
                            status = checked.status_code
                            if status >= 400:
                                site.broken.append(f"{role}: {url} → {target} ({status})")
                        continue
                    queue.append(target)
                    if len(site.pages[route.path]) < PER_ROUTE:
                        site.pages[route.path].append(target)
    return site


def _remember(site: Site, url: str, method: str) -> None:
    route = site.route_of(url, method)
    if route is None:
        return
    match = route.pattern.fullmatch(urlsplit(url).path)
    assert match is not None
    for name, value in match.groupdict().items():
        if value not in site.pool[name]:
            site.pool[name].append(value)


async def stage(app: Litestar, db: AsyncSession, now: dt.datetime) -> list[str]:
    """Things in progress that the finished demo lacks, so that their forms are shown too: a
    meeting closed before its minutes are published, a meeting in session with a round open, a
    plan waiting for evidence, ballots in draft and open, conventions in draft and out for
    comment, an open call, a pending issue, a rating round being scored, a duty swap waiting
    for an answer, a 随手拍 waiting for referral, a summons with one department yet to arrive
    and one handled, and a verified work order waiting to be closed. Returns the addresses of
    staged pages that the walk must visit (older records of the same routes could otherwise
    fill its PER_ROUTE first)."""
    async with signed_in(app, "zhuchi") as facilitator:
        setup = await consultation(db, facilitator, invite=("居民代表", "商户代表"))
        await agreed_plan(facilitator, setup)
        response = await post_form(facilitator, "/c/zhonglou/matters", {"title": "外摆占道"})
        assert response.status_code == 303, response.text
        matter = response.headers["location"].split("?")[0]
        response = await post_form(
            facilitator, f"{matter}/rounds", {"meeting_id": setup.next_meeting_id}
        )
        assert response.status_code == 303, response.text
        for meeting in (setup.meeting_id, setup.next_meeting_id):
            await post_form(
                facilitator, f"/c/zhonglou/meetings/{meeting}/agenda", {"title": "其他"}
            )
        response = await post_form(
            facilitator, f"/c/zhonglou/meetings/{setup.next_meeting_id}/start"
        )
        assert response.status_code == 303, response.text
        # A meeting held and closed whose minutes are not published yet.
        # Dated before the others, so that the walk's sample of meetings stays the same.
        held = await schedule(facilitator, "临时碰头会", "2026-10-10")
        for step in ("start", "close"):
            response = await post_form(facilitator, f"/c/zhonglou/meetings/{held}/{step}")
            assert response.status_code == 303, response.text
        await draft(facilitator)
        response = await post_form(
            facilitator,
            "/c/zhonglou/calls/new",
            {
                "title": "外摆时间征集",
                "deadline": (now + dt.timedelta(days=10)).strftime("%Y-%m-%d %H:%M"),
                "questions": "外摆时间应到几点 | 21:00 | 22:00\n还有什么建议",
            },
        )
        assert response.status_code == 303, response.text
        await create(facilitator, "草拟中的公约")
        # 四议两公开一监督: a matter just marked major, and a notice still in draft.
        response = await post_form(facilitator, f"{matter}/workflow")
        assert response.status_code == 303, response.text
        notice = {"title": "外摆时间调整公告", "body": "外摆最晚到 22 点。", "kind": "general"}
        response = await post_form(facilitator, "/c/zhonglou/notices/new", notice)
        assert response.status_code == 303, response.text
    await _spine_in_progress(app, db)
    await opened(app)
    await db.rollback()  # a fresh snapshot: see what the app committed
    await open_for_comment(app, db, now)
    async with signed_in(app, "jumin11") as resident:
        assert (await submit_issue(resident, "夜市噪音")).status_code == 303
    async with signed_in(app, "jumin01") as member:
        code = await meeting_code(db, setup.next_meeting_id)
        meeting = f"/c/zhonglou/meetings/{setup.next_meeting_id}"
        assert (await post_form(member, f"{meeting}/signin", {"code": code})).status_code == 303
        assert (await post_form(member, f"{meeting}/speak")).status_code == 303
    await _stage_orders(app, db)
    async with client_for(app) as newcomer:
        password = "a-long-enough-passphrase"
        signup = {"login": "xinlai", "display_name": "新来的店主"}
        signup |= {"password": password, "password_again": password}
        assert (await post_form(newcomer, "/signup", signup)).status_code == 303
        claim = {"kind": "shop", "shop_number": "2", "note": "我是 2 号店的店主"}
        assert (await post_form(newcomer, "/c/zhonglou/join", claim)).status_code == 303
    return await stage_programmes(app, db)


async def _stage_orders(app: Litestar, db: AsyncSession) -> None:
    departments = {
        name: await db.scalar(sa.select(Department.id).where(Department.name == name))
        for name in ("城管", "交警中队")
    }
    waiting = await db.scalar(
        sa.select(WorkOrder.id).where(WorkOrder.status == OrderStatus.REPLIED).limit(1)
    )
    await db.rollback()
    async with signed_in(app, "jumin11") as resident:
        line = {"line": "三辆车违停堵住北门", "place": "钟楼小区北门"}
        photo = [("photo", ("p.jpg", jpeg_with_gps(), "image/jpeg"))]
        response = await resident.post(
            "/c/zhonglou/snap",
            data={"_csrf_token": await csrf_token(resident), **line},
            files=photo,
        )
        assert response.status_code == 303, response.text
    async with signed_in(app, "zhuchi") as facilitator:
        summons = {"title": "夜市车辆堵住消防通道", "place": "美食街北口", "minutes": "30"}
        summons["departments"] = [d.hex for d in departments.values() if d]  # type: ignore[assignment]
        response = await post_form(facilitator, "/c/zhonglou/whistles", summons)
        assert response.status_code == 303, response.text
        verdict = {"verdict": "satisfied", "note": "已核实"}
        response = await post_form(facilitator, f"/c/zhonglou/orders/{waiting}/verify", verdict)
        assert response.status_code == 303, response.text
    summoned = await db.scalar(
        sa.select(WorkOrder.id)
        .where(WorkOrder.department_id == departments["城管"], WorkOrder.whistle_id.is_not(None))
        .order_by(WorkOrder.number.desc())
    )
    await db.rollback()
    async with signed_in(app, "chengguan") as liaison:
        order = f"/c/zhonglou/orders/{summoned}"
        assert (await post_form(liaison, f"{order}/arrive")).status_code == 303
        reply = {"_csrf_token": await csrf_token(liaison), "reply": "已到场疏导"}
        response = await liaison.post(f"{order}/reply", data=reply, files=[("_", (None, ""))])
        assert response.status_code == 303, response.text


async def _spine_in_progress(app: Litestar, db: AsyncSession) -> None:
    """The purifier subsidy's notice with an objection waiting for its answer, and a
    supervisor's request to reopen a stage waiting for the facilitator's."""
    subsidy = await db.scalar(sa.select(Matter.id).where(Matter.title == SUBSIDY))
    notice = await db.scalar(
        sa.select(Notice.id).where(Notice.subject_id == subsidy, Notice.status == "published")
    )
    await db.rollback()
    async with client_for(app) as visitor:
        objection = {
            "name": "路过的居民",
            "contact": "13700000000",
            "body": "补贴名单请附检测报告。",
        }
        url = f"/c/zhonglou/notices/{notice}/objections"
        assert (await post_form(visitor, url, objection)).status_code == 303
    async with signed_in(app, "jiandu") as supervisor:
        reopen = {"stage": "review", "body": "审议到会人数请与签到表核对。"}
        url = f"/c/zhonglou/matters/{subsidy}/workflow/reopen"
        assert (await post_form(supervisor, url, reopen)).status_code == 303


async def submit(
    client: Client, form: Form, data: list[tuple[str, str | bytes]], **headers: str
) -> Response:
    """Post a form as a browser encodes it; bytes values go out as raw octets. Uploads go as
    multipart with the token in the header, as the upload forms send it."""
    token = await csrf_token(client)
    if form.multipart:
        parts = [(name, (None, value)) for name, value in data]
        return await client.post(
            form.action,
            files=parts or [("_", (None, ""))],
            headers={"x-csrftoken": token, **headers},
        )
    return await client.post(
        form.action,
        content=urlencode([("_csrf_token", token), *data]),
        headers={"content-type": "application/x-www-form-urlencoded", **headers},
    )
