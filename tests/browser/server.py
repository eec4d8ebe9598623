"""The app the browser tests serve: configured from the environment like a real server, with
the suite's password-hashing cost (the demo database it serves was hashed at that cost) and
no connection pool, so that no connection outlives the request that opened it and each
test's fresh copy of the database is what the next request sees."""

from __future__ import annotations

from dataclasses import replace

from litestar import Litestar

from council.app import create_app
from council.settings import Settings
from tests.databases import PASSWORD_HASHING


def create_test_app() -> Litestar:
    settings = replace(Settings.from_env(), password_hashing=PASSWORD_HASHING, db_pool=False)
    return create_app(settings)
