"""`python -m app mail list`: the dev SMTP sink's last messages, newest first, as people
run it (a subprocess from the repository root)."""

from __future__ import annotations

import os
import smtplib
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller

from app.embedded import MailboxHandler
from infra.net import free_port

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def write_eml(
    directory: Path, name: str, *, to: str, subject: str, date: str | None, written: int
) -> None:
    """A message as the sink keeps it, written at `written` (seconds since the epoch)."""
    message = EmailMessage()
    message["From"] = "seatwise <no-reply@seatwise.local>"
    message["To"] = to
    message["Subject"] = subject
    if date is not None:
        message["Date"] = date
    message.set_content("Hello")
    path = directory / name
    path.write_bytes(bytes(message))
    os.utime(path, (written, written))


def test_mail_list_shows_the_newest_messages_first(tmp_path: Path) -> None:
    # Given a sink directory with three messages written one after the other (one
    # without a Date header, one in French), and a file that is not a message
    write_eml(
        tmp_path,
        "20261201T090000-aaaaaaaaaaaa.eml",
        to="chloe.dubois@acme.example",
        subject="New product ready to download: Revit",
        date="Tue, 01 Dec 2026 09:00:00 +0000",
        written=1_000,
    )
    write_eml(
        tmp_path,
        "20261201T100000-bbbbbbbbbbbb.eml",
        to="bruno@acme.example",
        subject="Nouveau produit prêt à être téléchargé : Revit",
        date="Tue, 01 Dec 2026 11:00:00 +0100",
        written=2_000,
    )
    write_eml(
        tmp_path,
        "20261201T110000-cccccccccccc.eml",
        to="alice.martin@acme.example",
        subject="Trade-in started",
        date=None,
        written=3_000,
    )
    (tmp_path / "notes.txt").write_text("not a message")
    # When someone lists the last two
    result = run_cli("mail", "list", "--limit", "2", "--dir", str(tmp_path))
    # Then they read the two newest, newest first: date in UTC, recipient, subject, file
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        "DATE (UTC)           TO                         SUBJECT                                         FILE",  # noqa: E501
        "-                    alice.martin@acme.example  Trade-in started                                20261201T110000-cccccccccccc.eml",  # noqa: E501
        "2026-12-01 10:00:00  bruno@acme.example         Nouveau produit prêt à être téléchargé : Revit  20261201T100000-bbbbbbbbbbbb.eml",  # noqa: E501
    ]
    # and without --limit, all three (up to 20)
    every = run_cli("mail", "list", "--dir", str(tmp_path))
    assert [line.split()[-1] for line in every.stdout.splitlines()] == [
        "FILE",
        "20261201T110000-cccccccccccc.eml",
        "20261201T100000-bbbbbbbbbbbb.eml",
        "20261201T090000-aaaaaaaaaaaa.eml",
    ]


def test_mail_list_reads_what_the_sink_kept(tmp_path: Path) -> None:
    # Given the SMTP sink of `make run` on a free port, and a message sent through it
    port = free_port()
    controller = Controller(MailboxHandler(tmp_path), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        message = EmailMessage()
        message["From"] = "no-reply@seatwise.local"
        message["To"] = "chloe.dubois@acme.example"
        message["Subject"] = "Welcome to Acme Engineering"
        message["Date"] = "Tue, 01 Dec 2026 09:30:00 +0000"
        message.set_content("Hello")
        with smtplib.SMTP("127.0.0.1", port) as client:
            client.send_message(message)
    finally:
        controller.stop()
    [kept] = list(tmp_path.glob("*.eml"))
    # When someone lists the sink's messages
    result = run_cli("mail", "list", "--dir", str(tmp_path))
    # Then the message is there, under the file the sink wrote
    assert result.stdout.splitlines()[1].split("  ") == [
        "2026-12-01 09:30:00",
        "chloe.dubois@acme.example",
        "Welcome to Acme Engineering",
        kept.name,
    ]


def test_mail_list_of_an_empty_or_missing_directory(tmp_path: Path) -> None:
    empty = run_cli("mail", "list", "--dir", str(tmp_path))
    assert (empty.returncode, empty.stdout, empty.stderr) == (0, f"no messages in {tmp_path}\n", "")
    missing = run_cli("mail", "list", "--dir", str(tmp_path / "nowhere"))
    assert (missing.returncode, missing.stdout, missing.stderr) == (
        1,
        "",
        f"error: no directory {tmp_path / 'nowhere'} (the SMTP sink of `make run` creates it)\n",
    )
