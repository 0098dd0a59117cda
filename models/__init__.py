"""Tortoise models only: tables, constraints and tiny intrinsic predicates.

Tortoise discovers the models of the `seatwise` app label through this module, so every
model is re-exported here.
"""

from models.accounts import Account, Membership, User
from models.bookkeeping import AuditEvent, IdempotencyKey
from models.catalog import (
    CollectionItem,
    Plan,
    PlanFeature,
    PlanMove,
    Product,
    SuiteItem,
    SuiteMigration,
)
from models.contracts import Contract, ProductSubscription, SeatAssignment
from models.outbox import OutboxMessage
from models.partners import Partner
from models.plan_changes import PlanChange
from models.support import SupportCase
from models.tokens import ApiToken
from models.tradeins import TradeIn

APP_LABEL = "seatwise"

__all__ = [
    "APP_LABEL",
    "Account",
    "ApiToken",
    "AuditEvent",
    "CollectionItem",
    "Contract",
    "IdempotencyKey",
    "Membership",
    "OutboxMessage",
    "Partner",
    "Plan",
    "PlanChange",
    "PlanFeature",
    "PlanMove",
    "Product",
    "ProductSubscription",
    "SeatAssignment",
    "SuiteItem",
    "SuiteMigration",
    "SupportCase",
    "TradeIn",
    "User",
]
