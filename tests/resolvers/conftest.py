"""Fixtures of the resolver tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from infra.settings import Settings
from tests.support.api import served_at


@pytest.fixture
async def api_at_now(settings_empty: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app on the `db` database with its clock at tests.support.api.NOW."""
    async with served_at(settings_empty) as client:
        yield client
