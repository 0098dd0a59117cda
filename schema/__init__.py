"""Strawberry types, inputs, enums, payloads, the typed context, per-request DataLoaders
and permissions. No business decisions: those live in `domain/`."""
