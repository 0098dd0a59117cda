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
  seen in the file is refused (DUPLICATE_ROW), naming the first row.
- No half-imported row: a row's membership, seats, invitation and download emails and
  audit events are written together or not at all. Rows are applied in chunks of
  CHUNK_ROWS, each chunk one transaction decided set-based (`domain.user_import_apply`):
  its facts read in a fixed number of queries, every row decided in file order as if
  applied one after the other, then written with one bulk insert per table. A refused
  row is decided before anything is written, so it changes nothing. A person already a
  member keeps their membership and gets the seats they lack.
- A product code takes a seat on one of the account's ACTIVE subscriptions of that
  product (the one the person already holds, else the first with a free seat, by term
  end then id). No such subscription (NO_ACTIVE_SUBSCRIPTION), or no free seat on any
  (SEAT_LIMIT_REACHED), refuses the row.
- A dry run applies every chunk exactly the same way inside one transaction that is rolled
  back at the end: the report is what the import would do, and nothing is written.
- The command line is trusted (it has the database); through the API (`usersImport`) only
  the account's admins import, and the acting admin's role is checked again under each
  chunk's lock.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from uuid import UUID

from tortoise.transactions import in_transaction

from domain import members
from domain.errors import DomainError, ErrorCode
from domain.user_import_apply import Actor, ImportRow, RowResult, apply_rows
from models import Account

__all__ = [
    "Actor",
    "ImportReport",
    "ImportRow",
    "RawRow",
    "RowRefusal",
    "RowResult",
    "check_rows",
    "run_import",
]

CLI_ACTOR = Actor(key="cli:users-import", user_id=None)
CHUNK_ROWS = 500
DEFAULT_LOCALE = "en"
MAX_CODES = 20
MAX_CODE_LENGTH = 40

_HEADERS = {
    "first_name": ("firstname", "givenname"),
    "last_name": ("lastname", "surname", "familyname"),
    "email": ("email", "emailaddress"),
    "locale": ("locale", "language"),
    "products": ("products", "productcodes", "productcode"),
}
_REQUIRED = ("first_name", "last_name", "email")
_CODES = re.compile(r"[;\s]+")
_CODE = re.compile(rf"[A-Z0-9._-]{{1,{MAX_CODE_LENGTH}}}")


class ImportFileError(ValueError):
    """The file cannot be imported at all (not UTF-8, no usable header)."""


# Parsing and checking: pure ------------------------------------------------------------


@dataclass(frozen=True)
class RowRefusal:
    row: int
    email: str
    reason: str
    code: ErrorCode = ErrorCode.INVALID_INPUT
    column: str | None = None  # the column at fault: a key of _HEADERS


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
    raw: list[RawRow] = []
    for number, cells in enumerate(lines[1:], start=2):
        if not any(c.strip() for c in cells):
            continue

        def cell(key: str, cells: list[str] = cells) -> str:
            index = columns.get(key)
            return cells[index] if index is not None and index < len(cells) else ""

        raw.append(
            RawRow(
                number,
                first_name=cell("first_name"),
                last_name=cell("last_name"),
                email=cell("email"),
                locale=cell("locale"),
                products=tuple(_CODES.split(cell("products").strip())),
            )
        )
    return check_rows(raw, label=lambda number: f"row {number}")


@dataclass(frozen=True)
class RawRow:
    """A person row as given: a file's line, or an item of `usersImport`'s rows."""

    row: int
    first_name: str
    last_name: str
    email: str
    locale: str
    products: tuple[str, ...]


def check_rows(
    rows: Sequence[RawRow], *, label: Callable[[int], str]
) -> list[ImportRow | RowRefusal]:
    """Each row checked; a second row with an email already seen is refused, naming the
    first (`label` writes a row's number as the reader knows it)."""
    checked: list[ImportRow | RowRefusal] = []
    first_row_of: dict[str, int] = {}
    for raw in rows:
        result = check_row(raw)
        if isinstance(result, ImportRow):
            first = first_row_of.setdefault(result.email, raw.row)
            if first != raw.row:
                result = RowRefusal(
                    raw.row,
                    result.email,
                    f"the same email as {label(first)}",
                    ErrorCode.DUPLICATE_ROW,
                    "email",
                )
        checked.append(result)
    return checked


def _name_part(part: str) -> str:
    try:
        return members.normalized_name(part)
    except DomainError as error:
        message = f"{error.message[0].lower()}{error.message[1:]}"
        raise DomainError(error.code, f"First and last name: {message}") from None


def check_row(raw: RawRow) -> ImportRow | RowRefusal:
    """One row checked with `domain.members`' rules (the reason is their message)."""
    shown = raw.email.strip().lower()
    column = "email"
    try:
        normalized = members.normalized_email(raw.email)
        column = "first_name"
        first = _name_part(raw.first_name)
        column = "last_name"
        name = members.normalized_name(f"{first} {_name_part(raw.last_name)}")
        column = "locale"
        checked_locale = members.checked_locale(raw.locale.strip() or DEFAULT_LOCALE)
        column = "products"
        codes = _product_codes(raw.products)
    except DomainError as error:
        return RowRefusal(raw.row, shown, error.message, error.code, column)
    return ImportRow(raw.row, normalized, name, checked_locale, codes)


def _product_codes(given: Sequence[str]) -> tuple[str, ...]:
    codes = tuple(dict.fromkeys(c.strip().upper() for c in given if c.strip()))
    if len(codes) > MAX_CODES or not all(_CODE.fullmatch(c) for c in codes):
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            f"At most {MAX_CODES} product codes, each of 1 to {MAX_CODE_LENGTH} letters, "
            "digits, dots, hyphens or underscores.",
        )
    return codes


# Applying ------------------------------------------------------------------------------


@dataclass
class ImportReport:
    rows: list[RowResult]
    dry_run: bool

    def _applied(self) -> list[RowResult]:
        return [r for r in self.rows if r.refusal is None]

    @property
    def created(self) -> int:
        return sum(1 for r in self._applied() if r.created)

    @property
    def already_members(self) -> int:
        return sum(1 for r in self._applied() if r.already_member)

    @property
    def seats_assigned(self) -> int:
        return sum(len(r.assigned) for r in self._applied())

    @property
    def refused(self) -> int:
        return len(self.rows) - len(self._applied())

    def summary(self) -> str:
        seats = self.seats_assigned
        tail = " (dry run: nothing written)" if self.dry_run else ""
        return (
            f"{self.created} created, {self.already_members} already a member, "
            f"{seats} {'seat' if seats == 1 else 'seats'} assigned, "
            f"{self.refused} refused{tail}"
        )


class _DryRun(Exception):
    """Raised at the end of a dry run: rolls back everything it did."""


def _refused(row: RowRefusal) -> RowResult:
    return RowResult(row.row, row.email, refusal=row.reason, code=row.code, column=row.column)


async def run_import(
    account_id: UUID,
    rows: Sequence[ImportRow | RowRefusal],
    *,
    dry_run: bool,
    now: dt.datetime,
    request_id: str,
    actor: Actor = CLI_ACTOR,
    on_row: Callable[[RowResult], Awaitable[None] | None] | None = None,
) -> ImportReport:
    """Apply the rows in order, CHUNK_ROWS at a time, each chunk in its own transaction;
    `on_row` hears of each result once its chunk is decided. NOT_FOUND for an unknown
    account (before any row)."""
    if not await Account.exists(id=account_id):
        raise DomainError(ErrorCode.NOT_FOUND, "No such account.", members.ACCOUNT_FIELD)
    report = ImportReport(rows=[], dry_run=dry_run)

    async def each() -> None:
        for start in range(0, len(rows), CHUNK_ROWS):
            chunk = rows[start : start + CHUNK_ROWS]
            good = [r for r in chunk if isinstance(r, ImportRow)]
            applied = iter(
                await apply_rows(account_id, good, actor=actor, now=now, request_id=request_id)
                if good
                else []
            )
            for row in chunk:
                result = next(applied) if isinstance(row, ImportRow) else _refused(row)
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
