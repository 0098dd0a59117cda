"""Rate limiting over real HTTP and a real Redis: a budget per
authenticated caller, and a budget of failed authentications per client address. The app
reads a clock the tests move, so no test waits for a minute to pass."""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.asgi import create_app
from app.ratelimit import WINDOW_SECONDS, address_key
from infra.net import free_port
from infra.settings import Settings
from tests.support import factories
from tests.support.graphql import counting_sql
from tests.support.services import start_api_server
from tests.support.tokens import bearer

QUERY = {"query": "{ viewer { user { name } } }"}


class FakeClock:
    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


# Every test gets windows of its own, hours from now: the tests share one Redis and the
# address 127.0.0.1, and the counters are kept per window. (Callers are built per test,
# so their budgets could not meet anyway; the address budget could.)
_windows = itertools.count(start=math.floor(time.time() / WINDOW_SECONDS) + 600, step=10)


@pytest.fixture
def clock() -> FakeClock:
    # One second into a window: a refusal says to retry in exactly 59 s.
    return FakeClock(next(_windows) * WINDOW_SECONDS + 1.0)


async def _client(
    settings: Settings, clock: FakeClock, **options: Any
) -> AsyncIterator[httpx.AsyncClient]:
    server = await start_api_server(create_app(settings, manage_database=False, clock=clock))
    async with httpx.AsyncClient(base_url=server.url, timeout=15) as client:
        yield client
    await server.stop()


@pytest.fixture
async def limited(settings_empty: Settings, clock: FakeClock) -> AsyncIterator[httpx.AsyncClient]:
    """3 requests a minute per caller, 3 failed authentications a minute per address."""
    update = {"rate_limit_per_minute": 3, "auth_failures_per_minute": 3}
    async for client in _client(settings_empty.model_copy(update=update), clock):
        yield client


def error_of(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    assert set(body) == {"errors"}
    [error] = body["errors"]
    return response.status_code, error["extensions"]["code"], error["message"]


# Per caller ---------------------------------------------------------------------------


async def test_a_caller_over_its_limit_is_throttled_with_a_retry_time(
    limited: httpx.AsyncClient, admin: factories.Team
) -> None:
    # Given a caller allowed 3 requests a minute
    token = admin.admin_token
    # When it sends 4
    answers = [await limited.post("/graphql", json=QUERY, headers=bearer(token)) for _ in range(4)]
    # Then 3 are served, counting down, and the 4th is refused with THROTTLED
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert answers[3].headers["Retry-After"] == "59"
    assert answers[3].headers["X-RateLimit-Limit"] == "3"
    assert error_of(answers[3]) == (
        429,
        "THROTTLED",
        "more than 3 requests a minute for this user: retry in 59 s",
    )


async def test_the_next_window_restores_the_budget(
    limited: httpx.AsyncClient, clock: FakeClock, admin: factories.Team
) -> None:
    # Given a caller refused for the rest of the minute
    token = admin.admin_token
    for _ in range(4):
        await limited.post("/graphql", json=QUERY, headers=bearer(token))
    clock.advance(58)
    still = await limited.post("/graphql", json=QUERY, headers=bearer(token))
    assert (still.status_code, still.headers["Retry-After"]) == (429, "1")
    # When the next minute starts
    clock.advance(1)
    response = await limited.post("/graphql", json=QUERY, headers=bearer(token))
    # Then it is served again, with a fresh budget
    assert response.status_code == 200
    assert response.headers["X-RateLimit-Remaining"] == "2"


async def test_spellings_of_one_token_share_one_budget(
    limited: httpx.AsyncClient, admin: factories.Team
) -> None:
    # Given one token written four ways (the scheme is case-insensitive; extra spaces)
    token = admin.admin_token
    spellings = [f"Bearer {token}", f"bearer {token}", f"BEARER {token}", f"Bearer   {token}"]
    # When each is sent once
    answers = [
        await limited.post("/graphql", json=QUERY, headers={"Authorization": header})
        for header in spellings
    ]
    # Then they count as one caller: the 4th is over the budget of 3
    assert [a.status_code for a in answers] == [200, 200, 200, 429]


async def test_every_token_of_a_user_shares_one_budget(
    limited: httpx.AsyncClient, admin: factories.Team
) -> None:
    # Given four tokens made for Alice
    tokens = [await factories.token(admin.account, admin.admin) for _ in range(4)]
    # When each is used once
    answers = [await limited.post("/graphql", json=QUERY, headers=bearer(t)) for t in tokens]
    # Then the budget is Alice's, not each token's
    assert [a.status_code for a in answers] == [200, 200, 200, 429]


async def test_another_caller_has_its_own_budget(
    limited: httpx.AsyncClient, admin: factories.Team
) -> None:
    # Given Alice over her budget, and Bruno, another member of her account
    for _ in range(4):
        await limited.post("/graphql", json=QUERY, headers=bearer(admin.admin_token))
    bruno = await factories.user(name="Bruno Leclerc")
    await factories.member(admin.account, bruno)
    other = await factories.token(admin.account, bruno)
    # When Bruno sends a request, then he is served
    response = await limited.post("/graphql", json=QUERY, headers=bearer(other))
    assert response.status_code == 200
    assert response.json() == {"data": {"viewer": {"user": {"name": "Bruno Leclerc"}}}}


async def test_a_partner_over_its_limit_is_named_a_partner(limited: httpx.AsyncClient) -> None:
    # Given a partner allowed 3 requests a minute
    token = await factories.partner_token(await factories.partner())
    # When it sends 4, then the 4th is refused, naming a partner
    answers = [await limited.post("/graphql", json=QUERY, headers=bearer(token)) for _ in range(4)]
    assert error_of(answers[3]) == (
        429,
        "THROTTLED",
        "more than 3 requests a minute for this partner: retry in 59 s",
    )


# Failed authentications per address ---------------------------------------------------

FAILURES = [
    {},
    {"Authorization": "Basic YWxpY2U6cGFzcw=="},
    {"Authorization": "Bearer sw_forged"},
]


async def test_failed_authentications_are_throttled_per_address_before_any_lookup(
    limited: httpx.AsyncClient, admin: factories.Team
) -> None:
    # Given an address that sent no token, a malformed header and a forged token
    answers = [await limited.post("/graphql", json=QUERY, headers=h) for h in FAILURES]
    assert [a.status_code for a in answers] == [401, 401, 401]
    # When it sends another forged token
    with counting_sql() as statements:
        refused = await limited.post("/graphql", json=QUERY, headers=bearer("sw_forged2"))
    # Then it is refused with THROTTLED and a retry time, without a database query
    assert error_of(refused) == (
        429,
        "THROTTLED",
        "more than 3 failed authentications a minute from this address: retry in 59 s",
    )
    assert refused.headers["Retry-After"] == "59"
    assert statements == []
    # and a valid token from that address waits too: the address is all that is known
    # before the lookup
    token = admin.admin_token
    assert (await limited.post("/graphql", json=QUERY, headers=bearer(token))).status_code == 429


async def test_the_next_window_restores_the_failure_budget(
    limited: httpx.AsyncClient, clock: FakeClock, admin: factories.Team
) -> None:
    # Given an address refused after 3 bad tokens
    for _ in range(4):
        last = await limited.post("/graphql", json=QUERY, headers=bearer("sw_forged"))
    assert last.status_code == 429
    # When the next minute starts, then it is answered again
    clock.advance(59)
    token = admin.admin_token
    assert (await limited.post("/graphql", json=QUERY, headers=bearer(token))).status_code == 200
    assert (await limited.post("/graphql", json=QUERY)).status_code == 401


async def test_a_valid_token_spends_nothing_of_the_failure_budget(
    limited: httpx.AsyncClient, admin: factories.Team
) -> None:
    # Given an address whose caller is served (and then throttled as a caller)
    token = admin.admin_token
    for _ in range(5):
        await limited.post("/graphql", json=QUERY, headers=bearer(token))
    # Then its failure budget is whole: three failures are still answered 401
    answers = [await limited.post("/graphql", json=QUERY, headers=h) for h in FAILURES]
    assert [a.status_code for a in answers] == [401, 401, 401]


async def test_behind_a_trusted_proxy_each_forwarded_address_has_its_own_budget(
    limited: httpx.AsyncClient,
) -> None:
    # Given a proxy on 127.0.0.1 (trusted by default) forwarding for 203.0.113.7
    first = {"X-Forwarded-For": "203.0.113.7"}
    for _ in range(3):
        await limited.post("/graphql", json=QUERY, headers=first)
    assert (await limited.post("/graphql", json=QUERY, headers=first)).status_code == 429
    # Then another client behind it, and the proxy itself, still get their own answers
    second = {"X-Forwarded-For": "203.0.113.8"}
    assert (await limited.post("/graphql", json=QUERY, headers=second)).status_code == 401
    assert (await limited.post("/graphql", json=QUERY)).status_code == 401


async def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(
    settings_empty: Settings, clock: FakeClock
) -> None:
    # Given a server that trusts only a proxy at 192.0.2.1 (the tests connect from 127.0.0.1)
    update = {"auth_failures_per_minute": 3}
    server = await start_api_server(
        create_app(settings_empty.model_copy(update=update), manage_database=False, clock=clock),
        forwarded_allow_ips="192.0.2.1",
    )
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=15) as client:
            # When a client fails 3 times, claiming a new address each time
            for n in range(3):
                headers = {"X-Forwarded-For": f"198.51.100.{n}"}
                assert (
                    await client.post("/graphql", json=QUERY, headers=headers)
                ).status_code == 401
            # Then the claim changes nothing: its own address has spent the budget
            headers = {"X-Forwarded-For": "198.51.100.99"}
            assert (await client.post("/graphql", json=QUERY, headers=headers)).status_code == 429
    finally:
        await server.stop()


async def test_a_failure_budget_of_0_turns_the_address_limit_off(
    settings_empty: Settings, clock: FakeClock
) -> None:
    # Given no budget of failed authentications
    update = {"auth_failures_per_minute": 0}
    async for client in _client(settings_empty.model_copy(update=update), clock):
        # When an address fails 5 times, then each answer is 401, never 429
        answers = [await client.post("/graphql", json=QUERY) for _ in range(5)]
        assert [a.status_code for a in answers] == [401] * 5


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("203.0.113.7", "address:203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "address:2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb::2", "address:2001:db8:1:2::/64"),
        ("2001:db8:1:3::1", "address:2001:db8:1:3::/64"),
        ("::ffff:203.0.113.7", "address:203.0.113.7"),
        (None, "address:unknown"),
        ("/run/seatwise.sock", "address:/run/seatwise.sock"),
    ],
)
def test_an_ipv6_client_is_counted_by_its_64_bit_network(host: str | None, key: str) -> None:
    # An IPv6 host can pick any address of its /64 for every request
    assert address_key(host) == key


# Redis away ---------------------------------------------------------------------------


async def test_without_redis_requests_are_served_unlimited(
    settings_empty: Settings, clock: FakeClock, admin: factories.Team
) -> None:
    # Given an API whose Redis is unreachable, and limits of 1
    cut_off = settings_empty.model_copy(
        update={
            "rate_limit_per_minute": 1,
            "auth_failures_per_minute": 1,
            "redis_url": f"redis://127.0.0.1:{free_port()}/0",
        }
    )
    token = admin.admin_token
    async for client in _client(cut_off, clock):
        # When it gets three requests, and three bad ones, then all are answered (the
        # limit protects capacity; a queue outage must not take the read API down)
        answers = [
            await client.post("/graphql", json=QUERY, headers=bearer(token)) for _ in range(3)
        ]
        assert [a.status_code for a in answers] == [200, 200, 200]
        assert "X-RateLimit-Remaining" not in answers[0].headers
        failures = [await client.post("/graphql", json=QUERY) for _ in range(3)]
        assert [a.status_code for a in failures] == [401, 401, 401]
