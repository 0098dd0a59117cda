"""The grace-period jobs: expiry and reminders, run by the worker's cron and by hand
(`python -m app jobs run expire-grace-periods|send-grace-reminders [--as-of DATE]`).

Thin adapters over domain.grace_expiry and domain.grace_reminders, which are safe to run
twice and with other runs at once. A run in a worker (arq's ctx has a `job_id`) stops
starting batches after `WORKER_BUDGET` seconds, below the worker's job timeout: whatever is
left waits for the next run instead of the job being killed mid-batch. A run by hand goes
to the end.

`ctx["progress"]`, when the command line puts it there (on a terminal), is called after
each batch with (trade-ins done, trade-ins due when the run started).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from domain.grace_expiry import BATCH, LANES, ExpiryReport, due_count, expire_grace_periods
from domain.grace_reminders import send_grace_reminders

WORKER_BUDGET = 40.0

Progress = Callable[[int, int], None]


def moment(as_of: dt.date | dt.datetime | None) -> dt.datetime:
    """The moment a run acts as of: now by default; a date means its start (00:00 UTC)."""
    if as_of is None:
        return dt.datetime.now(dt.UTC)
    if isinstance(as_of, dt.datetime):
        return as_of.replace(tzinfo=dt.UTC) if as_of.tzinfo is None else as_of.astimezone(dt.UTC)
    return dt.datetime.combine(as_of, dt.time(0), tzinfo=dt.UTC)


async def expire_grace_periods_job(
    ctx: dict[str, Any],
    as_of: dt.date | dt.datetime | None = None,
    batch_size: int | None = None,
    lanes: int | None = None,
) -> str:
    """End the grace periods that are over as of `as_of` (default: now); returns the
    summary (a job's result is JSON)."""
    when = moment(as_of)
    progress: Progress | None = ctx.get("progress")
    total = await due_count(as_of=when) if progress is not None else 0

    def on_batch(report: ExpiryReport) -> None:
        if progress is not None:
            progress(report.trade_ins, max(total, report.trade_ins))

    report = await expire_grace_periods(
        as_of=when,
        now=dt.datetime.now(dt.UTC),
        batch_size=batch_size or BATCH,
        lanes=lanes or LANES,
        on_batch=on_batch,
        keep_going=_budget(WORKER_BUDGET if "job_id" in ctx else None),
    )
    return report.summary()


async def send_grace_reminders_job(
    ctx: dict[str, Any], as_of: dt.date | dt.datetime | None = None
) -> str:
    """Queue the reminders due as of `as_of` (default: now); returns the summary."""
    reminders = await send_grace_reminders(as_of=moment(as_of), now=dt.datetime.now(dt.UTC))
    return reminders.summary()


def _budget(seconds: float | None) -> Callable[[], bool] | None:
    if seconds is None:
        return None
    deadline = time.monotonic() + seconds
    return lambda: time.monotonic() < deadline
