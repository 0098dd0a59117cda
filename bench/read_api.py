"""Benchmark: the admin page "100 users of an account with their assignments, each with
subscription and product", over HTTP through uvicorn, against a hand-written Starlette
endpoint (bench/handwritten.py) that returns the identical JSON from raw SQL, on SQLite and
on PostgreSQL.

    python -m bench.read_api [--rounds 7] [--seconds 5] [--concurrency 10]
                             [--ref GIT_REF | --no-ref] [--no-postgres] [--scaling-repeat 15]

Every server is a separate uvicorn process (one worker) on its database (a SQLite file, or a
throwaway PostgreSQL cluster from tests/support/postgres.py) and one Redis; the load comes
from this process: `concurrency` keep-alive connections on raw sockets.

The machine is shared and noisy, so the servers are measured in interleaved rounds: each
round loads every server of both databases for `seconds` in turn (the order rotates from
round to round), and the ratio against the baseline of the same database is taken within
each round, then reported as the median with its range. Besides requests per second, each
round reads the server process's CPU time (utime + stime in /proc/<pid>/stat): CPU per
request hardly depends on what else runs on the machine, so it is the steadiest figure.

A reference (`--ref`, by default a3e649a, the commit before the work of the issue "Reads at
the speed of hand-written code", when the repository has it) is checked out into a
temporary git worktree, removed afterwards, and its API is served from there beside the
others on each database: the before/after of the GraphQL server in one run. It must have
the same migrations (so the same tables) and give the same JSON. `--no-ref` leaves it out.

Then a scaling table: the page at 10, 50 and 100 users and depth 1 to 4, executed in this
process on the schema itself (no HTTP, no JSON), with its execution cost per 1,000 output
fields.

Results go to bench/RESULTS.md (the section between the read-api markers), with a py-spy
sample of the SQLite GraphQL server under load to show where its time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import datetime as dt
import io
import json
import os
import platform
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from tortoise import Tortoise

from app.embedded import start_redis
from infra.db import tortoise_config
from infra.net import free_port, wait_for_port
from schema.ids import to_global_id
from tests.support.bulk import make_account
from tests.support.databases import build_template
from tests.support.postgres import PostgresUnavailable, start_cluster

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
# The last commit before the work of the issue "Reads at the speed of hand-written code"
# (lean data path, compiled execution, persisted queries).
DEFAULT_REF = "a3e649a"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
WARM_UP_SECONDS = 2.0
QUERY = """query Page($account: ID!) {
  account(id: $account) {
    users(first: 100) {
      edges { node {
        id name email
        assignments { id assignedAt subscription { id status product { id name } } }
      } }
    }
  }
}"""


@dataclass
class Endpoint:
    name: str  # "<database>:<kind>", e.g. "sqlite:graphql"
    url: str
    method: str
    body: dict[str, Any] | None
    process: subprocess.Popen[bytes]
    token: str

    @property
    def database(self) -> str:
        return self.name.partition(":")[0]

    @property
    def kind(self) -> str:
        return self.name.partition(":")[2]


@dataclass
class Round:
    requests: int
    seconds: float
    server_cpu: float  # seconds of CPU the server process used during the round
    client_cpu: float  # seconds of CPU this process (the load generator) used
    latencies: list[float] = field(repr=False)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_per_request(self) -> float:
        return self.server_cpu / self.requests


# --- set-up ------------------------------------------------------------------------------


async def prepare(database_url: str, users: int) -> tuple[str, str]:
    """A database with the catalog and one account of `users` members, 3 seats each."""
    from domain.tokens import create_member_token

    await build_template(database_url, demo=False)
    await Tortoise.init(config=tortoise_config(database_url))
    try:
        account_id = await make_account("Bench Corp", users, admin_email="admin@bench.example")
        issued = await create_member_token(
            email="admin@bench.example", account_id=account_id, prefix="sw_"
        )
    finally:
        await Tortoise.close_connections()
    return str(account_id), issued.token


def start(command: list[str], env: dict[str, str], port: int, cwd: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(command, cwd=cwd, env=env)
    try:
        wait_for_port("127.0.0.1", port, timeout=30)
    except TimeoutError:
        process.terminate()
        raise
    return process


def git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def resolve_ref(ref: str) -> str | None:
    """The full commit of `ref`, or None when the repository does not have it."""
    try:
        return git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except subprocess.CalledProcessError:
        return None


@contextmanager
def reference_checkout(commit: str, directory: Path) -> Iterator[Path]:
    """`commit` checked out into a temporary worktree (detached: no branch is created),
    removed on the way out whatever happens, so no stale worktree stays registered."""
    path = directory / f"ref-{commit[:7]}"
    git("worktree", "add", "--detach", "--quiet", str(path), commit)
    try:
        yield path
    finally:
        try:
            git("worktree", "remove", "--force", str(path))
        except subprocess.CalledProcessError:
            shutil.rmtree(path, ignore_errors=True)
            git("worktree", "prune")


def same_tables(commit: str) -> bool:
    """The database is built by this tree's migrations; the reference reads every table it
    knows when each of its migrations is still here unchanged (later ones only add tables,
    columns or allowed values it never touches)."""
    changed = subprocess.run(
        [
            "git",
            "-C",
            str(ROOT),
            "diff",
            "--quiet",
            "--diff-filter=DMR",
            commit,
            "--",
            "migrations/0*.py",
        ],
        check=False,
    )
    return changed.returncode == 0


# --- load and measurement ----------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, all its threads (fields 14 and 15 of /proc/<pid>/stat,
    counted after the command name, which may itself hold spaces)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


async def load(endpoint: Endpoint, seconds: float, concurrency: int) -> tuple[list[float], float]:
    """Keep-alive HTTP/1.1 load from raw sockets: pre-built request bytes and a response
    read by Content-Length, so the generator spends far less CPU than the servers (an HTTP
    client library here costs as much as the baseline endpoint itself). Returns the
    latencies and the elapsed time."""
    parts = httpx.URL(endpoint.url)
    payload = json.dumps(endpoint.body).encode() if endpoint.body is not None else b""
    head = (
        f"{endpoint.method} {parts.raw_path.decode()} HTTP/1.1\r\nHost: {parts.host}\r\n"
        f"Authorization: Bearer {endpoint.token}\r\n"
    )
    if endpoint.body is not None:
        head += f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
    request = head.encode() + b"\r\n" + payload
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(parts.host, parts.port)
        try:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                writer.write(request)
                status = await reader.readline()
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.partition(b":")
                    if name.lower() == b"content-length":
                        length = int(value)
                await reader.readexactly(length)
                assert status.split()[1] == b"200", status
                latencies.append(time.perf_counter() - started)
        finally:
            writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, time.perf_counter() - began


def measure(endpoint: Endpoint, seconds: float, concurrency: int) -> Round:
    pid = endpoint.process.pid
    server_before, client_before = cpu_seconds(pid), time.process_time()
    latencies, elapsed = asyncio.run(load(endpoint, seconds, concurrency))
    return Round(
        requests=len(latencies),
        seconds=elapsed,
        server_cpu=cpu_seconds(pid) - server_before,
        client_cpu=time.process_time() - client_before,
        latencies=latencies,
    )


def run_rounds(
    endpoints: list[Endpoint], rounds: int, seconds: float, concurrency: int
) -> dict[str, list[Round]]:
    """`rounds` rounds; in each, every endpoint in turn. The order rotates by one per round,
    so no endpoint always follows the same neighbour or always runs first."""
    results: dict[str, list[Round]] = {e.name: [] for e in endpoints}
    for number in range(rounds):
        shift = number % len(endpoints)
        for endpoint in endpoints[shift:] + endpoints[:shift]:
            results[endpoint.name].append(measure(endpoint, seconds, concurrency))
        summary = ", ".join(f"{name} {r[-1].rps:.1f}" for name, r in results.items())
        print(f"round {number + 1}/{rounds}: req/s {summary}", file=sys.stderr)
    return results


# --- where the time goes -----------------------------------------------------------------


def py_spy_binary() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def py_spy_profile(
    endpoint: Endpoint, seconds: float, concurrency: int, directory: Path
) -> tuple[str, int] | None:
    """Sample the server under load with py-spy (it reads the process's memory from outside,
    so small calls are not inflated as under cProfile). Returns the summary and the number
    of samples, or None when py-spy is missing or cannot attach (ptrace refused)."""
    binary = py_spy_binary()
    if binary is None:
        return None
    # --native first: without the C frames, the garbage collector's pauses land on whichever
    # Python function allocated when a collection started, and that moves from run to run.
    for native in (["--native"], []):
        raw = _record(binary, endpoint, seconds, concurrency, directory, native)
        if raw is not None:
            return summarize_samples(raw)
    return None


def _record(
    binary: str,
    endpoint: Endpoint,
    seconds: float,
    concurrency: int,
    directory: Path,
    options: list[str],
) -> str | None:
    output = directory / "py-spy.txt"
    output.unlink(missing_ok=True)
    # --nolineno: one line per function. Idle threads (waiting in epoll, or SQLite's thread
    # waiting for work) are left out by py-spy, so the samples are where the CPU goes.
    command = [binary, "record", "--pid", str(endpoint.process.pid), "--rate", "200"]
    command += ["--duration", f"{seconds:g}", "--format", "raw", "--nolineno", "-o", str(output)]
    sampler = subprocess.Popen(
        [*command, *options], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    # Keep the load on a little longer than the sampler runs (it takes a moment to attach).
    asyncio.run(load(endpoint, seconds + 1.5, concurrency))
    _, errors = sampler.communicate(timeout=60)
    if sampler.returncode != 0 or not output.exists():
        message = errors.decode(errors="replace")[-500:]
        print(f"py-spy {' '.join(options)} failed: {message}", file=sys.stderr)
        return None
    return output.read_text()


GC = "(garbage collection)"


def _short(frame: str) -> str:
    """'execute_field (/…/site-packages/graphql/execution/executor.py)' -> with the path
    relative to site-packages, the repository or the standard library."""
    frame = frame.replace(f"{ROOT}/", "")
    frame = re.sub(r"\(\S*site-packages/", "(", frame)
    return re.sub(r"\(\S*/lib/python3\.\d+/", "(", frame)


def _is_python(frame: str) -> bool:
    source = frame.rpartition("(")[2].rstrip(")")
    return source.endswith(".py") or source.startswith("<")


def _python_frames(frames: list[str]) -> list[str]:
    """The Python frames of a stack; C frames (native samples) count for the Python function
    that called them, except the garbage collector, which is a bucket of its own."""
    if any(f.startswith(("gc_collect", "collect_generations")) for f in frames):
        return [*(f for f in frames if _is_python(f)), GC]
    python = [f for f in frames if _is_python(f)]
    return python or frames[-1:]


# Native frames of a thread blocked on a lock or a condition: with --native, py-spy counts
# SQLite's worker thread waiting for its next statement (aiosqlite's queue) as active,
# which made up 14 % of the samples while using no CPU. Such samples are left out.
_WAITS = ("PyThread_acquire_lock_timed", "pthread_cond_timedwait", "pthread_cond_wait")


def _waiting(frames: list[str]) -> bool:
    return any(f.startswith(_WAITS) for f in frames[-4:])


def summarize_samples(raw: str, top: int = 15) -> tuple[str, int]:
    """Own time (the sample's innermost frame) and total time (anywhere on the stack) per
    function, from py-spy's raw format: one line per distinct stack, `f1;f2;...;fn count`.
    Samples of a thread waiting on a lock are left out (`_WAITS`)."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    for line in raw.splitlines():
        stack, _, number = line.rpartition(" ")
        if not stack or _waiting(stack.split(";")):
            continue
        frames = _python_frames([_short(f) for f in stack.split(";")])
        own[frames[-1]] += int(number)
        for frame in set(frames):
            total[frame] += int(number)
        packages[_package(frames[-1])] += int(number)
    samples = sum(own.values())
    lines = [f"{'own %':>6} {'total %':>7}  function (file)"]
    for frame, count in own.most_common(top):
        lines.append(f"{100 * count / samples:6.1f} {100 * total[frame] / samples:7.1f}  {frame}")
    lines.append("")
    lines.append(
        "own time by package: "
        + ", ".join(
            f"{name} {100 * count / samples:.0f} %" for name, count in packages.most_common(8)
        )
    )
    return "\n".join(lines), samples


def _package(frame: str) -> str:
    """The top-level package (or standard-library module) of a shortened frame."""
    if frame == GC:
        return "gc"
    path = frame.rpartition("(")[2].rstrip(")")
    head = path.split("/", 1)[0]
    return head.removesuffix(".py") if head else path


async def sql_statements(database_url: str, token: str, account: str) -> int:
    """SQL statements of one GraphQL request of the page (through the whole app, in process)."""
    from tests.support.graphql import counting_sql

    async def one_request(client: httpx.AsyncClient) -> None:
        payload = {"query": QUERY, "variables": {"account": account}}
        await client.post("/graphql", json=payload, headers={"Authorization": f"Bearer {token}"})

    async with in_process_client(database_url) as client:
        await one_request(client)  # the first request also fills the caches
        with counting_sql() as statements:
            await one_request(client)
    return len(statements)


async def cprofile_summary(database_url: str, token: str, account: str) -> str:
    """The fallback when py-spy cannot attach: cProfile of 50 in-process requests, top 15 by
    own time (it inflates small calls: read it for the shape, not the shares)."""
    payload = {"query": QUERY, "variables": {"account": account}}
    headers = {"Authorization": f"Bearer {token}"}
    profiler = cProfile.Profile()
    async with in_process_client(database_url) as client:
        await client.post("/graphql", json=payload, headers=headers)
        profiler.enable()
        for _ in range(50):
            await client.post("/graphql", json=payload, headers=headers)
        profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
    lines = [line.rstrip() for line in out.getvalue().splitlines() if line.strip()]
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
    return "\n".join(_short(f"({line}").removeprefix("(") for line in lines[start:])


@asynccontextmanager
async def in_process_client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client on the app of this tree, in this process, with the database open."""
    from app.asgi import create_app
    from infra.settings import Settings

    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)
    try:
        app = create_app(Settings(database_url=database_url), manage_database=False)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            yield client
    finally:
        await Tortoise.close_connections()


# --- report ------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def endpoint_row(label: str, rounds: list[Round]) -> str:
    latencies = [v for r in rounds for v in r.latencies]
    return (
        f"| {label} | {sum(r.requests for r in rounds):,} "
        f"| {statistics.median(r.rps for r in rounds):.1f} "
        f"| {1000 * percentile(latencies, 0.50):.1f} | {1000 * percentile(latencies, 0.99):.1f} "
        f"| {1000 * statistics.median(r.cpu_per_request for r in rounds):.2f} "
        f"| {1000 * statistics.median(r.client_cpu / r.requests for r in rounds):.2f} |"
    )


def spread(values: list[float]) -> str:
    return f"**{statistics.median(values):.3f}** ({min(values):.3f}-{max(values):.3f})"


def ratio_row(label: str, top: list[Round], bottom: list[Round]) -> str:
    """Per-round ratios of `top` against `bottom` (same round): req/s, and CPU per request
    turned the same way (bottom's CPU per request / top's), so both read "higher is faster"."""
    rps = [t.rps / b.rps for t, b in zip(top, bottom, strict=True)]
    cpu = [b.cpu_per_request / t.cpu_per_request for t, b in zip(top, bottom, strict=True)]
    return f"| {label} | {spread(rps)} | {spread(cpu)} |"


def rounds_table(results: dict[str, list[Round]], labels: dict[str, str]) -> str:
    names = list(results)
    lines = ["| round | " + " | ".join(labels[n] for n in names) + " |"]
    lines.append("|---:|" + "---:|" * len(names))
    for number, measured in enumerate(zip(*results.values(), strict=True), start=1):
        cells = " | ".join(f"{r.rps:.1f} / {1000 * r.cpu_per_request:.1f}" for r in measured)
        lines.append(f"| {number} | {cells} |")
    return "\n".join(lines)


def write_results(section: str) -> None:
    begin, end = "<!-- read-api:begin -->", "<!-- read-api:end -->"
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n\n"
    block = f"{begin}\n{section}\n{end}"
    if begin in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    RESULTS.write_text(text)


# --- main --------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.read_api",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (default 7)")
    parser.add_argument(
        "--seconds", type=float, default=5.0, help="load per server per round (default 5)"
    )
    parser.add_argument("--concurrency", type=int, default=10, help="parallel connections")
    parser.add_argument("--users", type=int, default=100, help="users on the page")
    parser.add_argument(
        "--ref",
        default=None,
        help=f"git ref whose API is measured too (default {DEFAULT_REF}, when it exists)",
    )
    parser.add_argument("--no-ref", action="store_true", help="measure no reference")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument(
        "--scaling-repeat", type=int, default=15, help="runs of each scaling cell (default 15)"
    )
    parser.add_argument(
        "--profile-seconds", type=float, default=5.0, help="py-spy sampling time (default 5)"
    )
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    commit = None
    if not args.no_ref:
        commit = resolve_ref(args.ref or DEFAULT_REF)
        if commit is None and args.ref is not None:
            print(f"unknown git ref: {args.ref}", file=sys.stderr)
            return 2
        if commit is None:
            print(f"no {DEFAULT_REF} in this repository: no reference", file=sys.stderr)
        elif not same_tables(commit):
            print(f"{args.ref or DEFAULT_REF} has migrations this tree changed", file=sys.stderr)
            return 2
    args.load_before = os.getloadavg()[0]  # how busy the shared machine was
    workdir = Path(tempfile.mkdtemp(prefix="seatwise-bench-"))
    try:
        return run(args, workdir, commit)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@dataclass
class Database:
    key: str  # "sqlite" or "postgres"
    title: str
    url: str
    account_id: str
    token: str

    @property
    def account(self) -> str:
        return to_global_id("Account", uuid.UUID(self.account_id))


def databases(args: argparse.Namespace, workdir: Path, stack: ExitStack) -> list[Database]:
    """SQLite, and PostgreSQL on a throwaway cluster unless --no-postgres (or no binaries)."""
    urls = [("sqlite", "SQLite", f"sqlite://{workdir / 'bench.sqlite3'}")]
    if not args.no_postgres:
        try:
            cluster = start_cluster()
        except PostgresUnavailable as error:
            print(f"PostgreSQL skipped: {error}", file=sys.stderr)
        else:
            stack.callback(cluster.stop)
            urls.append(("postgres", "PostgreSQL", cluster.create_database("bench")))
    found = []
    for key, title, url in urls:
        account_id, token = asyncio.run(prepare(url, args.users))
        found.append(Database(key, title, url, account_id, token))
    return found


def run(args: argparse.Namespace, workdir: Path, commit: str | None) -> int:
    # The API runs as in production, with its Redis (rate limiting counts every request);
    # the limit is set out of reach so that the benchmark measures, not throttles.
    redis_port = free_port()
    env = {
        **os.environ,
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "RATE_LIMIT_PER_MINUTE": "100000000",
        "LOG_LEVEL": "warning",
    }
    env.pop("PYTHONPATH", None)  # each server imports the code of its own directory
    head = resolve_ref("HEAD") or "no git"

    with ExitStack() as stack:
        dbs = databases(args, workdir, stack)
        redis = start_redis(redis_port, workdir / "redis")
        stack.callback(_stop, redis)
        wait_for_port("127.0.0.1", redis_port)
        checkout = stack.enter_context(reference_checkout(commit, workdir)) if commit else None
        labels: dict[str, str] = {}

        def serve(db: Database, kind: str, command: list[str], cwd: Path, port: int) -> Endpoint:
            server_env = {**env, "DATABASE_URL": db.url, "PORT": str(port)}
            process = start(command, server_env, port, cwd)
            stack.callback(_stop, process)
            name = f"{db.key}:{kind}"
            if kind == "baseline":
                url = f"http://127.0.0.1:{port}/page/{db.account_id}"
                return Endpoint(name, url, "GET", None, process, db.token)
            body = {"query": QUERY, "variables": {"account": db.account}}
            url = f"http://127.0.0.1:{port}/graphql"
            return Endpoint(name, url, "POST", body, process, db.token)

        def api(port: int) -> list[str]:
            return [sys.executable, "-m", "app", "serve", "--port", str(port)]

        endpoints = []
        for db in dbs:
            handwritten = [sys.executable, "-m", "bench.handwritten"]
            endpoints.append(serve(db, "baseline", handwritten, ROOT, free_port()))
            endpoints.append(serve(db, "graphql", api(port := free_port()), ROOT, port))
            labels[f"{db.key}:baseline"] = (
                f"{db.title}: hand-written Starlette + raw SQL (baseline)"
            )
            labels[f"{db.key}:graphql"] = f"{db.title}: seatwise GraphQL (this tree, {head[:7]})"
            if checkout is not None and commit is not None:
                endpoints.append(serve(db, "reference", api(port := free_port()), checkout, port))
                labels[f"{db.key}:reference"] = (
                    f"{db.title}: seatwise GraphQL at {commit[:7]} (reference, before)"
                )

        size = check_identical(endpoints)
        if size is None:
            return 1
        # Warm-up: lazy imports, parser and validation caches, connection pools.
        for endpoint in endpoints:
            asyncio.run(load(endpoint, WARM_UP_SECONDS, args.concurrency))
        results = run_rounds(endpoints, args.rounds, args.seconds, args.concurrency)
        sampled = py_spy_profile(endpoints[1], args.profile_seconds, args.concurrency, workdir)

        statements = {
            db.key: asyncio.run(sql_statements(db.url, db.token, db.account)) for db in dbs
        }
        scaling = {db.key: asyncio.run(scaling_table(db, args.scaling_repeat)) for db in dbs}
    first = dbs[0]
    profile, profile_title = where_the_time_goes(
        sampled, args.profile_seconds, first.url, first.token, first.account
    )
    section = render(
        args, commit, dbs, results, labels, size, statements, scaling, profile, profile_title
    )
    write_results(section)
    print(section)
    return 0


# --- scaling: execution cost per 1,000 fields -------------------------------------------

DEPTHS = {
    1: "id name email",
    2: "id name email assignments { id assignedAt }",
    3: "id name email assignments { id assignedAt subscription { id status } }",
    4: "id name email assignments { id assignedAt subscription { id status product { id name } } }",
}
PAGE_SIZES = (10, 50, 100)


def scaling_query(first: int, depth: int) -> str:
    return (
        f"query Page($account: ID!) {{ account(id: $account) {{ users(first: {first}) {{"
        f" edges {{ node {{ {DEPTHS[depth]} }} }} }} }} }}"
    )


def count_fields(value: Any) -> int:
    """Fields of a response: every key of every object (leaves and objects alike)."""
    if isinstance(value, dict):
        return len(value) + sum(count_fields(v) for v in value.values())
    if isinstance(value, list):
        return sum(count_fields(v) for v in value)
    return 0


@dataclass
class Scaled:
    first: int
    depth: int
    fields: int
    statements: int
    ms: float  # median wall time of the operation's execution, in process
    cpu_ms: float  # median CPU time of this process (with SQLite's thread) during it

    @property
    def per_thousand(self) -> float:
        return 1000 * self.cpu_ms / self.fields


async def scaling_table(db: Database, repeat: int) -> list[Scaled]:
    """Each (page size, depth) executed `repeat` times in this process on the schema itself,
    after parsing and validation are cached (a warm-up run), with a fresh context (so fresh
    loaders) each time: resolvers, loaders, SQL and graphql-core's execution, not HTTP or
    JSON. The median per operation, and per 1,000 output fields."""
    from app.wiring import grace_policy
    from domain.tokens import principal_for_token
    from infra.settings import Settings
    from resolvers.assembly import schema
    from schema.context import build_context
    from tests.support.graphql import counting_sql

    grace = grace_policy(Settings(database_url=db.url))
    await Tortoise.init(config=tortoise_config(db.url), _enable_global_fallback=True)
    try:
        now = dt.datetime.now(dt.UTC)
        principal = await principal_for_token(db.token, now=now)
        assert principal is not None
        variables = {"account": db.account}
        table = []
        for first in PAGE_SIZES:
            for depth in DEPTHS:
                query = scaling_query(first, depth)

                async def once(query: str = query) -> tuple[Any, float, float]:
                    context = await build_context(principal, "bench", now=now, grace=grace)
                    started, cpu = time.perf_counter(), time.process_time()
                    result = await schema.execute(
                        query, variable_values=variables, context_value=context
                    )
                    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
                    assert not result.errors, result.errors
                    return result.data, wall, cpu

                data, _, _ = await once()  # warm-up: parser and validation caches
                with counting_sql() as statements:
                    await once()
                runs = [await once() for _ in range(repeat)]
                wall = 1000 * statistics.median(r[1] for r in runs)
                cpu = 1000 * statistics.median(r[2] for r in runs)
                table.append(Scaled(first, depth, count_fields(data), len(statements), wall, cpu))
        return table
    finally:
        await Tortoise.close_connections()


def scaling_rows(dbs: list[Database], scaling: dict[str, list[Scaled]]) -> str:
    lines = [
        "| database | first | depth | fields | SQL statements | execution ms | CPU ms "
        "| CPU ms per 1,000 fields |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for db in dbs:
        for row in scaling[db.key]:
            lines.append(
                f"| {db.title} | {row.first} | {row.depth} | {row.fields:,} | {row.statements} "
                f"| {row.ms:.1f} | {row.cpu_ms:.1f} | {row.per_thousand:.1f} |"
            )
    return "\n".join(lines)


def where_the_time_goes(
    sampled: tuple[str, int] | None, seconds: float, database_url: str, token: str, account: str
) -> tuple[str, str]:
    """The profile summary and its title: py-spy's, or cProfile's when py-spy failed."""
    if sampled is None:
        title = "cProfile, 50 in-process requests, top 15 by own time: **py-spy could not attach**"
        return asyncio.run(cprofile_summary(database_url, token, account)), title
    profile, samples = sampled
    title = (
        f"py-spy, {samples:,} samples at 200 Hz of the running server during {seconds:g} s of"
        " the same load, top 15 by own time; C frames count for the Python function calling"
        " them, garbage collection apart; threads waiting on a lock left out"
    )
    return profile, title


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def check_identical(endpoints: list[Endpoint]) -> int | None:
    """Every endpoint must answer the same JSON as the baseline of its database, and every
    database the same page (the ids differ between databases: compared by shape); the size
    of the page, or None."""
    answers = {}
    for e in endpoints:
        headers = {"Authorization": f"Bearer {e.token}"}
        answer = httpx.request(e.method, e.url, json=e.body, headers=headers, timeout=30)
        answers[e.name] = answer.json()
    for e in endpoints:
        expected = answers[f"{e.database}:baseline"]
        if answers[e.name] != expected:
            print(f"{e.name} disagrees with its baseline", file=sys.stderr)
            print(json.dumps(expected)[:500], json.dumps(answers[e.name])[:500], file=sys.stderr)
            return None
    return len(json.dumps(answers[endpoints[0].name]))


def render(
    args: argparse.Namespace,
    commit: str | None,
    dbs: list[Database],
    results: dict[str, list[Round]],
    labels: dict[str, str],
    size: int,
    statements: dict[str, int],
    scaling: dict[str, list[Scaled]],
    profile: str,
    profile_title: str,
) -> str:
    command = (
        f"python -m bench.read_api --rounds {args.rounds} --seconds {args.seconds:g} "
        f"--concurrency {args.concurrency}"
    )
    command += f" --ref {args.ref or DEFAULT_REF}" if commit else " --no-ref"
    command += " --no-postgres" if args.no_postgres else ""
    ref = commit[:7] if commit else ""
    rows = "\n".join(endpoint_row(labels[name], rounds) for name, rounds in results.items())
    ratios = []
    short = {}
    for db in dbs:
        graphql, baseline = results[f"{db.key}:graphql"], results[f"{db.key}:baseline"]
        ratios.append(ratio_row(f"{db.title}: GraphQL / baseline", graphql, baseline))
        short[f"{db.key}:baseline"] = f"{db.title} baseline"
        short[f"{db.key}:graphql"] = f"{db.title} GraphQL"
        if f"{db.key}:reference" in results:
            before = results[f"{db.key}:reference"]
            ratios.append(ratio_row(f"{db.title}: GraphQL at {ref} / baseline", before, baseline))
            ratios.append(ratio_row(f"{db.title}: GraphQL / GraphQL at {ref}", graphql, before))
            short[f"{db.key}:reference"] = f"{db.title} at {ref}"
    ratio_lines = "\n".join(ratios)
    reference = (
        f"The reference is the API of {commit} served from a temporary git worktree of that"
        " commit (same virtualenv, databases and Redis; same migrations, so same tables).\n"
        if commit
        else ""
    )
    counted = ", ".join(f"{db.title} {statements[db.key]}" for db in dbs)
    titles = " and ".join(db.title for db in dbs)
    return f"""## Read API: 100 users with assignments, subscription and product

Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC with
`{command}` on {platform.machine()},
{os.cpu_count()} cores (shared), Python {platform.python_version()}, {titles}; every server
is uvicorn with one worker, the GraphQL servers with their Redis. Each of the {args.rounds}
rounds loads every server (both databases) for {args.seconds:g} s in turn (the order rotates
by one per round), after a {WARM_UP_SECONDS:g} s warm-up of each; the load generator is this
process (raw-socket keep-alive connections). Page: {args.users} users x 3 assignments,
{size:,} bytes of JSON, identical from every endpoint of a database. Load average (1 min) at
the start: {args.load_before:.1f}, at the end: {os.getloadavg()[0]:.1f}.
{reference}
| endpoint | requests | req/s | p50 ms | p99 ms | server CPU ms/req | client CPU ms/req |
|---|---:|---:|---:|---:|---:|---:|
{rows}

req/s and CPU per request are medians over rounds; p50 and p99 over all requests; server CPU
is the uvicorn process's (Redis and the PostgreSQL server not included), client CPU this
process's.

Ratios per round, median (min-max over rounds); for A / B the CPU ratio is B's CPU per request
over A's, so both read "higher is faster":

| ratio | req/s | CPU per request |
|---|---:|---:|
{ratio_lines}

Target (issue "Reads at the speed of hand-written code"): GraphQL / baseline at least 0.6 on
both databases (aim 0.8). SQL statements per GraphQL request: {counted} (constant in page
size: see tests/resolvers/test_sql_count.py; a token's first request in
TOKEN_CACHE_SECONDS runs one more, which reads the token); the baseline runs 2. On
PostgreSQL the statements of the query share one pooled connection (infra/one_connection.py);
the baseline's take one each.

Per round, req/s / server CPU ms per request:

{rounds_table(results, short)}

Scaling: the users page at 10, 50 and 100 users and depth 1 to 4 (1: `id name email`; 2: and
`assignments {{ id assignedAt }}`; 3: and their `subscription {{ id status }}`; 4: and its
`product {{ id name }}`), executed in process on the schema ({args.scaling_repeat} runs each,
medians, parsing and validation cached, fresh loaders each run): resolvers, loaders, SQL and
graphql-core's execution, without HTTP, authentication and JSON. Fields are every key of the
response's `data`. Wall time depends on what else runs on the shared machine; CPU time (this
process, SQLite's thread included, PostgreSQL's server not) is the steadier figure, and the
one per 1,000 fields.

{scaling_rows(dbs, scaling)}

Where the GraphQL time goes ({profile_title}):

```
{profile}
```
"""


if __name__ == "__main__":
    raise SystemExit(main())
