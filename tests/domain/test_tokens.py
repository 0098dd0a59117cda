from __future__ import annotations

import datetime as dt

import pytest

from domain.errors import DomainError, ErrorCode
from domain.principals import MemberPrincipal, PartnerPrincipal
from domain.tokens import (
    create_member_token,
    create_partner_token,
    hash_token,
    principal_for_token,
)
from models import ApiToken, Membership
from models.enums import Role
from tests.support import factories
from tests.support.graphql import counting_sql

NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)


async def test_a_member_token_acts_as_that_user_inside_that_account(db: str) -> None:
    # Given the primary admin of Acme
    acme = await factories.account(name="Acme Engineering")
    alice = await factories.user(email="alice.martin@acme.example")
    await factories.member(acme, alice, role=Role.PRIMARY_ADMIN)
    # When a token is made for her in Acme (the email is matched case-insensitively)
    issued = await create_member_token(
        email="Alice.Martin@acme.example", account_id=acme.id, prefix="sw_"
    )
    # Then it authenticates as her, scoped to Acme, with her role
    principal = await principal_for_token(issued.token, now=NOW)
    assert principal == MemberPrincipal(user_id=alice.id, roles={acme.id: Role.PRIMARY_ADMIN})


async def test_only_a_digest_of_the_token_is_stored(db: str) -> None:
    acme = await factories.account()
    alice = await factories.user()
    await factories.member(acme, alice)
    issued = await create_member_token(email=alice.email, account_id=acme.id, prefix="sw_")
    record = await ApiToken.get(id=issued.record_id)
    assert record.token_hash == hash_token(issued.token)
    assert issued.token not in str(await ApiToken.filter(id=record.id).values())
    assert record.display_prefix == issued.token[:9]


async def test_a_partner_token_acts_as_the_partner(db: str) -> None:
    northwind = await factories.partner(code="NORTHWIND")
    issued = await create_partner_token(partner_code="NORTHWIND", prefix="sw_")
    assert await principal_for_token(issued.token, now=NOW) == PartnerPrincipal(northwind.id)


async def test_unknown_revoked_and_expired_tokens_are_rejected(db: str) -> None:
    northwind = await factories.partner()
    issued = await create_partner_token(partner_code=northwind.code, prefix="sw_")
    assert await principal_for_token(issued.token, now=NOW) == PartnerPrincipal(northwind.id)
    assert await principal_for_token("sw_not-a-token", now=NOW) is None

    await ApiToken.filter(id=issued.record_id).update(expires_at=NOW)
    assert await principal_for_token(issued.token, now=NOW) is None

    await ApiToken.filter(id=issued.record_id).update(expires_at=None, revoked_at=NOW)
    assert await principal_for_token(issued.token, now=NOW) is None


async def test_a_token_stops_working_when_its_user_leaves_the_account(db: str) -> None:
    # Given a token of Chloé in Acme, that works
    acme = await factories.account()
    chloe = await factories.user()
    await factories.member(acme, chloe)
    issued = await create_member_token(email=chloe.email, account_id=acme.id, prefix="sw_")
    assert await principal_for_token(issued.token, now=NOW) is not None
    # When she leaves Acme
    await Membership.filter(account_id=acme.id, user_id=chloe.id).delete()
    # Then the token no longer authenticates
    assert await principal_for_token(issued.token, now=NOW) is None


async def test_a_token_for_an_account_the_user_is_not_in_is_refused(db: str) -> None:
    # Given Alice, a member of Acme only
    acme, globex = await factories.account(), await factories.account()
    alice = await factories.user()
    await factories.member(acme, alice)
    with pytest.raises(DomainError) as raised:
        await create_member_token(email=alice.email, account_id=globex.id, prefix="sw_")
    assert raised.value.code is ErrorCode.NOT_A_MEMBER
    assert await ApiToken.all().count() == 0


async def test_a_token_for_an_unknown_user_is_refused(db: str) -> None:
    acme = await factories.account()
    with pytest.raises(DomainError) as raised:
        await create_member_token(email="nobody@acme.example", account_id=acme.id, prefix="sw_")
    assert raised.value.code is ErrorCode.NOT_FOUND
    assert raised.value.field == ("email",)


async def test_a_token_reads_the_role_of_its_own_account_in_one_statement(db: str) -> None:
    # Given Dana, primary admin of Acme and a plain member of Globex (also the only member
    # of Globex with a token), and a role change in Globex after the token was made
    acme = await factories.account()
    globex = await factories.account()
    dana = await factories.user()
    await factories.member(acme, dana, role=Role.PRIMARY_ADMIN)
    await factories.member(globex, dana, role=Role.SECONDARY_ADMIN)
    issued = await create_member_token(email=dana.email, account_id=globex.id, prefix="sw_")
    await Membership.filter(account_id=globex.id, user_id=dana.id).update(role=Role.USER)
    # When her Globex token authenticates
    with counting_sql() as statements:
        principal = await principal_for_token(issued.token, now=NOW)
    # Then it carries her current role in Globex only (not Acme's), read with the token in
    # one statement
    assert principal == MemberPrincipal(user_id=dana.id, roles={globex.id: Role.USER})
    assert len(statements) == 1, statements
