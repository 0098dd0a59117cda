"""The world of the member mutation tests (tests/resolvers/test_member*.py)."""

from __future__ import annotations

from typing import Any

import httpx

import models
from models import Membership, ProductSubscription, SeatAssignment
from models.enums import PartnerKind, Role
from schema.ids import to_global_id
from tests.support import factories
from tests.support.tokens import bearer

# The API's clock in these tests.
REQUEST_ID = "req-members-0001"

USER_FIELDS = "user { id name email locale role accountName }"


class World:
    """Acme: Alice (primary admin), Bruno (secondary admin, French), Chloé (user) with a seat
    on each of Acme's two contracts; Globex: Mia (primary admin), Chloé (user, a seat there
    too); Northwind resells one of Acme's contracts."""

    async def build(self) -> World:
        self.acme = await factories.account(name="Acme")
        self.alice = await factories.user(email="alice@acme.example", name="Alice")
        self.bruno = await factories.user(email="bruno@acme.example", name="Bruno", locale="fr")
        self.chloe = await factories.user(email="chloe@acme.example", name="Chloé")
        self.alice_m = await factories.member(self.acme, self.alice, role=Role.PRIMARY_ADMIN)
        self.bruno_m = await factories.member(self.acme, self.bruno, role=Role.SECONDARY_ADMIN)
        self.chloe_m = await factories.member(self.acme, self.chloe)
        self.northwind = await factories.partner(
            kind=PartnerKind.RESELLER, code="NORTHWIND", contact_email="orders@northwind.example"
        )
        online = await factories.contract(self.acme)
        resold = await factories.contract(self.acme, partner=self.northwind)
        self.acd = await factories.subscription(online, "ACD", seats=3)
        self.rvt = await factories.subscription(resold, "RVT", seats=2)
        await factories.assign(self.acd, self.chloe)
        await factories.assign(self.rvt, self.chloe)
        await factories.assign(self.acd, self.alice)
        self.globex = await factories.account(name="Globex")
        self.mia = await factories.user(email="mia@globex.example", name="Mia", locale="fr")
        self.mia_m = await factories.member(self.globex, self.mia, role=Role.PRIMARY_ADMIN)
        self.chloe_at_globex = await factories.member(self.globex, self.chloe)
        self.globex_sub = await factories.subscription(
            await factories.contract(self.globex), "ACD", seats=1
        )
        await factories.assign(self.globex_sub, self.chloe)
        self.alice_token = await factories.token(self.acme, self.alice)
        self.bruno_token = await factories.token(self.acme, self.bruno)
        self.chloe_token = await factories.token(self.acme, self.chloe)
        self.mia_token = await factories.token(self.globex, self.mia)
        self.partner_token = await factories.partner_token(self.northwind)
        return self

    @property
    def acme_id(self) -> str:
        return to_global_id("Account", self.acme.id)

    def callers(self) -> dict[str, str]:
        return {
            "plain member": self.chloe_token,
            "admin of another account": self.mia_token,
            "partner": self.partner_token,
        }


def user_id(membership: Membership) -> str:
    return to_global_id("User", membership.id)


async def call(
    api: httpx.AsyncClient, token: str, query: str, field: str, input: dict[str, Any]
) -> dict[str, Any]:
    """Run the mutation of root `field` with `input`, as request REQUEST_ID; return its
    payload."""
    response = await api.post(
        "/graphql",
        json={"query": query, "variables": {"input": input}},
        headers={**bearer(token), "X-Request-Id": REQUEST_ID},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    result: dict[str, Any] = body["data"][field]
    return result


async def row_counts() -> dict[str, int]:
    return {name: await getattr(models, name).all().count() for name in models.__all__[1:]}


async def roles(account: models.Account) -> dict[str, str]:
    rows = await Membership.filter(account_id=account.id).values_list("user__email", "role")
    return {str(email): str(role) for email, role in sorted(rows)}


async def active_seats(subscription: ProductSubscription) -> list[str]:
    rows = await SeatAssignment.filter(
        subscription_id=subscription.id, unassigned_at=None
    ).values_list("user__email", flat=True)
    return sorted(str(r) for r in rows)
