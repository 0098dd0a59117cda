"""A PostgreSQL database with the demo data set, for the differential test."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

import pytest
from tortoise import Tortoise

from infra.db import tortoise_config
from tests.support.databases import build_template
from tests.support.postgres import PostgresCluster

_copies = itertools.count()


@pytest.fixture(scope="session")
def pg_demo_template(pg_cluster: PostgresCluster) -> str:
    name = "seatwise_demo_template"
    pg_cluster.create_database(name)
    asyncio.run(build_template(pg_cluster.database_url(name), demo=True))
    return name


@pytest.fixture
async def pg_demo_db(pg_cluster: PostgresCluster, pg_demo_template: str) -> AsyncIterator[str]:
    """A fresh PostgreSQL database holding the demo data set."""
    name = f"compiled_{next(_copies)}"
    result = pg_cluster.run(
        str(pg_cluster.bindir / "createdb"),
        "-h",
        "127.0.0.1",
        "-p",
        str(pg_cluster.port),
        "-U",
        "postgres",
        "-T",
        pg_demo_template,
        name,
    )
    assert result.returncode == 0, result.stderr
    url = pg_cluster.database_url(name)
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
    yield url
    await Tortoise.close_connections()
