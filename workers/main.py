"""The arq worker: settings, start-up and the loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from typing import Any

from arq import cron
from arq.worker import Worker
from redis.exceptions import RedisError

from infra.db import close_db, init_db
from infra.settings import Settings
from workers.claims import BatchClaims
from workers.completions import DoneMarker
from workers.enqueue import DELIVER, redis_settings
from workers.grace_jobs import expire_grace_periods_job, send_grace_reminders_job
from workers.health import HEALTH_CHECK_INTERVAL, ReportingWorker, default_worker_id
from workers.mailer import SmtpConnections
from workers.serialization import deserialize, serialize
from workers.tasks import deliver_outbox_message, relay_outbox

logger = logging.getLogger("seatwise.worker")

# Bounds the shutdown: arq's close() waits for the running jobs (cancelled on a signal) and
# talks to Redis, which may be gone.
CLOSE_TIMEOUT = 10

# SMTP connections each worker keeps open and reuses (workers/mailer.py SmtpConnections);
# 0 opens one per message. One is enough: it delivers more than 200 messages a second to a
# local server (bench/RESULTS.md, emails), while the jobs render and touch the database
# beside it.
SMTP_CONNECTIONS = 1
# Jobs one worker runs at once. Deliveries wait mostly on the database and the SMTP server,
# so many at once keep both busy; above about 50 they only queue for the SMTP connection.
MAX_JOBS = 50
# Seconds between two polls of the queue while it is empty (a job queued then waits this
# long at most). Each poll is a few Redis commands.
POLL_DELAY = 0.05


def build_worker(
    settings: Settings,
    *,
    manage_database: bool = True,
    worker_id: str | None = None,
    smtp_connections: int = SMTP_CONNECTIONS,
    **overrides: Any,
) -> Worker:
    """The worker. `manage_database=False` leaves opening the database to the caller (tests
    that also touch the database directly); `worker_id` names its health record
    (hostname-pid by default); `smtp_connections` is how many SMTP connections it keeps
    (0: one per message); `overrides` are arq Worker options."""

    async def startup(ctx: dict[str, Any]) -> None:
        ctx["settings"] = settings
        ctx["smtp"] = SmtpConnections(settings, size=smtp_connections)
        ctx["done"] = DoneMarker()
        if manage_database:
            await init_db(settings)

    async def shutdown(ctx: dict[str, Any]) -> None:
        if "done" in ctx:
            await ctx["done"].close()
        if "smtp" in ctx:
            await ctx["smtp"].close()
        if manage_database:
            await close_db()

    options: dict[str, Any] = {
        "functions": [deliver_outbox_message],
        "cron_jobs": [
            cron(relay_outbox, second={0, 15, 30, 45}, run_at_startup=True, unique=True),
            # Every 5 minutes, off the relay's seconds; each run is safe next to another.
            cron(expire_grace_periods_job, minute=set(range(0, 60, 5)), second=5, unique=True),
            cron(send_grace_reminders_job, minute=set(range(2, 60, 5)), second=5, unique=True),
        ],
        "redis_settings": redis_settings(settings),
        "on_startup": startup,
        "on_shutdown": shutdown,
        "job_serializer": serialize,
        "job_deserializer": deserialize,
        # Short timeouts: a job of a killed worker is retried after the longest timeout.
        "job_timeout": 60,
        "max_jobs": MAX_JOBS,
        "poll_delay": POLL_DELAY,
        # Results are only for people looking at Redis; job ids carry the attempt number,
        # so a kept result never blocks the next attempt (workers/enqueue.py).
        "keep_result": 60,
        "health_check_interval": HEALTH_CHECK_INTERVAL,
    }
    options.update(overrides)
    # A poll fetches no more job ids than it can start (it claims one per free slot).
    options.setdefault("queue_read_limit", options["max_jobs"])
    return SeatwiseWorker(worker_id=worker_id or default_worker_id(), **options)


class SeatwiseWorker(BatchClaims, ReportingWorker):
    """arq's Worker with its own health record (workers/health.py) and one round trip to
    claim the jobs of a poll (workers/claims.py)."""


class QuietDeliveries(logging.Filter):
    """Drops arq's "← job done" line for email jobs: the delivery task logs its own line
    per email (sent, retry later, failed), which says more. arq's "→ job started" line
    stays (it shows what is in flight); cron jobs and every other arq line keep theirs."""

    _ARQ_JOB_DONE = "%6.2fs ← %s ● %s"

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg != self._ARQ_JOB_DONE or not isinstance(record.args, tuple):
            return True
        return DELIVER not in str(record.args[1])


def run_worker(settings: Settings, **options: Any) -> None:
    """Run until asked to stop, or exit with status 1 when Redis cannot be reached.
    `options` go to build_worker."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # A line or two per email: leave out what the format never shows (the caller's file
    # and line, the thread, the process), as the logging HOWTO's "Optimization" says.
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    logging._srcfile = None
    logging.getLogger("arq.worker").addFilter(QuietDeliveries())
    status = asyncio.run(_run(settings, **options))
    if status:
        sys.exit(status)


async def _run(settings: Settings, **options: Any) -> int:
    # Set by arq's signal handler: a signal that arrives while a worker that lost Redis is
    # closing (its main task already ended, so it cancels nothing) still stops the process.
    stop_requested = asyncio.Event()
    while not stop_requested.is_set():
        worker = build_worker(settings, **options)
        worker.on_stop = lambda signum: stop_requested.set()
        try:
            await worker.async_run()
        except asyncio.CancelledError:
            # arq's SIGINT/SIGTERM handler stops the worker by cancelling its main task: a
            # requested stop (exit status 0), not a crash. Jobs it interrupted run again later.
            await _close(worker)
            return 0
        except (RedisError, OSError) as exc:
            connected = worker.ctx.get("redis") is not None
            await _close(worker)
            if not connected:
                # arq already retried the connection (redis_settings): give up with a
                # failure status, so whatever supervises the worker sees it and restarts it.
                logger.error("worker: Redis unreachable, exiting: %s", exc)
                return 1
            # A Redis restart or failover breaks every connection of the pool, and arq's
            # loop does not survive that. Start a fresh worker: it reconnects (with retries)
            # and its start-up relay queues whatever the lost Redis held.
            logger.warning("worker: lost Redis (%s); reconnecting", exc)
        except BaseException:
            await _close(worker)
            raise
    return 0


async def _close(worker: Worker) -> None:
    """arq's close(): wait for the running jobs, delete the health record, then on_shutdown
    (closes the database) and the Redis pool. Without Redis it raises at the health record,
    before on_shutdown: the database is then closed here, since an open aiosqlite
    connection is a non-daemon thread that would keep the process alive for good.

    It also raises CancelledError when a job was cancelled (by the stop) while arq was
    recording its result: arq waits for the jobs without catching that, which left a busy
    worker alive after SIGTERM with its database open (seen with 150 jobs under way)."""
    try:
        async with asyncio.timeout(CLOSE_TIMEOUT):
            await worker.close()
    except (RedisError, OSError, TimeoutError, asyncio.CancelledError) as exc:
        logger.warning("worker: closed early: %r", exc)
        for task in worker.tasks.values():
            task.cancel()
        if worker.on_shutdown:
            await worker.on_shutdown(worker.ctx)
        if worker.ctx.get("redis") is not None:
            with contextlib.suppress(RedisError, OSError):
                await worker.ctx["redis"].aclose()
