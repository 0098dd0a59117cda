"""Errors that resolvers raise to the top level of the response (with `extensions.code`):
malformed arguments such as a bad cursor or a missing page size. Business refusals are
user errors in mutation payloads instead."""

from __future__ import annotations

from graphql import GraphQLError


class TopLevelError(GraphQLError):
    """Raised by resolvers for errors that belong at the top level (FORBIDDEN, ...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, extensions={"code": code})
