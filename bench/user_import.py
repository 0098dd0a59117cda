"""Benchmark: `python -m app users import` of a CSV file of 10,000 people, on SQLite and
PostgreSQL.

    python -m bench.user_import [--rows 10000] [--rounds 3] [--no-postgres]

Each round imports a fresh file into a fresh account (its primary admin, and one active
AutoCAD subscription with a seat for every row): every row a new person who gets an AutoCAD
seat, so each row writes the person, the membership, the seat, the invitation and download
emails and two audit events. The command runs as people run it (`python -m app users
import --account ID FILE`, its own process, no terminal so no progress bar); the rounds
alternate between the databases. Reported: the median wall time, rows per second, and the
command's CPU (user + system of the child process). Results go to bench/RESULTS.md between
the user-import markers.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tortoise import Tortoise

from bench.upgrades import write_results
from infra.db import tortoise_config
from models import Account, Contract, Membership, Plan, Product, ProductSubscription, User
from models.enums import Channel, LicenseModel, Role, SubscriptionStatus
from tests.support.databases import build_template
from tests.support.postgres import PostgresUnavailable, start_cluster

BEGIN, END = "<!-- user-import:begin -->", "<!-- user-import:end -->"
TARGET_SECONDS = 30.0
TARGET_ROWS = 10_000


@dataclass
class Runs:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)


async def make_account(rows: int, number: int) -> str:
    """A fresh account with its primary admin and an AutoCAD subscription of `rows` seats."""
    account = await Account.create(name=f"Import Bench {rows} #{number}")
    contract = await Contract.create(
        account_id=account.id,
        number=f"I-{account.id.hex[:10]}",
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2030, 12, 31),
        channel=Channel.ONLINE,
    )
    await ProductSubscription.create(
        contract_id=contract.id,
        product_id=(await Product.get(code="ACD")).id,
        plan_id=(await Plan.get(code="STANDARD")).id,
        seats=rows,
        status=SubscriptionStatus.ACTIVE,
        license_model=LicenseModel.NAMED_USER,
        term_starts_on=dt.date(2026, 1, 1),
        term_ends_on=dt.date(2030, 12, 31),
    )
    admin = await User.create(email=f"admin.{account.id.hex[:8]}@import.example", name="Admin")
    await Membership.create(account_id=account.id, user_id=admin.id, role=Role.PRIMARY_ADMIN)
    return str(account.id)


async def prepare(database_url: str, rows: int, rounds: int) -> list[str]:
    await build_template(database_url, demo=False)
    await Tortoise.init(config=tortoise_config(database_url))
    try:
        return [await make_account(rows, n) for n in range(rounds)]
    finally:
        await Tortoise.close_connections()


def write_file(path: Path, rows: int, tag: str) -> None:
    with path.open("w", newline="", encoding="utf-8") as file:
        out = csv.writer(file)
        out.writerow(["First name", "Last name", "Email", "Locale", "Products"])
        for i in range(rows):
            locale = "fr" if i % 4 == 0 else "en"
            out.writerow([f"First{i}", f"Last{i}", f"p{i:05d}.{tag}@import.example", locale, "ACD"])


def run_import(env: dict[str, str], account: str, path: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one `users import` command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "app", "users", "import", "--account", account, str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"the import failed ({done.returncode}):\n{done.stderr[-2000:]}")
    last = done.stdout.strip().splitlines()[-1]
    expected = f"{int(path.stem.split('-')[-1])} created"
    assert last.startswith(expected), last
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def table(results: dict[str, Runs], rows: int) -> str:
    lines = [
        f"| database | {rows:,} rows: p50 s (rounds min-max) | rows/s | command CPU s |",
        "|---|---:|---:|---:|",
    ]
    for database, runs in results.items():
        median = statistics.median(runs.wall)
        lines.append(
            f"| {database} | {median:.1f} ({min(runs.wall):.1f}-{max(runs.wall):.1f}) "
            f"| {rows / median:.0f} | {statistics.median(runs.cpu):.1f} |"
        )
    return "\n".join(lines)


def verdict(results: dict[str, Runs], rows: int) -> str:
    said = []
    for database, runs in results.items():
        scaled = statistics.median(runs.wall) * TARGET_ROWS / rows
        met = "met" if scaled < TARGET_SECONDS else "NOT met"
        said.append(
            f"{database}: {TARGET_ROWS:,} rows in {scaled:.1f} s "
            f"({'measured' if rows == TARGET_ROWS else f'scaled from {rows:,}'}); "
            f"target under {TARGET_SECONDS:.0f} s {met}."
        )
    return "\n".join(f"- {s}" for s in said)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.user_import", description=__doc__)
    parser.add_argument("--rows", type=int, default=TARGET_ROWS, help="rows per file")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args, _ = parser.parse_known_args()

    workdir = Path(tempfile.mkdtemp(prefix="seatwise-bench-import-"))
    urls = {"SQLite": f"sqlite://{workdir / 'bench.sqlite3'}"}
    cluster = None
    try:
        if not args.no_postgres:
            try:
                cluster = start_cluster()
            except PostgresUnavailable as error:
                print(f"PostgreSQL skipped: {error}", file=sys.stderr)
            else:
                urls["PostgreSQL"] = cluster.create_database("bench")
        accounts = {
            name: asyncio.run(prepare(url, args.rows, args.rounds)) for name, url in urls.items()
        }
        results = {name: Runs() for name in urls}
        for number in range(args.rounds):
            order = list(urls)[number % len(urls) :] + list(urls)[: number % len(urls)]
            for name in order:
                path = workdir / f"{name}-{number}-{args.rows}.csv"
                write_file(path, args.rows, f"{name[:2].lower()}{number}")
                env = {**os.environ, "DATABASE_URL": urls[name], "LOG_LEVEL": "warning"}
                wall, cpu = run_import(env, accounts[name][number], path)
                results[name].wall.append(wall)
                results[name].cpu.append(cpu)
                print(f"round {number + 1} {name}: {wall:.1f} s", file=sys.stderr)
    finally:
        if cluster is not None:
            cluster.stop()
    section = f"""## `users import`: a CSV file of {args.rows:,} people

Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC with `python -m bench.user_import
--rows {args.rows} --rounds {args.rounds}` on {platform.machine()}, {os.cpu_count()} cores
(shared), Python {platform.python_version()}. Each round imports a fresh file into a fresh
account through the real command (`python -m app users import --account ID FILE`, its own
process, no terminal), the databases alternating: every row a new person given an AutoCAD
seat (person, membership, seat, invitation and download emails, two audit events, each row
in its own transaction).

{table(results, args.rows)}

What the numbers say:

{verdict(results, args.rows)}
"""
    write_results(section, BEGIN, END)
    print(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
