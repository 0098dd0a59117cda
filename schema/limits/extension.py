"""The schema extension that switches the limits on for every request.

- before parsing: the token limit (a parse option) and our validation rules (rules.py);
- before execution: page sizes and cost again, now with the variable values, which
  validation cannot see. A refusal replaces the execution result, so no resolver runs.

Only these hooks: an extension `resolve()` hook would wrap every field and cost a lot of
execution time (measured: bench/RESULTS.md).
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError, OperationDefinitionNode, get_operation_ast
from strawberry.extensions import SchemaExtension

from schema.limits.measure import measure_operation
from schema.limits.numbers import MAX_TOKENS
from schema.limits.rules import limit_errors, with_limit_rules


def _which_operation() -> GraphQLError:
    return GraphQLError(
        "the document has several operations: say which one to run with 'operationName'",
        extensions={"code": "BAD_REQUEST"},
    )


class RequestLimits(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = MAX_TOKENS
        context.validation_rules = with_limit_rules(context.validation_rules)
        yield

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.result is None:
            # Strawberry's `operation_name` falls back to the first operation's name; the
            # spec asks to refuse a document of several operations without one. (The name
            # the client sent is a private attribute of strawberry's ExecutionContext.)
            asked = getattr(context, "_provided_operation_name", None)
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            if asked is None and len(operations) > 1:
                context.result = GraphQLExecutionResult(data=None, errors=[_which_operation()])
                yield
                return
            operation = get_operation_ast(document, context.operation_name)
            # Without variable definitions, validation has already seen every value.
            if operation is not None and operation.variable_definitions:
                measure = measure_operation(
                    context.schema._schema, document, operation, context.variables or {}
                )
                errors = limit_errors(measure, operation)
                if errors:
                    context.result = GraphQLExecutionResult(data=None, errors=errors)
        yield
