"""Measure one operation for the request limits: depth, aliases, page sizes and cost.

One walk computes everything, fragments included. Each fragment is measured once and its
measure reused wherever it is spread: the cost of a selection is linear in the page sizes
above it, so a spread costs "multiplier x the fragment's own cost". A document that
spreads fragments exponentially ("fragment bomb") is therefore measured in linear time,
and a fragment cycle (reported by graphql-core's NoFragmentCyclesRule) counts once
instead of looping. The recursion follows the nesting of the document, which graphql-core
bounds (200 levels, fragments included) before the validation rules run.

A connection is any field with a `first` or `last` argument. Its page size is the
smaller of the two when both are given; when neither is, the argument's default in the
schema, else MAX_PAGE_SIZE (the worst case).

Variable values are unknown at validation time (`variables=None`): a page size given by a
variable is not checked then and counts as 0, so the cost found is a lower bound; the
check is redone with the values just before execution.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    GRAPHQL_MAX_INT,
    GRAPHQL_MIN_INT,
    ArgumentNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    NamedTypeNode,
    NullValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    get_named_type,
)

from schema.limits.numbers import MAX_PAGE_SIZE

PAGE_ARGUMENTS = ("first", "last")
# Introspection is bounded by MaxIntrospectionDepthRule, not by MAX_DEPTH (numbers.py).
INTROSPECTION_ROOTS = frozenset({"__schema", "__type"})


class _Unknown:
    """A page size given by a variable whose value is not known yet."""


UNKNOWN = _Unknown()


@dataclass(frozen=True)
class PageSizeProblem:
    """A `first` / `last` outside 0..MAX_PAGE_SIZE."""

    node: ArgumentNode
    field: str  # "Type.field"
    argument: str
    value: int


@dataclass
class Measure:
    depth: int
    aliases: int
    cost: int
    # True when a page size was still unknown (validation time): `cost` is then a minimum.
    cost_is_lower_bound: bool
    page_size_problems: list[PageSizeProblem] = field(default_factory=list)


@dataclass(frozen=True)
class _Stats:
    depth: int = 0
    aliases: int = 0
    cost: int = 0


_EMPTY = _Stats()


def measure_operation(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Mapping[str, Any] | None,
) -> Measure:
    """Measure `operation`; `variables` are the request's values, or None when unknown."""
    walker = _Walker(schema, document, operation, variables)
    root = schema.get_root_type(operation.operation)
    stats = walker.selection_set(operation.selection_set, root)
    return Measure(
        depth=stats.depth,
        aliases=stats.aliases,
        cost=stats.cost,
        cost_is_lower_bound=walker.saw_unknown,
        page_size_problems=walker.problems,
    )


class _Walker:
    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any] | None,
    ) -> None:
        self.schema = schema
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.variables = variables
        self.defaults: dict[str, int | _Unknown | None] = {
            d.variable.name.value: _default(d.default_value)
            for d in operation.variable_definitions or ()
            if d.default_value is not None
        }
        self.memo: dict[str, _Stats] = {}
        self.in_progress: set[str] = set()
        self.problems: list[PageSizeProblem] = []
        self.saw_unknown = False

    def selection_set(self, node: SelectionSetNode, parent: GraphQLNamedType | None) -> _Stats:
        depth = aliases = cost = 0
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                stats = self.field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                stats = self.selection_set(
                    selection.selection_set, self.type_of(selection.type_condition) or parent
                )
            elif isinstance(selection, FragmentSpreadNode):
                stats = self.fragment(selection.name.value)
            else:
                continue
            depth = max(depth, stats.depth)
            aliases += stats.aliases
            cost += stats.cost
        return _Stats(depth, aliases, cost)

    def fragment(self, name: str) -> _Stats:
        if name in self.memo:
            return self.memo[name]
        definition = self.fragments.get(name)
        if definition is None or name in self.in_progress:
            return _EMPTY  # unknown fragment or a cycle: both are reported by graphql-core
        self.in_progress.add(name)
        stats = self.selection_set(
            definition.selection_set, self.type_of(definition.type_condition)
        )
        self.in_progress.discard(name)
        self.memo[name] = stats
        return stats

    def field(self, node: FieldNode, parent: GraphQLNamedType | None) -> _Stats:
        definition = _field_definition(parent, node.name.value)
        page = None
        if definition is not None and parent is not None:
            page = self.page_size(node, definition, f"{parent.name}.{node.name.value}")
        children = _EMPTY
        if node.selection_set is not None:
            child_type = get_named_type(definition.type) if definition else None
            children = self.selection_set(node.selection_set, child_type)
        depth = 1 if node.name.value in INTROSPECTION_ROOTS else 1 + children.depth
        aliases = children.aliases + (1 if node.alias else 0)
        # A page of `page` items, each loading what its own selection loads.
        cost = children.cost if page is None else page + page * children.cost
        return _Stats(depth, aliases, cost)

    def page_size(self, node: FieldNode, definition: GraphQLField, field_name: str) -> int | None:
        """The page size of a connection (None when the field is not one)."""
        names = [name for name in PAGE_ARGUMENTS if name in definition.args]
        if not names:
            return None
        given: list[int] = []
        unknown = False
        for name in names:
            value, argument = self.argument(node, definition, name)
            if isinstance(value, _Unknown):
                unknown = True
            elif value is not None:
                if argument is not None and not 0 <= value <= MAX_PAGE_SIZE:
                    self.problems.append(PageSizeProblem(argument, field_name, name, value))
                given.append(max(value, 0))
        if unknown:
            self.saw_unknown = True
            return 0
        return min(given) if given else MAX_PAGE_SIZE

    def argument(
        self, node: FieldNode, definition: GraphQLField, name: str
    ) -> tuple[int | _Unknown | None, ArgumentNode | None]:
        argument = next((a for a in node.arguments or () if a.name.value == name), None)
        if argument is None:
            default = definition.args[name].default_value
            return (default if _is_int(default) else None), None
        value = argument.value
        if isinstance(value, IntValueNode):
            return _int_literal(value), argument
        if isinstance(value, VariableNode):
            return self.variable(value.name.value), argument
        return None, argument  # null, or a literal of the wrong type (validation reports it)

    def variable(self, name: str) -> int | _Unknown | None:
        if self.variables is None:
            return UNKNOWN
        if name not in self.variables:
            return self.defaults.get(name)
        raw = self.variables[name]
        if raw is None:
            return None
        if _is_int(raw) or (isinstance(raw, float) and raw.is_integer()):
            return _int32(int(raw))
        # Not an Int: graphql-core refuses it when it coerces the variables, before any
        # resolver runs.
        return UNKNOWN

    def type_of(self, node: NamedTypeNode | None) -> GraphQLNamedType | None:
        return self.schema.get_type(node.name.value) if node is not None else None


def _field_definition(parent: GraphQLNamedType | None, name: str) -> GraphQLField | None:
    if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        fields: dict[str, GraphQLField] = parent.fields
        return fields.get(name)
    return None


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# Page sizes outside GraphQL's Int (32 bits: 1e308, 10**40) are not page sizes: graphql-core
# refuses them as an Int while it validates the document or coerces the variables, and
# measuring them would report PAGE_SIZE_EXCEEDED (and a cost) echoing the huge number.


def _int32(value: int) -> int | _Unknown:
    return value if GRAPHQL_MIN_INT <= value <= GRAPHQL_MAX_INT else UNKNOWN


def _int_literal(node: IntValueNode) -> int | None:
    # The length is checked first: int() refuses more than 4,300 digits with a ValueError.
    if len(node.value) > len(str(GRAPHQL_MIN_INT)):
        return None
    value = _int32(int(node.value))
    return None if isinstance(value, _Unknown) else value


def _default(node: ValueNode) -> int | _Unknown | None:
    """A variable's default as a page size: validation refuses any default that is not an
    Int (or null) for an Int variable."""
    if isinstance(node, NullValueNode):
        return None
    if isinstance(node, IntValueNode):
        value = _int_literal(node)
        return UNKNOWN if value is None else value
    return UNKNOWN
