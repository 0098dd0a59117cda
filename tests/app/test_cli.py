"""`python -m app ...` as people run it: in a subprocess, from the repository root."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tortoise import Tortoise

from models import Membership, OutboxMessage, SeatAssignment, User
from models.enums import Role, SubscriptionStatus
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
        ["users", "import"],
        ["outbox", "retry"],
        ["mail", "list"],
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


# users import -------------------------------------------------------------------------

IMPORT_CSV = (
    "\ufeffFirst name,Last_Name,E-mail,Language,Product codes\n"
    "Anna,Berg,Anna.Berg@acme.example,fr,ACD;civ3d\n"
    "Bob,Stone,bob.stone@acme.example,,ACD\n"
    "Carl,Diaz,carl.diaz@acme.example,,ACD\n"
    "Anna,Berg,anna.berg@acme.example,,\n"
    "Dora,Eng,dora at acme.example,,\n"
    ",Fox,fox@acme.example,,\n"
    "Gus,Hall,gus.hall@acme.example,en,RVT\n"
    "Ida,Jones,ida.jones@acme.example,,\n"
)

IMPORT_REPORT = [
    "row 2: created anna.berg@acme.example, assigned ACD CIV3D",
    "row 3: already a member bob.stone@acme.example",
    "row 4: refused carl.diaz@acme.example: no free seat on the account's ACD subscriptions",
    "row 5: refused anna.berg@acme.example: the same email as row 2",
    "row 6: refused dora at acme.example: Not an email address (name@domain.example, at most "
    "254 characters).",
    "row 7: refused fox@acme.example: First and last name: a name has 1 to 200 characters, "
    "without control characters.",
    "row 8: refused gus.hall@acme.example: the account has no active subscription of RVT",
    "row 9: created ida.jones@acme.example",
]


@pytest.fixture
async def import_url(principals_url: str) -> str:
    """Acme Engineering (Alice, primary admin) with Bob Stone, a member holding one of the
    2 seats of its active AutoCAD subscription, an active Civil 3D subscription with 5
    seats, and an expired Revit one: what the import file is run against."""
    acme = await Membership.get(user__email="alice.martin@acme.example").prefetch_related("account")
    account = acme.account
    bob = await factories.user(email="bob.stone@acme.example", name="Bob Stone")
    await factories.member(account, bob)
    online = await factories.contract(account)
    acd = await factories.subscription(online, "ACD", seats=2)
    await factories.assign(acd, bob)
    await factories.subscription(online, "CIV3D", seats=5)
    await factories.subscription(online, "RVT", status=SubscriptionStatus.EXPIRED)
    return principals_url


async def _row_counts() -> dict[str, int]:
    """The number of rows of every table."""
    models = [model for app in Tortoise.apps.values() for model in app.values()]
    counts = {model._meta.db_table: await model.all().count() for model in models}
    assert len(counts) > 10
    return counts


async def test_users_import_reports_each_row_and_imports_the_good_ones(
    import_url: str, tmp_path: Path
) -> None:
    # Given a file with good, duplicate and broken rows
    file = tmp_path / "people.csv"
    file.write_text(IMPORT_CSV, encoding="utf-8")
    # When it is imported into Acme Engineering (by name)
    result = await run_cli_on(
        import_url, "users", "import", "--account", "Acme Engineering", str(file)
    )
    # Then each row has its line (no progress bar: stdout is not a terminal), then the
    # totals, and the exit status says rows were refused
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        *IMPORT_REPORT,
        "2 created, 1 already a member, 2 seats assigned, 5 refused",
    ]
    assert result.returncode == 1
    # And exactly the good rows are in the database, with their seats
    members = await Membership.filter(account__name="Acme Engineering").values_list(
        "user__email", "user__name", "user__locale", "role"
    )
    assert sorted(members) == [
        ("alice.martin@acme.example", "Alice Martin", "en", Role.PRIMARY_ADMIN),
        ("anna.berg@acme.example", "Anna Berg", "fr", Role.USER),
        ("bob.stone@acme.example", "Bob Stone", "en", Role.USER),
        ("ida.jones@acme.example", "Ida Jones", "en", Role.USER),
    ]
    seats = await SeatAssignment.filter(unassigned_at=None).values_list(
        "subscription__product__code", "user__email"
    )
    assert sorted(seats) == [
        ("ACD", "anna.berg@acme.example"),
        ("ACD", "bob.stone@acme.example"),
        ("CIV3D", "anna.berg@acme.example"),
    ]
    assert not await User.filter(
        email__in=["carl.diaz@acme.example", "fox@acme.example", "gus.hall@acme.example"]
    ).exists()
    # And Anna and Ida are invited (Anna in French), Anna told of AutoCAD and Civil 3D
    emails = await OutboxMessage.all().values_list("recipient", "name", "payload")
    assert sorted((r, n, p["locale"], p.get("products")) for r, n, p in emails) == [
        ("anna.berg@acme.example", "ready_to_download", "fr", ["AutoCAD"]),
        ("anna.berg@acme.example", "ready_to_download", "fr", ["Civil 3D"]),
        ("anna.berg@acme.example", "user_invited", "fr", None),
        ("ida.jones@acme.example", "user_invited", "en", None),
    ]


async def test_users_import_dry_run_writes_nothing(import_url: str, tmp_path: Path) -> None:
    # Given the same file, and the row count of every table
    file = tmp_path / "people.csv"
    file.write_text(IMPORT_CSV, encoding="utf-8")
    before = await _row_counts()
    account_id = str((await Membership.get(user__email="bob.stone@acme.example")).account_id)
    # When it is imported as a dry run (the account given by id)
    result = await run_cli_on(
        import_url, "users", "import", "--dry-run", "--account", account_id, str(file)
    )
    # Then the report is the real import's, and not one row of any table changed
    assert result.stdout.splitlines() == [
        *IMPORT_REPORT,
        "2 created, 1 already a member, 2 seats assigned, 5 refused (dry run: nothing written)",
    ]
    assert result.returncode == 1
    assert await _row_counts() == before


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (
            b"Name,Email\nAnna Berg,anna@acme.example\n",
            "the header row has no column first name, last name",
        ),
        (b"first name,last name,email\nAnn\xe9,B,a@b.example\n", "the file is not UTF-8 (line 2)"),
    ],
)
async def test_users_import_refuses_an_unusable_file_in_one_line(
    import_url: str, tmp_path: Path, content: bytes, error: str
) -> None:
    # Given a file without the needed columns, or not in UTF-8
    file = tmp_path / "people.csv"
    file.write_bytes(content)
    # When it is imported, then one line says why, and nothing is done
    result = await run_cli_on(
        import_url, "users", "import", "--account", "Acme Engineering", str(file)
    )
    assert (result.returncode, result.stdout, result.stderr) == (
        1,
        "",
        f"error: {file}: {error}\n",
    )
