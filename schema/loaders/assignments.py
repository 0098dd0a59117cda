"""Seat assignments: by id, and the current seats of a member."""

from __future__ import annotations

from uuid import UUID

from domain.access import ReadScope
from models import SeatAssignment
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
        rows = await SeatAssignment.filter(id__in=keys).values(*ASSIGNMENT_FIELDS)
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
        rows = (
            await SeatAssignment.filter(
                unassigned_at=None,
                user_id__in=list({u for _, u in readable}),
                subscription__contract__account_id__in=list({a for a, _ in readable}),
            )
            .order_by("assigned_at", "id")
            .values(*ASSIGNMENT_FIELDS)
        )
        allowed = set(readable)
        if all(self.scope.reads_all_of(a) for a, _ in allowed):
            # An admin's own accounts: every seat of these members is readable.
            seats = (r for r in rows if _member_of(r) in allowed)
        else:
            seats = (r for r in rows if _member_of(r) in allowed and _readable(self.scope, r))
        return grouped(keys, seats, _member_of)
