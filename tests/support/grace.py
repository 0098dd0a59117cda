"""Trade-ins in grace for the grace-period tests: an account with two admins (one reading
French), AutoCAD LT traded in for AutoCAD, and users on the old subscription, some of them
already moved to the new one."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from models import Account, ProductSubscription, TradeIn, User
from models.enums import Role, SubscriptionStatus, TradeInStatus, UpgradeKind
from tests.support import factories

# The grace period of the first trade-in ends at this moment.
ENDS = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)


@dataclass
class InGrace:
    account: Account
    admins: list[User]  # by email
    source: ProductSubscription
    target: ProductSubscription
    trade_in: TradeIn
    users: dict[str, User] = field(default_factory=dict)  # by name
    tag: str = ""  # in the contract number and the users' emails


async def in_grace(
    *,
    ends: dt.datetime = ENDS,
    users: tuple[str, ...] = ("Bob Martin", "Ann Lee", "Cleo Diaz"),
    moved: tuple[str, ...] = ("Cleo Diaz",),
    status: TradeInStatus = TradeInStatus.IN_GRACE,
    tag: str = "",
    account_of: InGrace | None = None,
) -> InGrace:
    """A trade-in `status` whose grace ends at `ends`; every user of `users` has a seat on
    the source, those of `moved` one on the target too. By default in an account of its
    own; with `account_of`, on a new contract of that trade-in's account (same admins)."""
    if account_of is None:
        tag = tag or f"{await Account.all().count() + 1:03d}"
        account = await factories.account(name=f"Acme {tag}")
        primary = await factories.user(email=f"alice.{tag}@acme.example", name=f"Alice {tag}")
        second = await factories.user(
            email=f"zoe.{tag}@acme.example", name=f"Zoé {tag}", locale="fr"
        )
        await factories.member(account, primary, role=Role.PRIMARY_ADMIN)
        await factories.member(account, second, role=Role.SECONDARY_ADMIN)
    else:
        account, (primary, second) = account_of.account, account_of.admins
        earlier = await TradeIn.filter(source__contract__account_id=account.id).count()
        tag = tag or f"{account.name.split()[-1]}-{earlier + 1}"
    contract = await factories.contract(account, number=f"C-GRACE-{tag}")
    in_grace_now = status is TradeInStatus.IN_GRACE
    source = await factories.subscription(
        contract,
        "ACDLT",
        seats=5,
        status=SubscriptionStatus.IN_GRACE if in_grace_now else SubscriptionStatus.ACTIVE,
    )
    target = await factories.subscription(contract, "ACD", seats=5)
    trade_in = await factories.trade_in(
        source,
        "ACD",
        kind=UpgradeKind.LT_TO_FULL,
        status=status,
        target=target,
        ordered_at=ends - dt.timedelta(days=30),
        grace_ends_at=ends,
    )
    world = InGrace(account, [primary, second], source, target, trade_in, tag=tag)
    for name in users:
        slug = name.split()[0].lower()
        person = await factories.user(email=f"{slug}.{tag}@acme.example", name=name)
        await factories.member(account, person)
        await factories.assign(source, person)
        if name in moved:
            await factories.assign(target, person)
        world.users[name] = person
    return world
