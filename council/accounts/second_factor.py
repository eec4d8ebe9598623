"""Second factor: time-based one-time codes (TOTP, RFC 6238) from an authenticator app.

Facilitators and administrators should turn it on (SECURITY: privileged roles); anyone may.
Enrolment stores a fresh secret and enables it only once a code from the app proves the app
holds it. At sign-in, a person with the factor on gets a pending session that signs nobody in
until a code is given; a code is accepted once (its time step is remembered).
"""

from __future__ import annotations

import datetime as dt

import pyotp
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts import service as accounts
from council.accounts import throttle
from council.accounts.models import Person
from council.audit import service as audit
from council.errors import Conflict, FormInvalid, Throttled
from council.i18n import _
from council.settings import Settings

ISSUER = "商居议事"
HOUR = dt.timedelta(hours=1)


def enabled(person: Person) -> bool:
    return person.totp_secret is not None and person.totp_enabled_at is not None


def provisioning_uri(person: Person, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=person.login, issuer_name=ISSUER)


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


async def begin(db: AsyncSession, person: Person) -> None:
    """A fresh secret awaiting confirmation; an enabled factor must be turned off first."""
    if enabled(person):
        raise Conflict(_("两步验证已开启；如需更换，请先关闭"))
    person.totp_secret = pyotp.random_base32()
    person.totp_last_step = None


def _accept(person: Person, code: str, now: dt.datetime) -> bool:
    """True once per code: a code whose time step was already used is refused."""
    code = code.strip().replace(" ", "")
    if person.totp_secret is None or not (code.isdigit() and len(code) == 6):
        return False
    totp = pyotp.TOTP(person.totp_secret)
    step = totp.timecode(now)
    for candidate in (step - 1, step, step + 1):  # one step of clock drift either way
        if pyotp.utils.strings_equal(code, totp.generate_otp(candidate)):
            if person.totp_last_step is not None and candidate <= person.totp_last_step:
                return False
            person.totp_last_step = candidate
            return True
    return False


async def confirm(db: AsyncSession, person: Person, code: str, now: dt.datetime) -> None:
    if person.totp_secret is None or enabled(person):
        raise Conflict(_("请先开始设置两步验证"))
    if not _accept(person, code, now):
        raise FormInvalid({"code": _("验证码不正确，请输入验证器应用中当前显示的 6 位数字")})
    person.totp_enabled_at = now
    await _audit(db, person, "person.second_factor_enabled", now)


async def disable(
    db: AsyncSession, person: Person, password: str, code: str, settings: Settings, now: dt.datetime
) -> None:
    if not enabled(person):
        raise Conflict(_("两步验证没有开启"))
    errors = {}
    if not await accounts.current_password_ok(db, person, password, settings, now):
        errors["password"] = _("密码不正确")
    if not _accept(person, code, now):
        errors["code"] = _("验证码不正确，请输入验证器应用中当前显示的 6 位数字")
    if errors:
        raise FormInvalid(errors)
    person.totp_secret = None
    person.totp_enabled_at = None
    person.totp_last_step = None
    await _audit(db, person, "person.second_factor_disabled", now)


async def reset(db: AsyncSession, login: str, now: dt.datetime) -> Person | None:
    """For a lost phone: the server's operator turns the factor off (audited)."""
    person = await db.scalar(sa.select(Person).where(Person.login == login))
    if person is None:
        return None
    person.totp_secret = None
    person.totp_enabled_at = None
    person.totp_last_step = None
    await _audit(db, person, "person.second_factor_reset", now)
    return person


async def check_sign_in_code(
    db: AsyncSession, person: Person, code: str, limit_per_hour: int, now: dt.datetime
) -> None:
    """The second step of sign-in, under the same per-account limit as passwords."""
    key = f"signin-account:{person.login}"
    if await throttle.exceeded(db, key, limit_per_hour, HOUR, now):
        raise Throttled(_("该账号登录失败次数过多，请一小时后再试"))
    if not _accept(person, code, now):
        await throttle.hit(db, key, now)
        raise FormInvalid({"code": _("验证码不正确，请输入验证器应用中当前显示的 6 位数字")})


async def _audit(db: AsyncSession, person: Person, action: str, now: dt.datetime) -> None:
    await audit.record(
        db,
        council_id=None,
        actor_id=person.id,
        actor_label=person.display_name,
        action=action,
        object_type="person",
        object_id=person.id,
        at=now,
    )
