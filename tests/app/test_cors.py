"""CORS over real HTTP: single-page apps of the allowed origins may call /graphql from a
browser; other origins get no CORS header at all."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from app.asgi import create_app
from infra.settings import Settings
from tests.support import factories
from tests.support.services import start_api_server
from tests.support.tokens import bearer

ADMIN_APP = "https://admin.example.com"
OTHER = "https://evil.example"
QUERY = {"query": "{ viewer { user { name } } }"}


def preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }


def cors_headers(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.startswith("access-control-")}


async def _client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    server = await start_api_server(create_app(settings, manage_database=False))
    async with httpx.AsyncClient(base_url=server.url, timeout=15) as client:
        yield client
    await server.stop()


@pytest.fixture
async def cors_api(settings_empty: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The API allowing the admin app's origin and one more."""
    update = {"cors_allowed_origins": f"{ADMIN_APP}, https://other-app.example.com"}
    async for client in _client(settings_empty.model_copy(update=update)):
        yield client


async def test_a_preflight_from_an_allowed_origin_is_answered(
    cors_api: httpx.AsyncClient,
) -> None:
    # When the admin app's browser asks whether it may POST with a token
    response = await cors_api.options("/graphql", headers=preflight(ADMIN_APP))
    # Then it may: that origin, GET and POST, the headers it asked for, and no credentials
    assert response.status_code == 200
    assert cors_headers(response) == {
        "access-control-allow-origin": ADMIN_APP,
        "access-control-allow-methods": "GET, POST",
        "access-control-allow-headers": "Accept, Accept-Language, Authorization, "
        "Content-Language, Content-Type, X-Request-Id",
        "access-control-max-age": "600",
    }
    assert response.headers["vary"] == (
        "Origin, Access-Control-Request-Method, Access-Control-Request-Headers, "
        "Access-Control-Request-Private-Network"
    )


async def test_a_preflight_from_another_origin_gets_no_cors_header(
    cors_api: httpx.AsyncClient,
) -> None:
    # When a page of another origin asks
    response = await cors_api.options("/graphql", headers=preflight(OTHER))
    # Then nothing allows it: the endpoint refuses OPTIONS like any method it does not serve
    assert cors_headers(response) == {}
    assert response.status_code == 405
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


async def test_the_answer_to_an_allowed_origin_can_be_read_by_its_page(
    cors_api: httpx.AsyncClient, admin: factories.Team
) -> None:
    # Given Alice's token, used by the admin app
    token = admin.admin_token
    # When the app posts a query
    response = await cors_api.post(
        "/graphql", json=QUERY, headers={"Origin": ADMIN_APP, **bearer(token)}
    )
    # Then the answer names the origin and exposes the request id and rate-limit headers
    assert response.json() == {"data": {"viewer": {"user": {"name": "Alice Martin"}}}}
    assert cors_headers(response) == {
        "access-control-allow-origin": ADMIN_APP,
        "access-control-expose-headers": "X-Request-Id, X-RateLimit-Limit, "
        "X-RateLimit-Remaining, Retry-After, WWW-Authenticate",
    }
    assert response.headers["vary"] == "Origin"


async def test_a_refusal_to_an_allowed_origin_can_be_read_by_its_page(
    cors_api: httpx.AsyncClient,
) -> None:
    # When the admin app posts without a token, then its page can read the 401
    response = await cors_api.post("/graphql", json=QUERY, headers={"Origin": ADMIN_APP})
    assert response.status_code == 401
    assert response.headers["access-control-allow-origin"] == ADMIN_APP


async def test_the_answer_to_another_origin_has_no_cors_header(
    cors_api: httpx.AsyncClient, admin: factories.Team
) -> None:
    # When a page of another origin posts a query with Alice's token
    response = await cors_api.post(
        "/graphql", json=QUERY, headers={"Origin": OTHER, **bearer(admin.admin_token)}
    )
    # The request is served (CORS is the browser's to enforce), but no page may read it
    assert response.status_code == 200
    assert cors_headers(response) == {}


async def test_no_origin_is_allowed_by_default(empty_api: httpx.AsyncClient) -> None:
    # Given the default app (no CORS_ALLOWED_ORIGINS)
    # When the admin app's browser asks, and posts, then nothing allows it
    preflight_response = await empty_api.options("/graphql", headers=preflight(ADMIN_APP))
    post = await empty_api.post("/graphql", json=QUERY, headers={"Origin": ADMIN_APP})
    assert (preflight_response.status_code, cors_headers(preflight_response)) == (405, {})
    assert (post.status_code, cors_headers(post)) == (401, {})
