"""`things_api`: the test-only schema of things_schema.py served by the real app (uvicorn,
GraphQLEndpoint, authentication on the demo database), with a client that sends Alice's
token on every request."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from app.asgi import create_app
from infra.settings import Settings
from tests.app import things_schema
from tests.support.services import start_api_server
from tests.support.tokens import bearer, member_token


@pytest.fixture
async def things_api(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    things_schema.CALLS.clear()
    things_schema.RECORDED.clear()
    token = await member_token("alice.martin@acme.example", "Acme Engineering")
    app = create_app(settings, schema=things_schema.THINGS_SCHEMA, manage_database=False)
    server = await start_api_server(app)
    async with httpx.AsyncClient(base_url=server.url, headers=bearer(token), timeout=15) as client:
        yield client
    await server.stop()
