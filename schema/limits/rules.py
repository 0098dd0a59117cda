"""The request limits as graphql-core validation rules, and their errors.

The rules are module-level classes, built once: the document cache (document_cache.py)
keys validation results by the tuple of rule classes, so a class made per request (as
strawberry's own depth and alias limiters do) would never hit the cache.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    SKIP,
    ASTValidationRule,
    GraphQLError,
    OperationDefinitionNode,
    ValidationContext,
    ValidationRule,
    VisitorAction,
)
from graphql.validation.rules.max_introspection_depth_rule import MaxIntrospectionDepthRule

from schema.limits.measure import Measure, measure_operation
from schema.limits.numbers import MAX_ALIASES, MAX_COST, MAX_DEPTH, MAX_PAGE_SIZE

DEPTH_LIMIT_EXCEEDED = "DEPTH_LIMIT_EXCEEDED"
ALIAS_LIMIT_EXCEEDED = "ALIAS_LIMIT_EXCEEDED"
TOKEN_LIMIT_EXCEEDED = "TOKEN_LIMIT_EXCEEDED"
PAGE_SIZE_EXCEEDED = "PAGE_SIZE_EXCEEDED"
QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"


def limit_errors(measure: Measure, operation: OperationDefinitionNode) -> list[GraphQLError]:
    """The refusals for a measured operation (empty when it is within every limit)."""
    errors = []
    if measure.depth > MAX_DEPTH:
        errors.append(
            GraphQLError(
                f"The query is {measure.depth} levels deep; the limit is {MAX_DEPTH} "
                "(a root field is level 1).",
                operation,
                extensions={
                    "code": DEPTH_LIMIT_EXCEEDED,
                    "depth": measure.depth,
                    "maxDepth": MAX_DEPTH,
                },
            )
        )
    if measure.aliases > MAX_ALIASES:
        errors.append(
            GraphQLError(
                f"The query uses {measure.aliases} aliases (fragments counted where they are "
                f"spread); the limit is {MAX_ALIASES}.",
                operation,
                extensions={
                    "code": ALIAS_LIMIT_EXCEEDED,
                    "aliases": measure.aliases,
                    "maxAliases": MAX_ALIASES,
                },
            )
        )
    for problem in measure.page_size_problems:
        errors.append(
            GraphQLError(
                f"'{problem.argument}' on '{problem.field}' is {problem.value}; it must be "
                f"between 0 and {MAX_PAGE_SIZE}.",
                problem.node,
                extensions={
                    "code": PAGE_SIZE_EXCEEDED,
                    "field": problem.field,
                    "argument": problem.argument,
                    "value": problem.value,
                    "maxPageSize": MAX_PAGE_SIZE,
                },
            )
        )
    if measure.cost > MAX_COST:
        amount = "at least" if measure.cost_is_lower_bound else "up to"
        errors.append(
            GraphQLError(
                f"The query could load {amount} {measure.cost} nodes; the limit is {MAX_COST}. "
                "Ask for smaller pages or fewer nested connections.",
                operation,
                extensions={"code": QUERY_TOO_COMPLEX, "cost": measure.cost, "maxCost": MAX_COST},
            )
        )
    return errors


class HideSuggestionsRule(ValidationRule):
    """Turn off "Did you mean ...?" in every validation message (fields, arguments, enum
    values, input fields, types): suggestions let a caller discover the schema without
    introspection. graphql-core has the option (`validate(hide_suggestions=True)`), but
    strawberry calls `validate` without it; every rule of a validation is built before
    the document is visited, so setting the flag here reaches all of them."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        context._hide_suggestions = True


class RequestLimitsRule(ValidationRule):
    """Depth, aliases, page sizes and cost of each operation (measure.py), with the page
    sizes written in the document; those given by variables are checked before
    execution (extension.py)."""

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self.reported: set[tuple[object, int]] = set()

    def enter_operation_definition(
        self, node: OperationDefinitionNode, *_args: Any
    ) -> VisitorAction:
        measure = measure_operation(self.context.schema, self.context.document, node, None)
        for error in limit_errors(measure, node):
            # A fragment spread by two operations holds one argument: report it once.
            key = (
                (error.extensions or {}).get("code"),
                id(error.nodes[0] if error.nodes else error),
            )
            if key not in self.reported:
                self.reported.add(key)
                self.report_error(error)
        return SKIP


class IntrospectionDepthRule(MaxIntrospectionDepthRule):
    """graphql-core's bound on nested introspection lists (`fields { type { fields ...`),
    one of its specified rules, with our code."""

    def report_error(self, error: GraphQLError) -> None:
        super().report_error(
            GraphQLError(
                "Introspection nests lists (fields, interfaces, possibleTypes, inputFields) "
                "too deeply.",
                error.nodes,
                extensions={"code": DEPTH_LIMIT_EXCEEDED},
            )
        )


def with_limit_rules(
    rules: tuple[type[ASTValidationRule], ...],
) -> tuple[type[ASTValidationRule], ...]:
    """strawberry's rules with ours: graphql-core's introspection bound swapped for ours
    (added when missing), then the limits. The same classes every time, so the same key
    in the validation cache."""
    swapped = tuple(IntrospectionDepthRule if r is MaxIntrospectionDepthRule else r for r in rules)
    extra = () if IntrospectionDepthRule in swapped else (IntrospectionDepthRule,)
    return (*swapped, *extra, HideSuggestionsRule, RequestLimitsRule)
