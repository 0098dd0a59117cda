"""Keyset pagination over real HTTP: pages, cursors, bounds and stability under inserts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest

from models import Account, Membership, User
from models.enums import Channel, Role, TradeInStatus
from schema.ids import to_global_id
from tests.support import factories
from tests.support.graphql import data, gql

PAGE = """
query Page($account: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  account(id: $account) {
    users(first: $first, after: $after, last: $last, before: $before) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { name } }
    }
  }
}"""

ALL_NAMES = [
    "Alice Martin",
    "Bruno Leclerc",
    "Chloé Dubois",
    "David Nguyen",
    "Emma Schmidt",
    "Farid Haddad",
    "Grace Okafor",
    "Hugo Bernard",
    "Inès Moreau",
    "Jack Wilson",
    "Karin Larsen",
    "Louis Petit",
]


@pytest.fixture
async def alice(db: str) -> str:
    """Acme Engineering with the twelve users of ALL_NAMES (created in reverse order, so the
    list's order is its own); Alice is its primary admin. Returns her token."""
    acme = await factories.account(name="Acme Engineering")
    people = {name: await factories.user(name=name) for name in reversed(ALL_NAMES)}
    for name, person in people.items():
        role = Role.PRIMARY_ADMIN if name == "Alice Martin" else Role.USER
        await factories.member(acme, person, role=role)
    return await factories.token(acme, people["Alice Martin"])


async def _page(api: httpx.AsyncClient, token: str, **args: Any) -> dict[str, Any]:
    account = to_global_id("Account", (await Account.get(name="Acme Engineering")).id)
    result = await data(api, token, PAGE, account=account, **args)
    users: dict[str, Any] = result["account"]["users"]
    return users


def _names(page: dict[str, Any]) -> list[str]:
    return [edge["node"]["name"] for edge in page["edges"]]


async def test_paging_forward_visits_every_user_once(
    empty_api: httpx.AsyncClient, alice: str
) -> None:
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = await _page(empty_api, alice, first=5, after=after)
        assert page["totalCount"] == 12
        seen += _names(page)
        pages += 1
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert pages == 3
    assert seen == ALL_NAMES


async def test_paging_backward_from_the_end(empty_api: httpx.AsyncClient, alice: str) -> None:
    last_page = await _page(empty_api, alice, last=5)
    assert _names(last_page) == ALL_NAMES[-5:]
    assert last_page["pageInfo"]["hasPreviousPage"] is True
    before = await _page(empty_api, alice, last=5, before=last_page["pageInfo"]["startCursor"])
    assert _names(before) == ALL_NAMES[2:7]


async def test_pages_stay_correct_while_rows_are_inserted(
    empty_api: httpx.AsyncClient, alice: str
) -> None:
    # Given the first page read
    first = await _page(empty_api, alice, first=4)
    assert _names(first) == ALL_NAMES[:4]
    # When a user who sorts before the cursor joins the account
    acme = await Account.get(name="Acme Engineering")
    aaron = await User.create(email="aaron.abel@acme.example", name="Aaron Abel")
    await Membership.create(account_id=acme.id, user_id=aaron.id)
    # Then the next page continues exactly where the first ended (no repeat, no gap)
    second = await _page(empty_api, alice, first=4, after=first["pageInfo"]["endCursor"])
    assert _names(second) == ALL_NAMES[4:8]
    assert second["totalCount"] == 13


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        ({}, "PAGE_SIZE_REQUIRED", "give either `first` or `last` (at most 100)"),
        (
            {"first": 2, "last": 2},
            "PAGE_SIZE_REQUIRED",
            "give either `first` or `last` (at most 100)",
        ),
        (
            {"first": 2, "after": "bm9wZQ"},
            "INVALID_CURSOR",
            "this cursor does not belong to this list",
        ),
        (
            {"first": 2, "before": "x"},
            "BAD_USER_INPUT",
            "use `after` with `first` and `before` with `last`",
        ),
    ],
)
async def test_bad_page_arguments_are_refused_clearly(
    empty_api: httpx.AsyncClient, alice: str, args: dict[str, Any], code: str, message: str
) -> None:
    account = to_global_id("Account", (await Account.get(name="Acme Engineering")).id)
    body = await gql(empty_api, alice, PAGE, account=account, **args)
    assert [(e["message"], e["extensions"]["code"]) for e in body["errors"]] == [(message, code)]
    assert body["data"] == {"account": None}


@pytest.mark.parametrize("first", [101, -1])
async def test_a_page_size_out_of_bounds_is_refused_before_execution(
    empty_api: httpx.AsyncClient, alice: str, first: int
) -> None:
    account = to_global_id("Account", (await Account.get(name="Acme Engineering")).id)
    body = await gql(empty_api, alice, PAGE, account=account, first=first)
    assert [(e["message"], e["extensions"]["code"]) for e in body["errors"]] == [
        (
            f"'first' on 'Account.users' is {first}; it must be between 0 and 100.",
            "PAGE_SIZE_EXCEEDED",
        )
    ]
    assert "data" not in body


async def test_an_empty_page_is_not_an_error(empty_api: httpx.AsyncClient, alice: str) -> None:
    page = await _page(empty_api, alice, first=0)
    assert page["edges"] == []
    assert page["pageInfo"] == {
        "hasNextPage": True,
        "hasPreviousPage": False,
        "startCursor": None,
        "endCursor": None,
    }


async def assert_trade_ins_page_newest_first(api: httpx.AsyncClient) -> None:
    # Given five declined trade-ins of a reseller-bought Revit LT, made on five days
    team = await factories.team()
    resold = await factories.contract(team.account, channel=Channel.RESELLER)
    source = await factories.subscription(resold, "RVTLT")
    rows = [
        await factories.trade_in(
            source,
            "RVT",
            status=TradeInStatus.DECLINED,
            created_at=dt.datetime(2026, 11, 1 + day, 12, 0, tzinfo=dt.UTC),
        )
        for day in range(5)
    ]
    # and one of another account, made in between, that is not listed
    other = await factories.contract(await factories.account(), channel=Channel.RESELLER)
    await factories.trade_in(
        await factories.subscription(other, "RVTLT"),
        "RVT",
        status=TradeInStatus.DECLINED,
        created_at=dt.datetime(2026, 11, 3, 18, 0, tzinfo=dt.UTC),
    )
    token = team.admin_token
    account = to_global_id("Account", team.account.id)
    query = """query($a: ID!, $after: String) { account(id: $a) {
        tradeIns(first: 2, after: $after) {
          pageInfo { hasNextPage endCursor } edges { node { id } } }
    } }"""
    # When they are paged two at a time
    seen: list[str] = []
    after = None
    while True:
        page = (await data(api, token, query, a=account, after=after))["account"]["tradeIns"]
        seen += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    # Then they come newest first, each once
    assert seen == [to_global_id("TradeIn", row.id) for row in reversed(rows)]


async def test_trade_ins_page_newest_first(empty_api: httpx.AsyncClient) -> None:
    await assert_trade_ins_page_newest_first(empty_api)


async def test_an_empty_page_after_a_cursor_sits_at_the_cursor(
    empty_api: httpx.AsyncClient, alice: str
) -> None:
    # Given the cursors of the 5th user (Emma) and of the last one (Louis)
    middle = (await _page(empty_api, alice, first=5))["pageInfo"]["endCursor"]
    end = (await _page(empty_api, alice, last=1))["pageInfo"]["endCursor"]
    # When an empty page is asked for after each
    after_middle = await _page(empty_api, alice, first=0, after=middle)
    after_end = await _page(empty_api, alice, first=0, after=end)
    # Then no edge comes, and the page info tells what lies on each side of the cursor
    assert after_middle["edges"] == after_end["edges"] == []
    assert after_middle["pageInfo"] == {
        "hasNextPage": True,
        "hasPreviousPage": True,
        "startCursor": None,
        "endCursor": None,
    }
    assert after_end["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "startCursor": None,
        "endCursor": None,
    }
    assert after_end["totalCount"] == 12


async def test_an_empty_page_still_refuses_a_bad_cursor(
    empty_api: httpx.AsyncClient, alice: str
) -> None:
    # Given a cursor that is not one of this list
    account = to_global_id("Account", (await Account.get(name="Acme Engineering")).id)
    # When it is passed with `first: 0`
    body = await gql(empty_api, alice, PAGE, account=account, first=0, after="bm9wZQ")
    # Then it is refused, as with any other page size
    assert [(e["message"], e["extensions"]["code"]) for e in body["errors"]] == [
        ("this cursor does not belong to this list", "INVALID_CURSOR")
    ]
    assert body["data"] == {"account": None}
