"""`memberRemove` over real HTTP: the member leaves the account with their seats there
(unassigned, reason ADMIN), nothing else is revoked, the primary admin stays, refusals write
nothing, who may act, idempotency."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from models import ApiToken, AuditEvent, Membership, SeatAssignment, User
from schema.ids import to_global_id
from tests.resolvers.members_world import (
    REQUEST_ID,
    World,
    active_seats,
    call,
    roles,
    row_counts,
    user_id,
)
from tests.support.api import NOW

REMOVE = """
mutation Remove($input: MemberRemoveInput!) {
  memberRemove(input: $input) { removedUserId unassignedSeats userErrors { code message field } }
}"""


async def _remove(api: httpx.AsyncClient, token: str, **input: Any) -> dict[str, Any]:
    return await call(api, token, REMOVE, "memberRemove", input)


async def test_removing_a_member_unassigns_their_seats_in_the_account_only(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given Chloé, a user of Acme with a seat on each of its two contracts, and a user of
    # Globex with a seat there
    world = await World().build()
    tokens = await ApiToken.all().count()
    # When Alice removes her from Acme
    result = await _remove(
        api_at_now, world.alice_token, accountId=world.acme_id, userId=user_id(world.chloe_m)
    )
    # Then she is no member of Acme any more, and her two seats there are unassigned
    assert result == {
        "removedUserId": user_id(world.chloe_m),
        "unassignedSeats": 2,
        "userErrors": [],
    }
    assert await roles(world.acme) == {
        "alice@acme.example": "PRIMARY_ADMIN",
        "bruno@acme.example": "SECONDARY_ADMIN",
    }
    assert await active_seats(world.acd) == ["alice@acme.example"]
    assert await active_seats(world.rvt) == []
    unassigned = (
        await SeatAssignment.filter(user_id=world.chloe.id)
        .exclude(unassigned_at=None)
        .values_list("subscription_id", "unassigned_at", "unassign_reason")
    )
    assert sorted(unassigned, key=lambda row: str(row[0])) == sorted(
        [(world.acd.id, NOW, "ADMIN"), (world.rvt.id, NOW, "ADMIN")],
        key=lambda row: str(row[0]),
    )
    # And nothing else is revoked: she is still a person, a member of Globex with her seat
    # there, and no token was deleted
    assert await User.exists(id=world.chloe.id)
    assert await roles(world.globex) == {
        "chloe@acme.example": "USER",
        "mia@globex.example": "PRIMARY_ADMIN",
    }
    assert await active_seats(world.globex_sub) == ["chloe@acme.example"]
    assert await ApiToken.all().count() == tokens
    # And one audit event records it, with the counts before and after
    events = await AuditEvent.all().values(
        "account_id", "actor", "action", "subject_type", "subject_id", "data"
    )
    assert events == [
        {
            "account_id": world.acme.id,
            "actor": f"user:{world.alice.id}",
            "action": "member.removed",
            "subject_type": "User",
            "subject_id": str(world.chloe_m.id),
            "data": {
                "user_id": str(world.chloe.id),
                "counts_before": {
                    "members": 3,
                    "admins": 2,
                    "primary_admins": 1,
                    "active_seats": 3,
                },
                "counts_after": {
                    "members": 2,
                    "admins": 2,
                    "primary_admins": 1,
                    "active_seats": 1,
                },
                "request_id": REQUEST_ID,
                "role": "USER",
                "unassigned_seats": 2,
            },
        }
    ]


async def test_a_secondary_admin_may_remove_themselves(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given Bruno, a secondary admin of Acme without seats
    world = await World().build()
    # When he removes himself
    result = await _remove(
        api_at_now, world.bruno_token, accountId=world.acme_id, userId=user_id(world.bruno_m)
    )
    # Then he is gone, and no seat moved
    assert result == {
        "removedUserId": user_id(world.bruno_m),
        "unassignedSeats": 0,
        "userErrors": [],
    }
    assert not await Membership.exists(id=world.bruno_m.id)
    assert await SeatAssignment.filter(unassigned_at=None).count() == 4


UNKNOWN = uuid.UUID(int=9)


@pytest.mark.parametrize(
    ("member", "code"),
    [
        ("alice_m", "LAST_PRIMARY_ADMIN"),
        ("mia_m", "NOT_FOUND"),
        ("chloe_at_globex", "NOT_FOUND"),
        ("unknown", "NOT_FOUND"),
        ("garbage", "NOT_FOUND"),
        ("account id", "NOT_FOUND"),
    ],
)
async def test_a_refused_removal_writes_nothing(
    api_at_now: httpx.AsyncClient, db: str, member: str, code: str
) -> None:
    # Given Acme and Globex
    world = await World().build()
    target = {
        "unknown": to_global_id("User", UNKNOWN),
        "garbage": "garbage",
        "account id": to_global_id("Account", world.acme.id),
    }.get(member) or user_id(getattr(world, member, world.alice_m))
    before = await row_counts()
    # When Bruno removes the primary admin, or someone who is not a member of Acme
    result = await _remove(api_at_now, world.bruno_token, accountId=world.acme_id, userId=target)
    # Then it is refused on the member (another account's member looks unknown), and no
    # table changed
    assert result["removedUserId"] is None
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [(code, ["input", "userId"])]
    assert await row_counts() == before
    assert await SeatAssignment.filter(unassigned_at=None).count() == 4


@pytest.mark.parametrize(
    ("caller", "code"),
    [
        ("plain member", "NOT_FOUND"),
        ("admin of another account", "NOT_FOUND"),
        ("partner", "NOT_ACCOUNT_ADMIN"),
    ],
)
async def test_only_an_admin_of_the_account_removes_members(
    api_at_now: httpx.AsyncClient, db: str, caller: str, code: str
) -> None:
    # Given Acme, and a caller who is not one of its admins
    world = await World().build()
    before = await row_counts()
    # When they remove Chloé from Acme
    result = await _remove(
        api_at_now, world.callers()[caller], accountId=world.acme_id, userId=user_id(world.chloe_m)
    )
    # Then it is refused on the account, and nothing is written
    assert result == {
        "removedUserId": None,
        "unassignedSeats": None,
        "userErrors": [
            {
                "code": code,
                "message": "No such account."
                if code == "NOT_FOUND"
                else "Only an admin of the account may do this.",
                "field": ["input", "accountId"],
            }
        ],
    }
    assert await row_counts() == before


async def test_the_same_key_replays_a_removal(api_at_now: httpx.AsyncClient, db: str) -> None:
    # Given Alice removed Chloé with an idempotency key
    world = await World().build()
    body = {
        "accountId": world.acme_id,
        "userId": user_id(world.chloe_m),
        "idempotencyKey": "remove-chloe",
    }
    first = await _remove(api_at_now, world.alice_token, **body)
    after_first = await row_counts()
    # When she sends it again, and then without the key
    again = await _remove(api_at_now, world.alice_token, **body)
    unkeyed = await _remove(
        api_at_now, world.alice_token, accountId=world.acme_id, userId=user_id(world.chloe_m)
    )
    # Then the repeat answers the first removal and writes nothing; without the key, the
    # member is gone
    assert (
        again
        == first
        == {
            "removedUserId": user_id(world.chloe_m),
            "unassignedSeats": 2,
            "userErrors": [],
        }
    )
    assert [e["code"] for e in unkeyed["userErrors"]] == ["NOT_FOUND"]
    assert await row_counts() == after_first
