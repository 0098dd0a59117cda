"""Factories: each test builds exactly the rows it needs, on the `db` fixture (the catalog and
plans of data/*.yaml loaded, nothing else).

Every builder writes one row (or a token) with sensible defaults, and takes keyword
overrides for what the test cares about. Unique values (names, emails, codes, contract
numbers) come from one counter, never from randomness, so a failing test shows the same
values every run. Products and plans are looked up by code in the real catalog.

    acme = await account(name="Acme Engineering")
    alice = await user(name="Alice Martin")
    await member(acme, alice, role=Role.PRIMARY_ADMIN)
    online = await contract(acme)
    resold = await contract(acme, channel=Channel.RESELLER)  # makes its reseller
    acd = await subscription(online, "ACD", seats=3)
    await assign(acd, alice)
    admin_token = await token(acme, alice)
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

from domain.tokens import create_member_token, create_partner_token
from models import (
    Account,
    Contract,
    Membership,
    Partner,
    Plan,
    Product,
    ProductSubscription,
    SeatAssignment,
    TradeIn,
    User,
)
from models.enums import (
    Channel,
    LicenseModel,
    PartnerKind,
    Role,
    SubscriptionStatus,
    TradeInStatus,
    UpgradeKind,
)

# When seats are assigned unless a test says otherwise.
NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
STARTS_ON = dt.date(2026, 1, 1)
ENDS_ON = dt.date(2027, 12, 31)

_counter = itertools.count(1)


def _next() -> int:
    return next(_counter)


async def account(*, name: str | None = None) -> Account:
    return await Account.create(name=name or f"Account {_next():04d}")


async def user(*, email: str | None = None, name: str | None = None, locale: str = "en") -> User:
    n = _next()
    return await User.create(
        email=(email or f"user{n:04d}@factory.example").lower(),
        name=name or f"User {n:04d}",
        locale=locale,
    )


async def member(account: Account, user: User, *, role: Role = Role.USER) -> Membership:
    """`user` joins `account`. The membership's id is the API's `User` id."""
    return await Membership.create(account_id=account.id, user_id=user.id, role=role)


_PARTNER_KIND = {Channel.RESELLER: PartnerKind.RESELLER, Channel.SALES: PartnerKind.SALES_DESK}
_CHANNEL = {kind: channel for channel, kind in _PARTNER_KIND.items()}


async def partner(
    *,
    kind: PartnerKind = PartnerKind.RESELLER,
    code: str | None = None,
    name: str | None = None,
    contact_email: str | None = None,
) -> Partner:
    n = _next()
    return await Partner.create(
        code=code or f"PARTNER{n:04d}",
        name=name or f"Partner {n:04d}",
        kind=kind,
        contact_email=contact_email or f"partner{n:04d}@factory.example",
    )


_new_partner = partner  # `contract` takes a `partner` argument


async def contract(
    account: Account,
    *,
    channel: Channel | None = None,
    partner: Partner | None = None,
    number: str | None = None,
    starts_on: dt.date = STARTS_ON,
    ends_on: dt.date = ENDS_ON,
) -> Contract:
    """An ONLINE contract by default. With a `partner`, the channel follows its kind; a
    RESELLER or SALES contract without one gets a new partner of the matching kind."""
    if channel is None:
        channel = Channel.ONLINE if partner is None else _CHANNEL[partner.kind]
    if partner is None and channel is not Channel.ONLINE:
        partner = await _new_partner(kind=_PARTNER_KIND[channel])
    return await Contract.create(
        account_id=account.id,
        number=number or f"C{_next():08d}",
        channel=channel,
        partner_id=partner.id if partner else None,
        starts_on=starts_on,
        ends_on=ends_on,
    )


async def subscription(
    contract: Contract,
    product_code: str = "ACD",
    plan_code: str = "STANDARD",
    *,
    seats: int = 5,
    status: SubscriptionStatus = SubscriptionStatus.ACTIVE,
    license_model: LicenseModel = LicenseModel.NAMED_USER,
    release_year: int | None = None,
    serial_number: str | None = None,
    term_starts_on: dt.date | None = None,
    term_ends_on: dt.date | None = None,
) -> ProductSubscription:
    """A subscription to a catalog product; its term is the contract's unless given."""
    return await ProductSubscription.create(
        contract_id=contract.id,
        product_id=(await Product.get(code=product_code)).id,
        plan_id=(await Plan.get(code=plan_code)).id,
        seats=seats,
        status=status,
        license_model=license_model,
        release_year=release_year,
        serial_number=serial_number,
        term_starts_on=term_starts_on or contract.starts_on,
        term_ends_on=term_ends_on or contract.ends_on,
    )


async def assign(
    subscription: ProductSubscription, user: User, *, at: dt.datetime = NOW
) -> SeatAssignment:
    """An active seat of `user` on `subscription`."""
    return await SeatAssignment.create(
        subscription_id=subscription.id, user_id=user.id, assigned_at=at
    )


async def trade_in(
    source: ProductSubscription,
    target_product_code: str,
    *,
    kind: UpgradeKind = UpgradeKind.LT_TO_FULL,
    status: TradeInStatus = TradeInStatus.AWAITING_PARTNER,
    partner: Partner | None = None,
    target: ProductSubscription | None = None,
    ordered_at: dt.datetime | None = None,
    grace_ends_at: dt.datetime | None = None,
    created_at: dt.datetime | None = None,
) -> TradeIn:
    """A trade-in row written directly (not through the upgrade commands). `created_at`
    sets the creation time, for tests that depend on the order of trade-ins."""
    fields: dict[str, Any] = {"created_at": created_at} if created_at is not None else {}
    return await TradeIn.create(
        kind=kind,
        status=status,
        source_id=source.id,
        target_product_id=(await Product.get(code=target_product_code)).id,
        target_id=target.id if target else None,
        partner_id=partner.id if partner else None,
        ordered_at=ordered_at,
        grace_ends_at=grace_ends_at,
        **fields,
    )


async def token(account: Account, user: User) -> str:
    """An API token acting as `user` inside `account` (they must be a member)."""
    issued = await create_member_token(email=user.email, account_id=account.id, prefix="sw_")
    return issued.token


async def partner_token(partner: Partner) -> str:
    return (await create_partner_token(partner_code=partner.code, prefix="sw_")).token


# A scenario used by several API tests -------------------------------------------------


@dataclass(frozen=True)
class Team:
    """An account with its primary admin (and the admin's token)."""

    account: Account
    admin: User
    admin_token: str


async def team(*, name: str | None = None, admin_name: str | None = None) -> Team:
    """An account with a primary admin and a token for them: what most API tests start from."""
    built = await account(name=name)
    admin = await user(name=admin_name)
    await member(built, admin, role=Role.PRIMARY_ADMIN)
    return Team(account=built, admin=admin, admin_token=await token(built, admin))
