"""Delivery channels: e-mail over SMTP and a webhook in the 企业微信 group-robot format.

A channel sends one message to one address or raises DeliveryFailed; the dispatcher decides
about retries. Neither speaks a protocol by hand: smtplib and httpx do.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Protocol

import anyio

from council.i18n import _
from council.notifications.models import ChannelKind
from council.settings import Settings

# A plain address: something@host.tld, no display name, no spaces or angle brackets.
EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")
TIMEOUT_SECONDS = 10.0


class DeliveryFailed(Exception):
    """The channel could not deliver; the message says why (kept with the delivery)."""


@dataclass(frozen=True)
class Message:
    text: str
    url: str  # absolute, from the configured base URL

    @property
    def body(self) -> str:
        return f"{self.text}\n{self.url}"


class Channel(Protocol):
    kind: ChannelKind

    async def send(self, address: str, message: Message) -> None: ...


def address_problem(kind: ChannelKind, address: str, webhook_prefixes: tuple[str, ...]) -> str:
    """Why ``address`` cannot be used for ``kind``, or "" when it can."""
    if not address:
        return _("请填写地址")
    if kind is ChannelKind.EMAIL:
        if len(address) > 254 or not EMAIL.match(address):
            return _("请填写有效的电子邮箱地址，例如 name@example.com")
        return ""
    # Only the configured robot services: the server must not be made to post anywhere a
    # person types (an address inside the street office's network, for one).
    if not webhook_prefixes:
        return _("本站未开通这种通知方式")
    if len(address) > 500 or not any(address.startswith(p) for p in webhook_prefixes if p):
        return _("请填写企业微信群机器人的 Webhook 地址（以 %(p)s 开头）", p=webhook_prefixes[0])
    return ""


class EmailChannel:
    """E-mail through the configured SMTP server (STARTTLS, SSL or plain on a local relay)."""

    kind = ChannelKind.EMAIL

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def send(self, address: str, message: Message) -> None:
        mail = EmailMessage()
        mail["From"] = formataddr((_("商居议事"), self.settings.smtp_from))
        mail["To"] = address
        # One line: a title typed with a line break must not break the header.
        mail["Subject"] = _("【商居议事】%(text)s", text=" ".join(message.text.split())[:60])
        mail["Message-ID"] = make_msgid(domain=self.settings.smtp_from.rsplit("@", 1)[-1])
        mail.set_content(message.body)
        try:
            await anyio.to_thread.run_sync(self._send, mail)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryFailed(f"SMTP: {exc}"[:500]) from exc

    def _send(self, mail: EmailMessage) -> None:
        s = self.settings
        context = ssl.create_default_context()
        smtp_class = smtplib.SMTP_SSL if s.smtp_security == "ssl" else smtplib.SMTP
        kwargs = {"context": context} if s.smtp_security == "ssl" else {}
        with smtp_class(s.smtp_host, s.smtp_port, timeout=TIMEOUT_SECONDS, **kwargs) as smtp:
            if s.smtp_security == "starttls":
                smtp.starttls(context=context)
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password)
            smtp.send_message(mail)


class WebhookChannel:
    """A text message posted to a 企业微信 group robot (or anything speaking its format)."""

    kind = ChannelKind.WEBHOOK

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def send(self, address: str, message: Message) -> None:
        if address_problem(self.kind, address, self.settings.webhook_prefixes):
            # The allowed prefixes may have changed since the person saved the address.
            raise DeliveryFailed("webhook: address no longer allowed")
        payload = {"msgtype": "text", "text": {"content": message.body}}
        # Imported here: a web worker that never delivers a webhook does not carry httpx.
        import httpx

        try:
            async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS, follow_redirects=False) as client:
                response = await client.post(address, json=payload)
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"webhook: {type(exc).__name__}: {exc}"[:500]) from exc
        if response.status_code != 200:
            raise DeliveryFailed(f"webhook: HTTP {response.status_code}")
        # The robot answers 200 with {"errcode": 0, "errmsg": "ok"}; another errcode is a refusal.
        try:
            errcode = response.json().get("errcode", 0)
        except ValueError:
            errcode = 0
        if errcode != 0:
            raise DeliveryFailed(f"webhook: errcode {errcode}")


def offered(settings: Settings) -> dict[ChannelKind, Channel]:
    """The channels this server can deliver through, as configured."""
    found: dict[ChannelKind, Channel] = {}
    if settings.smtp_host:
        found[ChannelKind.EMAIL] = EmailChannel(settings)
    if any(settings.webhook_prefixes):
        found[ChannelKind.WEBHOOK] = WebhookChannel(settings)
    return found
