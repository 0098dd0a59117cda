"""`python -m workers` as production runs it: a separate process that relays the outbox on its
own (cron at start-up), delivers, reports its health, and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from arq.connections import ArqRedis
from tortoise.transactions import in_transaction

from domain import outbox
from infra.settings import Settings
from models import OutboxMessage
from models.enums import OutboxStatus
from tests.support.services import SmtpSink
from workers import main as worker_main
from workers.health import read_live_workers
from workers.main import build_worker

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
async def test_the_worker_process_delivers_reports_health_and_stops_cleanly(
    settings: Settings, queue: ArqRedis, smtp_sink: SmtpSink
) -> None:
    # Given a pending email row and nothing else running
    async with in_transaction():
        row = await outbox.record_email(
            account_id=None,
            template="ready_to_download",
            recipient="david.nguyen@acme.example",
            context={"user_name": "David Nguyen", "account_name": "Acme", "products": ["Revit"]},
            dedupe_key="process",
            now=dt.datetime.now(dt.UTC),
        )
    # When a worker process starts
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "SMTP_URL": settings.smtp_url,
        "PUBLIC_URL": settings.public_url,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "workers",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20

        async def delivered() -> bool:
            # The sink has the message a moment before the worker records it as DONE.
            status = (await OutboxMessage.get(id=row.id)).status
            return bool(smtp_sink.received) and status is OutboxStatus.DONE

        while not await delivered() or not await read_live_workers(settings):
            assert process.returncode is None, "the worker exited"
            assert time.monotonic() < deadline, "no delivery within 20 s"
            await asyncio.sleep(0.05)
        # Then it relayed and delivered the row by itself, and reports its health
        assert [m.recipients for m in smtp_sink.received] == [["david.nguyen@acme.example"]]
        assert (await OutboxMessage.get(id=row.id)).status is OutboxStatus.DONE
    finally:
        # When it is asked to stop
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), timeout=20)
    # Then it stops with status 0, without a traceback, and takes its health record along
    log = output.decode()
    assert process.returncode == 0, log
    assert "Traceback" not in log
    assert "shutdown on SIGTERM" in log
    assert not await read_live_workers(settings)
    # And the email's log lines are arq's "started" and its own "sent", not arq's "done"
    # as well (cron jobs keep theirs)
    lines = [line for line in log.splitlines() if str(row.id) in line]
    assert len(lines) == 2, log
    assert f"→ outbox:{row.id}:0:deliver_outbox_message(" in lines[0]
    assert f"email {row.id} sent (ready_to_download to david.nguyen@acme.example)" in lines[1]
    assert "← cron:relay_outbox" in log


@pytest.mark.slow
async def test_the_worker_process_stops_cleanly_in_the_middle_of_a_delivery(
    settings: Settings, queue: ArqRedis
) -> None:
    # Given an SMTP server that accepts connections and never answers, and a pending email
    with socket.socket() as silent_smtp:
        silent_smtp.bind(("127.0.0.1", 0))
        silent_smtp.listen(16)
        smtp_url = f"smtp://127.0.0.1:{silent_smtp.getsockname()[1]}"
        async with in_transaction():
            await outbox.record_email(
                account_id=None,
                template="ready_to_download",
                recipient="david.nguyen@acme.example",
                context={
                    "user_name": "David Nguyen",
                    "account_name": "Acme",
                    "products": ["Revit"],
                },
                dedupe_key="stuck",
                now=dt.datetime.now(dt.UTC),
            )
        # and a worker process stuck delivering it
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": settings.database_url,
            "REDIS_URL": settings.redis_url,
            "SMTP_URL": smtp_url,
            "PUBLIC_URL": settings.public_url,
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "workers",
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        assert process.stdout is not None
        try:
            deadline = time.monotonic() + 20
            while b"deliver_outbox_message(" not in await process.stdout.readline():
                assert time.monotonic() < deadline, "the delivery never started"
        finally:
            # When it is asked to stop
            process.send_signal(signal.SIGTERM)
            stopped_at = time.monotonic()
            output, _ = await asyncio.wait_for(process.communicate(), timeout=20)
    # Then it stops promptly with status 0, its database closed and its health record gone
    log = output.decode()
    assert time.monotonic() - stopped_at < 5, log
    assert process.returncode == 0, log
    assert "Tortoise-ORM shutdown" in log
    assert not await read_live_workers(settings)


async def test_a_worker_whose_close_is_cancelled_still_shuts_down(
    settings: Settings, queue: ArqRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a running worker, stopped while a job was recording its result (arq's close
    # then raises CancelledError from the jobs it waits for)
    worker = build_worker(
        settings,
        manage_database=False,
        worker_id="closing-1",
        handle_signals=False,
        cron_jobs=[],
        poll_delay=0.01,
    )
    shut_down: list[bool] = []
    on_shutdown = worker.on_shutdown
    assert on_shutdown is not None

    async def recording_shutdown(ctx: dict[str, Any]) -> None:
        shut_down.append(True)
        await on_shutdown(ctx)

    async def cancelled_close() -> None:
        raise asyncio.CancelledError

    worker.on_shutdown = recording_shutdown
    running = asyncio.create_task(worker.async_run())
    deadline = time.monotonic() + 5
    while not await read_live_workers(settings):
        assert time.monotonic() < deadline, "the worker never reported"
        await asyncio.sleep(0.02)
    running.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await running
    monkeypatch.setattr(worker, "close", cancelled_close)
    # When the process closes it
    await worker_main._close(worker)
    # Then its shutdown still ran (the database closed: nothing keeps the process alive)
    assert shut_down == [True]
