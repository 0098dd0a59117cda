"""Benchmark: one `seatAssign` of 1,000 users, and 1,000 calls of one user each, on SQLite
and PostgreSQL.

    python -m bench.seats [--rounds 5] [--singles 1000] [--bulk 1000] [--no-postgres]

For each database: SQL statements of one call of 1, 100 and 1,000 users, counted in process
through the whole app (httpx ASGITransport, after a warm-up call; the count must not grow
with the users); then over HTTP through uvicorn (`python -m app serve`, one worker, with its
Redis), one request at a time on a keep-alive connection, in interleaved rounds (the order
of the two cells rotating each round): each round makes one bulk call of `--bulk` users on a
fresh account and subscription (every seat free, every user gaining the product, so each
gets a download email) and `--singles / --rounds` single-user calls on one subscription
with a free seat for each. Reported: the bulk call's median latency over the rounds, the
single calls' throughput (calls over their summed wall time), and the server's CPU per call
(utime + stime from /proc). PostgreSQL is a throwaway cluster (tests/support/postgres.py).
Results go to bench/RESULTS.md between the seats markers.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from tortoise import Tortoise

from app.embedded import start_redis
from bench.upgrades import CLOCK_TICKS, api_server, cpu_seconds, write_results
from infra.db import tortoise_config
from infra.net import free_port, wait_for_port
from models import Account, Contract, Membership, Plan, Product, ProductSubscription, User
from models.enums import Channel, LicenseModel, Role, SubscriptionStatus
from schema.ids import to_global_id
from tests.support.databases import build_template
from tests.support.postgres import PostgresUnavailable, start_cluster

BEGIN, END = "<!-- seats:begin -->", "<!-- seats:end -->"
COUNTED = (1, 100, 1000)
WARM_SINGLES = 5
MUTATION = """mutation Assign($input: SeatAssignInput!) {
  seatAssign(input: $input) {
    subscription { id seats seatsAssigned seatsAvailable }
    assignments { id assignedAt user { id name } }
    alreadyAssigned { id }
    userErrors { code message field }
  }
}"""


@dataclass
class Team:
    """An account of `len(users)` members (the first its primary admin), and one active
    AutoCAD subscription of as many seats, none taken."""

    token: str
    subscription: str  # global ID
    users: list[str]  # global User IDs, in order; each assigned at most once

    def take(self, count: int) -> list[str]:
        taken, self.users = self.users[:count], self.users[count:]
        assert len(taken) == count, "the benchmark ran out of users"
        return taken

    def body(self, count: int) -> dict[str, Any]:
        variables = {"input": {"subscriptionId": self.subscription, "userIds": self.take(count)}}
        return {"query": MUTATION, "variables": variables}

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Teams:
    counted: dict[int, Team]  # users per call -> a team of exactly that many
    warm: Team  # the warm-up call before the count
    bulk: list[Team]  # one for the warm-up, then one per round
    single: Team  # every single-user call, warm-up included


@dataclass
class Timings:
    bulk: list[float] = field(default_factory=list)  # one per round
    bulk_cpu: list[float] = field(default_factory=list)
    single: list[float] = field(default_factory=list)  # every call
    single_rounds: list[float] = field(default_factory=list)  # calls/s per round
    single_cpu: list[float] = field(default_factory=list)  # CPU s per call, per round


async def make_team(users: int) -> Team:
    from domain.tokens import create_member_token

    account = await Account.create(name=f"Seat Bench {users}")
    contract = await Contract.create(
        account_id=account.id,
        number=f"S-{account.id.hex[:10]}",
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2030, 12, 31),
        channel=Channel.ONLINE,
    )
    subscription = await ProductSubscription.create(
        contract_id=contract.id,
        product_id=(await Product.get(code="ACD")).id,
        plan_id=(await Plan.get(code="STANDARD")).id,
        seats=users,
        status=SubscriptionStatus.ACTIVE,
        license_model=LicenseModel.NAMED_USER,
        term_starts_on=dt.date(2026, 1, 1),
        term_ends_on=dt.date(2030, 12, 31),
    )
    tag = account.id.hex[:8]
    people = [
        User(email=f"user{i:04d}.{tag}@seats.example", name=f"User {i:04d}") for i in range(users)
    ]
    await User.bulk_create(people)
    memberships = [
        Membership(
            account_id=account.id,
            user_id=person.id,
            role=Role.PRIMARY_ADMIN if i == 0 else Role.USER,
        )
        for i, person in enumerate(people)
    ]
    await Membership.bulk_create(memberships)
    issued = await create_member_token(email=people[0].email, account_id=account.id, prefix="sw_")
    return Team(
        token=issued.token,
        subscription=to_global_id("ProductSubscription", subscription.id),
        users=[to_global_id("User", m.id) for m in memberships],
    )


async def prepare(database_url: str, args: argparse.Namespace) -> Teams:
    await build_template(database_url, demo=False)
    await Tortoise.init(config=tortoise_config(database_url))
    try:
        return Teams(
            counted={n: await make_team(n) for n in COUNTED},
            warm=await make_team(1),
            bulk=[await make_team(args.bulk) for _ in range(1 + args.rounds)],
            single=await make_team(WARM_SINGLES + args.singles),
        )
    finally:
        await Tortoise.close_connections()


def check(body: dict[str, Any], count: int) -> None:
    """The call did what it says: no error, `count` new seats."""
    assert "errors" not in body, body
    result = body["data"]["seatAssign"]
    assert result["userErrors"] == [], result["userErrors"]
    assert len(result["assignments"]) == count, len(result["assignments"])
    assert result["alreadyAssigned"] == [], result["alreadyAssigned"]


async def count_statements(database_url: str, redis_url: str, teams: Teams) -> dict[int, int]:
    """Statements of one call per number of users, through the whole app in process."""
    from app.asgi import create_app
    from infra.settings import Settings
    from tests.support.graphql import counting_sql

    settings = Settings(database_url=database_url, redis_url=redis_url, log_level="warning")
    counts: dict[int, int] = {}
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)
    try:
        app = create_app(settings, manage_database=False)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            response = await client.post(
                "/graphql", json=teams.warm.body(1), headers=teams.warm.headers
            )
            check(response.json(), 1)
            for users, team in teams.counted.items():
                with counting_sql() as statements:
                    response = await client.post(
                        "/graphql", json=team.body(users), headers=team.headers
                    )
                check(response.json(), users)
                counts[users] = len(statements)
    finally:
        await Tortoise.close_connections()
    return counts


def measure(env: dict[str, str], teams: Teams, args: argparse.Namespace) -> Timings:
    timings = Timings()
    per_round = args.singles // args.rounds
    with api_server(env) as (url, process), httpx.Client(timeout=120) as client:

        def send(team: Team, count: int) -> float:
            body = team.body(count)
            started = time.perf_counter()
            response = client.post(url, json=body, headers=team.headers)
            elapsed = time.perf_counter() - started
            assert response.status_code == 200, response.text
            check(response.json(), count)
            return elapsed

        def bulk(number: int) -> None:
            before = cpu_seconds(process.pid)
            timings.bulk.append(send(teams.bulk[number + 1], args.bulk))
            timings.bulk_cpu.append(cpu_seconds(process.pid) - before)

        def singles(_: int) -> None:
            before = cpu_seconds(process.pid)
            latencies = [send(teams.single, 1) for _ in range(per_round)]
            timings.single_cpu.append((cpu_seconds(process.pid) - before) / per_round)
            timings.single_rounds.append(per_round / sum(latencies))
            timings.single += latencies

        send(teams.bulk[0], args.bulk)  # warm every path once
        for _ in range(WARM_SINGLES):
            send(teams.single, 1)
        cells = [bulk, singles]
        for number in range(args.rounds):
            for cell in cells[number % 2 :] + cells[: number % 2]:
                cell(number)
            print(f"round {number + 1}/{args.rounds} done", file=sys.stderr)
    return timings


def run_database(
    name: str, database_url: str, redis_url: str, args: argparse.Namespace
) -> tuple[dict[int, int], Timings]:
    print(f"{name}: preparing", file=sys.stderr)
    teams = asyncio.run(prepare(database_url, args))
    counts = asyncio.run(count_statements(database_url, redis_url, teams))
    print(f"{name}: statements {counts}", file=sys.stderr)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "RATE_LIMIT_PER_MINUTE": "100000000",
        "LOG_LEVEL": "warning",
    }
    return counts, measure(env, teams, args)


def table(results: dict[str, tuple[dict[int, int], Timings]], bulk: int) -> str:
    lines = [
        "| database | SQL statements per call: 1 / 100 / 1,000 users "
        f"| bulk call of {bulk:,} users: p50 ms (rounds min-max) | bulk: server CPU ms "
        "| single-user calls/s (rounds min-max) | single: p50 ms | single: server CPU ms/call |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for database, (counts, t) in results.items():
        calls = len(t.single) / sum(t.single)
        lines.append(
            f"| {database} | {' / '.join(str(counts[n]) for n in COUNTED)} "
            f"| {1000 * statistics.median(t.bulk):.0f} "
            f"({1000 * min(t.bulk):.0f}-{1000 * max(t.bulk):.0f}) "
            f"| {1000 * statistics.median(t.bulk_cpu):.0f} "
            f"| {calls:.1f} ({min(t.single_rounds):.1f}-{max(t.single_rounds):.1f}) "
            f"| {1000 * statistics.median(t.single):.1f} "
            f"| {1000 * statistics.median(t.single_cpu):.1f} |"
        )
    return "\n".join(lines)


def rounds_table(results: dict[str, tuple[dict[int, int], Timings]]) -> str:
    """Per round, in time order: the bulk call's ms and the single calls' calls/s."""
    lines = [
        "| round | " + " | ".join(f"{d} bulk ms / single calls/s" for d in results) + " |",
        "|---:|" + "---:|" * len(results),
    ]
    rounds = len(next(iter(results.values()))[1].bulk)
    for number in range(rounds):
        cells = [
            f"{1000 * t.bulk[number]:.0f} / {t.single_rounds[number]:.1f}"
            for _, t in results.values()
        ]
        lines.append(f"| {number + 1} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def verdict(results: dict[str, tuple[dict[int, int], Timings]]) -> str:
    """What the numbers say, from the numbers."""
    said = []
    for database, (counts, t) in results.items():
        flat = len(set(counts.values())) == 1
        said.append(
            f"{database}: the statement count "
            + ("does not grow" if flat else "GROWS")
            + f" with the users ({', '.join(f'{counts[n]} for {n:,}' for n in COUNTED)}); "
            f"the bulk call takes {statistics.median(t.bulk):.2f} s (median)."
        )
    if "PostgreSQL" in results:
        counts, t = results["PostgreSQL"]
        flat = len(set(counts.values())) == 1
        median = statistics.median(t.bulk)
        if not flat or max(t.bulk) >= 2:
            outcome = f"NOT met (median {median:.2f} s, slowest {max(t.bulk):.2f} s)"
        elif median <= 1:
            outcome = f"met (median {median:.2f} s, slowest {max(t.bulk):.2f} s)"
        else:
            outcome = (
                f"statements flat and every round under 2 s, but not well under: median "
                f"{median:.2f} s ({median / 2:.0%} of the budget), slowest {max(t.bulk):.2f} s"
            )
        said.append(
            "Target (PostgreSQL: bulk call of 1,000 users well under 2 s, statements flat): "
            + outcome
            + f"; the API process spends {statistics.median(t.bulk_cpu):.2f} s of CPU on "
            "the call, so on this shared 2-core machine it is bound by Python CPU, not by "
            "the database round trips."
        )
    else:
        said.append("Target not assessed: PostgreSQL was not measured.")
    return "\n".join(f"- {s}" for s in said)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.seats", description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
    parser.add_argument("--singles", type=int, default=1000, help="single-user calls in all")
    parser.add_argument("--bulk", type=int, default=1000, help="users of the bulk call")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    # `python -m bench` passes its own arguments on to every benchmark: ignore the others.
    args, _ = parser.parse_known_args()

    workdir = Path(tempfile.mkdtemp(prefix="seatwise-bench-seats-"))
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
    heading = f"one call of {args.bulk:,} users, {args.singles:,} calls of one user"
    section = f"""## `seatAssign`: {heading}

Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC with `python -m bench.seats
--rounds {args.rounds} --singles {args.singles} --bulk {args.bulk}` on {platform.machine()},
{os.cpu_count()} cores (shared), Python {platform.python_version()}; the API is
`python -m app serve` (uvicorn, one worker, with its Redis), one request at a time on a
keep-alive connection. Call: `seatAssign` by the account's primary admin on an active
AutoCAD subscription, answering the subscription's counts and every new seat with its
user. Each of the {args.rounds} interleaved rounds makes one bulk call on a fresh account
and subscription ({args.bulk:,} members, {args.bulk:,} free seats; every user gains AutoCAD,
so each is emailed) and {args.singles // args.rounds} single-user calls on one subscription
with a free seat for each of them (the first seat each user gets, so one email per call).

{table(results, args.bulk)}

Per round (in time order; the single-user calls of round n fill the same subscription, so
round 5 runs with 800 to 1,000 seats already taken):

{rounds_table(results)}

Statements are counted in process (tests/support/graphql.py `counting_sql`, after a warm-up
call) for one call of 1, 100 and 1,000 users; everything else is over HTTP. Bulk p50 is the
median over the rounds (one bulk call each); calls/s is the single calls over their summed wall
time; CPU is the uvicorn process's (Redis and the database server not included), read from
/proc in clock ticks of {1000 // CLOCK_TICKS} ms. A statement is what Tortoise logs: the
inserts of the seats and of the download emails are `bulk_create`, one `executemany` each
(logged and counted once; the driver sends one INSERT per row in one batch, so the database
still executes 1,000 row inserts for 1,000 users).

What the numbers say:

{verdict(results)}
"""
    write_results(section, BEGIN, END)
    print(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
