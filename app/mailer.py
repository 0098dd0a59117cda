"""Rendering emails (Jinja2, text and HTML, English and French) and sending them (SMTP)."""

from __future__ import annotations

import ssl
from email.message import EmailMessage
from typing import Any
from urllib.parse import unquote, urlsplit

import aiosmtplib
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app.settings import ROOT, Settings

TEMPLATE_DIR = ROOT / "app" / "templates" / "email"
SUPPORTED_LOCALES = ("en", "fr")

_environment = Environment(
    loader=FileSystemLoader(TEMPLATE_DIR),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


class PermanentMailError(Exception):
    """The message can never be sent as it is (unknown template, refused recipient)."""


class TransientMailError(Exception):
    """Try again later (server down, 4xx answer, timeout)."""


def render(template: str, locale: str, context: dict[str, Any], settings: Settings) -> EmailMessage:
    locale = locale if locale in SUPPORTED_LOCALES else "en"
    values = {**context, "public_url": settings.public_url, "locale": locale}
    try:
        subject = _environment.get_template(f"{template}.{locale}.subject.txt").render(values)
        text = _environment.get_template(f"{template}.{locale}.txt").render(values)
        html = _environment.get_template(f"{template}.{locale}.html").render(values)
    except Exception as exc:  # a template bug can never succeed on retry
        raise PermanentMailError(f"cannot render {template}.{locale}: {exc}") from exc
    message = EmailMessage()
    message["Subject"] = subject.strip()
    message["From"] = settings.mail_from
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def message_id_for(key: str, settings: Settings) -> str:
    """A Message-ID that stays the same for the same outbox row, so a resend after a crash
    is recognisable as the same message by mail clients."""
    host = urlsplit(settings.public_url).hostname or "seatwise.local"
    return f"<{key}@{host}>"


async def send(message: EmailMessage, recipient: str, settings: Settings) -> None:
    parts = urlsplit(settings.smtp_url)
    message["To"] = recipient
    try:
        await aiosmtplib.send(
            message,
            hostname=parts.hostname,
            port=parts.port or (465 if parts.scheme == "smtps" else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=parts.scheme == "smtps",
            tls_context=ssl.create_default_context() if parts.scheme == "smtps" else None,
            timeout=15,
        )
    except aiosmtplib.SMTPRecipientsRefused as exc:
        raise PermanentMailError(f"recipient refused: {exc}") from exc
    except aiosmtplib.SMTPResponseException as exc:
        if 400 <= exc.code < 500:
            raise TransientMailError(f"SMTP {exc.code}: {exc.message}") from exc
        raise PermanentMailError(f"SMTP {exc.code}: {exc.message}") from exc
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        raise TransientMailError(f"SMTP unavailable: {exc}") from exc
