"""`usersImport` on PostgreSQL through the HTTP app: imports racing with `seatAssign` for
the last seats never overfill the subscription, and a dry run (savepoints inside one
rolled-back transaction) writes nothing."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from models import Membership, SeatAssignment
from schema.ids import to_global_id
from tests.resolvers.members_world import row_counts
from tests.support import factories
from tests.support.graphql import data

pytestmark = pytest.mark.postgres

IMPORT = """mutation($input: UsersImportInput!) { usersImport(input: $input) {
  seatsAssigned refused rows { outcome error { code } } userErrors { code } } }"""
ASSIGN = """mutation($input: SeatAssignInput!) { seatAssign(input: $input) {
  assignments { id } userErrors { code } } }"""


async def test_imports_racing_assignments_for_5_free_seats_take_exactly_5(
    pg_empty_api: httpx.AsyncClient,
) -> None:
    # Given an AutoCAD subscription with 5 free seats and 10 members without one
    team = await factories.team()
    sub = await factories.subscription(await factories.contract(team.account), "ACD", seats=5)
    members = [await factories.member(team.account, await factories.user()) for _ in range(10)]
    account_id = to_global_id("Account", team.account.id)
    imports = [
        data(
            pg_empty_api,
            team.admin_token,
            IMPORT,
            input={
                "accountId": account_id,
                "rows": [
                    {
                        "firstName": "New",
                        "lastName": str(n),
                        "email": f"new{n}@example.org",
                        "productCodes": ["ACD"],
                    }
                ],
            },
        )
        for n in range(10)
    ]
    assigns = [
        data(
            pg_empty_api,
            team.admin_token,
            ASSIGN,
            input={
                "subscriptionId": to_global_id("ProductSubscription", sub.id),
                "userIds": [to_global_id("User", m.id)],
            },
        )
        for m in members
    ]
    # When 10 one-row imports and 10 one-user assignments arrive at once
    results = await asyncio.gather(
        *(x for pair in zip(imports, assigns, strict=True) for x in pair)
    )
    # Then exactly 5 seats were taken, the rest refused for want of seats
    imported = [r["usersImport"] for r in results if "usersImport" in r]
    assigned = [r["seatAssign"] for r in results if "seatAssign" in r]
    taken = sum(i["seatsAssigned"] for i in imported) + sum(len(a["assignments"]) for a in assigned)
    assert taken == 5
    assert await SeatAssignment.filter(subscription_id=sub.id, unassigned_at=None).count() == 5
    refusals = [row["error"]["code"] for i in imported for row in i["rows"] if row["error"]]
    refusals += [e["code"] for a in assigned for e in a["userErrors"]]
    assert refusals == ["SEAT_LIMIT_REACHED"] * 15
    # And a refused import row wrote no member (the row is whole or nothing)
    refused_rows = sum(i["refused"] for i in imported)
    assert await Membership.filter(account_id=team.account.id).count() == 1 + 10 + (
        10 - refused_rows
    )


async def test_a_dry_run_on_postgresql_writes_nothing(pg_empty_api: httpx.AsyncClient) -> None:
    # Given an account with a 1-seat subscription, and the row count of every table
    team = await factories.team()
    await factories.subscription(await factories.contract(team.account), "ACD", seats=1)
    before = await row_counts()
    rows = [
        {"firstName": "A", "lastName": "B", "email": f"p{n}@example.org", "productCodes": ["ACD"]}
        for n in range(3)
    ]
    # When three people wanting the one seat are imported as a dry run
    result = await data(
        pg_empty_api,
        team.admin_token,
        IMPORT,
        input={"accountId": to_global_id("Account", team.account.id), "rows": rows, "dryRun": True},
    )
    # Then the first would take it and the others be refused, and nothing is written
    assert [r["outcome"] for r in result["usersImport"]["rows"]] == [
        "CREATED",
        "REFUSED",
        "REFUSED",
    ]
    assert await row_counts() == before
