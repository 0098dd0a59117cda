"""The strawberry Schema class we serve, and the extensions every schema gets.

- Errors are logged once, by graphql_http (which knows the request id and masks what the
  client must not see): strawberry's `process_errors` would log each error a second time,
  tracebacks included, on the "strawberry.execution" logger.
- Suggestions ("Did you mean ...?") are also hidden from the errors raised while the
  variables are coerced at execution (enum values, input fields); rules.py hides them from
  validation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from schema.limits.document_cache import CachedDocuments
from schema.limits.extension import RequestLimits


class SeatwiseSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log nothing here: see the module docstring."""

    def _get_custom_context_kwargs(
        self, operation_extensions: dict[str, Any] | None = None, *, sync: bool = False
    ) -> dict[str, Any]:
        # These keyword arguments go to graphql-core's `execute`, which has the option.
        kwargs = super()._get_custom_context_kwargs(operation_extensions, sync=sync)
        kwargs["hide_suggestions"] = True
        return kwargs


# Classes or factories, never shared instances (a shared instance leaks request state
# between concurrent requests). RequestLimits comes first: it sets the parse options and
# validation rules the document cache keys its entries by.
SCHEMA_EXTENSIONS: tuple[Callable[[], SchemaExtension], ...] = (RequestLimits, CachedDocuments)
