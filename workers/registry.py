"""Jobs that people can run by hand: `python -m app jobs run NAME [options]`.

Each entry names an arq task (a coroutine taking the worker's `ctx`, as "module:function",
imported only when the job runs so that the command line stays quick) and the command-line
options it accepts, passed to it as keyword arguments. The command runs it once, now, in its
own process, with the same ctx a worker gives it (settings, a queue client, the database).
To add one, write the task in workers/ over a domain/ function and list it here:

    ManualJob(
        name="send-grace-reminders",
        help="email the admins before a trade-in's grace period ends",
        task="workers.grace_jobs:send_grace_reminders_job",  # async def ...(ctx, as_of=None)
        options=(AS_OF,),
    )

A task may report progress: the command puts `progress(done, total)` in the ctx when its
output is a terminal (workers/grace_jobs.py).
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Option:
    """A command-line option of a job; `--as-of` reaches the task as `as_of`."""

    flag: str
    help: str
    parse: Callable[[str], Any] = str
    metavar: str | None = None

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")


@dataclass(frozen=True)
class ManualJob:
    name: str
    help: str
    task: str
    options: tuple[Option, ...] = ()
    describe: Callable[[Any], str] = field(default=str)
    # Whether the task talks to the queue (ctx["redis"]). A job that only writes outbox
    # rows leaves them to the worker's relay, so it runs by hand while Redis is away, or
    # where the command cannot reach it (`make run` embeds Redis on a port of its own).
    needs_queue: bool = True

    def coroutine(self) -> Callable[..., Awaitable[Any]]:
        module, _, function = self.task.partition(":")
        found: Callable[..., Awaitable[Any]] = getattr(importlib.import_module(module), function)
        return found


def _as_of(text: str) -> dt.date | dt.datetime:
    """`--as-of`: a date (2026-12-03, meaning its start, 00:00 UTC) or a date and time
    (2026-12-03T09:30:00+00:00; UTC when no offset is given)."""
    if "T" in text or " " in text:
        return dt.datetime.fromisoformat(text)
    return dt.date.fromisoformat(text)


def _positive(text: str) -> int:
    number = int(text)
    if number < 1:
        raise ValueError(text)
    return number


AS_OF = Option("--as-of", "act as of this day or moment (default: now)", _as_of, "DATE")


def _enqueued(count: int) -> str:
    return f"{count} outbox message{'' if count == 1 else 's'} handed to the queue"


JOBS: dict[str, ManualJob] = {
    job.name: job
    for job in (
        ManualJob(
            name="relay-outbox",
            help=(
                "hand the outbox rows that are due to the queue (what the worker's cron does "
                "every 15 s): rows written while Redis was down, retries whose backoff passed"
            ),
            task="workers.tasks:relay_outbox",
            describe=_enqueued,
        ),
        ManualJob(
            name="expire-grace-periods",
            help=(
                "end the trade-in grace periods that are over: remove the old seats, replace "
                "the old subscription, complete the trade-in, email the admins"
            ),
            task="workers.grace_jobs:expire_grace_periods_job",
            needs_queue=False,
            options=(
                AS_OF,
                Option("--batch-size", "trade-ins per transaction (default 1000)", _positive, "N"),
                Option("--lanes", "batches at once on PostgreSQL (default 2)", _positive, "N"),
            ),
        ),
        ManualJob(
            name="send-grace-reminders",
            help="email the admins 7 days and 1 day before a trade-in's grace period ends",
            task="workers.grace_jobs:send_grace_reminders_job",
            needs_queue=False,
            options=(AS_OF,),
        ),
    )
}
