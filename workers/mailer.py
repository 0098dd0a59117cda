"""Rendering emails (Jinja2, text and HTML, English and French) and sending them (SMTP).

Each email is three templates in `workers/templates/email/`: `<name>.<locale>.subject.txt`,
`<name>.<locale>.txt` and `<name>.<locale>.html` (autoescaped). The variables each one needs
are listed in a comment at its top; a missing one is an error (StrictUndefined), never an
empty string in a customer's inbox. The mailer adds `public_url`, `locale` and, in the
bodies, `subject`. Dates are passed as ISO strings (outbox payloads are JSON) and written
with the `date` filter in the reader's language.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email.policy
import email.utils
import functools
import ssl
from email.charset import QP, Charset
from email.header import Header
from email.message import EmailMessage
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import aiosmtplib
from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    pass_context,
    select_autoescape,
)
from jinja2.runtime import Context

from infra.settings import Settings

# Seconds aiosmtplib waits for each answer of the server.
SMTP_TIMEOUT = 15
# An idle connection is closed after this long (see SmtpConnections).
IDLE_TIMEOUT = 20.0
QUIT_TIMEOUT = 2

# Bodies in UTF-8, quoted-printable: readable in a raw message (the dev sink's files).
_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP


class _Wire(email.policy.Compat32):
    """compat32 with CRLF line ends (SMTP wants them), which writes a header that needs no
    folding as it is. compat32 runs every header through email.header.Header to fold it,
    even a short ASCII one that comes out unchanged: that was a fifth of `compose`. The
    values taken here (printable ASCII, no line break, the whole line within
    max_line_length) are exactly those Header writes back unchanged; any other goes the
    usual way (tests/workers/test_email_templates.py compares both)."""

    def fold_binary(self, name: str, value: Any) -> bytes:
        if (
            type(value) is str
            and value.isascii()
            and value.isprintable()
            and self.max_line_length is not None
            and len(name) + 2 + len(value) <= self.max_line_length
        ):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


_WIRE = _Wire(linesep="\r\n")
# The boundary between the text and HTML parts. The email package otherwise draws a random
# one and compiles a regular expression per message to make sure the parts do not contain
# it. Both parts are quoted-printable, which writes every "=" of the text as "=3D", so
# "=_" can never appear in them (nor in their few headers): one fixed boundary is safe,
# and a resent message is the same bytes.
BOUNDARY = "=_seatwise_alternative"

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates" / "email"
SUPPORTED_LOCALES = ("en", "fr")

# fmt: off
_MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre"),
}
# fmt: on


@pass_context
def _format_date(context: Context, value: Any) -> str:
    """`{{ value|date }}`: "December 2, 2026" in English, "2 décembre 2026" in French."""
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        day = dt.date.fromisoformat(str(value)[:10])
    month = _MONTHS["fr" if context.get("locale") == "fr" else "en"][day.month - 1]
    if context.get("locale") == "fr":
        return f"{'1er' if day.day == 1 else day.day} {month} {day.year}"
    return f"{month} {day.day}, {day.year}"


_environment = Environment(
    loader=FileSystemLoader(TEMPLATE_DIR),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    # The templates ship with the code: no need to look at their files' times for every
    # email (three stat calls per message).
    auto_reload=False,
    keep_trailing_newline=True,
    # Block tags take no room of their own, so the text parts read like the files.
    trim_blocks=True,
    lstrip_blocks=True,
)
_environment.filters["date"] = _format_date


class PermanentMailError(Exception):
    """The message can never be sent as it is (unknown template, refused recipient)."""


class TransientMailError(Exception):
    """Try again later (server down, 4xx answer, timeout)."""


def render(template: str, locale: str, context: dict[str, Any], settings: Settings) -> EmailMessage:
    """The message for `template` in `locale` (English when that locale has no templates),
    as an EmailMessage to look into (the tests): `compose` read back. Raises
    PermanentMailError when a template is missing or a variable is undefined."""
    built = _build(template, locale, context, settings, recipient=None, message_id=None)
    parsed = email.message_from_bytes(built.as_bytes(), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def compose(
    template: str,
    locale: str,
    context: dict[str, Any],
    settings: Settings,
    *,
    recipient: str | None = None,
    message_id: str | None = None,
) -> bytes:
    """The message for `template` in `locale`, ready for SMTP: text and HTML parts
    (UTF-8, quoted-printable), subject, sender, auto-submitted, language and, when given,
    recipient, Message-ID and date. Raises PermanentMailError like `render`.

    Built with the email package's compat32 classes, not EmailMessage: EmailMessage parses
    every header it is given and refolds them all when sent, which took more of a worker's
    time than rendering the templates and talking SMTP together (bench/RESULTS.md, emails).
    """
    built = _build(template, locale, context, settings, recipient=recipient, message_id=message_id)
    return built.as_bytes(policy=_WIRE)


def _build(
    template: str,
    locale: str,
    context: dict[str, Any],
    settings: Settings,
    *,
    recipient: str | None,
    message_id: str | None,
) -> MIMEMultipart:
    locale = locale if locale in SUPPORTED_LOCALES else "en"
    values = {**context, "public_url": settings.public_url, "locale": locale}
    try:
        subject = _environment.get_template(f"{template}.{locale}.subject.txt").render(values)
        # One line, whatever the data: a line break in a header would be refused (or worse).
        subject = " ".join(subject.split())
        values["subject"] = subject
        text = _environment.get_template(f"{template}.{locale}.txt").render(values)
        html = _environment.get_template(f"{template}.{locale}.html").render(values)
    except TemplateNotFound as exc:
        raise PermanentMailError(f"no email template {exc.name}") from exc
    except Exception as exc:  # a template bug can never succeed on retry
        raise PermanentMailError(f"cannot render {template}.{locale}: {exc}") from exc
    message = MIMEMultipart("alternative", boundary=BOUNDARY)
    message["Subject"] = subject if subject.isascii() else _encoded(subject)
    message["From"] = _from_header(settings.mail_from)
    if recipient is not None:
        message["To"] = recipient
    message["Date"] = email.utils.formatdate(usegmt=True)
    if message_id is not None:
        message["Message-ID"] = message_id
    # RFC 3834: no out-of-office replies to a robot.
    message["Auto-Submitted"] = "auto-generated"
    message["Content-Language"] = locale
    message.attach(_text_part(text, "plain"))
    message.attach(_text_part(html, "html"))
    return message


def _encoded(value: str) -> Any:
    """A header value in RFC 2047 encoded words (compat32 takes a Header where a str goes)."""
    return Header(value, "utf-8")


def _text_part(body: str, subtype: str) -> MIMENonMultipart:
    part = MIMENonMultipart("text", subtype)
    part.set_payload(body, _UTF8_QP)
    return part


@functools.lru_cache(maxsize=8)
def _from_header(mail_from: str) -> str:
    """The From header for MAIL_FROM (parsed once, not for every email)."""
    return email.utils.formataddr(email.utils.parseaddr(mail_from), "utf-8")


def envelope_sender(settings: Settings) -> str:
    """The address of MAIL FROM (MAIL_FROM without its display name)."""
    return _address(settings.mail_from)


@functools.lru_cache(maxsize=8)
def _address(mail_from: str) -> str:
    return email.utils.parseaddr(mail_from)[1]


def message_id_for(key: str, settings: Settings) -> str:
    """A Message-ID that stays the same for the same outbox row, so a resend after a crash
    is recognisable as the same message by mail clients."""
    host = urlsplit(settings.public_url).hostname or "seatwise.local"
    return f"<{key}@{host}>"


def _client_options(settings: Settings) -> dict[str, Any]:
    """aiosmtplib's connection options from SMTP_URL (smtp:// or smtps://, user:password@)."""
    parts = urlsplit(settings.smtp_url)
    return {
        "hostname": parts.hostname,
        "port": parts.port or (465 if parts.scheme == "smtps" else 25),
        "username": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
        "use_tls": parts.scheme == "smtps",
        "tls_context": ssl.create_default_context() if parts.scheme == "smtps" else None,
        "timeout": SMTP_TIMEOUT,
    }


def _mail_error(exc: Exception) -> PermanentMailError | TransientMailError:
    """What a failure of aiosmtplib means for the outbox row: retry later, or never."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        # 4xx on RCPT (greylisting, mailbox busy, over quota for now) is worth a retry;
        # 5xx (no such user) is not.
        detail = "; ".join(f"{r.code} {r.message}" for r in exc.recipients)
        if all(400 <= r.code < 500 for r in exc.recipients):
            return TransientMailError(f"recipient deferred: {detail}")
        return PermanentMailError(f"recipient refused: {detail}")
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        if 400 <= exc.code < 500:
            return TransientMailError(f"SMTP {exc.code}: {exc.message}")
        return PermanentMailError(f"SMTP {exc.code}: {exc.message}")
    return TransientMailError(f"SMTP unavailable: {exc}")


# What aiosmtplib raises when a send fails for a reason other than the server's answer
# about this message: no server, a dropped connection, no answer in time.
_UNAVAILABLE = (aiosmtplib.SMTPException, OSError, TimeoutError)


async def send(message: bytes, recipient: str, settings: Settings) -> None:
    """Deliver one message (from `compose`) on a connection of its own (opened and closed
    for it): what `SmtpConnections` does with `size=0`, and the baseline of bench/emails.py."""
    try:
        await aiosmtplib.send(
            message,
            sender=envelope_sender(settings),
            recipients=[recipient],
            **_client_options(settings),
        )
    except _UNAVAILABLE as exc:
        raise _mail_error(exc) from exc


def _dropped(exc: Exception) -> bool:
    """Whether a failure on a reused connection means the server is done with that
    connection rather than with the message: it closed it (idle timeout, restart, a limit
    of messages per connection), or said so with 421 ("closing transmission channel")."""
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return exc.code == 421
    return isinstance(exc, ConnectionError) and not isinstance(exc, aiosmtplib.SMTPConnectError)


class _Slot:
    """One connection of the pool, opened on first use and after each loss."""

    def __init__(self) -> None:
        self.client: aiosmtplib.SMTP | None = None
        self.busy = False
        self.idle_timer: asyncio.TimerHandle | None = None

    @property
    def connected(self) -> bool:
        return self.client is not None and self.client.is_connected

    def discard(self) -> None:
        if self.client is not None:
            self.client.close()
        self.client = None


class SmtpConnections:
    """The SMTP connections of one worker, reused from message to message.

    Opening a connection (TCP, greeting, EHLO, maybe TLS and login) costs more than sending
    a message on it, so each worker keeps up to `size` connections open. arq runs many jobs
    at once: a job takes a free connection (or waits for one), sends on it and gives it
    back; rendering and the database work happen outside, in parallel.

    A connection the server dropped (closed after its idle timeout, restarted, a limit of
    messages per connection, a 421) is replaced without counting a failed attempt: a
    message that failed that way on a reused connection is sent once more on a fresh one.
    Only a failure on a fresh connection is the message's (the outbox row records it and
    domain.outbox decides on the retry). At least once, as everywhere in the outbox: if the
    server took the message but dropped the connection before saying so, the resend is a
    duplicate with the same Message-ID, which mail clients recognise.

    A connection left idle for `idle_timeout` seconds is closed by us, before servers drop
    it on their side (RFC 5321 asks them to wait 5 minutes, many cut after 30-60 s), so a
    quiet worker holds no connection. `size=0` opens a connection per message (the old way,
    kept as the baseline of bench/emails.py).
    """

    def __init__(
        self, settings: Settings, *, size: int = 1, idle_timeout: float = IDLE_TIMEOUT
    ) -> None:
        self._settings = settings
        self._size = size
        self._idle_timeout = idle_timeout
        self._slots = [_Slot() for _ in range(size)]
        self._free: asyncio.Queue[_Slot] | None = None  # made in the running loop

    @property
    def open_connections(self) -> int:
        return sum(slot.connected for slot in self._slots)

    async def send(self, message: bytes, recipient: str) -> None:
        """Deliver one message (from `compose`). Raises PermanentMailError or
        TransientMailError."""
        if self._size == 0:
            await send(message, recipient, self._settings)
            return
        if self._free is None:
            self._free = asyncio.Queue()
            for slot in self._slots:
                self._free.put_nowait(slot)
        slot = await self._free.get()
        slot.busy = True
        if slot.idle_timer is not None:
            slot.idle_timer.cancel()
        try:
            await self._send_on(slot, message, recipient)
        except BaseException as exc:
            if not isinstance(exc, PermanentMailError | TransientMailError):
                # Cancelled (the delivery timeout, a shutdown) or a bug, maybe in the
                # middle of a conversation: that connection cannot serve the next message.
                slot.discard()
            raise
        finally:
            slot.busy = False
            if slot.connected:
                slot.idle_timer = asyncio.get_running_loop().call_later(
                    self._idle_timeout, self._close_idle, slot
                )
            self._free.put_nowait(slot)

    async def _send_on(self, slot: _Slot, message: bytes, recipient: str) -> None:
        sender = envelope_sender(self._settings)
        reused = slot.connected
        try:
            if not reused:
                await self._open(slot)
            assert slot.client is not None
            await slot.client.sendmail(sender, [recipient], message)
            return
        except _UNAVAILABLE as exc:
            if not (reused and _dropped(exc)):
                if not isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
                    # After anything but a refused recipient (the envelope is reset, the
                    # connection is fine) the connection's state is unknown: start afresh.
                    slot.discard()
                raise _mail_error(exc) from exc
            slot.discard()
        # The server dropped the connection under us: once more on a fresh one.
        try:
            await self._open(slot)
            assert slot.client is not None
            await slot.client.sendmail(sender, [recipient], message)
        except _UNAVAILABLE as exc:
            if not isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
                slot.discard()
            raise _mail_error(exc) from exc

    async def _open(self, slot: _Slot) -> None:
        slot.discard()
        client = aiosmtplib.SMTP(**_client_options(self._settings))
        try:
            await client.connect()
        except BaseException:
            client.close()  # half open (no greeting yet, cancelled): not left behind
            raise
        slot.client = client

    def _close_idle(self, slot: _Slot) -> None:
        slot.idle_timer = None
        if not slot.busy:
            slot.discard()

    async def close(self) -> None:
        """Say goodbye (QUIT) on every open connection; for the worker's shutdown."""
        for slot in self._slots:
            if slot.idle_timer is not None:
                slot.idle_timer.cancel()
                slot.idle_timer = None
            if slot.client is not None and slot.connected:
                # A server already gone has nobody to say goodbye to.
                with contextlib.suppress(*_UNAVAILABLE):
                    await slot.client.quit(timeout=QUIT_TIMEOUT)
            slot.discard()
