"""Jobs that people can run by hand: `python -m app jobs run NAME [options]`.

Each entry names an arq task (a coroutine taking the worker's `ctx`, as "module:function",
imported only when the job runs so that the command line stays quick) and the command-line
options it accepts, passed to it as keyword arguments. The command runs it once, now, in its
own process, with the same ctx a worker gives it (settings, a queue client, the database).
To add one, write the task in workers/tasks.py over a domain/ function and list it here:

    ManualJob(
        name="expire-grace-periods",
        help="end the trade-in grace periods that are over",
        task="workers.tasks:expire_grace_periods",  # async def ...(ctx, as_of=None)
        options=(Option("--as-of", "as of this day (default: now)", dt.date.fromisoformat,
                        "DATE"),),
        describe=lambda n: f"{n} grace period(s) expired",
    )
"""

from __future__ import annotations

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

    def coroutine(self) -> Callable[..., Awaitable[Any]]:
        module, _, function = self.task.partition(":")
        found: Callable[..., Awaitable[Any]] = getattr(importlib.import_module(module), function)
        return found


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
    )
}
