"""Bulk import of people into an account (`python -m app users import`).

A CSV file (UTF-8, with or without a BOM) has a header row naming its columns; the
spellings accepted, in any case, with spaces, underscores or hyphens alike:
- first name: `first name`, `firstname`, `given name`
- last name: `last name`, `lastname`, `surname`, `family name`
- email: `email`, `email address`, `e-mail`
- locale (optional, default en): `locale`, `language`
- products (optional): `products`, `product codes`, `product code`: codes separated by
  spaces or semicolons.

Row numbers are the file's line numbers: the header is row 1, the first person row 2.

Decisions written down:
- Each row is checked with `domain.members`' rules (email, each part of the name, locale),
  not a copy of them; the name stored is "first last". A second row with an email already
  seen in the file is refused, naming the first row.
- Each row is applied in its own transaction: the membership, its seats, the invitation
  and download emails and the audit events together, or nothing (no half-imported row).
  A person already a member keeps their membership and gets the seats they lack.
- A product code takes a seat on one of the account's ACTIVE subscriptions of that
  product (the one the person already holds, else the first with a free seat, by term
  end then id). No such subscription, or no free seat on any, refuses the row.
- A dry run applies every row exactly the same way inside one transaction that is rolled
  back at the end: the report is what the import would do, and nothing is written.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from uuid import UUID

from tortoise.transactions import in_transaction

from domain import audit, members
from domain.errors import DomainError, ErrorCode
from domain.seat_changes import (
    Member,
    download_emails,
    insert_seats,
    locked_subscriptions,
    products_had,
    seats_missing,
)
from domain.seats import seats_available
from models import Account, Membership, ProductSubscription, SeatAssignment
from models.enums import Role, SubscriptionStatus

ACTOR = "cli:users-import"
DEFAULT_LOCALE = "en"

_HEADERS = {
    "first_name": ("firstname", "givenname"),
    "last_name": ("lastname", "surname", "familyname"),
    "email": ("email", "emailaddress"),
    "locale": ("locale", "language"),
    "products": ("products", "productcodes", "productcode"),
}
_REQUIRED = ("first_name", "last_name", "email")
_CODES = re.compile(r"[;\s]+")


class ImportFileError(ValueError):
    """The file cannot be imported at all (not UTF-8, no usable header)."""


# Parsing and checking: pure ------------------------------------------------------------


@dataclass(frozen=True)
class ImportRow:
    row: int
    email: str
    name: str
    locale: str
    products: tuple[str, ...]


@dataclass(frozen=True)
class RowRefusal:
    row: int
    email: str
    reason: str


def _header_key(cell: str) -> str | None:
    flat = re.sub(r"[\s_\-]+", "", cell.strip().lower())
    return next((key for key, names in _HEADERS.items() if flat in names), None)


def parse_csv(data: bytes) -> list[ImportRow | RowRefusal]:
    """Every person row of the file, checked: an `ImportRow` or the row's refusal."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFileError(f"the file is not UTF-8 (line {line})") from None
    lines = list(csv.reader(io.StringIO(text, newline="")))
    if not lines:
        raise ImportFileError("the file is empty: a header row is needed")
    columns: dict[str, int] = {}
    for index, heading in enumerate(lines[0]):
        key = _header_key(heading)
        if key is not None and key not in columns:
            columns[key] = index
    missing = [k.replace("_", " ") for k in _REQUIRED if k not in columns]
    if missing:
        raise ImportFileError(f"the header row has no column {', '.join(missing)}")
    checked: list[ImportRow | RowRefusal] = []
    first_row_of: dict[str, int] = {}
    for number, cells in enumerate(lines[1:], start=2):
        if not any(c.strip() for c in cells):
            continue

        def cell(key: str, cells: list[str] = cells) -> str:
            index = columns.get(key)
            return cells[index] if index is not None and index < len(cells) else ""

        result = check_row(
            number,
            first_name=cell("first_name"),
            last_name=cell("last_name"),
            email=cell("email"),
            locale=cell("locale"),
            products=cell("products"),
        )
        if isinstance(result, ImportRow):
            first = first_row_of.setdefault(result.email, number)
            if first != number:
                result = RowRefusal(number, result.email, f"the same email as row {first}")
        checked.append(result)
    return checked


def check_row(
    row: int, *, first_name: str, last_name: str, email: str, locale: str, products: str
) -> ImportRow | RowRefusal:
    """One row checked with `domain.members`' rules (the reason is their message)."""
    shown = email.strip().lower()
    try:
        normalized = members.normalized_email(email)
        try:
            first = members.normalized_name(first_name)
            last = members.normalized_name(last_name)
        except DomainError as error:
            raise DomainError(
                error.code, f"First and last name: {error.message[0].lower()}{error.message[1:]}"
            ) from None
        name = members.normalized_name(f"{first} {last}")
        checked_locale = members.checked_locale(locale.strip() or DEFAULT_LOCALE)
    except DomainError as error:
        return RowRefusal(row, shown, error.message)
    codes = tuple(dict.fromkeys(c.upper() for c in _CODES.split(products.strip()) if c))
    return ImportRow(row, normalized, name, checked_locale, codes)


# Applying ------------------------------------------------------------------------------


@dataclass
class RowResult:
    row: int
    email: str
    created: bool = False  # a new member of the account (the person may be known already)
    already_member: bool = False
    assigned: list[str] = field(default_factory=list)  # product codes given a new seat
    refusal: str | None = None

    def line(self) -> str:
        if self.refusal is not None:
            return f"row {self.row}: refused {self.email or '(no email)'}: {self.refusal}"
        what = "created" if self.created else "already a member"
        assigned = f", assigned {' '.join(self.assigned)}" if self.assigned else ""
        return f"row {self.row}: {what} {self.email}{assigned}"


@dataclass
class ImportReport:
    rows: list[RowResult]
    dry_run: bool

    def summary(self) -> str:
        created = sum(1 for r in self.rows if r.refusal is None and r.created)
        already = sum(1 for r in self.rows if r.refusal is None and r.already_member)
        seats = sum(len(r.assigned) for r in self.rows if r.refusal is None)
        refused = sum(1 for r in self.rows if r.refusal is not None)
        tail = " (dry run: nothing written)" if self.dry_run else ""
        return (
            f"{created} created, {already} already a member, "
            f"{seats} {'seat' if seats == 1 else 'seats'} assigned, "
            f"{refused} refused{tail}"
        )

    @property
    def refused(self) -> int:
        return sum(1 for r in self.rows if r.refusal is not None)


class _Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _DryRun(Exception):
    """Raised at the end of a dry run: rolls back everything it did."""


async def _lock(account_id: UUID) -> members.LockedAccount:
    account = await Account.filter(id=account_id).select_for_update().first()
    if account is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No such account.", members.ACCOUNT_FIELD)
    memberships = await Membership.filter(account_id=account_id).order_by("id").select_for_update()
    active = await SeatAssignment.filter(
        unassigned_at=None, subscription__contract__account_id=account_id
    ).count()
    return members.LockedAccount(
        account=account, memberships=list(memberships), active_seats=active
    )


async def _assign(
    locked: members.LockedAccount, member: Member, code: str, *, now: dt.datetime
) -> bool:
    """A seat of `code` for the member; False when they already hold one."""
    account_id = locked.account.id
    ids = await (
        ProductSubscription.filter(
            contract__account_id=account_id,
            product__code=code,
            status=SubscriptionStatus.ACTIVE,
        )
        .order_by("term_ends_on", "id")
        .values_list("id", flat=True)
    )
    if not ids:
        raise _Refused(f"the account has no active subscription of {code}")
    subscriptions = await locked_subscriptions([UUID(str(i)) for i in ids])
    ordered = [subscriptions[UUID(str(i))] for i in ids]
    seated = await SeatAssignment.filter(
        subscription_id__in=[s.id for s in ordered], unassigned_at=None
    ).values_list("subscription_id", "user_id")
    if any(UUID(str(user)) == member.user_id for _, user in seated):
        return False
    used = {s.id: 0 for s in ordered}
    for subscription_id, _ in seated:
        used[UUID(str(subscription_id))] += 1
    target = next((s for s in ordered if not seats_missing(s.seats, used[s.id], 1)), None)
    if target is None:
        raise _Refused(f"no free seat on the account's {code} subscriptions")
    had = await products_had(account_id, [member])
    seat = (await insert_seats(target.id, [member.user_id], by=None, now=now))[0]
    emails = await download_emails(account_id, had, [(member, seat.id)], target.product_id, now=now)
    await audit.record(
        account_id=account_id,
        actor=ACTOR,
        action="seat.assigned",
        subject_type="ProductSubscription",
        subject_id=target.id,
        data={
            "users": [str(member.user_id)],
            "already_assigned": 0,
            "seats": target.seats,
            "assigned_before": used[target.id],
            "assigned_after": used[target.id] + 1,
            "free_after": seats_available(target.seats, used[target.id] + 1),
            "download_emails": len(emails),
        },
    )
    locked.active_seats += 1
    return True


async def _apply_row(
    account_id: UUID, row: ImportRow, *, now: dt.datetime, request_id: str
) -> RowResult:
    result = RowResult(row.row, row.email)
    locked = await _lock(account_id)
    try:
        invitation = await members.invite(
            locked,
            email=row.email,
            name=row.name,
            locale=row.locale,
            role=Role.USER,
            actor=ACTOR,
            actor_user_id=None,
            request_id=request_id,
            now=now,
        )
    except DomainError as error:
        if error.code is not ErrorCode.ALREADY_A_MEMBER:
            raise _Refused(error.message) from None
        result.already_member = True
    else:
        result.created = invitation is not None
    membership = await Membership.get(
        account_id=account_id, user__email=row.email
    ).prefetch_related("user")
    member = Member(
        membership_id=membership.id,
        user_id=membership.user_id,
        name=membership.user.name,
        email=membership.user.email,
        locale=membership.user.locale,
    )
    for code in row.products:
        if await _assign(locked, member, code, now=now):
            result.assigned.append(code)
    return result


async def _one_row(
    account_id: UUID, row: ImportRow | RowRefusal, *, now: dt.datetime, request_id: str
) -> RowResult:
    """The row applied in its own transaction (a savepoint inside a dry run's)."""
    if isinstance(row, RowRefusal):
        return RowResult(row.row, row.email, refusal=row.reason)
    try:
        async with in_transaction():
            return await _apply_row(account_id, row, now=now, request_id=request_id)
    except _Refused as refused:
        return RowResult(row.row, row.email, refusal=refused.reason)


async def run_import(
    account_id: UUID,
    rows: Sequence[ImportRow | RowRefusal],
    *,
    dry_run: bool,
    now: dt.datetime,
    request_id: str,
    on_row: Callable[[RowResult], Awaitable[None] | None] | None = None,
) -> ImportReport:
    """Apply the rows in order, each in its own transaction; `on_row` hears of each
    result as it is decided. NOT_FOUND for an unknown account (before any row)."""
    if not await Account.exists(id=account_id):
        raise DomainError(ErrorCode.NOT_FOUND, "No such account.", members.ACCOUNT_FIELD)
    report = ImportReport(rows=[], dry_run=dry_run)

    async def each() -> None:
        for row in rows:
            result = await _one_row(account_id, row, now=now, request_id=request_id)
            report.rows.append(result)
            if on_row is not None:
                pending = on_row(result)
                if pending is not None:
                    await pending

    if not dry_run:
        await each()
        return report
    try:
        async with in_transaction():
            await each()
            raise _DryRun
    except _DryRun:
        pass
    return report
