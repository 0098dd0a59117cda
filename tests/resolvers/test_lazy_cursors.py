"""Edge cursors are written only when a query selects them (schema.pagination.Edge)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from schema import pagination
from schema.ids import to_global_id
from tests.support.bulk import make_account
from tests.support.graphql import data
from tests.support.tokens import member_token

PAGE = """query($account: ID!) { account(id: $account) { users(first: 10) {
  edges { %s node { name } } pageInfo { endCursor }
} } }"""


async def test_a_page_encodes_the_cursors_it_is_asked_for(
    empty_api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an account of 10 users, and every cursor written counted
    account = await make_account("Lazy Cursors", 10, admin_email="admin@lazy.example")
    token = await member_token("admin@lazy.example", "Lazy Cursors")
    written: list[str] = []
    encode = pagination.encode_cursor

    def counting(tag: str, values: Any) -> str:
        written.append(tag)
        return encode(tag, values)

    monkeypatch.setattr(pagination, "encode_cursor", counting)
    variables = {"account": to_global_id("Account", account)}
    # When the page is read without the edges' cursors
    without = await data(empty_api, token, PAGE % "", **variables)
    # Then only the page's own cursors are written (start and end)
    assert len(written) == 2
    # When the edges' cursors are asked for
    written.clear()
    edges = (await data(empty_api, token, PAGE % "cursor", **variables))["account"]["users"]
    # Then each is written once more, and they are the cursors the page info points at
    assert len(written) == 2 + 10
    assert edges["edges"][-1]["cursor"] == edges["pageInfo"]["endCursor"]
    assert without["account"]["users"]["pageInfo"] == edges["pageInfo"]
