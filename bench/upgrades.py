"""Benchmark: one self-service upgrade (`subscriptionUpgrade`, AutoCAD LT to AutoCAD) and
one dry run of it, on subscriptions with 10, 100 and 1,000 users, on SQLite and PostgreSQL.

    python -m bench.upgrades [--rounds 5] [--per-round 5] [--sizes 10,100,1000] [--no-postgres]

For each database: SQL statements of one request of each kind, counted in process through
the whole app (httpx ASGITransport; the count must not grow with the users); then the
latency over HTTP through uvicorn (`python -m app serve`, one worker, with its Redis), one
request at a time on a keep-alive connection. The cells (size x operation) are measured in
interleaved rounds, their order rotating by one each round, so no cell always runs first or
after the same neighbour on this shared machine; each round sends `per-round` requests per
cell. Every upgrade orders a fresh subscription (an upgraded one is in a trade-in). Reported:
median latency over every request, the spread of the per-round medians, and the server's CPU
per request (utime + stime from /proc). PostgreSQL is a throwaway cluster
(tests/support/postgres.py). Results go to bench/RESULTS.md between the upgrades markers.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from tortoise import Tortoise

from app.embedded import start_redis
from infra.db import tortoise_config
from infra.net import free_port, wait_for_port
from models import (
    Account,
    Contract,
    Membership,
    Plan,
    Product,
    ProductSubscription,
    SeatAssignment,
    User,
)
from models.enums import Channel, LicenseModel, Role, SubscriptionStatus
from schema.ids import to_global_id
from tests.support.databases import build_template
from tests.support.postgres import PostgresUnavailable, start_cluster

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
BEGIN, END = "<!-- upgrades:begin -->", "<!-- upgrades:end -->"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
OPERATIONS = ("upgrade", "dry run")
MUTATION = """mutation Upgrade($input: SubscriptionUpgradeInput!) {
  subscriptionUpgrade(input: $input) {
    tradeIn { id status graceEndsAt target { id status } }
    preview {
      kind path graceEndsAt reinstallRequired serialNumberUpdateRequired notices
      newSubscription { seats product { code } }
      keepingAccess { id name }
      emails { kind recipients }
    }
    userErrors { code message field }
  }
}"""


@dataclass
class Subject:
    """One account of `users` members, each on every one of its AutoCAD LT subscriptions."""

    users: int
    token: str
    target: str  # the global ID of AutoCAD
    subscriptions: list[str]  # global IDs, each upgraded at most once

    def body(self, operation: str) -> dict[str, Any]:
        dry_run = operation == "dry run"
        # A dry run writes nothing, so it can preview the same subscription every time.
        subscription = self.subscriptions[0] if dry_run else self.subscriptions.pop()
        variables = {
            "input": {
                "subscriptionId": subscription,
                "targetProductId": self.target,
                "dryRun": dry_run,
            }
        }
        return {"query": MUTATION, "variables": variables}


@dataclass
class Cell:
    latencies: list[float] = field(default_factory=list)
    round_medians: list[float] = field(default_factory=list)
    cpu_per_request: list[float] = field(default_factory=list)


async def make_subject(users: int, subscriptions: int) -> Subject:
    from domain.tokens import create_member_token

    account = await Account.create(name=f"Upgrade Bench {users}")
    contract = await Contract.create(
        account_id=account.id,
        number=f"U-{account.id.hex[:10]}",
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2030, 12, 31),
        channel=Channel.ONLINE,
    )
    plan = await Plan.get(code="STANDARD")
    acdlt = await Product.get(code="ACDLT")
    acd = await Product.get(code="ACD")
    subs = [
        ProductSubscription(
            contract_id=contract.id,
            product_id=acdlt.id,
            plan_id=plan.id,
            seats=users,
            status=SubscriptionStatus.ACTIVE,
            license_model=LicenseModel.NAMED_USER,
            term_starts_on=dt.date(2026, 1, 1),
            term_ends_on=dt.date(2030, 12, 31),
        )
        for _ in range(subscriptions)
    ]
    await ProductSubscription.bulk_create(subs)
    admin_email = f"admin{users}@bench.example"
    people = [
        User(
            email=admin_email if i == 0 else f"user{i:04d}.{account.id.hex[:6]}@bulk.example",
            name=f"User {i:04d}",
        )
        for i in range(users)
    ]
    await User.bulk_create(people)
    await Membership.bulk_create(
        [
            Membership(
                account_id=account.id,
                user_id=person.id,
                role=Role.PRIMARY_ADMIN if i == 0 else Role.USER,
            )
            for i, person in enumerate(people)
        ]
    )
    now = dt.datetime.now(dt.UTC)
    await SeatAssignment.bulk_create(
        [
            SeatAssignment(subscription_id=s.id, user_id=person.id, assigned_at=now)
            for s in subs
            for person in people
        ],
        batch_size=5000,
    )
    issued = await create_member_token(email=admin_email, account_id=account.id, prefix="sw_")
    return Subject(
        users=users,
        token=issued.token,
        target=to_global_id("Product", acd.id),
        subscriptions=[to_global_id("ProductSubscription", s.id) for s in subs],
    )


async def prepare(database_url: str, sizes: list[int], subscriptions: int) -> list[Subject]:
    await build_template(database_url, demo=False)
    await Tortoise.init(config=tortoise_config(database_url))
    try:
        return [await make_subject(users, subscriptions) for users in sizes]
    finally:
        await Tortoise.close_connections()


def check(operation: str, body: dict[str, Any], users: int) -> None:
    """The request did what it says: no error, the trade-in started (or, on a dry run,
    none), every user listed as keeping access."""
    result = body["data"]["subscriptionUpgrade"]
    assert "errors" not in body, body
    assert result["userErrors"] == [], body
    assert len(result["preview"]["keepingAccess"]) == users, result["preview"]
    if operation == "upgrade":
        assert result["tradeIn"]["status"] == "IN_GRACE", result
    else:
        assert result["tradeIn"] is None, result


async def count_statements(
    database_url: str, redis_url: str, subjects: list[Subject]
) -> dict[tuple[int, str], int]:
    """Statements of one request of each kind per size, through the whole app in process
    (after one warm-up request, so the count is that of a warm API process)."""
    from app.asgi import create_app
    from infra.settings import Settings
    from tests.support.graphql import counting_sql

    settings = Settings(database_url=database_url, redis_url=redis_url, log_level="warning")
    counts: dict[tuple[int, str], int] = {}
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)
    try:
        app = create_app(settings, manage_database=False)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for subject in subjects:
                headers = {"Authorization": f"Bearer {subject.token}"}
                for operation in OPERATIONS:
                    await client.post("/graphql", json=subject.body(operation), headers=headers)
                    with counting_sql() as statements:
                        response = await client.post(
                            "/graphql", json=subject.body(operation), headers=headers
                        )
                    check(operation, response.json(), subject.users)
                    counts[subject.users, operation] = len(statements)
    finally:
        await Tortoise.close_connections()
    return counts


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (fields 14 and 15 of /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


@contextmanager
def api_server(env: dict[str, str]) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port)], cwd=ROOT, env=env
    )
    try:
        wait_for_port("127.0.0.1", port, timeout=30)
        yield f"http://127.0.0.1:{port}/graphql", process
    finally:
        process.terminate()
        process.wait(timeout=10)


def measure_latency(
    env: dict[str, str], subjects: list[Subject], rounds: int, per_round: int
) -> dict[tuple[int, str], Cell]:
    cells = {(s.users, op): Cell() for s in subjects for op in OPERATIONS}
    order = [(s, op) for s in subjects for op in OPERATIONS]
    with api_server(env) as (url, process), httpx.Client(timeout=60) as client:

        def send(subject: Subject, operation: str) -> float:
            headers = {"Authorization": f"Bearer {subject.token}"}
            started = time.perf_counter()
            response = client.post(url, json=subject.body(operation), headers=headers)
            elapsed = time.perf_counter() - started
            assert response.status_code == 200, response.text
            check(operation, response.json(), subject.users)
            return elapsed

        for subject, operation in order:  # warm every path once
            send(subject, operation)
        for number in range(rounds):
            shift = number % len(order)
            for subject, operation in order[shift:] + order[:shift]:
                cell = cells[subject.users, operation]
                before = cpu_seconds(process.pid)
                latencies = [send(subject, operation) for _ in range(per_round)]
                cell.cpu_per_request.append((cpu_seconds(process.pid) - before) / per_round)
                cell.latencies += latencies
                cell.round_medians.append(statistics.median(latencies))
            print(f"round {number + 1}/{rounds} done", file=sys.stderr)
    return cells


def run_database(
    name: str, database_url: str, redis_url: str, args: argparse.Namespace
) -> tuple[dict[tuple[int, str], int], dict[tuple[int, str], Cell]]:
    # Per size: 2 upgrades to count, 1 to warm up, `rounds * per_round` measured, and the
    # first subscription, never upgraded, for the dry runs.
    needed = 4 + args.rounds * args.per_round
    print(f"{name}: preparing {args.sizes} users x {needed} subscriptions", file=sys.stderr)
    subjects = asyncio.run(prepare(database_url, args.sizes, needed))
    counts = asyncio.run(count_statements(database_url, redis_url, subjects))
    print(f"{name}: statements {counts}", file=sys.stderr)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "RATE_LIMIT_PER_MINUTE": "100000000",
        "LOG_LEVEL": "warning",
    }
    return counts, measure_latency(env, subjects, args.rounds, args.per_round)


def table(
    results: dict[str, tuple[dict[tuple[int, str], int], dict[tuple[int, str], Cell]]],
) -> str:
    lines = [
        "| database | users | request | SQL statements | p50 ms | per-round p50 ms "
        "| server CPU ms/request |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for database, (counts, cells) in results.items():
        for (users, operation), cell in cells.items():
            lines.append(
                f"| {database} | {users:,} | {operation} | {counts[users, operation]} "
                f"| {1000 * statistics.median(cell.latencies):.1f} "
                f"| {1000 * min(cell.round_medians):.1f}-{1000 * max(cell.round_medians):.1f} "
                f"| {1000 * statistics.median(cell.cpu_per_request):.1f} |"
            )
    return "\n".join(lines)


def write_results(section: str, begin: str = BEGIN, end: str = END) -> None:
    """Put `section` between the markers in bench/RESULTS.md (appended when absent)."""
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n\n"
    block = f"{begin}\n{section}\n{end}"
    if begin in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    RESULTS.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.upgrades", description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
    parser.add_argument("--per-round", type=int, default=5, help="requests per cell and round")
    parser.add_argument(
        "--sizes",
        type=lambda v: [int(x) for x in v.split(",")],
        default=[10, 100, 1000],
        help="users on the subscription, comma-separated",
    )
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    # `python -m bench` passes its own arguments on to every benchmark: ignore the others.
    args, _ = parser.parse_known_args()

    workdir = Path(tempfile.mkdtemp(prefix="seatwise-bench-upgrades-"))
    redis_port = free_port()
    redis = start_redis(redis_port, workdir / "redis")
    wait_for_port("127.0.0.1", redis_port)
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    results = {}
    cluster = None
    try:
        sqlite_url = f"sqlite://{workdir / 'bench.sqlite3'}"
        results["SQLite"] = run_database("SQLite", sqlite_url, redis_url, args)
        if not args.no_postgres:
            try:
                cluster = start_cluster()
            except PostgresUnavailable as error:
                print(f"PostgreSQL skipped: {error}", file=sys.stderr)
            else:
                postgres_url = cluster.create_database("bench")
                results["PostgreSQL"] = run_database("PostgreSQL", postgres_url, redis_url, args)
    finally:
        if cluster is not None:
            cluster.stop()
        redis.terminate()
        redis.wait(timeout=10)
    sizes = ", ".join(f"{s:,}" for s in args.sizes)
    flat = all(
        len({counts[users, op] for users in args.sizes}) == 1
        for counts, _ in results.values()
        for op in OPERATIONS
    )
    section = f"""## Self-service upgrade and its dry run: statements and latency

Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC with `python -m bench.upgrades
--rounds {args.rounds} --per-round {args.per_round} --sizes {",".join(map(str, args.sizes))}`
on {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; the API
is `python -m app serve` (uvicorn, one worker, with its Redis), one request at a time on a
keep-alive connection. Request: `subscriptionUpgrade` of an online AutoCAD LT subscription
to AutoCAD by the account's admin, answering the trade-in and the preview with every user
keeping access (`keepingAccess {{ id name }}`). Subscriptions with {sizes} users; each cell
{args.rounds} interleaved rounds x {args.per_round} requests; every upgrade orders a fresh
subscription.

{table(results)}

SQL statements per request {"do not grow" if flat else "GROW"} with the users on the
subscription: for each database and request, every size costs the same count.
tests/resolvers/test_subscription_upgrade_sql.py pins it (22 and 11 there: its selection
asks for neither the new subscription's product nor the trade-in's target). "p50 ms" is
the median of every request of the cell; "per-round p50 ms" the lowest and highest of the
rounds' medians; CPU is read from /proc in clock ticks of {1000 // CLOCK_TICKS} ms, over
{args.per_round} requests at a time.
"""
    write_results(section)
    print(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
