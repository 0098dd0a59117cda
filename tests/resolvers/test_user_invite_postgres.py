"""`userInvite` under concurrency, on PostgreSQL through the HTTP app: the same new person
invited into two accounts at once is created once and joins both."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from models import AuditEvent, Membership, OutboxMessage, User
from models.enums import Role
from schema.ids import to_global_id
from tests.support import factories
from tests.support.graphql import data

pytestmark = pytest.mark.postgres

INVITE = """mutation($input: UserInviteInput!) { userInvite(input: $input) {
  user { email role } userErrors { code } } }"""
ROUNDS = 4


async def test_one_new_person_invited_into_two_accounts_at_once_is_created_once(
    pg_empty_api: httpx.AsyncClient,
) -> None:
    # Given Acme and Globex, each with its primary admin
    teams = []
    for name in ("Acme", "Globex"):
        account = await factories.account(name=name)
        admin = await factories.user(name=f"Admin of {name}")
        await factories.member(account, admin, role=Role.PRIMARY_ADMIN)
        teams.append((account, await factories.token(account, admin)))
    for n in range(ROUNDS):
        email = f"hugo{n}@example.org"
        # When both admins invite the same new person at the same time
        answers = await asyncio.gather(
            *(
                data(
                    pg_empty_api,
                    token,
                    INVITE,
                    input={
                        "accountId": to_global_id("Account", account.id),
                        "email": email,
                        "name": "Hugo",
                    },
                )
                for account, token in teams
            )
        )
        # Then both invitations go through, for one person, a member of both accounts
        assert [a["userInvite"] for a in answers] == [
            {"user": {"email": email, "role": "USER"}, "userErrors": []}
        ] * 2
        person = await User.get(email=email)
        assert await Membership.filter(user_id=person.id).count() == 2
        assert await OutboxMessage.filter(recipient=email).count() == 2
        created = await AuditEvent.filter(action="member.invited", subject_type="User").all()
        mine = [e.data["created_person"] for e in created if e.data["email"] == email]
        assert sorted(mine) == [False, True]
