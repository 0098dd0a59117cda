"""`memberRoleChange` under concurrency, on PostgreSQL through the HTTP app: the lock on the
account's memberships makes concurrent promotions run one after the other, so the account
always ends with exactly one primary admin."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from models import AuditEvent, Membership
from models.enums import Role
from schema.ids import to_global_id
from tests.support import factories
from tests.support.graphql import data

pytestmark = pytest.mark.postgres

CHANGE = """mutation($input: MemberRoleChangeInput!) { memberRoleChange(input: $input) {
  user { role } userErrors { code } } }"""
ROUNDS = 4


async def test_concurrent_promotions_leave_exactly_one_primary_admin(
    pg_empty_api: httpx.AsyncClient,
) -> None:
    # Given Acme with three admins (Alice primary, Bruno and Eve secondary) and three users
    acme = await factories.account(name="Acme")
    admins = [await factories.user(name=n) for n in ("Alice", "Bruno", "Eve")]
    users = [await factories.user(name=n) for n in ("Chloé", "Dan", "Fay")]
    for person, role in zip(
        admins, (Role.PRIMARY_ADMIN, Role.SECONDARY_ADMIN, Role.SECONDARY_ADMIN), strict=True
    ):
        await factories.member(acme, person, role=role)
    memberships = [await factories.member(acme, person) for person in users]
    tokens = [await factories.token(acme, person) for person in admins]
    account_id = to_global_id("Account", acme.id)
    for _ in range(ROUNDS):
        # When each admin promotes a different user to primary admin at the same time
        answers = await asyncio.gather(
            *(
                data(
                    pg_empty_api,
                    token,
                    CHANGE,
                    input={
                        "accountId": account_id,
                        "userId": to_global_id("User", membership.id),
                        "role": "PRIMARY_ADMIN",
                    },
                )
                for token, membership in zip(tokens, memberships, strict=True)
            )
        )
        # Then every promotion goes through, one after the other (each answer shows the
        # member as read after its commit: a promotion that committed later may already
        # have demoted them to secondary admin)
        assert [a["memberRoleChange"]["userErrors"] for a in answers] == [[]] * 3
        assert {a["memberRoleChange"]["user"]["role"] for a in answers} <= {
            "PRIMARY_ADMIN",
            "SECONDARY_ADMIN",
        }
        # And the account has exactly one primary admin: the last one promoted
        primaries = await Membership.filter(account_id=acme.id, role=Role.PRIMARY_ADMIN).count()
        assert primaries == 1
        # Next round starts as the first: the users back to USER, Alice primary again
        await Membership.filter(account_id=acme.id).update(role=Role.SECONDARY_ADMIN)
        await Membership.filter(id__in=[m.id for m in memberships]).update(role=Role.USER)
        await Membership.filter(account_id=acme.id, user_id=admins[0].id).update(
            role=Role.PRIMARY_ADMIN
        )
    # And every promotion wrote its audit event, whose counts say one primary admin
    events = await AuditEvent.filter(action="member.role_changed").all()
    assert len(events) == 3 * ROUNDS
    assert {
        (e.data["counts_before"]["primary_admins"], e.data["counts_after"]["primary_admins"])
        for e in events
    } == {(1, 1)}
    assert {(e.data["role_before"], e.data["role_after"]) for e in events} == {
        ("USER", "PRIMARY_ADMIN")
    }
