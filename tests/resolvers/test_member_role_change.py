"""`memberRoleChange` over real HTTP: promotions keep exactly one primary admin, the primary
admin is never demoted directly, refusals write nothing, who may act, idempotency."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from models import AuditEvent
from schema.ids import to_global_id
from tests.resolvers.members_world import (
    REQUEST_ID,
    USER_FIELDS,
    World,
    call,
    roles,
    row_counts,
    user_id,
)

CHANGE = f"""
mutation Change($input: MemberRoleChangeInput!) {{
  memberRoleChange(input: $input) {{
    {USER_FIELDS}
    formerPrimaryAdmin {{ id role }}
    userErrors {{ code message field }}
  }}
}}"""

ACME_AS_BUILT = {
    "alice@acme.example": "PRIMARY_ADMIN",
    "bruno@acme.example": "SECONDARY_ADMIN",
    "chloe@acme.example": "USER",
}


async def _change(api: httpx.AsyncClient, token: str, **input: Any) -> dict[str, Any]:
    return await call(api, token, CHANGE, "memberRoleChange", input)


async def test_promoting_a_member_to_primary_demotes_the_former_primary(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given Acme, with Alice its primary admin and Chloé a plain user
    world = await World().build()
    # When Alice promotes Chloé to primary admin
    result = await _change(
        api_at_now,
        world.alice_token,
        accountId=world.acme_id,
        userId=user_id(world.chloe_m),
        role="PRIMARY_ADMIN",
    )
    # Then Chloé is the primary admin and Alice a secondary one
    assert result == {
        "user": {
            "id": user_id(world.chloe_m),
            "name": "Chloé",
            "email": "chloe@acme.example",
            "locale": "en",
            "role": "PRIMARY_ADMIN",
            "accountName": "Acme",
        },
        "formerPrimaryAdmin": {"id": user_id(world.alice_m), "role": "SECONDARY_ADMIN"},
        "userErrors": [],
    }
    assert await roles(world.acme) == {
        "alice@acme.example": "SECONDARY_ADMIN",
        "bruno@acme.example": "SECONDARY_ADMIN",
        "chloe@acme.example": "PRIMARY_ADMIN",
    }
    # And Globex, where Chloé is a user too, is untouched
    assert await roles(world.globex) == {
        "chloe@acme.example": "USER",
        "mia@globex.example": "PRIMARY_ADMIN",
    }
    # And one audit event records the change and the demotion, counts before and after
    events = await AuditEvent.all().values(
        "account_id", "actor", "action", "subject_type", "subject_id", "data"
    )
    assert events == [
        {
            "account_id": world.acme.id,
            "actor": f"user:{world.alice.id}",
            "action": "member.role_changed",
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
                    "members": 3,
                    "admins": 3,
                    "primary_admins": 1,
                    "active_seats": 3,
                },
                "request_id": REQUEST_ID,
                "role_before": "USER",
                "role_after": "PRIMARY_ADMIN",
                "demoted_member_id": str(world.alice_m.id),
            },
        }
    ]


@pytest.mark.parametrize(
    ("member", "role", "expected"),
    [
        ("chloe_m", "SECONDARY_ADMIN", {"chloe@acme.example": "SECONDARY_ADMIN"}),
        ("bruno_m", "USER", {"bruno@acme.example": "USER"}),
        (
            "bruno_m",
            "PRIMARY_ADMIN",
            {"alice@acme.example": "SECONDARY_ADMIN", "bruno@acme.example": "PRIMARY_ADMIN"},
        ),
    ],
)
async def test_a_secondary_admin_changes_roles_too(
    api_at_now: httpx.AsyncClient, db: str, member: str, role: str, expected: dict[str, str]
) -> None:
    # Given Acme as built
    world = await World().build()
    # When Bruno, a secondary admin, gives a member another role
    result = await _change(
        api_at_now,
        world.bruno_token,
        accountId=world.acme_id,
        userId=user_id(getattr(world, member)),
        role=role,
    )
    # Then exactly that member's role changes (and the former primary's, on a promotion)
    assert result["userErrors"] == []
    assert result["user"]["role"] == role
    assert await roles(world.acme) == {**ACME_AS_BUILT, **expected}
    assert await AuditEvent.filter(action="member.role_changed").count() == 1


async def test_asking_for_the_current_role_changes_nothing(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given Acme, Alice its primary admin
    world = await World().build()
    before = await row_counts()
    # When Alice asks for Chloé to be a user, and herself to be primary, as they are
    for member, role in (("chloe_m", "USER"), ("alice_m", "PRIMARY_ADMIN")):
        result = await _change(
            api_at_now,
            world.alice_token,
            accountId=world.acme_id,
            userId=user_id(getattr(world, member)),
            role=role,
        )
        # Then the answer is the member as they are, and nothing is written (no audit event)
        assert (result["user"]["role"], result["formerPrimaryAdmin"], result["userErrors"]) == (
            role,
            None,
            [],
        )
    assert await row_counts() == before


UNKNOWN = uuid.UUID(int=7)


@pytest.mark.parametrize(
    ("member", "role", "code", "field"),
    [
        ("alice_m", "SECONDARY_ADMIN", "LAST_PRIMARY_ADMIN", ["input", "role"]),
        ("alice_m", "USER", "LAST_PRIMARY_ADMIN", ["input", "role"]),
        ("mia_m", "USER", "NOT_FOUND", ["input", "userId"]),
        ("chloe_at_globex", "SECONDARY_ADMIN", "NOT_FOUND", ["input", "userId"]),
        ("unknown", "USER", "NOT_FOUND", ["input", "userId"]),
        ("garbage", "USER", "NOT_FOUND", ["input", "userId"]),
        ("account id", "USER", "NOT_FOUND", ["input", "userId"]),
    ],
)
async def test_a_refused_role_change_writes_nothing(
    api_at_now: httpx.AsyncClient, db: str, member: str, role: str, code: str, field: list[str]
) -> None:
    # Given Acme and Globex
    world = await World().build()
    target = {
        "unknown": to_global_id("User", UNKNOWN),
        "garbage": "garbage",
        "account id": to_global_id("Account", world.acme.id),
    }.get(member) or user_id(getattr(world, member, world.alice_m))
    before = await row_counts()
    # When Alice demotes herself, or names someone who is not a member of Acme
    result = await _change(
        api_at_now, world.alice_token, accountId=world.acme_id, userId=target, role=role
    )
    # Then it is refused on that field (another account's member looks unknown), and no
    # table changed
    assert result["user"] is None
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [(code, field)]
    assert await row_counts() == before
    assert await roles(world.acme) == ACME_AS_BUILT


@pytest.mark.parametrize(
    ("caller", "code"),
    [
        ("plain member", "NOT_FOUND"),
        ("admin of another account", "NOT_FOUND"),
        ("partner", "NOT_ACCOUNT_ADMIN"),
    ],
)
async def test_only_an_admin_of_the_account_changes_roles(
    api_at_now: httpx.AsyncClient, db: str, caller: str, code: str
) -> None:
    # Given Acme, and a caller who is not one of its admins
    world = await World().build()
    before = await row_counts()
    # When they promote Chloé to primary admin of Acme
    result = await _change(
        api_at_now,
        world.callers()[caller],
        accountId=world.acme_id,
        userId=user_id(world.chloe_m),
        role="PRIMARY_ADMIN",
    )
    # Then it is refused on the account, and nothing is written
    assert result["userErrors"] == [
        {
            "code": code,
            "message": "No such account."
            if code == "NOT_FOUND"
            else "Only an admin of the account may do this.",
            "field": ["input", "accountId"],
        }
    ]
    assert await row_counts() == before


async def test_the_same_key_replays_a_promotion(api_at_now: httpx.AsyncClient, db: str) -> None:
    # Given Alice promoted Chloé with an idempotency key
    world = await World().build()
    body = {
        "accountId": world.acme_id,
        "userId": user_id(world.chloe_m),
        "role": "PRIMARY_ADMIN",
        "idempotencyKey": "promote-chloe",
    }
    first = await _change(api_at_now, world.alice_token, **body)
    after_first = await row_counts()
    # When she sends it again
    again = await _change(api_at_now, world.alice_token, **body)
    # Then the same answer comes back and nothing more is written
    assert again == first
    assert await row_counts() == after_first
    assert await AuditEvent.filter(action="member.role_changed").count() == 1
