"""GraphQL over WebSocket at /graphql: the graphql-transport-ws protocol (that of the
`graphql-ws` JavaScript library, Apollo Client and urql), for subscriptions. Written out,
like app/graphql_http.py, so that every rule is ours and visible. Close codes are the
protocol's own.

- The handshake must offer the `graphql-transport-ws` subprotocol, or it is refused (403).
- Every message is a text frame holding one JSON object of at most MAX_BODY_BYTES, nested
  at most MAX_JSON_DEPTH levels, with a known `type`; anything else closes with 4400 and a
  reason that says what was wrong.
- `connection_init` comes within WS_INIT_TIMEOUT_SECONDS (else 4408), once (else 4429).
  It carries the credential in its payload, `{"Authorization": "Bearer <token>"}` (the key
  in any case), which browsers can send where they cannot set headers; clients that can
  may instead send the Authorization header with the handshake. A refused credential
  closes with 4403 and counts against the address's budget of failed authentications, as
  a 401 does over HTTP; an address past that budget is closed with 4403 before any lookup.
- `subscribe` before the `connection_ack` closes with 4401; an id that is running closes
  with 4409. Only subscription operations: queries and mutations are POSTed to /graphql
  (their refusal is an `error` message for that id). Each `subscribe` counts against the
  caller's rate limit like an HTTP request (THROTTLED), and a connection runs at most
  WS_SUBSCRIPTIONS_PER_CONNECTION at once (TOO_MANY_SUBSCRIPTIONS).
- The credential is checked again every WS_RECHECK_SECONDS: once revoked or expired, or
  when the caller's roles changed, the connection closes with 4403 (the client reconnects
  with what it may see now).
- Errors read as over HTTP: the same codes, unexpected ones masked with a request id.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Mapping
from contextlib import aclosing, suppress
from typing import Any

from graphql import GraphQLError
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types.execution import PreExecutionError

from app.admission import Admission
from app.auth import AuthenticationError, authenticate
from app.graphql_http import encode_json, format_error, json_depth_exceeds
from app.wiring import grace_policy
from domain.principals import Principal
from infra.settings import Settings
from schema.context import HandOver, build_context
from schema.limits.numbers import MAX_BODY_BYTES, MAX_JSON_DEPTH
from schema.live import AccountEventFeed

logger = logging.getLogger("seatwise.graphql.ws")

SUBPROTOCOL = "graphql-transport-ws"
# Operation ids: what a client library makes (a counter or a UUID), bounded and printable.
_OPERATION_ID = re.compile(r"[!-~]{1,128}")
# A close frame's reason has room for 123 bytes.
_MAX_REASON_BYTES = 123


class GraphQLWebSocket:
    def __init__(
        self,
        schema: Any,
        settings: Settings,
        feed: AccountEventFeed,
        *,
        hand_over: HandOver,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.schema = schema
        self.settings = settings
        self.feed = feed
        self.hand_over = hand_over
        self.clock = clock
        self.grace = grace_policy(settings)

    async def handle(self, websocket: WebSocket) -> None:
        if SUBPROTOCOL not in websocket.scope.get("subprotocols", ()):
            # Closing before accepting refuses the handshake: HTTP 403.
            await websocket.close()
            return
        await websocket.accept(subprotocol=SUBPROTOCOL)
        await _Connection(self, websocket).run()


class _Connection:
    def __init__(self, endpoint: GraphQLWebSocket, websocket: WebSocket) -> None:
        self.endpoint = endpoint
        self.settings = endpoint.settings
        self.websocket = websocket
        self.admission = Admission(
            endpoint.settings,
            getattr(websocket.app.state, "redis", None),
            websocket.client.host if websocket.client else None,
        )
        self.initialised = False
        self.principal: Principal | None = None
        self.authorization: str | None = None
        self.operations: dict[str, asyncio.Task[None]] = {}
        self.closed = False
        self._send_lock = asyncio.Lock()
        self._timers: list[asyncio.Task[None]] = []

    # The connection ---------------------------------------------------------------------

    async def run(self) -> None:
        self._timers.append(asyncio.create_task(self._close_unless_initialised()))
        try:
            while not self.closed:
                frame = await self.websocket.receive()
                if frame["type"] == "websocket.disconnect":
                    break
                message = await self._message(frame)
                if message is not None:
                    await self._dispatch(message)
        except WebSocketDisconnect:
            pass
        finally:
            self.closed = True
            tasks = [*self._timers, *self.operations.values()]
            for task in tasks:
                task.cancel()
            for task in tasks:
                with suppress(asyncio.CancelledError, Exception):
                    await task

    async def _message(self, frame: Mapping[str, Any]) -> dict[str, Any] | None:
        text = frame.get("text")
        if text is None:
            await self.close(4400, "binary messages are not supported: send JSON text")
            return None
        if len(text) > MAX_BODY_BYTES:
            await self.close(4400, f"a message is larger than {MAX_BODY_BYTES} bytes")
            return None
        if json_depth_exceeds(text, MAX_JSON_DEPTH):
            await self.close(4400, f"a message is nested more than {MAX_JSON_DEPTH} levels")
            return None
        try:
            message = json.loads(text)
        except ValueError:
            await self.close(4400, "a message is not valid JSON")
            return None
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await self.close(4400, "a message must be a JSON object with a 'type'")
            return None
        return message

    async def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "connection_init":
            await self._initialise(message.get("payload"))
        elif kind == "ping":
            await self.send({"type": "pong"})
        elif kind == "pong":
            pass
        elif kind == "subscribe":
            await self._subscribe(message)
        elif kind == "complete":
            operation_id = message.get("id")
            if isinstance(operation_id, str) and operation_id in self.operations:
                self.operations.pop(operation_id).cancel()
        else:
            await self.close(4400, f"unknown message type {kind[:40]!r}")

    async def send(self, message: dict[str, Any]) -> None:
        async with self._send_lock:
            if self.closed:
                return
            try:
                await self.websocket.send_text(encode_json(message).decode())
            except (WebSocketDisconnect, RuntimeError, OSError):
                self.closed = True

    async def close(self, code: int, reason: str) -> None:
        async with self._send_lock:
            if self.closed:
                return
            self.closed = True
            reason_bytes = reason.encode()[:_MAX_REASON_BYTES]
            with suppress(RuntimeError, OSError, WebSocketDisconnect):
                if self.websocket.application_state is not WebSocketState.DISCONNECTED:
                    await self.websocket.close(code, reason_bytes.decode(errors="ignore"))

    def _now(self) -> float:
        return self.endpoint.clock()

    # connection_init -------------------------------------------------------------------

    async def _close_unless_initialised(self) -> None:
        await asyncio.sleep(self.settings.ws_init_timeout_seconds)
        if not self.initialised:
            await self.close(4408, "Connection initialisation timeout")

    async def _initialise(self, payload: object) -> None:
        if self.initialised:
            await self.close(4429, "Too many initialisation requests")
            return
        self.initialised = True
        if payload is not None and not isinstance(payload, dict):
            await self.close(4400, "the connection_init payload must be a JSON object")
            return
        authorization = _authorization_in(payload or {})
        if authorization is None:
            authorization = self.websocket.headers.get("authorization")
        now = self._now()
        check = await self.admission.address_refused(now)
        if check is not None:
            await self.close(
                4403, f"too many failed authentications: retry in {check.retry_after} s"
            )
            return
        try:
            principal = await self.admission.authenticate(authorization, now)
        except AuthenticationError:
            await self.close(4403, "Forbidden: missing, malformed or invalid credential")
            return
        self.principal = principal
        self.authorization = authorization
        self._timers.append(asyncio.create_task(self._recheck_credential()))
        await self.send({"type": "connection_ack"})

    async def _recheck_credential(self) -> None:
        while not self.closed:
            await asyncio.sleep(self.settings.ws_recheck_seconds)
            try:
                principal: Principal | None = await authenticate(
                    self.authorization,
                    self.settings,
                    now=dt.datetime.fromtimestamp(self._now(), dt.UTC),
                )
            except AuthenticationError:
                principal = None  # not counted for the address: it was admitted once
            except Exception:  # the database may be away: check again later
                logger.warning("WebSocket credential not checked (retrying)", exc_info=True)
                continue
            if principal != self.principal:
                await self.close(4403, "Forbidden: the credential was revoked or its roles changed")
                return

    # subscribe -------------------------------------------------------------------------

    async def _subscribe(self, message: dict[str, Any]) -> None:
        if self.principal is None:
            await self.close(4401, "Unauthorized")
            return
        operation_id = message.get("id")
        if not isinstance(operation_id, str) or not _OPERATION_ID.fullmatch(operation_id):
            await self.close(4400, "'id' must be a string of 1 to 128 printable characters")
            return
        if operation_id in self.operations:
            await self.close(4409, f"Subscriber for {operation_id} already exists")
            return
        payload = message.get("payload")
        problem = _payload_problem(payload)
        if problem is not None:
            await self.close(4400, problem)
            return
        assert isinstance(payload, dict)
        refusal = await self._refusal(self.principal)
        if refusal is not None:
            await self.send({"id": operation_id, "type": "error", "payload": [refusal]})
            return
        task = asyncio.create_task(self._run(operation_id, payload, self.principal))
        self.operations[operation_id] = task

    async def _refusal(self, principal: Principal) -> dict[str, Any] | None:
        """Why this subscribe is refused before it runs, as an error; None to run it."""
        limit = self.settings.ws_subscriptions_per_connection
        if len(self.operations) >= limit:
            return _error(
                "TOO_MANY_SUBSCRIPTIONS",
                f"a connection runs at most {limit} subscriptions at once: complete one first",
            )
        decision = await self.admission.caller_budget(principal, self._now())
        if decision is not None and not decision.allowed:
            return _error(
                "THROTTLED",
                f"more than {decision.limit} requests a minute: retry in {decision.retry_after} s",
            )
        return None

    async def _run(self, operation_id: str, payload: dict[str, Any], principal: Principal) -> None:
        request_id = uuid.uuid4().hex
        context = await build_context(
            principal,
            request_id,
            now=dt.datetime.fromtimestamp(self._now(), dt.UTC),
            grace=self.endpoint.grace,
            hand_over=self.endpoint.hand_over,
            events=self.endpoint.feed,
        )
        try:
            stream = await self.endpoint.schema.subscribe(
                payload["query"],
                variable_values=payload.get("variables"),
                context_value=context,
                operation_name=payload.get("operationName"),
            )
            async with aclosing(stream):
                async for result in stream:
                    errors = [_formatted(e, request_id) for e in result.errors or ()]
                    if isinstance(result, PreExecutionError):
                        # Refused before it ran: the operation ends with this message.
                        await self._finish(operation_id, {"type": "error", "payload": errors})
                        return
                    body: dict[str, Any] = {"data": result.data}
                    if errors:
                        body["errors"] = errors
                    await self.send({"id": operation_id, "type": "next", "payload": body})
            await self._finish(operation_id, {"type": "complete"})
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("subscription %s failed (request %s)", operation_id, request_id)
            masked = _error(
                "INTERNAL_SERVER_ERROR", f"Internal server error (request {request_id})"
            )
            await self._finish(operation_id, {"type": "error", "payload": [masked]})
        finally:
            context.loaders.release()

    async def _finish(self, operation_id: str, message: dict[str, Any]) -> None:
        # Forgotten first: the client may reuse the id as soon as it reads the message.
        if self.operations.get(operation_id) is asyncio.current_task():
            del self.operations[operation_id]
        await self.send({"id": operation_id, **message})


def _authorization_in(payload: dict[str, Any]) -> str | None:
    for key, value in payload.items():
        if isinstance(key, str) and key.lower() == "authorization" and isinstance(value, str):
            return value
    return None


def _payload_problem(payload: object) -> str | None:
    if not isinstance(payload, dict):
        return "a subscribe message needs a 'payload' object"
    if not isinstance(payload.get("query"), str):
        return "'payload.query' must be the document's text"
    for key, kind, what in (
        ("variables", dict, "a JSON object"),
        ("extensions", dict, "a JSON object"),
        ("operationName", str, "a string"),
    ):
        if payload.get(key) is not None and not isinstance(payload[key], kind):
            return f"'payload.{key}' must be {what}"
    return None


def _error(code: str, message: str) -> dict[str, Any]:
    return {"message": message, "extensions": {"code": code}}


def _formatted(error: GraphQLError, request_id: str) -> dict[str, Any]:
    if isinstance(error.original_error, InvalidOperationTypeError):
        return _error(
            "BAD_REQUEST",
            "only subscriptions are served over WebSocket: POST queries and mutations to /graphql",
        )
    return format_error(error, request_id)
