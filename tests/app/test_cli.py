"""`python -m app ...` as people run it: in a subprocess, from the repository root."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from models.enums import Role
from tests.support import factories
from tests.support.databases import sqlite_copy

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, database_url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if database_url:
        env["DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def demo_url(demo_template: Path, tmp_path: Path) -> str:
    """A database holding the demo data set (for `seed demo`, which must find it there)."""
    return sqlite_copy(demo_template, tmp_path)


@pytest.fixture
async def principals_url(db: str) -> str:
    """The `db` database with Alice Martin in Acme Engineering and the partner NORTHWIND:
    who the token commands are run for. Returns its URL."""
    acme = await factories.account(name="Acme Engineering")
    alice = await factories.user(email="alice.martin@acme.example", name="Alice Martin")
    await factories.member(acme, alice, role=Role.PRIMARY_ADMIN)
    await factories.partner(code="NORTHWIND")
    return db


async def run_cli_on(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`run_cli` off the event loop (the test's database stays open in it)."""
    return await asyncio.to_thread(run_cli, *args, database_url=database_url)


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["dev"],
        ["serve"],
        ["worker"],
        ["migrate"],
        ["migrations", "make"],
        ["migrations", "check"],
        ["catalog", "load"],
        ["seed", "demo"],
        ["token", "create"],
        ["schema", "export"],
        ["smtp-sink"],
    ],
)
def test_every_command_has_help(command: list[str]) -> None:
    result = run_cli(*command, "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: python -m app")
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["frobnicate"], "python -m app: error: argument COMMAND: invalid choice: 'frobnicate'"),
        (["catalog"], "python -m app catalog: error: the following arguments are required: ACTION"),
        (["serve", "--port", "eighty"], "python -m app serve: error: argument --port: invalid int"),
    ],
)
def test_wrong_arguments_give_one_line_and_exit_2(args: list[str], error: str) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(error)
    assert result.stderr.rstrip().endswith("(see --help)")


async def test_token_create_prints_the_token_once(principals_url: str) -> None:
    # When a token is made for Alice in Acme
    result = await run_cli_on(
        principals_url,
        "token",
        "create",
        "--email",
        "alice.martin@acme.example",
        "--account",
        "Acme Engineering",
    )
    # Then it is printed, once, and nothing else
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("sw_") == 1
    assert len(result.stdout.split()) == 1


async def test_token_create_for_a_partner(principals_url: str) -> None:
    # When a token is made for the partner NORTHWIND, then it is printed
    result = await run_cli_on(principals_url, "token", "create", "--partner", "NORTHWIND")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("sw_")


@pytest.mark.parametrize(
    ("args", "code", "error"),
    [
        (
            ["--email", "ghost@acme.example", "--account", "Acme Engineering"],
            1,
            "error: no user with email ghost@acme.example",
        ),
        (
            ["--email", "alice.martin@acme.example", "--account", "Nope Ltd"],
            1,
            "error: no account named 'Nope Ltd': pass its id",
        ),
        (["--partner", "NOBODY"], 1, "error: no partner NOBODY"),
        (
            ["--email", "alice.martin@acme.example"],
            2,
            "error: give either --email and --account, or --partner (see --help)",
        ),
        (
            ["--partner", "NORTHWIND", "--email", "a@b.c", "--account", "x"],
            2,
            "error: give either --email and --account, or --partner (see --help)",
        ),
    ],
)
async def test_token_create_refusals_are_one_line(
    principals_url: str, args: list[str], code: int, error: str
) -> None:
    # When a token is asked for someone unknown, or with the wrong options
    result = await run_cli_on(principals_url, "token", "create", *args)
    # Then the answer is one line on stderr, and the exit code says which
    assert (result.returncode, result.stdout, result.stderr.strip()) == (code, "", error)


def test_a_bad_setting_is_named_at_start() -> None:
    env_result = subprocess.run(
        [sys.executable, "-m", "app", "migrate"],
        cwd=ROOT,
        env={**os.environ, "GRACE_ANCHOR": "delivery"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert env_result.returncode == 1
    assert env_result.stderr.startswith("error: invalid setting GRACE_ANCHOR: ")


def test_catalog_load_and_seed_are_idempotent(demo_url: str) -> None:
    first = run_cli("catalog", "load", database_url=demo_url)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "catalog: 22 products (0 new), plans: 2 with 10 features"
    seed = run_cli("seed", "demo", database_url=demo_url)
    assert seed.stdout.strip() == "demo data already present"


def test_migrations_check_agrees() -> None:
    result = run_cli("migrations", "check")
    assert (result.returncode, result.stdout.strip()) == (0, "models and migrations agree")


def test_schema_export_writes_the_sdl(tmp_path: Path) -> None:
    target = tmp_path / "schema.graphql"
    result = run_cli("schema", "export", "--output", str(target))
    assert result.returncode == 0, result.stderr
    assert "type Viewer" in target.read_text()
