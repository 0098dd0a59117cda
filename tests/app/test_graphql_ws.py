"""Subscriptions over WebSocket (app/graphql_ws.py, graphql-transport-ws): `accountEvents`
told live to an account's admins, and every rule of the protocol, through a real WebSocket
client against the app served by uvicorn."""

from __future__ import annotations

import base64
import datetime as dt
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from app.asgi import create_app
from app.ratelimit import WINDOW_SECONDS
from infra.settings import Settings
from models import ApiToken, AuditEvent, Membership, OutboxMessage
from models.enums import OutboxStatus, PartnerKind, Role
from schema.ids import to_global_id
from tests.support import factories
from tests.support.services import start_api_server
from tests.support.tokens import bearer
from tests.support.websocket import Closed, GraphQLSocket, graphql_socket

EVENTS = """
subscription($accountId: ID!) {
  accountEvents(accountId: $accountId) {
    id kind action subjectId
    subscription { id seatsAssigned }
    user { id }
    emailDelivery { template recipient status }
  }
}
"""

ASSIGN = """
mutation($input: SeatAssignInput!) {
  seatAssign(input: $input) { userErrors { code } }
}
"""

Serve = Callable[..., Awaitable[str]]


class World:
    """Acme: Alice (primary admin), Bruno (member), Chloé and Dan (members), an AutoCAD
    subscription of 2 seats; Globex with its admin Mia; Northwind, a reseller of Acme."""

    async def build(self) -> World:
        self.acme = await factories.account(name="Acme")
        self.alice = await factories.user(email="alice@acme.example", name="Alice")
        self.bruno = await factories.user(email="bruno@acme.example", name="Bruno")
        self.chloe = await factories.user(email="chloe@acme.example", name="Chloé")
        self.dan = await factories.user(email="dan@acme.example", name="Dan")
        await factories.member(self.acme, self.alice, role=Role.PRIMARY_ADMIN)
        await factories.member(self.acme, self.bruno)
        self.chloe_m = await factories.member(self.acme, self.chloe)
        self.dan_m = await factories.member(self.acme, self.dan)
        contract = await factories.contract(self.acme)
        self.acad = await factories.subscription(contract, "ACD", seats=2)
        self.northwind = await factories.partner(kind=PartnerKind.RESELLER, code="NORTHWIND")
        await factories.contract(self.acme, partner=self.northwind)
        self.globex = await factories.team(name="Globex", admin_name="Mia")
        self.alice_token = await factories.token(self.acme, self.alice)
        self.bruno_token = await factories.token(self.acme, self.bruno)
        self.partner_token = await factories.partner_token(self.northwind)
        self.acme_id = to_global_id("Account", self.acme.id)
        self.acad_id = to_global_id("ProductSubscription", self.acad.id)
        return self


@pytest.fixture
async def world(db: str) -> World:
    return await World().build()


@pytest.fixture
async def serve(settings_empty: Settings) -> AsyncIterator[Serve]:
    """Starts the app (events read every 50 ms) with these settings changed; its URL."""
    servers = []

    async def start(clock: Callable[[], float] = time.time, **overrides: Any) -> str:
        values = {"account_events_poll_seconds": 0.05, **overrides}
        settings = settings_empty.model_copy(update=values)
        server = await start_api_server(create_app(settings, manage_database=False, clock=clock))
        servers.append(server)
        return server.url

    yield start
    for server in servers:
        await server.stop()


async def assign(url: str, token: str, subscription_id: str, *user_ids: str) -> list[Any]:
    async with httpx.AsyncClient(base_url=url, headers=bearer(token), timeout=15) as client:
        variables = {"input": {"subscriptionId": subscription_id, "userIds": list(user_ids)}}
        answer = (
            await client.post("/graphql", json={"query": ASSIGN, "variables": variables})
        ).json()
    errors: list[Any] = answer["data"]["seatAssign"]["userErrors"]
    return errors


async def following(socket: GraphQLSocket, token: str, account_id: str, op: str = "1") -> None:
    assert await socket.init(token) == {"type": "connection_ack"}
    await socket.subscribe(op, EVENTS, accountId=account_id)


def event_id(key: str) -> str:
    return base64.urlsafe_b64encode(f"AccountEvent:{key}".encode()).decode().rstrip("=")


def user_id(membership: Membership) -> str:
    return to_global_id("User", membership.id)


# accountEvents ------------------------------------------------------------------------


async def test_an_admin_is_told_of_a_seat_change_once_with_its_subscription(
    serve: Serve, world: World
) -> None:
    # Given Alice following Acme's events
    url = await serve()
    async with graphql_socket(url) as socket:
        await following(socket, world.alice_token, world.acme_id)
        # When a seat is assigned to Chloé over HTTP
        assert await assign(url, world.alice_token, world.acad_id, user_id(world.chloe_m)) == []
        # Then one event tells it, with the subscription as it is now
        event = await socket.receive()
        audit = await AuditEvent.get(action="seat.assigned")
        assert event == {
            "id": "1",
            "type": "next",
            "payload": {
                "data": {
                    "accountEvents": {
                        "id": event_id(f"audit:{audit.id}"),
                        "kind": "SEATS_CHANGED",
                        "action": "seat.assigned",
                        "subjectId": world.acad_id,
                        "subscription": {"id": world.acad_id, "seatsAssigned": 1},
                        "user": None,
                        "emailDelivery": None,
                    }
                }
            },
        }
        # And the next event is the next change (the first is not told again), with the
        # subscription read afresh for it
        assert await assign(url, world.alice_token, world.acad_id, user_id(world.dan_m)) == []
        second = await socket.receive()
        assert isinstance(second, dict)
        assert second["payload"]["data"]["accountEvents"]["subscription"] == {
            "id": world.acad_id,
            "seatsAssigned": 2,
        }


async def test_a_refused_change_is_never_told(serve: Serve, world: World) -> None:
    # Given Alice following Acme, and a subscription of 2 seats
    url = await serve()
    async with graphql_socket(url) as socket:
        await following(socket, world.alice_token, world.acme_id)
        # When an assignment of 3 users is refused (nothing committed), then one of 1 user
        # succeeds
        refused = await assign(
            url,
            world.alice_token,
            world.acad_id,
            user_id(world.chloe_m),
            user_id(world.dan_m),
            to_global_id("User", (await Membership.get(user_id=world.bruno.id)).id),
        )
        assert refused == [{"code": "SEAT_LIMIT_REACHED"}]
        assert await assign(url, world.alice_token, world.acad_id, user_id(world.chloe_m)) == []
        # Then the first event Alice gets is the successful one
        event = await socket.receive()
        assert isinstance(event, dict)
        assert event["payload"]["data"]["accountEvents"]["subscription"] == {
            "id": world.acad_id,
            "seatsAssigned": 1,
        }


async def test_the_outcome_of_an_email_is_told(serve: Serve, world: World) -> None:
    # Given Alice following Acme, and an email of Acme's waiting in the outbox
    url = await serve()
    row = await OutboxMessage.create(
        account_id=world.acme.id,
        kind="EMAIL",
        name="ready_to_download",
        recipient="chloe@acme.example",
        dedupe_key="test:email",
        available_at=dt.datetime.now(dt.UTC),
    )
    async with graphql_socket(url) as socket:
        await following(socket, world.alice_token, world.acme_id)
        # When a worker marks it delivered
        await OutboxMessage.filter(id=row.id).update(
            status=OutboxStatus.DONE, done_at=dt.datetime.now(dt.UTC)
        )
        # Then Alice is told, with the delivery
        event = await socket.receive()
        assert isinstance(event, dict)
        assert event["payload"]["data"]["accountEvents"] == {
            "id": event_id(f"email:{row.id}:SENT"),
            "kind": "EMAIL_SENT",
            "action": "email.sent",
            "subjectId": to_global_id("EmailDelivery", row.id),
            "subscription": None,
            "user": None,
            "emailDelivery": {
                "template": "ready_to_download",
                "recipient": "chloe@acme.example",
                "status": "SENT",
            },
        }


async def test_each_follower_is_told_of_its_own_account_only(serve: Serve, world: World) -> None:
    # Given Alice following Acme on two operations of one connection, and Mia following
    # Globex
    url = await serve()
    globex_id = to_global_id("Account", world.globex.account.id)
    async with graphql_socket(url) as alice, graphql_socket(url) as mia:
        await following(alice, world.alice_token, world.acme_id, op="a")
        await alice.subscribe("b", EVENTS, accountId=world.acme_id)
        await following(mia, world.globex.admin_token, globex_id)
        # When a seat of Acme is assigned
        assert await assign(url, world.alice_token, world.acad_id, user_id(world.chloe_m)) == []
        # Then both of Alice's operations are told once
        told = [await alice.receive(), await alice.receive()]
        assert sorted(m["id"] for m in told if isinstance(m, dict)) == ["a", "b"]
        # And Mia, still following, hears nothing of it: her first answer is her pong
        await mia.send({"type": "ping"})
        assert await mia.receive() == {"type": "pong"}


async def test_a_completed_operation_is_told_nothing_more(serve: Serve, world: World) -> None:
    # Given Alice following Acme on operations "a" and "b"
    url = await serve()
    async with graphql_socket(url) as socket:
        await following(socket, world.alice_token, world.acme_id, op="a")
        await socket.subscribe("b", EVENTS, accountId=world.acme_id)
        # When she completes "a" and two seats are assigned one after the other
        await socket.send({"id": "a", "type": "complete"})
        await socket.send({"type": "ping"})
        assert await socket.receive() == {"type": "pong"}
        assert await assign(url, world.alice_token, world.acad_id, user_id(world.chloe_m)) == []
        first = await socket.receive()
        assert await assign(url, world.alice_token, world.acad_id, user_id(world.dan_m)) == []
        second = await socket.receive()
        # Then only "b" is told, of both
        assert [m["id"] for m in (first, second) if isinstance(m, dict)] == ["b", "b"]


@pytest.mark.parametrize(
    "who",
    ["member", "other_admin", "partner", "malformed_id", "not_an_account_id"],
)
async def test_only_the_accounts_admins_may_follow_it(serve: Serve, world: World, who: str) -> None:
    # Given a caller who does not administer Acme (or an ID that names no account)
    url = await serve()
    token, account_id = {
        "member": (world.bruno_token, world.acme_id),
        "other_admin": (world.globex.admin_token, world.acme_id),
        "partner": (world.partner_token, world.acme_id),
        "malformed_id": (world.alice_token, "%%%"),
        "not_an_account_id": (world.alice_token, world.acad_id),
    }[who]
    async with graphql_socket(url) as socket:
        # When they subscribe to Acme's events
        await following(socket, token, account_id)
        # Then the operation ends with an error, as for an unknown account
        answer = await socket.receive()
    assert answer == {
        "id": "1",
        "type": "error",
        "payload": [
            {
                "message": "no account you administer has this ID",
                "locations": [{"line": 3, "column": 3}],
                "path": ["accountEvents"],
                "extensions": {"code": "NOT_FOUND"},
            }
        ],
    }


async def test_a_revoked_token_closes_the_connection(serve: Serve, world: World) -> None:
    # Given Alice following Acme on a server that checks credentials every 0.2 s
    url = await serve(ws_recheck_seconds=0.2)
    async with graphql_socket(url) as socket:
        await following(socket, world.alice_token, world.acme_id)
        # When her token is revoked
        await ApiToken.all().update(revoked_at=dt.datetime.now(dt.UTC))
        # Then the connection is closed as forbidden
        assert await socket.receive() == Closed(
            4403, "Forbidden: the credential was revoked or its roles changed"
        )


async def test_a_changed_role_closes_the_connection(serve: Serve, world: World) -> None:
    # Given Alice following Acme on a server that checks credentials every 0.2 s
    url = await serve(ws_recheck_seconds=0.2)
    async with graphql_socket(url) as socket:
        await following(socket, world.alice_token, world.acme_id)
        # When she is no longer an admin
        await Membership.filter(user_id=world.alice.id).update(role=Role.USER)
        # Then the connection is closed as forbidden
        assert await socket.receive() == Closed(
            4403, "Forbidden: the credential was revoked or its roles changed"
        )


# The protocol -------------------------------------------------------------------------


async def test_a_handshake_without_the_subprotocol_is_refused(serve: Serve) -> None:
    url = await serve()
    with pytest.raises(InvalidStatus) as refused:
        async with graphql_socket(url, subprotocol=None):
            pass
    assert refused.value.response.status_code == 403


async def test_the_credential_may_come_with_the_handshake(serve: Serve, world: World) -> None:
    url = await serve()
    async with graphql_socket(url, headers=bearer(world.alice_token)) as socket:
        assert await socket.init(None) == {"type": "connection_ack"}


@pytest.mark.parametrize(
    ("messages", "closed"),
    [
        (
            [{"type": "connection_init", "payload": {"Authorization": "Bearer sw_nope"}}],
            Closed(4403, "Forbidden: missing, malformed or invalid credential"),
        ),
        (
            [{"type": "connection_init"}],
            Closed(4403, "Forbidden: missing, malformed or invalid credential"),
        ),
        (
            [{"type": "connection_init", "payload": [1]}],
            Closed(4400, "the connection_init payload must be a JSON object"),
        ),
        (
            [{"id": "1", "type": "subscribe", "payload": {"query": EVENTS}}],
            Closed(4401, "Unauthorized"),
        ),
        ([b"\x00\x01"], Closed(4400, "binary messages are not supported: send JSON text")),
        (["{{{"], Closed(4400, "a message is not valid JSON")),
        (["[1]"], Closed(4400, "a message must be a JSON object with a 'type'")),
        (['{"type": "hello"}'], Closed(4400, "unknown message type 'hello'")),
        (
            ['{"type":"ping","x":' + "[" * 100 + "]" * 100 + "}"],
            Closed(4400, "a message is nested more than 64 levels"),
        ),
        (
            ['{"type":"ping","x":"' + "a" * 300_000 + '"}'],
            Closed(4400, "a message is larger than 262144 bytes"),
        ),
    ],
    ids=[
        "bad-token",
        "no-token",
        "payload-list",
        "subscribe-first",
        "binary",
        "not-json",
        "not-object",
        "unknown-type",
        "deep",
        "large",
    ],
)
async def test_malformed_or_unauthorised_messages_close_the_connection(
    serve: Serve, world: World, messages: list[Any], closed: Closed
) -> None:
    url = await serve()
    async with graphql_socket(url) as socket:
        for message in messages:
            await socket.send(message)
        assert await socket.receive() == closed


@pytest.mark.parametrize(
    ("message", "closed"),
    [
        (
            {"type": "connection_init", "payload": {}},
            Closed(4429, "Too many initialisation requests"),
        ),
        (
            {"id": "", "type": "subscribe", "payload": {"query": EVENTS}},
            Closed(4400, "'id' must be a string of 1 to 128 printable characters"),
        ),
        (
            {"id": 7, "type": "subscribe", "payload": {"query": EVENTS}},
            Closed(4400, "'id' must be a string of 1 to 128 printable characters"),
        ),
        (
            {"id": "x" * 129, "type": "subscribe", "payload": {"query": EVENTS}},
            Closed(4400, "'id' must be a string of 1 to 128 printable characters"),
        ),
        (
            {"id": "1", "type": "subscribe", "payload": ["q"]},
            Closed(4400, "a subscribe message needs a 'payload' object"),
        ),
        (
            {"id": "1", "type": "subscribe", "payload": {"query": 5}},
            Closed(4400, "'payload.query' must be the document's text"),
        ),
        (
            {"id": "1", "type": "subscribe", "payload": {"query": EVENTS, "variables": "x"}},
            Closed(4400, "'payload.variables' must be a JSON object"),
        ),
        (
            {"id": "1", "type": "subscribe", "payload": {"query": EVENTS, "operationName": 1}},
            Closed(4400, "'payload.operationName' must be a string"),
        ),
    ],
    ids=[
        "second-init",
        "empty-id",
        "number-id",
        "long-id",
        "payload-list",
        "query-number",
        "variables-string",
        "operation-name-number",
    ],
)
async def test_malformed_messages_after_the_ack_close_the_connection(
    serve: Serve, world: World, message: dict[str, Any], closed: Closed
) -> None:
    url = await serve()
    async with graphql_socket(url) as socket:
        assert await socket.init(world.alice_token) == {"type": "connection_ack"}
        await socket.send(message)
        assert await socket.receive() == closed


async def test_an_id_that_is_running_may_not_be_subscribed_again(
    serve: Serve, world: World
) -> None:
    url = await serve()
    async with graphql_socket(url) as socket:
        await following(socket, world.alice_token, world.acme_id)
        await socket.subscribe("1", EVENTS, accountId=world.acme_id)
        assert await socket.receive() == Closed(4409, "Subscriber for 1 already exists")


async def test_a_close_reason_is_cut_to_what_a_close_frame_holds(
    serve: Serve, world: World
) -> None:
    # Given an operation running under an id of 128 characters
    url = await serve()
    long_id = "x" * 128
    async with graphql_socket(url) as socket:
        await following(socket, world.alice_token, world.acme_id, op=long_id)
        # When it is subscribed again
        await socket.subscribe(long_id, EVENTS, accountId=world.acme_id)
        # Then the reason, which would be 150 bytes, is cut to the 123 a close frame holds
        closed = await socket.receive()
    assert closed == Closed(4409, f"Subscriber for {long_id} already exists"[:123])


async def test_a_client_that_never_initialises_is_closed(serve: Serve) -> None:
    url = await serve(ws_init_timeout_seconds=0.5)
    async with graphql_socket(url) as socket:
        assert await socket.receive() == Closed(4408, "Connection initialisation timeout")


async def test_ping_is_answered(serve: Serve, world: World) -> None:
    url = await serve()
    async with graphql_socket(url) as socket:
        await socket.send({"type": "ping"})
        assert await socket.receive() == {"type": "pong"}


@pytest.mark.parametrize(
    "query",
    [
        "{ viewer { user { name } } }",
        'mutation { memberRemove(input: {userId: "x"}) { userErrors { code } } }',
    ],
)
async def test_queries_and_mutations_are_sent_to_http(
    serve: Serve, world: World, query: str
) -> None:
    url = await serve()
    async with graphql_socket(url) as socket:
        assert await socket.init(world.alice_token) == {"type": "connection_ack"}
        await socket.subscribe("1", query)
        assert await socket.receive() == {
            "id": "1",
            "type": "error",
            "payload": [
                {
                    "message": "only subscriptions are served over WebSocket: POST queries "
                    "and mutations to /graphql",
                    "extensions": {"code": "BAD_REQUEST"},
                }
            ],
        }


async def test_an_invalid_document_is_an_error_of_its_operation(serve: Serve, world: World) -> None:
    url = await serve()
    async with graphql_socket(url) as socket:
        assert await socket.init(world.alice_token) == {"type": "connection_ack"}
        await socket.subscribe("1", "subscription { nope }")
        answer = await socket.receive()
        # And the connection stays open for the next operation
        await socket.send({"type": "ping"})
        assert await socket.receive() == {"type": "pong"}
    assert answer == {
        "id": "1",
        "type": "error",
        "payload": [
            {
                "message": "Cannot query field 'nope' on type 'Subscription'.",
                "locations": [{"line": 1, "column": 16}],
                "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
            }
        ],
    }


async def test_a_connection_runs_a_bounded_number_of_subscriptions(
    serve: Serve, world: World
) -> None:
    # Given a server allowing 2 subscriptions per connection, and 2 running
    url = await serve(ws_subscriptions_per_connection=2)
    async with graphql_socket(url) as socket:
        await following(socket, world.alice_token, world.acme_id, op="a")
        await socket.subscribe("b", EVENTS, accountId=world.acme_id)
        # When a third is asked for
        await socket.subscribe("c", EVENTS, accountId=world.acme_id)
        # Then it is refused, and the others keep running
        assert await socket.receive() == {
            "id": "c",
            "type": "error",
            "payload": [
                {
                    "message": "a connection runs at most 2 subscriptions at once: "
                    "complete one first",
                    "extensions": {"code": "TOO_MANY_SUBSCRIPTIONS"},
                }
            ],
        }
        assert await assign(url, world.alice_token, world.acad_id, user_id(world.chloe_m)) == []
        told = [await socket.receive(), await socket.receive()]
        assert sorted(m["id"] for m in told if isinstance(m, dict)) == ["a", "b"]


async def test_subscribing_counts_against_the_callers_rate_limit(
    serve: Serve, world: World
) -> None:
    # Given a limit of 1 request a minute, already spent by one subscribe
    url = await serve(rate_limit_per_minute=1)
    async with graphql_socket(url) as socket:
        await following(socket, world.alice_token, world.acme_id, op="a")
        # When she subscribes again
        await socket.subscribe("b", EVENTS, accountId=world.acme_id)
        # Then it is refused as throttled
        answer = await socket.receive()
    assert isinstance(answer, dict)
    assert (answer["id"], answer["type"]) == ("b", "error")
    assert answer["payload"][0]["extensions"] == {"code": "THROTTLED"}


async def test_failed_authentications_spend_the_address_budget(serve: Serve, world: World) -> None:
    # Given a budget of 1 failed authentication a minute (in a window of its own: the tests
    # share one Redis and the address 127.0.0.1), spent by a bad token
    window = math.floor(time.time() / WINDOW_SECONDS) + 7_000
    url = await serve(clock=lambda: window * WINDOW_SECONDS + 1.0, auth_failures_per_minute=1)
    async with graphql_socket(url) as socket:
        assert await socket.init("sw_nope") == Closed(
            4403, "Forbidden: missing, malformed or invalid credential"
        )
    # When the same address comes back, with a valid token this time
    async with graphql_socket(url) as socket:
        answer = await socket.init(world.alice_token)
    # Then it is refused before the token is looked up
    assert answer == Closed(4403, "too many failed authentications: retry in 59 s")
