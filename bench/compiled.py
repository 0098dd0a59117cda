"""Benchmark: execution of one query on the compiled path (schema/compiled) and on
graphql-core, in process, per 1,000 output fields, with and without the data path.

    python -m bench.compiled [--rounds 15] [--users 100] [--postgres URL] [--no-write]

One account of `--users` members with 3 seats each (the read API benchmark's data) in a
fresh SQLite file (or the given PostgreSQL database, which must be empty). For each page
size (10, 50, 100) and depth (1: the users; 2: their seats; 3: the seats' subscriptions;
4: the subscriptions' products) each round runs one request on each path, alternating,
after a warm-up of each. Parsing and validation are cached, authentication is not part of
it: what is timed is strawberry's `execute` with its extensions.

A request executes its operation twice, on one context (one set of loaders):

- the first run is what a request costs: resolvers, loaders, the SQL they send and the
  rows they build, and execution;
- the second run answers from that request's caches: every DataLoader holds its keys (and
  the objects made from its rows), and the one read that is not a DataLoader, the users
  page (`schema.lists.scoped.page`, or `raw_page` for an admin's members), is kept per
  request by this benchmark the same way.
  It sends no SQL (checked: zero statements, and the same answer), so what it costs is
  execution itself: strawberry's `execute`, the plan or graphql-core's executor, the
  resolver calls (cache lookups) and the completion of every value.

The time is the CPU time of the event loop's thread (`time.thread_time`: without the
SQLite worker thread, so the database's own work is left out of the first run, the ORM's
row building is not). Reported as medians over the rounds, per 1,000 output fields
(leaves of the answer), with the ratio graphql-core / compiled.

Results go to bench/RESULTS.md (the section between the compiled markers).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tortoise import Tortoise

from domain.principals import MemberPrincipal
from domain.upgrades import GracePolicy
from infra.db import tortoise_config
from models import Membership
from models.enums import Role
from resolvers.assembly import schema
from schema.context import build_context
from schema.ids import to_global_id
from schema.lists import scoped
from tests.support.bulk import make_account
from tests.support.databases import build_template
from tests.support.graphql import counting_sql

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
BEGIN, END = "<!-- compiled:begin -->", "<!-- compiled:end -->"

# Each level: its fields, and the field that leads to the next level.
LEVELS = [
    ("id name email role", "assignments"),
    ("id assignedAt active", "subscription"),
    ("id status seats", "product"),
    ("id code name", ""),
]


def page_query(depth: int) -> str:
    """The users page with `depth` levels of fields under each user."""
    inner = ""
    for fields, child in reversed(LEVELS[:depth]):
        inner = f"{fields} {child} {{ {inner} }}" if inner else fields
    return (
        "query Page($account: ID!, $first: Int!) { account(id: $account) { "
        f"users(first: $first) {{ edges {{ node {{ {inner} }} }} }} }} }}"
    )


def leaves(value: Any) -> int:
    if isinstance(value, dict):
        return sum(leaves(item) for item in value.values())
    if isinstance(value, list):
        return sum(leaves(item) for item in value)
    return 1


class RequestPages:
    """The pages read by lists during one request, answered again on its second run: what
    the loaders' caches do for every other read. Keyed by the page's arguments and list
    (the query builder is a new closure each call, so it is not part of the key)."""

    def __init__(self) -> None:
        self.pages: dict[tuple[Any, ...], Any] = {}
        self.read = scoped.page
        self.read_raw = scoped.raw_page

    async def page(self, window: Any, **kwargs: Any) -> Any:
        key = (
            window,
            kwargs["readable"],
            tuple(kwargs["sort"]),
            tuple(kwargs["fields"]),
            kwargs["to_node"],
        )
        if key not in self.pages:
            self.pages[key] = await self.read(window, **kwargs)
        return self.pages[key]

    async def raw_page(self, window: Any, **kwargs: Any) -> Any:
        """The same for a list read with plain SQL (the members page of an admin)."""
        key = (window, kwargs["readable"], id(kwargs["listing"]), kwargs["to_node"])
        if key not in self.pages:
            self.pages[key] = await self.read_raw(window, **kwargs)
        return self.pages[key]

    @contextmanager
    def installed(self) -> Iterator[None]:
        scoped.page = self.page
        scoped.raw_page = self.raw_page
        try:
            yield
        finally:
            scoped.page = self.read
            scoped.raw_page = self.read_raw


@dataclass
class Timing:
    """CPU seconds of one request: its first run (data path included), its second run
    (from the request's caches: execution only)."""

    full: float
    execution: float


async def _context(principal: Any) -> Any:
    return await build_context(
        principal, "bench", now=dt.datetime(2026, 12, 1, tzinfo=dt.UTC), grace=GracePolicy()
    )


async def _run(query: str, variables: dict[str, Any], context: Any, compiled: bool) -> Any:
    result = await schema.execute(
        query, variable_values=variables, context_value=context, compiled=compiled
    )
    assert not result.errors, result.errors
    return result.data


async def request(
    query: str, variables: dict[str, Any], principal: Any, compiled: bool
) -> tuple[Timing, Any]:
    """One request's two runs, timed; the answer (the same for both runs)."""
    context = await _context(principal)
    # Garbage left by earlier requests is collected now, not in whichever run comes next.
    gc.collect()
    with RequestPages().installed():
        cpu = time.thread_time()
        first = await _run(query, variables, context, compiled)
        full = time.thread_time() - cpu
        with counting_sql() as statements:
            cpu = time.thread_time()
            second = await _run(query, variables, context, compiled)
            execution = time.thread_time() - cpu
    assert statements == [], f"the second run sent SQL: {statements}"
    assert second == first
    return Timing(full, execution), first


async def measure(database_url: str, users: int, rounds: int) -> list[dict[str, Any]]:
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)
    try:
        account_id = await make_account("Bench Corp", users, admin_email="admin@bench.example")
        admin = await Membership.get(account_id=account_id, user__email="admin@bench.example")
        principal = MemberPrincipal(admin.user_id, {account_id: Role.PRIMARY_ADMIN})
        account = to_global_id("Account", account_id)
        rows = []
        for first in (10, 50, 100):
            if first > users:
                continue
            for depth in (1, 2, 3, 4):
                query = page_query(depth)
                variables = {"account": account, "first": first}
                # Warm-up (plans, caches), and the answers must be identical.
                answers = [
                    (await request(query, variables, principal, c))[1] for c in (False, True)
                ]
                assert answers[0] == answers[1]
                fields = leaves(answers[0])
                times: dict[bool, list[Timing]] = {False: [], True: []}
                for _ in range(rounds):
                    for compiled in (False, True):
                        timing, _answer = await request(query, variables, principal, compiled)
                        times[compiled].append(timing)
                rows.append(_row(first, depth, fields, times))
                print(_line(rows[-1]), flush=True)
        return rows
    finally:
        await Tortoise.close_connections()


def _row(first: int, depth: int, fields: int, times: dict[bool, list[Timing]]) -> dict[str, Any]:
    def per_k(values: list[float]) -> float:
        return statistics.median(values) * 1000 / fields * 1000  # ms per 1,000 fields

    standard, compiled = times[False], times[True]
    return {
        "first": first,
        "depth": depth,
        "fields": fields,
        "execution_standard": per_k([t.execution for t in standard]),
        "execution_compiled": per_k([t.execution for t in compiled]),
        "full_standard": per_k([t.full for t in standard]),
        "full_compiled": per_k([t.full for t in compiled]),
    }


def _line(row: dict[str, Any]) -> str:
    return (
        f"| {row['first']} | {row['depth']} | {row['fields']:,} "
        f"| {row['execution_standard']:.1f} | {row['execution_compiled']:.1f} "
        f"| **{row['execution_standard'] / row['execution_compiled']:.2f}** "
        f"| {row['full_standard']:.1f} | {row['full_compiled']:.1f} "
        f"| **{row['full_standard'] / row['full_compiled']:.2f}** |"
    )


def render(
    rows: list[dict[str, Any]], args: argparse.Namespace, database: str, load: tuple[float, float]
) -> str:
    command = " ".join(["python -m bench.compiled", *sys.argv[1:]])
    header = (
        "| first | depth | output fields | execution only: graphql-core | compiled | ratio "
        "| with the data path: graphql-core | compiled | ratio |\n"
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    )
    return "\n".join(
        [
            BEGIN,
            "## Compiled execution vs graphql-core (in process, CPU ms per 1,000 output fields)",
            "",
            f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC with `{command}` on "
            f"{platform.machine()}, {os.cpu_count()} cores (load average {load[0]:.1f} at "
            f"the start, {load[1]:.1f} at the end), Python {platform.python_version()}, "
            f"{database}; "
            f"{args.rounds} alternating rounds per row, medians of the CPU time of the event "
            "loop's thread (the SQLite worker thread left out) spent in `schema.execute` "
            "(parse and validation cached; no HTTP, no authentication, no JSON encoding). "
            "Depth 1: the users; 2: their seats; 3: the seats' subscriptions; 4: their "
            "products.",
            "",
            "Each request runs its operation twice on one context. *With the data path*: "
            "the first run (SQL, row building, loaders, execution). *Execution only*: the "
            "second run, answered from the request's caches (every loader holds its keys "
            "and objects; the users page is kept per request by the benchmark): zero SQL "
            "statements, checked on every request, and the same answer.",
            "",
            header,
            *(_line(row) for row in rows),
            END,
        ]
    )


def write_results(section: str) -> None:
    text = RESULTS.read_text(encoding="utf-8")
    if BEGIN in text:
        before, rest = text.split(BEGIN, 1)
        after = rest.split(END, 1)[1]
        text = before + section + after
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    RESULTS.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--postgres", help="an empty PostgreSQL database URL instead of SQLite")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = args.postgres or f"sqlite://{directory}/bench.sqlite3"
        asyncio.run(build_template(url, demo=False))
        start = os.getloadavg()[0]
        rows = asyncio.run(measure(url, args.users, args.rounds))
    load = (start, os.getloadavg()[0])
    section = render(rows, args, "PostgreSQL" if args.postgres else "SQLite", load)
    print(section)
    if not args.no_write:
        write_results(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
