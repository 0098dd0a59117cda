"""One pooled PostgreSQL connection for every statement of a block (a query's reads).

Tortoise's asyncpg client takes a connection from its pool for each statement and gives
it back afterwards, and asyncpg resets a connection it gets back with a statement of its
own (`SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`): two round trips
per statement. A users page reads 5 statements while it executes, so 10 round trips, each
a socket write and read of the API process (on a 2-core machine, about as much CPU as
the statement itself). Inside `one_connection()` the statements of the current task, and
of the tasks it starts (the loaders' batches: they inherit the context), go to one
connection taken once and given back (and reset) once.

How: the block sets, in Tortoise's per-task connection context (where `in_transaction`
puts its transaction), a client that runs every statement on that connection, one at a
time (a lock, as Tortoise's transactions do: asyncpg runs one operation per connection).
A transaction opened inside the block runs on the same connection (never a second one
from the pool: blocks that each held one and waited for another could use up the pool
and wait for ever). Once the block is over, the client sends whatever still reaches it
(a task that outlived the block) to the pool as usual. SQLite has a single connection
anyway: there, and inside a transaction, the block changes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
from tortoise.backends.base.client import TransactionContext
from tortoise.connection import get_connections
from tortoise.exceptions import TransactionManagementError

from models import Account


class OneConnectionClient(AsyncpgDBClient):
    """Tortoise's asyncpg client on one connection taken from `parent`'s pool: built like
    Tortoise's own TransactionWrapper (a view of its parent, sharing its pool and logger,
    so statements are logged and counted as before), without a transaction."""

    def __init__(self, parent: AsyncpgDBClient, connection: Any) -> None:
        # Not super().__init__: that would make a second pool configuration.
        self._parent = parent
        self._connection: Any = connection
        self._pool = parent._pool
        self._pool_init_lock = parent._pool_init_lock
        self._lock = asyncio.Lock()
        self.log = parent.log
        self.connection_name = parent.connection_name

    @property
    def pinned(self) -> bool:
        return self._connection is not None

    def acquire_connection(self) -> Any:
        return _Turn(self)

    def _in_transaction(self) -> TransactionContext:
        if self._connection is None:
            return self._parent._in_transaction()
        return _TransactionOnOneConnection(self)

    async def give_back(self) -> None:
        """Back to the pool once the statement in progress (if any) is over."""
        async with self._lock:
            connection, self._connection = self._connection, None
            if connection is not None and self._pool is not None:
                await self._pool.release(connection)


class _Turn:
    """One statement's turn on the connection: it waits for the statement before it (the
    lock); once the block is over, a statement goes to the pool like any other."""

    __slots__ = ("owner", "pooled")

    def __init__(self, owner: OneConnectionClient) -> None:
        self.owner = owner
        self.pooled: Any = None

    async def __aenter__(self) -> Any:
        await self.owner._lock.acquire()
        connection = self.owner._connection
        if connection is not None:
            return connection
        # Given back while this statement waited for its turn.
        self.owner._lock.release()
        self.pooled = self.owner._parent.acquire_connection()
        return await self.pooled.__aenter__()

    async def __aexit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> None:
        if self.pooled is not None:
            await self.pooled.__aexit__(exc_type, exc_val, exc_tb)
        else:
            self.owner._lock.release()


class _TransactionOnOneConnection(TransactionContext):
    """`in_transaction()` inside the block: Tortoise's transaction client on the block's
    connection, set in the task's context like a pooled transaction, under the block's lock
    (its statements and any other task's take turns on the connection)."""

    def __init__(self, owner: OneConnectionClient) -> None:
        client = TransactionWrapper(owner)
        client._lock = owner._lock
        self.client = client
        self.connection_name = owner.connection_name
        self._lock = owner._lock

    async def __aenter__(self) -> TransactionWrapper:
        async with self._lock:
            await self.client.begin()
        self.token = get_connections().set(self.connection_name, self.client)
        return self.client  # type: ignore[return-value]

    async def __aexit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> None:
        try:
            async with self._lock:
                if not self.client._finalized:
                    if exc_type is None:
                        await self.client.commit()
                    elif exc_type is not TransactionManagementError:
                        await self.client.rollback()
        finally:
            get_connections().reset(self.token)


@asynccontextmanager
async def one_connection() -> AsyncIterator[None]:
    """Every statement of the block (this task and the tasks it starts) on one pooled
    connection, taken on entry and given back on the way out whatever happens."""
    handler = get_connections()
    name = Account._meta.default_connection
    assert name is not None
    client = handler.get(name)
    # Exactly the pooled client: a transaction (or an outer block) already has one
    # connection, and SQLite only ever has one.
    if type(client) is not AsyncpgDBClient:
        yield
        return
    async with client._pool_init_lock:
        if client._pool is None:
            await client.create_connection(with_db=True)
    assert client._pool is not None
    connection = await client._pool.acquire()
    pinned = OneConnectionClient(client, connection)
    token = handler.set(name, pinned)
    try:
        yield
    finally:
        handler.reset(token)
        # Shielded: a request cancelled now must still give the connection back.
        await asyncio.shield(pinned.give_back())


__all__ = ["OneConnectionClient", "one_connection"]
