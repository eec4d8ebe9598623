"""Sign-up, sign-in, passwords and server-side sessions."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts import throttle
from council.accounts.models import Person, WebSession
from council.accounts.passwords import (
    hash_password,
    needs_rehash,
    problem,
    verify_password,
)
from council.accounts.schemas import ChangePasswordForm, SignInForm, SignUpForm
from council.audit import service as audit
from council.councils.models import ClaimStatus, Membership
from council.councils.permissions import Actor
from council.errors import FormInvalid
from council.i18n import _
from council.settings import Settings
from council.workorders.models import DepartmentCouncil, DepartmentLiaison


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_login(login: str) -> str:
    return login.strip().lower()


@dataclass(frozen=True)
class Attempt:
    """Where and when a request to sign up or sign in came from."""

    ip: str
    now: dt.datetime

    @property
    def address(self) -> str:
        return throttle.address_key(self.ip)


def new_password_errors(password: str, again: str, login: str) -> dict[str, str]:
    """Field → why a new password is refused (typed twice alike, long and uncommon enough)."""
    errors: dict[str, str] = {}
    if password != again:
        errors["password_again"] = _("两次输入的密码不一致")
    if reason := problem(password, login):
        errors["password"] = reason
    return errors


async def create_person(
    db: AsyncSession,
    login: str,
    display_name: str,
    password: str,
    settings: Settings,
    *,
    phone: str = "",
    is_admin: bool = False,
    must_change_password: bool = False,
) -> Person:
    """A new account (the caller checked the login is free and audits how it was made)."""
    person = Person(
        login=normalise_login(login),
        display_name=display_name,
        phone=phone,
        password_hash=hash_password(password, settings.password_hashing),
        is_admin=is_admin,
        must_change_password=must_change_password,
    )
    db.add(person)
    await db.flush()
    return person


async def sign_up(
    db: AsyncSession, form: SignUpForm, attempt: Attempt, settings: Settings
) -> Person:
    """Create an account, under a per-address limit. Whatever costs a password hash or tells
    whether a login is taken counts towards it; a mistyped password costs nothing and counts
    nothing (the login is looked up only once the passwords are right)."""
    login = normalise_login(form.login)
    values = {"login": form.login, "display_name": form.display_name}
    if errors := new_password_errors(form.password, form.password_again, login):
        raise FormInvalid(errors, values)
    key = f"signup-ip:{attempt.address}"
    await throttle.within_hourly(
        db,
        key,
        settings.signup_per_ip_hour,
        attempt.now,
        _("来自您所在网络的注册过于频繁，请一小时后再试"),
    )
    await throttle.hit(db, key, attempt.now)
    taken = await db.scalar(sa.select(Person.id).where(Person.login == login))
    if taken:
        raise FormInvalid({"login": _("这个账号已被使用")}, values)
    person = await create_person(
        db, login, form.display_name, form.password, settings, phone=form.phone
    )
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


async def authenticate(
    db: AsyncSession, form: SignInForm, attempt: Attempt, settings: Settings
) -> Person:
    """Check a password under the per-address and per-account limits on failures (no
    permanent lockout). A successful sign-in counts against nobody: a meeting of twenty on
    one Wi-Fi must get in."""
    login = normalise_login(form.login)
    ip_key, account_key = f"signin-ip:{attempt.address}", f"signin-account:{login}"
    await throttle.within_hourly(
        db,
        ip_key,
        settings.signin_failures_per_ip_hour,
        attempt.now,
        _("来自您所在网络的登录失败次数过多，请一小时后再试"),
    )
    await throttle.within_hourly(
        db,
        account_key,
        settings.signin_failures_per_account_hour,
        attempt.now,
        _("该账号登录失败次数过多，请一小时后再试"),
    )
    person = await db.scalar(sa.select(Person).where(Person.login == login))
    hashing = settings.password_hashing
    ok = verify_password(person.password_hash if person else None, form.password, hashing)
    if not ok or person is None or person.disabled_at is not None:
        await throttle.hit(db, ip_key, attempt.now)
        await throttle.hit(db, account_key, attempt.now)
        raise FormInvalid({"password": _("账号或密码不正确")}, {"login": form.login})
    if needs_rehash(person.password_hash, hashing):
        person.password_hash = hash_password(form.password, hashing)
    return person


async def current_password_ok(
    db: AsyncSession, person: Person, password: str, settings: Settings, now: dt.datetime
) -> bool:
    """Check a signed-in person's password again (to change it, or to turn off the second
    factor). Wrong ones are counted per account, so that a borrowed or stolen session cannot
    be used to guess the password behind it; the caller commits the count."""
    key = f"password-account:{person.id}"
    await throttle.within_hourly(
        db,
        key,
        settings.password_failures_per_account_hour,
        now,
        _("当前密码输错次数过多，请一小时后再试"),
    )
    if verify_password(person.password_hash, password, settings.password_hashing):
        return True
    await throttle.hit(db, key, now)
    return False


async def change_password(
    db: AsyncSession, person: Person, form: ChangePasswordForm, settings: Settings, now: dt.datetime
) -> None:
    errors: dict[str, str] = {}
    if not await current_password_ok(db, person, form.current_password, settings, now):
        errors["current_password"] = _("当前密码不正确")
    if form.new_password != form.new_password_again:
        errors["new_password_again"] = _("两次输入的密码不一致")
    elif reason := problem(form.new_password, person.login):
        errors["new_password"] = reason
    if errors:
        raise FormInvalid(errors)
    person.password_hash = hash_password(form.new_password, settings.password_hashing)
    initial, person.must_change_password = person.must_change_password, False
    await audit.record(
        db,
        council_id=None,
        actor_id=person.id,
        actor_label=person.display_name,
        action="person.password_changed",
        object_type="person",
        object_id=person.id,
        summary={"initial": True} if initial else None,
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
            token_hash=token_hash(token),
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
    await db.execute(sa.delete(WebSession).where(WebSession.token_hash == token_hash(token)))


async def end_all_sessions(db: AsyncSession, person_id: UUID) -> None:
    await db.execute(sa.delete(WebSession).where(WebSession.person_id == person_id))


@dataclass(frozen=True)
class ResolvedSession:
    session_id: UUID
    person: Person
    last_seen_at: dt.datetime
    expires_at: dt.datetime


def session_alive(
    last_seen_at: dt.datetime, expires_at: dt.datetime, now: dt.datetime, settings: Settings
) -> bool:
    """Within its absolute lifetime and its idle limit."""
    idle_limit = last_seen_at + dt.timedelta(minutes=settings.session_idle_minutes)
    return now < expires_at and now < idle_limit


async def resolve_session(
    db: AsyncSession,
    token: str,
    settings: Settings,
    now: dt.datetime,
    *,
    seen: dt.datetime | None = None,
) -> ResolvedSession | None:
    """The session behind a cookie, if it is alive and its person may still sign in.
    ``seen``: a later use of the session than the stored one, known but not yet written."""
    if not token or len(token) > 100:
        return None
    row = (
        await db.execute(
            sa.select(WebSession, Person)
            .join(Person, Person.id == WebSession.person_id)
            .where(
                WebSession.token_hash == token_hash(token),
                WebSession.second_factor_pending.is_(False),
            )
        )
    ).one_or_none()
    if row is None:
        return None
    session, person = row
    last_seen = max(session.last_seen_at, seen) if seen else session.last_seen_at
    if not session_alive(last_seen, session.expires_at, now, settings) or person.disabled_at:
        return None
    return ResolvedSession(session.id, person, last_seen, session.expires_at)


async def pending_person(db: AsyncSession, token: str, now: dt.datetime) -> Person | None:
    """Whoever gave the right password and still owes the second factor, if in time."""
    if not token or len(token) > 100:
        return None
    return await db.scalar(
        sa.select(Person)
        .join(WebSession, WebSession.person_id == Person.id)
        .where(
            WebSession.token_hash == token_hash(token),
            WebSession.second_factor_pending.is_(True),
            WebSession.expires_at > now,
            Person.disabled_at.is_(None),
        )
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
    # A liaison acts for his department in every council it serves (职能部门联络员).
    served = await db.execute(
        sa.select(DepartmentCouncil.council_id, DepartmentLiaison.department_id)
        .join(DepartmentCouncil, DepartmentCouncil.department_id == DepartmentLiaison.department_id)
        .where(DepartmentLiaison.person_id == person.id, DepartmentLiaison.ended_at.is_(None))
    )
    departments: dict[UUID, set[UUID]] = {}
    for council_id, department_id in served:
        departments.setdefault(council_id, set()).add(department_id)
    return Actor(
        person_id=person.id,
        display_name=person.display_name,
        is_admin=person.is_admin,
        roles={cid: frozenset(r) for cid, r in roles.items()},
        departments={cid: frozenset(d) for cid, d in departments.items()},
    )
