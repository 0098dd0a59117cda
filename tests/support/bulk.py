"""Bulk data for the SQL-count test and the benchmark: an account with `users` members,
each with one seat on each of three subscriptions."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from models import (
    Account,
    Contract,
    Membership,
    Plan,
    Product,
    ProductSubscription,
    SeatAssignment,
    User,
)
from models.enums import Channel, LicenseModel, Role, SubscriptionStatus

NOW = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)


async def make_account(name: str, users: int, *, admin_email: str) -> UUID:
    account = await Account.create(name=name)
    contract = await Contract.create(
        account_id=account.id,
        number=f"B-{account.id.hex[:10]}",
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 12, 31),
        channel=Channel.ONLINE,
    )
    plan = await Plan.get(code="STANDARD")
    subscriptions = [
        await ProductSubscription.create(
            contract_id=contract.id,
            product_id=(await Product.get(code=code)).id,
            plan_id=plan.id,
            seats=users,
            status=SubscriptionStatus.ACTIVE,
            license_model=LicenseModel.NAMED_USER,
            term_starts_on=dt.date(2026, 1, 1),
            term_ends_on=dt.date(2026, 12, 31),
        )
        for code in ("ACD", "RVT", "NAVMAN")
    ]
    people = [
        User(
            email=admin_email if i == 0 else f"user{i:04d}.{account.id.hex[:6]}@bulk.example",
            name=f"User {i:04d}",
        )
        for i in range(users)
    ]
    await User.bulk_create(people)
    await Membership.bulk_create(
        [
            Membership(
                account_id=account.id,
                user_id=person.id,
                role=Role.PRIMARY_ADMIN if i == 0 else Role.USER,
            )
            for i, person in enumerate(people)
        ]
    )
    await SeatAssignment.bulk_create(
        [
            SeatAssignment(subscription_id=s.id, user_id=person.id, assigned_at=NOW)
            for person in people
            for s in subscriptions
        ]
    )
    return account.id
