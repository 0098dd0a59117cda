"""Top-level GraphQL errors: malformed requests, authentication, authorization, bugs.

Every top-level error carries `extensions.code`. Business refusals are not here: they are
user errors in mutation payloads.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError
from graphql.error.syntax_error import GraphQLSyntaxError

from schema.errors import TopLevelError
from schema.limits.numbers import MAX_TOKENS
from schema.limits.rules import TOKEN_LIMIT_EXCEEDED

# What graphql-core's parser says when a document exceeds its `max_tokens` option
# (pinned by a test, since it is the only way to tell this refusal from a syntax error).
TOKEN_LIMIT_DESCRIPTION = f"Document contains more than {MAX_TOKENS} tokens. Parsing aborted."
# How graphql-core's ValuesOfCorrectType rule reports a literal that a scalar's parser
# refused with an exception (pinned by a test).
LITERAL_REFUSED_PREFIX = "Expected value of type "


class ApiError(Exception):
    """An HTTP-level refusal answered before execution."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def formatted(self, request_id: str) -> dict[str, Any]:
        return {"message": self.message, "extensions": {"code": self.code, "requestId": request_id}}


def error_code_of(error: GraphQLError) -> str | None:
    """The code of an error meant for the client, or None for an unexpected exception."""
    original = error.original_error
    if isinstance(original, TopLevelError):
        return str((original.extensions or {}).get("code"))
    if original is None:
        if error.path:
            # An execution error without an exception (a null for a non-null field): a bug.
            return None
        if isinstance(error, GraphQLSyntaxError):
            if error.description == TOKEN_LIMIT_DESCRIPTION:
                return TOKEN_LIMIT_EXCEEDED
            return "GRAPHQL_PARSE_FAILED"
        if error.extensions and "code" in error.extensions:
            return str(error.extensions["code"])
        # graphql-core reports validation and variable-coercion problems without an
        # original exception.
        return "GRAPHQL_VALIDATION_FAILED"
    if isinstance(original, GraphQLError):
        return error_code_of(original)
    if (
        isinstance(original, ValueError)
        and not error.path
        and error.message.startswith(LITERAL_REFUSED_PREFIX)
    ):
        # A literal the scalar could not parse (Int's int() refuses more than 4,300
        # digits with a ValueError): the client's mistake, reported by validation.
        return "GRAPHQL_VALIDATION_FAILED"
    return None


def masked_error(error: GraphQLError, request_id: str) -> dict[str, Any]:
    masked: dict[str, Any] = {
        "message": f"Internal server error (request {request_id})",
        "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
    }
    if error.locations:
        masked["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    if error.path:
        masked["path"] = list(error.path)
    return masked
