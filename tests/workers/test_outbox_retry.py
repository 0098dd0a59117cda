"""Failures visible and repairable, end to end: a real 550 from an aiosmtpd server makes
an email FAILED in `Account.emailDeliveries`; `python -m app outbox retry` (a subprocess,
as people run it) requeues it, and a real arq worker on the real Redis delivers it."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from arq.connections import ArqRedis
from tortoise.transactions import in_transaction

from domain import outbox
from infra.net import free_port
from infra.settings import Settings
from models import OutboxMessage
from models.enums import OutboxStatus, Role
from schema.ids import to_global_id
from tests.support import factories
from tests.support.graphql import data
from tests.support.services import SmtpSink
from tests.workers.conftest import run_worker
from workers.enqueue import job_id_for
from workers.tasks import relay_outbox

ROOT = Path(__file__).resolve().parents[2]
REFUSED = "recipient refused: 550 5.1.1 <nobody@acme.example>: no such user"


def _run(*args: str, settings: Settings) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
    }
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def cli(*args: str, settings: Settings) -> subprocess.CompletedProcess[str]:
    """`python -m app ...` off the event loop (the test's database stays open in it)."""
    return await asyncio.to_thread(_run, *args, settings=settings)


ASSIGN = """
mutation($input: SeatAssignInput!) {
  seatAssign(input: $input) { userErrors { code } }
}"""
DELIVERIES = """
query($account: ID!) {
  account(id: $account) {
    emailDeliveries(first: 10) {
      edges { node { id template recipient status attempts lastError sentAt } }
    }
  }
}"""


async def deliveries(api: httpx.AsyncClient, token: str, account: Any) -> list[dict[str, Any]]:
    answer = await data(api, token, DELIVERIES, account=to_global_id("Account", account.id))
    return [edge["node"] for edge in answer["account"]["emailDeliveries"]["edges"]]


async def test_a_refused_email_is_visible_and_delivered_after_a_retry(
    settings: Settings,
    queue: ArqRedis,
    empty_api: httpx.AsyncClient,
    refusing_sink: SmtpSink,
    smtp_sink: SmtpSink,
) -> None:
    # Given Acme, its admin Alice, and Chloé, whose address the mail server refuses
    acme = await factories.account(name="Acme")
    alice = await factories.user(email="alice@acme.example", name="Alice")
    await factories.member(acme, alice, role=Role.PRIMARY_ADMIN)
    chloe = await factories.user(email="nobody@acme.example", name="Chloé")
    chloe_member = await factories.member(acme, chloe)
    revit = await factories.subscription(await factories.contract(acme), "RVT")
    token = await factories.token(acme, alice)
    # When Alice gives Chloé a seat (the API queues the download email after commit) and
    # a worker tries it against a server that answers 550
    answer = await data(
        empty_api,
        token,
        ASSIGN,
        input={
            "subscriptionId": to_global_id("ProductSubscription", revit.id),
            "userIds": [to_global_id("User", chloe_member.id)],
        },
    )
    assert answer["seatAssign"]["userErrors"] == []
    refusing = settings.model_copy(update={"smtp_url": refusing_sink.url})
    await run_worker(refusing)
    # Then Alice sees the email FAILED after one attempt, with the server's answer, and
    # nothing is queued again (no retry storm)
    [failed] = await deliveries(empty_api, token, acme)
    row = await OutboxMessage.get(account_id=acme.id)
    assert failed == {
        "id": to_global_id("EmailDelivery", row.id),
        "template": "ready_to_download",
        "recipient": "nobody@acme.example",
        "status": "FAILED",
        "attempts": 1,
        "lastError": REFUSED,
        "sentAt": None,
    }
    assert await queue.zrange("arq:queue", 0, -1) == []
    assert await relay_outbox({"redis": queue, "settings": settings}) == 0

    # When the operator retries it by the ID Alice sees
    result = await cli("outbox", "retry", "--id", failed["id"], settings=settings)
    # Then it is requeued with a fresh set of attempts, its last error still shown
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "1 failed message requeued and handed to the queue\n"
    assert await queue.zrange("arq:queue", 0, -1) == [job_id_for(row.id, 0).encode()]
    [pending] = await deliveries(empty_api, token, acme)
    assert (pending["status"], pending["attempts"], pending["lastError"]) == ("PENDING", 0, REFUSED)

    # When a worker runs against a server that accepts the address
    await run_worker(settings)
    # Then Chloé gets the email once, and Alice sees it SENT
    assert [mail.recipients for mail in smtp_sink.received] == [["nobody@acme.example"]]
    assert smtp_sink.received[0].message["Message-ID"] == f"<{row.id}@seatwise.test>"
    [sent] = await deliveries(empty_api, token, acme)
    done = await OutboxMessage.get(id=row.id)
    assert done.done_at is not None
    assert sent == {
        **failed,
        "status": "SENT",
        "attempts": 0,
        "lastError": None,
        "sentAt": done.done_at.isoformat(),
    }


async def _failed_email(key: str, *, failed_at: dt.datetime) -> OutboxMessage:
    """An email row that failed for good at `failed_at`, as the worker leaves it."""
    async with in_transaction():
        row = await outbox.record_email(
            account_id=None,
            template="ready_to_download",
            recipient=f"{key}@acme.example",
            context={"user_name": key, "account_name": "Acme", "products": ["Revit"]},
            dedupe_key=key,
            now=failed_at - dt.timedelta(minutes=5),
        )
    await outbox.mark_attempt_failed(row, REFUSED, transient=False, now=failed_at)
    return await OutboxMessage.get(id=row.id)


async def test_retry_by_date_requeues_the_rows_failed_since_then_only(
    settings: Settings, queue: ArqRedis, smtp_sink: SmtpSink
) -> None:
    # Given an email that failed on 1 November, two that failed on 3 November, and one
    # that was sent
    early = await _failed_email("early", failed_at=dt.datetime(2026, 11, 1, 10, tzinfo=dt.UTC))
    late = [
        await _failed_email(key, failed_at=dt.datetime(2026, 11, 3, 10, tzinfo=dt.UTC))
        for key in ("late1", "late2")
    ]
    sent = await _failed_email("sent", failed_at=dt.datetime(2026, 11, 3, 10, tzinfo=dt.UTC))
    await OutboxMessage.filter(id=sent.id).update(status=OutboxStatus.DONE)
    # When the operator retries those failed since 2 November, and a worker runs
    result = await cli("outbox", "retry", "--failed-since", "2026-11-02", settings=settings)
    await run_worker(settings)
    # Then the two late ones are requeued and delivered; the early one stays FAILED
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        "2 failed messages requeued and handed to the queue\n",
        "",
    )
    assert sorted(r for mail in smtp_sink.received for r in mail.recipients) == [
        "late1@acme.example",
        "late2@acme.example",
    ]
    statuses = {
        row.recipient: (row.status, row.attempts)
        for row in await OutboxMessage.filter(id__in=[early.id, *(r.id for r in late)])
    }
    assert statuses == {
        "early@acme.example": (OutboxStatus.FAILED, 1),
        "late1@acme.example": (OutboxStatus.DONE, 0),
        "late2@acme.example": (OutboxStatus.DONE, 0),
    }
    # and a second run finds nothing left to retry since then
    again = await cli("outbox", "retry", "--failed-since", "2026-11-02T00:00", settings=settings)
    assert again.stdout == "0 failed messages requeued\n"


async def test_without_redis_the_requeued_rows_wait_for_the_relay(
    settings: Settings, queue: ArqRedis, smtp_sink: SmtpSink
) -> None:
    # Given a failed email, and Redis unreachable from the operator's shell
    row = await _failed_email("chloe", failed_at=dt.datetime(2026, 11, 3, 10, tzinfo=dt.UTC))
    port = free_port()
    no_redis = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{port}/0"})
    # When the operator retries it
    result = await cli("outbox", "retry", "--id", str(row.id), settings=no_redis)
    # Then it is requeued all the same, and the command says the relay will hand it over
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith(
        f"1 failed message requeued; not handed to the queue: Redis does not answer at "
        f"127.0.0.1:{port} (REDIS_URL): "
    )
    assert result.stdout.endswith("; the worker's relay will hand them over\n")
    assert len(result.stdout.splitlines()) == 1
    requeued = await OutboxMessage.get(id=row.id)
    assert (requeued.status, requeued.attempts, requeued.last_error) == (
        OutboxStatus.PENDING,
        0,
        REFUSED,
    )
    # When the worker's relay runs, and the worker
    assert await relay_outbox({"redis": queue, "settings": settings}) == 1
    await run_worker(settings)
    # Then it is delivered once
    assert [mail.recipients for mail in smtp_sink.received] == [["chloe@acme.example"]]
    assert (await OutboxMessage.get(id=row.id)).status is OutboxStatus.DONE


async def test_retrying_an_unknown_or_unfailed_row_is_a_one_line_error(
    settings: Settings, queue: ArqRedis
) -> None:
    # Given a sent email
    row = await _failed_email("sent", failed_at=dt.datetime(2026, 11, 3, 10, tzinfo=dt.UTC))
    await OutboxMessage.filter(id=row.id).update(status=OutboxStatus.DONE)
    unknown = "3f1c1f3e-2b1a-4c38-9d7e-0a3f1b2c4d5e"
    # When the operator retries it, or an id that names no row
    sent = await cli("outbox", "retry", "--id", str(row.id), settings=settings)
    missing = await cli("outbox", "retry", "--id", unknown, settings=settings)
    # Then each is refused in one line, with status 1, and nothing changes
    assert (sent.returncode, sent.stdout, sent.stderr) == (
        1,
        "",
        f"error: outbox message {row.id} is DONE, neither FAILED nor waiting for a retry: only "
        "those are retried\n",
    )
    assert (missing.returncode, missing.stdout, missing.stderr) == (
        1,
        "",
        f"error: no outbox message {unknown}\n",
    )
    assert (await OutboxMessage.get(id=row.id)).status is OutboxStatus.DONE
    assert await queue.zrange("arq:queue", 0, -1) == []


def test_retry_takes_exactly_one_of_id_and_date() -> None:
    for args, error in (
        ((), "one of the arguments --id --failed-since is required"),
        (
            ("--id", "3f1c1f3e-2b1a-4c38-9d7e-0a3f1b2c4d5e", "--failed-since", "2026-11-02"),
            "argument --failed-since: not allowed with argument --id",
        ),
        (("--id", "42"), "argument --id: not an outbox message id nor an EmailDelivery id: '42'"),
        (
            ("--failed-since", "yesterday"),
            "argument --failed-since: not a date (2026-12-01) or moment (2026-12-01T09:30): "
            "'yesterday'",
        ),
    ):
        result = _run("outbox", "retry", *args, settings=Settings())
        assert (result.returncode, result.stdout, result.stderr) == (
            2,
            "",
            f"python -m app outbox retry: error: {error} (see --help)\n",
        )


async def test_a_row_waiting_for_its_next_attempt_is_sent_now_when_retried_by_id(
    settings: Settings, queue: ArqRedis, smtp_sink: SmtpSink
) -> None:
    # Given an email whose first attempt met the SMTP server down: PENDING, its next
    # attempt due only after the backoff
    async with in_transaction():
        row = await outbox.record_email(
            account_id=None,
            template="ready_to_download",
            recipient="waiting@acme.example",
            context={"user_name": "W", "account_name": "Acme", "products": ["Revit"]},
            dedupe_key="waiting",
            now=dt.datetime.now(dt.UTC),
        )
    await outbox.mark_attempt_failed(
        row, "SMTP unavailable", transient=True, now=dt.datetime.now(dt.UTC)
    )
    waiting = await OutboxMessage.get(id=row.id)
    assert (waiting.status, waiting.attempts) == (OutboxStatus.PENDING, 1)
    assert waiting.available_at > dt.datetime.now(dt.UTC)
    # When the operator, the server back, retries it by id, and a worker runs
    result = await cli("outbox", "retry", "--id", str(row.id), settings=settings)
    await run_worker(settings)
    # Then it is handed over at once and delivered, its attempt count kept
    assert (result.returncode, result.stderr) == (0, "")
    assert [mail.recipients for mail in smtp_sink.received] == [["waiting@acme.example"]]
    sent = await OutboxMessage.get(id=row.id)
    assert (sent.status, sent.attempts) == (OutboxStatus.DONE, 1)
