"""Applying imported rows to an account, set-based (see `domain.user_import` for the rules).

A chunk of rows is one transaction in three steps: read the facts every row needs in a
fixed number of queries (whatever the number of rows), decide each row in file order with
the pure `plan_rows` (as if the rows were applied one after the other: a row sees the
members and seats the rows before it added), then write the decided rows with one bulk
insert per table. A refused row is decided before anything is written, so it writes
nothing, and every row's writes share the chunk's transaction: no half-imported row.

The account row is locked first and then the subscriptions the rows name (in id order), as
`domain.members` and `domain.seat_changes` do, so an import, the member commands and the
seat commands on one account run one after the other.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from domain import members, outbox
from domain.directory import usable_products
from domain.errors import DomainError, ErrorCode
from domain.members import Counts
from domain.principals import ADMIN_ROLES
from domain.seat_changes import DOWNLOAD_EMAIL, downloads_due, locked_subscriptions, seats_missing
from domain.seats import seats_available
from models import (
    Account,
    AuditEvent,
    CollectionItem,
    Membership,
    Product,
    ProductSubscription,
    SeatAssignment,
    User,
)
from models.enums import ProductKind, Role, SubscriptionStatus

# A person created by a concurrent invitation between our read and our insert makes the
# chunk's insert fail on the email's unique index: the chunk is decided again, once more.
ATTEMPTS = 2


@dataclass(frozen=True)
class ImportRow:
    row: int
    email: str
    name: str
    locale: str
    products: tuple[str, ...]


@dataclass
class RowResult:
    row: int
    email: str
    created: bool = False  # a new member of the account (the person may be known already)
    already_member: bool = False
    assigned: list[str] = field(default_factory=list)  # product codes given a new seat
    refusal: str | None = None
    code: ErrorCode | None = None  # the refusal's
    column: str | None = None  # the column at fault, when one is
    user_id: UUID | None = None  # the person's, once they are a member
    membership_id: UUID | None = None
    emails: list[Any] = field(default_factory=list)  # outbox rows written for the row

    def line(self) -> str:
        if self.refusal is not None:
            return f"row {self.row}: refused {self.email or '(no email)'}: {self.refusal}"
        what = "created" if self.created else "already a member"
        assigned = f", assigned {' '.join(self.assigned)}" if self.assigned else ""
        return f"row {self.row}: {what} {self.email}{assigned}"


@dataclass(frozen=True)
class Actor:
    """Who imports: the audit trail's actor, and the acting member (None on the command
    line), who must be an admin of the account."""

    key: str
    user_id: UUID | None


# Facts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    user_id: UUID
    email: str
    name: str
    locale: str


@dataclass
class Offer:
    """An ACTIVE subscription of the account a product code takes a seat on."""

    id: UUID
    product_id: UUID
    seats: int
    used: int


@dataclass
class Facts:
    account_id: UUID
    account_name: str
    inviter: tuple[str, str]  # the acting member's name and email ("" on the command line)
    people: dict[str, Person]  # the known people among the rows' emails
    members: dict[UUID, UUID]  # user id -> membership id, for those of them in the account
    roles: Counter[Role]  # the account's memberships by role
    active_seats: int  # in the account
    offers: dict[str, list[Offer]]  # product code -> its subscriptions, in the order to fill
    holders: set[tuple[UUID, UUID]]  # (subscription, user): the rows' people's active seats
    gives: dict[UUID, list[tuple[UUID, str]]]  # product -> what a seat gives (id, name)
    had: dict[UUID, set[UUID]]  # user -> the products they can use in the account now

    def counts(self) -> Counts:
        return Counts(
            members=sum(self.roles.values()),
            admins=sum(self.roles[role] for role in ADMIN_ROLES),
            primary_admins=self.roles[Role.PRIMARY_ADMIN],
            active_seats=self.active_seats,
        )


async def _gives(product_ids: set[UUID]) -> dict[UUID, list[tuple[UUID, str]]]:
    products = await Product.filter(id__in=list(product_ids)).values_list("id", "name", "kind")
    collections = [p for p, _, kind in products if kind == ProductKind.COLLECTION]
    gives = {p: [(p, str(name))] for p, name, kind in products if kind != ProductKind.COLLECTION}
    if collections:
        items = (
            await CollectionItem.filter(collection_id__in=collections)
            .order_by("product__name")
            .values_list("collection_id", "product_id", "product__name")
        )
        for collection in collections:
            gives[collection] = [(p, str(n)) for c, p, n in items if c == collection]
    return gives


async def read_facts(account_id: UUID, rows: Sequence[ImportRow], actor: Actor) -> Facts:
    """Lock the account and the subscriptions the rows name, and read what deciding the
    rows needs. Call inside the chunk's transaction."""
    account = await Account.filter(id=account_id).select_for_update().first()
    if account is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such account.", members.ACCOUNT_FIELD)
    inviter = ("", "")
    if actor.user_id is not None:
        # Still an admin now that the account is locked (a concurrent command may have
        # demoted or removed them since the call was authorized).
        acting = await Membership.filter(account_id=account_id, user_id=actor.user_id).values_list(
            "role", "user__name", "user__email"
        )
        if not acting or acting[0][0] not in ADMIN_ROLES:
            raise DomainError(
                ErrorCode.NOT_ACCOUNT_ADMIN,
                "Only an admin of the account may do this.",
                members.ACCOUNT_FIELD,
            )
        inviter = (str(acting[0][1]), str(acting[0][2]))
    roles = await (
        Membership.filter(account_id=account_id)
        .annotate(n=Count("id"))
        .group_by("role")
        .values_list("role", "n")
    )
    active = await SeatAssignment.filter(
        unassigned_at=None, subscription__contract__account_id=account_id
    ).count()
    known = await User.filter(email__in=[r.email for r in rows]).values_list(
        "id", "email", "name", "locale"
    )
    people = {e: Person(UUID(str(i)), e, n, loc) for i, e, n, loc in known}
    member_rows = await Membership.filter(
        account_id=account_id, user_id__in=[p.user_id for p in people.values()]
    ).values_list("user_id", "id")
    in_account = {UUID(str(u)): UUID(str(m)) for u, m in member_rows}
    codes = sorted({code for r in rows for code in r.products})
    found = await (
        ProductSubscription.filter(
            contract__account_id=account_id,
            product__code__in=codes,
            status=SubscriptionStatus.ACTIVE,
        )
        .order_by("term_ends_on", "id")
        .values_list("id", "product_id", "product__code", "seats")
    )
    ids = [UUID(str(i)) for i, *_ in found]
    await locked_subscriptions(ids)
    used = {
        UUID(str(subscription)): n
        for subscription, n in await SeatAssignment.filter(
            subscription_id__in=ids, unassigned_at=None
        )
        .annotate(n=Count("id"))
        .group_by("subscription_id")
        .values_list("subscription_id", "n")
    }
    offers: dict[str, list[Offer]] = {}
    for i, product, code, seats in found:
        key = UUID(str(i))
        offers.setdefault(code, []).append(Offer(key, UUID(str(product)), seats, used.get(key, 0)))
    holders = await SeatAssignment.filter(
        subscription_id__in=ids, unassigned_at=None, user_id__in=list(in_account)
    ).values_list("subscription_id", "user_id")
    usable = await usable_products([(account_id, user) for user in in_account])
    return Facts(
        account_id=account_id,
        account_name=account.name,
        inviter=inviter,
        people=people,
        members=in_account,
        roles=Counter({Role(r): n for r, n in roles}),
        active_seats=active,
        offers=offers,
        holders={(UUID(str(s)), UUID(str(u))) for s, u in holders},
        gives=await _gives({o.product_id for group in offers.values() for o in group}),
        had={user: products for (_, user), products in usable.items()},
    )


# Deciding (pure) -------------------------------------------------------------------------


@dataclass
class Writes:
    """Everything the decided rows write, in insert order."""

    users: list[User] = field(default_factory=list)
    memberships: list[Membership] = field(default_factory=list)
    seats: list[SeatAssignment] = field(default_factory=list)
    emails: list[tuple[RowResult, outbox.Email]] = field(default_factory=list)
    audit: list[AuditEvent] = field(default_factory=list)


def _seats_for(
    row: ImportRow, user_id: UUID, facts: Facts
) -> tuple[list[tuple[Offer, str]], RowResult | None]:
    """The subscription each of the row's codes takes a seat on (codes the person already
    holds left out), or the row's refusal."""
    picks: list[tuple[Offer, str]] = []
    for code in row.products:
        offers = facts.offers.get(code)
        if not offers:
            return picks, RowResult(
                row.row,
                row.email,
                refusal=f"the account has no active subscription of {code}",
                code=ErrorCode.NO_ACTIVE_SUBSCRIPTION,
                column="products",
            )
        if any((o.id, user_id) in facts.holders for o in offers):
            continue
        target = next((o for o in offers if not seats_missing(o.seats, o.used, 1)), None)
        if target is None:
            return picks, RowResult(
                row.row,
                row.email,
                refusal=f"no free seat on the account's {code} subscriptions",
                code=ErrorCode.SEAT_LIMIT_REACHED,
                column="products",
            )
        picks.append((target, code))
    return picks, None


def plan_rows(
    rows: Sequence[ImportRow],
    facts: Facts,
    *,
    actor: Actor,
    now: dt.datetime,
    request_id: str,
) -> tuple[list[RowResult], Writes]:
    """Decide every row in order, updating `facts` as each applied row would."""
    results: list[RowResult] = []
    writes = Writes()

    def audit(action: str, subject_type: str, subject_id: UUID, data: dict[str, Any]) -> None:
        writes.audit.append(
            AuditEvent(
                id=uuid4(),
                account_id=facts.account_id,
                actor=actor.key,
                action=action,
                subject_type=subject_type,
                subject_id=str(subject_id),
                data={"request_id": request_id, **data},
            )
        )

    for row in rows:
        person = facts.people.get(row.email)
        user_id = person.user_id if person else uuid4()
        picks, refusal = _seats_for(row, user_id, facts)
        if refusal is not None:
            results.append(refusal)
            continue
        result = RowResult(row.row, row.email, user_id=user_id)
        results.append(result)
        new_person = person is None
        if person is None:
            person = Person(user_id, row.email, row.name, row.locale)
            facts.people[row.email] = person
            writes.users.append(User(id=user_id, email=row.email, name=row.name, locale=row.locale))
        membership_id = facts.members.get(user_id)
        if membership_id is not None:
            result.already_member = True
        else:
            result.created = True
            before = facts.counts()
            membership_id = uuid4()
            facts.members[user_id] = membership_id
            facts.roles[Role.USER] += 1
            writes.memberships.append(
                Membership(id=membership_id, account_id=facts.account_id, user_id=user_id)
            )
            writes.emails.append((result, _invitation(person, membership_id, facts)))
            audit(
                "member.invited",
                "User",
                membership_id,
                {
                    "user_id": str(user_id),
                    "counts_before": before.to_json(),
                    "counts_after": facts.counts().to_json(),
                    "role": Role.USER.value,
                    "created_person": new_person,
                    "email": row.email,
                },
            )
        result.membership_id = membership_id
        for offer, code in picks:
            seat = SeatAssignment(
                id=uuid4(),
                subscription_id=offer.id,
                user_id=user_id,
                assigned_at=now,
                assigned_by_id=actor.user_id,
            )
            writes.seats.append(seat)
            gives = facts.gives[offer.product_id]
            had = facts.had.setdefault(user_id, set())
            due = downloads_due({user_id: had}, [p for p, _ in gives], [user_id])
            had.update(p for p, _ in gives)
            if due:
                names = dict(gives)
                writes.emails.append(
                    (result, _download(person, seat.id, [names[p] for p in due[user_id]], facts))
                )
            offer.used += 1
            facts.active_seats += 1
            facts.holders.add((offer.id, user_id))
            result.assigned.append(code)
            audit(
                "seat.assigned",
                "ProductSubscription",
                offer.id,
                {
                    "users": [str(user_id)],
                    "already_assigned": 0,
                    "seats": offer.seats,
                    "assigned_before": offer.used - 1,
                    "assigned_after": offer.used,
                    "free_after": seats_available(offer.seats, offer.used),
                    "download_emails": 1 if due else 0,
                },
            )
    return results, writes


def _invitation(person: Person, membership_id: UUID, facts: Facts) -> outbox.Email:
    return outbox.Email(
        template=members.INVITED_EMAIL,
        recipient=person.email,
        locale=person.locale,
        dedupe_key=f"{members.INVITED_EMAIL}:{membership_id}",
        context={
            "invitee_name": person.name,
            "account_name": facts.account_name,
            "role": Role.USER.value,
            "invited_by_name": facts.inviter[0],
            "invited_by_email": facts.inviter[1],
        },
    )


def _download(person: Person, seat_id: UUID, products: list[str], facts: Facts) -> outbox.Email:
    return outbox.Email(
        template=DOWNLOAD_EMAIL,
        recipient=person.email,
        locale=person.locale,
        dedupe_key=f"{DOWNLOAD_EMAIL}:{seat_id}",
        context={
            "user_name": person.name,
            "account_name": facts.account_name,
            "products": products,
        },
    )


# Writing ---------------------------------------------------------------------------------


async def _write(writes: Writes, *, account_id: UUID, now: dt.datetime) -> None:
    if writes.users:
        await User.bulk_create(writes.users)
    if writes.memberships:
        await Membership.bulk_create(writes.memberships)
    if writes.seats:
        await SeatAssignment.bulk_create(writes.seats)
    written = await outbox.record_emails(
        [email for _, email in writes.emails], account_id=account_id, now=now
    )
    for (result, _), message in zip(writes.emails, written, strict=True):
        result.emails.append(message)
    if writes.audit:
        await AuditEvent.bulk_create(writes.audit)


async def apply_rows(
    account_id: UUID,
    rows: Sequence[ImportRow],
    *,
    actor: Actor,
    now: dt.datetime,
    request_id: str,
) -> list[RowResult]:
    """Apply the rows in one transaction: one result per row, in order."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            async with in_transaction():
                facts = await read_facts(account_id, rows, actor)
                results, writes = plan_rows(
                    rows, facts, actor=actor, now=now, request_id=request_id
                )
                await _write(writes, account_id=account_id, now=now)
                return results
        except IntegrityError:
            if attempt == ATTEMPTS:
                raise
    raise AssertionError("unreachable")
