"""Settings read once from COUNCIL_* environment variables and passed in from there."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from argon2.profiles import Parameters, get_default_parameters

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Where 企业微信 group robots take messages; the only webhooks a person may give by default.
WECOM_WEBHOOK = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key="
SMTP_SECURITY = ("starttls", "ssl", "none")


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    secret_key: str
    allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "testserver")
    base_url: str = "http://127.0.0.1:8000"
    demo: bool = True
    debug: bool = False
    # Cookies get Secure and the __Host- prefix when the site is served over HTTPS.
    https: bool = False
    trusted_proxies: tuple[str, ...] = ()
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    # One log line per request costs about as much CPU as a cached page: off unless asked for.
    access_log: bool = False
    session_idle_minutes: int = 120
    session_absolute_hours: int = 24 * 7
    # Throttles (SECURITY.md), each read from COUNCIL_<NAME IN CAPITALS> (see LIMITS). Only
    # what comes before signing in is counted per address; signed-in work per person.
    anonymous_per_ip_5min: int = 300
    signin_failures_per_ip_hour: int = 30
    signin_failures_per_account_hour: int = 10
    signup_per_ip_hour: int = 30
    password_failures_per_account_hour: int = 10
    meeting_code_failures_per_person_hour: int = 10
    meeting_code_failures_per_meeting_hour: int = 100
    uploads_per_person_hour: int = 20
    votes_per_person_hour: int = 100
    max_request_body: int = 10 * 1024 * 1024
    # Off where the database is replaced under a running server (the browser tests' server).
    db_pool: bool = True
    # "" or "local": files under data_dir/files; other stores by name once implemented.
    file_storage: str = ""
    default_locale: str = "zh_CN"
    # argon2id cost: production keeps the library's recommended parameters; only the test
    # suite, which hashes and verifies thousands of times, sets the cheapest valid ones.
    password_hashing: Parameters = field(default_factory=get_default_parameters)
    # Notifications by e-mail: off while smtp_host is empty.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "council@localhost"
    smtp_security: str = "starttls"
    # Webhook addresses a person may give must start with one of these.
    webhook_prefixes: tuple[str, ...] = (WECOM_WEBHOOK,)
    # Attempts per delivery before it is recorded as failed (the in-app notification stays).
    delivery_attempts: int = 5
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        data_dir = Path(env.get("COUNCIL_DATA_DIR") or PROJECT_ROOT / "data").resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        database_url = (
            env.get("COUNCIL_DATABASE_URL") or f"sqlite+aiosqlite:///{data_dir}/council.db"
        )
        database_url = normalise_database_url(database_url)
        hosts = tuple(
            h.strip() for h in env.get("COUNCIL_ALLOWED_HOSTS", "").split(",") if h.strip()
        )
        proxies = tuple(
            p.strip() for p in env.get("COUNCIL_TRUSTED_PROXIES", "").split(",") if p.strip()
        )
        host = env.get("COUNCIL_HOST", "127.0.0.1")
        port = int(env.get("COUNCIL_PORT", "8000"))
        base_url = env.get("COUNCIL_BASE_URL") or f"http://{host}:{port}"
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            secret_key=env.get("COUNCIL_SECRET_KEY") or load_or_create_secret(data_dir),
            allowed_hosts=hosts or ("127.0.0.1", "localhost", host),
            base_url=base_url.rstrip("/"),
            demo=_bool(env.get("COUNCIL_DEMO"), True),
            debug=_bool(env.get("COUNCIL_DEBUG"), False),
            https=base_url.startswith("https://"),
            trusted_proxies=proxies,
            host=host,
            port=port,
            workers=int(env.get("COUNCIL_WORKERS", "1")),
            access_log=_bool(env.get("COUNCIL_ACCESS_LOG"), False),
            file_storage=env.get("COUNCIL_FILE_STORAGE", ""),
            **_notification_settings(env),
            **_limits(env),
        )


LIMITS = (
    "anonymous_per_ip_5min",
    "signin_failures_per_ip_hour",
    "signin_failures_per_account_hour",
    "signup_per_ip_hour",
    "password_failures_per_account_hour",
    "meeting_code_failures_per_person_hour",
    "meeting_code_failures_per_meeting_hour",
    "uploads_per_person_hour",
    "votes_per_person_hour",
)


def _limits(env: Mapping[str, str]) -> dict[str, int]:
    """The throttle figures given in the environment; a figure that is not a whole number
    of at least 1 stops the start rather than leave a limit off or at a surprise."""
    found: dict[str, int] = {}
    for name in LIMITS:
        variable = f"COUNCIL_{name.upper()}"
        raw = env.get(variable, "").strip()
        if not raw:
            continue
        if not raw.isdecimal() or int(raw) < 1:
            raise ValueError(f"{variable} must be a whole number of at least 1, not {raw!r}")
        found[name] = int(raw)
    return found


def _notification_settings(env: Mapping[str, str]) -> dict[str, object]:
    security = env.get("COUNCIL_SMTP_SECURITY", "starttls").strip().lower() or "starttls"
    if security not in SMTP_SECURITY:
        raise ValueError(f"COUNCIL_SMTP_SECURITY must be one of {SMTP_SECURITY}, not {security!r}")
    prefixes = env.get("COUNCIL_WEBHOOK_PREFIXES")
    host = env.get("COUNCIL_SMTP_HOST", "").strip()
    return {
        "smtp_host": host,
        "smtp_port": int(env.get("COUNCIL_SMTP_PORT") or (465 if security == "ssl" else 587)),
        "smtp_user": env.get("COUNCIL_SMTP_USER", ""),
        "smtp_password": env.get("COUNCIL_SMTP_PASSWORD", ""),
        "smtp_from": env.get("COUNCIL_SMTP_FROM") or f"council@{host or 'localhost'}",
        "smtp_security": security,
        "webhook_prefixes": (WECOM_WEBHOOK,)
        if prefixes is None
        else tuple(p.strip() for p in prefixes.split(",") if p.strip()),
        "delivery_attempts": int(env.get("COUNCIL_DELIVERY_ATTEMPTS") or 5),
    }


def normalise_database_url(url: str) -> str:
    """Accept plain postgresql:// and sqlite:// URLs and pick the async drivers."""
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url.split("://", 1)[1]
    return url


def load_or_create_secret(data_dir: Path) -> str:
    """The secret key lives in the data directory, generated on first start."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    tmp = data_dir / f".secret_key.{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    try:
        os.link(tmp, path)  # atomic: the first worker to start wins
    except FileExistsError:
        key = path.read_text().strip()
    finally:
        tmp.unlink()
    return key
