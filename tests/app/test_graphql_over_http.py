"""GraphQL over HTTP, over real HTTP: methods, media types, status codes and malformed
requests. A refused request runs nothing: the mutation of the test schema records its
side effects, and the tests prove the record stays empty."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from graphql import parse_value, print_ast

from app.graphql_http import MAX_MESSAGE_CHARS
from resolvers.assembly import schema as production_schema
from schema.limits.numbers import MAX_BODY_BYTES, MAX_JSON_DEPTH
from tests.app.things_schema import CALLS, RECORDED
from tests.support import factories
from tests.support.tokens import bearer

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON_TYPE = "application/json"
RECORD = 'mutation { record(note: "written") }'


def error_of(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    assert set(body) == {"errors"}
    [error] = body["errors"]
    return response.status_code, error["extensions"]["code"], error["message"]


# Methods ----------------------------------------------------------------------------


async def test_a_query_over_post_and_over_get(things_api: httpx.AsyncClient) -> None:
    post = await things_api.post("/graphql", json={"query": "{ hello }"})
    get = await things_api.get("/graphql", params={"query": "{ hello }"})
    for response in (post, get):
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.json() == {"data": {"hello": "hello"}}


async def test_a_mutation_over_post_runs(things_api: httpx.AsyncClient) -> None:
    response = await things_api.post("/graphql", json={"query": RECORD})
    assert response.json() == {"data": {"record": True}}
    assert RECORDED == ["written"]


@pytest.mark.parametrize("accept", ["application/json", GRAPHQL_RESPONSE])
async def test_a_mutation_over_get_is_405_and_changes_nothing(
    things_api: httpx.AsyncClient, accept: str
) -> None:
    # When a mutation is sent over GET (a link or an <img> could do it)
    response = await things_api.get(
        "/graphql", params={"query": RECORD}, headers={"Accept": accept}
    )
    # Then it is refused, pointing at POST, and nothing was written
    assert error_of(response) == (
        405,
        "METHOD_NOT_ALLOWED",
        "mutations are not allowed over GET: use POST",
    )
    assert response.headers["allow"] == "POST"
    assert response.headers["content-type"] == accept
    assert RECORDED == []
    assert CALLS == []


async def test_a_mutation_chosen_by_operation_name_over_get_is_405(
    things_api: httpx.AsyncClient,
) -> None:
    # Given a document holding a query and a mutation
    document = 'query Read { hello } mutation Write { record(note: "x") }'
    # When GET asks for the mutation, then it is refused
    write = await things_api.get("/graphql", params={"query": document, "operationName": "Write"})
    assert (write.status_code, write.headers["allow"]) == (405, "POST")
    assert RECORDED == []
    # When GET asks for the query, then it runs
    read = await things_api.get("/graphql", params={"query": document, "operationName": "Read"})
    assert read.json() == {"data": {"hello": "hello"}}


@pytest.mark.parametrize("method", ["OPTIONS", "PUT", "DELETE", "PATCH"])
async def test_other_methods_are_405_with_a_graphql_error(
    things_api: httpx.AsyncClient, method: str
) -> None:
    # When /graphql gets a method it does not serve (OPTIONS that is no CORS preflight)
    response = await things_api.request(
        method, "/graphql", json={"query": RECORD}, headers={"Accept": GRAPHQL_RESPONSE}
    )
    # Then the refusal is a GraphQL error like every other, and nothing ran
    assert error_of(response) == (405, "METHOD_NOT_ALLOWED", "use POST, or GET for queries")
    assert response.headers["allow"] == "GET, POST"
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    assert RECORDED == []


async def test_head_with_a_body_runs_nothing(things_api: httpx.AsyncClient) -> None:
    # When a HEAD request carries a JSON mutation (Starlette routes HEAD like GET)
    response = await things_api.request(
        "HEAD",
        "/graphql",
        content=json.dumps({"query": RECORD}),
        headers={"Content-Type": "application/json"},
    )
    # Then it is refused and nothing was written
    assert (response.status_code, response.headers["allow"]) == (405, "GET, POST")
    assert RECORDED == []


# Media types and status codes -------------------------------------------------------


async def test_graphql_response_json_is_answered_in_kind(things_api: httpx.AsyncClient) -> None:
    response = await things_api.post(
        "/graphql", json={"query": "{ hello }"}, headers={"Accept": GRAPHQL_RESPONSE}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    assert response.json() == {"data": {"hello": "hello"}}


@pytest.mark.parametrize(
    ("query", "code", "message"),
    [
        ("{ hello", "GRAPHQL_PARSE_FAILED", "Syntax Error: Expected Name, found <EOF>."),
        ("{ nope }", "GRAPHQL_VALIDATION_FAILED", "Cannot query field 'nope' on type 'Query'."),
        (
            "{ things(first: 500) { edges { cursor } } }",
            "PAGE_SIZE_EXCEEDED",
            "'first' on 'Query.things' is 500; it must be between 0 and 100.",
        ),
    ],
)
async def test_requests_refused_before_execution_are_400_or_200_by_media_type(
    things_api: httpx.AsyncClient, query: str, code: str, message: str
) -> None:
    # When a request fails to parse, to validate or to stay within the limits
    new = await things_api.post(
        "/graphql", json={"query": query}, headers={"Accept": GRAPHQL_RESPONSE}
    )
    legacy = await things_api.post(
        "/graphql", json={"query": query}, headers={"Accept": "application/json"}
    )
    # Then application/graphql-response+json says 400 and application/json keeps 200;
    # neither has a `data` entry, and nothing ran
    assert error_of(new) == (400, code, message)
    assert error_of(legacy) == (200, code, message)
    assert new.headers["content-type"] == GRAPHQL_RESPONSE
    assert legacy.headers["content-type"] == "application/json"
    assert CALLS == []


async def test_a_field_error_after_execution_started_is_200_with_data(
    things_api: httpx.AsyncClient,
) -> None:
    # When a nullable field fails, and then a non-null root field fails (data is null)
    partial = await things_api.post(
        "/graphql", json={"query": "{ maybeBoom hello }"}, headers={"Accept": GRAPHQL_RESPONSE}
    )
    null = await things_api.post(
        "/graphql", json={"query": "{ boom hello }"}, headers={"Accept": GRAPHQL_RESPONSE}
    )
    # Then both are 200: execution started, so `data` is there, null or not
    assert partial.status_code == null.status_code == 200
    assert partial.json()["data"] == {"maybeBoom": None, "hello": "hello"}
    assert null.json()["data"] is None
    assert [e["path"] for e in partial.json()["errors"]] == [["maybeBoom"]]
    assert [e["path"] for e in null.json()["errors"]] == [["boom"]]


async def test_no_accept_header_means_application_json(things_api: httpx.AsyncClient) -> None:
    response = await things_api.post("/graphql", json={"query": "{ nope }"}, headers={"Accept": ""})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"


async def test_unauthenticated_is_401_in_either_media_type(empty_api: httpx.AsyncClient) -> None:
    for accept in ("application/json", GRAPHQL_RESPONSE):
        response = await empty_api.post(
            "/graphql", json={"query": "{ viewer { user { name } } }"}, headers={"Accept": accept}
        )
        assert error_of(response) == (
            401,
            "UNAUTHENTICATED",
            "missing Authorization header (use: Bearer <token>)",
        )
        assert response.headers["content-type"] == accept


# Introspection ----------------------------------------------------------------------

INTROSPECTION = "{ __schema { types { name } } }"


async def test_introspection_needs_authentication(
    empty_api: httpx.AsyncClient, admin: factories.Team
) -> None:
    # When an anonymous caller asks for the schema, then it is refused
    anonymous = await empty_api.post("/graphql", json={"query": INTROSPECTION})
    assert error_of(anonymous) == (
        401,
        "UNAUTHENTICATED",
        "missing Authorization header (use: Bearer <token>)",
    )
    # When an admin asks, with her token, then she gets every type of the schema
    response = await empty_api.post(
        "/graphql", json={"query": INTROSPECTION}, headers=bearer(admin.admin_token)
    )
    assert response.status_code == 200
    names = [t["name"] for t in response.json()["data"]["__schema"]["types"]]
    assert sorted(names) == sorted(production_schema._schema.type_map)
    assert {"Query", "Viewer", "__Schema"} <= set(names)


# Bodies -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        pytest.param(
            "query=mutation+%7B+record%28note%3A+%22x%22%29+%7D",
            "application/x-www-form-urlencoded",
            id="form",
        ),
        pytest.param(
            '--b\r\nContent-Disposition: form-data; name="query"\r\n\r\n'
            'mutation { record(note: "x") }\r\n--b--\r\n',
            "multipart/form-data; boundary=b",
            id="multipart",
        ),
        pytest.param(json.dumps({"query": RECORD}), "text/plain", id="text/plain"),
        pytest.param('mutation { record(note: "x") }', "application/graphql", id="graphql"),
        pytest.param(json.dumps({"query": RECORD}), None, id="no content type"),
    ],
)
async def test_post_bodies_other_than_json_are_415_and_run_nothing(
    things_api: httpx.AsyncClient, content: str, content_type: str | None
) -> None:
    # When a browser-sendable (CSRF) body carries a mutation
    headers = {"Content-Type": content_type} if content_type else {}
    response = await things_api.post("/graphql", content=content, headers=headers)
    # Then it is refused without being read, and nothing was written
    assert error_of(response) == (
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        "POST bodies must be application/json (other types are refused against CSRF)",
    )
    assert RECORDED == []


async def test_json_with_a_charset_is_json(things_api: httpx.AsyncClient) -> None:
    response = await things_api.post(
        "/graphql",
        content=json.dumps({"query": "{ hello }"}),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    assert response.json() == {"data": {"hello": "hello"}}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(
            '{"query": "{ hello }"', "malformed JSON in the body: Expecting ',' delimiter"
        ),
        pytest.param("", "malformed JSON in the body: Expecting value", id="empty"),
        pytest.param(
            json.dumps([{"query": RECORD}, {"query": RECORD}]),
            "batched requests are not supported: send one",
            id="batch",
        ),
        pytest.param('"{ hello }"', "the request must be a JSON object", id="string"),
        pytest.param(json.dumps({"variables": {}}), "the request has no 'query' string"),
        pytest.param(json.dumps({"query": 42}), "the request has no 'query' string"),
        pytest.param(json.dumps({"query": "  "}), "the request has no 'query' string"),
        pytest.param(
            json.dumps({"query": RECORD, "variables": [1]}), "'variables' must be a JSON object"
        ),
        pytest.param(
            json.dumps({"query": RECORD, "variables": "{}"}), "'variables' must be a JSON object"
        ),
        pytest.param(
            json.dumps({"query": RECORD, "operationName": 1}), "'operationName' must be a string"
        ),
        pytest.param(
            json.dumps({"query": RECORD, "extensions": []}), "'extensions' must be a JSON object"
        ),
        pytest.param(
            json.dumps({"query": RECORD, "operationName": "Nope"}),
            'Unknown operation named "Nope".',
            id="unknown operationName",
        ),
    ],
)
async def test_malformed_requests_are_400_and_run_nothing(
    things_api: httpx.AsyncClient, body: str, message: str
) -> None:
    response = await things_api.post(
        "/graphql", content=body, headers={"Content-Type": "application/json"}
    )
    assert error_of(response) == (400, "BAD_REQUEST", message)
    assert RECORDED == []
    assert CALLS == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"query": "{ hello }", "variables": "{nope"},
            "malformed JSON in the 'variables' "
            "query parameter: Expecting property name enclosed in double quotes",
        ),
        ({"query": "{ hello }", "variables": "[]"}, "'variables' must be a JSON object"),
        ({"variables": "{}"}, "the request has no 'query' string"),
    ],
)
async def test_malformed_get_requests_are_400(
    things_api: httpx.AsyncClient, params: dict[str, str], message: str
) -> None:
    response = await things_api.get("/graphql", params=params)
    assert error_of(response) == (400, "BAD_REQUEST", message)
    assert CALLS == []


async def test_variables_over_get(things_api: httpx.AsyncClient) -> None:
    response = await things_api.get(
        "/graphql",
        params={
            "query": "query($n: Int!) { things(first: $n) { edges { cursor } } }",
            "variables": json.dumps({"n": 1}),
        },
    )
    assert response.json() == {"data": {"things": {"edges": [{"cursor": "t0"}]}}}


# Size and ambiguity -----------------------------------------------------------------


@pytest.mark.parametrize("declared", [True, False])
async def test_a_body_past_the_size_cap_is_413_and_runs_nothing(
    things_api: httpx.AsyncClient, declared: bool
) -> None:
    # Given a mutation padded past the cap, with or without a Content-Length header
    padding = " " * MAX_BODY_BYTES
    content = json.dumps({"query": RECORD + padding}).encode()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(content), 65536):
            yield content[start : start + 65536]

    # When it is posted
    response = await things_api.post(
        "/graphql",
        content=content if declared else chunks(),
        headers={"Content-Type": "application/json"},
    )
    # Then it is refused and nothing ran
    assert error_of(response) == (
        413,
        "REQUEST_TOO_LARGE",
        f"the request body is larger than {MAX_BODY_BYTES} bytes",
    )
    assert RECORDED == []


@pytest.mark.parametrize("accept", ["application/json", GRAPHQL_RESPONSE])
async def test_several_operations_need_an_operation_name(
    things_api: httpx.AsyncClient, accept: str
) -> None:
    # Given a document with a query and a mutation, and no operationName
    document = 'query Read { hello } mutation Write { record(note: "ambiguous") }'
    response = await things_api.post(
        "/graphql", json={"query": document}, headers={"Accept": accept}
    )
    # Then neither runs, and the client is told what to add
    assert error_of(response) == (
        400 if accept == GRAPHQL_RESPONSE else 200,
        "BAD_REQUEST",
        "the document has several operations: say which one to run with 'operationName'",
    )
    assert RECORDED == []
    # and with the name, the chosen one runs
    chosen = await things_api.post("/graphql", json={"query": document, "operationName": "Write"})
    assert chosen.json() == {"data": {"record": True}}
    assert RECORDED == ["ambiguous"]


# Nesting ----------------------------------------------------------------------------

DEEP_LIST = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000
QUERY_WITH = '{"query": "{ hello }", '
TOO_DEEP = f"nested more than {MAX_JSON_DEPTH} levels"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(QUERY_WITH + '"variables": {"x": ' + DEEP_LIST + "}}", id="variables"),
        pytest.param(QUERY_WITH + '"variables": ' + DEEP_OBJECT + "}", id="variables object"),
        pytest.param(QUERY_WITH + '"extensions": {"x": ' + DEEP_OBJECT + "}}", id="extensions"),
        pytest.param(DEEP_LIST, id="body"),
    ],
)
async def test_deeply_nested_json_bodies_are_400_before_authentication(
    empty_api: httpx.AsyncClient, body: str
) -> None:
    # Given 2 KB of nested brackets, and no token
    # When they are posted
    response = await empty_api.post("/graphql", content=body, headers={"Content-Type": JSON_TYPE})
    # Then the answer is a GraphQL error, not a crash, and authentication was not reached
    assert error_of(response) == (400, "BAD_REQUEST", f"the JSON in the body is {TOO_DEEP}")


@pytest.mark.parametrize("key", ["variables", "extensions"])
async def test_deeply_nested_json_query_parameters_are_400(
    empty_api: httpx.AsyncClient, key: str
) -> None:
    response = await empty_api.get("/graphql", params={"query": "{ hello }", key: DEEP_OBJECT})
    assert error_of(response) == (
        400,
        "BAD_REQUEST",
        f"the JSON in the '{key}' query parameter is {TOO_DEEP}",
    )


def nested_lists(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = [value]
    return value


async def test_json_at_the_nesting_limit_is_served(things_api: httpx.AsyncClient) -> None:
    # Given variables that bring the body to exactly 64 levels (body 1, variables 2)
    at_limit = {"query": "{ hello }", "variables": {"x": nested_lists(MAX_JSON_DEPTH - 2)}}
    one_more = {"query": "{ hello }", "variables": {"x": nested_lists(MAX_JSON_DEPTH - 1)}}
    # Then the first is served and the second refused
    assert (await things_api.post("/graphql", json=at_limit)).json() == {"data": {"hello": "hello"}}
    assert error_of(await things_api.post("/graphql", json=one_more)) == (
        400,
        "BAD_REQUEST",
        f"the JSON in the body is {TOO_DEEP}",
    )


async def test_brackets_inside_json_strings_are_not_nesting(
    things_api: httpx.AsyncClient,
) -> None:
    # Given strings full of brackets, escaped quotes and backslashes (not nesting)
    variables = {"a": '\\"' + "[{" * 500, "b": "\\", "c": ['"[', "\\\\[", "\n["]}
    # When they are sent as variables, then the query is served
    body = {"query": "{ hello }", "variables": variables}
    response = await things_api.post("/graphql", json=body)
    assert response.json() == {"data": {"hello": "hello"}}


async def test_a_number_of_more_than_4300_digits_is_400(things_api: httpx.AsyncClient) -> None:
    # Given a JSON integer Python refuses to convert (sys.get_int_max_str_digits())
    body = QUERY_WITH + '"variables": {"n": ' + "9" * 5000 + "}}"
    response = await things_api.post("/graphql", content=body, headers={"Content-Type": JSON_TYPE})
    assert error_of(response) == (400, "BAD_REQUEST", "a number in the body has too many digits")


NESTED_TOO_DEEPLY = "Syntax Error: Document is nested too deeply. Parsing aborted."


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("{" + " things(first: 1) {" * 1000 + "}" * 1001, id="selections"),
        pytest.param("{ things(first: " + "[" * 900 + "]" * 900 + ") }", id="lists"),
        pytest.param(
            "{ things(first: 1, filter: " + "{nameContains: " * 600 + "}" * 600 + ") }",
            id="input objects",
        ),
    ],
)
async def test_deep_nesting_in_the_document_is_a_parse_error_not_a_crash(
    things_api: httpx.AsyncClient, query: str
) -> None:
    # When a document nests selection sets, lists or input objects hundreds of levels
    response = await things_api.post(
        "/graphql", json={"query": query}, headers={"Accept": GRAPHQL_RESPONSE}
    )
    # Then graphql-core's parser refuses it (it bounds nesting), before anything runs
    assert error_of(response) == (400, "GRAPHQL_PARSE_FAILED", NESTED_TOO_DEEPLY)
    assert CALLS == []


@pytest.mark.parametrize(
    "query",
    [
        pytest.param(
            "{ things(first: " + "[" * 150 + "1" + "]" * 150 + ") { edges { cursor } } }",
            id="argument",
        ),
        pytest.param(
            "query($n: Int = " + "[" * 150 + "1" + "]" * 150 + ") "
            "{ things(first: $n) { edges { cursor } } }",
            id="variable default",
        ),
    ],
)
async def test_nested_lists_the_parser_accepts_are_a_validation_error(
    things_api: httpx.AsyncClient, query: str
) -> None:
    # When an Int argument gets a list nested 150 levels (within the parser's bound)
    response = await things_api.post(
        "/graphql", json={"query": query}, headers={"Accept": GRAPHQL_RESPONSE}
    )
    # Then validation refuses it, and nothing runs; graphql-core's message prints the value
    # (20 KB here), cut to MAX_MESSAGE_CHARS so that the answer does not amplify the request
    printed = "Int cannot represent non-integer value: " + print_ast(
        parse_value("[" * 150 + "1" + "]" * 150)
    )
    assert len(printed) > 20_000
    assert error_of(response) == (
        400,
        "GRAPHQL_VALIDATION_FAILED",
        printed[:MAX_MESSAGE_CHARS] + "...",
    )
    assert CALLS == []


async def test_input_objects_nested_in_variables_up_to_the_limit_are_a_type_error(
    things_api: httpx.AsyncClient,
) -> None:
    # Given a filter variable nested 60 levels (the body stays within the JSON limit)
    value: Any = "x"
    for _ in range(60):
        value = {"nameContains": value}
    query = "query($f: ThingFilter) { things(first: 1, filter: $f) { edges { cursor } } }"
    # When it is sent
    response = await things_api.post(
        "/graphql",
        json={"query": query, "variables": {"f": value}},
        headers={"Accept": GRAPHQL_RESPONSE},
    )
    # Then graphql-core's coercion refuses it, quoting two levels only, and nothing runs
    assert error_of(response) == (
        400,
        "GRAPHQL_VALIDATION_FAILED",
        "Variable '$f' has invalid value at .nameContains: String cannot represent a non "
        "string value: {'nameContains': {'nameContains': {...}}}",
    )
    assert CALLS == []
