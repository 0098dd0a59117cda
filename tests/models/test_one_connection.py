"""One pooled PostgreSQL connection for a block of reads (infra/one_connection.py): every
statement of the block and of its tasks on it, taking turns, a transaction inside it on
it too, and the connection back in the pool when the block ends, whatever happens."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from tortoise import Tortoise
from tortoise.transactions import in_transaction

from infra.db import tortoise_config
from infra.one_connection import one_connection
from models import Account

pytestmark = pytest.mark.postgres


def _client() -> Any:
    return Account._meta.db


def _pool() -> Any:
    pool = _client()._pool
    assert pool is not None
    return pool


async def _backend() -> int:
    """The PostgreSQL server process of the connection the statement ran on."""
    _, rows = await _client().execute_query("SELECT pg_backend_pid()")
    return int(rows[0][0])


async def _reopen_with_pool_of(url: str, size: int) -> None:
    await Tortoise.close_connections()
    await Tortoise.init(
        config=tortoise_config(f"{url}?minsize=1&maxsize={size}"), _enable_global_fallback=True
    )


async def test_the_statements_of_a_block_and_its_tasks_share_one_connection(
    pg_empty_db: str,
) -> None:
    # Given the pool (one statement opens it)
    await _backend()
    idle = _pool().get_idle_size()
    # When a block reads, then ten tasks of it read at once
    async with one_connection():
        first = await _backend()
        during = _pool().get_idle_size()
        together = await asyncio.gather(*(_backend() for _ in range(10)))
    # Then every statement ran on the one connection taken from the pool, one at a time
    # (asyncpg refuses a second operation on a busy connection), and it is back afterwards
    assert set(together) == {first}
    assert during == idle - 1
    assert _pool().get_idle_size() == idle


async def test_the_connection_goes_back_when_the_block_fails(pg_empty_db: str) -> None:
    # Given the pool
    await _backend()
    idle = _pool().get_idle_size()
    # When a block's statement fails
    with pytest.raises(Exception, match="division by zero"):
        async with one_connection():
            await _client().execute_query("SELECT 1 / 0")
    # Then its connection is back in the pool, and the next statement works
    assert _pool().get_idle_size() == idle
    assert await _backend() > 0


async def _create_then_fail(name: str) -> None:
    async with in_transaction():
        await Account.create(name=name)
        raise RuntimeError("refused")


async def test_a_transaction_inside_the_block_uses_its_connection(pg_empty_db: str) -> None:
    # Given a pool of a single connection
    await _reopen_with_pool_of(pg_empty_db, 1)
    # When a block reads, then writes in a transaction, then in one that fails
    async with one_connection():
        before = await _backend()
        # (a second connection from the pool would wait for ever: the guard fails instead)
        async with asyncio.timeout(30):
            async with in_transaction() as connection:
                inside = int((await connection.execute_query("SELECT pg_backend_pid()"))[1][0][0])
                await Account.create(name="Acme")
            with pytest.raises(RuntimeError, match="refused"):
                await _create_then_fail("Globex")
        after = await _backend()
    # Then they all ran on the block's connection, the first committed, the second not
    assert before == inside == after
    assert [account.name for account in await Account.all()] == ["Acme"]


async def test_a_task_outliving_the_block_reads_from_the_pool(pg_empty_db: str) -> None:
    # Given a block that starts a task which reads only after the block is over
    await _backend()
    idle = _pool().get_idle_size()
    go = asyncio.Event()

    async def late_reader() -> int:
        await go.wait()
        return await _backend()

    async with one_connection():
        task = asyncio.create_task(late_reader())
    assert _pool().get_idle_size() == idle
    # When it reads
    go.set()
    # Then its statement takes a connection from the pool like any other, and gives it back
    assert await task > 0
    assert _pool().get_idle_size() == idle


async def test_sqlite_and_transactions_are_left_as_they_are(db: str) -> None:
    # Given SQLite's single connection
    client = _client()
    # When a block runs
    async with one_connection():
        # Then its statements use that connection, as before
        assert _client() is client
        assert await Account.all().count() == 0


async def test_a_block_cancelled_on_its_way_out_still_gives_its_connection_back(
    pg_empty_db: str,
) -> None:
    # Given a block whose connection is busy (a statement of one of its tasks) when it ends
    await _backend()
    idle = _pool().get_idle_size()
    busy = asyncio.Event()
    clients: list[Any] = []

    async def block() -> None:
        async with one_connection():
            clients.append(_client())
            await clients[0]._lock.acquire()
            busy.set()

    task = asyncio.create_task(block())
    await busy.wait()
    # When the request is cancelled while the block waits to give the connection back
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # Then, once the statement is over, the connection is back in the pool all the same
    clients[0]._lock.release()
    async with clients[0]._lock:
        assert _pool().get_idle_size() == idle
