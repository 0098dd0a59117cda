"""`Partner.pendingRequests`: the trade-ins and plan changes awaiting a partner on its
contracts, oldest first, one keyset list over two tables; only the partner itself reads it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from models import Plan, PlanChange
from models.enums import PartnerKind, Role, TradeInStatus
from schema.ids import from_global_id, to_global_id
from tests.support import factories
from tests.support.graphql import data, gql

DAY = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)

PENDING = """query($first: Int, $after: String) { viewer { partner { pendingRequests(
  first: $first, after: $after) {
    totalCount pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { node { __typename
      ... on TradeIn { id status }
      ... on PlanChange { id changeStatus: status toPlan { code } } } } } } } }"""

OF_PARTNER = """query($id: ID!) { node(id: $id) { ... on Partner {
  pendingRequests(first: 10) { totalCount edges { cursor } } } } }"""


class Requests:
    """Northwind sells two contracts of Acme. Waiting for it, by age: a trade-in (day 1),
    a plan change (day 2), two trade-ins made at the same moment (day 3), a plan change
    (day 4). Not waiting: a declined trade-in, a declined plan change; and a trade-in
    waiting for Contoso on Contoso's contract; a trade-in and a plan change naming
    Northwind on Contoso's contract."""

    async def build(self) -> Requests:
        self.acme = await factories.account(name="Acme")
        alice = await factories.user(name="Alice")
        await factories.member(self.acme, alice, role=Role.PRIMARY_ADMIN)
        self.alice_token = await factories.token(self.acme, alice)
        self.northwind = await factories.partner(kind=PartnerKind.RESELLER, code="NORTHWIND")
        self.contoso = await factories.partner(kind=PartnerKind.RESELLER, code="CONTOSO")
        first = await factories.contract(self.acme, partner=self.northwind)
        second = await factories.contract(self.acme, partner=self.northwind)
        theirs = await factories.contract(self.acme, partner=self.contoso)
        standard = (await Plan.get(code="STANDARD")).id
        premium = (await Plan.get(code="PREMIUM")).id

        async def trade_in(contract: Any, day: int, **extra: Any) -> str:
            source = await factories.subscription(contract, "ACDLT")
            row = await factories.trade_in(
                source,
                "ACD",
                partner=extra.pop("partner", self.northwind),
                created_at=DAY + dt.timedelta(days=day),
                **extra,
            )
            return to_global_id("TradeIn", row.id)

        async def plan_change(contract: Any, day: int, status: TradeInStatus) -> str:
            row = await PlanChange.create(
                contract_id=contract.id,
                from_plan_id=standard,
                to_plan_id=premium,
                status=status,
                partner_id=self.northwind.id,
                created_at=DAY + dt.timedelta(days=day),
            )
            return to_global_id("PlanChange", row.id)

        self.t1 = await trade_in(first, 1)
        self.p2 = await plan_change(first, 2, TradeInStatus.AWAITING_PARTNER)
        twins = sorted([await trade_in(second, 3), await trade_in(first, 3)], key=_key)
        self.t3a, self.t3b = twins
        self.p4 = await plan_change(second, 4, TradeInStatus.AWAITING_PARTNER)
        await trade_in(first, 0, status=TradeInStatus.DECLINED)
        await plan_change(second, 0, TradeInStatus.DECLINED)
        await trade_in(theirs, 0, partner=self.contoso)
        # Named for Northwind but on Contoso's contract (sold on since): not Northwind's
        await trade_in(theirs, 0)
        await plan_change(theirs, 0, TradeInStatus.AWAITING_PARTNER)
        self.northwind_token = await factories.partner_token(self.northwind)
        self.contoso_token = await factories.partner_token(self.contoso)
        return self


def _key(global_id: str) -> str:
    decoded = from_global_id(global_id)
    assert decoded is not None
    return str(decoded[1])


async def _page(api: httpx.AsyncClient, token: str, **variables: Any) -> dict[str, Any]:
    page: dict[str, Any] = (await data(api, token, PENDING, **variables))["viewer"]["partner"][
        "pendingRequests"
    ]
    return page


def _ids(page: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["node"]["__typename"], e["node"]["id"]) for e in page["edges"]]


async def test_pages_run_oldest_first_across_trade_ins_and_plan_changes(
    empty_api: httpx.AsyncClient,
) -> None:
    # Given what waits for Northwind (and what does not)
    r = await Requests().build()
    # When Northwind reads its pending requests two at a time
    one = await _page(empty_api, r.northwind_token, first=2)
    two = await _page(empty_api, r.northwind_token, first=2, after=one["pageInfo"]["endCursor"])
    three = await _page(empty_api, r.northwind_token, first=2, after=two["pageInfo"]["endCursor"])
    # Then they come oldest first, twins by id, each once, only those that wait for it
    assert _ids(one) == [("TradeIn", r.t1), ("PlanChange", r.p2)]
    assert _ids(two) == [("TradeIn", r.t3a), ("TradeIn", r.t3b)]
    assert _ids(three) == [("PlanChange", r.p4)]
    assert [p["totalCount"] for p in (one, two, three)] == [5, 5, 5]
    assert [
        (p["pageInfo"]["hasNextPage"], p["pageInfo"]["hasPreviousPage"]) for p in (one, two, three)
    ] == [
        (True, False),
        (True, True),
        (False, True),
    ]
    nodes = [e["node"] for p in (one, two, three) for e in p["edges"]]
    assert {n.get("status") or n["changeStatus"] for n in nodes} == {"AWAITING_PARTNER"}
    assert one["edges"][1]["node"]["toPlan"] == {"code": "PREMIUM"}


async def test_only_the_partner_itself_reads_what_waits_for_it(
    empty_api: httpx.AsyncClient,
) -> None:
    r = await Requests().build()
    northwind = to_global_id("Partner", r.northwind.id)
    empty = {"pendingRequests": {"totalCount": 0, "edges": []}}
    # Contoso and Acme's admin read the partner, not what waits for it
    assert (await data(empty_api, r.contoso_token, OF_PARTNER, id=northwind))["node"] == empty
    assert (await data(empty_api, r.alice_token, OF_PARTNER, id=northwind))["node"] == empty
    # Contoso sees its own one
    mine = await _page(empty_api, r.contoso_token, first=10)
    assert mine["totalCount"] == 1


async def test_cursors_of_other_lists_and_bad_page_sizes_are_refused(
    empty_api: httpx.AsyncClient,
) -> None:
    r = await Requests().build()
    trade_ins = """query($id: ID!) { account(id: $id) { tradeIns(first: 1) {
      pageInfo { endCursor } } } }"""
    account = await data(empty_api, r.alice_token, trade_ins, id=to_global_id("Account", r.acme.id))
    foreign = account["account"]["tradeIns"]["pageInfo"]["endCursor"]
    for variables, code in (
        ({"first": 2, "after": foreign}, "INVALID_CURSOR"),
        ({"first": 2, "after": "garbage"}, "INVALID_CURSOR"),
        ({"first": 101}, "PAGE_SIZE_EXCEEDED"),
        ({}, "PAGE_SIZE_REQUIRED"),
    ):
        body = await gql(empty_api, r.northwind_token, PENDING, **variables)
        assert [e["extensions"]["code"] for e in body["errors"]] == [code]
