"""`make run`: the development supervisor.

It prepares the database (migrate, catalog and plans, demo data: all idempotent), then
starts and watches four children: an embedded Redis, the SMTP sink, the API and one arq
worker. A child that dies is restarted (at most 5 times a minute). Each child runs in a
session of its own, so a terminal's Ctrl-C reaches only this process, which stops them in
order (STOP_ORDER): API and worker, then the SMTP sink, Redis last. Children also get
SIGTERM if this process is killed outright (PR_SET_PDEATHSIG), so none is left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from app import commands
from app.embedded import start_redis
from infra.net import free_port, wait_for_port
from infra.settings import ROOT, Settings

_PR_SET_PDEATHSIG = 1

# Who stops first on Ctrl-C: the API and the worker together, then the SMTP sink, Redis
# last. Each child gets STOP_TIMEOUT seconds after SIGTERM before SIGKILL.
STOP_ORDER = (("api", "worker"), ("smtp",), ("redis",))
STOP_TIMEOUT = 5


def _die_with_parent() -> None:
    """Runs in each child between fork and exec: SIGTERM it when the supervisor dies."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Child:
    name: str
    start: Callable[[], subprocess.Popen[bytes]]
    process: subprocess.Popen[bytes] | None = None
    restarts: list[float] = field(default_factory=list)


def run_dev(settings: Settings) -> int:
    var_dir = settings.var_dir
    var_dir.mkdir(parents=True, exist_ok=True)
    print("seatwise: preparing the database ...", flush=True)
    asyncio.run(commands.migrate(settings))
    print("  " + asyncio.run(commands.load_catalog_and_plans(settings)), flush=True)
    seeded = asyncio.run(commands.seed_demo_data(settings))
    print("  demo data " + ("loaded" if seeded else "already present"), flush=True)
    tokens = asyncio.run(_demo_tokens(settings))

    api_port = settings.port if _port_is_free(settings.port) else free_port()
    redis_port = free_port()
    smtp_port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        "PUBLIC_URL": os.environ.get("PUBLIC_URL", f"http://127.0.0.1:{api_port}"),
        "PORT": str(api_port),
        "PYTHONUNBUFFERED": "1",
    }
    python = sys.executable

    def spawn(*args: str) -> Callable[[], subprocess.Popen[bytes]]:
        return lambda: subprocess.Popen(
            list(args),
            cwd=ROOT,
            env=env,
            start_new_session=True,
            # The supervisor starts no threads, so preexec_fn is safe here.
            preexec_fn=_die_with_parent,  # noqa: PLW1509
        )

    children = [
        Child(
            "redis",
            lambda: start_redis(redis_port, var_dir / "redis", preexec_fn=_die_with_parent),
        ),
        Child(
            "smtp",
            spawn(
                python,
                "-m",
                "app",
                "smtp-sink",
                "--port",
                str(smtp_port),
                "--dir",
                str(var_dir / "mail"),
            ),
        ),
        Child("api", spawn(python, "-m", "app", "serve", "--port", str(api_port))),
        Child("worker", spawn(python, "-m", "workers")),
    ]
    stopping = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        for child in children:
            child.process = child.start()
        wait_for_port("127.0.0.1", redis_port)
        wait_for_port("127.0.0.1", smtp_port)
        wait_for_port("127.0.0.1", api_port, timeout=60)
        _print_banner(api_port, redis_port, smtp_port, var_dir / "mail", tokens)
        while not stopping:
            time.sleep(0.5)
            for child in children:
                if stopping or child.process is None or child.process.poll() is None:
                    continue
                if not _restart(child):
                    print(f"seatwise: {child.name} keeps failing; stopping", flush=True)
                    stopping = True
        return 0
    except TimeoutError as exc:
        print(f"seatwise: a service did not start: {exc}", flush=True)
        return 1
    finally:
        _stop_all(children)


def _restart(child: Child) -> bool:
    now = time.monotonic()
    child.restarts = [t for t in child.restarts if now - t < 60] + [now]
    code = child.process.returncode if child.process else None
    if len(child.restarts) > 5:
        return False
    print(f"seatwise: {child.name} exited ({_status(code)}); restarting", flush=True)
    child.process = child.start()
    return True


def _stop_all(children: list[Child]) -> None:
    """Stop the children stage by stage (STOP_ORDER), the children of a stage together:
    the users of Redis and of the SMTP sink stop while both still answer, so the worker
    shuts down cleanly instead of waiting on a dead Redis."""
    print("\nseatwise: stopping ...", flush=True)
    for stage in STOP_ORDER:
        running = [
            (child.name, child.process)
            for child in children
            if child.name in stage and child.process and child.process.poll() is None
        ]
        for _, process in running:
            process.terminate()
        for name, process in running:
            try:
                code = process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                code = process.wait()
            print(f"seatwise: {name} stopped ({_status(code)})", flush=True)
    print("seatwise: stopped", flush=True)


def _status(returncode: int | None) -> str:
    """How a child ended. uvicorn ends a graceful shutdown by re-raising the signal it
    handled, so "signal SIGTERM" after a stop is normal for the API."""
    if returncode is None:
        return "running"
    if returncode < 0:
        return f"signal {signal.Signals(-returncode).name}"
    return f"status {returncode}"


def _port_is_free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


async def _demo_tokens(settings: Settings) -> dict[str, str]:
    """The demo admin and partner tokens, made once and kept in var/ (mode 600) so that
    restarts print the same ones instead of piling up new tokens."""
    from app.data_files import DATA_DIR, read_yaml
    from domain.tokens import principal_for_token
    from infra.db import database

    tokens_file = settings.var_dir / "demo-tokens.json"
    if tokens_file.exists():
        saved = json.loads(tokens_file.read_text())
        async with database(settings):
            now = dt.datetime.now(dt.UTC)
            if all([await principal_for_token(t, now=now) for t in saved.values()]):
                return dict(saved)
    wanted = read_yaml(DATA_DIR / "demo.yaml")["demo_tokens"]
    admin = await commands.create_token(
        settings,
        email=wanted["admin"]["email"],
        account=wanted["admin"]["account"],
        partner=None,
        label="demo admin (make run)",
    )
    partner = await commands.create_token(
        settings,
        email=None,
        account=None,
        partner=wanted["partner"]["partner"],
        label="demo partner (make run)",
    )
    tokens = {"admin": admin.token, "partner": partner.token}
    tokens_file.write_text(json.dumps(tokens, indent=2))
    tokens_file.chmod(0o600)
    return tokens


def _print_banner(
    api_port: int, redis_port: int, smtp_port: int, mail_dir: Path, tokens: dict[str, str]
) -> None:
    print(
        f"""
seatwise is running. Ctrl-C stops everything.

  GraphiQL   http://127.0.0.1:{api_port}/graphql
  health     http://127.0.0.1:{api_port}/healthz   ready: /readyz
  Redis      127.0.0.1:{redis_port} (embedded)
  SMTP sink  127.0.0.1:{smtp_port}, every message kept in {mail_dir}/

  demo admin token   (Alice Martin, primary admin of Acme Engineering):
    {tokens["admin"]}
  demo partner token (Northwind CAD Solutions, reseller):
    {tokens["partner"]}

  try:  curl -s http://127.0.0.1:{api_port}/graphql \\
          -H 'Authorization: Bearer {tokens["admin"]}' -H 'Content-Type: application/json' \\
          -d '{{"query": "{{ viewer {{ user {{ name }} memberships {{ role }} }} }}"}}'
""",
        flush=True,
    )
