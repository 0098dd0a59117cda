"""Global IDs in the GraphQL layer: the encoding lives in domain.global_ids (emails name
objects by the same IDs the API shows)."""

from domain.global_ids import from_global_id, key_of, to_global_id

__all__ = ["from_global_id", "key_of", "to_global_id"]
