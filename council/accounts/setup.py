"""The first administrator of an empty instance, without the demo and without SQL.

While nobody is an administrator, the server prints a one-time setup code at start; the setup
page (/setup) asks for it, so that only whoever sees the server's output can claim the
instance, and is gone (404) once an administrator exists. The code is derived from the secret
key and a nonce kept in the database, so every worker prints and accepts the same one.
``python -m council accounts create-admin LOGIN`` does the same from a shell.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import sys

import msgspec
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts import throttle
from council.accounts.models import Person, SetupClaim
from council.accounts.schemas import Login, Name, Secret
from council.accounts.service import Attempt, create_person, new_password_errors, normalise_login
from council.audit import service as audit
from council.errors import FormInvalid, NotFound
from council.i18n import _
from council.settings import Settings

# No 0/O, 1/I/L: the code is read off a terminal and typed on a phone.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
GROUPS, GROUP = 3, 4  # 12 characters, about 59 bits: not guessable within any rate limit


class AdminForm(msgspec.Struct):
    login: Login
    display_name: Name
    password: Secret
    password_again: Secret


class SetupForm(AdminForm):
    code: Secret


def _code(secret_key: str, nonce: str) -> str:
    digest = hmac.new(secret_key.encode(), f"setup:{nonce}".encode(), hashlib.sha256).digest()
    chars = [ALPHABET[b % len(ALPHABET)] for b in digest[: GROUPS * GROUP]]
    return "-".join("".join(chars[i : i + GROUP]) for i in range(0, len(chars), GROUP))


def _typed(code: str) -> str:
    """A code as a person may type it: any case, spaces or dashes anywhere."""
    plain = "".join(c for c in code.upper() if c.isalnum())
    return "-".join(plain[i : i + GROUP] for i in range(0, len(plain), GROUP))


async def needs_setup(db: AsyncSession) -> bool:
    return await db.scalar(sa.select(Person.id).where(Person.is_admin).limit(1)) is None


async def setup_code(
    db: AsyncSession, settings: Settings, now: dt.datetime, *, make: bool = True
) -> str | None:
    """The code that claims this instance, made on first need (``make``: the server's start
    and the claim, never a page view); None once it is claimed or while none was made."""
    if not await needs_setup(db):
        return None
    nonce = await db.scalar(sa.select(SetupClaim.nonce).limit(1))
    if nonce is None and not make:
        return None
    if nonce is None:
        try:
            async with db.begin_nested():
                db.add(SetupClaim(nonce=secrets.token_hex(32), created_at=now))
        except IntegrityError:  # another worker made it first: use theirs
            pass
        nonce = await db.scalar(sa.select(SetupClaim.nonce).limit(1))
    return _code(settings.secret_key, str(nonce))


def announce(code: str, base_url: str) -> None:
    """Print the code where only whoever runs the server sees it: its output."""
    print(  # the server's output is where the code must appear
        f"council: no administrator yet. Open {base_url}/setup and enter the setup code {code}",
        file=sys.stderr,
        flush=True,
    )


async def create_admin(
    db: AsyncSession, form: AdminForm, settings: Settings, now: dt.datetime, *, via: str
) -> Person:
    """A new person who administers the platform; audited with the way it was made."""
    login = normalise_login(form.login)
    values = {"login": form.login, "display_name": form.display_name}
    errors = new_password_errors(form.password, form.password_again, login)
    if await db.scalar(sa.select(Person.id).where(Person.login == login)):
        errors["login"] = _("这个账号已被使用")
    if errors:
        raise FormInvalid(errors, values)
    person = await create_person(
        db, login, form.display_name, form.password, settings, is_admin=True
    )
    await db.execute(sa.delete(SetupClaim))
    await audit.record(
        db,
        council_id=None,
        actor_id=person.id,
        actor_label=person.display_name,
        action="person.admin_created",
        object_type="person",
        object_id=person.id,
        summary={"via": via},
        at=now,
    )
    return person


async def claim(db: AsyncSession, form: SetupForm, attempt: Attempt, settings: Settings) -> Person:
    """The setup page's form: the right code makes the first administrator. Wrong codes
    count against the address like failed sign-ins."""
    expected = await setup_code(db, settings, attempt.now)
    if expected is None:
        raise NotFound(_("找不到这个页面"))
    key = f"signin-ip:{attempt.address}"
    await throttle.within_hourly(
        db,
        key,
        settings.signin_failures_per_ip_hour,
        attempt.now,
        _("来自您所在网络的尝试次数过多，请一小时后再试"),
    )
    if not hmac.compare_digest(_typed(form.code), expected):
        await throttle.hit(db, key, attempt.now)
        values = {"login": form.login, "display_name": form.display_name}
        raise FormInvalid({"code": _("设置码不正确，请核对服务器启动时显示的设置码")}, values)
    return await create_admin(db, form, settings, attempt.now, via="setup page")
