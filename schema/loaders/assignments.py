"""Seat assignments: by id, and the current seats of a member."""

from __future__ import annotations

from collections import defaultdict
from uuid import UUID

from domain.access import ReadScope
from models import Contract, ProductSubscription, SeatAssignment
from schema.loaders import raw
from schema.loaders.raw import Params
from schema.loaders.registry import Row, RowLoader, by_key, grouped

ASSIGNMENT_FIELDS = (
    "id",
    "assigned_at",
    "unassigned_at",
    "unassign_reason",
    "subscription_id",
    "user_id",
    "subscription__contract__account_id",
    "subscription__product_id",
    "subscription__contract_id",
)

# The same columns as raw SQL (schema.loaders.raw), for the loaders of every users page.
ASSIGNMENT_COLUMNS = (
    raw.column("id", "sa.id", SeatAssignment, "id"),
    raw.column("assigned_at", "sa.assigned_at", SeatAssignment, "assigned_at"),
    raw.column("unassigned_at", "sa.unassigned_at", SeatAssignment, "unassigned_at"),
    raw.column("unassign_reason", "sa.unassign_reason", SeatAssignment, "unassign_reason"),
    raw.column("subscription_id", "sa.subscription_id", SeatAssignment, "subscription_id"),
    raw.column("user_id", "sa.user_id", SeatAssignment, "user_id"),
    raw.column("subscription__contract__account_id", "c.account_id", Contract, "account_id"),
    raw.column("subscription__product_id", "ps.product_id", ProductSubscription, "product_id"),
    raw.column("subscription__contract_id", "ps.contract_id", ProductSubscription, "contract_id"),
)
# The current seats of members (300 on a users page): there a seat's id only becomes its
# global ID, so it stays text.
CURRENT_SEAT_COLUMNS = (
    raw.text_id("id", "sa.id", SeatAssignment, "id"),
    *ASSIGNMENT_COLUMNS[1:],
)
_SEATS = (
    "FROM seat_assignment sa JOIN product_subscription ps ON ps.id = sa.subscription_id"
    " JOIN contract c ON c.id = ps.contract_id"
)

# (account id, user id): a person as a member of one account.
MemberKey = tuple[UUID, UUID]


def _member_of(row: Row) -> MemberKey:
    return (row["subscription__contract__account_id"], row["user_id"])


def _readable(scope: ReadScope, row: Row) -> bool:
    """The seat of a member the caller reads in full (admin, or their own), or a seat on
    a contract the caller reads (a partner's)."""
    account, user = _member_of(row)
    return scope.can_read_member(account, user) or scope.can_read_contract(
        account, row["subscription__contract_id"]
    )


class AssignmentByIdLoader(RowLoader[UUID, Row | None]):
    async def load_rows(self, keys: list[UUID]) -> list[Row | None]:
        rows = await raw.select(
            SeatAssignment,
            ASSIGNMENT_COLUMNS,
            lambda p: f"{_SEATS} WHERE {p.is_in('sa.id', keys)}",
        )
        readable = (r for r in rows if _readable(self.scope, r))
        return by_key(keys, readable, lambda r: r["id"])


class CurrentAssignmentsByMemberLoader(RowLoader[MemberKey, list[Row]]):
    """Active assignments of each member, oldest first."""

    async def load_rows(self, keys: list[MemberKey]) -> list[list[Row]]:
        readable = [
            (a, u)
            for a, u in keys
            if self.scope.can_read_member(a, u) or self.scope.contracts_in(a)
        ]
        if not readable:
            return [[] for _ in keys]
        users = list({u for _, u in readable})
        accounts = list({a for a, _ in readable})

        def current(p: Params) -> str:
            return (
                f"{_SEATS} WHERE sa.unassigned_at IS NULL AND {p.is_in('sa.user_id', users)}"
                f" AND {p.is_in('c.account_id', accounts)} ORDER BY sa.assigned_at, sa.id"
            )

        rows = await raw.select(SeatAssignment, CURRENT_SEAT_COLUMNS, current)
        if all(self.scope.reads_all_of(a) for a in accounts):
            # An admin's own accounts: every seat of these members is readable (a key of
            # such an account is readable, and the grouping leaves out the rows of pairs
            # nobody asked for).
            if len(accounts) == 1:
                # One account, as on a users page: grouped by user alone.
                (account,) = accounts
                by_user: dict[UUID, list[Row]] = defaultdict(list)
                for row in rows:
                    by_user[row["user_id"]].append(row)
                return [by_user.get(u, []) if a == account else [] for a, u in keys]
            return grouped(keys, rows, _member_of)
        allowed = set(readable)
        seats = (r for r in rows if _member_of(r) in allowed and _readable(self.scope, r))
        return grouped(keys, seats, _member_of)
