"""Sign-up, sign-in, passwords and server-side sessions."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa
from argon2.profiles import Parameters
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts import throttle
from council.accounts.models import Person, WebSession
from council.accounts.passwords import (
    RECOMMENDED,
    hash_password,
    needs_rehash,
    problem,
    verify_password,
)
from council.accounts.schemas import ChangePasswordForm, SignInForm, SignUpForm
from council.audit import service as audit
from council.councils.models import ClaimStatus, Membership
from council.councils.permissions import Actor
from council.errors import FormInvalid, Throttled
from council.i18n import _
from council.settings import Settings

HOUR = dt.timedelta(hours=1)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_login(login: str) -> str:
    return login.strip().lower()


async def sign_up(db: AsyncSession, form: SignUpForm, hashing: Parameters = RECOMMENDED) -> Person:
    login = normalise_login(form.login)
    errors: dict[str, str] = {}
    if form.password != form.password_again:
        errors["password_again"] = _("两次输入的密码不一致")
    if reason := problem(form.password, login):
        errors["password"] = reason
    taken = await db.scalar(sa.select(Person.id).where(Person.login == login))
    if taken:
        errors["login"] = _("这个账号已被使用")
    if errors:
        raise FormInvalid(errors, {"login": form.login, "display_name": form.display_name})
    person = Person(
        login=login,
        display_name=form.display_name,
        phone=form.phone,
        password_hash=hash_password(form.password, hashing),
    )
    db.add(person)
    await db.flush()
    await audit.record(
        db,
        council_id=None,
        actor_id=person.id,
        actor_label=person.display_name,
        action="person.signed_up",
        object_type="person",
        object_id=person.id,
    )
    return person


@dataclass(frozen=True)
class SignInAttempt:
    ip: str
    now: dt.datetime


async def authenticate(
    db: AsyncSession, form: SignInForm, attempt: SignInAttempt, settings: Settings
) -> Person:
    """Check a password under the per-IP and per-account limits (no permanent lockout)."""
    login = normalise_login(form.login)
    ip_key, account_key = f"signin-ip:{attempt.ip}", f"signin-account:{login}"
    if await throttle.exceeded(db, ip_key, settings.signin_per_ip_hour, HOUR, attempt.now):
        raise Throttled(_("登录尝试过于频繁，请一小时后再试"))
    await throttle.hit(db, ip_key, attempt.now)
    if await throttle.exceeded(
        db, account_key, settings.signin_per_account_hour, HOUR, attempt.now
    ):
        raise Throttled(_("该账号登录失败次数过多，请一小时后再试"))
    person = await db.scalar(sa.select(Person).where(Person.login == login))
    hashing = settings.password_hashing
    ok = verify_password(person.password_hash if person else None, form.password, hashing)
    if not ok or person is None or person.disabled_at is not None:
        await throttle.hit(db, account_key, attempt.now)
        raise FormInvalid({"password": _("账号或密码不正确")}, {"login": form.login})
    if needs_rehash(person.password_hash, hashing):
        person.password_hash = hash_password(form.password, hashing)
    return person


async def change_password(
    db: AsyncSession, person: Person, form: ChangePasswordForm, hashing: Parameters = RECOMMENDED
) -> None:
    errors: dict[str, str] = {}
    if not verify_password(person.password_hash, form.current_password, hashing):
        errors["current_password"] = _("当前密码不正确")
    if form.new_password != form.new_password_again:
        errors["new_password_again"] = _("两次输入的密码不一致")
    elif reason := problem(form.new_password, person.login):
        errors["new_password"] = reason
    if errors:
        raise FormInvalid(errors)
    person.password_hash = hash_password(form.new_password, hashing)
    await audit.record(
        db,
        council_id=None,
        actor_id=person.id,
        actor_label=person.display_name,
        action="person.password_changed",
        object_type="person",
        object_id=person.id,
    )


# --- sessions -------------------------------------------------------------------------------


SECOND_FACTOR_WINDOW = dt.timedelta(minutes=10)


async def start_session(
    db: AsyncSession,
    person: Person,
    settings: Settings,
    now: dt.datetime,
    *,
    second_factor_pending: bool = False,
) -> str:
    """A fresh random token (256 bits) for every sign-in; only its hash is stored.

    A pending session (password right, second factor still to come) signs nobody in and
    lives only long enough to type a code.
    """
    # Sign-in is rare enough to sweep what has expired: old sessions and throttle windows.
    await db.execute(sa.delete(WebSession).where(WebSession.expires_at < now))
    await throttle.purge(db, now - dt.timedelta(days=1))
    token = secrets.token_urlsafe(32)
    db.add(
        WebSession(
            token_hash=_token_hash(token),
            person_id=person.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + SECOND_FACTOR_WINDOW
            if second_factor_pending
            else now + dt.timedelta(hours=settings.session_absolute_hours),
            second_factor_pending=second_factor_pending,
        )
    )
    await db.flush()
    return token


async def end_session(db: AsyncSession, token: str) -> None:
    await db.execute(sa.delete(WebSession).where(WebSession.token_hash == _token_hash(token)))


async def end_all_sessions(db: AsyncSession, person_id: UUID) -> None:
    await db.execute(sa.delete(WebSession).where(WebSession.person_id == person_id))


@dataclass(frozen=True)
class ResolvedSession:
    session_id: UUID
    person: Person
    needs_touch: bool


async def resolve_session(
    db: AsyncSession, token: str, settings: Settings, now: dt.datetime
) -> ResolvedSession | None:
    """The session behind a cookie, if it is alive and its person may still sign in."""
    if not token or len(token) > 100:
        return None
    row = (
        await db.execute(
            sa.select(WebSession, Person)
            .join(Person, Person.id == WebSession.person_id)
            .where(
                WebSession.token_hash == _token_hash(token),
                WebSession.second_factor_pending.is_(False),
            )
        )
    ).one_or_none()
    if row is None:
        return None
    session, person = row
    idle_limit = session.last_seen_at + dt.timedelta(minutes=settings.session_idle_minutes)
    if now >= session.expires_at or now >= idle_limit or person.disabled_at is not None:
        return None
    # Touch at most once a minute: the idle clock needs no finer grain than that.
    return ResolvedSession(session.id, person, now - session.last_seen_at > dt.timedelta(minutes=1))


async def pending_person(db: AsyncSession, token: str, now: dt.datetime) -> Person | None:
    """Whoever gave the right password and still owes the second factor, if in time."""
    if not token or len(token) > 100:
        return None
    return await db.scalar(
        sa.select(Person)
        .join(WebSession, WebSession.person_id == Person.id)
        .where(
            WebSession.token_hash == _token_hash(token),
            WebSession.second_factor_pending.is_(True),
            WebSession.expires_at > now,
            Person.disabled_at.is_(None),
        )
    )


async def touch_session(db: AsyncSession, session_id: UUID, now: dt.datetime) -> None:
    await db.execute(
        sa.update(WebSession).where(WebSession.id == session_id).values(last_seen_at=now)
    )


async def actor_for(db: AsyncSession, person: Person) -> Actor:
    rows = await db.execute(
        sa.select(Membership.council_id, Membership.role).where(
            Membership.person_id == person.id, Membership.status == ClaimStatus.VERIFIED
        )
    )
    roles: dict[UUID, set] = {}
    for council_id, role in rows:
        roles.setdefault(council_id, set()).add(role)
    return Actor(
        person_id=person.id,
        display_name=person.display_name,
        is_admin=person.is_admin,
        roles={cid: frozenset(r) for cid, r in roles.items()},
    )
