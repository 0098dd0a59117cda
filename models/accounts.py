"""Accounts (a customer's team), users and their memberships with a role."""

from __future__ import annotations

from uuid import UUID

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint, UniqueConstraint

from models.base import Entity
from models.enums import Role, sql_in


class Account(Entity):
    name = fields.CharField(max_length=200)

    memberships: fields.ReverseRelation[Membership]

    class Meta:
        table = "account"
        constraints = (CheckConstraint(check="length(name) > 0", name="account_name_present"),)


class User(Entity):
    # Stored lower-cased: the same person must not exist twice under two spellings.
    email = fields.CharField(max_length=254, unique=True)
    name = fields.CharField(max_length=200)
    locale = fields.CharField(max_length=8, default="en")

    memberships: fields.ReverseRelation[Membership]

    class Meta:
        table = "app_user"
        constraints = (
            CheckConstraint(check="email = lower(email)", name="app_user_email_lowercase"),
            CheckConstraint(check="email LIKE '%_@_%'", name="app_user_email_shape"),
        )


class Membership(Entity):
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "seatwise.Account", related_name="memberships", on_delete=fields.CASCADE, db_index=True
    )
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "seatwise.User", related_name="memberships", on_delete=fields.CASCADE, db_index=True
    )
    role = fields.CharEnumField(Role, max_length=20, default=Role.USER)

    account_id: UUID
    user_id: UUID

    class Meta:
        table = "membership"
        unique_together = (("account", "user"),)
        constraints = (
            CheckConstraint(check=f"role IN ({sql_in(Role)})", name="membership_role_known"),
            # An account has one primary admin.
            UniqueConstraint(
                fields=("account_id",),
                name="membership_one_primary_admin",
                condition="role = 'PRIMARY_ADMIN'",
            ),
        )
