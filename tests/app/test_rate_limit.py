"""Per-token rate limiting over real HTTP and a real Redis (DESIGN.md 3: THROTTLED)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from app.asgi import create_app
from app.ratelimit import WINDOW_SECONDS
from infra.net import free_port
from infra.settings import Settings
from tests.support.services import start_api_server
from tests.support.tokens import bearer, member_token

QUERY = {"query": "{ viewer { user { name } } }"}


async def _client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    server = await start_api_server(create_app(settings, manage_database=False))
    async with httpx.AsyncClient(base_url=server.url, timeout=15) as client:
        yield client
    await server.stop()


@pytest.fixture
async def limited(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(settings.model_copy(update={"rate_limit_per_minute": 3})):
        yield client


async def _clear_of_a_window_edge() -> None:
    """The windows are whole minutes: start a burst at least 2 s before the next one."""
    left = WINDOW_SECONDS - time.time() % WINDOW_SECONDS
    if left < 2:
        await asyncio.sleep(left + 0.1)


async def test_a_token_over_its_limit_is_throttled_with_a_retry_time(
    limited: httpx.AsyncClient,
) -> None:
    # Given a token allowed 3 requests a minute
    await _clear_of_a_window_edge()
    token = await member_token("alice.martin@acme.example", "Acme Engineering")
    # When it sends 4
    answers = [await limited.post("/graphql", json=QUERY, headers=bearer(token)) for _ in range(4)]
    # Then 3 are served, counting down, and the 4th is refused with THROTTLED
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    refused = answers[3]
    retry_after = int(refused.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    assert refused.json()["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert refused.json()["errors"][0]["message"] == (
        f"more than 3 requests a minute for this token: retry in {retry_after} s"
    )
    assert "data" not in refused.json()


async def test_another_token_has_its_own_budget(limited: httpx.AsyncClient) -> None:
    busy = await member_token("alice.martin@acme.example", "Acme Engineering")
    await _clear_of_a_window_edge()
    for _ in range(4):
        await limited.post("/graphql", json=QUERY, headers=bearer(busy))
    other = await member_token("bruno.leclerc@acme.example", "Acme Engineering")
    response = await limited.post("/graphql", json=QUERY, headers=bearer(other))
    assert response.status_code == 200
    assert response.json() == {"data": {"viewer": {"user": {"name": "Bruno Leclerc"}}}}


async def test_without_redis_requests_are_served_unlimited(settings: Settings) -> None:
    # Given an API whose Redis is unreachable and a limit of 1
    cut_off = settings.model_copy(
        update={"rate_limit_per_minute": 1, "redis_url": f"redis://127.0.0.1:{free_port()}/0"}
    )
    token = await member_token("alice.martin@acme.example", "Acme Engineering")
    async for client in _client(cut_off):
        # When it gets three requests, then all are served (the limit protects capacity;
        # a queue outage must not take the read API down)
        answers = [
            await client.post("/graphql", json=QUERY, headers=bearer(token)) for _ in range(3)
        ]
        assert [a.status_code for a in answers] == [200, 200, 200]
        assert "X-RateLimit-Remaining" not in answers[0].headers
