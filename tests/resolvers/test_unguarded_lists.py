"""Defence in depth: the lists check the scope themselves.

Through the public API an unreadable account, subscription or member never becomes a node
(its loader answers null), so the lists' own guards cannot be reached there. The schema of
unguarded_schema.py builds those nodes from their rows without any check, as a future path
that forgot its guard would; every list below them must still answer empty, or narrowed to
a partner's contracts, and must not even read the rows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.asgi import create_app
from infra.settings import Settings
from tests.resolvers.unguarded_schema import UNGUARDED_SCHEMA
from tests.support import scope_world
from tests.support.graphql import counting_sql, data
from tests.support.scope_answers import (
    ACME_EMPTY,
    ACME_FOR_PARTNER,
    ACME_FULL,
    ALICE,
    CHLOE,
    FRAGMENTS,
    GLOBEX_EMPTY,
    GLOBEX_FOR_PARTNER,
    GLOBEX_FULL,
    HUGO,
    HUGO_FOR_PARTNER,
    MEMBER,
    MIA,
    SAM,
    conn,
    member,
)
from tests.support.services import start_api_server

PRINCIPALS = scope_world.PRINCIPALS


@pytest.fixture
async def unguarded_api(settings_empty: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings_empty, schema=UNGUARDED_SCHEMA, manage_database=False)
    server = await start_api_server(app)
    async with httpx.AsyncClient(base_url=server.url, timeout=15) as client:
        yield client
    await server.stop()


ACCOUNTS = (
    """query($acme: ID!, $globex: ID!) {
  acme: unguardedAccount(id: $acme) { ...Lists }
  globex: unguardedAccount(id: $globex) { ...Lists }
}
"""
    + FRAGMENTS
)


@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_the_lists_of_an_unguarded_account_answer_by_the_scope(
    unguarded_api: httpx.AsyncClient, principal: str
) -> None:
    # Given both accounts handed out without any check
    world = await scope_world.build()
    # When the principal reads every list of each
    answer = await data(
        unguarded_api,
        world.tokens[principal],
        ACCOUNTS,
        acme=world.gid("Account", world.acme),
        globex=world.gid("Account", world.globex),
    )
    # Then each list answers in full for the account's admin, narrowed for the partner
    # selling to it, and empty (no features either) for everyone else
    acme = {"admin": ACME_FULL, "partner": ACME_FOR_PARTNER}
    globex = {"other_admin": GLOBEX_FULL, "other_partner": GLOBEX_FOR_PARTNER}
    assert answer == {
        "acme": acme.get(principal, ACME_EMPTY),
        "globex": globex.get(principal, GLOBEX_EMPTY),
    }


SEATS = """assignments(first: 10) { totalCount edges { node { user { name } } } }
  tradeIn { targetProduct { code } }"""
SUBSCRIPTIONS = f"""query($online: ID!, $resold: ID!, $desk: ID!, $globex: ID!) {{
  online: unguardedSubscription(id: $online) {{ {SEATS} }}
  resold: unguardedSubscription(id: $resold) {{ {SEATS} }}
  desk: unguardedSubscription(id: $desk) {{ {SEATS} }}
  globex: unguardedSubscription(id: $globex) {{ {SEATS} }}
}}"""


def _seats(holders: tuple[str, ...], trade_in: str | None) -> Any:
    return {
        "assignments": conn(*({"user": {"name": holder}} for holder in holders)),
        "tradeIn": {"targetProduct": {"code": trade_in}} if trade_in else None,
    }


@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_the_seats_of_an_unguarded_subscription_answer_by_the_scope(
    unguarded_api: httpx.AsyncClient, principal: str
) -> None:
    # Given a subscription of each contract handed out without any check
    world = await scope_world.build()
    # When the principal reads their seats (with the holders) and open trade-in
    answer = await data(
        unguarded_api,
        world.tokens[principal],
        SUBSCRIPTIONS,
        online=world.gid("ProductSubscription", world.online_sub),
        resold=world.gid("ProductSubscription", world.resold_sub),
        desk=world.gid("ProductSubscription", world.desk_sub),
        globex=world.gid("ProductSubscription", world.globex_sub),
    )
    # Then only the subscriptions on a contract they read show seats and trade-ins
    nothing = _seats((), None)
    online = _seats(("Chloé Dubois", "Hugo Bernard"), "ACD")
    resold = _seats(("Hugo Bernard",), "RVT")
    desk = _seats(("Sam Roy",), "AECCOL")
    globex = _seats(("Mia Rossi",), None)
    expected: dict[str, dict[str, Any]] = {
        "member": {"online": nothing, "resold": nothing, "desk": nothing, "globex": nothing},
        "admin": {"online": online, "resold": resold, "desk": desk, "globex": nothing},
        "other_admin": {"online": nothing, "resold": nothing, "desk": nothing, "globex": globex},
        "partner": {"online": nothing, "resold": resold, "desk": nothing, "globex": nothing},
        "other_partner": {"online": nothing, "resold": nothing, "desk": nothing, "globex": globex},
    }
    assert answer == expected[principal]


USERS = (
    """query($alice: ID!, $chloe: ID!, $hugo: ID!, $sam: ID!, $mia: ID!) {
  alice: unguardedUser(id: $alice) { ...Member }
  chloe: unguardedUser(id: $chloe) { ...Member }
  hugo: unguardedUser(id: $hugo) { ...Member }
  sam: unguardedUser(id: $sam) { ...Member }
  mia: unguardedUser(id: $mia) { ...Member }
}
"""
    + MEMBER
)


@pytest.mark.parametrize("principal", PRINCIPALS)
async def test_the_seats_and_products_of_an_unguarded_user_answer_by_the_scope(
    unguarded_api: httpx.AsyncClient, principal: str
) -> None:
    # Given every member handed out without any check
    world = await scope_world.build()
    # When the principal reads their seats and products
    answer = await data(
        unguarded_api,
        world.tokens[principal],
        USERS,
        alice=world.gid("User", world.alice),
        chloe=world.gid("User", world.chloe),
        hugo=world.gid("User", world.hugo),
        sam=world.gid("User", world.sam),
        mia=world.gid("User", world.mia),
    )
    # Then the lists are full for the admin, the member's own, a partner's narrowed to its
    # contracts, and empty otherwise
    bare = {
        "alice": ALICE,
        "chloe": member("Chloé Dubois"),
        "hugo": member("Hugo Bernard"),
        "sam": member("Sam Roy"),
        "mia": member("Mia Rossi"),
    }
    seen: dict[str, dict[str, Any]] = {
        "member": {"chloe": CHLOE},
        "admin": {"chloe": CHLOE, "hugo": HUGO, "sam": SAM},
        "other_admin": {"mia": MIA},
        "partner": {"hugo": HUGO_FOR_PARTNER},
        "other_partner": {"mia": MIA},
    }
    assert answer == {**bare, **seen[principal]}


ACCOUNT_NAME = "query($id: ID!) { unguardedAccount(id: $id) { name } }"
ACCOUNT_LISTS = "query($id: ID!) { unguardedAccount(id: $id) { ...Lists } }\n" + FRAGMENTS
SUBSCRIPTION_SEATS_COUNT = "query($id: ID!) { unguardedSubscription(id: $id) { seats } }"
SUBSCRIPTION_SEATS = (
    "query($id: ID!) { unguardedSubscription(id: $id) { seats "
    "assignments(first: 10) { totalCount edges { node { id } } } } }"
)
USER_NAME = "query($id: ID!) { unguardedUser(id: $id) { name } }"
USER_LISTS = "query($id: ID!) { unguardedUser(id: $id) { ...Member } }\n" + MEMBER


async def _statements(api: httpx.AsyncClient, token: str, query: str, id: str) -> int:
    with counting_sql() as statements:
        await data(api, token, query, id=id)
    return len(statements)


@pytest.mark.parametrize("principal", ["member", "other_admin", "other_partner"])
async def test_lists_the_caller_may_not_read_read_no_row(
    unguarded_api: httpx.AsyncClient, principal: str
) -> None:
    # Given Acme, its resold subscription and Hugo, handed out without any check, and a
    # principal who may read none of them
    world = await scope_world.build()
    token = world.tokens[principal]
    pairs = [
        (ACCOUNT_NAME, ACCOUNT_LISTS, world.gid("Account", world.acme)),
        (
            SUBSCRIPTION_SEATS_COUNT,
            SUBSCRIPTION_SEATS,
            world.gid("ProductSubscription", world.resold_sub),
        ),
        (USER_NAME, USER_LISTS, world.gid("User", world.hugo)),
    ]
    for without_lists, with_lists, id in pairs:
        # When they ask for the node alone, then for the node and all its lists
        alone = await _statements(unguarded_api, token, without_lists, id)
        listed = await _statements(unguarded_api, token, with_lists, id)
        # Then the lists cost no statement: each answers empty before reading anything
        assert (with_lists[:40], listed) == (with_lists[:40], alone)
