"""Fixtures for the worker tests: a clean Redis queue, settings pointing at the real Redis
and SMTP sink, SMTP servers that refuse recipients, and a burst worker run."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from arq.connections import ArqRedis
from arq.worker import Worker

from infra.net import free_port
from infra.settings import Settings
from tests.conftest import make_settings
from tests.support.services import RecordingHandler, RedisServer, SmtpSink
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
