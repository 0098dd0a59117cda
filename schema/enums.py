"""GraphQL enums: the vocabulary of `models.enums`, with a description on every value.

They are separate classes (not the model enums) so the API can describe and deprecate
values on its own; `to_graphql` converts by value.
"""

from __future__ import annotations

import enum
from typing import TypeVar

import strawberry


@strawberry.enum(name="Role", description="The role of a member in an account.")
class Role(enum.Enum):
    PRIMARY_ADMIN = strawberry.enum_value(
        "PRIMARY_ADMIN", description="The one main administrator of the account."
    )
    SECONDARY_ADMIN = strawberry.enum_value(
        "SECONDARY_ADMIN", description="An administrator with the same rights, not the owner."
    )
    USER = strawberry.enum_value("USER", description="A member who uses products, no admin rights.")


E = TypeVar("E", bound=enum.Enum)


def to_graphql(enum_type: type[E], value: enum.Enum) -> E:
    """The GraphQL enum member with the same value as a model enum member."""
    return enum_type(value.value)
