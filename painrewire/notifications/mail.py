"""Compose a queued notification as a MIME email and hand it to an SMTP server, or write it to a folder.

The standard library does both jobs well: ``email.message.EmailMessage`` builds a correct plain-text message
with an HTML alternative, and ``smtplib`` speaks SMTP with STARTTLS and login. The worker runs in its own
thread or process, so a blocking client costs no request anything.
"""

from __future__ import annotations

import html
import re
import smtplib
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self

from painrewire.config import Settings
from painrewire.db import utcnow
from painrewire.notifications.models import Category, OutboundEmail


@dataclass(frozen=True)
class Links:
    """Absolute links in mail, from the clinic's own address (``PAINREWIRE_BASE_URL``)."""

    base_url: str

    def to(self, path: str) -> str:
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")


def unsubscribe_path(email: OutboundEmail) -> str | None:
    """Reminders carry a one-click unsubscribe link; clinical and account mail does not.

    The email's own id is the token: random (UUID4), known only to the recipient's mailbox, and it names the
    person and the kind of reminder to stop.
    """
    if email.category != Category.REMINDER or email.recipient_id is None:
        return None
    return f"/notifications/unsubscribe/{email.id}"


def compose(email: OutboundEmail, settings: Settings) -> EmailMessage:
    """The email as it is sent: a text part and an HTML part saying the same, and a stable Message-ID."""
    links = Links(settings.base_url)
    link = links.to(email.link_path)
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = email.to_address
    message["Subject"] = email.subject
    message["Message-ID"] = email.message_id
    message["Date"] = format_datetime(utcnow())
    message["Auto-Submitted"] = "auto-generated"
    footer = (
        f"This message comes from {settings.clinic_name}. It holds no health details: "
        "sign in to read what is waiting for you. "
        f"If you need help now, call the clinic on {settings.clinic_phone}."
    )
    unsubscribe = None
    path = unsubscribe_path(email)
    if path is not None:
        unsubscribe = links.to(path)
        message["List-Unsubscribe"] = f"<{unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    text = [email.body_text.strip(), "", f"Open PainRewire: {link}", "", footer]
    if unsubscribe:
        text += ["", f"Stop these reminders: {unsubscribe}"]
    message.set_content("\n".join(text) + "\n")
    paragraphs = "".join(
        f"<p>{html.escape(p)}</p>" for p in email.body_text.strip().split("\n\n") if p.strip()
    )
    html_body = (
        '<!doctype html><html lang="en"><body style="font-family: sans-serif; line-height: 1.5">'
        f"{paragraphs}"
        f'<p><a href="{html.escape(link, quote=True)}">Open PainRewire</a></p>'
        f'<p style="color: #555; font-size: 0.9em">{html.escape(footer)}</p>'
    )
    if unsubscribe:
        html_body += (
            f'<p style="font-size: 0.9em"><a href="{html.escape(unsubscribe, quote=True)}">'
            "Stop these reminders</a></p>"
        )
    message.add_alternative(html_body + "</body></html>", subtype="html")
    return message


def sender_address(settings: Settings) -> str:
    """The envelope sender: the bare address of ``mail_from``."""
    return parseaddr(settings.mail_from)[1] or str(Address(addr_spec="no-reply@painrewire.invalid"))


class Transport(Protocol):
    """Where composed mail goes. ``send`` raises on failure; the worker retries."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def send(self, message: EmailMessage) -> None: ...


class SmtpTransport:
    """One SMTP connection for a batch: STARTTLS and login when configured."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: smtplib.SMTP | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        client = smtplib.SMTP(str(s.smtp_host), s.smtp_port, timeout=s.smtp_timeout_seconds)
        try:
            client.ehlo()
            if s.smtp_starttls:
                client.starttls()
                client.ehlo()
            if s.smtp_user:
                client.login(s.smtp_user, s.smtp_password or "")
        except BaseException:
            client.close()
            raise
        return client

    def send(self, message: EmailMessage) -> None:
        if self._client is None:
            self._client = self._connect()
        try:
            self._client.send_message(message, from_addr=sender_address(self.settings))
        except (smtplib.SMTPServerDisconnected, OSError):
            # A dropped connection fails this message; the next one opens a fresh connection.
            self.close()
            raise

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client.quit()
            except (smtplib.SMTPException, OSError):
                self._client.close()
            self._client = None


class FolderTransport:
    """Without a mail server (the demo), each message is written to ``mail_dir`` as ``<Message-ID>.eml``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __enter__(self) -> Self:
        self.folder.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    def send(self, message: EmailMessage) -> None:
        name = re.sub(r"[^A-Za-z0-9._-]", "", str(message["Message-ID"])) or "message"
        target = self.folder / f"{name}.eml"
        partial = target.with_suffix(".eml.partial")
        partial.write_bytes(bytes(message))
        partial.replace(target)


def transport_for(settings: Settings) -> Transport:
    """SMTP when a server is configured, else the folder."""
    if settings.smtp_host:
        return SmtpTransport(settings)
    return FolderTransport(settings.mail_dir)
