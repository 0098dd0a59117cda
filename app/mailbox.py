"""`python -m app mail list`: the last messages the dev SMTP sink kept (app/embedded.py
writes one `.eml` file per message into var/mail/)."""

from __future__ import annotations

import datetime as dt
import email.policy
import email.utils
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from pathlib import Path


@dataclass(frozen=True)
class KeptMessage:
    date: dt.datetime | None  # the Date header; None when absent or unreadable
    to: str
    subject: str
    file: str


def last_messages(mail_dir: Path, limit: int) -> list[KeptMessage]:
    """The `limit` newest `.eml` files of `mail_dir`, newest first. The files are ordered
    by when they were written (the sink writes each once), so only the headers of those
    shown are read, however many the directory holds."""
    files = sorted(
        mail_dir.glob("*.eml"), key=lambda path: (path.stat().st_mtime_ns, path.name), reverse=True
    )
    return [_read(path) for path in files[:limit]]


def _read(path: Path) -> KeptMessage:
    with path.open("rb") as handle:
        headers = BytesHeaderParser(policy=email.policy.default).parse(handle)
    return KeptMessage(
        date=_date(headers.get("Date")),
        to=str(headers.get("To", "")),
        subject=str(headers.get("Subject", "")),
        file=path.name,
    )


def _date(value: object) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return email.utils.parsedate_to_datetime(str(value))
    except (TypeError, ValueError):
        return None


def table(messages: list[KeptMessage]) -> list[str]:
    """Aligned lines: a header, then one line per message (date in UTC)."""
    rows = [("DATE (UTC)", "TO", "SUBJECT", "FILE")] + [
        (_shown(m.date), m.to, m.subject, m.file) for m in messages
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return [
        "  ".join([*(cell.ljust(widths[i]) for i, cell in enumerate(row[:3])), row[3]])
        for row in rows
    ]


def _shown(date: dt.datetime | None) -> str:
    if date is None:
        return "-"
    if date.tzinfo is None:  # "-0000": a time whose zone is unknown, taken as UTC
        date = date.replace(tzinfo=dt.UTC)
    return date.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
