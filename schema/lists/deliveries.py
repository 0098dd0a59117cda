"""`Account.emailDeliveries`: the account's emails, newest first, for its admins only."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain import outbox
from models import OutboxMessage
from schema.context import Info
from schema.inputs import EmailDeliveryFilter
from schema.lists import scoped
from schema.loaders.deliveries import DELIVERY_FIELDS, EmailDeliveryByIdLoader
from schema.loaders.registry import node_maker
from schema.pagination import Connection


async def of_account(
    info: Info,
    account_id: UUID,
    filter: EmailDeliveryFilter | None,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[Any]:
    status = filter.status if filter else None
    return await scoped.page(
        (first, after, last, before),
        # Admins only: a partner reads the account (its name) but not its mail, which
        # names members and contracts it does not sell.
        readable=info.context.scope.reads_all_of(account_id),
        query=OutboxMessage.filter(
            outbox.account_emails(
                account_id,
                status=outbox.DeliveryStatus(status.name) if status else None,
            )
        ),
        sort=("-created_at", "-id"),
        fields=DELIVERY_FIELDS,
        to_node=node_maker(EmailDeliveryByIdLoader),
    )
