"""The read API on PostgreSQL: the queries Tortoise writes differ by dialect (UUID and
timestamp comparisons in keyset cursors, ILIKE, subqueries), so the main paths run there
too."""

from __future__ import annotations

import httpx
import pytest

from models.enums import Channel
from schema.ids import to_global_id
from tests.resolvers.test_cursors import (
    LISTS,
    Lists,
    assert_cursors_of_other_lists_are_refused,
    assert_tampered_cursors_are_refused,
)
from tests.resolvers.test_free_text import (
    assert_control_characters_are_refused,
    assert_like_wildcards_match_literally,
    assert_long_text_is_refused_without_echo,
)
from tests.resolvers.test_pagination import assert_trade_ins_page_newest_first
from tests.support import factories
from tests.support.bulk import make_account
from tests.support.graphql import counting_sql, data
from tests.support.tokens import member_token

pytestmark = pytest.mark.postgres

USERS = """query($account: ID!, $after: String, $filter: UserFilter) {
  account(id: $account) {
    users(first: 5, after: $after, filter: $filter) {
      totalCount pageInfo { hasNextPage endCursor }
      edges { node { name assignments { product { code } subscription { status } } } }
    }
  }
}"""


async def test_users_filters_and_pages_on_postgres(pg_empty_api: httpx.AsyncClient) -> None:
    # Given an account of twelve users: Hugo, Inès and Jack with seats on a reseller
    # contract, Chloé among the others
    pg_api = pg_empty_api
    team = await factories.team(admin_name="Alice Martin")
    people = {
        name: await factories.user(name=name)
        for name in (
            "Louis Petit",
            "Jack Wilson",
            "Inès Moreau",
            "Hugo Bernard",
            "Chloé Dubois",
            "Karin Larsen",
            "Bruno Leclerc",
            "David Nguyen",
            "Emma Schmidt",
            "Farid Haddad",
            "Grace Okafor",
        )
    }
    for person in people.values():
        await factories.member(team.account, person)
    resold = await factories.contract(team.account, channel=Channel.RESELLER)
    revit_lt = await factories.subscription(resold, "RVTLT")
    for name in ("Hugo Bernard", "Inès Moreau", "Jack Wilson"):
        await factories.assign(revit_lt, people[name])
    await factories.assign(await factories.subscription(resold, "INVLT"), people["Jack Wilson"])
    token = team.admin_token
    account = to_global_id("Account", team.account.id)
    contract = to_global_id("Contract", resold.id)
    # Users of a contract, and a case-insensitive search
    of_contract = await data(pg_api, token, USERS, account=account, filter={"contractId": contract})
    assert [e["node"]["name"] for e in of_contract["account"]["users"]["edges"]] == [
        "Hugo Bernard",
        "Inès Moreau",
        "Jack Wilson",
    ]
    found = await data(pg_api, token, USERS, account=account, filter={"search": "DUBOIS"})
    assert [e["node"]["name"] for e in found["account"]["users"]["edges"]] == ["Chloé Dubois"]
    # Paging forward with keyset cursors visits every member once
    seen: list[str] = []
    after = None
    while True:
        page = (await data(pg_api, token, USERS, account=account, after=after))["account"]["users"]
        seen += [e["node"]["name"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == page["totalCount"] == 12
    assert seen == sorted(["Alice Martin", *people])


async def test_trade_ins_page_newest_first_on_postgres(pg_empty_api: httpx.AsyncClient) -> None:
    await assert_trade_ins_page_newest_first(pg_empty_api)


async def test_statement_count_is_constant_on_postgres(pg_empty_api: httpx.AsyncClient) -> None:
    pg_api = pg_empty_api
    counts = []
    for users in (10, 100):
        email = f"pgadmin{users}@bulk.example"
        account_id = await make_account(f"PG Bulk {users}", users, admin_email=email)
        token = await member_token(email, f"PG Bulk {users}")
        query = """query($a: ID!, $n: Int!) { account(id: $a) { users(first: $n) { edges { node {
            name assignments { product { name } subscription { status product { code } } }
        } } } } }"""
        with counting_sql() as statements:
            result = await data(
                pg_api, token, query, a=to_global_id("Account", account_id), n=users
            )
        assert len(result["account"]["users"]["edges"]) == users
        counts.append(len(statements))
    assert counts[0] == counts[1]


async def test_cursors_are_checked_on_postgres(pg_empty_api: httpx.AsyncClient) -> None:
    # Given every list of Acme on PostgreSQL (where a wrong type in a comparison fails)
    lists = await Lists.open(pg_empty_api)
    # Then tampered cursors and cursors of other lists are refused on each
    for name in LISTS:
        await assert_tampered_cursors_are_refused(lists, name)
    await assert_cursors_of_other_lists_are_refused(lists)
    # And an empty page after the first user's cursor sits there
    cursor = await lists.first_cursor("users")
    page = await lists.page("users", first=0, after=cursor)
    assert page == {
        "pageInfo": {
            "hasNextPage": True,
            "hasPreviousPage": True,
            "startCursor": None,
            "endCursor": None,
        },
        "edges": [],
    }


async def test_free_text_is_checked_on_postgres(pg_empty_api: httpx.AsyncClient) -> None:
    await assert_long_text_is_refused_without_echo(pg_empty_api)
    await assert_control_characters_are_refused(pg_empty_api)
    await assert_like_wildcards_match_literally(pg_empty_api)
