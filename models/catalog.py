"""The catalog (products, collections, suites) and the plans with their features.

Both are data loaded from `data/*.yaml`; rows are keyed by their stable `code`.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint

from models.base import Entity
from models.enums import Edition, FeatureKind, ProductKind, sql_in


class Product(Entity):
    code = fields.CharField(max_length=40, unique=True)
    name = fields.CharField(max_length=200)
    kind = fields.CharEnumField(ProductKind, max_length=20)
    # Only plain products have an edition; an LT product names its full version.
    edition: Edition | None = fields.CharEnumField(Edition, max_length=8, null=True)  # type: ignore[assignment]
    full_version: fields.ForeignKeyNullableRelation[Product] = fields.ForeignKeyField(
        "seatwise.Product",
        related_name="lt_versions",
        null=True,
        on_delete=fields.RESTRICT,
        db_index=True,
    )

    full_version_id: UUID | None

    class Meta:
        table = "product"
        constraints = (
            CheckConstraint(check=f"kind IN ({sql_in(ProductKind)})", name="product_kind_known"),
            CheckConstraint(
                check="(kind = 'PRODUCT') = (edition IS NOT NULL)",
                name="product_edition_only_for_products",
            ),
            CheckConstraint(
                check="full_version_id IS NULL OR edition = 'LT'",
                name="product_full_version_only_for_lt",
            ),
        )


class CollectionItem(Entity):
    """A product included in a collection."""

    collection: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "seatwise.Product", related_name="items", on_delete=fields.CASCADE, db_index=True
    )
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "seatwise.Product", related_name="included_in", on_delete=fields.RESTRICT, db_index=True
    )

    collection_id: UUID
    product_id: UUID

    class Meta:
        table = "collection_item"
        unique_together = (("collection", "product"),)
        constraints = (
            CheckConstraint(check="collection_id <> product_id", name="collection_item_not_self"),
        )


class SuiteMigration(Entity):
    """A collection that a retired suite can migrate to."""

    suite: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "seatwise.Product", related_name="migrations", on_delete=fields.CASCADE, db_index=True
    )
    collection: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "seatwise.Product", related_name="migrated_from", on_delete=fields.RESTRICT, db_index=True
    )

    suite_id: UUID
    collection_id: UUID

    class Meta:
        table = "suite_migration"
        unique_together = (("suite", "collection"),)
        constraints = (
            CheckConstraint(check="suite_id <> collection_id", name="suite_migration_not_self"),
        )


class SuiteItem(Entity):
    """A product a retired suite contained (so a migration knows what is new to its users)."""

    suite: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "seatwise.Product", related_name="suite_items", on_delete=fields.CASCADE, db_index=True
    )
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "seatwise.Product", related_name="contained_in", on_delete=fields.RESTRICT, db_index=True
    )

    suite_id: UUID
    product_id: UUID

    class Meta:
        table = "suite_item"
        unique_together = (("suite", "product"),)
        constraints = (CheckConstraint(check="suite_id <> product_id", name="suite_item_not_self"),)


class Plan(Entity):
    code = fields.CharField(max_length=40, unique=True)
    name = fields.CharField(max_length=100)
    rank = fields.IntField(unique=True)
    description = fields.TextField(default="")

    class Meta:
        table = "plan"
        constraints = (CheckConstraint(check="rank >= 1", name="plan_rank_positive"),)


class PlanFeature(Entity):
    """A capability of a plan. The API gates by `code`, never by plan name.

    Support features carry their options (channels, hours, response target) in `details`.
    """

    plan: fields.ForeignKeyRelation[Plan] = fields.ForeignKeyField(
        "seatwise.Plan", related_name="features", on_delete=fields.CASCADE, db_index=True
    )
    code = fields.CharField(max_length=60)
    name = fields.CharField(max_length=200)
    kind = fields.CharEnumField(FeatureKind, max_length=20)
    details: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)

    plan_id: UUID

    class Meta:
        table = "plan_feature"
        unique_together = (("plan", "code"),)
        constraints = (
            CheckConstraint(
                check=f"kind IN ({sql_in(FeatureKind)})", name="plan_feature_kind_known"
            ),
        )


class PlanMove(Entity):
    """A plan a contract on `from_plan` may move to (data/plans.yaml): the plan change
    offers exactly these, never "the next rank"."""

    from_plan: fields.ForeignKeyRelation[Plan] = fields.ForeignKeyField(
        "seatwise.Plan", related_name="moves", on_delete=fields.CASCADE, db_index=True
    )
    to_plan: fields.ForeignKeyRelation[Plan] = fields.ForeignKeyField(
        "seatwise.Plan", related_name="moves_in", on_delete=fields.CASCADE, db_index=True
    )

    from_plan_id: UUID
    to_plan_id: UUID

    class Meta:
        table = "plan_move"
        unique_together = (("from_plan", "to_plan"),)
        constraints = (
            CheckConstraint(check="from_plan_id <> to_plan_id", name="plan_move_changes_plan"),
        )
