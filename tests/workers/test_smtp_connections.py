"""A worker reuses its SMTP connection from message to message (workers/mailer.py
SmtpConnections), against a real SMTP server (aiosmtpd) that counts its connections, with a
real arq worker on the real Redis: many messages on one connection, each exactly once; a
connection the server dropped is replaced without a failed attempt; a server down then up
delivers after the retry; a refused recipient fails once, and the connection carries on."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
import warnings
from collections.abc import AsyncIterator, Iterator

import pytest
from arq.connections import ArqRedis
from tortoise.transactions import in_transaction

from domain import outbox
from infra.net import free_port
from infra.settings import Settings
from models import OutboxMessage
from models.enums import OutboxStatus
from tests.workers.conftest import CountingSink, run_worker, start_counting_sink
from workers import mailer
from workers.enqueue import relay_due_messages
from workers.main import build_worker
from workers.tasks import relay_outbox

CONTEXT = {"user_name": "Chloé Dubois", "account_name": "Acme Engineering", "products": ["Revit"]}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def write_emails(count: int, *, prefix: str = "user") -> list[OutboxMessage]:
    async with in_transaction():
        return [
            await outbox.record_email(
                account_id=None,
                template="ready_to_download",
                recipient=f"{prefix}{i:02d}@acme.example",
                context=CONTEXT,
                dedupe_key=f"{prefix}:{i}",
                now=utcnow(),
                locale="en",
            )
            for i in range(count)
        ]


def with_smtp(settings: Settings, sink: CountingSink) -> Settings:
    return settings.model_copy(update={"smtp_url": sink.url})


@pytest.fixture
def counting_sink() -> Iterator[CountingSink]:
    sink = start_counting_sink()
    yield sink
    sink.stop()


async def wait_until(condition: object, what: str) -> None:
    """Poll `condition()` (a plain or async callable) until true, for up to 10 s."""
    deadline = time.monotonic() + 10
    while True:
        value = condition()  # type: ignore[operator]
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.02)


def message_ids(sink: CountingSink) -> list[str]:
    return sorted(str(m.message["Message-ID"]) for m in sink.received)


def expected_ids(rows: list[OutboxMessage], settings: Settings) -> list[str]:
    return sorted(mailer.message_id_for(str(row.id), settings) for row in rows)


async def test_a_worker_sends_many_messages_over_one_connection(
    settings: Settings, queue: ArqRedis, counting_sink: CountingSink
) -> None:
    # Given 20 emails to send
    smtp = with_smtp(settings, counting_sink)
    rows = await write_emails(20)
    assert await relay_outbox({"redis": queue, "settings": smtp}) == 20
    # When one worker delivers them (up to 50 jobs at once)
    worker = await run_worker(smtp)
    # Then each arrived exactly once, all on one connection
    assert worker.jobs_complete == 20
    assert message_ids(counting_sink) == expected_ids(rows, smtp)
    assert counting_sink.handler.connections_used == 1
    assert counting_sink.handler.opened == 1
    # and the worker said goodbye on it when it stopped
    await wait_until(lambda: counting_sink.handler.closed == 1, "the connection stayed open")
    # and every row is DONE, without a failed attempt
    done = await OutboxMessage.filter(id__in=[r.id for r in rows]).values_list("status", "attempts")
    assert done == [(OutboxStatus.DONE, 0)] * 20


async def test_a_connection_per_message_when_asked(
    settings: Settings, queue: ArqRedis, counting_sink: CountingSink
) -> None:
    # Given 5 emails and a worker told to open a connection per message (the old way)
    smtp = with_smtp(settings, counting_sink)
    rows = await write_emails(5)
    await relay_outbox({"redis": queue, "settings": smtp})
    # When it delivers them
    await run_worker(smtp, smtp_connections=0)
    # Then each came on a connection of its own
    assert message_ids(counting_sink) == expected_ids(rows, smtp)
    assert counting_sink.handler.connections_used == 5


@pytest.mark.parametrize("hang_up", ["after", "mail", "421"])
async def test_a_connection_the_server_dropped_is_replaced_without_a_failed_attempt(
    settings: Settings, queue: ArqRedis, hang_up: str
) -> None:
    # Given a server that takes one message per connection: it hangs up after each one
    # ("after"), or when the next one starts ("mail"), or answers it 421 ("421")
    sink = start_counting_sink(hang_up=hang_up)
    try:
        smtp = with_smtp(settings, sink)
        rows = await write_emails(6)
        await relay_outbox({"redis": queue, "settings": smtp})
        # When one worker delivers them (one at a time, so each reuses the connection)
        worker = await run_worker(smtp, max_jobs=1)
    finally:
        sink.stop()
    # Then every message arrived exactly once, each on a fresh connection
    assert worker.jobs_complete == 6
    assert message_ids(sink) == expected_ids(rows, smtp)
    assert sink.handler.connections_used == 6
    # and no attempt was counted as failed
    done = await OutboxMessage.filter(id__in=[r.id for r in rows]).values_list(
        "status", "attempts", "last_error"
    )
    assert done == [(OutboxStatus.DONE, 0, None)] * 6


async def test_an_idle_connection_is_closed_and_a_new_one_opened_when_needed(
    settings: Settings, counting_sink: CountingSink
) -> None:
    # Given a worker's connections that close after 0.2 s without a message
    smtp = with_smtp(settings, counting_sink)
    connections = mailer.SmtpConnections(smtp, size=1, idle_timeout=0.2)
    try:
        message = mailer.compose("ready_to_download", "en", CONTEXT, smtp)
        await connections.send(message, "a@acme.example")
        assert (connections.open_connections, counting_sink.handler.opened) == (1, 1)
        # When it stays idle
        # Then it is closed on our side, and the server sees it go
        await wait_until(lambda: counting_sink.handler.closed == 1, "the idle connection stayed")
        assert connections.open_connections == 0
        # When the next message comes, it goes on a new connection
        await connections.send(message, "b@acme.example")
    finally:
        await connections.close()
    assert [m.recipients for m in counting_sink.received] == [
        ["a@acme.example"],
        ["b@acme.example"],
    ]
    assert counting_sink.handler.connections_used == 2


async def test_a_send_cut_short_leaves_no_half_used_connection_behind() -> None:
    # Given a server that never answers the first message it is sent
    sink = start_counting_sink(stall_first_data=True)
    smtp = Settings(smtp_url=sink.url, public_url="http://seatwise.test")
    connections = mailer.SmtpConnections(smtp, size=1)
    message = mailer.compose("ready_to_download", "en", CONTEXT, smtp)
    try:
        # When a delivery gives up on it midway (the task's delivery timeout)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.3):
                await connections.send(message, "a@acme.example")
        # Then that connection is dropped, and the next message goes on a new one
        assert connections.open_connections == 0
        await connections.send(message, "b@acme.example")
    finally:
        await connections.close()
        sink.stop()
    assert [m.recipients for m in sink.received] == [["b@acme.example"]]
    assert sink.handler.opened == 2


@contextlib.asynccontextmanager
async def running_worker(settings: Settings) -> AsyncIterator[None]:
    worker = build_worker(
        settings,
        manage_database=False,
        worker_id="smtp-test",
        handle_signals=False,
        cron_jobs=[],
        poll_delay=0.01,
    )
    task = asyncio.create_task(worker.async_run())
    try:
        yield
    finally:
        with warnings.catch_warnings():
            # arq 0.28 closes its pool with redis' deprecated close(); not ours to fix.
            warnings.filterwarnings("ignore", "Call to deprecated close", DeprecationWarning)
            await worker.close()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_smtp_down_then_up_is_delivered_after_the_retry(
    settings: Settings, queue: ArqRedis
) -> None:
    # Given a running worker whose SMTP server is down, and an email
    port = free_port()
    smtp = settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{port}"})
    [row] = await write_emails(1)
    async with running_worker(smtp):
        # When the email is handed over
        assert await relay_due_messages(queue, now=utcnow()) == 1

        # Then its first attempt fails and it waits for the next one
        async def attempted() -> bool:
            return (await OutboxMessage.get(id=row.id)).attempts == 1

        await wait_until(attempted, "no failed attempt")
        failed = await OutboxMessage.get(id=row.id)
        assert failed.status is OutboxStatus.PENDING
        assert failed.last_error is not None
        assert failed.last_error.startswith("SMTP unavailable: ")
        # When the server comes up and the retry is due
        sink = start_counting_sink(port)
        try:
            assert await relay_due_messages(queue, now=failed.available_at) == 1

            async def done() -> bool:
                return (await OutboxMessage.get(id=row.id)).status is OutboxStatus.DONE

            await wait_until(done, "not delivered after the retry")
        finally:
            sink.stop()
    # Then the same worker delivered it, once, on its second attempt
    assert message_ids(sink) == expected_ids([row], smtp)
    delivered = await OutboxMessage.get(id=row.id)
    assert delivered.attempts == 1
    assert delivered.last_error is None


async def test_a_refused_recipient_fails_once_and_the_connection_carries_on(
    settings: Settings, queue: ArqRedis
) -> None:
    # Given a server that refuses one recipient for good, and three emails, the refused
    # one in the middle
    sink = start_counting_sink(refuse=frozenset({"user01@acme.example"}))
    try:
        smtp = with_smtp(settings, sink)
        rows = await write_emails(3)
        await relay_outbox({"redis": queue, "settings": smtp})
        # When one worker delivers them, one at a time
        worker = await run_worker(smtp, max_jobs=1)
    finally:
        sink.stop()
    # Then the refused one is FAILED after one attempt, with the server's answer
    refused = await OutboxMessage.get(id=rows[1].id)
    assert (refused.status, refused.attempts) == (OutboxStatus.FAILED, 1)
    assert refused.last_error == "recipient refused: 550 5.1.1 <user01@acme.example>: no such user"
    # and is not tried again: no retry is ever due
    assert await relay_due_messages(queue, now=utcnow() + dt.timedelta(days=365)) == 0
    assert worker.jobs_complete == 3
    # and the other two went out, on the one connection
    assert message_ids(sink) == expected_ids([rows[0], rows[2]], smtp)
    assert sink.handler.opened == 1
