"""`AuditEvent`: one change of an account as its audit trail recorded it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry

from domain import audit
from schema.context import Info
from schema.ids import to_global_id
from schema.loaders.audit import ActorNameByActorLoader, AuditEventByIdLoader
from schema.loaders.registry import makes_nodes
from schema.node import Node
from schema.resolution import now_or_later


@strawberry.type(
    name="AuditEvent",
    description="One change of an account, recorded in the transaction that made it: who "
    "(an admin, a partner, a job), what, on which object, and the details.",
)
class AuditEvent(Node):
    action: str = strawberry.field(
        description="What was done: `seat.assigned`, `seat.unassigned`, `seat.transferred`, "
        "`member.invited`, `member.role_changed`, `member.removed`, "
        "`subscription.upgrade.*`, `contract.plan_change.*`, `trade_in.grace_expired`, ..."
    )
    actor: str = strawberry.field(
        description="Who did it, as recorded: `user:<id>`, `partner:<id>`, or a job "
        "(`system:grace-expiry`, `cli:users-import`)."
    )
    subject_type: str = strawberry.field(
        description="The GraphQL type of the object it is about (`ProductSubscription`, "
        "`TradeIn`, `PlanChange`, `User`)."
    )
    subject_id: strawberry.ID = strawberry.field(
        description="The global ID of that object (pass it to `node(id:)`)."
    )
    request_id: str | None = strawberry.field(
        description="The request id of the API call that made it (its X-Request-Id); null for jobs."
    )
    details: str = strawberry.field(
        description="Everything else recorded, as the text of a JSON object (counts before "
        "and after, users, reasons): its keys depend on the action."
    )
    created_at: dt.datetime = strawberry.field(description="When it happened.")

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> AuditEvent:
        recorded = audit.Recorded.of(row["data"])
        return cls(
            id=strawberry.ID(to_global_id("AuditEvent", row["id"])),
            action=row["action"],
            actor=row["actor"],
            subject_type=row["subject_type"],
            # The trail keeps the subject's key as the text of its UUID.
            subject_id=strawberry.ID(to_global_id(row["subject_type"], row["subject_id"])),
            request_id=recorded.request_id,
            details=recorded.details,
            created_at=row["created_at"],
        )

    @strawberry.field(description="The name of the person or partner who did it; null for a job.")
    def actor_name(self, info: Info) -> str | None:
        name: str | None = now_or_later(
            info.context.loaders.get(ActorNameByActorLoader), self.actor
        )
        return name


makes_nodes(AuditEvent.from_row, AuditEventByIdLoader)
