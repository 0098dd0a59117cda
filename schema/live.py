"""The account events one API process tells its followers (`Subscription.accountEvents`).

One feed per process, whatever the number of followers: while anybody follows an account,
it reads the committed facts of the followed accounts every `interval` seconds
(`domain.account_events.committed_since`: two indexed reads a tick, not two per follower)
and hands each new one to the followers of its account. No tick runs while nobody follows.

A fact is new the first time a read returns it. Reads look back `LOOKBACK` seconds, so a
change committed a little after its `created_at` (the time its transaction wrote the row)
is still found; the keys seen within that window are remembered so that nobody is told a
fact twice. A follower is told the facts that happened from `SLACK` before it joined (the
clocks of the processes writing them may differ by that much), and none older.

A follower that falls more than `max_backlog` facts behind is dropped (its iteration ends
with `FollowerTooSlow`) rather than holding the memory of the process.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from contextlib import asynccontextmanager, suppress
from uuid import UUID

from domain.account_events import AccountEventFact, committed_since

logger = logging.getLogger("seatwise.live")

# Longer than any transaction that writes audit rows (an import chunk or an expiry batch
# takes well under a second) plus the clock differences between processes.
LOOKBACK = dt.timedelta(seconds=10)
SLACK = dt.timedelta(seconds=2)

Reader = Callable[[Collection[UUID], dt.datetime], Awaitable[list[AccountEventFact]]]


class FollowerTooSlow(Exception):
    """The follower did not take its facts quickly enough and was dropped."""


class Follower:
    def __init__(self, account_id: UUID, joined_at: dt.datetime, max_backlog: int) -> None:
        self.account_id = account_id
        self.joined_at = joined_at
        self._queue: asyncio.Queue[AccountEventFact | None] = asyncio.Queue(max_backlog + 1)
        self._max_backlog = max_backlog
        self.too_slow = False

    @property
    def backlog(self) -> int:
        """Facts told and not taken yet."""
        return self._queue.qsize()

    def tell(self, fact: AccountEventFact) -> None:
        if self.too_slow:
            return
        if self._queue.qsize() >= self._max_backlog:
            self.too_slow = True
            self._queue.put_nowait(None)  # the one slot kept for the end
            return
        self._queue.put_nowait(fact)

    def __aiter__(self) -> AsyncIterator[AccountEventFact]:
        return self._facts()

    async def _facts(self) -> AsyncIterator[AccountEventFact]:
        while True:
            fact = await self._queue.get()
            if fact is None:
                raise FollowerTooSlow(f"more than {self._max_backlog} events behind")
            yield fact


class AccountEventFeed:
    def __init__(
        self,
        *,
        interval: float = 1.0,
        max_backlog: int = 1000,
        clock: Callable[[], float] = time.time,
        read: Reader = committed_since,
    ) -> None:
        self.interval = interval
        self.max_backlog = max_backlog
        self.clock = clock
        self._read = read
        self._followers: dict[UUID, set[Follower]] = {}
        # Keys told already, with the time each fact happened (to forget them once no
        # read can return them again).
        self._seen: dict[str, dt.datetime] = {}
        self._task: asyncio.Task[None] | None = None

    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.clock(), dt.UTC)

    @property
    def followed(self) -> frozenset[UUID]:
        return frozenset(self._followers)

    @asynccontextmanager
    async def follow(self, account_id: UUID) -> AsyncIterator[Follower]:
        follower = Follower(account_id, self.now(), self.max_backlog)
        self._followers.setdefault(account_id, set()).add(follower)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="account-event-feed")
        try:
            yield follower
        finally:
            followers = self._followers.get(account_id, set())
            followers.discard(follower)
            if not followers:
                self._followers.pop(account_id, None)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while self._followers:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database may be away: try again next tick
                logger.warning("account events not read (retrying)", exc_info=True)
            await asyncio.sleep(self.interval)
        self._seen.clear()

    async def tick(self) -> None:
        """One read of the followed accounts, each new fact told to their followers."""
        if not self._followers:
            return
        now = self.now()
        joined = min(f.joined_at for group in self._followers.values() for f in group)
        since = max(joined - SLACK, now - LOOKBACK)
        facts = await self._read(list(self._followers), since)
        for fact in facts:
            if fact.key in self._seen:
                continue
            self._seen[fact.key] = fact.occurred_at
            for follower in tuple(self._followers.get(fact.account_id, ())):
                if fact.occurred_at >= follower.joined_at - SLACK:
                    follower.tell(fact)
        # What happened before the window can never be read again.
        for key in [k for k, at in self._seen.items() if at < since]:
            del self._seen[key]
