"""Filter inputs of the account lists.

Their free-text fields are checked when the input is built from the request (in
`__post_init__`, before any resolver runs), so every list that takes the input refuses
over-long or control-character text the same way (schema/text_input.py).
"""

from __future__ import annotations

import strawberry

from domain.audit import MAX_FILTER_ACTIONS
from schema.enums import Channel, EmailDeliveryStatus, SubscriptionStatus, TradeInStatus
from schema.errors import TopLevelError
from schema.text_input import checked_optional_text, checked_text


@strawberry.input(name="ContractFilter", description="Narrows `Account.contracts`.")
class ContractFilter:
    channel: Channel | None = strawberry.field(
        default=None, description="Only contracts bought through this channel."
    )


@strawberry.input(name="SubscriptionFilter", description="Narrows `Account.subscriptions`.")
class SubscriptionFilter:
    contract_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only subscriptions of this contract."
    )
    product_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only subscriptions of this product, collection or suite."
    )
    status: SubscriptionStatus | None = strawberry.field(
        default=None, description="Only subscriptions in this status."
    )
    plan_code: str | None = strawberry.field(
        default=None, description="Only subscriptions under this plan (e.g. PREMIUM)."
    )

    def __post_init__(self) -> None:
        checked_optional_text(self.plan_code, "filter.planCode")


@strawberry.input(name="UserFilter", description="Narrows `Account.users`.")
class UserFilter:
    contract_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Only users with an active seat on a subscription of this contract.",
    )
    subscription_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only users with an active seat on this subscription."
    )
    product_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Only users who can use this product now (directly or via a collection).",
    )
    assigned: bool | None = strawberry.field(
        default=None,
        description="True: users with at least one active seat; false: users with none.",
    )
    needs_transition: bool | None = strawberry.field(
        default=None,
        description="True: users on a subscription in a trade-in grace period who are not yet "
        "on its replacement (step 1 of the trade-in is still to do for them).",
    )
    search: str | None = strawberry.field(
        default=None, description="Name or email contains this text (case-insensitive)."
    )

    def __post_init__(self) -> None:
        checked_optional_text(self.search, "filter.search")


@strawberry.input(name="TradeInFilter", description="Narrows `Account.tradeIns`.")
class TradeInFilter:
    status: TradeInStatus | None = strawberry.field(
        default=None, description="Only trade-ins in this status."
    )


@strawberry.input(name="EmailDeliveryFilter", description="Narrows `Account.emailDeliveries`.")
class EmailDeliveryFilter:
    status: EmailDeliveryStatus | None = strawberry.field(
        default=None, description="Only emails in this status."
    )


@strawberry.input(name="AuditEventFilter", description="Narrows `Account.auditEvents`.")
class AuditEventFilter:
    actions: list[str] | None = strawberry.field(
        default=None,
        description="Only events of these actions (e.g. `seat.assigned`, "
        f"`trade_in.grace_expired`); at most {MAX_FILTER_ACTIONS}.",
    )
    subject_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Only events about this object (a subscription, trade-in, plan change, "
        "user or email).",
    )

    def __post_init__(self) -> None:
        if self.actions is not None:
            if len(self.actions) > MAX_FILTER_ACTIONS:
                raise TopLevelError(
                    "BAD_USER_INPUT",
                    f"`filter.actions` takes at most {MAX_FILTER_ACTIONS} actions, "
                    f"not {len(self.actions)}",
                )
            for action in self.actions:
                checked_text(action, "filter.actions")
