"""Talking GraphQL to the real server in tests."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from tests.support.tokens import bearer


async def gql(api: httpx.AsyncClient, token: str, query: str, **variables: Any) -> dict[str, Any]:
    """POST a query; return the whole JSON body (data and errors)."""
    response = await api.post(
        "/graphql", json={"query": query, "variables": variables}, headers=bearer(token)
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def data(api: httpx.AsyncClient, token: str, query: str, **variables: Any) -> Any:
    """POST a query that must succeed; return `data`."""
    body = await gql(api, token, query, **variables)
    assert "errors" not in body, body["errors"]
    return body["data"]


class _Counter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.statements.append(record.getMessage())


@contextmanager
def counting_sql() -> Iterator[list[str]]:
    """Collects every SQL statement Tortoise sends while the block runs."""
    logger = logging.getLogger("tortoise.db_client")
    counter = _Counter()
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    try:
        yield counter.statements
    finally:
        logger.removeHandler(counter)
        logger.setLevel(previous)
