"""Persisted queries over real HTTP: Apollo's automatic persisted queries (hash only, then
hash and text, then hash only over POST and GET), hostile `persistedQuery` values, and the
trusted-documents modes with a registry file. The test schema records every resolver
call and every mutation, so a refusal is proven to have run nothing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from app.asgi import create_app
from app.persisted_queries import MAX_PERSISTED_BYTES, REDIS_INDEX, REDIS_PREFIX
from app.trusted_documents import TrustedDocument, add_documents, sha256_of
from infra.settings import Settings, TrustedDocuments
from schema.limits.document_cache import DOCUMENTS
from tests.app import things_schema
from tests.app.things_schema import CALLS, RECORDED
from tests.support import factories
from tests.support.services import start_api_server
from tests.support.tokens import bearer

GRAPHQL_RESPONSE = "application/graphql-response+json"
HELLO = "query Hello { hello }"
THINGS = "query Things($n: Int!) { things(first: $n) { edges { cursor } } }"
RECORD = 'mutation Record { record(note: "by hash") }'

Serve = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


def persisted(text: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256_of(text)}}


def by_hash(text: str, **params: Any) -> dict[str, Any]:
    """The body Apollo's link sends first: the hash, no text."""
    return {"extensions": persisted(text), **params}


def with_text(text: str, **params: Any) -> dict[str, Any]:
    """The body it sends after PersistedQueryNotFound: the hash and the text."""
    return {"query": text, "extensions": persisted(text), **params}


def as_get(body: dict[str, Any]) -> dict[str, str]:
    """The query parameters of the same request over GET."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}


def error_of(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    assert set(body) == {"errors"}
    [error] = body["errors"]
    return response.status_code, error["extensions"]["code"], error["message"]


@pytest.fixture
def registry_file(tmp_path: Path) -> Path:
    return tmp_path / "trusted-documents.json"


@pytest.fixture
def serve(settings_empty: Settings, admin: factories.Team, registry_file: Path) -> Serve:
    """The test schema served by the real app with some settings changed, and a client
    that sends the admin's token."""

    @asynccontextmanager
    async def served(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        things_schema.CALLS.clear()
        things_schema.RECORDED.clear()
        await forget_shared_documents(settings_empty.redis_url)
        settings = settings_empty.model_copy(
            update={"trusted_documents_file": registry_file, **overrides}
        )
        app = create_app(settings, schema=things_schema.THINGS_SCHEMA, manage_database=False)
        server = await start_api_server(app)
        headers = bearer(admin.admin_token)
        async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=15) as client:
            yield client
        await server.stop()

    return served


async def forget_shared_documents(redis_url: str) -> None:
    """Empty the APQ store in Redis (the tests share one Redis server)."""
    redis = Redis.from_url(redis_url)
    keys = [key async for key in redis.scan_iter(match=REDIS_PREFIX + "*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


def register(path: Path, *texts: str) -> None:
    add_documents(path, [TrustedDocument(sha256_of(text), text) for text in texts])


# Automatic persisted queries ---------------------------------------------------------


async def test_apq_round_trip_over_post_and_get(serve: Serve) -> None:
    async with serve() as api:
        # Given a document the server has never seen, sent by its hash only
        miss = await api.post("/graphql", json=by_hash(THINGS, variables={"n": 1}))
        # Then it is not found, as Apollo Client's link expects (200, message and code),
        # the answer may not be cached, and nothing ran
        assert error_of(miss) == (200, "PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")
        assert miss.headers["cache-control"] == "no-store"
        assert CALLS == []
        # When the client sends the hash with the text, then it runs
        registered = await api.post("/graphql", json=with_text(THINGS, variables={"n": 1}))
        assert registered.json() == {"data": {"things": {"edges": [{"cursor": "t0"}]}}}
        # And from then on the hash alone runs it, over POST and over GET (what a CDN caches)
        body = by_hash(THINGS, variables={"n": 2}, operationName="Things")
        post = await api.post("/graphql", json=body)
        get = await api.get("/graphql", params=as_get(body))
        for response in (post, get):
            assert response.status_code == 200
            assert response.json() == {
                "data": {"things": {"edges": [{"cursor": "t0"}, {"cursor": "t1"}]}}
            }
            assert "cache-control" not in response.headers
        assert CALLS == ["things", "things", "things"]


async def test_a_miss_is_200_in_either_media_type(serve: Serve) -> None:
    async with serve() as api:
        response = await api.post(
            "/graphql", json=by_hash(HELLO), headers={"Accept": GRAPHQL_RESPONSE}
        )
    assert error_of(response) == (200, "PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")
    assert response.headers["content-type"] == GRAPHQL_RESPONSE


async def test_a_hash_that_is_not_the_texts_is_400_and_nothing_is_kept(serve: Serve) -> None:
    async with serve() as api:
        # When the text comes with the hash of another document
        body = {"query": "{ hello }", "extensions": persisted(HELLO)}
        response = await api.post("/graphql", json=body)
        # Then it is refused before it runs
        assert error_of(response) == (
            400,
            "PERSISTED_QUERY_HASH_MISMATCH",
            "'extensions.persistedQuery.sha256Hash' is not the SHA-256 of 'query'",
        )
        assert CALLS == []
        # And neither document is known by that hash
        again = await api.post("/graphql", json=by_hash(HELLO))
        assert error_of(again)[1] == "PERSISTED_QUERY_NOT_FOUND"


async def test_a_document_that_does_not_validate_is_not_kept(serve: Serve) -> None:
    async with serve() as api:
        # Given an invalid document sent with its hash
        invalid = "{ nope }"
        refused = await api.post("/graphql", json=with_text(invalid))
        assert refused.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        # Then its hash stays unknown: only documents that ran are remembered
        again = await api.post("/graphql", json=by_hash(invalid))
        assert error_of(again)[1] == "PERSISTED_QUERY_NOT_FOUND"


async def test_a_mutation_by_hash_over_get_is_405_and_changes_nothing(serve: Serve) -> None:
    async with serve() as api:
        # Given a mutation registered over POST (it runs once)
        first = await api.post("/graphql", json=with_text(RECORD))
        assert first.json() == {"data": {"record": True}}
        # When a GET names it by its hash (a link or an <img> could)
        response = await api.get("/graphql", params=as_get(by_hash(RECORD)))
        # Then it is refused, pointing at POST, and nothing more was written
        assert error_of(response) == (
            405,
            "METHOD_NOT_ALLOWED",
            "mutations are not allowed over GET: use POST",
        )
        assert response.headers["allow"] == "POST"
        assert RECORDED == ["by hash"]
        # And over POST the hash runs it again
        second = await api.post("/graphql", json=by_hash(RECORD))
        assert second.json() == {"data": {"record": True}}
        assert RECORDED == ["by hash", "by hash"]


async def test_each_process_remembers_a_bounded_number_of_documents(serve: Serve) -> None:
    documents = ["{ a: hello }", "{ b: hello }", "{ c: hello }"]
    async with serve(apq_cache_size=2, apq_shared_size=0) as api:
        # Given a store of two documents holding a and b, a used after b
        for text in documents[:2]:
            await api.post("/graphql", json=with_text(text))
        assert "data" in (await api.post("/graphql", json=by_hash(documents[0]))).json()
        # When a third is registered
        await api.post("/graphql", json=with_text(documents[2]))
        # Then the least recently used one (b) is forgotten, the others are served
        answers = [(await api.post("/graphql", json=by_hash(text))).json() for text in documents]
    assert answers[0] == {"data": {"a": "hello"}}
    assert answers[1]["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert answers[2] == {"data": {"c": "hello"}}


async def test_a_browser_get_by_hash_runs_the_query_not_graphiql(serve: Serve) -> None:
    async with serve() as api:
        await api.post("/graphql", json=with_text(HELLO))
        response = await api.get(
            "/graphql",
            params=as_get(by_hash(HELLO)),
            headers={"Accept": "text/html,application/json;q=0.9"},
        )
    assert response.json() == {"data": {"hello": "hello"}}


HASH_MESSAGE = (
    "'extensions.persistedQuery.sha256Hash' must be 64 lowercase hexadecimal characters: "
    "the SHA-256 of the document's UTF-8 text"
)
VERSION_MESSAGE = (
    "unsupported persisted query version: 'extensions.persistedQuery.version' must be 1"
)
GOOD_HASH = sha256_of(HELLO)


@pytest.mark.parametrize(
    ("persisted_query", "message"),
    [
        ("x" * 8_000, "'extensions.persistedQuery' must be a JSON object"),
        ([GOOD_HASH], "'extensions.persistedQuery' must be a JSON object"),
        (1, "'extensions.persistedQuery' must be a JSON object"),
        ({"sha256Hash": GOOD_HASH}, VERSION_MESSAGE),
        ({"version": 2, "sha256Hash": GOOD_HASH}, VERSION_MESSAGE),
        ({"version": "1", "sha256Hash": GOOD_HASH}, VERSION_MESSAGE),
        ({"version": True, "sha256Hash": GOOD_HASH}, VERSION_MESSAGE),
        ({"version": 1.0, "sha256Hash": GOOD_HASH}, VERSION_MESSAGE),
        ({"version": {"v": 1}, "sha256Hash": GOOD_HASH}, VERSION_MESSAGE),
        ({"version": 1}, HASH_MESSAGE),
        ({"version": 1, "sha256Hash": None}, HASH_MESSAGE),
        ({"version": 1, "sha256Hash": 12}, HASH_MESSAGE),
        ({"version": 1, "sha256Hash": {"hash": GOOD_HASH}}, HASH_MESSAGE),
        ({"version": 1, "sha256Hash": [GOOD_HASH]}, HASH_MESSAGE),
        ({"version": 1, "sha256Hash": GOOD_HASH.upper()}, HASH_MESSAGE),
        ({"version": 1, "sha256Hash": GOOD_HASH[:-1]}, HASH_MESSAGE),
        ({"version": 1, "sha256Hash": GOOD_HASH + "0"}, HASH_MESSAGE),
        ({"version": 1, "sha256Hash": GOOD_HASH[:-1] + "g"}, HASH_MESSAGE),
        ({"version": 1, "sha256Hash": GOOD_HASH[:-1] + "\n"}, HASH_MESSAGE),
        ({"version": 1, "sha256Hash": "f" * 8_000}, HASH_MESSAGE),
    ],
)
@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_malformed_persisted_queries_are_400_and_run_nothing(
    things_api: httpx.AsyncClient, persisted_query: Any, message: str, method: str
) -> None:
    body = {"extensions": {"persistedQuery": persisted_query}}
    if method == "POST":
        response = await things_api.post("/graphql", json=body)
    else:
        response = await things_api.get("/graphql", params=as_get(body))
    # Then the refusal describes the value without echoing it
    assert error_of(response) == (400, "BAD_REQUEST", message)
    assert CALLS == []


async def test_a_huge_hash_in_a_body_is_400(things_api: httpx.AsyncClient) -> None:
    # A value as large as a body may be (hashes are compared by length first)
    huge = {"version": 1, "sha256Hash": "f" * 250_000}
    response = await things_api.post("/graphql", json={"extensions": {"persistedQuery": huge}})
    assert error_of(response) == (400, "BAD_REQUEST", HASH_MESSAGE)


async def test_a_null_persisted_query_is_no_persisted_query(
    things_api: httpx.AsyncClient,
) -> None:
    with_null = {"query": HELLO, "extensions": {"persistedQuery": None}}
    without = await things_api.post("/graphql", json={"extensions": {"persistedQuery": None}})
    assert (await things_api.post("/graphql", json=with_null)).json() == {
        "data": {"hello": "hello"}
    }
    assert error_of(without) == (400, "BAD_REQUEST", "the request has no 'query' string")


async def test_a_malformed_hash_is_refused_before_authentication(
    empty_api: httpx.AsyncClient,
) -> None:
    # Without a token: the shape of the request is checked first, as for the body
    response = await empty_api.post(
        "/graphql", json={"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "x"}}}
    )
    assert error_of(response) == (400, "BAD_REQUEST", HASH_MESSAGE)


async def test_an_unknown_hash_needs_authentication(empty_api: httpx.AsyncClient) -> None:
    # An anonymous client learns nothing about the store
    response = await empty_api.post("/graphql", json=by_hash(HELLO))
    assert error_of(response)[:2] == (401, "UNAUTHENTICATED")


# Trusted documents --------------------------------------------------------------------


async def test_only_runs_registered_documents_by_hash_or_by_text(
    serve: Serve, registry_file: Path
) -> None:
    # Given a registry holding two documents
    register(registry_file, HELLO, THINGS)
    async with serve(trusted_documents=TrustedDocuments.ONLY) as api:
        # When they are asked for by hash (POST, GET), by text, by hash and text
        answers = [
            (await api.post("/graphql", json=by_hash(HELLO))).json(),
            (await api.get("/graphql", params=as_get(by_hash(HELLO)))).json(),
            (await api.post("/graphql", json={"query": HELLO})).json(),
            (await api.post("/graphql", json=with_text(THINGS, variables={"n": 1}))).json(),
        ]
    # Then each runs
    assert answers == [
        {"data": {"hello": "hello"}},
        {"data": {"hello": "hello"}},
        {"data": {"hello": "hello"}},
        {"data": {"things": {"edges": [{"cursor": "t0"}]}}},
    ]


UNREGISTERED = (
    403,
    "DOCUMENT_NOT_TRUSTED",
    "only trusted documents run here, and this document is not registered "
    "(see `python -m app documents add`)",
)
UNKNOWN_HASH = (
    403,
    "DOCUMENT_NOT_TRUSTED",
    "only trusted documents run here, and no registered document has this hash "
    "(see `python -m app documents add`)",
)


async def test_only_refuses_every_other_document(serve: Serve, registry_file: Path) -> None:
    register(registry_file, HELLO)
    async with serve(trusted_documents=TrustedDocuments.ONLY) as api:
        # A text that is not registered (even one differing only by a space)
        raw = await api.post("/graphql", json={"query": HELLO + " "})
        mutation = await api.post("/graphql", json={"query": RECORD})
        # An unknown hash
        unknown = await api.post("/graphql", json=by_hash(RECORD))
        # An APQ registration, then the same hash again
        registration = await api.post("/graphql", json=with_text(RECORD))
        again = await api.post("/graphql", json=by_hash(RECORD))
    assert [error_of(r) for r in (raw, mutation, registration)] == [UNREGISTERED] * 3
    assert [error_of(r) for r in (unknown, again)] == [UNKNOWN_HASH] * 2
    assert unknown.headers["cache-control"] == "no-store"
    assert CALLS == []
    assert RECORDED == []


NOT_FOUND = (200, "PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")


@pytest.mark.parametrize(
    ("mode", "unknown"),
    [(TrustedDocuments.ONLY, UNKNOWN_HASH), (TrustedDocuments.ALLOW, NOT_FOUND)],
)
async def test_a_document_registered_while_serving_is_served(
    serve: Serve, registry_file: Path, mode: TrustedDocuments, unknown: tuple[int, str, str]
) -> None:
    register(registry_file, HELLO)
    async with serve(trusted_documents=mode) as api:
        # Given the API has read the registry
        assert (await api.post("/graphql", json=by_hash(HELLO))).status_code == 200
        before = await api.post("/graphql", json=by_hash(THINGS, variables={"n": 1}))
        # When documents are added to the file (as `documents add` does)
        # (one at a time, so that each lookup must read the file again)
        register(registry_file, RECORD)
        as_text = await api.post("/graphql", json={"query": RECORD})
        register(registry_file, THINGS)
        after = await api.post("/graphql", json=by_hash(THINGS, variables={"n": 1}))
    # Then the API finds them without a restart, by hash and by text
    assert error_of(before) == unknown
    assert after.json() == {"data": {"things": {"edges": [{"cursor": "t0"}]}}}
    assert as_text.json() == {"data": {"record": True}}


async def test_a_broken_registry_file_keeps_what_was_read(
    serve: Serve, registry_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    register(registry_file, HELLO)
    async with serve(trusted_documents=TrustedDocuments.ONLY) as api:
        assert (await api.post("/graphql", json=by_hash(HELLO))).status_code == 200
        # When the file is overwritten with something that is not a registry
        registry_file.write_text("{not json", encoding="utf-8")
        unknown = await api.post("/graphql", json=by_hash(THINGS))
        known = await api.post("/graphql", json=by_hash(HELLO))
    # Then the documents read before still run, and the problem is logged
    assert error_of(unknown) == UNKNOWN_HASH
    assert known.json() == {"data": {"hello": "hello"}}
    assert "trusted documents not reloaded" in caplog.text


async def test_allow_finds_registered_documents_and_runs_others(
    serve: Serve, registry_file: Path
) -> None:
    register(registry_file, HELLO)
    async with serve(trusted_documents=TrustedDocuments.ALLOW) as api:
        # A registered document by hash, without an APQ registration first
        registered = await api.post("/graphql", json=by_hash(HELLO))
        # Any other document, and APQ
        other = await api.post("/graphql", json={"query": "{ other: hello }"})
        apq = await api.post("/graphql", json=with_text(RECORD))
    assert registered.json() == {"data": {"hello": "hello"}}
    assert other.json() == {"data": {"other": "hello"}}
    assert apq.json() == {"data": {"record": True}}


async def test_off_never_reads_the_registry(serve: Serve, registry_file: Path) -> None:
    register(registry_file, HELLO)
    async with serve(trusted_documents=TrustedDocuments.OFF) as api:
        response = await api.post("/graphql", json=by_hash(HELLO))
    assert error_of(response) == (200, "PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")


async def test_a_registered_document_is_pinned_in_the_document_cache(
    serve: Serve, registry_file: Path
) -> None:
    # Given a registered document this process has not served yet
    text = "query PinnedProbe { pinnedProbe: hello }"
    register(registry_file, text)
    assert not DOCUMENTS.is_pinned(text)
    async with serve(trusted_documents=TrustedDocuments.ALLOW) as api:
        # When it is sent as text, the first request of this process
        response = await api.post("/graphql", json={"query": text})
    # Then it runs, and its parsed and validated document is kept apart from the LRU
    assert response.json() == {"data": {"pinnedProbe": "hello"}}
    assert DOCUMENTS.is_pinned(text)


# The store shared through Redis ------------------------------------------------------


async def test_a_document_registered_on_one_process_is_found_by_another(serve: Serve) -> None:
    async with serve() as first, serve() as second:
        # Given a document registered through one API process
        await first.post("/graphql", json=with_text(THINGS, variables={"n": 1}))
        # When another process is asked for its hash
        response = await second.post("/graphql", json=by_hash(THINGS, variables={"n": 1}))
    # Then it runs there too
    assert response.json() == {"data": {"things": {"edges": [{"cursor": "t0"}]}}}


async def test_redis_keeps_a_bounded_number_of_documents_for_a_week(
    serve: Serve, settings_empty: Settings
) -> None:
    documents = ["{ a: hello }", "{ b: hello }", "{ c: hello }"]
    async with serve(apq_shared_size=2) as first, serve(apq_shared_size=2) as second:
        # Given three documents registered in a shared store of two
        for text in documents:
            await first.post("/graphql", json=with_text(text))
        # When another process asks for them
        answers = [(await second.post("/graphql", json=by_hash(t))).json() for t in documents]
    # Then the oldest is gone, from the index and from Redis
    assert answers[0]["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert answers[1:] == [{"data": {"b": "hello"}}, {"data": {"c": "hello"}}]
    redis = Redis.from_url(settings_empty.redis_url)
    index = await redis.zrange(REDIS_INDEX, 0, -1)
    kept = [await redis.exists(REDIS_PREFIX + sha256_of(t)) for t in documents]
    ttl = await redis.ttl(REDIS_PREFIX + sha256_of(documents[2]))
    await redis.aclose()
    assert index == [sha256_of(t).encode() for t in documents[1:]]
    assert kept == [0, 1, 1]
    assert 0 < ttl <= 7 * 24 * 3600


async def test_a_redis_entry_that_is_not_its_document_is_not_run(
    serve: Serve, settings_empty: Settings
) -> None:
    # Given a Redis entry under the hash of one document holding another
    redis = Redis.from_url(settings_empty.redis_url)
    async with serve() as api:
        await redis.set(REDIS_PREFIX + sha256_of(HELLO), RECORD)
        await redis.aclose()
        # When that hash is asked for
        response = await api.post("/graphql", json=by_hash(HELLO))
    # Then it is not found, and the other document did not run
    assert error_of(response)[1] == "PERSISTED_QUERY_NOT_FOUND"
    assert RECORDED == []


async def test_without_redis_each_process_keeps_its_documents(serve: Serve) -> None:
    async with serve(redis_url="redis://127.0.0.1:1/0") as api:
        await api.post("/graphql", json=with_text(HELLO))
        response = await api.post("/graphql", json=by_hash(HELLO))
    assert response.json() == {"data": {"hello": "hello"}}


async def test_a_document_over_the_size_bound_runs_and_is_not_kept(serve: Serve) -> None:
    # Given a document of more than MAX_PERSISTED_BYTES (one long comment: one token)
    text = "{ hello }\n#" + "x" * MAX_PERSISTED_BYTES
    async with serve() as api:
        # When it is registered, then it runs
        registered = await api.post("/graphql", json=with_text(text))
        assert registered.json() == {"data": {"hello": "hello"}}
        # But its hash stays unknown, in the process and in Redis
        again = await api.post("/graphql", json=by_hash(text))
    assert error_of(again)[1] == "PERSISTED_QUERY_NOT_FOUND"
