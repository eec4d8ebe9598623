"""The dispatcher: sends queued deliveries after their commit, apart from any request.

A request that made notifications wakes it once its transaction has committed (db.py); it
also wakes at start (deliveries left by a stop) and when a retry falls due. Each delivery is
claimed by one short transaction before it is sent, so several server processes never send
it twice, and its outcome is written by another. A failure is retried later with a growing
pause; after the last attempt the delivery is recorded as failed. Nothing here can fail or
slow the request that made the notification: it has been answered already.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from council.clock import Clock
from council.db import write_intent
from council.notifications.channels import DeliveryFailed, Message, offered
from council.notifications.models import Delivery, DeliveryStatus, Notification
from council.settings import Settings

log = logging.getLogger(__name__)

# Pause before attempt n+1 after n failed attempts (the last figure repeats).
RETRY_AFTER = (
    dt.timedelta(seconds=30),
    dt.timedelta(minutes=2),
    dt.timedelta(minutes=10),
    dt.timedelta(hours=1),
)
# How long a claimed delivery belongs to the process that claimed it: one that died while
# sending lets it go back to the queue after this.
LEASE = dt.timedelta(minutes=5)
BATCH = 50


def retry_after(attempts: int) -> dt.timedelta:
    return RETRY_AFTER[min(attempts, len(RETRY_AFTER)) - 1]


SessionFactory = Callable[[], AbstractAsyncContextManager[AsyncSession]]


class Dispatcher:
    """Delivers pending deliveries; one per server process, woken by ``kick``."""

    def __init__(
        self,
        sessions: SessionFactory,
        settings: Callable[[], Settings],
        clock: Callable[[], Clock],
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        self._clock = clock
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self._timer: asyncio.TimerHandle | None = None

    def kick(self) -> None:
        """Deliver what is due, soon, in the background (never awaited by a request)."""
        if self._task is not None and not self._task.done():
            self._again = True  # a commit landed while draining: look once more after
            return
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def idle(self) -> None:
        """Wait until the background run has finished (tests, shutdown)."""
        while self._task is not None and not self._task.done():
            await asyncio.wait({self._task})

    async def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            self._again = False
            try:
                await self.drain()
            except Exception:  # the next kick or timer tries again
                log.exception("delivering notifications failed")
            if not self._again:
                break
        await self._schedule_next()

    async def drain(self) -> int:
        """Send every delivery due now; the number sent."""
        sent = 0
        while True:
            due = await self._claim()
            if not due:
                return sent
            for delivery_id, kind, address, text, link in due:
                if await self._send_one(delivery_id, kind, address, text, link):
                    sent += 1

    async def _claim(self) -> list[tuple[UUID, str, str, str, str]]:
        now = self._clock().now()
        due = (
            sa.select(
                Delivery.id, Delivery.kind, Delivery.address, Notification.text, Notification.link
            )
            .join(Notification, Notification.id == Delivery.notification_id)
            .where(
                Delivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING]),
                Delivery.next_attempt_at <= now,
            )
            .order_by(Delivery.next_attempt_at)
            .limit(BATCH)
        )
        # Looking takes no write lock: with nothing due (nearly always), no writer waits.
        with write_intent(False):
            async with self._sessions() as db:
                rows = (await db.execute(due)).all()
        if not rows:
            return []
        claimed = []
        async with self._sessions() as db:
            for row in rows:
                # Only the process whose update matched sends it.
                result = await db.execute(
                    sa.update(Delivery)
                    .where(
                        Delivery.id == row.id,
                        Delivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING]),
                        Delivery.next_attempt_at <= now,
                    )
                    .values(
                        status=DeliveryStatus.SENDING,
                        attempts=Delivery.attempts + 1,
                        next_attempt_at=now + LEASE,
                    )
                )
                if result.rowcount == 1:  # type: ignore[attr-defined]
                    claimed.append((row.id, row.kind, row.address, row.text, row.link))
            await db.commit()
        return claimed

    async def _send_one(
        self, delivery_id: UUID, kind: str, address: str, text: str, link: str
    ) -> bool:
        settings = self._settings()
        channel = offered(settings).get(kind)  # type: ignore[call-overload]
        error = ""
        if channel is None:
            error = f"{kind}: channel not configured on this server"
        else:
            try:
                await channel.send(address, Message(text, f"{settings.base_url}{link}"))
            except DeliveryFailed as exc:
                error = str(exc)
            except Exception as exc:  # a channel's own bug must not stop the others
                log.exception("channel %s failed unexpectedly", kind)
                error = f"{kind}: {type(exc).__name__}"
        now = self._clock().now()
        async with self._sessions() as db:
            delivery = await db.get(Delivery, delivery_id)
            if delivery is None:
                return False
            if not error:
                delivery.status = DeliveryStatus.SENT
                delivery.sent_at = now
                delivery.last_error = ""
            else:
                delivery.last_error = error[:500]
                if delivery.attempts >= settings.delivery_attempts:
                    delivery.status = DeliveryStatus.FAILED
                else:
                    delivery.status = DeliveryStatus.PENDING
                    delivery.next_attempt_at = now + retry_after(delivery.attempts)
                log.warning(
                    "delivery %s attempt %s failed: %s", delivery_id, delivery.attempts, error
                )
            await db.commit()
        return not error

    async def _schedule_next(self) -> None:
        """Wake again when the earliest retry falls due."""
        try:
            with write_intent(False):
                async with self._sessions() as db:
                    earliest = await db.scalar(
                        sa.select(sa.func.min(Delivery.next_attempt_at)).where(
                            Delivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING])
                        )
                    )
        except Exception:
            log.exception("looking for the next delivery failed")
            return
        if earliest is None:
            return
        if earliest.tzinfo is None:
            earliest = earliest.replace(tzinfo=dt.UTC)
        delay = max((earliest - self._clock().now()).total_seconds(), 1.0)
        if self._timer is not None:
            self._timer.cancel()
        self._timer = asyncio.get_running_loop().call_later(delay, self.kick)
