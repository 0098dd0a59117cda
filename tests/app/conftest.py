"""Fixtures of the app tests, on the `db` database (catalog and plans only): `admin`, an
account with its primary admin and her token, built by tests/support/factories.py; and
`things_api`, the test-only schema of things_schema.py served by the real app (uvicorn,
GraphQLEndpoint, authentication), with a client that sends the admin's token on every
request."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from app.asgi import create_app
from infra.settings import Settings
from tests.app import things_schema
from tests.support import factories
from tests.support.services import start_api_server
from tests.support.tokens import bearer


@pytest.fixture
async def admin(db: str) -> factories.Team:
    """Acme Engineering and its primary admin, Alice Martin, with a token for her."""
    return await factories.team(name="Acme Engineering", admin_name="Alice Martin")


@pytest.fixture
async def things_api(
    settings_empty: Settings, admin: factories.Team
) -> AsyncIterator[httpx.AsyncClient]:
    things_schema.CALLS.clear()
    things_schema.RECORDED.clear()
    app = create_app(settings_empty, schema=things_schema.THINGS_SCHEMA, manage_database=False)
    server = await start_api_server(app)
    headers = bearer(admin.admin_token)
    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=15) as client:
        yield client
    await server.stop()
