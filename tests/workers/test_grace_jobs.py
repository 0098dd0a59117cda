"""The grace-period jobs as people and workers run them: `python -m app jobs run
expire-grace-periods|send-grace-reminders` in a subprocess (a progress bar on a terminal
only, then a summary), two at once and one killed mid-run on PostgreSQL, and the worker's
cron task."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import pty
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest
from arq.connections import ArqRedis

from infra.settings import Settings
from models import AuditEvent, OutboxMessage, TradeIn
from models.enums import OutboxStatus, TradeInStatus
from tests.support.grace import ENDS, in_grace
from tests.support.services import RedisServer
from tests.workers.conftest import run_worker
from workers import grace_jobs
from workers.main import build_worker
from workers.registry import JOBS

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2026-12-03"  # the day after ENDS: its start is past the deadline
AS_DAY = dt.date(2026, 12, 3)
SUMMARY = re.compile(r"expire-grace-periods: (\d+) trade-ins? completed, (\d+) seats? removed")


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "app", "jobs", "run", *args]


def _env(database_url: str, redis_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
    }


def run_cli(database_url: str, redis_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _command(*args),
        cwd=ROOT,
        env=_env(database_url, redis_url),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def run_on_terminal(database_url: str, redis_url: str, *args: str) -> str:
    """The command's output on a pseudo-terminal, as a person sees it."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        _command(*args),
        cwd=ROOT,
        env=_env(database_url, redis_url),
        stdout=terminal,
        stderr=terminal,
    )
    os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal closed: the process is done
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    assert process.wait(timeout=120) == 0
    return b"".join(chunks).decode().replace("\r\n", "\n")


async def test_expiry_by_hand_prints_a_summary_and_no_bar_when_not_on_a_terminal(
    settings: Settings,
) -> None:
    # Given a trade-in whose grace period ended (3 users, one of them moved) and one not yet
    world = await in_grace()
    await in_grace(ends=ENDS + dt.timedelta(days=10))
    # When someone runs the job by hand into a file or a pipe
    result = run_cli(
        settings.database_url, settings.redis_url, "expire-grace-periods", "--as-of", AS_OF
    )
    # Then it prints one summary line, no progress bar
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == (
        "expire-grace-periods: 1 trade-in completed, 3 seats removed, 2 emails queued\n"
    )
    done = await TradeIn.get(id=world.trade_in.id)
    assert (done.status, done.completed_at) == (
        TradeInStatus.COMPLETED,
        dt.datetime(2026, 12, 3, tzinfo=dt.UTC),
    )
    # When it runs again, nothing is left
    again = run_cli(
        settings.database_url, settings.redis_url, "expire-grace-periods", "--as-of", AS_OF
    )
    assert again.stdout == (
        "expire-grace-periods: 0 trade-ins completed, 0 seats removed, 0 emails queued\n"
    )


async def test_expiry_by_hand_on_a_terminal_draws_a_progress_bar(settings: Settings) -> None:
    # Given three due trade-ins
    for hours in range(3):
        await in_grace(ends=ENDS - dt.timedelta(hours=hours), users=("Ann Lee",), moved=())
    # When someone runs the job on a terminal, two trade-ins per batch
    output = run_on_terminal(
        settings.database_url,
        settings.redis_url,
        "expire-grace-periods",
        "--as-of",
        AS_OF,
        "--batch-size",
        "2",
    )
    # Then the bar is redrawn in place after each batch, then the summary follows
    clear = "\r\x1b[K"
    assert output == (
        f"{clear}[####################..........] 2/3 done"
        f"{clear}[##############################] 3/3 done\n"
        "expire-grace-periods: 3 trade-ins completed, 3 seats removed, 6 emails queued\n"
    )


async def test_reminders_by_hand(settings: Settings) -> None:
    await in_grace()
    before = ENDS - dt.timedelta(days=7)
    args = ("send-grace-reminders", "--as-of", before.isoformat())
    result = run_cli(settings.database_url, settings.redis_url, *args)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "send-grace-reminders: 1 trade-in reminded, 2 emails queued\n"
    again = run_cli(settings.database_url, settings.redis_url, *args)
    assert again.stdout == "send-grace-reminders: 0 trade-ins reminded, 0 emails queued\n"


@pytest.mark.parametrize("option", ["--batch-size", "--lanes"])
@pytest.mark.parametrize("size", ["0", "-3", "many"])
def test_a_batch_size_or_lanes_must_be_a_positive_number(option: str, size: str) -> None:
    result = run_cli(
        "sqlite://:memory:", "redis://127.0.0.1:1/0", "expire-grace-periods", option, size
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(
        f"python -m app jobs run expire-grace-periods: error: argument {option}: invalid "
    )


async def test_the_worker_runs_the_expiry_and_reminders_on_its_cron(
    settings: Settings, queue: ArqRedis
) -> None:
    # Given a worker: both grace jobs are on its cron, unique across workers
    worker = build_worker(settings, manage_database=False, burst=True, handle_signals=False)
    crons = {job.name: job for job in worker.cron_jobs}
    assert crons["cron:expire_grace_periods_job"].unique
    assert crons["cron:send_grace_reminders_job"].unique
    # And a trade-in whose grace period ended an hour ago (by the real clock)
    world = await in_grace(ends=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    # When the worker runs the expiry task (as its cron does, without arguments)
    job = await queue.enqueue_job("cron:expire_grace_periods_job")
    assert job is not None
    await run_worker(settings, cron=True)
    # Then the trade-in is completed, its admins emailed
    assert (await TradeIn.get(id=world.trade_in.id)).status is TradeInStatus.COMPLETED
    assert await OutboxMessage.filter(name="grace_expired").count() == 2


# PostgreSQL: processes at once, and a process killed mid-run ------------------------------


@pytest.fixture
def pg_redis_url(pg_empty_db: str, redis_server: RedisServer) -> str:
    return redis_server.url


@pytest.mark.postgres
async def test_two_processes_at_once_complete_each_trade_in_once(
    pg_empty_db: str, pg_redis_url: str
) -> None:
    # Given 30 due trade-ins of one user each
    for minutes in range(30):
        await in_grace(ends=ENDS - dt.timedelta(minutes=minutes), users=("Ann Lee",), moved=())
    # When two processes run the expiry at the same time, three trade-ins per batch
    args = ("expire-grace-periods", "--as-of", AS_OF, "--batch-size", "3")
    processes = [
        subprocess.Popen(
            _command(*args),
            cwd=ROOT,
            env=_env(pg_empty_db, pg_redis_url),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in processes]
    # Then between them they completed each trade-in once, and wrote each email once
    assert [p.returncode for p in processes] == [0, 0]
    assert [err for _, err in outputs] == ["", ""]
    counts = [SUMMARY.match(out) for out, _ in outputs]
    assert sum(int(m.group(1)) for m in counts if m) == 30
    assert sum(int(m.group(2)) for m in counts if m) == 30
    assert await TradeIn.filter(status=TradeInStatus.COMPLETED).count() == 30
    assert await OutboxMessage.all().count() == 60
    assert len(set(await OutboxMessage.all().values_list("dedupe_key", flat=True))) == 60
    assert await AuditEvent.all().count() == 30


async def _wait_for(check: object, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await check():  # type: ignore[operator]
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.postgres
async def test_a_process_killed_mid_run_leaves_whole_batches_and_the_next_run_finishes(
    pg_empty_db: str, pg_redis_url: str
) -> None:
    # Given six due trade-ins, oldest deadline first in the list
    worlds = [
        await in_grace(ends=ENDS - dt.timedelta(hours=h), users=("Ann Lee",), moved=())
        for h in (5, 4, 3, 2, 1, 0)
    ]
    # And the third one's old subscription held by another transaction, so that the run,
    # two trade-ins per batch in one lane, stops inside its second batch once the first is
    # committed (with two lanes, either lane may claim which pair: see the domain's tests)
    holder = await asyncpg.connect(pg_empty_db)
    transaction = holder.transaction()
    await transaction.start()
    await holder.execute(
        "SELECT 1 FROM product_subscription WHERE id = $1 FOR UPDATE", worlds[2].source.id
    )
    process = subprocess.Popen(
        _command("expire-grace-periods", "--as-of", AS_OF, "--batch-size", "2", "--lanes", "1"),
        cwd=ROOT,
        env=_env(pg_empty_db, pg_redis_url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    waiting: list[int] = []

    async def second_batch_blocked() -> bool:
        if await TradeIn.filter(status=TradeInStatus.COMPLETED).count() != 2:
            return False
        rows = await holder.fetch(
            "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND query LIKE '%product_subscription%'"
        )
        waiting[:] = [row["pid"] for row in rows]
        return bool(waiting)

    try:
        await _wait_for(second_batch_blocked, "the second batch to wait on the lock")
        # When the process is killed with SIGKILL in the middle of its second batch
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        await transaction.rollback()

    async def backend_gone() -> bool:
        rows = await holder.fetch("SELECT 1 FROM pg_stat_activity WHERE pid = ANY($1)", waiting)
        return not rows

    await _wait_for(backend_gone, "the killed run's transaction to end")
    await holder.close()
    # Then the first batch is done and the second left whole
    statuses = dict(await TradeIn.all().values_list("id", "status"))
    assert [statuses[w.trade_in.id] for w in worlds] == ["COMPLETED"] * 2 + ["IN_GRACE"] * 4
    assert await OutboxMessage.all().count() == 4
    # When the next run comes
    result = run_cli(pg_empty_db, pg_redis_url, "expire-grace-periods", "--as-of", AS_OF)
    # Then it finishes the rest, and nothing was done twice
    assert result.stdout == (
        "expire-grace-periods: 4 trade-ins completed, 4 seats removed, 8 emails queued\n"
    )
    assert await TradeIn.filter(status=TradeInStatus.COMPLETED).count() == 6
    assert await OutboxMessage.all().count() == 12
    assert await AuditEvent.all().count() == 6


# The adapters -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "moment"),
    [
        (dt.date(2026, 12, 3), dt.datetime(2026, 12, 3, tzinfo=dt.UTC)),
        (dt.datetime(2026, 12, 3, 9, 30), dt.datetime(2026, 12, 3, 9, 30, tzinfo=dt.UTC)),
        (
            dt.datetime(2026, 12, 3, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))),
            dt.datetime(2026, 12, 3, 9, 30, tzinfo=dt.UTC),
        ),
    ],
)
def test_as_of_is_a_moment_in_utc(given: dt.date, moment: dt.datetime) -> None:
    assert grace_jobs.moment(given) == moment


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("2026-12-03", dt.date(2026, 12, 3)),
        ("2026-12-03T09:30:00+00:00", dt.datetime(2026, 12, 3, 9, 30, tzinfo=dt.UTC)),
    ],
)
def test_the_as_of_option_takes_a_date_or_a_moment(text: str, parsed: dt.date) -> None:
    [option] = [o for o in JOBS["send-grace-reminders"].options if o.flag == "--as-of"]
    assert option.parse(text) == parsed


async def test_a_run_in_a_worker_stops_starting_batches_after_its_budget(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a due trade-in, and a worker budget already spent
    world = await in_grace()
    monkeypatch.setattr(grace_jobs, "WORKER_BUDGET", 0.0)
    # When the worker (its ctx has arq's job id) runs the expiry, nothing is started
    summary = await grace_jobs.expire_grace_periods_job({"job_id": "cron:x"}, as_of=AS_DAY)
    assert summary == "0 trade-ins completed, 0 seats removed, 0 emails queued"
    assert (await TradeIn.get(id=world.trade_in.id)).status is TradeInStatus.IN_GRACE
    # When a person runs it by hand (no job id), it goes to the end
    summary = await grace_jobs.expire_grace_periods_job({}, as_of=AS_DAY)
    assert summary == "1 trade-in completed, 3 seats removed, 2 emails queued"


async def test_expiry_by_hand_runs_where_redis_cannot_be_reached(settings: Settings) -> None:
    # Given a trade-in whose grace period ended, and a command line that cannot reach
    # Redis (as beside `make run`, whose Redis listens on a port of its own)
    await in_grace()
    closed = "redis://127.0.0.1:1/0"
    # When the expiry is run by hand there
    result = run_cli(settings.database_url, closed, "expire-grace-periods", "--as-of", AS_OF)
    # Then it does its work: the emails wait in the outbox for the worker's relay
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == (
        "expire-grace-periods: 1 trade-in completed, 3 seats removed, 2 emails queued\n"
    )
    assert await OutboxMessage.filter(status=OutboxStatus.PENDING).count() == 2
    # while a job that talks to the queue still says Redis is missing
    relay = run_cli(settings.database_url, closed, "relay-outbox")
    assert relay.returncode == 1
    assert relay.stderr.startswith("error: Redis does not answer at 127.0.0.1:1 (REDIS_URL)")
