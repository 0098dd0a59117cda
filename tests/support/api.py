"""The app at a fixed instant: most mutation tests run the API with its clock at NOW, so
that grace ends, response targets and timestamps in their answers are exact."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from app.asgi import create_app
from infra.settings import Settings
from tests.support.services import start_api_server

# The demo contracts run on that day, and a 30-day grace from it ends on 2026-12-31.
NOW = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)


@asynccontextmanager
async def served_at(settings: Settings, now: dt.datetime = NOW) -> AsyncIterator[httpx.AsyncClient]:
    """The real app on the settings' database (opened by the test), served by uvicorn with
    its clock at `now`, and a client for it."""
    app = create_app(settings, manage_database=False, clock=now.timestamp)
    server = await start_api_server(app)
    async with httpx.AsyncClient(base_url=server.url, timeout=15) as client:
        yield client
    await server.stop()
