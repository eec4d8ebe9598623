"""Password rules and argon2id hashing."""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import Parameters, get_default_parameters

from council.i18n import _

MIN_LENGTH = 8
MAX_LENGTH = 128
# argon2id with the library's current recommended parameters: what production hashes with.
RECOMMENDED = get_default_parameters()


@functools.cache
def _hasher(*parameters: object) -> PasswordHasher:
    return PasswordHasher.from_parameters(Parameters(*parameters))


def hasher(parameters: Parameters) -> PasswordHasher:
    """One hasher per set of parameters (Parameters itself is not hashable)."""
    return _hasher(*dataclasses.astuple(parameters))


@functools.cache
def _dummy_hash(*parameters: object) -> str:
    return _hasher(*parameters).hash("council-timing-equaliser")


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


def hash_password(password: str, parameters: Parameters = RECOMMENDED) -> str:
    return hasher(parameters).hash(password)


def verify_password(
    password_hash: str | None, password: str, parameters: Parameters = RECOMMENDED
) -> bool:
    """A hash verifies at the cost it was made with; an unknown login is checked against a
    dummy made with ``parameters``, so that it costs what a wrong password costs."""
    checked = password_hash or _dummy_hash(*dataclasses.astuple(parameters))
    try:
        return hasher(parameters).verify(checked, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str, parameters: Parameters = RECOMMENDED) -> bool:
    return hasher(parameters).check_needs_rehash(password_hash)
