"""A graphql-transport-ws client for the tests: a real WebSocket (the `websockets`
library) to the app served by uvicorn, and helpers that read its messages."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

SUBPROTOCOL = "graphql-transport-ws"
# How long a test waits for a message it expects (a failure, not a timing assertion).
EXPECT_WITHIN = 10.0


@dataclass(frozen=True)
class Closed:
    code: int
    reason: str


class GraphQLSocket:
    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection

    async def send(self, message: Any) -> None:
        await self.connection.send(
            message if isinstance(message, str | bytes) else json.dumps(message)
        )

    async def receive(self) -> dict[str, Any] | Closed:
        """The next message, or how the server closed the connection."""
        try:
            async with asyncio.timeout(EXPECT_WITHIN):
                text = await self.connection.recv()
        except ConnectionClosed as closed:
            frame = closed.rcvd
            return Closed(frame.code if frame else 1006, frame.reason if frame else "")
        message: dict[str, Any] = json.loads(text)
        return message

    async def init(self, token: str | None) -> dict[str, Any] | Closed:
        payload = {"Authorization": f"Bearer {token}"} if token else {}
        await self.send({"type": "connection_init", "payload": payload})
        return await self.receive()

    async def subscribe(self, operation_id: str, query: str, **variables: Any) -> None:
        await self.send(
            {
                "id": operation_id,
                "type": "subscribe",
                "payload": {"query": query, "variables": variables},
            }
        )


@asynccontextmanager
async def graphql_socket(
    base_url: str, *, subprotocol: str | None = SUBPROTOCOL, headers: dict[str, str] | None = None
) -> AsyncIterator[GraphQLSocket]:
    url = base_url.replace("http://", "ws://") + "/graphql"
    async with connect(
        url,
        subprotocols=[Subprotocol(subprotocol)] if subprotocol else None,
        additional_headers=headers,
        open_timeout=EXPECT_WITHIN,
    ) as connection:
        yield GraphQLSocket(connection)
