"""The look-ahead preload cannot stop unnoticed.

A list that sees what its page's nodes will ask for loads it before returning
(`preload_members`, the look-ahead of `Account.subscriptions` and of
`ProductSubscription.assignments`), so those nested fields find their values in the
loaders and answer synchronously (schema/resolution.py). Should a preload silently stop (a
renamed field in a `selects(...)` call, an early return), the answers stay right but the
fields fall back to the loaders' awaitable path. These tests watch that path: they wrap
`_one_later`, `_many_later` and the awaitable branch of `now_or_later` (observing only,
same behaviour) and serve one page over HTTP in-process."""

from __future__ import annotations

import inspect
from collections.abc import Hashable
from typing import Any

import httpx
import pytest

import schema.types.subscription
from schema import resolution
from tests.support import scope_world
from tests.support.graphql import data


@pytest.fixture
def awaited(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The loader (class name) of every value a field had to await, in order."""
    calls: list[str] = []
    one_later = resolution._one_later
    many_later = resolution._many_later
    now_or_later = resolution.now_or_later

    def watch_one(loader: Any, key: Hashable) -> Any:
        calls.append(type(loader).__name__)
        return one_later(loader, key)

    def watch_many(loader: Any, key: Hashable) -> Any:
        calls.append(type(loader).__name__)
        return many_later(loader, key)

    def watch_now_or_later(loader: Any, key: Hashable) -> Any:
        value = now_or_later(loader, key)
        if inspect.isawaitable(value):
            calls.append(type(loader).__name__)
        return value

    monkeypatch.setattr(resolution, "_one_later", watch_one)
    monkeypatch.setattr(resolution, "_many_later", watch_many)
    monkeypatch.setattr(schema.types.subscription, "now_or_later", watch_now_or_later)
    return calls


USERS_PAGE = """query($account: ID!) {
  account(id: $account) {
    users(first: 10) { edges { node {
      name
      products { code }
      assignments {
        product { code }
        subscription { product { code } plan { code } contract { number } }
      }
    } } }
  }
}"""


def _seat(product: str, contract: str) -> dict[str, Any]:
    return {
        "product": {"code": product},
        "subscription": {
            "product": {"code": product},
            "plan": {"code": "STANDARD"},
            "contract": {"number": contract},
        },
    }


async def test_the_users_page_answers_its_nested_fields_without_awaiting(
    empty_api: httpx.AsyncClient, awaited: list[str]
) -> None:
    # Given Acme's admin, and the users page with their seats, subscriptions, products,
    # plans and contracts
    world = await scope_world.build()
    # When the page is served
    answer = await data(
        empty_api, world.tokens["admin"], USERS_PAGE, account=world.gid("Account", world.acme)
    )
    # Then it is right, and only the root account was awaited: every nested field of the
    # users found its value preloaded
    assert answer == {
        "account": {
            "users": {
                "edges": [
                    {"node": {"name": "Alice Martin", "products": [], "assignments": []}},
                    {
                        "node": {
                            "name": "Chloé Dubois",
                            "products": [{"code": "ACDLT"}],
                            "assignments": [_seat("ACDLT", "A-ONLINE")],
                        }
                    },
                    {
                        "node": {
                            "name": "Hugo Bernard",
                            "products": [{"code": "ACDLT"}, {"code": "RVTLT"}],
                            "assignments": [_seat("ACDLT", "A-ONLINE"), _seat("RVTLT", "B-RESOLD")],
                        }
                    },
                    {
                        "node": {
                            "name": "Sam Roy",
                            "products": [{"code": "ACD"}],
                            "assignments": [_seat("ACD", "C-DESK")],
                        }
                    },
                ]
            }
        }
    }
    assert awaited == ["AccountByIdLoader"]


# The products of the users' seats, asked on the seat or on its subscription (each alone:
# the preload must follow either).
SEAT_PRODUCTS_PAGES = {
    "seat": "product { code }",
    "subscription": "subscription { product { code } }",
}


@pytest.mark.parametrize("asked_on", list(SEAT_PRODUCTS_PAGES))
async def test_the_products_of_the_users_seats_answer_without_awaiting(
    empty_api: httpx.AsyncClient, awaited: list[str], asked_on: str
) -> None:
    # Given Acme's admin, and the users page asking only the products of their seats
    world = await scope_world.build()
    selection = SEAT_PRODUCTS_PAGES[asked_on]
    page = (
        "query($account: ID!) { account(id: $account) { users(first: 10) { edges { node { "
        f"assignments {{ {selection} }} }} }} }} }} }}"
    )
    # When the page is served
    answer = await data(
        empty_api, world.tokens["admin"], page, account=world.gid("Account", world.acme)
    )
    # Then it is right, and the products were preloaded
    seats = [[], ["ACDLT"], ["ACDLT", "RVTLT"], ["ACD"]]

    def seat(code: str) -> dict[str, Any]:
        product = {"product": {"code": code}}
        return product if asked_on == "seat" else {"subscription": product}

    assert answer == {
        "account": {
            "users": {
                "edges": [{"node": {"assignments": [seat(c) for c in codes]}} for codes in seats]
            }
        }
    }
    assert awaited == ["AccountByIdLoader"]


SUBSCRIPTIONS_PAGE = """query($account: ID!) {
  account(id: $account) {
    subscriptions(first: 10) { edges { node {
      product { code }
      seatsAssigned
      assignments(first: 10) { edges { node { user { name } } } }
    } } }
  }
}"""


def _subscription(product: str, *holders: str) -> dict[str, Any]:
    return {
        "node": {
            "product": {"code": product},
            "seatsAssigned": len(holders),
            "assignments": {"edges": [{"node": {"user": {"name": h}}} for h in holders]},
        }
    }


async def test_the_subscriptions_page_and_their_seats_answer_without_awaiting(
    empty_api: httpx.AsyncClient, awaited: list[str]
) -> None:
    # Given Acme's admin, and the subscriptions page with products, seat counts, and each
    # subscription's seats with their users
    world = await scope_world.build()
    # When the page is served
    answer = await data(
        empty_api,
        world.tokens["admin"],
        SUBSCRIPTIONS_PAGE,
        account=world.gid("Account", world.acme),
    )
    # Then it is right, and only the root account was awaited
    assert answer == {
        "account": {
            "subscriptions": {
                "edges": [
                    _subscription("ACDLT", "Chloé Dubois", "Hugo Bernard"),
                    _subscription("RVTLT", "Hugo Bernard"),
                    _subscription("RVT"),
                    _subscription("ACD", "Sam Roy"),
                ]
            }
        }
    }
    assert awaited == ["AccountByIdLoader"]


SEAT = (
    "query($id: ID!) { node(id: $id) { ... on SeatAssignment { product { code } user { name } } } }"
)


async def test_the_watch_sees_a_field_that_was_not_preloaded(
    empty_api: httpx.AsyncClient, awaited: list[str]
) -> None:
    # Given a seat read through `node`, where no list preloads anything
    world = await scope_world.build()
    # When its product and user are asked
    answer = await data(
        empty_api,
        world.tokens["admin"],
        SEAT,
        id=world.gid("SeatAssignment", world.sam_seat),
    )
    # Then the watch records each awaited load (so a silent preload would show)
    assert answer == {"node": {"product": {"code": "ACD"}, "user": {"name": "Sam Roy"}}}
    assert awaited == ["AssignmentByIdLoader", "ProductByIdLoader", "UserByMemberLoader"]
