"""Assigning and removing seats: `seatAssign`, `seatUnassign` and `seatTransfer`.

The decisions are pure (`seats_missing`, `downloads_due`); the commands read their facts
set-based (one query for the memberships of all the users, one for the seats already on
the subscription, whatever the number of users), decide, and write in the caller's
transaction with bulk statements: seats, audit event and download emails together, or
nothing (a refusal raises, which rolls everything back).

Decisions written down:
- The seat limit holds under concurrency: the subscription row is locked
  (`select_for_update`) before its seats are counted, so concurrent assignments on many
  API processes count one after the other; the partial unique index on active seats is the
  backstop for one user assigned twice. The account row is locked before it (as
  `domain.members` does before its memberships), so a member removed meanwhile keeps no
  new seat.
- Users are `User` IDs (memberships). One the caller may not read, or an unknown or
  malformed one, is NOT_FOUND at its index (["input", "userIds", i]); a member of another
  account the caller administers is NOT_A_MEMBER. All faults are reported together, with
  SEAT_LIMIT_REACHED saying how many seats are missing. An ID given twice counts once.
- Assigning needs an ACTIVE subscription (a source in grace takes no new seats: the users
  go to its target). Removing is allowed on any subscription, with reason ADMIN.
- A transfer moves users from a trade-in's source (in grace) to its target: seats on the
  target (the seat limit holds), the source seats ended with reason TRANSFERRED, all or
  nothing. Without `userIds`, every user still only on the source moves. A given user
  without a seat on the source is SEAT_NOT_ASSIGNED; one already on the target only
  leaves the source.
- Download emails (`ready_to_download`): each user who gains a product they could not use
  before in the account (through any active or in-grace seat; a collection counts as its
  products) gets one email, in their locale, naming only the new products. The products
  they had are read before the change, so a user moved to a new subscription of the same
  product gets none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from tortoise.exceptions import IntegrityError

from domain import audit, outbox
from domain.access import ReadScope, can_administer
from domain.directory import usable_products
from domain.errors import DomainError, ErrorCode
from domain.principals import MemberPrincipal, Principal
from domain.seats import seats_available
from models import (
    Account,
    CollectionItem,
    Contract,
    Membership,
    OutboxMessage,
    Product,
    ProductSubscription,
    SeatAssignment,
    TradeIn,
)
from models.enums import ProductKind, SubscriptionStatus, TradeInStatus, UnassignReason

MAX_USERS = 1000
DOWNLOAD_EMAIL = "ready_to_download"
SUBSCRIPTION_FIELD = ("input", "subscriptionId")
TRADE_IN_FIELD = ("input", "tradeInId")
USERS_FIELD = ("input", "userIds")


class SeatRefusals(DomainError):
    """Several refusals at once: one per user at fault, in the order of `userIds`, then
    the seats missing."""

    def __init__(self, errors: Sequence[DomainError]) -> None:
        ordered = sorted(errors, key=_position)
        first = ordered[0]
        super().__init__(first.code, first.message, first.field)
        self.errors = tuple(ordered)


def _position(error: DomainError) -> int:
    """The index of the user an error names; errors about no one user come last."""
    if len(error.field) == len(USERS_FIELD) + 1:
        return int(error.field[-1])
    return MAX_USERS


# Decisions ------------------------------------------------------------------------------


def seats_missing(seats: int, assigned: int, adding: int) -> int:
    """How many seats are missing to add `adding` users to `assigned` ones (0: they fit)."""
    return max(adding - seats_available(seats, assigned), 0)


def downloads_due(
    had: Mapping[UUID, Set[UUID]], gives: Sequence[UUID], gaining: Iterable[UUID]
) -> dict[UUID, tuple[UUID, ...]]:
    """For each user of `gaining`: the products of `gives` (a collection already counted
    as its products) they could not use before (`had`), in the order of `gives`. Users who
    gain nothing new are left out: they get no email."""
    due: dict[UUID, tuple[UUID, ...]] = {}
    for user in gaining:
        before = had.get(user, set())
        new = tuple(dict.fromkeys(p for p in gives if p not in before))
        if new:
            due[user] = new
    return due


def checked_count(count: int) -> None:
    if not 1 <= count <= MAX_USERS:
        raise DomainError(ErrorCode.INVALID_INPUT, f"Give 1 to {MAX_USERS} users.", USERS_FIELD)


# Facts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    membership_id: UUID
    user_id: UUID
    name: str
    email: str
    locale: str


@dataclass
class SeatResult:
    account_id: UUID
    subscription_id: UUID
    changed: list[UUID] = field(default_factory=list)  # assignment ids, new or ended
    unchanged: list[UUID] = field(default_factory=list)  # membership ids
    emails: list[OutboxMessage] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "account_id": str(self.account_id),
            "subscription_id": str(self.subscription_id),
            "changed": [str(c) for c in self.changed],
            "unchanged": [str(u) for u in self.unchanged],
        }


def _user_error(code: ErrorCode, message: str, index: int) -> DomainError:
    return DomainError(code, message, (*USERS_FIELD, str(index)))


async def locked_subscriptions(
    ids: Sequence[UUID],
) -> dict[UUID, ProductSubscription]:
    """The subscriptions, locked in id order (so two commands never wait on each other)."""
    rows = await ProductSubscription.filter(id__in=list(ids)).order_by("id").select_for_update()
    return {row.id: row for row in rows}


async def _administered(
    subscription_id: UUID, principal: Principal, scope: ReadScope
) -> tuple[ProductSubscription, Contract]:
    """The subscription, locked, and its contract: NOT_FOUND when the caller may not read
    it (exactly like an unknown one), NOT_ACCOUNT_ADMIN when it reads it but does not
    administer the account (a partner)."""
    subscription = await ProductSubscription.get_or_none(id=subscription_id)
    contract = await Contract.get_or_none(id=subscription.contract_id) if subscription else None
    if (
        subscription is None
        or contract is None
        or not scope.can_read_contract(contract.account_id, contract.id)
    ):
        raise DomainError(ErrorCode.NOT_FOUND, "No such subscription.", SUBSCRIPTION_FIELD)
    if not can_administer(principal, contract.account_id):
        raise DomainError(
            ErrorCode.NOT_ACCOUNT_ADMIN,
            "Only an admin of the account can change its seats.",
            SUBSCRIPTION_FIELD,
        )
    await _lock_account(contract.account_id)
    return (await locked_subscriptions([subscription_id]))[subscription_id], contract


async def _lock_account(account_id: UUID) -> None:
    """The account row first, as `domain.members` locks it before its memberships: a member
    removed meanwhile waits until the seats are written, then finds and ends them (and the
    two commands never wait on each other in a circle). FOR NO KEY UPDATE: rows that only
    refer to the account (audit events) are not held up."""
    await Account.filter(id=account_id).select_for_update(no_key=True)


async def _members(
    account_id: UUID, keys: Sequence[UUID | None], scope: ReadScope
) -> tuple[list[Member], list[DomainError]]:
    """The members named by `keys` (User IDs, each once), in one query, and the faults."""
    rows = await Membership.filter(id__in=[k for k in keys if k is not None]).values(
        "id", "account_id", "user_id", "user__name", "user__email", "user__locale"
    )
    by_id = {row["id"]: row for row in rows}
    members: list[Member] = []
    errors: list[DomainError] = []
    seen: set[UUID] = set()
    for index, key in enumerate(keys):
        row = by_id.get(key) if key is not None else None
        if row is None or not scope.can_read_member(row["account_id"], row["user_id"]):
            errors.append(_user_error(ErrorCode.NOT_FOUND, "No such user.", index))
        elif row["account_id"] != account_id:
            errors.append(
                _user_error(
                    ErrorCode.NOT_A_MEMBER,
                    "This user is not a member of the subscription's account.",
                    index,
                )
            )
        elif row["id"] not in seen:
            seen.add(row["id"])
            members.append(
                Member(
                    membership_id=row["id"],
                    user_id=row["user_id"],
                    name=row["user__name"],
                    email=row["user__email"],
                    locale=row["user__locale"],
                )
            )
    return members, errors


@dataclass(frozen=True)
class Seated:
    count: int  # the subscription's active seats
    of: dict[UUID, UUID]  # user id -> assignment id, for the users asked about who hold one


async def _seated(subscription_id: UUID, users: Sequence[UUID]) -> Seated:
    """How many active seats the subscription has, and which of `users` hold one: two
    queries that read only those users' rows, so a call for one user costs the same on a
    subscription of 10 or 10,000 seats."""
    active = SeatAssignment.filter(subscription_id=subscription_id, unassigned_at=None)
    rows = (
        await active.filter(user_id__in=list(users)).values_list("user_id", "id") if users else []
    )
    return Seated(
        count=await active.count(), of={UUID(str(user)): UUID(str(seat)) for user, seat in rows}
    )


async def _active_seats(subscription_id: UUID) -> dict[UUID, UUID]:
    """The active seats of the subscription: user id -> assignment id (one query)."""
    rows = await SeatAssignment.filter(
        subscription_id=subscription_id, unassigned_at=None
    ).values_list("user_id", "id")
    return {UUID(str(user)): UUID(str(seat)) for user, seat in rows}


def _shortfall_error(missing: int, free: int) -> DomainError:
    seats = "seat" if missing == 1 else "seats"
    return DomainError(
        ErrorCode.SEAT_LIMIT_REACHED,
        f"{missing} {seats} missing: {free} free on the subscription. Nothing was assigned.",
        USERS_FIELD,
    )


async def insert_seats(
    subscription_id: UUID, users: Sequence[UUID], *, by: UUID | None, now: dt.datetime
) -> list[SeatAssignment]:
    seats = [
        SeatAssignment(
            subscription_id=subscription_id, user_id=user, assigned_at=now, assigned_by_id=by
        )
        for user in users
    ]
    if not seats:
        return seats
    try:
        await SeatAssignment.bulk_create(seats)
    except IntegrityError:
        # The one-active-seat index: a concurrent assignment of one of these users won
        # (the subscription lock makes this unreachable; the index is the backstop).
        raise DomainError(
            ErrorCode.SEAT_LIMIT_REACHED,
            "A concurrent change assigned one of these users: try again.",
            USERS_FIELD,
        ) from None
    return seats


# Download emails ------------------------------------------------------------------------


async def _products_given(product_id: UUID) -> list[tuple[UUID, str]]:
    """What a seat on a subscription to `product_id` gives: the product, or a collection's
    products (by name)."""
    product = await Product.get(id=product_id)
    if product.kind is not ProductKind.COLLECTION:
        return [(product.id, product.name)]
    rows = (
        await CollectionItem.filter(collection_id=product_id)
        .order_by("product__name")
        .values_list("product_id", "product__name")
    )
    return [(UUID(str(p)), str(n)) for p, n in rows]


async def products_had(account_id: UUID, members: Sequence[Member]) -> dict[UUID, set[UUID]]:
    """What each member can use in the account now (read before the change)."""
    usable = await usable_products([(account_id, m.user_id) for m in members])
    return {user: products for (_, user), products in usable.items()}


async def download_emails(
    account_id: UUID,
    had: Mapping[UUID, Set[UUID]],
    gaining: Sequence[tuple[Member, UUID]],
    product_id: UUID,
    *,
    now: dt.datetime,
) -> list[OutboxMessage]:
    """One `ready_to_download` email per member of `gaining` (with the id of their new
    seat) who gains a product they did not have."""
    if not gaining:
        return []
    given = await _products_given(product_id)
    names = dict(given)
    due = downloads_due(had, [p for p, _ in given], [m.user_id for m, _ in gaining])
    if not due:
        return []
    account = await Account.get(id=account_id)
    emails = [
        outbox.Email(
            template=DOWNLOAD_EMAIL,
            recipient=member.email,
            locale=member.locale,
            dedupe_key=f"{DOWNLOAD_EMAIL}:{seat}",
            context={
                "user_name": member.name,
                "account_name": account.name,
                "products": [names[p] for p in due[member.user_id]],
            },
        )
        for member, seat in gaining
        if member.user_id in due
    ]
    return await outbox.record_emails(emails, account_id=account_id, now=now)


# Commands -------------------------------------------------------------------------------


def _actor_user(principal: Principal) -> UUID | None:
    return principal.user_id if isinstance(principal, MemberPrincipal) else None


async def _record(
    action: str,
    principal: Principal,
    subject_id: UUID,
    account_id: UUID,
    request_id: str,
    data: dict[str, Any],
) -> None:
    await audit.record(
        account_id=account_id,
        actor=principal.key,
        action=action,
        subject_type="ProductSubscription" if action != "seat.transferred" else "TradeIn",
        subject_id=subject_id,
        data={"request_id": request_id, **data},
    )


async def assign(
    subscription_id: UUID,
    user_keys: Sequence[UUID | None],
    *,
    principal: Principal,
    scope: ReadScope,
    now: dt.datetime,
    request_id: str,
) -> SeatResult:
    """Assign seats to the users, all or nothing; users already on it are reported."""
    checked_count(len(user_keys))
    subscription, contract = await _administered(subscription_id, principal, scope)
    account_id = contract.account_id
    if subscription.status is not SubscriptionStatus.ACTIVE:
        raise DomainError(
            ErrorCode.SUBSCRIPTION_NOT_ACTIVE,
            f"The subscription is {subscription.status.value.lower().replace('_', ' ')}: only "
            "an active subscription takes new seats.",
            SUBSCRIPTION_FIELD,
        )
    members, errors = await _members(account_id, user_keys, scope)
    seated = await _seated(subscription.id, [m.user_id for m in members])
    adding = [m for m in members if m.user_id not in seated.of]
    missing = seats_missing(subscription.seats, seated.count, len(adding))
    if missing:
        errors.append(_shortfall_error(missing, seats_available(subscription.seats, seated.count)))
    if errors:
        raise SeatRefusals(errors)
    result = SeatResult(account_id=account_id, subscription_id=subscription.id)
    result.unchanged = [m.membership_id for m in members if m.user_id in seated.of]
    if not adding:
        return result
    had = await products_had(account_id, adding)
    seats = await insert_seats(
        subscription.id, [m.user_id for m in adding], by=_actor_user(principal), now=now
    )
    result.changed = [s.id for s in seats]
    result.emails = await download_emails(
        account_id,
        had,
        [(m, s.id) for m, s in zip(adding, seats, strict=True)],
        subscription.product_id,
        now=now,
    )
    await _record(
        "seat.assigned",
        principal,
        subscription.id,
        account_id,
        request_id,
        {
            "users": [str(m.user_id) for m in adding],
            "already_assigned": len(result.unchanged),
            "seats": subscription.seats,
            "assigned_before": seated.count,
            "assigned_after": seated.count + len(adding),
            "download_emails": len(result.emails),
        },
    )
    return result


async def unassign(
    subscription_id: UUID,
    user_keys: Sequence[UUID | None],
    *,
    principal: Principal,
    scope: ReadScope,
    now: dt.datetime,
    request_id: str,
) -> SeatResult:
    """End the users' seats on the subscription (reason ADMIN), whatever its status; users
    without a seat on it are reported. What they use through other seats stays."""
    checked_count(len(user_keys))
    subscription, contract = await _administered(subscription_id, principal, scope)
    account_id = contract.account_id
    members, errors = await _members(account_id, user_keys, scope)
    if errors:
        raise SeatRefusals(errors)
    seated = await _seated(subscription.id, [m.user_id for m in members])
    result = SeatResult(account_id=account_id, subscription_id=subscription.id)
    result.unchanged = [m.membership_id for m in members if m.user_id not in seated.of]
    ending = [seated.of[m.user_id] for m in members if m.user_id in seated.of]
    if not ending:
        return result
    await SeatAssignment.filter(id__in=ending).update(
        unassigned_at=now, unassign_reason=UnassignReason.ADMIN
    )
    result.changed = ending
    await _record(
        "seat.unassigned",
        principal,
        subscription.id,
        account_id,
        request_id,
        {
            "users": [str(m.user_id) for m in members if m.user_id in seated.of],
            "not_assigned": len(result.unchanged),
            "reason": UnassignReason.ADMIN.value,
            "seats": subscription.seats,
            "assigned_before": seated.count,
            "assigned_after": seated.count - len(ending),
        },
    )
    return result


@dataclass
class TransferResult:
    trade_in_id: UUID
    seats: SeatResult


async def transfer(
    trade_in_id: UUID,
    user_keys: Sequence[UUID | None] | None,
    *,
    principal: Principal,
    scope: ReadScope,
    now: dt.datetime,
    request_id: str,
) -> TransferResult:
    """Move users from the trade-in's source to its target in one go (see the module)."""
    if user_keys is not None:
        checked_count(len(user_keys))
    trade_in = await TradeIn.filter(id=trade_in_id).select_for_update().first()
    contract = (
        await Contract.get_or_none(subscriptions__id=trade_in.source_id) if trade_in else None
    )
    if (
        trade_in is None
        or contract is None
        or not scope.can_read_contract(contract.account_id, contract.id)
    ):
        raise DomainError(ErrorCode.NOT_FOUND, "No such trade-in.", TRADE_IN_FIELD)
    account_id = contract.account_id
    if not can_administer(principal, account_id):
        raise DomainError(
            ErrorCode.NOT_ACCOUNT_ADMIN,
            "Only an admin of the account can move its users.",
            TRADE_IN_FIELD,
        )
    if trade_in.status is not TradeInStatus.IN_GRACE or trade_in.target_id is None:
        raise DomainError(
            ErrorCode.TRADE_IN_NOT_IN_GRACE,
            "Users move during the trade-in's grace period only.",
            TRADE_IN_FIELD,
        )
    await _lock_account(account_id)
    locked = await locked_subscriptions([trade_in.source_id, trade_in.target_id])
    source, target = locked[trade_in.source_id], locked[trade_in.target_id]
    on_source = await _active_seats(source.id)
    on_target = await _active_seats(target.id)
    errors: list[DomainError] = []
    if user_keys is None:
        only_on_source = [u for u in on_source if u not in on_target]
        keys = await (
            Membership.filter(account_id=account_id, user_id__in=only_on_source)
            .order_by("user__name", "id")
            .values_list("id", flat=True)
        )
        members, _ = await _members(account_id, [UUID(str(k)) for k in keys], scope)
    else:
        members, errors = await _members(account_id, user_keys, scope)
        by_key = {m.membership_id: m for m in members}
        for index, key in enumerate(user_keys):
            member = by_key.get(key) if key is not None else None
            if member is not None and member.user_id not in on_source:
                errors.append(
                    _user_error(
                        ErrorCode.SEAT_NOT_ASSIGNED,
                        "This user has no seat on the trade-in's source subscription.",
                        index,
                    )
                )
    moving = [m for m in members if m.user_id in on_source]
    adding = [m for m in moving if m.user_id not in on_target]
    missing = seats_missing(target.seats, len(on_target), len(adding))
    if missing:
        errors.append(_shortfall_error(missing, seats_available(target.seats, len(on_target))))
    if errors:
        raise SeatRefusals(errors)
    result = SeatResult(account_id=account_id, subscription_id=target.id)
    result.unchanged = [m.membership_id for m in moving if m.user_id in on_target]
    if moving:
        had = await products_had(account_id, adding)
        seats = await insert_seats(
            target.id, [m.user_id for m in adding], by=_actor_user(principal), now=now
        )
        await SeatAssignment.filter(id__in=[on_source[m.user_id] for m in moving]).update(
            unassigned_at=now, unassign_reason=UnassignReason.TRANSFERRED
        )
        result.changed = [s.id for s in seats]
        result.emails = await download_emails(
            account_id,
            had,
            [(m, s.id) for m, s in zip(adding, seats, strict=True)],
            target.product_id,
            now=now,
        )
        await _record(
            "seat.transferred",
            principal,
            trade_in.id,
            account_id,
            request_id,
            {
                "users": [str(m.user_id) for m in moving],
                "source_id": str(source.id),
                "target_id": str(target.id),
                "reason": UnassignReason.TRANSFERRED.value,
                "source_assigned_before": len(on_source),
                "source_assigned_after": len(on_source) - len(moving),
                "target_assigned_before": len(on_target),
                "target_assigned_after": len(on_target) + len(adding),
                "download_emails": len(result.emails),
            },
        )
    return TransferResult(trade_in_id=trade_in.id, seats=result)
