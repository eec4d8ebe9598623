"""S35's rules without a database: which errors run a request again, and the replayed body."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError

from council.db import is_retryable, sqlstate_of
from council.web.retry import _Replay


class DriverError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"SQLSTATE {sqlstate}")
        self.sqlstate = sqlstate


def wrapped(sqlstate: str, kind: type[DBAPIError] = DBAPIError) -> DBAPIError:
    return kind("INSERT INTO vote …", {}, DriverError(sqlstate))


@pytest.mark.parametrize(
    ("error", "retry"),
    [
        (wrapped("40001"), True),  # serialization_failure
        (wrapped("40P01"), True),  # deadlock_detected
        (wrapped("23505", IntegrityError), False),  # a second vote: refused, never retried
        (wrapped("57P01"), False),  # admin shutdown: S37's 503, not a retry
        (RuntimeError("not the database"), False),
    ],
)
def test_S35_only_serialization_failures_and_deadlocks_are_retried(
    error: Exception, retry: bool
) -> None:
    assert is_retryable(error) is retry


def test_S35_an_error_raised_from_an_aborted_transaction_is_retried() -> None:
    """What a failed commit becomes on its way out of Litestar: an error raised from it."""
    try:
        try:
            raise wrapped("40001")
        except DBAPIError as exc:
            raise RuntimeError("Exception caught after response started") from exc
    except RuntimeError as outer:
        assert sqlstate_of(outer) == "40001" and is_retryable(outer)


def test_S35_a_retry_reads_the_same_body_and_then_what_follows() -> None:
    messages: list[Any] = [
        {"type": "http.request", "body": b"choice=", "more_body": True},
        {"type": "http.request", "body": b"yes", "more_body": False},
        {"type": "http.disconnect"},
    ]
    source = iter(messages)

    async def receive() -> Any:
        return next(source)

    async def run() -> list[Any]:
        replay = _Replay(receive)
        first = [await replay.receive()]  # the first attempt read only part of the body
        replay.rewind()
        return first + [await replay.receive() for _ in range(3)]

    assert asyncio.run(run()) == [messages[0], *messages]
