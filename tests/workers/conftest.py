"""Fixtures for the worker tests: a clean Redis queue, settings pointing at the real Redis
and SMTP sink, SMTP servers that refuse recipients, one that counts its connections (and
can hang up on its clients), and a burst worker run."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope
from arq.connections import ArqRedis
from arq.worker import Worker

from infra.net import free_port
from infra.settings import Settings
from tests.conftest import make_settings
from tests.support.services import ReceivedMail, RecordingHandler, RedisServer, SmtpSink
from workers.enqueue import open_queue
from workers.main import build_worker


@pytest.fixture
def settings(db: str, redis_server: RedisServer, smtp_sink: SmtpSink) -> Settings:
    """The catalog database, the test Redis and the recording SMTP sink."""
    return make_settings(db, redis_url=redis_server.url, smtp_url=smtp_sink.url)


@pytest.fixture
async def queue(redis_server: RedisServer, settings: Settings) -> AsyncIterator[ArqRedis]:
    """The job queue, emptied first (the Redis server is shared by the whole session)."""
    client = await open_queue(settings)
    await client.flushdb()
    yield client
    await client.aclose()


async def run_worker(settings: Settings, *, cron: bool = False, **overrides: Any) -> Worker:
    """A burst worker: runs every queued job (and what they queue), then stops. Without its
    cron relay unless `cron`, so each test decides when the relay runs."""
    options: dict[str, Any] = {"burst": True, "handle_signals": False, "poll_delay": 0.01}
    if not cron:
        options["cron_jobs"] = []
    options.update(overrides)
    worker = build_worker(settings, manage_database=False, **options)
    try:
        await asyncio.wait_for(worker.async_run(), timeout=20)
    finally:
        with warnings.catch_warnings():
            # arq 0.28 closes its pool with redis' deprecated close(); not ours to fix.
            warnings.filterwarnings("ignore", "Call to deprecated close", DeprecationWarning)
            await worker.close()
    return worker


@dataclass
class RefusingHandler(RecordingHandler):
    """Answers RCPT TO with `reply` (e.g. 550 or 451) for every recipient."""

    reply: str = "550 5.1.1 no such user"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        return self.reply


def _start(handler: RecordingHandler) -> SmtpSink:
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return SmtpSink(port=port, controller=controller, handler=handler)


@pytest.fixture
def refusing_sink() -> Iterator[SmtpSink]:
    sink = _start(RefusingHandler(reply="550 5.1.1 <nobody@acme.example>: no such user"))
    yield sink
    sink.controller.stop()


@pytest.fixture
def deferring_sink() -> Iterator[SmtpSink]:
    sink = _start(RefusingHandler(reply="451 4.7.1 greylisted, try again later"))
    yield sink
    sink.controller.stop()


class CountingSMTP(SMTP):
    """aiosmtpd's server, counting the connections its clients close or lose."""

    def connection_lost(self, error: Exception | None) -> None:
        greeted = getattr(self.session, "serial", None) is not None
        super().connection_lost(error)
        if greeted:
            self.event_handler.closed += 1


class CountingController(Controller):
    def factory(self) -> SMTP:
        return CountingSMTP(self.handler, **self.SMTP_kwargs)


@dataclass
class CountingHandler(RecordingHandler):
    """Records every message with the connection it came on (numbered at EHLO, so the
    controller's own probe at start-up does not count), and counts the connections opened
    and closed. `hang_up` closes the connection after each message ("after"), or on the
    second MAIL of a connection ("mail": the client learns it only when it sends there),
    or answers that MAIL with 421 ("421"); `refuse` answers 550 to RCPT for these addresses;
    `stall_first_data` never answers the first message."""

    opened: int = 0
    closed: int = 0
    sessions: list[int] = field(default_factory=list)  # the connection of each message
    hang_up: str | None = None
    refuse: frozenset[str] = frozenset()
    stall_first_data: bool = False  # never answer the first message's DATA
    _mails: dict[int, int] = field(default_factory=dict)  # MAIL commands per connection

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        self.opened += 1
        session.serial = self.opened
        session.host_name = hostname
        return responses

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        count = self._mails[session.serial] = self._mails.get(session.serial, 0) + 1
        if self.hang_up in ("mail", "421") and count > 1:
            if self.hang_up == "mail":
                server.transport.abort()
            return "421 4.3.2 too many messages on this connection, closing"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 <" + address + ">: no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        if self.stall_first_data and not self.sessions:
            self.sessions.append(0)  # the stalled one: not received
            await asyncio.Event().wait()
        reply = await super().handle_DATA(server, session, envelope)
        self.sessions.append(session.serial)
        if self.hang_up == "after":
            asyncio.get_running_loop().call_soon(server.transport.close)
        return reply

    @property
    def connections_used(self) -> int:
        return len(set(self.sessions))


@dataclass
class CountingSink:
    port: int
    controller: Controller
    handler: CountingHandler

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def received(self) -> list[ReceivedMail]:
        return self.handler.received

    def stop(self) -> None:
        self.controller.stop()


def start_counting_sink(port: int | None = None, **options: Any) -> CountingSink:
    handler = CountingHandler(**options)
    port = port or free_port()
    controller = CountingController(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return CountingSink(port=port, controller=controller, handler=handler)
