"""Test databases: migrated once into a template, copied for every test.

SQLite: two files migrated once per session, both with the catalog and plans, one with the
demo data set as well; each test gets its own copy. PostgreSQL: one template with the
catalog and plans (no demo data), copied with `CREATE DATABASE ... TEMPLATE`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import shutil
from pathlib import Path

from tortoise import Tortoise

from app.data_files import DATA_DIR, read_yaml
from app.seeding import seed_demo
from domain.catalog import load_catalog, parse_catalog
from domain.plans import load_plans, parse_plans
from infra.db import migrate, tortoise_config

# The demo data is written as of this moment, so tests see the same rows every run.
DEMO_NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)

_counter = itertools.count()


async def load_reference_data(*, demo: bool) -> None:
    await load_catalog(parse_catalog(read_yaml(DATA_DIR / "catalog.yaml")))
    await load_plans(parse_plans(read_yaml(DATA_DIR / "plans.yaml")))
    if demo:
        await seed_demo(read_yaml(DATA_DIR / "demo.yaml"), now=DEMO_NOW)


async def build_template(url: str, *, demo: bool) -> None:
    await migrate(url)
    await Tortoise.init(config=tortoise_config(url))
    try:
        await load_reference_data(demo=demo)
    finally:
        await Tortoise.close_connections()


def sqlite_template(directory: Path, *, demo: bool) -> Path:
    path = directory / ("demo.sqlite3" if demo else "empty.sqlite3")
    if not path.exists():
        asyncio.run(build_template(f"sqlite://{path}", demo=demo))
    return path


def sqlite_copy(template: Path, directory: Path) -> str:
    target = directory / f"test-{next(_counter)}.sqlite3"
    shutil.copyfile(template, target)
    return f"sqlite://{target}"
