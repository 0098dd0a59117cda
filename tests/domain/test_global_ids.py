"""Global IDs (domain/global_ids.py): the spelling clients hold must never change."""

from __future__ import annotations

import base64
import uuid

from domain.global_ids import from_global_id, to_global_id


def _reference(type_name: str, key: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{key}".encode()).decode().rstrip("=")


def test_ids_are_base64url_of_the_type_and_key_without_padding() -> None:
    # Given every padding, and the characters base64url writes differently
    keys = [
        uuid.UUID(int=0),
        uuid.UUID(int=2**128 - 1),
        *(uuid.UUID(int=i * 7919) for i in range(200)),
    ]
    # ("~~~" and "???" are no types, but their base64 holds a "+" and a "/", which
    # base64url writes "-" and "_")
    names = ["A", "Ab", "User", "SeatAssignment", "ProductSubscription", "~~~", "???"]
    for name in names:
        for key in keys:
            # When the ID is written from the UUID or from its text
            written = {to_global_id(name, key), to_global_id(name, str(key))}
            # Then it is the one base64url spelling, and it reads back
            assert written == {_reference(name, key)}
            assert from_global_id(_reference(name, key)) == (name, key)
    encoded = [to_global_id(n, k) for n in names for k in keys]
    assert any("-" in e for e in encoded)
    assert any("_" in e for e in encoded)
