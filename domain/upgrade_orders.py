"""Ordering a product upgrade (`subscriptionUpgrade`): the preview, the self-service order
that starts a trade-in at once, and the request that waits for the partner.

`preview_upgrade` is pure: it decides from the facts and `now` what the upgrade would do.
`order_upgrade` reads the facts (locking the subscription), decides with the same
functions as `upgradeOptions`, and applies the decision in the caller's transaction:
rows, audit event and outbox emails together, or nothing.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from tortoise.exceptions import IntegrityError

from domain import audit, outbox
from domain.access import ReadScope
from domain.errors import DomainError, ErrorCode
from domain.global_ids import to_global_id
from domain.tradeins import OPEN_STATUSES
from domain.upgrades import (
    GraceAnchor,
    GracePolicy,
    ProductFacts,
    SubscriptionFacts,
    UpgradePath,
    product_upgrade_option,
    product_upgrade_targets,
)
from models import (
    Account,
    CollectionItem,
    Contract,
    Membership,
    OutboxMessage,
    Partner,
    Product,
    ProductSubscription,
    SeatAssignment,
    SuiteMigration,
    TradeIn,
    User,
)
from models.enums import Role, SubscriptionStatus, TradeInStatus, UpgradeKind

ADMIN_ROLES = (Role.PRIMARY_ADMIN, Role.SECONDARY_ADMIN)
STARTED_EMAIL = "trade_in_started"
REQUESTED_EMAIL = "trade_in_requested"


@dataclass(frozen=True)
class EmailPreview:
    template: str
    recipients: tuple[str, ...]


@dataclass(frozen=True)
class NewSubscription:
    product_id: UUID
    plan_id: UUID
    seats: int
    term_ends_on: dt.date


@dataclass(frozen=True)
class UpgradePreview:
    """What an upgrade would do, for the payload of a dry run and of a real run alike."""

    kind: UpgradeKind
    path: UpgradePath
    partner_id: UUID | None
    grace_ends_at: dt.datetime | None
    reinstall_required: bool
    serial_number_update_required: bool
    notices: tuple[str, ...]
    new_subscription: NewSubscription
    # The users of the source subscription: they keep the old access until `grace_ends_at`
    # (until the partner acts and then the grace period ends, on the partner path).
    keeping_access: tuple[UUID, ...]
    emails: tuple[EmailPreview, ...]

    def to_json(self) -> dict[str, Any]:
        new = self.new_subscription
        return {
            "kind": self.kind.value,
            "path": self.path.value,
            "partner_id": str(self.partner_id) if self.partner_id else None,
            "grace_ends_at": self.grace_ends_at.isoformat() if self.grace_ends_at else None,
            "reinstall_required": self.reinstall_required,
            "serial_number_update_required": self.serial_number_update_required,
            "notices": list(self.notices),
            "new_subscription": {
                "product_id": str(new.product_id),
                "plan_id": str(new.plan_id),
                "seats": new.seats,
                "term_ends_on": new.term_ends_on.isoformat(),
            },
            "keeping_access": [str(u) for u in self.keeping_access],
            "emails": [
                {"template": e.template, "recipients": list(e.recipients)} for e in self.emails
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> UpgradePreview:
        new = data["new_subscription"]
        return cls(
            kind=UpgradeKind(data["kind"]),
            path=UpgradePath(data["path"]),
            partner_id=UUID(data["partner_id"]) if data["partner_id"] else None,
            grace_ends_at=dt.datetime.fromisoformat(data["grace_ends_at"])
            if data["grace_ends_at"]
            else None,
            reinstall_required=data["reinstall_required"],
            serial_number_update_required=data["serial_number_update_required"],
            notices=tuple(data["notices"]),
            new_subscription=NewSubscription(
                product_id=UUID(new["product_id"]),
                plan_id=UUID(new["plan_id"]),
                seats=new["seats"],
                term_ends_on=dt.date.fromisoformat(new["term_ends_on"]),
            ),
            keeping_access=tuple(UUID(u) for u in data["keeping_access"]),
            emails=tuple(
                EmailPreview(template=e["template"], recipients=tuple(e["recipients"]))
                for e in data["emails"]
            ),
        )


@dataclass(frozen=True)
class UpgradeContext:
    """Everything the decision needs about one subscription, read in one go."""

    subscription: ProductSubscription
    contract: Contract
    facts: SubscriptionFacts
    admins: tuple[tuple[str, str, str, UUID], ...]  # (email, name, locale, user id)
    partner: Partner | None
    users: tuple[UUID, ...]


@dataclass
class OrderResult:
    preview: UpgradePreview
    trade_in_id: UUID | None = None
    emails: list[OutboxMessage] = field(default_factory=list)


def preview_upgrade(
    context: UpgradeContext,
    target_product_id: UUID,
    *,
    actor_is_admin: bool,
    now: dt.datetime,
    grace: GracePolicy,
) -> UpgradePreview:
    """The decision and its effects; raises DomainError with the refusal's code."""
    facts = context.facts
    # An unknown target is refused as NOT_AN_UPGRADE, whatever kind it is looked up as.
    offered = {t: k for k, t in product_upgrade_targets(facts)}
    kind = offered.get(target_product_id, UpgradeKind.LT_TO_FULL)
    option = product_upgrade_option(
        facts, kind, target_product_id, actor_is_admin=actor_is_admin, now=now, grace=grace
    )
    if option.refusal is not None:
        field_path = ("input", "targetProductId")
        if option.refusal.code is not ErrorCode.NOT_AN_UPGRADE:
            field_path = ("input", "subscriptionId")
        raise DomainError(option.refusal.code, option.refusal.message, field_path)
    subscription = context.subscription
    if option.path is UpgradePath.SELF_SERVICE:
        emails = (
            EmailPreview(template=STARTED_EMAIL, recipients=tuple(a[0] for a in context.admins)),
        )
    else:
        partner_email = context.partner.contact_email if context.partner else ""
        emails = (EmailPreview(template=REQUESTED_EMAIL, recipients=(partner_email,)),)
    return UpgradePreview(
        kind=kind,
        path=option.path,
        partner_id=option.partner_id,
        grace_ends_at=option.grace_ends_at,
        reinstall_required=option.reinstall_required,
        serial_number_update_required=option.serial_number_update_required,
        notices=option.notices,
        new_subscription=NewSubscription(
            product_id=target_product_id,
            plan_id=subscription.plan_id,
            seats=subscription.seats,
            term_ends_on=subscription.term_ends_on,
        ),
        keeping_access=context.users,
        emails=emails,
    )


async def load_context(
    subscription_id: UUID, scope: ReadScope, *, lock: bool, request_id: UUID | None = None
) -> UpgradeContext:
    """The subscription (locked against a concurrent order when `lock`) and its facts.
    One the caller may not read is NOT_FOUND, exactly like an unknown one. `request_id`,
    the request being fulfilled, does not count as an open trade-in of the subscription."""
    query = ProductSubscription.filter(id=subscription_id)
    if lock:
        query = query.select_for_update()
    subscription = await query.first()
    contract = await Contract.get_or_none(id=subscription.contract_id) if subscription else None
    if (
        subscription is None
        or contract is None
        or not scope.can_read_contract(contract.account_id, contract.id)
    ):
        raise DomainError(ErrorCode.NOT_FOUND, "No such subscription.", ("input", "subscriptionId"))
    product = await Product.get(id=subscription.product_id)
    collections = await CollectionItem.filter(product_id=product.id).values_list(
        "collection_id", flat=True
    )
    targets = await SuiteMigration.filter(suite_id=product.id).values_list(
        "collection_id", flat=True
    )
    open_trade_ins = TradeIn.filter(source_id=subscription.id, status__in=OPEN_STATUSES)
    if request_id is not None:
        open_trade_ins = open_trade_ins.exclude(id=request_id)
    has_open = await open_trade_ins.exists()
    facts = SubscriptionFacts(
        product=ProductFacts(
            id=product.id,
            name=product.name,
            kind=product.kind,
            edition=product.edition,
            full_version_id=product.full_version_id,
        ),
        status=subscription.status,
        license_model=subscription.license_model,
        release_year=subscription.release_year,
        channel=contract.channel,
        partner_id=contract.partner_id,
        has_open_trade_in=has_open,
        collections_including=tuple(UUID(str(c)) for c in collections),
        migration_targets=tuple(UUID(str(c)) for c in targets),
    )
    admins = await (
        Membership.filter(account_id=contract.account_id, role__in=ADMIN_ROLES)
        .order_by("user__email")
        .values_list("user__email", "user__name", "user__locale", "user_id")
    )
    users = await (
        SeatAssignment.filter(subscription_id=subscription.id, unassigned_at=None)
        .order_by("user__name", "user_id")
        .values_list("user_id", flat=True)
    )
    partner = await Partner.get_or_none(id=contract.partner_id) if contract.partner_id else None
    return UpgradeContext(
        subscription=subscription,
        contract=contract,
        facts=facts,
        admins=tuple((str(e), str(n), str(lc), UUID(str(u))) for e, n, lc, u in admins),
        partner=partner,
        users=tuple(UUID(str(u)) for u in users),
    )


def new_serial_number() -> str:
    """A serial number in the vendor's shape (`NNN-NNNNNNNN`)."""
    return f"{secrets.randbelow(900) + 100}-{secrets.randbelow(10**8):08d}"


async def order_upgrade(
    context: UpgradeContext,
    preview: UpgradePreview,
    *,
    actor: str,
    actor_user_id: UUID | None,
    now: dt.datetime,
) -> OrderResult:
    """Apply `preview` (call inside the command's transaction, with `context` loaded with
    `lock=True`): start the trade-in at once (self-service) or record the request for the
    partner. Raises TRADE_IN_ALREADY_OPEN when a concurrent order won."""
    subscription = context.subscription
    result = OrderResult(preview=preview)
    try:
        if preview.path is UpgradePath.SELF_SERVICE:
            trade_in = await start_trade_in(
                context, preview, actor_user_id=actor_user_id, ordered_at=now, commencement_at=now
            )
            result.emails = await started_emails(
                context, trade_in, preview, anchor=GraceAnchor.ORDER, now=now
            )
        else:
            trade_in = await TradeIn.create(
                kind=preview.kind,
                status=TradeInStatus.AWAITING_PARTNER,
                source_id=subscription.id,
                target_product_id=preview.new_subscription.product_id,
                requested_by_id=actor_user_id,
                partner_id=preview.partner_id,
                serial_number_update_required=False,
                reinstall_required=preview.reinstall_required,
            )
            result.emails = await _requested_emails(
                context, trade_in, preview, actor_user_id=actor_user_id, now=now
            )
    except IntegrityError:
        # The partial unique index on open trade-ins: a concurrent order got there first.
        raise DomainError(
            ErrorCode.TRADE_IN_ALREADY_OPEN,
            "The subscription is already in a trade-in: finish or cancel it first.",
            ("input", "subscriptionId"),
        ) from None
    result.trade_in_id = trade_in.id
    await audit.record(
        account_id=context.contract.account_id,
        actor=actor,
        action="subscription.upgrade."
        + ("ordered" if preview.path is UpgradePath.SELF_SERVICE else "requested"),
        subject_type="TradeIn",
        subject_id=trade_in.id,
        data={"preview": preview.to_json(), "source_id": str(subscription.id)},
    )
    return result


async def start_trade_in(
    context: UpgradeContext,
    preview: UpgradePreview,
    *,
    actor_user_id: UUID | None,
    ordered_at: dt.datetime,
    commencement_at: dt.datetime,
    request: TradeIn | None = None,
) -> TradeIn:
    """The trade-in starts: the new subscription, the source in grace, the deadline
    (`preview.grace_ends_at`). A self-service order makes the trade-in; a partner's
    fulfillment starts its `request` (the row awaiting it). Call inside the command's
    transaction, with `context` loaded with `lock=True`."""
    source = context.subscription
    serial = new_serial_number() if preview.serial_number_update_required else None
    target = await ProductSubscription.create(
        contract_id=source.contract_id,
        product_id=preview.new_subscription.product_id,
        plan_id=source.plan_id,
        seats=source.seats,
        status=SubscriptionStatus.ACTIVE,
        license_model=source.license_model,
        release_year=None,
        serial_number=serial or source.serial_number,
        term_starts_on=min(commencement_at.date(), source.term_ends_on),
        term_ends_on=source.term_ends_on,
    )
    source.status = SubscriptionStatus.IN_GRACE
    await source.save(update_fields=["status"])
    assert preview.grace_ends_at is not None
    started: dict[str, Any] = {
        "status": TradeInStatus.IN_GRACE,
        "target_id": target.id,
        "ordered_at": ordered_at,
        "commencement_at": commencement_at,
        "grace_ends_at": preview.grace_ends_at,
        "serial_number_update_required": preview.serial_number_update_required,
        "new_serial_number": serial,
        "reinstall_required": preview.reinstall_required,
    }
    if request is None:
        return await TradeIn.create(
            kind=preview.kind,
            source_id=source.id,
            target_product_id=preview.new_subscription.product_id,
            requested_by_id=actor_user_id,
            **started,
        )
    for name, value in started.items():
        setattr(request, name, value)
    await request.save(update_fields=list(started))
    return request


async def product_names(*product_ids: UUID) -> Sequence[str]:
    names = dict(await Product.filter(id__in=list(product_ids)).values_list("id", "name"))
    return [str(names[p]) for p in product_ids]


async def account_name(context: UpgradeContext) -> str:
    account = await Account.get(id=context.contract.account_id)
    return account.name


async def started_emails(
    context: UpgradeContext,
    trade_in: TradeIn,
    preview: UpgradePreview,
    *,
    anchor: GraceAnchor,
    now: dt.datetime,
) -> list[OutboxMessage]:
    """The confirmation to each admin of the account, in their language, when a trade-in
    starts (a self-service order, or the partner's fulfillment)."""
    source_name, target_name = await product_names(
        context.subscription.product_id, preview.new_subscription.product_id
    )
    name_of_account = await account_name(context)
    target = await ProductSubscription.get(id=trade_in.target_id)
    messages = []
    for email, name, locale, user_id in context.admins:
        messages.append(
            await outbox.record_email(
                account_id=context.contract.account_id,
                template=STARTED_EMAIL,
                recipient=email,
                locale=locale,
                dedupe_key=f"{STARTED_EMAIL}:{trade_in.id}:{user_id}",
                now=now,
                context={
                    "admin_name": name,
                    "account_name": name_of_account,
                    "contract_number": context.contract.number,
                    "source_product": source_name,
                    "target_product": target_name,
                    "grace_days": (preview.grace_ends_at - now).days
                    if preview.grace_ends_at
                    else 0,
                    "grace_anchor": anchor.value,
                    "grace_ends_at": preview.grace_ends_at,
                    "serial_number_update_required": preview.serial_number_update_required,
                    "serial_number": target.serial_number,
                    "reinstall_required": preview.reinstall_required,
                },
            )
        )
    return messages


async def _requested_emails(
    context: UpgradeContext,
    trade_in: TradeIn,
    preview: UpgradePreview,
    *,
    actor_user_id: UUID | None,
    now: dt.datetime,
) -> list[OutboxMessage]:
    """The request to the partner who must fulfill or decline it."""
    partner = context.partner
    if partner is None:
        return []
    source_name, target_name = await product_names(
        context.subscription.product_id, preview.new_subscription.product_id
    )
    requester = await User.get_or_none(id=actor_user_id) if actor_user_id else None
    message = await outbox.record_email(
        account_id=context.contract.account_id,
        template=REQUESTED_EMAIL,
        recipient=partner.contact_email,
        dedupe_key=f"{REQUESTED_EMAIL}:{trade_in.id}",
        now=now,
        context={
            "partner_name": partner.name,
            "account_name": await account_name(context),
            "contract_number": context.contract.number,
            "kind": preview.kind.value,
            "source_product": source_name,
            "target_product": target_name,
            "seats": context.subscription.seats,
            "requested_by_name": requester.name if requester else "",
            "requested_by_email": requester.email if requester else "",
            "requested_at": now,
            # The ID the API shows, so the partner can paste it into tradeInFulfill.
            "trade_in_id": to_global_id("TradeIn", trade_in.id),
        },
    )
    return [message]
