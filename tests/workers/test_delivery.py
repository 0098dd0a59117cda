"""Outbox emails end to end: a row written in a transaction, the relay, a real arq worker on
the real Redis, a real SMTP server. Exactly once in the inbox, retried with backoff when the
SMTP server is away, FAILED (never dropped) when it cannot succeed."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

import pytest
from arq.connections import ArqRedis
from arq.constants import job_key_prefix, result_key_prefix
from tortoise.transactions import in_transaction

from domain import outbox
from infra.net import free_port
from infra.settings import Settings
from models import OutboxMessage
from models.enums import OutboxStatus
from tests.support.services import SmtpSink
from tests.workers.conftest import run_worker
from workers import mailer, tasks
from workers.enqueue import (
    ENQUEUE_CONCURRENCY,
    enqueue_after_commit,
    job_id_for,
    queue_client,
    relay_due_messages,
)
from workers.serialization import deserialize, serialize
from workers.tasks import relay_outbox

CHLOE = "chloe.dubois@acme.example"
CONTEXT = {"user_name": "Chloé Dubois", "account_name": "Acme Engineering", "products": ["Revit"]}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def write_email(
    template: str = "ready_to_download", *, locale: str = "fr", recipient: str = CHLOE
) -> OutboxMessage:
    """What a domain command does: the email row, in the transaction of its cause."""
    async with in_transaction():
        return await outbox.record_email(
            account_id=None,
            template=template,
            recipient=recipient,
            context=CONTEXT,
            dedupe_key=f"{template}:{recipient}:revit",
            now=utcnow(),
            locale=locale,
        )


def ctx(queue: ArqRedis, settings: Settings) -> dict[str, Any]:
    return {"redis": queue, "settings": settings}


async def test_an_email_row_is_delivered_once_with_a_stable_message_id(
    settings: Settings, queue: ArqRedis, smtp_sink: SmtpSink
) -> None:
    # Given an email row written in a transaction
    row = await write_email()
    # When the relay runs
    assert await relay_outbox(ctx(queue, settings)) == 1
    # Then the row is ENQUEUED and its job is JSON, not pickle
    assert (await OutboxMessage.get(id=row.id)).status is OutboxStatus.ENQUEUED
    raw = await queue.get(job_key_prefix + job_id_for(row.id, 0))
    job = json.loads(raw)
    assert (job["f"], job["a"], job["k"], job["t"]) == (
        "deliver_outbox_message",
        [str(row.id), 0],
        {},
        None,
    )
    # When a worker runs
    worker = await run_worker(settings)
    # Then exactly one message reached the SMTP server
    assert (worker.jobs_complete, worker.jobs_failed, worker.jobs_retried) == (1, 0, 0)
    assert len(smtp_sink.received) == 1
    received = smtp_sink.received[0]
    assert received.recipients == [CHLOE]
    assert received.sender == "no-reply@seatwise.local"
    message = received.message
    assert message["To"] == CHLOE
    assert message["From"] == "seatwise <no-reply@seatwise.local>"
    assert message["Subject"] == "Nouveau produit prêt à être téléchargé : Revit"
    assert message["Message-ID"] == mailer.message_id_for(str(row.id), settings)
    assert message["Message-ID"] == f"<{row.id}@seatwise.test>"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None
    assert html is not None
    assert text.get_content().splitlines() == [
        "Bonjour Chloé Dubois,",
        "",
        "Vous avez désormais accès à un nouveau produit dans le compte Acme Engineering :",
        "",
        "  - Revit",
        "",
        "Connectez-vous à votre compte pour le télécharger et l'installer :",
        "http://seatwise.test/downloads",
        "",
        "Vous recevez ce courriel parce qu'un administrateur du compte Acme Engineering vous "
        "a donné accès à ce produit.",
        "",
        "-- ",
        "seatwise",
    ]
    assert '<html lang="fr">' in html.get_content()
    assert "<li>Revit</li>" in html.get_content()
    # and the row is DONE, with no error
    done = await OutboxMessage.get(id=row.id)
    assert (done.status, done.attempts) == (OutboxStatus.DONE, 0)
    assert done.last_error is None
    assert done.done_at is not None
    # and the job's result is JSON too
    result = deserialize(await queue.get(result_key_prefix + job_id_for(row.id, 0)))
    assert (result["s"], result["r"]) == (True, "sent")
    # When the relay and the worker run again
    assert await relay_outbox(ctx(queue, settings)) == 0
    again = await run_worker(settings)
    # Then nothing more is sent
    assert again.jobs_complete == 0
    assert len(smtp_sink.received) == 1


async def test_a_second_run_of_a_delivered_job_sends_nothing(
    settings: Settings, queue: ArqRedis, smtp_sink: SmtpSink
) -> None:
    # Given a row that was delivered
    row = await write_email()
    await relay_outbox(ctx(queue, settings))
    await run_worker(settings)
    assert len(smtp_sink.received) == 1
    # When arq runs the same job once more (at least once: e.g. its worker died after sending)
    job_id = job_id_for(row.id, 0)
    await queue.delete(result_key_prefix + job_id)
    await queue.enqueue_job("deliver_outbox_message", str(row.id), 0, _job_id=job_id)
    worker = await run_worker(settings)
    # Then the job re-checks the row and sends nothing
    assert worker.jobs_complete == 1
    assert deserialize(await queue.get(result_key_prefix + job_id))["r"] == "nothing to do"
    assert len(smtp_sink.received) == 1


async def test_a_job_for_an_earlier_attempt_does_nothing(
    settings: Settings, queue: ArqRedis, smtp_sink: SmtpSink
) -> None:
    # Given a row whose first attempt failed (it waits for its second)
    row = await write_email()
    await OutboxMessage.filter(id=row.id).update(attempts=1, available_at=utcnow())
    # When a leftover job of the first attempt runs
    await queue.enqueue_job("deliver_outbox_message", str(row.id), 0, _job_id="leftover")
    await run_worker(settings)
    # Then it leaves the row to the job of the current attempt
    assert deserialize(await queue.get(result_key_prefix + "leftover"))["r"] == "superseded"
    assert smtp_sink.received == []
    assert (await OutboxMessage.get(id=row.id)).status is OutboxStatus.PENDING


async def test_smtp_down_puts_the_row_back_with_backoff(
    settings: Settings, queue: ArqRedis
) -> None:
    # Given an SMTP server that does not answer
    down = settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{free_port()}"})
    row = await write_email()
    # When the relay and a worker run
    await relay_outbox(ctx(queue, down))
    before = utcnow()
    worker = await run_worker(down)
    after = utcnow()
    # Then the job itself succeeded (no arq retry), and the row waits for its next attempt
    assert (worker.jobs_complete, worker.jobs_failed, worker.jobs_retried) == (1, 0, 0)
    failed = await OutboxMessage.get(id=row.id)
    assert (failed.status, failed.attempts) == (OutboxStatus.PENDING, 1)
    assert failed.last_error is not None
    assert failed.last_error.startswith("SMTP unavailable: ")
    delay = outbox.retry_delay(1)
    assert delay == dt.timedelta(seconds=10)
    assert before + delay <= failed.available_at <= after + delay
    # and the relay leaves it alone until the backoff has passed
    assert await relay_due_messages(queue, now=failed.available_at - dt.timedelta(seconds=1)) == 0
    assert await relay_due_messages(queue, now=failed.available_at) == 1
    assert (await queue.exists(job_key_prefix + job_id_for(row.id, 1))) == 1


async def test_after_max_attempts_of_transient_failures_the_row_is_failed_not_dropped(
    settings: Settings, queue: ArqRedis
) -> None:
    # Given an SMTP server that stays down
    down = settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{free_port()}"})
    row = await write_email()
    # When every attempt is relayed as soon as its backoff has passed, and fails
    for attempt in range(outbox.MAX_ATTEMPTS):
        current = await OutboxMessage.get(id=row.id)
        assert (current.status, current.attempts) == (OutboxStatus.PENDING, attempt)
        assert await relay_due_messages(queue, now=current.available_at) == 1
        before = utcnow()
        await run_worker(down)
        after = utcnow()
        failed = await OutboxMessage.get(id=row.id)
        if attempt + 1 < outbox.MAX_ATTEMPTS:
            # each failure pushes the next attempt by the backoff: 10 s, 40 s, ... 2560 s
            delay = outbox.retry_delay(attempt + 1)
            assert before + delay <= failed.available_at <= after + delay
    # Then the row is FAILED with its error after the last attempt
    final = await OutboxMessage.get(id=row.id)
    assert (final.status, final.attempts) == (OutboxStatus.FAILED, outbox.MAX_ATTEMPTS)
    assert final.last_error is not None
    assert final.last_error.startswith("SMTP unavailable: ")
    # and every attempt had its own job (a kept result never blocked the next attempt)
    results = [
        deserialize(await queue.get(result_key_prefix + job_id_for(row.id, n)))["r"]
        for n in range(outbox.MAX_ATTEMPTS)
    ]
    assert results == ["retry scheduled"] * 5 + ["failed"]
    # and the relay never picks it up again
    assert await relay_due_messages(queue, now=utcnow() + dt.timedelta(days=365)) == 0


async def test_a_recipient_refused_with_550_fails_at_once(
    settings: Settings, queue: ArqRedis, refusing_sink: SmtpSink
) -> None:
    # Given an SMTP server that refuses the recipient for good
    refusing = settings.model_copy(update={"smtp_url": refusing_sink.url})
    row = await write_email(recipient="nobody@acme.example")
    # When the row is relayed and the worker runs
    await relay_outbox(ctx(queue, refusing))
    await run_worker(refusing)
    # Then the row is FAILED after one attempt, with the server's answer
    failed = await OutboxMessage.get(id=row.id)
    assert (failed.status, failed.attempts) == (OutboxStatus.FAILED, 1)
    assert failed.last_error == ("recipient refused: 550 5.1.1 <nobody@acme.example>: no such user")
    assert refusing_sink.received == []
    assert await relay_due_messages(queue, now=utcnow() + dt.timedelta(days=1)) == 0


async def test_a_recipient_deferred_with_451_is_retried(
    settings: Settings, queue: ArqRedis, deferring_sink: SmtpSink
) -> None:
    # Given an SMTP server that greylists the recipient
    deferring = settings.model_copy(update={"smtp_url": deferring_sink.url})
    row = await write_email()
    # When the row is relayed and the worker runs
    await relay_outbox(ctx(queue, deferring))
    await run_worker(deferring)
    # Then the row waits for another attempt
    deferred = await OutboxMessage.get(id=row.id)
    assert (deferred.status, deferred.attempts) == (OutboxStatus.PENDING, 1)
    assert deferred.last_error == "recipient deferred: 451 4.7.1 greylisted, try again later"


async def test_an_unknown_template_fails_at_once(
    settings: Settings, queue: ArqRedis, smtp_sink: SmtpSink
) -> None:
    # Given an email row naming a template that does not exist
    row = await write_email("no_such_template", locale="en")
    # When it is relayed and the worker runs
    await relay_outbox(ctx(queue, settings))
    await run_worker(settings)
    # Then it is FAILED after one attempt, and nothing was sent
    failed = await OutboxMessage.get(id=row.id)
    assert (failed.status, failed.attempts) == (OutboxStatus.FAILED, 1)
    assert failed.last_error == "no email template no_such_template.en.subject.txt"
    assert smtp_sink.received == []


async def test_redis_down_at_commit_time_leaves_the_row_to_the_cron_relay(
    settings: Settings, queue: ArqRedis, smtp_sink: SmtpSink
) -> None:
    # Given the API's queue client while Redis is down
    down = queue_client(
        settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    )
    # When an email is written and the after-commit hand-over fails
    row = await write_email()
    try:
        assert await enqueue_after_commit(down, [row]) is False
    finally:
        await down.aclose()
    # Then the row is still PENDING, nothing is queued
    assert (await OutboxMessage.get(id=row.id)).status is OutboxStatus.PENDING
    assert await queue.zcard("arq:queue") == 0
    # When a worker starts with its cron relay (which runs at start-up, then every 15 s)
    worker = await run_worker(settings, cron=True)
    # Then the relay handed the row over and it was delivered once (the relay itself may
    # run a second time when the burst crosses a 15 s mark of its cron: that sends nothing)
    assert worker.jobs_complete in (2, 3)
    assert [m.recipients for m in smtp_sink.received] == [[CHLOE]]
    assert (await OutboxMessage.get(id=row.id)).status is OutboxStatus.DONE


async def test_the_after_commit_hand_over_queues_the_row_at_once(
    settings: Settings, queue: ArqRedis, smtp_sink: SmtpSink
) -> None:
    # Given an email row just committed
    row = await write_email()
    client = queue_client(settings)
    try:
        # When it is handed over after commit
        assert await enqueue_after_commit(client, [row]) is True
        # and the cron relay runs at the same moment
        assert await relay_outbox(ctx(queue, settings)) == 0
    finally:
        await client.aclose()
    # Then one job is queued, and one message is sent
    assert (await OutboxMessage.get(id=row.id)).status is OutboxStatus.ENQUEUED
    assert await queue.zcard("arq:queue") == 1
    await run_worker(settings)
    assert len(smtp_sink.received) == 1


async def test_a_hand_over_larger_than_one_batch_queues_every_row(
    settings: Settings, queue: ArqRedis
) -> None:
    # Given more email rows than are handed to Redis at once (a bulk seat assignment)
    rows = [
        await write_email(recipient=f"user{i:03d}@acme.example")
        for i in range(ENQUEUE_CONCURRENCY * 2 + 3)
    ]
    client = queue_client(settings)
    try:
        # When they are handed over after commit
        assert await enqueue_after_commit(client, rows) is True
    finally:
        await client.aclose()
    # Then every one of them is queued, once
    assert await queue.zcard("arq:queue") == len(rows)
    statuses = {m.status for m in await OutboxMessage.filter(id__in=[r.id for r in rows])}
    assert statuses == {OutboxStatus.ENQUEUED}


async def test_a_lost_job_is_queued_again_after_a_while(
    settings: Settings, queue: ArqRedis, smtp_sink: SmtpSink
) -> None:
    # Given a row marked ENQUEUED whose job is gone from Redis (flushed, expired)
    row = await write_email()
    enqueued_at = utcnow()
    await outbox.mark_enqueued([outbox.DueMessage(row.id, 0)], now=enqueued_at)
    # When the relay runs soon after, it leaves the row alone
    assert await relay_due_messages(queue, now=enqueued_at + dt.timedelta(minutes=9)) == 0
    # When it runs once the job should long have run
    assert await relay_due_messages(queue, now=enqueued_at + outbox.LOST_AFTER) == 1
    await run_worker(settings)
    # Then the row is delivered
    assert len(smtp_sink.received) == 1
    assert (await OutboxMessage.get(id=row.id)).status is OutboxStatus.DONE


async def test_a_kept_result_of_an_interrupted_run_does_not_block_the_relay(
    settings: Settings, queue: ArqRedis, smtp_sink: SmtpSink
) -> None:
    # Given a row still due although a job with its id ran (a run that could not settle the
    # row: its result is kept for a minute)
    row = await write_email()
    job_id = job_id_for(row.id, 0)
    await queue.set(result_key_prefix + job_id, serialize({"s": False, "r": "interrupted"}))
    # When the relay runs
    assert await relay_outbox(ctx(queue, settings)) == 1
    # Then the job is queued again and the message delivered
    assert await queue.exists(job_key_prefix + job_id) == 1
    await run_worker(settings)
    assert len(smtp_sink.received) == 1
    assert (await OutboxMessage.get(id=row.id)).status is OutboxStatus.DONE


async def test_recording_the_same_cause_twice_writes_one_row(settings: Settings) -> None:
    first = await write_email()
    second = await write_email()
    assert second.id == first.id
    assert await OutboxMessage.all().count() == 1


async def test_an_smtp_server_that_never_answers_counts_as_a_failed_attempt(
    settings: Settings, queue: ArqRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an SMTP server that accepts connections and then says nothing
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # until the client gives up
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    silent_smtp = settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{port}"})
    monkeypatch.setattr(tasks, "DELIVERY_TIMEOUT", 0.3)
    row = await write_email()
    # When the row is relayed and the worker runs
    async with server:
        await relay_outbox(ctx(queue, silent_smtp))
        worker = await run_worker(silent_smtp)
    # Then the job ended in time (no arq timeout), and the row waits for another attempt
    assert (worker.jobs_complete, worker.jobs_failed) == (1, 0)
    waiting = await OutboxMessage.get(id=row.id)
    assert (waiting.status, waiting.attempts) == (OutboxStatus.PENDING, 1)
    assert waiting.last_error == "no answer within 0.3 s"


async def test_the_relay_hands_over_full_batches_until_its_budget_is_spent(
    settings: Settings, queue: ArqRedis
) -> None:
    # Given 7 due rows (what a grace expiry leaves: many emails at once), and a clock that
    # moves one second per batch
    rows = [await write_email(recipient=f"user{i}@acme.example") for i in range(7)]
    ticks = iter(range(100))
    # When the relay runs with batches of 2 and a budget of 2.5 seconds
    handed = await relay_due_messages(
        queue, now=utcnow(), limit=2, budget=2.5, clock=lambda: float(next(ticks))
    )
    # Then it hands over full batches until the budget is spent (3 batches), not one only
    assert handed == 6
    assert await queue.zcard("arq:queue") == 6
    # And the next run, with budget to spare, hands over the rest and stops at a short batch
    assert await relay_due_messages(queue, now=utcnow(), limit=2, budget=60.0) == 1
    statuses = {m.status for m in await OutboxMessage.filter(id__in=[r.id for r in rows])}
    assert statuses == {OutboxStatus.ENQUEUED}
