"""The demo data set (`data/demo.yaml`): written once, in one transaction.

It is keyed by its first contract number: when that contract exists, the data set is
already there and nothing is written again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from tortoise.transactions import in_transaction

from domain.errors import DomainError, ErrorCode
from models import (
    Account,
    Contract,
    Membership,
    Partner,
    Plan,
    Product,
    ProductSubscription,
    SeatAssignment,
    User,
)
from models.enums import (
    Channel,
    LicenseModel,
    PartnerKind,
    Role,
    SubscriptionStatus,
)


def _first_contract_number(data: Mapping[str, Any]) -> str:
    for account in data.get("accounts") or []:
        for contract in account.get("contracts") or []:
            return str(contract["number"])
    raise DomainError(ErrorCode.INVALID_INPUT, "the demo data set has no contract")


async def seed_demo(data: Mapping[str, Any], *, now: dt.datetime) -> bool:
    """Write the data set unless it is there already. Returns True when it wrote it."""
    marker = _first_contract_number(data)
    async with in_transaction():
        if await Contract.exists(number=marker):
            return False
        partners = {}
        for raw in data.get("partners") or []:
            partner = await Partner.get_or_none(code=raw["code"])
            if partner is None:
                partner = await Partner.create(
                    code=raw["code"],
                    name=raw["name"],
                    kind=PartnerKind(raw["kind"]),
                    contact_email=raw["contact_email"],
                )
            partners[partner.code] = partner
        users = {}
        for raw in data.get("users") or []:
            email = str(raw["email"]).lower()
            user = await User.get_or_none(email=email)
            if user is None:
                user = await User.create(
                    email=email, name=raw["name"], locale=raw.get("locale", "en")
                )
            users[email] = user
        products = {p.code: p for p in await Product.all()}
        plans = {p.code: p for p in await Plan.all()}
        if not products or not plans:
            raise DomainError(
                ErrorCode.INVALID_INPUT, "load the catalog and plans before the demo data"
            )
        for raw_account in data.get("accounts") or []:
            account = await Account.create(name=raw_account["name"])
            for member in raw_account.get("members") or []:
                await Membership.create(
                    account_id=account.id,
                    user_id=users[member["email"].lower()].id,
                    role=Role(member["role"]),
                )
            for raw_contract in raw_account.get("contracts") or []:
                await _create_contract(
                    account, raw_contract, partners, products, plans, users, now=now
                )
    return True


async def _create_contract(
    account: Account,
    raw: Mapping[str, Any],
    partners: Mapping[str, Partner],
    products: Mapping[str, Product],
    plans: Mapping[str, Plan],
    users: Mapping[str, User],
    *,
    now: dt.datetime,
) -> None:
    partner = partners[raw["partner"]] if raw.get("partner") else None
    contract = await Contract.create(
        account_id=account.id,
        number=str(raw["number"]),
        channel=Channel(raw["channel"]),
        starts_on=raw["starts_on"],
        ends_on=raw["ends_on"],
        partner_id=partner.id if partner else None,
    )
    for sub in raw.get("subscriptions") or []:
        subscription = await ProductSubscription.create(
            contract_id=contract.id,
            product_id=products[sub["product"]].id,
            plan_id=plans[sub["plan"]].id,
            seats=int(sub["seats"]),
            status=SubscriptionStatus(sub.get("status", "ACTIVE")),
            license_model=LicenseModel(sub["license_model"]),
            release_year=sub.get("release_year"),
            serial_number=sub.get("serial_number"),
            term_starts_on=sub.get("term_starts_on", raw["starts_on"]),
            term_ends_on=sub.get("term_ends_on", raw["ends_on"]),
        )
        for email in sub.get("assigned") or []:
            await SeatAssignment.create(
                subscription_id=subscription.id,
                user_id=users[email.lower()].id,
                assigned_at=now,
            )
