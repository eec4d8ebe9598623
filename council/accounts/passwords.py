"""Password rules and argon2id hashing."""

from __future__ import annotations

import functools
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from council.i18n import _

MIN_LENGTH = 8
MAX_LENGTH = 128
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Used when the login is unknown, so that a wrong login costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash("council-timing-equaliser")


@functools.cache
def _common() -> frozenset[str]:
    path = Path(__file__).with_name("common_passwords.txt")
    return frozenset(line.strip().lower() for line in path.read_text().splitlines() if line)


def problem(password: str, login: str = "") -> str | None:
    """Why a new password is refused, or None."""
    if len(password) < MIN_LENGTH:
        return _("密码至少 %(n)s 位", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("密码不能超过 %(n)s 位", n=MAX_LENGTH)
    lowered = password.lower()
    if lowered in _common() or len(set(password)) <= 2 or (login and lowered == login.lower()):
        return _("这个密码太常见，容易被猜到，请换一个")
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
