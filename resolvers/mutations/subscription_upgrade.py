"""`subscriptionUpgrade`: order a product upgrade (self-service: the trade-in starts at
once) or ask the partner for it; `dryRun` previews without writing."""

from __future__ import annotations

import enum
from typing import Annotated, Any
from uuid import UUID

import strawberry

from domain import idempotency, upgrade_orders
from domain.access import can_administer
from domain.errors import DomainError, ErrorCode
from domain.principals import MemberPrincipal
from models import OutboxMessage
from schema.context import Info
from schema.loaders.tradeins import TradeInByIdLoader
from schema.mutations.user_errors import UserError, code, known_key, user_errors
from schema.resolution import later, one
from schema.types.tradein import TradeIn
from schema.types.upgrade_preview import UpgradePreview

OPERATION = "subscriptionUpgrade"


@strawberry.enum(
    name="SubscriptionUpgradeErrorCode", description="Why `subscriptionUpgrade` refused."
)
class SubscriptionUpgradeErrorCode(enum.Enum):
    NOT_FOUND = code(ErrorCode.NOT_FOUND)
    INVALID_INPUT = code(ErrorCode.INVALID_INPUT)
    NOT_ACCOUNT_ADMIN = code(ErrorCode.NOT_ACCOUNT_ADMIN)
    NOT_AN_UPGRADE = code(ErrorCode.NOT_AN_UPGRADE)
    SUBSCRIPTION_NOT_ACTIVE = code(ErrorCode.SUBSCRIPTION_NOT_ACTIVE)
    TRADE_IN_ALREADY_OPEN = code(ErrorCode.TRADE_IN_ALREADY_OPEN)
    IDEMPOTENCY_KEY_REUSED = code(ErrorCode.IDEMPOTENCY_KEY_REUSED)


@strawberry.type(
    name="SubscriptionUpgradeUserError", description="A refusal of `subscriptionUpgrade`."
)
class SubscriptionUpgradeUserError(UserError):
    code: SubscriptionUpgradeErrorCode = strawberry.field(description="Stable code.")


@strawberry.input(name="SubscriptionUpgradeInput", description="What to upgrade, to what.")
class SubscriptionUpgradeInput:
    subscription_id: strawberry.ID = strawberry.field(description="The subscription to upgrade.")
    target_product_id: strawberry.ID = strawberry.field(
        description="The product or collection to upgrade to (one of its `upgradeOptions`)."
    )
    dry_run: bool = strawberry.field(
        default=False, description="Only answer the preview; change nothing, send nothing."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Sent again with the same input, the first answer is replayed and "
        "nothing is done twice (kept at least 24 hours; at most 200 characters).",
    )


@strawberry.type(
    name="SubscriptionUpgradePayload", description="The result of `subscriptionUpgrade`."
)
class SubscriptionUpgradePayload:
    trade_in: TradeIn | None = strawberry.field(
        description="The trade-in: in grace (self-service) or awaiting the partner; null on "
        "a dry run or a refusal."
    )
    preview: UpgradePreview | None = strawberry.field(
        description="What the upgrade does (or would do, on a dry run); null on a refusal."
    )
    user_errors: list[SubscriptionUpgradeUserError] = strawberry.field(
        description="Why nothing was done; empty on success."
    )


def _refused(error: DomainError) -> SubscriptionUpgradePayload:
    return SubscriptionUpgradePayload(
        trade_in=None,
        preview=None,
        user_errors=user_errors(
            [error], SubscriptionUpgradeUserError, SubscriptionUpgradeErrorCode
        ),
    )


def _key(value: str, type_name: str, field: str) -> UUID:
    return known_key(value, type_name, f"No such {type_name}.", ("input", field))


async def subscription_upgrade(
    info: Info, input: SubscriptionUpgradeInput
) -> SubscriptionUpgradePayload:
    context = info.context
    principal = context.principal
    emails: list[OutboxMessage] = []
    try:
        subscription_id = _key(input.subscription_id, "ProductSubscription", "subscriptionId")
        target_id = _key(input.target_product_id, "Product", "targetProductId")

        async def command() -> idempotency.Outcome:
            loaded = await upgrade_orders.load_context(
                subscription_id, context.scope, lock=not input.dry_run
            )
            account_id = loaded.contract.account_id
            preview = upgrade_orders.preview_upgrade(
                loaded,
                target_id,
                actor_is_admin=can_administer(principal, account_id),
                now=context.now,
                grace=context.grace,
            )
            response: dict[str, Any] = {
                "account_id": str(account_id),
                "preview": preview.to_json(),
                "trade_in_id": None,
            }
            if input.dry_run:
                return idempotency.Outcome(response=response, commit=False)
            result = await upgrade_orders.order_upgrade(
                loaded,
                preview,
                actor=principal.key,
                actor_user_id=principal.user_id if isinstance(principal, MemberPrincipal) else None,
                now=context.now,
            )
            emails.extend(result.emails)
            response["trade_in_id"] = str(result.trade_in_id)
            return idempotency.Outcome(response=response)

        outcome, replayed = await idempotency.run(
            command,
            principal=principal.key,
            key=input.idempotency_key,
            operation=OPERATION,
            request={
                "subscription_id": str(subscription_id),
                "target_product_id": str(target_id),
                "dry_run": input.dry_run,
            },
        )
    except DomainError as error:
        return _refused(error)
    if emails and not replayed:
        await context.hand_over(emails)
    return await _payload(info, outcome.response)


async def _payload(info: Info, response: dict[str, Any]) -> SubscriptionUpgradePayload:
    preview = upgrade_orders.UpgradePreview.from_json(response["preview"])
    trade_in: TradeIn | None = None
    if response["trade_in_id"] is not None:
        loader = info.context.loaders.get(TradeInByIdLoader)
        trade_in = await later(one(loader, UUID(response["trade_in_id"])))
    return SubscriptionUpgradePayload(
        trade_in=trade_in,
        preview=UpgradePreview.from_domain(preview, UUID(response["account_id"])),
        user_errors=[],
    )


@strawberry.type
class SubscriptionUpgradeMutation:
    @strawberry.mutation(
        description="Upgrade a product: LT to full, product to a collection, suite to a "
        "collection. Online subscriptions start a trade-in at once (the old and new "
        "subscriptions both work until the grace end); others send a request to their "
        "partner. `dryRun` answers the preview and changes nothing."
    )
    async def subscription_upgrade(
        self,
        info: Info,
        input: Annotated[
            SubscriptionUpgradeInput, strawberry.argument(description="What to upgrade.")
        ],
    ) -> SubscriptionUpgradePayload:
        return await subscription_upgrade(info, input)
