"""`python -m workers` when its Redis goes away: it picks up again once Redis is back, exits
with a failure status when Redis stays away, and stops cleanly while Redis is down."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from tortoise.transactions import in_transaction

from app.embedded import start_redis
from domain import outbox
from infra.net import wait_for_port
from infra.settings import Settings
from models import OutboxMessage
from models.enums import OutboxStatus
from tests.conftest import make_settings
from tests.support.services import RedisServer, SmtpSink, start_redis_server
from workers.enqueue import enqueue_after_commit, queue_client
from workers.health import worker_health

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A Redis of this test alone (the session's one must survive): the test kills it."""
    server = start_redis_server()
    yield server
    server.stop()


async def _kill_and_restart(server: RedisServer) -> None:
    """SIGKILL the server, then, one second later (as a supervisor would), start a new, empty
    one on the same port. The worker polls every 0.1 s, so it meets the outage: a restart
    between two polls would go unseen (the pool reconnects before its next command)."""
    server.process.kill()
    server.process.wait(timeout=10)
    await asyncio.sleep(1)
    server.process = start_redis(server.port, server.directory / "after-restart")
    wait_for_port("127.0.0.1", server.port)


async def _start_worker(settings: Settings) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "SMTP_URL": settings.smtp_url,
        "PUBLIC_URL": settings.public_url,
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "workers",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def _poll(condition: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.05)


async def _write_email(key: str) -> OutboxMessage:
    async with in_transaction():
        return await outbox.record_email(
            account_id=None,
            template="ready_to_download",
            recipient="david.nguyen@acme.example",
            context={"user_name": "David Nguyen", "account_name": "Acme", "products": ["Revit"]},
            dedupe_key=key,
            now=dt.datetime.now(dt.UTC),
        )


async def _delivered(row: OutboxMessage) -> bool:
    return (await OutboxMessage.get(id=row.id)).status is OutboxStatus.DONE


async def _stop(process: asyncio.subprocess.Process) -> tuple[int, str]:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    output, _ = await asyncio.wait_for(process.communicate(), timeout=20)
    assert process.returncode is not None
    return process.returncode, output.decode()


@pytest.mark.slow
async def test_delivery_resumes_after_redis_is_killed_and_restarted(
    db: str, own_redis: RedisServer, smtp_sink: SmtpSink
) -> None:
    # Given a worker process that delivered an email through a Redis
    settings = make_settings(db, redis_url=own_redis.url, smtp_url=smtp_sink.url)
    before = await _write_email("before")
    process = await _start_worker(settings)
    try:
        await _poll(lambda: _delivered(before), 20, "no delivery before the restart")
        # When Redis is killed and a new, empty one starts on the same port
        await _kill_and_restart(own_redis)
        # and the API writes an email row and queues it after the commit
        after = await _write_email("after")
        queue = queue_client(settings)
        try:
            assert await enqueue_after_commit(queue, [after]) is True
        finally:
            await queue.aclose()
        # Then that email is delivered too, and the worker reports its health again
        await _poll(lambda: _delivered(after), 30, "no delivery after the Redis restart")
        await _poll(
            lambda: _is_not_none(worker_health(settings)), 20, "no health record after restart"
        )
        assert [m.recipients for m in smtp_sink.received] == [
            ["david.nguyen@acme.example"],
            ["david.nguyen@acme.example"],
        ]
        assert process.returncode is None, "the worker exited"
    finally:
        code, log = await _stop(process)
    # and the same process stops cleanly on SIGTERM after saying what happened
    assert code == 0, log
    assert "worker: lost Redis" in log
    assert "shutdown on SIGTERM" in log


async def _is_not_none(value: Awaitable[object]) -> bool:
    return await value is not None


@pytest.mark.slow
async def test_the_worker_stops_on_sigterm_while_redis_is_down(
    db: str, own_redis: RedisServer, smtp_sink: SmtpSink
) -> None:
    # Given a running worker process
    settings = make_settings(db, redis_url=own_redis.url, smtp_url=smtp_sink.url)
    process = await _start_worker(settings)
    try:
        await _poll(lambda: _is_not_none(worker_health(settings)), 20, "the worker never started")
    finally:
        # When its Redis dies and the worker is asked to stop
        own_redis.process.kill()
        own_redis.process.wait(timeout=10)
        started = time.monotonic()
        code, log = await _stop(process)
    # Then it exits promptly with status 0, having closed its database anyway
    assert time.monotonic() - started < 10, log
    assert code == 0, log
    assert "Tortoise-ORM shutdown" in log


@pytest.mark.slow
async def test_the_worker_exits_with_a_failure_when_redis_stays_away(
    db: str, own_redis: RedisServer, smtp_sink: SmtpSink
) -> None:
    # Given a running worker process
    settings = make_settings(db, redis_url=own_redis.url, smtp_url=smtp_sink.url)
    process = await _start_worker(settings)
    try:
        await _poll(lambda: _is_not_none(worker_health(settings)), 20, "the worker never started")
        # When its Redis dies for good
        own_redis.process.kill()
        own_redis.process.wait(timeout=10)
        # Then, once its reconnection attempts are spent, it exits on its own with status 1
        output, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    log = output.decode()
    assert process.returncode == 1, log
    assert "worker: Redis unreachable, exiting" in log
    assert "Tortoise-ORM shutdown" in log
