"""Notifications: in-app (read and unread), and delivered after the commit through the
channels a person chose, e-mail over SMTP (a local aiosmtpd server here) and a 企业微信
group-robot webhook (a local HTTP server here); a failing channel fails no request, loses no
in-app notification, and is retried."""

from __future__ import annotations

import dataclasses
import email
import json
import socket
import threading
from collections.abc import Iterator
from email.message import Message as EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from council.accounts.models import Person
from council.clock import FixedClock
from council.notifications.models import Delivery, DeliveryStatus, Notification
from tests.support import Client, on_app_loop, post_form, sign_in_directly, text_of
from tests.voting_support import BASE, opened

QUESTION = "是否同意外摆区域限定在门前一米内"  # tests.voting_support.draft's question


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Mailbox:
    """What the local SMTP server received."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[int, Mailbox]]:
    mailbox = Mailbox()
    port = _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, mailbox
    controller.stop()


class Robot:
    """What the local webhook server received, and the answers it gives, in turn."""

    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.answers: list[int] = []  # statuses to answer before answering 200


@pytest.fixture
def robot() -> Iterator[tuple[str, Robot]]:
    state = Robot()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status = state.answers.pop(0) if state.answers else 200
            if status == 200:
                state.posts.append(json.loads(body))
            answer = json.dumps({"errcode": 0 if status == 200 else 1, "errmsg": "ok"}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/cgi-bin/webhook/send?key=", state
    server.shutdown()
    server.server_close()


def configure(app: Litestar, *, smtp_port: int, webhook: str, attempts: int = 5) -> None:
    app.state.settings = dataclasses.replace(
        app.state.settings,
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_security="none",
        smtp_from="council@street.example",
        webhook_prefixes=(webhook,),
        delivery_attempts=attempts,
    )


async def choose_channels(client: Client, webhook: str) -> None:
    response = await post_form(
        client,
        "/me/notifications/settings",
        {
            "email_enabled": "true",
            "email_address": "jumin01@street.example",
            "webhook_enabled": "true",
            "webhook_address": f"{webhook}jumin01-group",
        },
    )
    assert response.status_code == 303, response.text


def delivered(app: Litestar) -> None:
    """Wait for the dispatcher woken by the last commit to finish (it runs on the app's loop)."""
    on_app_loop(app.state.dispatcher.idle)


async def deliveries(db: AsyncSession, person: str) -> dict[str, Delivery]:
    await db.rollback()
    person_id = await db.scalar(sa.select(Person.id).where(Person.login == person))
    rows = await db.execute(sa.select(Delivery).where(Delivery.person_id == person_id))
    return {d.kind.value: d for d in rows.scalars()}


async def test_ballot_opening_reaches_the_smtp_server_and_the_webhook(
    app: Litestar,
    client: Client,
    db: AsyncSession,
    smtp: tuple[int, Mailbox],
    robot: tuple[str, Robot],
) -> None:
    (port, mailbox), (webhook, hooks) = smtp, robot
    configure(app, smtp_port=port, webhook=webhook)
    await sign_in_directly(client, "jumin01")
    await choose_channels(client, webhook)
    ballot = await opened(app)
    delivered(app)

    [(recipients, mail)] = mailbox.messages
    assert recipients == ["jumin01@street.example"]
    assert QUESTION in str(mail["Subject"]) or QUESTION in mail.get_payload(decode=True).decode()
    body = mail.get_payload(decode=True).decode()
    assert f"http://testserver.local{BASE}/{ballot}" in body
    [post] = hooks.posts
    assert post["msgtype"] == "text"
    assert QUESTION in post["text"]["content"]
    assert f"http://testserver.local{BASE}/{ballot}" in post["text"]["content"]
    found = await deliveries(db, "jumin01")
    assert {k: d.status for k, d in found.items()} == {
        "email": DeliveryStatus.SENT,
        "webhook": DeliveryStatus.SENT,
    }
    page = text_of((await client.get("/me/notifications")).text)
    assert f"表决已开始，请投票：{QUESTION}" in page
    assert "邮件已发送" in page and "企业微信已发送" in page


async def test_a_failing_channel_fails_no_request_keeps_the_notification_and_is_retried(
    app: Litestar,
    client: Client,
    db: AsyncSession,
    clock: FixedClock,
    robot: tuple[str, Robot],
) -> None:
    webhook, hooks = robot
    hooks.answers = [500]  # the robot's service is down for the first attempt
    closed_port = _free_port()  # nothing listens here: every e-mail attempt fails
    configure(app, smtp_port=closed_port, webhook=webhook, attempts=2)
    await sign_in_directly(client, "jumin01")
    await choose_channels(client, webhook)
    ballot = await opened(app)  # the facilitator's request succeeds (303) all the same
    delivered(app)

    await db.rollback()
    person_id = await db.scalar(sa.select(Person.id).where(Person.login == "jumin01"))
    stored = await db.scalar(
        sa.select(Notification).where(
            Notification.person_id == person_id, Notification.link.endswith(str(ballot))
        )
    )
    assert stored is not None and stored.read_at is None
    found = await deliveries(db, "jumin01")
    assert found["webhook"].status is DeliveryStatus.PENDING
    assert found["webhook"].attempts == 1 and "HTTP 500" in found["webhook"].last_error
    assert found["email"].status is DeliveryStatus.PENDING and found["email"].attempts == 1
    assert hooks.posts == []

    # The retry falls due: the robot is back and gets it; e-mail fails its last attempt.
    clock.advance(minutes=1)
    sent = on_app_loop(app.state.dispatcher.drain)
    assert sent == 1
    [post] = hooks.posts
    assert QUESTION in post["text"]["content"]
    found = await deliveries(db, "jumin01")
    assert found["webhook"].status is DeliveryStatus.SENT and found["webhook"].attempts == 2
    assert found["email"].status is DeliveryStatus.FAILED and found["email"].attempts == 2
    assert "SMTP" in found["email"].last_error
    page = text_of((await client.get("/me/notifications")).text)
    assert QUESTION in page and "邮件发送失败" in page and "企业微信已发送" in page


async def test_channels_without_a_usable_address_are_refused_in_place(
    app: Litestar, client: Client, db: AsyncSession, robot: tuple[str, Robot]
) -> None:
    webhook, _hooks = robot
    configure(app, smtp_port=_free_port(), webhook=webhook)
    await sign_in_directly(client, "jumin01")
    response = await post_form(
        client,
        "/me/notifications/settings",
        {
            "email_enabled": "true",
            "email_address": "not-an-address",
            "webhook_enabled": "true",
            "webhook_address": "http://10.0.0.5/internal",
        },
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    text = text_of(response.text)
    assert "请填写有效的电子邮箱地址" in text
    assert "请填写企业微信群机器人的 Webhook 地址" in text
    assert 'value="not-an-address"' in response.text
    assert 'value="http://10.0.0.5/internal"' in response.text
    assert await deliveries(db, "jumin01") == {}
    # A server without SMTP does not offer e-mail: turning it on is refused.
    app.state.settings = dataclasses.replace(app.state.settings, smtp_host="")
    refused = await post_form(
        client,
        "/me/notifications/settings",
        {"email_enabled": "true", "email_address": "jumin01@street.example"},
    )
    assert refused.status_code == 422 and "本站未开通这种通知方式" in text_of(refused.text)


async def test_notifications_stay_unread_until_opened_or_marked(
    app: Litestar, client: Client, db: AsyncSession
) -> None:
    ballot = await opened(app)
    await sign_in_directly(client, "jumin01")
    page = await client.get("/me/notifications")
    assert "未读" in text_of(page.text)
    await db.rollback()
    person_id = await db.scalar(sa.select(Person.id).where(Person.login == "jumin01"))
    notification = await db.scalar(
        sa.select(Notification.id).where(
            Notification.person_id == person_id, Notification.link.endswith(str(ballot))
        )
    )
    assert notification is not None
    opened_one = await post_form(client, f"/me/notifications/{notification}/open")
    assert opened_one.status_code == 303
    assert opened_one.headers["location"] == f"{BASE}/{ballot}"
    await db.rollback()
    assert (await db.get(Notification, notification)).read_at is not None  # type: ignore[union-attr]
    # Another person's notification is missing to this one, and stays unread.
    await sign_in_directly(client, "jumin02")
    other = await post_form(client, f"/me/notifications/{notification}/open")
    assert other.status_code == 404
    # Marking all read is a POST of its own.
    await sign_in_directly(client, "jumin01")
    assert (await post_form(client, "/me/notifications/read")).status_code == 303
    assert "未读" not in text_of((await client.get("/me/notifications")).text)
