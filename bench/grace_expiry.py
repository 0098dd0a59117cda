"""Benchmark: the grace-period expiry of 100,000 due trade-ins holding 300,000 seats, on
PostgreSQL, beside one raw UPDATE of the same seat rows (the floor).

    python -m bench.grace_expiry [--trade-ins 100000] [--batch-size 1000] [--lanes 2]
                                 [--no-record]

A throwaway PostgreSQL cluster (tests/support/postgres.py, fsync off as in the tests) started
with the memory and WAL sizes of a production server (`SETTINGS`: the defaults' 128 MB of
shared buffers hold less than the seat table and its indexes, and 1 GB of WAL forces
checkpoints in the middle of the run), migrated, with the catalog. The
data is generated with set-based SQL (generate_series), not the ORM: `--trade-ins` due
trade-ins (AutoCAD LT traded in for AutoCAD) and as many not yet due, ten per account,
each source with three active seats (the account's three users; its one admin gets the
emails). Then, in this order:
1. the floor: one `UPDATE seat_assignment SET unassigned_at, unassign_reason WHERE
   subscription_id IN (sources of the due trade-ins) AND unassigned_at IS NULL`, timed,
   then rolled back (and the table vacuumed, so the next step starts from clean pages);
2. the expiry itself (`domain.grace_expiry.expire_grace_periods`, what the job and the cron
   run), batches of `--batch-size`, `--lanes` at once (the job's `LANES`), timed from the
   first claim to the last commit;
3. checks: every due trade-in completed, its seats ended, one audit event each and named
   by one email (an admin gets one per account and batch); the trade-ins not yet due
   untouched.
Results go to bench/RESULTS.md between the grace-expiry markers (unless `--no-record`).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
from tortoise import Tortoise

from bench.upgrades import write_results
from domain.grace_expiry import LANES, ExpiryReport, expire_grace_periods
from infra.db import tortoise_config
from tests.support.databases import build_template
from tests.support.postgres import PostgresCluster, PostgresUnavailable, start_cluster

BEGIN, END = "<!-- grace-expiry:begin -->", "<!-- grace-expiry:end -->"
AS_OF = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)
# Server settings of the benchmark's cluster (the tests' cluster keeps PostgreSQL's
# defaults): a production server's memory and WAL sizes for this data (about 500 MB).
SETTINGS = {
    "shared_buffers": "1GB",
    "max_wal_size": "4GB",
    "checkpoint_timeout": "30min",
    "wal_buffers": "64MB",
    "work_mem": "64MB",
}
PER_ACCOUNT = 10  # trade-ins per account
SEATS = 3  # seats per source subscription

GENERATE = """
CREATE TEMP TABLE b_account AS
  SELECT g AS n, gen_random_uuid() AS id FROM generate_series(1, $accounts) g;
INSERT INTO account (id, created_at, name) SELECT id, now(), 'Bench ' || n FROM b_account;
CREATE TEMP TABLE b_user AS
  SELECT a.n AS account_n, a.id AS account_id, k, gen_random_uuid() AS id
  FROM b_account a, generate_series(0, $seats) k;
INSERT INTO app_user (id, created_at, email, name, locale)
  SELECT id, now(), 'u' || k || '.' || account_n || '@bench.example',
         'User ' || k || ' of ' || account_n, 'en' FROM b_user;
INSERT INTO membership (id, created_at, account_id, user_id, role)
  SELECT gen_random_uuid(), now(), account_id, id,
         CASE WHEN k = 0 THEN 'PRIMARY_ADMIN' ELSE 'USER' END FROM b_user;
CREATE TEMP TABLE b_contract AS
  SELECT n AS account_n, id AS account_id, gen_random_uuid() AS id FROM b_account;
INSERT INTO contract (id, created_at, account_id, number, starts_on, ends_on, channel)
  SELECT id, now(), account_id, 'B-' || account_n, DATE '2026-01-01', DATE '2027-12-31',
         'ONLINE' FROM b_contract;
CREATE TEMP TABLE b_trade_in AS
  SELECT g AS n, ((g - 1) / $per_account) + 1 AS account_n, g <= $due AS due,
         gen_random_uuid() AS id, gen_random_uuid() AS source_id, gen_random_uuid() AS target_id
  FROM generate_series(1, 2 * $due) g;
INSERT INTO product_subscription (id, created_at, contract_id, product_id, plan_id, seats, status,
    license_model, term_starts_on, term_ends_on)
  SELECT t.source_id, now(), c.id, (SELECT id FROM product WHERE code = 'ACDLT'),
         (SELECT id FROM plan WHERE code = 'STANDARD'), 5, 'IN_GRACE', 'NAMED_USER',
         DATE '2026-01-01', DATE '2027-12-31'
  FROM b_trade_in t JOIN b_contract c ON c.account_n = t.account_n
  UNION ALL
  SELECT t.target_id, now(), c.id, (SELECT id FROM product WHERE code = 'ACD'),
         (SELECT id FROM plan WHERE code = 'STANDARD'), 5, 'ACTIVE', 'NAMED_USER',
         DATE '2026-01-01', DATE '2027-12-31'
  FROM b_trade_in t JOIN b_contract c ON c.account_n = t.account_n;
INSERT INTO trade_in (id, created_at, kind, status, source_id, target_product_id, target_id,
    ordered_at, commencement_at, grace_ends_at, serial_number_update_required,
    reinstall_required)
  SELECT id, now(), 'LT_TO_FULL', 'IN_GRACE', source_id,
         (SELECT id FROM product WHERE code = 'ACD'), target_id,
         TIMESTAMPTZ '$as_of' - INTERVAL '31 days', TIMESTAMPTZ '$as_of' - INTERVAL '31 days',
         CASE WHEN due
              THEN TIMESTAMPTZ '$as_of' - INTERVAL '1 hour' - (n % 3600) * INTERVAL '1 second'
              ELSE TIMESTAMPTZ '$as_of' + INTERVAL '1 day' END,
         false, false
  FROM b_trade_in;
INSERT INTO seat_assignment (id, created_at, subscription_id, user_id, assigned_at)
  SELECT gen_random_uuid(), now(), t.source_id, u.id, TIMESTAMPTZ '$as_of' - INTERVAL '60 days'
  FROM b_trade_in t JOIN b_user u ON u.account_n = t.account_n AND u.k > 0;
"""

FLOOR = """UPDATE seat_assignment SET unassigned_at = $1, unassign_reason = 'GRACE_EXPIRED'
WHERE subscription_id IN (SELECT source_id FROM trade_in WHERE status = 'IN_GRACE'
AND grace_ends_at <= $1) AND unassigned_at IS NULL"""


@dataclass
class Figures:
    trade_ins: int
    generate_s: float
    floor_s: float
    floor_db_cpu_s: float
    floor_rows: int
    expiry_s: float
    expiry_cpu_s: float
    expiry_db_cpu_s: float
    batches: int
    report: ExpiryReport
    load: tuple[float, float]  # 1-minute load average before the floor, after the expiry


async def generate(url: str, due: int) -> float:
    script = (
        GENERATE.replace("$accounts", str(-(-2 * due // PER_ACCOUNT)))
        .replace("$seats", str(SEATS))
        .replace("$per_account", str(PER_ACCOUNT))
        .replace("$due", str(due))
        .replace("$as_of", AS_OF.isoformat())
    )
    connection = await asyncpg.connect(url)
    try:
        started = time.perf_counter()
        await connection.execute(script)
        await connection.execute("VACUUM ANALYZE")
        return time.perf_counter() - started
    finally:
        await connection.close()


def server_cpu(cluster: PostgresCluster) -> float:
    """CPU seconds spent so far by the cluster's processes: the postmaster, with its exited
    children (connections closed), and its live children. On a machine shared with other
    work, the database's share of the wall time."""
    postmaster = int((cluster.datadir / "postmaster.pid").read_text().split()[0])
    ticks = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        pid, parent = int(entry.name), int(fields[1])
        if pid == postmaster:
            ticks += sum(int(f) for f in fields[11:15])  # own and reaped children's
        elif parent == postmaster:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


async def floor(url: str, cluster: PostgresCluster) -> tuple[float, float, int]:
    """One raw UPDATE of the due trade-ins' seats, rolled back; then vacuumed. Returns
    (seconds, the database's CPU seconds, rows)."""
    connection = await asyncpg.connect(url)
    try:
        transaction = connection.transaction()
        await transaction.start()
        db_cpu, started = server_cpu(cluster), time.perf_counter()
        status = await connection.execute(FLOOR, AS_OF)
        elapsed, db_cpu = time.perf_counter() - started, server_cpu(cluster) - db_cpu
        await transaction.rollback()
        await connection.execute("VACUUM ANALYZE seat_assignment")
        return elapsed, db_cpu, int(status.split()[-1])
    finally:
        await connection.close()


async def expire(url: str, batch_size: int, lanes: int) -> tuple[float, float, int, ExpiryReport]:
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
    batches = 0

    def on_batch(report: ExpiryReport) -> None:
        nonlocal batches
        batches += 1
        if batches % 20 == 0:
            print(f"  {report.trade_ins:,} trade-ins done", file=sys.stderr)

    try:
        cpu, started = time.process_time(), time.perf_counter()
        report = await expire_grace_periods(
            as_of=AS_OF, batch_size=batch_size, lanes=lanes, on_batch=on_batch
        )
        return time.perf_counter() - started, time.process_time() - cpu, batches, report
    finally:
        await Tortoise.close_connections()


async def check(url: str, due: int) -> None:
    """Everything the expiry must have done, and nothing more."""
    connection = await asyncpg.connect(url)
    try:
        counts = await connection.fetchrow(
            """SELECT
              (SELECT count(*) FROM trade_in WHERE status = 'COMPLETED' AND completed_at = $1),
              (SELECT count(*) FROM trade_in WHERE status = 'IN_GRACE' AND grace_ends_at > $1),
              (SELECT count(*) FROM product_subscription WHERE status = 'REPLACED'),
              (SELECT count(*) FROM seat_assignment WHERE unassign_reason = 'GRACE_EXPIRED'
                 AND unassigned_at = $1),
              (SELECT count(*) FROM seat_assignment WHERE unassigned_at IS NULL),
              (SELECT count(*) FROM audit_event WHERE action = 'trade_in.grace_expired'),
              (SELECT coalesce(sum(jsonb_array_length(payload->'trade_ins')), 0)
                 FROM outbox_message WHERE name = 'grace_expired')""",
            AS_OF,
        )
    finally:
        await connection.close()
    expected = (due, due, due, SEATS * due, SEATS * due, due, due)
    assert tuple(counts) == expected, (tuple(counts), expected)


def run(args: argparse.Namespace) -> Figures:
    cluster = start_cluster(SETTINGS)
    try:
        url = cluster.create_database("bench")
        asyncio.run(build_template(url, demo=False))
        print(f"generating {args.trade_ins:,} due trade-ins (and as many not due)", file=sys.stderr)
        generate_s = asyncio.run(generate(url, args.trade_ins))
        load_before = os.getloadavg()[0]
        floor_s, floor_db_cpu_s, floor_rows = asyncio.run(floor(url, cluster))
        db_cpu = server_cpu(cluster)
        assert floor_rows == SEATS * args.trade_ins, floor_rows
        print(f"floor: {floor_rows:,} rows in {floor_s:.2f} s; expiring", file=sys.stderr)
        expiry_s, cpu_s, batches, report = asyncio.run(expire(url, args.batch_size, args.lanes))
        expiry_db_cpu_s = server_cpu(cluster) - db_cpu
        load = (load_before, os.getloadavg()[0])
        asyncio.run(check(url, args.trade_ins))
    finally:
        cluster.stop()
    return Figures(
        args.trade_ins,
        generate_s,
        floor_s,
        floor_db_cpu_s,
        floor_rows,
        expiry_s,
        cpu_s,
        expiry_db_cpu_s,
        batches,
        report,
        load,
    )


# What the section says about earlier runs and what changed since (kept by hand: the run
# writes only the figures above it).
HISTORY = """Where the time goes (EXPLAIN (ANALYZE, BUFFERS, WAL) of single batches, perf of
the backend, pg_stat_statements over whole runs): the floor and the expiry are both mostly
index maintenance (`_bt_compare` and buffer lookups lead a flat profile). Ending a seat
cannot be a HOT update (`unassigned_at` is in the predicate of the one-active-seat index),
so PostgreSQL writes a new entry for the row in every full index of the table. No plan
scans more than its batch, and the batch size does not matter (1,000, 5,000 and 10,000
were within the noise of one another; 1,000 keeps transactions short).

Why not under 10 s on this machine: the database alone spends about 26 s of CPU on the
whole expiry (the table above), which two cores cannot do in less than 13 s, however the
work is split. What is left per batch (EXPLAIN ANALYZE at 100,000): the seat UPDATE (a
heap version and a primary-key entry per seat, about a quarter), reading the claimed
trade-ins with their subscription, contract and account (an eighth), the audit events
(an eighth), grouping who lost access, the emails, and the claim and the sources in their
own statements; none of it is avoidable without dropping a constraint or an index that
reads need. The probe of 30 batches at 40,000 trade-ins (below) saw the database CPU fall
by 45 %; the whole run at 100,000 by 12 % (one lane: 32.6 s to 24.6 s), because a batch
costs more as the tables grow (190 ms of database time for the main statement at
100,000, 130 ms at 40,000).

What changed, last first, each measured against the code before it on the same data.
"30 batches" is a like-for-like probe: 40,000 due trade-ins generated as here, 30 batches
of 1,000 with one lane, database CPU from /proc, the same hour:
- one email per admin and account for the trade-ins a batch completes, instead of one per
  trade-in (an account that traded in ten subscriptions together gets one email naming
  them; the decision is written in domain/grace_expiry.py): 100,000 outbox rows, each with
  four index entries, a foreign-key check and its JSON, became about 12,500; 30 batches:
  8.6 s to 5.5 s of database CPU, the batch's main statement 6.6 s to 3.9 s;
- migration 0005: the seat table's full indexes on `subscription_id` and `user_id` (every
  search of seats by either asks for active seats only) replaced by one partial index of
  the active seats by user, beside the one-active-seat index that leads with the
  subscription; an ended seat now leaves them instead of adding entries. The floor of
  300,000 seats went from 6.7 s to 3.2 s (EXPLAIN ANALYZE, the same data, back to back),
  the batch's seat UPDATE from about 57 to 33 ms. The trade-in's (status, deadline) index
  became a partial index of the trade-ins in grace, and its partner index one of those
  that name a partner, so completing a trade-in writes two entries fewer (claim over 30
  batches 1.40 s to 1.11 s). 30 batches: 10.1 s to 8.6 s of database CPU. Deleting a user
  or a subscription (the product never does) now scans the seat table for their seats;
- lanes: the run works two batches at once (`LANES`, what the worker job runs), so the
  database's work spreads over both cores instead of one statement at a time (at load
  1.1: 32.07 s with one lane, 16.41 s with two, the same database CPU);
- `moved` (the users already on the target, who lose nothing) read once per batch from
  the targets' active seats, instead of an EXISTS per seat that the planner evaluated
  twice or hashed over a scan of all 600,000 seats (buffers a batch 131,000 to 116,000);
- migration 0004: the subscription's status lost its index (nothing searches by it) and
  the table has fill factor 90, so turning the sources REPLACED is a HOT update where the
  page has room (that statement's buffers a batch 19,500 to 11,600);
- the benchmark's cluster sizes (shared buffers that hold the working set, no checkpoint
  during the run): the floor's backend alone spent 7.5 s of CPU before, about 5 s after.
Left as they are: the foreign-key checks of the audit events (one per trade-in, about 8 %
of a batch's main statement) and the seat's primary-key entry that every ended seat still
writes (the price of the one-active-seat index, which the database must keep enforcing).

The reference of the verdict above (0.41 s per 100,000 rows, measured before the project)
does not describe this UPDATE on this table: the floor's database CPU equals its wall
time on a quiet machine, so it waits for no core; it spends that CPU on index entries.
The estimate derived from it is kept only to compare with earlier runs.

Before all of these (2026-12-01 15:30 UTC, load 1.1, the tests' cluster defaults, one
lane): expiry 35.21 s, floor 8.66 s (4.1 x). Earlier design, measured the same way the
same day (load about 3): the batch's emails and audit events built in Python and written
with `unnest` took 56.86 s, 4.9 x a floor of 11.53 s, of which 17.32 s was the Python
process's CPU; built in SQL (data-modifying CTEs) the CPU fell to about 2 s for the whole
run. Without `SET LOCAL jit = off`, PostgreSQL spent about 200 ms a batch compiling the
statement (EXPLAIN ANALYZE, 20,000 trade-ins)."""


def section(f: Figures, args: argparse.Namespace) -> str:
    ratio = f.expiry_s / f.floor_s
    met = f.expiry_s < 10 and ratio <= 10
    if f.trade_ins != 100_000:
        verdict = (
            f"not assessed at this size ({f.trade_ins:,} trade-ins; the target is for 100,000)"
        )
    else:
        verdict = (
            ("met" if met else "NOT met")
            + f": {f.expiry_s:.2f} s for the whole expiry (under 10 s: "
            + ("yes" if f.expiry_s < 10 else "no")
            + f"), {ratio:.1f} x the raw floor (within 10 x: "
            + ("yes" if ratio <= 10 else "no")
            + ")"
        )
    # The floor measured on this machine before the project: 0.41 s per 100,000 rows.
    reference = 0.41 * f.floor_rows / 100_000
    slower = f.floor_s / reference
    if slower > 1.5:
        verdict += (
            f". The floor itself took {f.floor_s:.2f} s, {slower:.1f} x the {reference:.2f} s "
            f"that the same UPDATE of {f.floor_rows:,} rows took on this machine unloaded "
            f"(0.41 s per 100,000): at that speed the expiry's {ratio:.1f} x would be about "
            f"{ratio * reference:.1f} s (an estimate, not a measurement)"
        )
    r = f.report
    rows = "\n".join(
        [
            "| step | time | database CPU | rows | rows/s |",
            "|---|---:|---:|---:|---:|",
            f"| floor: one raw `UPDATE` of the due seats (rolled back) | {f.floor_s:.2f} s "
            f"| {f.floor_db_cpu_s:.2f} s | {f.floor_rows:,} seats "
            f"| {f.floor_rows / f.floor_s:,.0f} seats |",
            f"| whole expiry: {f.batches} batches of {args.batch_size:,}, {args.lanes} at once "
            "(claim with SKIP LOCKED, trade-ins, sources, seats, audit, emails) "
            f"| {f.expiry_s:.2f} s | {f.expiry_db_cpu_s:.2f} s "
            f"| {r.trade_ins:,} trade-ins, {r.seats:,} seats, "
            f"{r.emails:,} emails | {r.seats / f.expiry_s:,.0f} seats, "
            f"{r.trade_ins / f.expiry_s:,.0f} trade-ins |",
        ]
    )
    settings = ", ".join(f"{name}={value}" for name, value in SETTINGS.items())
    return f"""## Grace-period expiry: {f.trade_ins:,} due trade-ins, {f.floor_rows:,} seats

Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC with `python -m bench.grace_expiry
--trade-ins {f.trade_ins} --batch-size {args.batch_size} --lanes {args.lanes}` on
{platform.machine()}, {os.cpu_count()} cores (shared), Python {platform.python_version()},
PostgreSQL from tests/support/postgres.py (a throwaway cluster, fsync off as in the tests)
started with {settings} (`SETTINGS`: a production server's sizes; the tests' cluster keeps
the defaults, whose 128 MB of shared buffers hold less than the seat table and its indexes).
Data, generated with set-based SQL in {f.generate_s:.1f} s then vacuumed and analysed:
{f.trade_ins:,} trade-ins in grace past their deadline and {f.trade_ins:,} not yet due,
{PER_ACCOUNT} per account, each source with {SEATS} active seats; one admin per account.
Load average of the machine (other sessions share its cores): {f.load[0]:.1f} before the
floor, {f.load[1]:.1f} after the expiry.

{rows}

Database CPU: the seconds of CPU the cluster's processes spent during the step (on a
loaded machine, the wall time is longer by the time they waited for a core). The expiry's
own process spent {f.expiry_cpu_s:.2f} s of CPU (the statements and the batch loop: on
PostgreSQL the rows are built in SQL). Checked after the run: every due trade-in
COMPLETED at the run's time with its source REPLACED, its {SEATS} seats GRACE_EXPIRED, one
audit event each, and listed in exactly one email (the account's one admin gets one email
per batch for the account's trade-ins in it: {f.report.emails:,} emails for
{f.report.trade_ins:,} trade-ins); the trade-ins not yet due and their seats untouched.

Target (100,000 trade-ins: whole expiry under 10 s and within 10 x of the raw floor):
{verdict}.

{HISTORY}
"""


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.grace_expiry", description=__doc__)
    parser.add_argument("--trade-ins", type=int, default=100_000, help="due trade-ins")
    parser.add_argument("--batch-size", type=int, default=1000, help="trade-ins per transaction")
    parser.add_argument("--lanes", type=int, default=LANES, help="batches at once")
    parser.add_argument("--no-record", action="store_true", help="leave bench/RESULTS.md alone")
    # `python -m bench` passes its own arguments on to every benchmark: ignore the others.
    args, _ = parser.parse_known_args()
    try:
        figures = run(args)
    except PostgresUnavailable as error:
        print(f"grace expiry benchmark skipped: PostgreSQL unavailable: {error}", file=sys.stderr)
        return 0
    text = section(figures, args)
    if not args.no_record:
        write_results(text, BEGIN, END)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
