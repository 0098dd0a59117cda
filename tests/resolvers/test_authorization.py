"""Who reads what: a matrix of callers against every root field and `node`.

Callers: anonymous, a plain member of Acme (Chloé), an admin of Acme (Alice), an admin of
another account (Mia, Globex), the reseller that sells to Acme (Northwind) and one that
does not (Contoso). A foreign ID and an unknown ID answer the same null."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from models import Plan, Product
from models.enums import Role
from schema.ids import to_global_id
from tests.support import factories
from tests.support.graphql import gql
from tests.support.tokens import member_token, partner_token

CALLERS: dict[str, Callable[[], Awaitable[str]]] = {
    "member": lambda: member_token("chloe.dubois@acme.example", "Acme Engineering"),
    "admin": lambda: member_token("alice.martin@acme.example", "Acme Engineering"),
    "other_admin": lambda: member_token("mia.rossi@globex.example", "Globex Studio"),
    "partner": lambda: partner_token("NORTHWIND"),
    "other_partner": lambda: partner_token("CONTOSO"),
}


async def _ids() -> dict[str, str]:
    """Builds the callers' world and returns the global IDs of one object of each kind in
    Acme, plus catalog ones.

    Acme: Alice (primary admin), Chloé and David (users, each with a seat on an online
    AutoCAD LT), and a Revit LT bought through Northwind, with seats for Hugo and Inès and
    a trade-in awaiting Northwind. Globex: Mia (primary admin) and a collection bought
    through Contoso."""
    acme = await factories.account(name="Acme Engineering")
    alice = await factories.user(email="alice.martin@acme.example", name="Alice Martin")
    await factories.member(acme, alice, role=Role.PRIMARY_ADMIN)
    chloe_user = await factories.user(email="chloe.dubois@acme.example", name="Chloé Dubois")
    david_user = await factories.user(email="david.nguyen@acme.example", name="David Nguyen")
    chloe = await factories.member(acme, chloe_user)
    david = await factories.member(acme, david_user)
    contract = await factories.contract(acme)
    subscription = await factories.subscription(contract, "ACDLT")
    chloe_seat = await factories.assign(subscription, chloe_user)
    david_seat = await factories.assign(subscription, david_user)
    northwind = await factories.partner(code="NORTHWIND")
    sold = await factories.contract(acme, partner=northwind)  # Northwind sells it to Acme
    sold_subscription = await factories.subscription(sold, "RVTLT")
    hugo_user = await factories.user(email="hugo.bernard@acme.example", name="Hugo Bernard")
    ines_user = await factories.user(email="ines.moreau@acme.example", name="Inès Moreau")
    hugo = await factories.member(acme, hugo_user)
    await factories.member(acme, ines_user)
    hugo_seat = await factories.assign(sold_subscription, hugo_user)
    await factories.assign(sold_subscription, ines_user)
    trade_in = await factories.trade_in(
        sold_subscription,
        "RVT",
        partner=northwind,
        created_at=dt.datetime(2026, 11, 20, tzinfo=dt.UTC),
    )
    globex = await factories.account(name="Globex Studio")
    mia = await factories.user(email="mia.rossi@globex.example", name="Mia Rossi")
    await factories.member(globex, mia, role=Role.PRIMARY_ADMIN)
    contoso = await factories.partner(code="CONTOSO")
    await factories.subscription(
        await factories.contract(globex, partner=contoso), "MECOL", "PREMIUM"
    )
    return {
        "account": to_global_id("Account", acme.id),
        "sold_contract": to_global_id("Contract", sold.id),
        "sold_subscription": to_global_id("ProductSubscription", sold_subscription.id),
        "seat_holder": to_global_id("User", hugo.id),
        "sold_seat": to_global_id("SeatAssignment", hugo_seat.id),
        "contract": to_global_id("Contract", contract.id),
        "subscription": to_global_id("ProductSubscription", subscription.id),
        "own_user": to_global_id("User", chloe.id),
        "other_user": to_global_id("User", david.id),
        "own_seat": to_global_id("SeatAssignment", chloe_seat.id),
        "other_seat": to_global_id("SeatAssignment", david_seat.id),
        "trade_in": to_global_id("TradeIn", trade_in.id),
        "product": to_global_id("Product", (await Product.get(code="ACD")).id),
        "plan": to_global_id("Plan", (await Plan.get(code="PREMIUM")).id),
        "partner": to_global_id("Partner", northwind.id),
        "unknown_account": to_global_id("Account", uuid.uuid4()),
    }


# What each caller reads through `node(id)`: 1 = the object, 0 = null.
READERS = ("member", "admin", "other_admin", "partner", "other_partner")
NODE_ROWS: dict[str, tuple[int, int, int, int, int]] = {
    #                  member admin other_admin partner other_partner
    "account": (0, 1, 0, 1, 0),
    # Chloé's seat is on the online contract: not the reseller's business.
    "contract": (0, 1, 0, 0, 0),
    "subscription": (0, 1, 0, 0, 0),
    "own_user": (1, 1, 0, 0, 0),
    "other_user": (0, 1, 0, 0, 0),
    "own_seat": (1, 1, 0, 0, 0),
    "other_seat": (0, 1, 0, 0, 0),
    # What Northwind sells to Acme, and Hugo, who holds a seat on it.
    "sold_contract": (0, 1, 0, 1, 0),
    "sold_subscription": (0, 1, 0, 1, 0),
    "seat_holder": (0, 1, 0, 1, 0),
    "sold_seat": (0, 1, 0, 1, 0),
    "trade_in": (0, 1, 0, 1, 0),
    "product": (1, 1, 1, 1, 1),
    "plan": (1, 1, 1, 1, 1),
    "partner": (1, 1, 1, 1, 1),
}
NODE_MATRIX = {
    name: {reader: bool(seen) for reader, seen in zip(READERS, row, strict=True)}
    for name, row in NODE_ROWS.items()
}


@pytest.mark.parametrize("caller", list(CALLERS))
async def test_node_answers_by_the_read_rules(empty_api: httpx.AsyncClient, caller: str) -> None:
    # Given one object of each kind and a caller
    ids = await _ids()
    token = await CALLERS[caller]()
    # When the caller asks for each of them by ID, in one request
    fields = " ".join(f'{name}: node(id: "{ids[name]}") {{ id }}' for name in NODE_MATRIX)
    body = await gql(empty_api, token, f"{{ {fields} }}")
    # Then it reads exactly what the matrix allows, and null for the rest
    assert "errors" not in body
    seen = {name: body["data"][name] is not None for name in NODE_MATRIX}
    assert seen == {name: row[caller] for name, row in NODE_MATRIX.items()}
    for name, visible in seen.items():
        if visible:
            assert body["data"][name] == {"id": ids[name]}


@pytest.mark.parametrize("caller", list(CALLERS))
async def test_nodes_answers_by_the_same_rules_in_order(
    empty_api: httpx.AsyncClient, caller: str
) -> None:
    ids = await _ids()
    token = await CALLERS[caller]()
    names = list(NODE_MATRIX)
    body = await gql(
        empty_api,
        token,
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
        ids=[ids[n] for n in names],
    )
    assert [item is not None for item in body["data"]["nodes"]] == [
        NODE_MATRIX[n][caller] for n in names
    ]


ROOT_QUERY = """query($account: ID!) {
  account(id: $account) { name users(first: 1) { totalCount } }
  catalog { product(code: "ACD") { name } }
  plans { code }
  viewer { user { email } partner { code } memberships { role account { name } } }
}"""

ROOT_MATRIX: dict[str, dict[str, Any]] = {
    "member": {
        "account": None,
        "viewer": {
            "user": {"email": "chloe.dubois@acme.example"},
            "partner": None,
            "memberships": [{"role": "USER", "account": None}],
        },
    },
    "admin": {
        "account": {"name": "Acme Engineering", "users": {"totalCount": 5}},
        "viewer": {
            "user": {"email": "alice.martin@acme.example"},
            "partner": None,
            "memberships": [{"role": "PRIMARY_ADMIN", "account": {"name": "Acme Engineering"}}],
        },
    },
    "other_admin": {
        "account": None,
        "viewer": {
            "user": {"email": "mia.rossi@globex.example"},
            "partner": None,
            "memberships": [{"role": "PRIMARY_ADMIN", "account": {"name": "Globex Studio"}}],
        },
    },
    "partner": {
        # Hugo and Inès hold the seats on the contract Northwind sells.
        "account": {"name": "Acme Engineering", "users": {"totalCount": 2}},
        "viewer": {"user": None, "partner": {"code": "NORTHWIND"}, "memberships": []},
    },
    "other_partner": {
        "account": None,
        "viewer": {"user": None, "partner": {"code": "CONTOSO"}, "memberships": []},
    },
}


@pytest.mark.parametrize("caller", list(CALLERS))
async def test_root_fields_answer_by_the_read_rules(
    empty_api: httpx.AsyncClient, caller: str
) -> None:
    ids = await _ids()
    token = await CALLERS[caller]()
    body = await gql(empty_api, token, ROOT_QUERY, account=ids["account"])
    assert "errors" not in body
    expected = ROOT_MATRIX[caller]
    assert body["data"] == {
        "account": expected["account"],
        "catalog": {"product": {"name": "AutoCAD"}},
        "plans": [{"code": "STANDARD"}, {"code": "PREMIUM"}],
        "viewer": expected["viewer"],
    }


async def test_anonymous_callers_read_nothing(empty_api: httpx.AsyncClient) -> None:
    ids = await _ids()
    for query in (ROOT_QUERY, f'{{ node(id: "{ids["product"]}") {{ id }} }}', "{ plans { code } }"):
        response = await empty_api.post(
            "/graphql", json={"query": query, "variables": {"account": ids["account"]}}
        )
        assert response.status_code == 401
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert "data" not in response.json()


async def test_a_foreign_id_and_an_unknown_id_answer_identically(
    empty_api: httpx.AsyncClient,
) -> None:
    ids = await _ids()
    mia = await CALLERS["other_admin"]()
    query = "query($id: ID!) { account(id: $id) { name } node(id: $id) { id } }"
    foreign = await gql(empty_api, mia, query, id=ids["account"])
    unknown = await gql(empty_api, mia, query, id=ids["unknown_account"])
    garbage = await gql(empty_api, mia, query, id="not-an-id")
    assert foreign == unknown == garbage == {"data": {"account": None, "node": None}}


async def test_a_member_sees_their_seats_and_products_but_not_the_subscription(
    empty_api: httpx.AsyncClient,
) -> None:
    await _ids()
    chloe = await CALLERS["member"]()
    body = await gql(
        empty_api,
        chloe,
        """{ viewer { memberships { name assignments { active product { code }
              subscription { id } user { name } } products { code } } } }""",
    )
    assert body["data"]["viewer"]["memberships"] == [
        {
            "name": "Chloé Dubois",
            "assignments": [
                {
                    "active": True,
                    "product": {"code": "ACDLT"},
                    "subscription": None,
                    "user": {"name": "Chloé Dubois"},
                }
            ],
            "products": [{"code": "ACDLT"}],
        }
    ]


async def test_lists_of_an_unreadable_account_are_empty_not_leaky(
    empty_api: httpx.AsyncClient,
) -> None:
    # A subscription reached through a readable path never opens its account's lists to a
    # caller who may not read that account (defence in depth for nested connections).
    ids = await _ids()
    mia = await CALLERS["other_admin"]()
    body = await gql(
        empty_api,
        mia,
        "query($id: ID!) { node(id: $id) { ... on ProductSubscription { id } } }",
        id=ids["subscription"],
    )
    assert body == {"data": {"node": None}}


async def test_nodes_takes_at_most_a_page_of_ids(empty_api: httpx.AsyncClient) -> None:
    await _ids()
    alice = await CALLERS["admin"]()
    ids = [to_global_id("Account", uuid.uuid4()) for _ in range(101)]
    body = await gql(empty_api, alice, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", ids=ids)
    assert [(e["message"], e["extensions"]["code"]) for e in body["errors"]] == [
        ("ask for at most 100 ids at once, not 101", "PAGE_SIZE_EXCEEDED")
    ]
    assert body["data"] is None
