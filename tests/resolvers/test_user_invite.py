"""`userInvite` over real HTTP: a new person, a known person, the invitation email in the
invitee's language, the audit event, refusals that write nothing, who may invite, and
idempotency."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from models import AuditEvent, Membership, OutboxMessage, User
from schema.ids import to_global_id
from tests.resolvers.members_world import (
    REQUEST_ID,
    USER_FIELDS,
    World,
    call,
    roles,
    row_counts,
)

INVITE = f"""
mutation Invite($input: UserInviteInput!) {{
  userInvite(input: $input) {{ {USER_FIELDS} userErrors {{ code message field }} }}
}}"""


async def _invite(api: httpx.AsyncClient, token: str, **input: Any) -> dict[str, Any]:
    return await call(api, token, INVITE, "userInvite", input)


async def test_inviting_a_new_person_creates_them_and_emails_the_invitation(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given Acme and its primary admin Alice
    world = await World().build()
    # When Alice invites Hugo (email in mixed case, name with spaces around) in French
    result = await _invite(
        api_at_now,
        world.alice_token,
        accountId=world.acme_id,
        email="  Hugo.Bernard@ACME.example ",
        name=" Hugo Bernard ",
        locale="fr",
    )
    # Then Hugo is a new person (email lower-cased, name trimmed) and a USER of Acme
    hugo = await User.get(email="hugo.bernard@acme.example")
    assert (hugo.name, hugo.locale) == ("Hugo Bernard", "fr")
    membership = await Membership.get(account_id=world.acme.id, user_id=hugo.id)
    assert result == {
        "user": {
            "id": to_global_id("User", membership.id),
            "name": "Hugo Bernard",
            "email": "hugo.bernard@acme.example",
            "locale": "fr",
            "role": "USER",
            "accountName": "Acme",
        },
        "userErrors": [],
    }
    # And the invitation waits in the outbox, in French, with its documented context
    emails = await OutboxMessage.all().values_list("name", "recipient", "payload", "dedupe_key")
    assert emails == [
        (
            "user_invited",
            "hugo.bernard@acme.example",
            {
                "invitee_name": "Hugo Bernard",
                "account_name": "Acme",
                "role": "USER",
                "invited_by_name": "Alice",
                "invited_by_email": "alice@acme.example",
                "locale": "fr",
            },
            f"user_invited:{membership.id}",
        )
    ]
    # And one audit event says who did what, with the counts before and after
    events = await AuditEvent.all().values(
        "account_id", "actor", "action", "subject_type", "subject_id", "data"
    )
    assert events == [
        {
            "account_id": world.acme.id,
            "actor": f"user:{world.alice.id}",
            "action": "member.invited",
            "subject_type": "User",
            "subject_id": str(membership.id),
            "data": {
                "user_id": str(hugo.id),
                "counts_before": {
                    "members": 3,
                    "admins": 2,
                    "primary_admins": 1,
                    "active_seats": 3,
                },
                "counts_after": {
                    "members": 4,
                    "admins": 2,
                    "primary_admins": 1,
                    "active_seats": 3,
                },
                "request_id": REQUEST_ID,
                "role": "USER",
                "created_person": True,
                "email": "hugo.bernard@acme.example",
            },
        }
    ]


async def test_inviting_a_known_person_keeps_their_name_and_language(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given Mia, a French-speaking person seatwise knows (Globex's admin)
    world = await World().build()
    people = await User.all().count()
    # When Bruno, a secondary admin, invites her into Acme as a secondary admin, under
    # another name and language
    result = await _invite(
        api_at_now,
        world.bruno_token,
        accountId=world.acme_id,
        email="MIA@globex.example",
        name="Mia Someone Else",
        locale="en",
        role="SECONDARY_ADMIN",
    )
    # Then she joins Acme as herself: no new person, her name and language kept
    assert result["userErrors"] == []
    assert result["user"]["name"] == "Mia"
    assert result["user"]["role"] == "SECONDARY_ADMIN"
    assert await User.all().count() == people
    assert await roles(world.acme) == {
        "alice@acme.example": "PRIMARY_ADMIN",
        "bruno@acme.example": "SECONDARY_ADMIN",
        "chloe@acme.example": "USER",
        "mia@globex.example": "SECONDARY_ADMIN",
    }
    # And the invitation is in her language (French), from Bruno
    payload = (await OutboxMessage.get(recipient="mia@globex.example")).payload
    assert (payload["locale"], payload["invited_by_name"], payload["role"]) == (
        "fr",
        "Bruno",
        "SECONDARY_ADMIN",
    )
    event = await AuditEvent.get(action="member.invited")
    assert event.data["created_person"] is False


UNKNOWN = uuid.UUID(int=1)
LONG_LOCAL = "a" * 65 + "@acme.example"
LONG_EMAIL = "a@" + "b" * 245 + ".example"  # 255 characters


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"email": "hugo.acme.example"}, "INVALID_INPUT", ["input", "email"]),
        ({"email": "hugo@acme"}, "INVALID_INPUT", ["input", "email"]),
        ({"email": "hugo bernard@acme.example"}, "INVALID_INPUT", ["input", "email"]),
        ({"email": "hugo@@acme.example"}, "INVALID_INPUT", ["input", "email"]),
        ({"email": "hugo@acme..example"}, "INVALID_INPUT", ["input", "email"]),
        ({"email": "hugo\u0000@acme.example"}, "INVALID_INPUT", ["input", "email"]),
        ({"email": "   "}, "INVALID_INPUT", ["input", "email"]),
        ({"email": LONG_LOCAL}, "INVALID_INPUT", ["input", "email"]),
        ({"email": LONG_EMAIL}, "INVALID_INPUT", ["input", "email"]),
        ({"name": "   "}, "INVALID_INPUT", ["input", "name"]),
        ({"name": "H" * 201}, "INVALID_INPUT", ["input", "name"]),
        ({"name": "Hugo\nBernard"}, "INVALID_INPUT", ["input", "name"]),
        ({"locale": "de"}, "INVALID_INPUT", ["input", "locale"]),
        ({"role": "PRIMARY_ADMIN"}, "INVALID_INPUT", ["input", "role"]),
        ({"email": "Chloe@ACME.example"}, "ALREADY_A_MEMBER", ["input", "email"]),
        ({"accountId": "garbage"}, "NOT_FOUND", ["input", "accountId"]),
        ({"accountId": to_global_id("Account", UNKNOWN)}, "NOT_FOUND", ["input", "accountId"]),
        ({"idempotencyKey": "k" * 201}, "INVALID_INPUT", ["input", "idempotencyKey"]),
    ],
)
async def test_a_refused_invitation_writes_nothing(
    api_at_now: httpx.AsyncClient, db: str, change: dict[str, Any], code: str, field: list[str]
) -> None:
    # Given Acme
    world = await World().build()
    before = await row_counts()
    # When Alice sends an invitation with one bad value
    body = {"accountId": world.acme_id, "email": "hugo@acme.example", "name": "Hugo", **change}
    result = await _invite(api_at_now, world.alice_token, **body)
    # Then it is refused on that field, and no table changed
    assert result["user"] is None
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [(code, field)]
    assert await row_counts() == before


@pytest.mark.parametrize(
    ("caller", "code"),
    [
        ("plain member", "NOT_FOUND"),
        ("admin of another account", "NOT_FOUND"),
        ("partner", "NOT_ACCOUNT_ADMIN"),
    ],
)
async def test_only_an_admin_of_the_account_invites(
    api_at_now: httpx.AsyncClient, db: str, caller: str, code: str
) -> None:
    # Given Acme, and a caller who is not one of its admins
    world = await World().build()
    before = await row_counts()
    # When they invite Hugo into Acme
    result = await _invite(
        api_at_now,
        world.callers()[caller],
        accountId=world.acme_id,
        email="hugo@acme.example",
        name="Hugo",
    )
    # Then an account they cannot read is NOT_FOUND (as an unknown one), one they read
    # without administering it NOT_ACCOUNT_ADMIN; nothing is written
    assert result == {
        "user": None,
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


async def test_the_same_key_replays_the_invitation_and_another_input_is_refused(
    api_at_now: httpx.AsyncClient, db: str
) -> None:
    # Given an invitation sent with an idempotency key
    world = await World().build()
    body = {
        "accountId": world.acme_id,
        "email": "hugo@acme.example",
        "name": "Hugo",
        "idempotencyKey": "invite-hugo",
    }
    first = await _invite(api_at_now, world.alice_token, **body)
    after_first = await row_counts()
    # When it is sent again, and then the same key with another email
    again = await _invite(api_at_now, world.alice_token, **body)
    other = await _invite(api_at_now, world.alice_token, **{**body, "email": "ines@acme.example"})
    # Then the repeat answers the same member and writes nothing; the other is refused
    assert again == first
    assert await row_counts() == after_first
    assert other["userErrors"] == [
        {
            "code": "IDEMPOTENCY_KEY_REUSED",
            "message": "This idempotency key was used for another request: use a new key.",
            "field": ["input", "idempotencyKey"],
        }
    ]
    assert await OutboxMessage.all().count() == 1
