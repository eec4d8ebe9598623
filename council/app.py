"""create_app(): the one place where every configuration object is built."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from zoneinfo import ZoneInfo

import jinja2
from advanced_alchemy.extensions.litestar import SQLAlchemyPlugin
from litestar import Litestar, MediaType, get
from litestar.datastructures import CacheControlHeader, State
from litestar.di import Provide
from litestar.logging import LoggingConfig
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine as Jinja
from litestar.response import Redirect
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from sqlalchemy.exc import DBAPIError

from council.accounts import setup
from council.accounts.controller import AccountController
from council.accounts.counters import counters_for
from council.accounts.sessions import SessionCache
from council.audit.controller import AuditController
from council.cli import CouncilCLIPlugin
from council.clock import Clock
from council.consultations.common import side_label
from council.consultations.controller import MatterController, PlanController
from council.consultations.controller_meetings import MeetingController
from council.consultations.workflow import label as state_label
from council.conventions.controller import ConventionController
from council.conventions.controller_manage import ConventionManageController
from council.councils.controller import CouncilController
from council.councils.controller_import import ImportController
from council.councils.controller_manage import AdminController, ManageController
from council.councils.permissions import Action, can, can_see
from council.councils.service import role_label, status_label
from council.db import alchemy_config
from council.disclosure.controller import BoardController
from council.disclosure.controller_print import PrintController
from council.files.controller import FileController
from council.files.storage import storage_for
from council.i18n import gettext, ngettext
from council.issues import workflow as issue_workflow
from council.issues.controller import IssueController
from council.issues.controller_calls import CallController
from council.issues.controller_snap import SnapController
from council.notices.controller import NoticeController
from council.notices.periods import kind_label as notice_kind_label
from council.notices.periods import label as notice_label
from council.notifications.controller import NotificationController, TodoController
from council.notifications.delivery import Dispatcher
from council.opendata.api import api_router
from council.opendata.controller import OpenDataController
from council.programmes.controller import ProgrammeController
from council.programmes.controller_inspections import InspectionController
from council.programmes.controller_points import PointsController
from council.programmes.controller_ratings import RatingController
from council.programmes.controller_rota import RotaController
from council.settings import PROJECT_ROOT, Settings
from council.voting.controller import BallotController
from council.voting.controller_meetings import MeetingVoteController
from council.voting.pipeline import VoteWriter
from council.web.auth import SessionAuthMiddleware, provide_actor
from council.web.csrf import CsrfMiddleware
from council.web.errors import EXCEPTION_HANDLERS
from council.web.inputs import refuse_unusable_parameters
from council.web.pagecache import PageCache, PageCacheMiddleware, raise_versions, versions_for
from council.web.retry import RetryMiddleware
from council.web.security import SecurityMiddleware
from council.web.traffic import UNMETERED, AnonymousLimitMiddleware
from council.workflows.controller import WorkflowController
from council.workflows.workflow import label as stage_label
from council.workorders.calendar import deadline_label
from council.workorders.controller import MyOrdersController, WorkOrderController
from council.workorders.controller_admin import StreetController

STATIC_DIR = PROJECT_ROOT / "static"
TEMPLATE_DIR = PROJECT_ROOT / "templates"


@get(
    "/healthz",
    name="health",
    media_type=MediaType.TEXT,
    exclude_from_auth=True,
    exclude_from_csrf=True,
)
async def healthz() -> str:
    return "ok"


@get(
    "/favicon.ico",
    name="favicon",
    exclude_from_auth=True,
    exclude_from_csrf=True,
    cache_control=CacheControlHeader(max_age=86400, public=True),
)
async def favicon() -> Redirect:
    """Browsers and feed readers that ask for the conventional address get the site's icon."""
    return Redirect("/static/img/council-1.svg", status_code=301)


log = logging.getLogger("council.app")


def localtime(moment: dt.datetime, timezone: str = "Asia/Shanghai") -> str:
    """Stored in UTC, shown in the council's time zone."""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def localdate(moment: dt.datetime, timezone: str = "Asia/Shanghai") -> str:
    """The calendar day in the council's time zone (the day a period counts)."""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d")


def cndate(moment: dt.datetime, timezone: str = "Asia/Shanghai") -> str:
    """The day as written above a seal: 2026 年 11 月 30 日."""
    day = moment.astimezone(ZoneInfo(timezone))
    return f"{day.year} 年 {day.month} 月 {day.day} 日"


def configure_templates(env: jinja2.Environment) -> None:
    """Globals and filters every template may use."""
    env.globals.update(
        _=gettext,
        gettext=gettext,
        ngettext=ngettext,
        can=can,
        can_see=can_see,
        Action=Action,
        role_label=role_label,
        status_label=status_label,
        state_label=state_label,
        side_label=side_label,
        issue_status=issue_workflow.label,
        stage_label=stage_label,
        notice_status=notice_label,
        notice_kind=notice_kind_label,
        static=lambda name: f"/static/{name}",
    )
    env.filters["localtime"] = localtime
    env.filters["deadline"] = deadline_label
    env.filters["localdate"] = localdate
    env.filters["cndate"] = cndate
    env.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "sort_keys": True}


@functools.cache
def _template_engine() -> Jinja:
    """One Jinja environment per process: every app built here (the test suite builds many)
    shares its compiled templates instead of compiling them again."""
    engine = Jinja(directory=TEMPLATE_DIR)
    configure_templates(engine.engine)
    return engine


def _template_config() -> TemplateConfig[Jinja]:
    return TemplateConfig(instance=_template_engine())


async def announce_setup(app: Litestar) -> None:
    """While no administrator exists, print the one-time code the setup page asks for: only
    whoever sees the server's output can claim the instance (accounts/setup.py). A database
    not migrated yet has nothing to claim: /setup prints the code once it is."""
    config = app.state.alchemy
    try:
        async with config.get_session() as db:
            code = await setup.setup_code(db, app.state.settings, app.state.clock.now())
            await db.commit()
    except (DBAPIError, OSError):
        # Not migrated yet, or not reachable: the server starts all the same (S37).
        log.warning("no setup code at start: the database is not ready", exc_info=True)
        return
    if code:
        setup.announce(code, app.state.settings.base_url)


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    clock = clock or Clock()
    db_config = alchemy_config(settings, before_commit=raise_versions)
    counters = counters_for(settings, db_config.get_engine())
    sessions = SessionCache(db_config.get_engine(), settings)
    pages = PageCache(versions_for(settings, db_config.get_engine()))
    app = Litestar(
        route_handlers=[
            healthz,
            favicon,
            CouncilController,
            BoardController,
            PrintController,
            AccountController,
            ManageController,
            ImportController,
            AdminController,
            AuditController,
            MatterController,
            MeetingController,
            PlanController,
            FileController,
            IssueController,
            CallController,
            NotificationController,
            TodoController,
            BallotController,
            MeetingVoteController,
            ConventionController,
            ConventionManageController,
            SnapController,
            WorkOrderController,
            MyOrdersController,
            StreetController,
            NoticeController,
            WorkflowController,
            ProgrammeController,
            RatingController,
            PointsController,
            RotaController,
            InspectionController,
            OpenDataController,
            api_router(),
            create_static_files_router(
                path="/static",
                directories=[STATIC_DIR],
                name="static",
                opt={"exclude_from_csrf": True},
            ),
        ],
        plugins=[SQLAlchemyPlugin(config=db_config), HTMXPlugin(), CouncilCLIPlugin()],
        dependencies={"actor": Provide(provide_actor)},
        before_request=refuse_unusable_parameters,
        middleware=[
            DefineMiddleware(SessionAuthMiddleware, exclude=list(UNMETERED)),
            AnonymousLimitMiddleware(),
            DefineMiddleware(CsrfMiddleware, settings=settings),
            PageCacheMiddleware,
        ],
        template_config=_template_config(),
        exception_handlers=dict(EXCEPTION_HANDLERS),
        request_max_body_size=settings.max_request_body,
        state=State(
            {
                "settings": settings,
                "clock": clock,
                "alchemy": db_config,
                "storage": storage_for(settings),
                "counters": counters,
                "sessions": sessions,
                "pages": pages,
            }
        ),
        on_startup=[announce_setup],
        on_shutdown=[sessions.close, pages.close, counters.close],
        logging_config=LoggingConfig(log_exceptions="debug", disable_stack_trace={404, 403, 405}),
        debug=settings.debug,
        # The JSON API is documented at /schema (the document itself: no UI page loading
        # scripts from elsewhere); the pages are not an API and stay out of it.
        openapi_config=OpenAPIConfig(
            title="council",
            version="1",
            description="商居议事会公开数据的只读接口",
            path="/schema",
            render_plugins=[JsonRenderPlugin(path=["/", "/openapi.json"])],
        ),
        include_in_schema=False,
    )
    # Notifications go out after their commit, from this process, never inside a request.
    dispatcher = Dispatcher(
        db_config.get_session, lambda: app.state.settings, lambda: app.state.clock
    )
    app.state.dispatcher = dispatcher
    app.on_startup.append(dispatcher.kick)
    app.on_shutdown.insert(0, dispatcher.close)
    # Votes are written by one writer per process, many to a transaction (group commit).
    votes = VoteWriter(db_config.get_engine(), keep=settings.db_pool)
    app.state.votes = votes
    app.on_startup.append(votes.start)
    app.on_shutdown.insert(0, votes.close)
    # Around Litestar's exception handling and inside the before-send hooks that commit: a
    # transaction PostgreSQL aborts as retryable runs again before any answer is sent (S35).
    app.asgi_handler = RetryMiddleware(app.asgi_handler, db_config.session_scope_key)
    # Outermost, in front of routing and CSRF: every response, 404/405/403 included, carries
    # the security headers, and no request with a bad Host reaches the router.
    app.asgi_handler = SecurityMiddleware(app.asgi_handler, settings)
    return app
