"""Transactions on SQLite with another process writing to the same file (the API and a
worker): a command that reads then writes takes the write lock when it begins (infra.db),
so another writer waits for it instead of the command failing with "database is locked"."""

from __future__ import annotations

import asyncio
import sqlite3

from tortoise.transactions import in_transaction

from infra.db import tortoise_config
from models import Account


def _write_from_another_process(path: str, timeout: float) -> str:
    """What a worker's write meets: done, or refused because the file is locked."""
    other = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    try:
        other.execute("UPDATE account SET name = 'Written elsewhere' WHERE name = 'Globex'")
        return "written"
    except sqlite3.OperationalError as error:
        return str(error)
    finally:
        other.close()


async def test_a_command_keeps_the_write_lock_from_its_start(db: str) -> None:
    # Given two accounts, and a command that reads one, then writes it
    await Account.create(name="Acme")
    await Account.create(name="Globex")
    path = db.removeprefix("sqlite://")
    async with in_transaction():
        await Account.get(name="Acme")
        # When another process writes meanwhile (waiting at most 0.2 s for the lock)
        elsewhere = await asyncio.to_thread(_write_from_another_process, path, 0.2)
        # Then it waited for the command, which writes and commits without "database is
        # locked" (with a deferred BEGIN the other write went first and this one failed)
        await Account.filter(name="Acme").update(name="Acme Engineering")
    assert elsewhere == "database is locked"
    assert sorted(account.name for account in await Account.all()) == [
        "Acme Engineering",
        "Globex",
    ]


def test_sqlite_connections_wait_for_a_busy_file() -> None:
    # Given the configuration of a SQLite database
    config = tortoise_config("sqlite:///tmp/seatwise.sqlite3")
    # Then its connection waits up to 30 s for the write lock (a pragma of the URL)
    assert config["connections"]["sqlite"] == "sqlite:///tmp/seatwise.sqlite3?busy_timeout=30000"
