"""The API over real HTTP (uvicorn): health, readiness, authentication, viewer, GraphiQL."""

from __future__ import annotations

import re

import httpx
import pytest

from app.asgi import create_app
from app.graphiql import STATIC_DIR
from models.enums import Role
from schema.ids import to_global_id
from tests.conftest import make_settings
from tests.support import factories
from tests.support.services import start_api_server
from tests.support.tokens import bearer

VIEWER = """{ viewer { user { name email }
                       partner { id name }
                       memberships { id role account { id name } } } }"""


async def test_healthz_answers_while_the_process_lives(empty_api: httpx.AsyncClient) -> None:
    response = await empty_api.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_readyz_is_degraded_without_redis(db: str) -> None:
    # Given an app whose Redis URL points at a closed port
    settings = make_settings(db, redis_url="redis://127.0.0.1:1/0")
    server = await start_api_server(create_app(settings, manage_database=False))
    try:
        async with httpx.AsyncClient(base_url=server.url) as client:
            response = await client.get("/readyz")
    finally:
        await server.stop()
    # Then it stays in service (requests are served, emails wait in the outbox) and says
    # which dependency is missing
    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "checks": {"database": True, "redis": False, "worker": False},
    }


async def test_viewer_returns_the_admin_and_their_account(empty_api: httpx.AsyncClient) -> None:
    # Given Alice, primary admin of Acme, and a token for her in Acme
    acme = await factories.account(name="Acme Engineering")
    alice = await factories.user(email="alice.martin@acme.example", name="Alice Martin")
    membership = await factories.member(acme, alice, role=Role.PRIMARY_ADMIN)
    token = await factories.token(acme, alice)
    # When she asks who she is
    response = await empty_api.post("/graphql", json={"query": VIEWER}, headers=bearer(token))
    # Then she gets herself and her account with her role
    assert response.status_code == 200
    assert response.json() == {
        "data": {
            "viewer": {
                "user": {"name": "Alice Martin", "email": "alice.martin@acme.example"},
                "partner": None,
                "memberships": [
                    {
                        "id": to_global_id("User", membership.id),
                        "role": "PRIMARY_ADMIN",
                        "account": {
                            "id": to_global_id("Account", acme.id),
                            "name": "Acme Engineering",
                        },
                    }
                ],
            }
        }
    }
    # and the ids are opaque: they do not show the row ids
    assert str(acme.id) not in to_global_id("Account", acme.id)


async def test_viewer_over_get_works_for_queries(empty_api: httpx.AsyncClient) -> None:
    # Given a partner token of Northwind
    northwind = await factories.partner(code="NORTHWIND", name="Northwind CAD Solutions")
    token = await factories.partner_token(northwind)
    # When it asks who it is over GET, then it is told
    response = await empty_api.get(
        "/graphql", params={"query": "{ viewer { partner { name } } }"}, headers=bearer(token)
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"viewer": {"partner": {"name": "Northwind CAD Solutions"}}}}


async def test_viewer_returns_the_partner_for_a_partner_token(
    empty_api: httpx.AsyncClient,
) -> None:
    # Given a partner token of Northwind
    northwind = await factories.partner(code="NORTHWIND", name="Northwind CAD Solutions")
    token = await factories.partner_token(northwind)
    # When it asks who it is
    response = await empty_api.post("/graphql", json={"query": VIEWER}, headers=bearer(token))
    # Then it is the partner, with no user and no membership
    viewer = response.json()["data"]["viewer"]
    assert viewer["user"] is None
    assert viewer["memberships"] == []
    assert viewer["partner"]["name"] == "Northwind CAD Solutions"


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "missing Authorization header (use: Bearer <token>)"),
        (
            {"Authorization": "Basic YWxpY2U6cGFzcw=="},
            "malformed Authorization header (use: Bearer <token>)",
        ),
        ({"Authorization": "Bearer sw_forged"}, "invalid or expired token"),
        ({"Authorization": "Bearer a.b.c"}, "invalid or expired token"),
    ],
)
async def test_no_token_or_a_bad_token_is_unauthenticated_not_a_crash(
    empty_api: httpx.AsyncClient, headers: dict[str, str], message: str
) -> None:
    response = await empty_api.post("/graphql", json={"query": VIEWER}, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="seatwise"'
    errors = response.json()["errors"]
    assert [(e["message"], e["extensions"]["code"]) for e in errors] == [
        (message, "UNAUTHENTICATED")
    ]
    assert "data" not in response.json()


async def test_graphiql_page_loads_its_assets_from_the_app(empty_api: httpx.AsyncClient) -> None:
    # When a browser opens /graphql
    page = await empty_api.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    # Then every script and stylesheet is served by the app itself, none from a CDN
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets == [
        "/static/graphiql/favicon.svg",
        "/static/graphiql/graphiql.min.css",
        "/static/graphiql/seatwise-graphiql.css",
        "/static/graphiql/react.production.min.js",
        "/static/graphiql/react-dom.production.min.js",
        "/static/graphiql/graphiql.min.js",
        "/static/graphiql/seatwise-graphiql.js",
    ]
    for asset in assets:
        response = await empty_api.get(asset)
        assert response.status_code == 200
        assert response.content == (STATIC_DIR / asset.removeprefix("/static/")).read_bytes()
    assert "unpkg.com" not in page.text
    assert "cdn" not in page.text.lower()
