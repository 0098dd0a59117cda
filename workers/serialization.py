"""Job payloads are JSON, not pickle: readable in Redis, and no code runs on load."""

from __future__ import annotations

import json
from typing import Any


def serialize(data: dict[str, Any]) -> bytes:
    return json.dumps(data, separators=(",", ":"), default=str).encode()


def deserialize(data: bytes) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(data)
    return result
