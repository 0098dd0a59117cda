"""`python -m app jobs run NAME`: jobs run by hand, as people run them: in a
subprocess from the repository root, on the test database and the test Redis."""

from __future__ import annotations

import datetime as dt
import inspect
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from arq.connections import ArqRedis
from tortoise.transactions import in_transaction

from app.cli import main
from domain import outbox
from infra.net import free_port
from infra.settings import Settings
from models import OutboxMessage
from models.enums import OutboxStatus
from tests.support.databases import sqlite_copy
from tests.support.services import RedisServer
from workers.enqueue import job_id_for
from workers.main import build_worker
from workers.registry import JOBS, ManualJob, Option

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    "command", [["jobs"], ["jobs", "run"], ["jobs", "run", "relay-outbox"], ["jobs", "health"]]
)
def test_every_jobs_command_has_help(command: list[str]) -> None:
    result = run_cli(*command, "--help")
    assert result.returncode == 0
    assert result.stdout.startswith(f"usage: python -m app {' '.join(command)} [-h]")
    assert result.stderr == ""


def test_jobs_run_lists_the_jobs_that_can_be_run() -> None:
    result = run_cli("jobs", "run", "--help")
    assert "relay-outbox" in result.stdout
    assert "hand the outbox rows that are due to the queue" in result.stdout


def test_an_unknown_job_is_a_usage_error() -> None:
    result = run_cli("jobs", "run", "frobnicate")
    assert result.returncode == 2
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    # (how argparse quotes the choices depends on the Python version)
    assert line.startswith(
        "python -m app jobs run: error: argument JOB: invalid choice: 'frobnicate' (choose from "
    )
    assert "relay-outbox" in line
    assert line.endswith(") (see --help)")


async def _pending_email(key: str) -> OutboxMessage:
    async with in_transaction():
        return await outbox.record_email(
            account_id=None,
            template="ready_to_download",
            recipient="chloe.dubois@acme.example",
            context={"user_name": "Chloé", "account_name": "Acme", "products": ["Revit"]},
            dedupe_key=key,
            now=dt.datetime.now(dt.UTC),
        )


async def test_relay_outbox_by_hand_hands_due_rows_to_the_queue(
    settings: Settings, queue: ArqRedis
) -> None:
    # Given a pending email row (written while Redis was down, say)
    row = await _pending_email("by-hand")
    env = {"DATABASE_URL": settings.database_url, "REDIS_URL": settings.redis_url}
    # When someone runs the relay by hand
    result = run_cli("jobs", "run", "relay-outbox", env=env)
    # Then it says what it did, and the row's job is queued
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "relay-outbox: 1 outbox message handed to the queue\n"
    assert await queue.zrange("arq:queue", 0, -1) == [job_id_for(row.id, 0).encode()]
    assert (await OutboxMessage.get(id=row.id)).status is OutboxStatus.ENQUEUED
    # When it runs again, there is nothing left to hand over
    again = run_cli("jobs", "run", "relay-outbox", env=env)
    assert again.stdout == "relay-outbox: 0 outbox messages handed to the queue\n"


async def test_relay_outbox_by_hand_without_redis_fails_in_one_line(settings: Settings) -> None:
    row = await _pending_email("no-redis")
    port = free_port()
    env = {"DATABASE_URL": settings.database_url, "REDIS_URL": f"redis://127.0.0.1:{port}/0"}
    result = run_cli("jobs", "run", "relay-outbox", env=env)
    assert result.returncode == 1
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"error: Redis does not answer at 127.0.0.1:{port} (REDIS_URL)")
    assert (await OutboxMessage.get(id=row.id)).status is OutboxStatus.PENDING


async def test_every_registered_job_is_a_worker_task() -> None:
    worker = build_worker(
        Settings(database_url="sqlite://:memory:"), handle_signals=False, burst=True
    )
    registered = {f.coroutine for f in worker.functions.values()}
    for job in JOBS.values():
        coroutine = job.coroutine()
        assert inspect.iscoroutinefunction(coroutine)
        assert coroutine in registered, f"{job.name} is not run by the worker"


# A job with an option, the way expire-grace-periods will be added ------------------------

_seen: list[Any] = []


async def echo_job(ctx: dict[str, Any], as_of: dt.date | None = None) -> str:
    _seen.append((as_of, await ctx["redis"].ping(), ctx["settings"].public_url))
    return f"as of {as_of}"


@pytest.fixture
def with_echo_job(
    monkeypatch: pytest.MonkeyPatch, empty_template: Path, tmp_path: Path, redis_server: RedisServer
) -> None:
    option = Option("--as-of", "as of this day", dt.date.fromisoformat, "DATE")
    job = ManualJob("echo", "say when", "tests.workers.test_jobs_cli:echo_job", (option,))
    monkeypatch.setitem(JOBS, "echo", job)
    monkeypatch.setenv("DATABASE_URL", sqlite_copy(empty_template, tmp_path))
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    monkeypatch.setenv("PUBLIC_URL", "http://seatwise.test")
    _seen.clear()


@pytest.mark.usefixtures("with_echo_job")
def test_job_options_reach_the_task_as_keyword_arguments(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["jobs", "run", "echo", "--as-of", "2026-12-01"]) == 0
    assert capsys.readouterr().out == "echo: as of 2026-12-01\n"
    assert _seen == [(dt.date(2026, 12, 1), True, "http://seatwise.test")]
    # and an option left out is None: the task decides the default
    assert main(["jobs", "run", "echo"]) == 0
    assert _seen[-1][0] is None


@pytest.mark.usefixtures("with_echo_job")
def test_a_malformed_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["jobs", "run", "echo", "--as-of", "tomorrow"])
    assert exited.value.code == 2
    assert capsys.readouterr().err == (
        "python -m app jobs run echo: error: argument --as-of: invalid fromisoformat value: "
        "'tomorrow' (see --help)\n"
    )
    assert _seen == []
