"""Benchmark: the admin page "100 users of an account with their assignments, each with
subscription and product", over HTTP through uvicorn, against a hand-written Starlette
endpoint (bench/handwritten.py) that returns the identical JSON from raw SQL.

    python -m bench.read_api [--seconds 10] [--concurrency 10]

Both servers run as separate uvicorn processes (one worker each) on the same SQLite file;
the load comes from this process: `concurrency` keep-alive connections on raw sockets. Results are
written to bench/RESULTS.md (the section between the read-api markers), with a cProfile
summary of the GraphQL execution to show where the remaining time goes.
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
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
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

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
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


def start(command: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    wait_for_port("127.0.0.1", port, timeout=30)
    return process


async def load(
    url: str, method: str, body: dict[str, Any] | None, token: str, seconds: float, concurrency: int
) -> dict[str, float]:
    """Keep-alive HTTP/1.1 load from raw sockets: pre-built request bytes and a response
    read by Content-Length, so the generator spends far less CPU than the servers (an HTTP
    client library here costs as much as the baseline endpoint itself)."""
    parts = httpx.URL(url)
    payload = json.dumps(body).encode() if body is not None else b""
    head = (
        f"{method} {parts.raw_path.decode()} HTTP/1.1\r\nHost: {parts.host}\r\n"
        f"Authorization: Bearer {token}\r\n"
    )
    if body is not None:
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
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(len(latencies) * 0.99) - 1],
    }


async def statements_and_profile(database_url: str, token: str, account: str) -> tuple[int, str]:
    """SQL statements of one request (through the whole app, in process), and a cProfile
    of 50 GraphQL executions of the page."""
    from app.asgi import create_app
    from infra.settings import Settings
    from tests.support.graphql import counting_sql

    settings = Settings(database_url=database_url)
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)
    try:
        app = create_app(settings, manage_database=False)
        transport = httpx.ASGITransport(app=app)
        payload = {"query": QUERY, "variables": {"account": account}}
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            await client.post("/graphql", json=payload, headers=headers)
            with counting_sql() as statements:
                await client.post("/graphql", json=payload, headers=headers)
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(50):
                await client.post("/graphql", json=payload, headers=headers)
            profiler.disable()
    finally:
        await Tortoise.close_connections()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(15)
    return len(statements), _trim_profile(out.getvalue())


def _trim_profile(text: str) -> str:
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
    cleaned = [re.sub(r"\S*site-packages/", "", ln.replace(f"{ROOT}/", "")) for ln in lines[start:]]
    return "\n".join(cleaned)


def _row(name: str, m: dict[str, float]) -> str:
    return (
        f"| {name} | {m['requests']:.0f} | {m['rps']:.1f} | {m['p50_ms']:.1f} | {m['p99_ms']:.1f} |"
    )


def write_results(section: str) -> None:
    begin, end = "<!-- read-api:begin -->", "<!-- read-api:end -->"
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n\n"
    block = f"{begin}\n{section}\n{end}"
    if begin in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    RESULTS.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.read_api", description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="load time per server")
    parser.add_argument("--concurrency", type=int, default=10, help="parallel connections")
    parser.add_argument("--users", type=int, default=100, help="users on the page")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="seatwise-bench-"))
    database_url = f"sqlite://{workdir / 'bench.sqlite3'}"
    account_id, token = asyncio.run(prepare(database_url, args.users))
    account = to_global_id("Account", uuid.UUID(account_id))
    # The API runs as in production, with its Redis (rate limiting counts every request);
    # the limit is set out of reach so that the benchmark measures, not throttles.
    redis_port = free_port()
    redis = start_redis(redis_port, workdir / "redis")
    wait_for_port("127.0.0.1", redis_port)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "RATE_LIMIT_PER_MINUTE": "100000000",
        "LOG_LEVEL": "warning",
    }

    raw_port, api_port = free_port(), free_port()
    raw = start(
        [sys.executable, "-m", "bench.handwritten"], {**env, "PORT": str(raw_port)}, raw_port
    )
    api = start([sys.executable, "-m", "app", "serve", "--port", str(api_port)], env, api_port)
    try:
        raw_url = f"http://127.0.0.1:{raw_port}/page/{account_id}"
        api_url = f"http://127.0.0.1:{api_port}/graphql"
        body = {"query": QUERY, "variables": {"account": account}}
        headers = {"Authorization": f"Bearer {token}"}
        raw_json = httpx.get(raw_url, headers=headers).json()
        api_json = httpx.post(api_url, json=body, headers=headers).json()
        if raw_json != api_json:
            print("the two endpoints disagree", file=sys.stderr)
            print(json.dumps(raw_json)[:500], json.dumps(api_json)[:500], file=sys.stderr)
            return 1
        size = len(json.dumps(api_json))
        # Warm both, then measure one after the other with the same client.
        asyncio.run(load(raw_url, "GET", None, token, 2, args.concurrency))
        asyncio.run(load(api_url, "POST", body, token, 2, args.concurrency))
        baseline = asyncio.run(load(raw_url, "GET", None, token, args.seconds, args.concurrency))
        graphql = asyncio.run(load(api_url, "POST", body, token, args.seconds, args.concurrency))
    finally:
        for process in (raw, api, redis):
            process.terminate()
            process.wait(timeout=10)
    statements, profile = asyncio.run(statements_and_profile(database_url, token, account))
    ratio = graphql["rps"] / baseline["rps"]
    section = f"""## Read API: 100 users with assignments, subscription and product

Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC with `python -m bench.read_api
--seconds {args.seconds:g} --concurrency {args.concurrency}` on {platform.machine()},
{os.cpu_count()} cores, Python {platform.python_version()}, SQLite; both servers uvicorn with
one worker; the load generator is the benchmark process itself (raw-socket keep-alive
connections, so it costs little CPU next to the servers).
Page: {args.users} users x 3 assignments, {size:,} bytes of JSON, identical from both.

| endpoint | requests | req/s | p50 ms | p99 ms |
|---|---:|---:|---:|---:|
{_row("hand-written Starlette + raw SQL (baseline)", baseline)}
{_row("seatwise GraphQL `/graphql`", graphql)}

**Ratio (GraphQL / baseline req/s): {ratio:.3f}** (target: at least 0.15).
SQL statements per GraphQL request: {statements} (constant in page size: see
tests/resolvers/test_sql_count.py); the baseline runs 2.

Where the GraphQL time goes (cProfile, 50 in-process requests, top 15 by own time):

```
{profile}
```
"""
    write_results(section)
    print(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
