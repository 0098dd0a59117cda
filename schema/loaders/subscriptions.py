"""Product subscriptions and their seat counts."""

from __future__ import annotations

from collections import defaultdict
from uuid import UUID

from models import Contract, ProductSubscription, SeatAssignment
from schema.loaders import raw
from schema.loaders.registry import Row, RowLoader, by_key

SUBSCRIPTION_FIELDS = (
    "id",
    "status",
    "seats",
    "license_model",
    "release_year",
    "serial_number",
    "term_starts_on",
    "term_ends_on",
    "contract_id",
    "product_id",
    "plan_id",
    "contract__account_id",
)

# The same columns as raw SQL (schema.loaders.raw): every seat of a users page names one.
SUBSCRIPTION_COLUMNS = (
    *(
        raw.column(name, f"ps.{name}", ProductSubscription, name)
        for name in SUBSCRIPTION_FIELDS
        if name != "contract__account_id"
    ),
    raw.column("contract__account_id", "c.account_id", Contract, "account_id"),
)


class SubscriptionByIdLoader(RowLoader[UUID, Row | None]):
    async def load_rows(self, keys: list[UUID]) -> list[Row | None]:
        rows = await raw.select(
            ProductSubscription,
            SUBSCRIPTION_COLUMNS,
            lambda p: (
                "FROM product_subscription ps JOIN contract c ON c.id = ps.contract_id"
                f" WHERE {p.is_in('ps.id', keys)}"
            ),
        )
        readable = (
            r
            for r in rows
            if self.scope.can_read_contract(r["contract__account_id"], r["contract_id"])
        )
        return by_key(keys, readable, lambda r: r["id"])


class SeatsAssignedBySubscriptionLoader(RowLoader[UUID, int]):
    """Active assignments per subscription (callers hold a readable subscription)."""

    async def load_rows(self, keys: list[UUID]) -> list[int]:
        rows = await SeatAssignment.filter(subscription_id__in=keys, unassigned_at=None).values(
            "subscription_id"
        )
        counts: dict[UUID, int] = defaultdict(int)
        for row in rows:
            counts[row["subscription_id"]] += 1
        return [counts.get(key, 0) for key in keys]
