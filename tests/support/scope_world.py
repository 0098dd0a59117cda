"""One world for the read-scope tests: who may read which list, through which path.

Acme Engineering:
- Alice Martin, primary admin, no seat.
- Chloé Dubois, plain member: a seat on the online AutoCAD LT.
- Hugo Bernard: a seat on the online AutoCAD LT and one on the Revit LT sold by Northwind.
- Sam Roy: a seat on the AutoCAD sold by the sales desk.
- Contracts A-ONLINE (online store), B-RESOLD (reseller Northwind), C-DESK (sales desk),
  each with a trade-in on its first subscription; B-RESOLD also holds the Revit that its
  trade-in targets.

Globex Studio: Mia Rossi, primary admin, with a seat on a Media & Entertainment Collection
(Premium) sold by the reseller Contoso.

The principals: a plain member (Chloé), an admin of the account (Alice), an admin of
another account (Mia), the partner selling to the account (Northwind) and a partner that
does not sell to it (Contoso).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from domain.principals import MemberPrincipal, PartnerPrincipal, Principal
from models import (
    Account,
    Contract,
    Membership,
    Partner,
    ProductSubscription,
    SeatAssignment,
    TradeIn,
)
from models.enums import PartnerKind, Role, UpgradeKind
from schema.ids import to_global_id
from tests.support import factories

PRINCIPALS = ("member", "admin", "other_admin", "partner", "other_partner")

_DAY = dt.datetime(2026, 10, 1, 9, 0, tzinfo=dt.UTC)


def _at(hours: int) -> dt.datetime:
    return _DAY + dt.timedelta(hours=hours)


@dataclass(frozen=True)
class World:
    acme: Account
    globex: Account
    online: Contract
    resold: Contract
    desk: Contract
    globex_contract: Contract
    northwind: Partner
    contoso: Partner
    online_sub: ProductSubscription
    resold_sub: ProductSubscription
    resold_target: ProductSubscription
    desk_sub: ProductSubscription
    globex_sub: ProductSubscription
    chloe: Membership
    hugo: Membership
    sam: Membership
    alice: Membership
    mia: Membership
    chloe_seat: SeatAssignment
    hugo_online_seat: SeatAssignment
    hugo_resold_seat: SeatAssignment
    sam_seat: SeatAssignment
    mia_seat: SeatAssignment
    online_trade_in: TradeIn
    resold_trade_in: TradeIn
    desk_trade_in: TradeIn
    tokens: dict[str, str]
    principals: dict[str, Principal]

    def gid(self, type_name: str, row: object) -> str:
        return to_global_id(type_name, row.id)  # type: ignore[attr-defined]


async def _subscription(
    contract: Contract, product: str, hours: int, plan: str = "STANDARD"
) -> ProductSubscription:
    """A subscription with a fixed creation time, so `Account.subscriptions` has one order."""
    made = await factories.subscription(contract, product, plan)
    await ProductSubscription.filter(id=made.id).update(created_at=_at(hours))
    return made


async def build() -> World:
    acme = await factories.account(name="Acme Engineering")
    alice_user = await factories.user(email="alice.martin@acme.example", name="Alice Martin")
    chloe_user = await factories.user(email="chloe.dubois@acme.example", name="Chloé Dubois")
    hugo_user = await factories.user(email="hugo.bernard@acme.example", name="Hugo Bernard")
    sam_user = await factories.user(email="sam.roy@acme.example", name="Sam Roy")
    alice = await factories.member(acme, alice_user, role=Role.PRIMARY_ADMIN)
    chloe = await factories.member(acme, chloe_user)
    hugo = await factories.member(acme, hugo_user)
    sam = await factories.member(acme, sam_user)

    northwind = await factories.partner(code="NORTHWIND", name="Northwind CAD Solutions")
    contoso = await factories.partner(code="CONTOSO", name="Contoso Design Reseller")
    sales_desk = await factories.partner(code="SALES_DESK", kind=PartnerKind.SALES_DESK)

    online = await factories.contract(acme, number="A-ONLINE")
    resold = await factories.contract(acme, partner=northwind, number="B-RESOLD")
    desk = await factories.contract(acme, partner=sales_desk, number="C-DESK")
    online_sub = await _subscription(online, "ACDLT", 1)
    resold_sub = await _subscription(resold, "RVTLT", 2)
    resold_target = await _subscription(resold, "RVT", 3)
    desk_sub = await _subscription(desk, "ACD", 4)

    chloe_seat = await factories.assign(online_sub, chloe_user, at=_at(10))
    hugo_online_seat = await factories.assign(online_sub, hugo_user, at=_at(11))
    hugo_resold_seat = await factories.assign(resold_sub, hugo_user, at=_at(12))
    sam_seat = await factories.assign(desk_sub, sam_user, at=_at(13))

    online_trade_in = await factories.trade_in(online_sub, "ACD", created_at=_at(20))
    resold_trade_in = await factories.trade_in(
        resold_sub, "RVT", partner=northwind, target=resold_target, created_at=_at(21)
    )
    desk_trade_in = await factories.trade_in(
        desk_sub,
        "AECCOL",
        kind=UpgradeKind.PRODUCT_TO_COLLECTION,
        partner=sales_desk,
        created_at=_at(22),
    )

    globex = await factories.account(name="Globex Studio")
    mia_user = await factories.user(email="mia.rossi@globex.example", name="Mia Rossi")
    mia = await factories.member(globex, mia_user, role=Role.PRIMARY_ADMIN)
    globex_contract = await factories.contract(globex, partner=contoso, number="G-RESOLD")
    globex_sub = await _subscription(globex_contract, "MECOL", 5, "PREMIUM")
    mia_seat = await factories.assign(globex_sub, mia_user, at=_at(14))

    tokens = {
        "member": await factories.token(acme, chloe_user),
        "admin": await factories.token(acme, alice_user),
        "other_admin": await factories.token(globex, mia_user),
        "partner": await factories.partner_token(northwind),
        "other_partner": await factories.partner_token(contoso),
    }
    principals: dict[str, Principal] = {
        "member": MemberPrincipal(chloe_user.id, {acme.id: Role.USER}),
        "admin": MemberPrincipal(alice_user.id, {acme.id: Role.PRIMARY_ADMIN}),
        "other_admin": MemberPrincipal(mia_user.id, {globex.id: Role.PRIMARY_ADMIN}),
        "partner": PartnerPrincipal(northwind.id),
        "other_partner": PartnerPrincipal(contoso.id),
    }
    return World(
        acme=acme,
        globex=globex,
        online=online,
        resold=resold,
        desk=desk,
        globex_contract=globex_contract,
        northwind=northwind,
        contoso=contoso,
        online_sub=online_sub,
        resold_sub=resold_sub,
        resold_target=resold_target,
        desk_sub=desk_sub,
        globex_sub=globex_sub,
        chloe=chloe,
        hugo=hugo,
        sam=sam,
        alice=alice,
        mia=mia,
        chloe_seat=chloe_seat,
        hugo_online_seat=hugo_online_seat,
        hugo_resold_seat=hugo_resold_seat,
        sam_seat=sam_seat,
        mia_seat=mia_seat,
        online_trade_in=online_trade_in,
        resold_trade_in=resold_trade_in,
        desk_trade_in=desk_trade_in,
        tokens=tokens,
        principals=principals,
    )
