"""Global IDs: opaque strings that name a type and a row, never a sequential integer.

`base64url("<Type>:<uuid>")` without padding. Clients must treat them as opaque; the
server checks the type on the way back in, so an ID of one type never loads another.
"""

from __future__ import annotations

import base64
import binascii
from uuid import UUID

# base64url is base64 with `-` and `_` for `+` and `/`: one C call and one translation,
# where `base64.urlsafe_b64encode` wraps the same in Python (a users page writes 400 IDs).
_URL_SAFE = bytes.maketrans(b"+/", b"-_")


def to_global_id(type_name: str, key: UUID | str) -> str:
    """`key` is a UUID or its canonical text (`str` of one, as SQLite stores it): the
    same ID either way."""
    encoded = binascii.b2a_base64(f"{type_name}:{key}".encode(), newline=False)
    return encoded.translate(_URL_SAFE).decode().rstrip("=")


def from_global_id(value: str) -> tuple[str, UUID] | None:
    """(type name, key), or None for anything that is not one of our IDs."""
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        type_name, _, key = raw.partition(":")
        return type_name, UUID(key)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def key_of(value: str, type_name: str) -> UUID | None:
    """The row key of a global ID of `type_name`; None for other types or garbage."""
    decoded = from_global_id(value)
    if decoded is None or decoded[0] != type_name:
        return None
    return decoded[1]
