"""Errors over real HTTP: unexpected exceptions are masked with the request id and logged
once with their traceback; errors meant for the client keep their message and code."""

from __future__ import annotations

import logging
import re
from typing import NewType

import httpx
import pytest
import strawberry
from strawberry.schema.config import StrawberryConfig

from app.asgi import create_app
from infra.settings import Settings
from schema.limits.seatwise_schema import SCHEMA_EXTENSIONS, SeatwiseSchema
from tests.app.things_schema import CALLS
from tests.support import factories
from tests.support.services import start_api_server
from tests.support.tokens import bearer


def error_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_an_unexpected_exception_is_masked_with_the_request_id_and_logged_once(
    things_api: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # When a resolver raises, in a request that carries its own request id
    response = await things_api.post(
        "/graphql", json={"query": "{ maybeBoom hello }"}, headers={"X-Request-Id": "req-42"}
    )
    # Then the client sees a masked error carrying the request id, and the other fields
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "req-42"
    assert response.json() == {
        "data": {"maybeBoom": None, "hello": "hello"},
        "errors": [
            {
                "message": "Internal server error (request req-42)",
                "locations": [{"line": 1, "column": 3}],
                "path": ["maybeBoom"],
                "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-42"},
            }
        ],
    }
    assert "hunter2" not in response.text
    # And the exception is logged exactly once, with its traceback and the request id
    [record] = error_records(caplog)
    assert (record.name, record.getMessage()) == (
        "seatwise.graphql",
        "unexpected error in maybeBoom (request req-42)",
    )
    assert record.exc_info is not None
    assert repr(record.exc_info[1]) == "RuntimeError('database password is hunter2')"
    assert "raise RuntimeError" in caplog.text
    assert [r for r in caplog.records if r.name.startswith("strawberry")] == []


async def test_a_request_id_is_made_when_none_is_sent(things_api: httpx.AsyncClient) -> None:
    response = await things_api.post("/graphql", json={"query": "{ maybeBoom }"})
    request_id = response.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    [error] = response.json()["errors"]
    assert error["message"] == f"Internal server error (request {request_id})"
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}


@pytest.mark.parametrize("sent", ["x" * 129, "two words", "caf\u00e9"])
async def test_an_unusable_request_id_is_replaced(things_api: httpx.AsyncClient, sent: str) -> None:
    # When the client's id is too long or not printable ASCII, then a new one is made
    response = await things_api.post(
        "/graphql",
        json={"query": "{ hello }"},
        headers=[(b"X-Request-Id", sent.encode())],
    )
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


async def test_every_response_carries_the_request_id(
    things_api: httpx.AsyncClient, empty_api: httpx.AsyncClient
) -> None:
    # Success, refusal before execution, and a failed authentication
    responses = [
        await things_api.post(
            "/graphql", json={"query": "{ hello }"}, headers={"X-Request-Id": "a"}
        ),
        await things_api.post(
            "/graphql", json={"query": "{ nope }"}, headers={"X-Request-Id": "b"}
        ),
        await empty_api.post(
            "/graphql", json={"query": "{ hello }"}, headers={"X-Request-Id": "c"}
        ),
    ]
    assert [r.headers["x-request-id"] for r in responses] == ["a", "b", "c"]
    assert responses[2].json()["errors"][0]["extensions"] == {
        "code": "UNAUTHENTICATED",
        "requestId": "c",
    }


async def test_a_null_for_a_non_null_root_field_is_masked_too(
    things_api: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = await things_api.post(
        "/graphql", json={"query": "{ boom }"}, headers={"X-Request-Id": "req-7"}
    )
    assert response.json() == {
        "data": None,
        "errors": [
            {
                "message": "Internal server error (request req-7)",
                "locations": [{"line": 1, "column": 3}],
                "path": ["boom"],
                "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-7"},
            }
        ],
    }
    assert len(error_records(caplog)) == 1


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param(
            "{ nope }",
            {
                "message": "Cannot query field 'nope' on type 'Query'.",
                "locations": [{"line": 1, "column": 3}],
                "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
            },
            id="validation",
        ),
        pytest.param(
            "{ hello(",
            {
                "message": "Syntax Error: Expected Name, found <EOF>.",
                "locations": [{"line": 1, "column": 9}],
                "extensions": {"code": "GRAPHQL_PARSE_FAILED"},
            },
            id="parse",
        ),
    ],
)
async def test_parse_and_validation_errors_are_not_masked_nor_logged(
    things_api: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
    query: str,
    expected: dict[str, object],
) -> None:
    response = await things_api.post("/graphql", json={"query": query})
    assert response.json() == {"errors": [expected]}
    assert error_records(caplog) == []
    assert CALLS == []


async def test_an_error_meant_for_the_client_keeps_its_message_and_code(
    things_api: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = await things_api.post("/graphql", json={"query": "{ forbidden }"})
    assert response.json() == {
        "data": {"forbidden": None},
        "errors": [
            {
                "message": "this account is not yours",
                "locations": [{"line": 1, "column": 3}],
                "path": ["forbidden"],
                "extensions": {"code": "FORBIDDEN"},
            }
        ],
    }
    assert error_records(caplog) == []


# A scalar whose parser has a bug: it fails while the variables are coerced, before
# execution, so the failure has no path.
BuggyValue = NewType("BuggyValue", str)


def _buggy_parse(value: object) -> str:
    raise RuntimeError("bug in the scalar")


@strawberry.type
class BuggyQuery:
    @strawberry.field
    def echo(self, value: BuggyValue) -> str:
        return value


async def test_a_bug_before_execution_is_500_masked_and_logged_once(
    settings_empty: Settings, admin: factories.Team, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a schema (same class and extensions as ours) whose scalar parser is broken
    scalar = strawberry.scalar(name="Buggy", parse_value=_buggy_parse, serialize=str)
    schema = SeatwiseSchema(
        query=BuggyQuery,
        config=StrawberryConfig(scalar_map={BuggyValue: scalar}),
        extensions=SCHEMA_EXTENSIONS,
    )
    app = create_app(settings_empty, schema=schema, manage_database=False)
    server = await start_api_server(app)
    # When a request makes it parse a variable
    try:
        async with httpx.AsyncClient(
            base_url=server.url, headers=bearer(admin.admin_token)
        ) as client:
            response = await client.post(
                "/graphql",
                json={"query": "query($v: Buggy!) { echo(value: $v) }", "variables": {"v": "x"}},
                headers={"X-Request-Id": "req-9", "Accept": "application/graphql-response+json"},
            )
    finally:
        await server.stop()
    # Then it is a server error, masked, with no data, and logged once
    assert response.status_code == 500
    assert response.json() == {
        "errors": [
            {
                "message": "Internal server error (request req-9)",
                "locations": [{"line": 1, "column": 7}],
                "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-9"},
            }
        ]
    }
    [record] = error_records(caplog)
    assert record.getMessage() == "unexpected error before execution (request req-9)"
    assert record.exc_info is not None
    assert repr(record.exc_info[1]) == "RuntimeError('bug in the scalar')"
    assert "in _buggy_parse" in caplog.text
