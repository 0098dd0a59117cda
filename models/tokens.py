"""API tokens for scripts and partners. Only a SHA-256 digest is stored, never the token."""

from __future__ import annotations

from uuid import UUID

from tortoise import fields
from tortoise.migrations.constraints import CheckConstraint

from models.accounts import Account, User
from models.base import Entity
from models.partners import Partner


class ApiToken(Entity):
    token_hash = fields.CharField(max_length=64, unique=True)
    # The first characters, shown in listings so people can tell their tokens apart.
    display_prefix = fields.CharField(max_length=16)
    label = fields.CharField(max_length=200, default="")
    # A member token acts as `user` inside `account` only; a partner token as `partner`.
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "seatwise.User", related_name="api_tokens", null=True, on_delete=fields.CASCADE
    )
    account: fields.ForeignKeyNullableRelation[Account] = fields.ForeignKeyField(
        "seatwise.Account", related_name="api_tokens", null=True, on_delete=fields.CASCADE
    )
    partner: fields.ForeignKeyNullableRelation[Partner] = fields.ForeignKeyField(
        "seatwise.Partner", related_name="api_tokens", null=True, on_delete=fields.CASCADE
    )
    expires_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    last_used_at = fields.DatetimeField(null=True)

    user_id: UUID | None
    account_id: UUID | None
    partner_id: UUID | None

    class Meta:
        table = "api_token"
        constraints = (
            CheckConstraint(
                check=(
                    "(user_id IS NOT NULL AND account_id IS NOT NULL AND partner_id IS NULL) OR "
                    "(user_id IS NULL AND account_id IS NULL AND partner_id IS NOT NULL)"
                ),
                name="api_token_one_principal",
            ),
            CheckConstraint(check="length(token_hash) = 64", name="api_token_hash_is_sha256"),
        )
