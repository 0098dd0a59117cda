"""`usersImport`: `python -m app users import` for scripts and integrations, with a result
per row. The rules are `domain.user_import`'s: each row checked alone, applied whole or
not at all, refused rows reported with a code and the field at fault, a dry run that
writes nothing. Whole-call refusals (unknown account, not an admin, too many rows) are the
payload's `userErrors`, with nothing done.

Decisions written down:
- At most MAX_ROWS rows per call (larger files: several calls, or the command line).
- No idempotency key: applying the same rows again does nothing twice (members stay,
  seats already held are skipped, no second email) and reports what it found.
- Only the account's admins import (partners read an account, they do not change it).
"""

from __future__ import annotations

import enum
from typing import Annotated
from uuid import UUID

import strawberry

from domain import members
from domain.access import can_administer
from domain.errors import DomainError, ErrorCode
from domain.principals import MemberPrincipal
from domain.user_import import Actor, RawRow, RowResult, check_rows, run_import
from resolvers.mutations.member_commands import account_key
from schema.context import Info
from schema.loaders.users import UserByIdLoader
from schema.mutations.user_errors import UserError, code, user_errors
from schema.resolution import one
from schema.types.user import User

MAX_ROWS = 1000
ROWS_FIELD = ("input", "rows")
# The input field of each column of the command line's file.
_FIELDS = {
    "first_name": "firstName",
    "last_name": "lastName",
    "email": "email",
    "locale": "locale",
    "products": "productCodes",
}


@strawberry.enum(name="UsersImportErrorCode", description="Why `usersImport` did nothing.")
class UsersImportErrorCode(enum.Enum):
    NOT_FOUND = code(ErrorCode.NOT_FOUND)
    INVALID_INPUT = code(ErrorCode.INVALID_INPUT)
    NOT_ACCOUNT_ADMIN = code(ErrorCode.NOT_ACCOUNT_ADMIN)


@strawberry.type(name="UsersImportUserError", description="A refusal of the whole call.")
class UsersImportUserError(UserError):
    code: UsersImportErrorCode = strawberry.field(description="Stable code.")


@strawberry.enum(name="UsersImportRowErrorCode", description="Why a row was not imported.")
class UsersImportRowErrorCode(enum.Enum):
    INVALID_INPUT = code(ErrorCode.INVALID_INPUT)
    DUPLICATE_ROW = code(ErrorCode.DUPLICATE_ROW)
    NO_ACTIVE_SUBSCRIPTION = code(ErrorCode.NO_ACTIVE_SUBSCRIPTION)
    SEAT_LIMIT_REACHED = code(ErrorCode.SEAT_LIMIT_REACHED)


@strawberry.type(
    name="UsersImportRowError", description="Why one row was not imported (the others were)."
)
class UsersImportRowError(UserError):
    code: UsersImportRowErrorCode = strawberry.field(description="Stable code.")


@strawberry.enum(name="UsersImportOutcome", description="What became of a row.")
class UsersImportOutcome(enum.Enum):
    CREATED = strawberry.enum_value("CREATED", description="A new member of the account.")
    ALREADY_A_MEMBER = strawberry.enum_value(
        "ALREADY_A_MEMBER", description="A member already: only the seats they lacked."
    )
    REFUSED = strawberry.enum_value("REFUSED", description="Nothing done: see `error`.")


@strawberry.input(name="UsersImportRowInput", description="One person to import.")
class UsersImportRowInput:
    first_name: str = strawberry.field(description="Given name (1 to 200 characters).")
    last_name: str = strawberry.field(description="Family name (1 to 200 characters).")
    email: str = strawberry.field(description="Their email (stored lower-case).")
    locale: str | None = strawberry.field(
        default=None, description="Language of their emails (en, fr; en when not given)."
    )
    product_codes: list[str] = strawberry.field(
        default_factory=list,
        description="Products to give them a seat of (catalog codes, at most 20): each takes "
        "a seat on one of the account's active subscriptions of that product (the one "
        "they hold, else the first with a free seat).",
    )


@strawberry.input(name="UsersImportInput", description="People to import into an account.")
class UsersImportInput:
    account_id: strawberry.ID = strawberry.field(description="The account to import into.")
    rows: list[UsersImportRowInput] = strawberry.field(
        description=f"The people, 1 to {MAX_ROWS}, applied in this order."
    )
    dry_run: bool = strawberry.field(
        default=False,
        description="Decide every row exactly as the import would, and write nothing.",
    )


@strawberry.type(name="UsersImportRowResult", description="What became of one row.")
class UsersImportRowResult:
    index: int = strawberry.field(description="The row's position in `input.rows`, from 0.")
    email: str = strawberry.field(description="The row's email, as it would be stored.")
    outcome: UsersImportOutcome = strawberry.field(description="Imported, or not.")
    assigned_product_codes: list[str] = strawberry.field(
        description="The products the person got a new seat of."
    )
    error: UsersImportRowError | None = strawberry.field(
        description="Why the row was refused; null otherwise."
    )
    membership_id: strawberry.Private[UUID | None]

    @strawberry.field(description="The member; null for a refused row and in a dry run.")
    def user(self, info: Info) -> User | None:
        if self.membership_id is None:
            return None
        user: User | None = one(info.context.loaders.get(UserByIdLoader), self.membership_id)
        return user


@strawberry.type(name="UsersImportPayload", description="The result of `usersImport`.")
class UsersImportPayload:
    dry_run: bool = strawberry.field(description="True when nothing was written.")
    rows: list[UsersImportRowResult] = strawberry.field(description="One per input row.")
    created: int = strawberry.field(description="Rows that made a new member.")
    already_members: int = strawberry.field(description="Rows of people already members.")
    seats_assigned: int = strawberry.field(description="New seats, over every row.")
    refused: int = strawberry.field(description="Rows not imported.")
    user_errors: list[UsersImportUserError] = strawberry.field(
        description="Why nothing was done at all; empty otherwise (refused rows are in `rows`)."
    )


def _row_result(result: RowResult, *, dry_run: bool) -> UsersImportRowResult:
    error = None
    if result.refusal is not None:
        assert result.code is not None
        column = _FIELDS.get(result.column or "")
        error = UsersImportRowError(
            code=UsersImportRowErrorCode[result.code.value],
            message=result.refusal,
            field=[*ROWS_FIELD, str(result.row), *([column] if column else [])],
        )
    outcome = (
        UsersImportOutcome.REFUSED
        if error
        else UsersImportOutcome.CREATED
        if result.created
        else UsersImportOutcome.ALREADY_A_MEMBER
    )
    return UsersImportRowResult(
        index=result.row,
        email=result.email,
        outcome=outcome,
        assigned_product_codes=list(result.assigned),
        error=error,
        membership_id=None if dry_run else result.membership_id,
    )


def _refusal(error: DomainError, *, dry_run: bool) -> UsersImportPayload:
    return UsersImportPayload(
        dry_run=dry_run,
        rows=[],
        created=0,
        already_members=0,
        seats_assigned=0,
        refused=0,
        user_errors=user_errors([error], UsersImportUserError, UsersImportErrorCode),
    )


async def users_import(info: Info, input: UsersImportInput) -> UsersImportPayload:
    context = info.context
    principal = context.principal
    try:
        account_id = account_key(input.account_id)
        members.authority_refusal(
            context.scope,
            actor_is_admin=can_administer(principal, account_id),
            account_id=account_id,
        )
        if not 1 <= len(input.rows) <= MAX_ROWS:
            raise DomainError(ErrorCode.INVALID_INPUT, f"Give 1 to {MAX_ROWS} rows.", ROWS_FIELD)
        rows = check_rows(
            [
                RawRow(
                    index,
                    first_name=row.first_name,
                    last_name=row.last_name,
                    email=row.email,
                    locale=row.locale or "",
                    products=tuple(row.product_codes),
                )
                for index, row in enumerate(input.rows)
            ],
            label=lambda index: f"row {index}",
        )
        report = await run_import(
            account_id,
            rows,
            dry_run=input.dry_run,
            now=context.now,
            request_id=context.request_id,
            actor=Actor(
                key=principal.key,
                user_id=principal.user_id if isinstance(principal, MemberPrincipal) else None,
            ),
        )
    except DomainError as error:
        return _refusal(error, dry_run=input.dry_run)
    if not input.dry_run:
        await context.hand_over([email for row in report.rows for email in row.emails])
    return UsersImportPayload(
        dry_run=input.dry_run,
        rows=[_row_result(r, dry_run=input.dry_run) for r in report.rows],
        created=report.created,
        already_members=report.already_members,
        seats_assigned=report.seats_assigned,
        refused=report.refused,
        user_errors=[],
    )


@strawberry.type
class UsersImportMutation:
    @strawberry.mutation(
        description="For an admin of the account: import people (as `python -m app users "
        "import` does with a file), each row applied whole or not at all, with a result "
        f"per row. At most {MAX_ROWS} rows per call."
    )
    async def users_import(
        self,
        info: Info,
        input: Annotated[UsersImportInput, strawberry.argument(description="Whom to import.")],
    ) -> UsersImportPayload:
        return await users_import(info, input)
