"""`EmailDelivery`: one email an account's change caused, as its admins follow it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry

from domain import outbox
from models.enums import OutboxStatus
from schema.enums import EmailDeliveryStatus, to_graphql
from schema.ids import to_global_id
from schema.loaders.deliveries import EmailDeliveryByIdLoader
from schema.loaders.registry import makes_nodes
from schema.node import Node


@strawberry.type(
    name="EmailDelivery",
    description="An email the account's changes caused (to a member, an admin or the "
    "partner of a request), and how its delivery went.",
)
class EmailDelivery(Node):
    template: str = strawberry.field(
        description="Which email it is: its template name, e.g. `ready_to_download`, "
        "`trade_in_started`, `user_invited`."
    )
    recipient: str = strawberry.field(description="The address it is sent to.")
    status: EmailDeliveryStatus = strawberry.field(description="Pending, sent or failed.")
    attempts: int = strawberry.field(
        description="Failed attempts so far (0 once sent at the first try); a retry by the "
        "operators (`outbox retry`) starts the count again."
    )
    last_error: str | None = strawberry.field(
        description="What the mail server (or the worker) answered at the last failed "
        "attempt; null once sent."
    )
    sent_at: dt.datetime | None = strawberry.field(
        description="When the mail server accepted it; null unless SENT."
    )
    created_at: dt.datetime = strawberry.field(
        description="When the change that causes it was made; the list is newest first by it."
    )

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> EmailDelivery:
        status = outbox.delivery_status(OutboxStatus(row["status"]))
        return cls(
            id=strawberry.ID(to_global_id("EmailDelivery", row["id"])),
            template=row["name"],
            recipient=row["recipient"],
            status=to_graphql(EmailDeliveryStatus, status),
            attempts=row["attempts"],
            last_error=row["last_error"],
            sent_at=row["done_at"] if status is outbox.DeliveryStatus.SENT else None,
            created_at=row["created_at"],
        )


makes_nodes(EmailDelivery.from_row, EmailDeliveryByIdLoader)
