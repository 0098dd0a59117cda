"""Free text of the read API (`search`, `planCode`, `Catalog.product(code:)`): bounded, no
control characters, LIKE wildcards matched literally, over real HTTP. The helpers run on
PostgreSQL too (tests/resolvers/test_postgres_reads.py)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from models import Account
from schema.ids import to_global_id
from schema.limits.numbers import MAX_TEXT_LENGTH
from tests.support import factories
from tests.support.graphql import data
from tests.support.tokens import bearer

USERS = """query($a: ID!, $filter: UserFilter) { account(id: $a) {
  users(first: 50, filter: $filter) { edges { node { name } } } } }"""
SUBSCRIPTIONS = """query($a: ID!, $filter: SubscriptionFilter) { account(id: $a) {
  subscriptions(first: 50, filter: $filter) { totalCount } } }"""
PRODUCT = """query($code: String!) { catalog { product(code: $code) { name } } }"""


async def post(api: httpx.AsyncClient, token: str, query: str, **variables: Any) -> Any:
    """POST with the JSON written here (ASCII, escapes kept), so that a lone surrogate
    (`\\ud800`) reaches the server as a client would send it."""
    response = await api.post(
        "/graphql",
        content=json.dumps({"query": query, "variables": variables}),
        headers={**bearer(token), "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    return response


async def refusals(api: httpx.AsyncClient, token: str, query: str, **variables: Any) -> Any:
    response = await post(api, token, query, **variables)
    body = response.json()
    return [(e["message"], e["extensions"]["code"]) for e in body.get("errors", [])], body


class Acme:
    """Acme Engineering and its primary admin, Alice Martin, calling the API."""

    def __init__(self, api: httpx.AsyncClient, token: str, model: Account) -> None:
        self.api = api
        self.token = token
        self.model = model
        self.account = to_global_id("Account", model.id)

    @classmethod
    async def open(cls, api: httpx.AsyncClient) -> Acme:
        team = await factories.team(name="Acme Engineering", admin_name="Alice Martin")
        return cls(api, team.admin_token, team.account)

    async def names(self, search: str) -> list[str]:
        result = await data(self.api, self.token, USERS, a=self.account, filter={"search": search})
        return [e["node"]["name"] for e in result["account"]["users"]["edges"]]


def too_long(argument: str, length: int) -> tuple[str, str]:
    return (
        f"`{argument}` must be at most {MAX_TEXT_LENGTH} characters long, not {length}",
        "BAD_USER_INPUT",
    )


def control(argument: str) -> tuple[str, str]:
    return (f"`{argument}` must not contain control characters", "BAD_USER_INPUT")


async def assert_long_text_is_refused_without_echo(api: httpx.AsyncClient) -> None:
    # Given Alice, and a 50,000-character text
    acme = await Acme.open(api)
    huge = "ab%_" * 12_500
    # When it is the search, the plan code or the catalog code
    asked: list[tuple[str, dict[str, Any], str]] = [
        (USERS, {"a": acme.account, "filter": {"search": huge}}, "filter.search"),
        (SUBSCRIPTIONS, {"a": acme.account, "filter": {"planCode": huge}}, "filter.planCode"),
        (PRODUCT, {"code": huge}, "code"),
    ]
    for query, variables, argument in asked:
        errors, body = await refusals(api, acme.token, query, **variables)
        # Then it is refused, naming the argument and the limit, without the value
        assert errors == [too_long(argument, 50_000)], argument
        assert "ab%_ab%_" not in json.dumps(body)
    # And the bound itself is accepted (it matches nothing), one more character is not
    assert await acme.names("x" * MAX_TEXT_LENGTH) == []
    errors, _ = await refusals(
        api, acme.token, USERS, a=acme.account, filter={"search": "x" * (MAX_TEXT_LENGTH + 1)}
    )
    assert errors == [too_long("filter.search", MAX_TEXT_LENGTH + 1)]


async def assert_control_characters_are_refused(api: httpx.AsyncClient) -> None:
    # Given Alice
    acme = await Acme.open(api)
    for text in ("\x00", "dubois\x00", "du\tbois", "dubois\n", "\x7f", "\x85", "\ud800"):
        # When a search, a plan code or a catalog code holds a control character or a lone
        # surrogate
        asked: list[tuple[str, dict[str, Any], str]] = [
            (USERS, {"a": acme.account, "filter": {"search": text}}, "filter.search"),
            (SUBSCRIPTIONS, {"a": acme.account, "filter": {"planCode": text}}, "filter.planCode"),
            (PRODUCT, {"code": text}, "code"),
        ]
        for query, variables, argument in asked:
            errors, _ = await refusals(api, acme.token, query, **variables)
            # Then it is refused (not matched against every user)
            assert errors == [control(argument)], (argument, text)


async def assert_like_wildcards_match_literally(api: httpx.AsyncClient) -> None:
    # Given members whose names hold LIKE's wildcards and escape character
    acme = await Acme.open(api)
    for name in ("Pat 100% Sure", "Una_Score", "Una Space", "Bo\\Slash"):
        await factories.member(acme.model, await factories.user(name=name))
    # When they are searched for by those characters
    # Then each matches itself only (`%` is not "anything", `_` not "any character")
    assert await acme.names("%") == ["Pat 100% Sure"]
    assert await acme.names("0% s") == ["Pat 100% Sure"]
    assert await acme.names("_") == ["Una_Score"]
    assert await acme.names("a_s") == ["Una_Score"]
    assert await acme.names("\\") == ["Bo\\Slash"]
    assert await acme.names("%%") == []
    assert await acme.names("\\%") == []


async def test_long_text_is_refused_without_echo(empty_api: httpx.AsyncClient) -> None:
    await assert_long_text_is_refused_without_echo(empty_api)


async def test_control_characters_are_refused(empty_api: httpx.AsyncClient) -> None:
    await assert_control_characters_are_refused(empty_api)


async def test_like_wildcards_match_literally(empty_api: httpx.AsyncClient) -> None:
    await assert_like_wildcards_match_literally(empty_api)


async def test_ids_are_opaque_not_free_text(empty_api: httpx.AsyncClient) -> None:
    # Given Alice, and IDs that are huge, hold a NUL or a lone surrogate
    acme = await Acme.open(empty_api)
    query = """query($id: ID!, $filter: UserFilter) {
      node(id: $id) { id } nodes(ids: [$id, $id]) { id } account(id: $id) { id }
      acme: account(id: "%s") { users(first: 5, filter: $filter) { totalCount } } }"""
    for bad in ("QWNjb3VudDo" * 5_000, "\x00", "QWNjb3VudDo\x00", "\ud800"):
        # When they are looked up, or filter a list
        response = await post(
            empty_api,
            acme.token,
            query % acme.account,
            id=bad,
            filter={"contractId": bad, "subscriptionId": bad, "productId": bad},
        )
        # Then they name nothing (as an unknown ID does), without an error
        assert response.json() == {
            "data": {
                "node": None,
                "nodes": [None, None],
                "account": None,
                "acme": {"users": {"totalCount": 0}},
            }
        }, repr(bad[:20])
