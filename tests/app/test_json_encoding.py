"""Responses are encoded with orjson (app.graphql_http.encode_json), byte for byte what
Starlette's JSONResponse wrote with the standard encoder, refusals included."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import pytest
from graphql import GraphQLFloat, GraphQLList, GraphQLNonNull, GraphQLObjectType
from starlette.responses import JSONResponse

from app.graphql_http import encode_json, json_response
from resolvers.assembly import schema


def starlette(body: Any) -> bytes:
    return bytes(JSONResponse(body).body)


@dataclasses.dataclass
class Point:
    x: int


@pytest.mark.parametrize(
    "body",
    [
        {"data": {"account": {"users": {"edges": [{"node": {"id": "VXNlcjox", "n": 1}}]}}}},
        {"errors": [{"message": "x", "path": ["a", 0, "b"], "extensions": {"code": "X"}}]},
        {"data": None, "b": True, "c": False, "z": 1, "a": -(2**63), "m": 2**64 - 1},
        # Every code point but the surrogates (control characters, quotes, backslashes,
        # U+2028, non-BMP), one string per plane so a failure says where.
        *({"s": "".join(map(chr, range(lo, hi)))} for lo, hi in [(0, 0xD800), (0xE000, 0x10000)]),
        {"s": "".join(chr(c) for c in range(0x10000, 0x110000, 97))},
        # Where orjson refuses and the standard encoder answers (the same bytes as before).
        {"big": 2**64},
        {1: "a key that is not a string"},
    ],
)
def test_bytes_are_the_standard_encoders(body: Any) -> None:
    assert encode_json(body) == starlette(body)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"lone surrogate": "\ud800"}, UnicodeEncodeError),
        ({"not JSON": dt.datetime(2026, 12, 1, tzinfo=dt.UTC)}, TypeError),
        ({"not JSON": Point(1)}, TypeError),
    ],
)
def test_what_the_standard_encoder_refuses_is_refused_alike(
    body: Any, error: type[Exception]
) -> None:
    # orjson would write the datetime and the dataclass: never silently here
    with pytest.raises(error):
        starlette(body)
    with pytest.raises(error):
        encode_json(body)


def test_the_response_carries_status_and_media_type() -> None:
    response = json_response(
        {"a": "é"}, status_code=400, media_type="application/graphql-response+json"
    )
    assert response.status_code == 400
    assert response.body == '{"a":"é"}'.encode()
    assert response.headers["content-type"] == "application/graphql-response+json"
    assert response.headers["content-length"] == str(len(response.body))


def test_non_finite_floats_are_the_one_difference() -> None:
    # orjson writes NaN and infinities as null where the standard encoder refused them; a
    # GraphQL body never holds one (no Float field, below; graphql-core refuses them anyway)
    for value in (float("nan"), float("inf"), float("-inf")):
        with pytest.raises(ValueError, match="Out of range float values"):
            starlette({"x": value})
        assert encode_json({"x": value}) == b'{"x":null}'


def test_the_schema_has_no_float_output() -> None:
    # orjson and json spell some floats differently (1e-7 / 1e-07, NaN): a Float output
    # field would make encode_json disagree with the standard encoder
    def unwrap(kind: Any) -> Any:
        while isinstance(kind, GraphQLNonNull | GraphQLList):
            kind = kind.of_type
        return kind

    floats = [
        f"{name}.{field_name}"
        for name, kind in schema._schema.type_map.items()
        if isinstance(kind, GraphQLObjectType)
        for field_name, field in kind.fields.items()
        if unwrap(field.type) is GraphQLFloat
    ]
    assert floats == []
    assert json.dumps(1e-7) != encode_json(1e-7).decode()  # why the test above exists
