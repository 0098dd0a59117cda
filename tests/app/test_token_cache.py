"""API tokens' principals kept a few seconds per process (app/token_cache.py): a revoked
token, a removed member or a new role honoured once the time is over, a token's own
expiry at once, nothing kept for refused tokens, and no more than `size` tokens kept."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from app.token_cache import TOKEN_CACHE_SIZE, TokenCache
from domain.principals import MemberPrincipal, PartnerPrincipal
from domain.tokens import create_member_token, create_partner_token
from infra.settings import Settings
from models import ApiToken, Membership
from models.enums import Role
from tests.conftest import make_settings
from tests.support import factories
from tests.support.api import served_at
from tests.support.graphql import counting_sql

NOW = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)
LATER = dt.timedelta(seconds=5)
JUST_BEFORE = dt.timedelta(seconds=4.999)


async def _member(role: Role = Role.USER) -> tuple[str, MemberPrincipal]:
    acme = await factories.account()
    chloe = await factories.user()
    await factories.member(acme, chloe, role=role)
    issued = await create_member_token(email=chloe.email, account_id=acme.id, prefix="sw_")
    return issued.token, MemberPrincipal(user_id=chloe.id, roles={acme.id: role})


async def test_a_revoked_token_is_refused_once_its_seconds_are_over(db: str) -> None:
    # Given a member's token read at NOW by a cache of 5 seconds
    cache = TokenCache(5)
    token, principal = await _member()
    assert await cache.principal(token, now=NOW) == principal
    # When it is revoked
    await ApiToken.all().update(revoked_at=NOW)
    # Then it is served from the cache for the rest of the 5 seconds, without a statement
    with counting_sql() as statements:
        assert await cache.principal(token, now=NOW + JUST_BEFORE) == principal
    assert statements == []
    # And refused from then on
    assert await cache.principal(token, now=NOW + LATER) is None
    assert await cache.principal(token, now=NOW + LATER + LATER) is None
    assert len(cache) == 0


async def test_a_new_role_and_a_removal_are_honoured_once_the_seconds_are_over(db: str) -> None:
    # Given an admin's token read at NOW
    cache = TokenCache(5)
    token, principal = await _member(Role.SECONDARY_ADMIN)
    assert await cache.principal(token, now=NOW) == principal
    (account_id,) = principal.roles
    # When she becomes a plain user
    await Membership.all().update(role=Role.USER)
    # Then her new role counts 5 seconds later
    assert await cache.principal(token, now=NOW + JUST_BEFORE) == principal
    demoted = MemberPrincipal(user_id=principal.user_id, roles={account_id: Role.USER})
    assert await cache.principal(token, now=NOW + LATER) == demoted
    # And when she leaves the account, her token is refused 5 seconds after it was re-read
    await Membership.all().delete()
    assert await cache.principal(token, now=NOW + LATER + JUST_BEFORE) == demoted
    assert await cache.principal(token, now=NOW + LATER + LATER) is None


async def test_a_clock_that_went_back_reads_the_token_again(db: str) -> None:
    # Given a token read at NOW, then revoked
    cache = TokenCache(5)
    token, principal = await _member()
    assert await cache.principal(token, now=NOW) == principal
    await ApiToken.all().update(revoked_at=NOW)
    # When the clock reads a second earlier, the cache does not vouch for it
    assert await cache.principal(token, now=NOW - dt.timedelta(seconds=1)) is None


async def test_a_cached_token_expires_on_time(db: str) -> None:
    # Given a partner token that expires 2 seconds after NOW, read at NOW
    cache = TokenCache(5)
    northwind = await factories.partner()
    issued = await create_partner_token(partner_code=northwind.code, prefix="sw_")
    await ApiToken.all().update(expires_at=NOW + dt.timedelta(seconds=2))
    assert await cache.principal(issued.token, now=NOW) == PartnerPrincipal(northwind.id)
    # Then it works until then, and not from then on, although its entry is fresh
    assert await cache.principal(
        issued.token, now=NOW + dt.timedelta(seconds=1.999)
    ) == PartnerPrincipal(northwind.id)
    assert await cache.principal(issued.token, now=NOW + dt.timedelta(seconds=2)) is None


async def test_refused_tokens_are_not_kept(db: str) -> None:
    # Given a cache, and a token that does not exist yet
    cache = TokenCache(5)
    assert await cache.principal("sw_unknown", now=NOW) is None
    assert len(cache) == 0
    # When a token is made just after it was refused, it works at once
    token, principal = await _member()
    await ApiToken.all().update(revoked_at=NOW)
    assert await cache.principal(token, now=NOW) is None
    await ApiToken.all().update(revoked_at=None)
    assert await cache.principal(token, now=NOW) == principal


async def test_the_cache_keeps_at_most_its_size_the_least_recently_used_going(db: str) -> None:
    # Given a cache of two tokens, and three members' tokens
    cache = TokenCache(5, size=2)
    first, second, third = [await _member() for _ in range(3)]
    await cache.principal(first[0], now=NOW)
    await cache.principal(second[0], now=NOW)
    await cache.principal(first[0], now=NOW)  # the first is now the most recently used
    # When a third token is read
    await cache.principal(third[0], now=NOW)
    # Then two are kept: the second, least recently used, is read again, the first is not
    assert len(cache) == 2
    with counting_sql() as statements:
        assert await cache.principal(first[0], now=NOW) == first[1]
    assert statements == []
    with counting_sql() as statements:
        assert await cache.principal(second[0], now=NOW) == second[1]
    assert len(statements) == 1
    assert TOKEN_CACHE_SIZE == 10_000


async def _statements_per_request(settings: Settings) -> list[int]:
    token, _ = await _member()
    counts = []
    async with served_at(settings, NOW) as api:
        for _ in range(2):
            with counting_sql() as statements:
                response = await api.post(
                    "/graphql",
                    json={"query": "{ viewer { user { id } } }"},
                    headers={"Authorization": f"Bearer {token}"},
                )
            assert response.status_code == 200, response.text
            counts.append(len(statements))
    return counts


async def test_the_api_reads_a_token_once_within_its_seconds(db: str) -> None:
    # Given the API with the default setting (5 s), its clock at NOW
    assert Settings.model_fields["token_cache_seconds"].default == 5
    settings = make_settings(db, token_cache_seconds=5)
    # When a token sends two requests
    first, second = await _statements_per_request(settings)
    # Then the second did not read the token again
    assert second == first - 1


async def test_the_setting_at_zero_reads_the_token_on_every_request(db: str) -> None:
    first, second = await _statements_per_request(make_settings(db, token_cache_seconds=0))
    assert second == first


@pytest.mark.parametrize("refused", [-1, 61])
def test_the_setting_stays_within_a_minute(db: str, refused: float) -> None:
    assert make_settings(db, token_cache_seconds=60).token_cache_seconds == 60
    with pytest.raises(ValidationError, match="token_cache_seconds"):
        make_settings(db, token_cache_seconds=refused)
