"""`usersImport` over real HTTP: a result per row (created, already a member, refused with
its code and field), the rows' seats, emails and audit events, a dry run that writes
nothing, whole-call refusals that write nothing, and who may import."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
import pytest

from domain.errors import DomainError, ErrorCode
from domain.user_import import Actor, RawRow, check_rows, run_import
from models import AuditEvent, Membership, OutboxMessage, SeatAssignment, User
from schema.ids import to_global_id
from tests.resolvers.members_world import REQUEST_ID, World, active_seats, call, row_counts
from tests.support.api import NOW

IMPORT = """
mutation Import($input: UsersImportInput!) {
  usersImport(input: $input) {
    dryRun created alreadyMembers seatsAssigned refused
    rows {
      index email outcome assignedProductCodes
      user { id email role }
      error { code message field }
    }
    userErrors { code message field }
  }
}"""


def _row(
    first: str, last: str, email: str, *codes: str, locale: str | None = None
) -> dict[str, Any]:
    row: dict[str, Any] = {"firstName": first, "lastName": last, "email": email}
    if codes:
        row["productCodes"] = list(codes)
    if locale is not None:
        row["locale"] = locale
    return row


# Acme's AutoCAD subscription has 3 seats, Alice and Chloé hold two: one is free.
ROWS = [
    _row("Hugo", "Bernard", "Hugo.Bernard@acme.example", "acd", locale="fr"),
    _row("Chloé", "Durand", "chloe@acme.example", "ACD", "RVT"),
    _row("Mia", "Rossi", "mia@globex.example"),
    _row("Ivan", "Petrov", "ivan@acme.example", "ACD"),
    _row("Hugo", "Again", "hugo.bernard@acme.example"),
    _row("Nora", "Lind", "nora at acme.example"),
    _row("Otto", "Berg", "otto@acme.example", "MAYA"),
    _row("Pia", "", "pia@acme.example"),
]


def _refused(index: int, email: str, code: str, message: str, field: str) -> dict[str, Any]:
    return {
        "index": index,
        "email": email,
        "outcome": "REFUSED",
        "assignedProductCodes": [],
        "user": None,
        "error": {"code": code, "message": message, "field": ["input", "rows", str(index), field]},
    }


REFUSED_ROWS = [
    _refused(
        3,
        "ivan@acme.example",
        "SEAT_LIMIT_REACHED",
        "no free seat on the account's ACD subscriptions",
        "productCodes",
    ),
    _refused(4, "hugo.bernard@acme.example", "DUPLICATE_ROW", "the same email as row 0", "email"),
    _refused(
        5,
        "nora at acme.example",
        "INVALID_INPUT",
        "Not an email address (name@domain.example, at most 254 characters).",
        "email",
    ),
    _refused(
        6,
        "otto@acme.example",
        "NO_ACTIVE_SUBSCRIPTION",
        "the account has no active subscription of MAYA",
        "productCodes",
    ),
    _refused(
        7,
        "pia@acme.example",
        "INVALID_INPUT",
        "First and last name: a name has 1 to 200 characters, without control characters.",
        "lastName",
    ),
]


async def _import(api: httpx.AsyncClient, token: str, **input: Any) -> dict[str, Any]:
    return await call(api, token, IMPORT, "usersImport", input)


async def test_each_row_is_imported_or_refused_with_its_reason(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given Acme (one free AutoCAD seat) and Mia, a person seatwise knows from Globex
    world = await World().build()
    # When Alice imports a new person wanting AutoCAD, Chloé (a member holding AutoCAD and
    # Revit), Mia, a second new person wanting AutoCAD, and four broken rows
    result = await _import(api_at_now, world.alice_token, accountId=world.acme_id, rows=ROWS)
    # Then Hugo and Mia are new members, Chloé already one (her seats kept), Hugo took the
    # last AutoCAD seat, and each broken row says why and where
    hugo = await Membership.get(account_id=world.acme.id, user__email="hugo.bernard@acme.example")
    mia = await Membership.get(account_id=world.acme.id, user_id=world.mia.id)
    assert result == {
        "dryRun": False,
        "created": 2,
        "alreadyMembers": 1,
        "seatsAssigned": 1,
        "refused": 5,
        "rows": [
            {
                "index": 0,
                "email": "hugo.bernard@acme.example",
                "outcome": "CREATED",
                "assignedProductCodes": ["ACD"],
                "user": {
                    "id": to_global_id("User", hugo.id),
                    "email": "hugo.bernard@acme.example",
                    "role": "USER",
                },
                "error": None,
            },
            {
                "index": 1,
                "email": "chloe@acme.example",
                "outcome": "ALREADY_A_MEMBER",
                "assignedProductCodes": [],
                "user": {
                    "id": to_global_id("User", world.chloe_m.id),
                    "email": "chloe@acme.example",
                    "role": "USER",
                },
                "error": None,
            },
            {
                "index": 2,
                "email": "mia@globex.example",
                "outcome": "CREATED",
                "assignedProductCodes": [],
                "user": {
                    "id": to_global_id("User", mia.id),
                    "email": "mia@globex.example",
                    "role": "USER",
                },
                "error": None,
            },
            *REFUSED_ROWS,
        ],
        "userErrors": [],
    }
    # And Hugo is a French-speaking person named from the row; Mia keeps her own name
    assert await User.filter(email="hugo.bernard@acme.example").values_list("name", "locale") == [
        ("Hugo Bernard", "fr")
    ]
    assert (await User.get(id=world.mia.id)).name == "Mia"
    assert not await User.filter(email__in=["ivan@acme.example", "otto@acme.example"]).exists()
    assert await active_seats(world.acd) == [
        "alice@acme.example",
        "chloe@acme.example",
        "hugo.bernard@acme.example",
    ]
    # And Hugo and Mia are invited by Alice, Hugo told of AutoCAD in French
    emails = await OutboxMessage.all().values_list("name", "recipient", "payload")
    assert sorted(
        (n, r, p["locale"], p.get("products"), p.get("invited_by_name")) for n, r, p in emails
    ) == [
        ("ready_to_download", "hugo.bernard@acme.example", "fr", ["AutoCAD"], None),
        ("user_invited", "hugo.bernard@acme.example", "fr", None, "Alice"),
        ("user_invited", "mia@globex.example", "fr", None, "Alice"),
    ]
    # And they are the account's emails (its emailDeliveries list them)
    assert set(await OutboxMessage.all().values_list("account_id", flat=True)) == {world.acme.id}
    # And each change has its audit event, by Alice, in this request
    events = (
        await AuditEvent.all()
        .order_by("action", "subject_id")
        .values_list("actor", "action", "data")
    )
    assert [(a, act, d["request_id"]) for a, act, d in events] == [
        (f"user:{world.alice.id}", "member.invited", REQUEST_ID),
        (f"user:{world.alice.id}", "member.invited", REQUEST_ID),
        (f"user:{world.alice.id}", "seat.assigned", REQUEST_ID),
    ]
    seat_event = next(d for _, act, d in events if act == "seat.assigned")
    assert (seat_event["assigned_before"], seat_event["assigned_after"]) == (2, 3)
    invited = sorted(
        (
            d["email"],
            d["counts_before"]["members"],
            d["counts_after"]["members"],
            d["created_person"],
        )
        for _, act, d in events
        if act == "member.invited"
    )
    assert invited == [
        ("hugo.bernard@acme.example", 3, 4, True),
        ("mia@globex.example", 4, 5, False),
    ]


async def test_a_dry_run_answers_the_same_and_writes_nothing(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given Acme, and the row count of every table
    world = await World().build()
    before = await row_counts()
    # When Alice imports the same rows as a dry run
    result = await _import(
        api_at_now, world.alice_token, accountId=world.acme_id, rows=ROWS, dryRun=True
    )
    # Then every row is decided as the import would, without members to show, and not one
    # row of any table changed
    assert result["dryRun"] is True
    assert (result["created"], result["alreadyMembers"], result["seatsAssigned"]) == (2, 1, 1)
    assert [(r["outcome"], r["assignedProductCodes"], r["user"]) for r in result["rows"][:3]] == [
        ("CREATED", ["ACD"], None),
        ("ALREADY_A_MEMBER", [], None),
        ("CREATED", [], None),
    ]
    assert result["rows"][3:] == REFUSED_ROWS
    assert await row_counts() == before


async def test_importing_the_same_rows_again_does_nothing_twice(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given rows Alice imported once
    world = await World().build()
    rows = [_row("Hugo", "Bernard", "hugo@acme.example", "ACD")]
    await _import(api_at_now, world.alice_token, accountId=world.acme_id, rows=rows)
    before = await row_counts()
    # When she sends them again
    result = await _import(api_at_now, world.alice_token, accountId=world.acme_id, rows=rows)
    # Then Hugo is already a member holding his seat, and nothing is written
    assert [(r["outcome"], r["assignedProductCodes"]) for r in result["rows"]] == [
        ("ALREADY_A_MEMBER", [])
    ]
    assert await row_counts() == before


@pytest.mark.parametrize(
    ("rows", "message"),
    [(0, "Give 1 to 1000 rows."), (1001, "Give 1 to 1000 rows.")],
)
async def test_too_few_or_too_many_rows_are_refused_whole(
    api_at_now: httpx.AsyncClient, db: str, rows: int, message: str
) -> None:
    # Given Acme
    world = await World().build()
    before = await row_counts()
    # When Alice sends no row, or one too many
    many = [_row("P", str(n), f"p{n}@acme.example") for n in range(rows)]
    result = await _import(api_at_now, world.alice_token, accountId=world.acme_id, rows=many)
    # Then the call is refused on the rows, and nothing is written
    assert (result["rows"], result["userErrors"]) == (
        [],
        [{"code": "INVALID_INPUT", "message": message, "field": ["input", "rows"]}],
    )
    assert await row_counts() == before


@pytest.mark.parametrize(
    ("caller", "code"),
    [
        ("plain member", "NOT_FOUND"),
        ("admin of another account", "NOT_FOUND"),
        ("partner", "NOT_ACCOUNT_ADMIN"),
        ("unknown account", "NOT_FOUND"),
    ],
)
async def test_only_an_admin_of_the_account_imports(
    api_at_now: httpx.AsyncClient, db: str, caller: str, code: str
) -> None:
    # Given Acme, and a caller who is not one of its admins (or an account nobody has)
    world = await World().build()
    token = world.callers().get(caller, world.alice_token)
    account = (
        to_global_id("Account", uuid.UUID("00000000-0000-4000-8000-000000000000"))
        if caller == "unknown account"
        else world.acme_id
    )
    before = await row_counts()
    # When they import a person into it
    result = await _import(
        api_at_now, token, accountId=account, rows=[_row("Hugo", "B", "hugo@acme.example")]
    )
    # Then an account they cannot read is NOT_FOUND (as an unknown one), one they read
    # without administering it NOT_ACCOUNT_ADMIN; nothing is written
    message = (
        "No such account." if code == "NOT_FOUND" else "Only an admin of the account may do this."
    )
    assert (result["rows"], result["userErrors"]) == (
        [],
        [{"code": code, "message": message, "field": ["input", "accountId"]}],
    )
    assert await row_counts() == before


async def test_an_actor_no_longer_admin_when_the_account_is_locked_imports_nothing(
    db: str,
) -> None:
    # Given Chloé, a plain member of Acme (as an admin demoted after the call was
    # authorized finds herself once the account is locked)
    world = await World().build()
    before = await row_counts()
    rows = check_rows([RawRow(0, "Hugo", "B", "hugo@acme.example", "", ())], label=str)
    # When the import runs in her name
    with pytest.raises(DomainError) as refused:
        await run_import(
            world.acme.id,
            rows,
            dry_run=False,
            now=NOW,
            request_id=REQUEST_ID,
            actor=Actor(key=f"user:{world.chloe.id}", user_id=world.chloe.id),
        )
    # Then it is refused under the lock, and nothing is written
    assert refused.value.code is ErrorCode.NOT_ACCOUNT_ADMIN
    assert await row_counts() == before


async def test_rows_past_a_chunk_see_the_rows_before_them(db: str) -> None:
    # Given Acme's one free AutoCAD seat, and more rows than one chunk holds
    world = await World().build()
    rows = check_rows(
        [
            RawRow(n, "P", str(n), f"p{n}@acme.example", "", ("ACD",) if n in (0, 600) else ())
            for n in range(601)
        ],
        label=str,
    )
    # When they are imported from the command line
    report = await run_import(
        world.acme.id, rows, dry_run=False, now=NOW + dt.timedelta(seconds=1), request_id="r"
    )
    # Then the first row takes the seat, and row 600 (in the second chunk) finds none
    assert (report.created, report.seats_assigned, report.refused) == (600, 1, 1)
    assert report.rows[600].code is ErrorCode.SEAT_LIMIT_REACHED
    assert await SeatAssignment.filter(user__email="p0@acme.example").count() == 1


@pytest.mark.parametrize(
    "codes",
    [[f"P{n}" for n in range(21)], ["ACD%"], ["A" * 41]],
    ids=["21 codes", "a wildcard", "41 characters"],
)
async def test_a_row_with_too_many_or_malformed_product_codes_is_refused(
    api_at_now: httpx.AsyncClient, db: str, codes: list[str]
) -> None:
    # Given Acme
    world = await World().build()
    before = await row_counts()
    # When Alice imports a person with 21 product codes, or a code that is no code
    result = await _import(
        api_at_now,
        world.alice_token,
        accountId=world.acme_id,
        rows=[_row("Hugo", "Bernard", "hugo@acme.example", *codes)],
    )
    # Then the row is refused on its product codes, and nothing is written
    assert result["rows"] == [
        _refused(
            0,
            "hugo@acme.example",
            "INVALID_INPUT",
            "At most 20 product codes, each of 1 to 40 letters, digits, dots, hyphens or "
            "underscores.",
            "productCodes",
        )
    ]
    assert await row_counts() == before
