"""The app the browser tests serve: configured from the environment like a real server, with
the suite's password-hashing cost (the demo database it serves was hashed at that cost)."""

from __future__ import annotations

from dataclasses import replace

from litestar import Litestar

from council.app import create_app
from council.settings import Settings
from tests.databases import PASSWORD_HASHING


def create_test_app() -> Litestar:
    return create_app(replace(Settings.from_env(), password_hashing=PASSWORD_HASHING))
