"""Plans: one query operation compiled into closures that build the result directly.

A plan mirrors what graphql-core's executor does for the same operation, step for step,
without re-deciding at every field what it already decided for the previous object:

- the fields of each selection set are collected once, by graphql-core's own
  `collect_fields` / `collect_subfields` (merging, fragments, `@skip` / `@include`);
- a field without a resolver of its own (strawberry's "basic" field) reads the attribute
  as strawberry's default resolver does (`getattr`), a leaf is serialized by its type's
  `coerce_output_value` (the function graphql-core calls);
- a field with a resolver of its own calls what strawberry's wrapper would call (schema.py
  decides where the wrapper does nothing else: no field extension, no exception
  handler): the resolver function itself, with the arguments coerced by graphql-core's
  `get_argument_values` and converted by strawberry's `convert_arguments` (once per run
  when every converted value is immutable), and an `Info` of the configured class whose
  `GraphQLResolveInfo` is built on first access (info.py), as the executor builds it;
- any other field calls the resolve function graphql-core would call
  (`GraphQLField.resolve`, strawberry's wrapper) with the `GraphQLResolveInfo` the
  executor itself builds (`build_resolve_info`: same path, same nodes, same variables);
- a leaf of a built-in scalar whose value has the exact type the scalar returns as is
  (`str` for String and ID, `bool`, `int` within 32 bits) is that value, an enum member is
  the name strawberry's serializer gives it (a table made once); anything else goes
  through the type's `coerce_output_value`;
- awaitables are gathered where graphql-core gathers them (per selection set and per
  list, one task each, in the same order; a single awaitable is awaited directly), so
  DataLoader batches, and therefore the SQL statements, are the same.

A plan never produces an error itself: whatever graphql-core would report (a resolver
raising, a null in a non-null field, a value its type refuses, an abstract type without a
runtime type) marks the run as failed and completes with null; the caller then runs the
operation again through graphql-core, whose errors and partial results are the answer.
What a plan does not support at all (`Unsupported`) is known when it is compiled.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    GraphQLAbstractType,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLSchema,
    OperationDefinitionNode,
    is_abstract_type,
    is_enum_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution import Executor
from graphql.execution.collect_fields import FieldDetails, collect_fields, collect_subfields
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, Undefined, is_iterable
from graphql.type.scalars import (
    GRAPHQL_MAX_INT,
    GRAPHQL_MIN_INT,
    serialize_boolean,
    serialize_id,
    serialize_int,
    serialize_string,
)
from strawberry.types.unset import UNSET

from schema.compiled import awaitable
from schema.compiled.info import PathTuple, real_path

# Root fields of introspection: served by graphql-core (rare, and not worth a plan).
INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})
TYPENAME = "__typename"

Completer = Callable[["Run", Any, Any, Any], Any]

# What graphql-core's Int serializes as it is.
_INT_RANGE = range(GRAPHQL_MIN_INT, GRAPHQL_MAX_INT + 1)
# graphql-core's serializers that return a value of this exact type as it is.
_AS_IS: dict[Any, type] = {
    serialize_string: str,
    serialize_id: str,
    serialize_boolean: bool,
    serialize_int: int,
}


@dataclass(frozen=True)
class Direct:
    """What strawberry's resolve function of a field comes down to (schema.py decides
    where it does nothing more): its resolver function, called with the source first when
    it takes `self`, as `parent`/`root` keywords when it names them, its converted
    arguments, and the `Info` under the name it gives it."""

    function: Callable[..., Any]
    # The StrawberryField (the `_field` of the Info).
    field: Any
    with_self: bool
    sources: tuple[str, ...]
    info_name: str | None
    # graphql-core's coerced arguments -> the resolver's keyword arguments (strawberry's
    # `convert_arguments`, given the Info); None for a field without arguments.
    convert: Callable[[dict[str, Any], Any], dict[str, Any]] | None
    # Makes the Info from (run, field plan, path): info.py's lazy class, or strawberry's
    # own built from the full GraphQLResolveInfo.
    make_info: Callable[[Any, Any, Any], Any]


class Unsupported(Exception):
    """The operation uses something plans do not do; it runs on graphql-core."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Run:
    """The state of one execution of a plan."""

    __slots__ = (
        "arguments",
        "build_info",
        "context",
        "converted",
        "executor",
        "failure",
        "is_awaitable",
    )

    def __init__(self, executor: Executor[Any]) -> None:
        self.executor = executor
        self.context = executor.context_value
        self.build_info = executor.build_resolve_info
        self.is_awaitable = awaitable.predicate(executor.is_awaitable)
        # The reason and the exception of the first thing graphql-core would report.
        self.failure: tuple[str, BaseException | None] | None = None
        # Arguments depend on the field node and the variables only: coerced once per run.
        self.arguments: dict[int, dict[str, Any]] = {}
        # Converted arguments made only of immutable values: converted once per run.
        self.converted: dict[int, dict[str, Any]] = {}

    def fail(self, reason: str, error: BaseException | None = None) -> None:
        if self.failure is None:
            self.failure = (reason, error)


class ObjectPlan:
    """The collected fields of one selection set on one concrete object type."""

    __slots__ = ("complete", "fields", "is_type_of", "type")

    def __init__(self, object_type: GraphQLObjectType) -> None:
        self.type = object_type
        self.is_type_of = object_type.is_type_of
        self.fields: list[FieldPlan] = []
        # Completes a value of this type (for abstract fields, which find the type at run).
        self.complete = _object(self, non_null=False)


class FieldPlan:
    __slots__ = (
        "as_is",
        "attribute",
        "bounded",
        "call",
        "coerce",
        "complete",
        "convert",
        "direct",
        "enum_class",
        "enum_names",
        "field_def",
        "has_arguments",
        "key",
        "leaf",
        "make_info",
        "name",
        "needs_info",
        "node",
        "nodes",
        "non_null",
        "parent_name",
        "parent_type",
        "resolve",
        "strawberry_field",
        "typename",
    )

    def __init__(
        self, key: str, field_def: GraphQLField, nodes: list[FieldNode], parent: GraphQLObjectType
    ) -> None:
        self.key = key
        self.field_def = field_def
        self.nodes = nodes
        self.node = nodes[0]
        self.name = nodes[0].name.value
        self.parent_type = parent
        self.parent_name = parent.name
        self.resolve: Callable[..., Any] = field_def.resolve  # type: ignore[assignment]
        self.has_arguments = bool(field_def.args or self.node.arguments)
        # For strawberry's basic fields: the attribute its default resolver reads.
        self.attribute: str | None = None
        # For fields whose resolver is called directly.
        self.direct: Direct | None = None
        self.call: Callable[..., Any] | None = None
        self.make_info: Callable[[Any, Any, Any], Any] | None = None
        self.convert: Callable[[dict[str, Any], Any], dict[str, Any]] | None = None
        self.strawberry_field: Any = None
        # For leaves: the serializer, and whether null is refused.
        self.leaf = False
        self.coerce: Callable[[Any], Any] | None = None
        self.non_null = False
        # The exact type of the values the serializer returns as they are (an `int` only
        # within 32 bits: `bounded`), and the names of an enum's members.
        self.as_is: type | None = None
        self.bounded = False
        self.enum_class: type | None = None
        self.enum_names: dict[Any, str] | None = None
        self.complete: Completer | None = None
        self.typename = self.name == TYPENAME
        # For basic fields of objects and lists: whether completing the value reads `info`
        # (an abstract type's resolve_type, an is_type_of not strawberry's own).
        self.needs_info = True


class Compiler:
    """Compiles the selection sets of one operation, given the executor of its first run
    (its fragments and variables decide which fields `@skip` / `@include` keep)."""

    def __init__(
        self,
        schema: GraphQLSchema,
        executor: Executor[Any],
        basic_getattr: bool,
        direct: Callable[[GraphQLField], Direct | None] | None = None,
    ) -> None:
        self.schema = schema
        # Gives the resolver function to call instead of strawberry's wrapper, for the
        # fields where the wrapper would only convert arguments (schema.py decides).
        self.direct = direct
        # What collecting fields needs, not the executor itself: a cached plan must not
        # keep the first request's context (and its loaded rows) alive.
        self.fragments = executor.fragments
        self.variable_values = executor.variable_values
        self.operation_node = executor.operation
        self.hide_suggestions = executor.hide_suggestions
        self.type_resolver = executor.type_resolver
        # strawberry's default resolver is `getattr` unless the config says otherwise.
        self.basic_getattr = basic_getattr
        # Abstract fields compile the runtime types they meet, on first meeting.
        self.pending: list[Callable[[], None]] = []

    def operation(self, operation: OperationDefinitionNode) -> ObjectPlan:
        root = self.schema.get_root_type(operation.operation)
        if root is None:
            raise Unsupported("no root type")
        collected = collect_fields(
            self.schema,
            self.fragments,
            self.variable_values,
            root,
            operation,
            self.hide_suggestions,
        )
        if collected.new_defer_usages:
            raise Unsupported("defer")
        return self.object_plan(root, collected.grouped_field_set, root=True)

    def object_plan(
        self,
        object_type: GraphQLObjectType,
        grouped: dict[str, list[FieldDetails]],
        root: bool = False,
    ) -> ObjectPlan:
        plan = ObjectPlan(object_type)
        for key, details in grouped.items():
            if any(d.fragment_variable_values is not None for d in details):
                raise Unsupported("fragment arguments")
            nodes = [d.node for d in details]
            name = nodes[0].name.value
            if name in INTROSPECTION_FIELDS:
                raise Unsupported("introspection")
            field_def = self.schema.get_field(object_type, name)
            if field_def is None:
                continue  # graphql-core leaves the key out (validation refuses it anyway)
            plan.fields.append(self.field_plan(key, field_def, details, object_type))
        return plan

    def field_plan(
        self,
        key: str,
        field_def: GraphQLField,
        details: list[FieldDetails],
        parent: GraphQLObjectType,
    ) -> FieldPlan:
        nodes = [d.node for d in details]
        plan = FieldPlan(key, field_def, nodes, parent)
        if plan.typename:
            plan.attribute = None
        elif plan.resolve is None:
            # graphql-core would use its default field resolver: strawberry gives every
            # field a resolve function, so this is not a strawberry field.
            raise Unsupported("field without a resolve function")
        elif (
            self.basic_getattr
            and getattr(plan.resolve, "__name__", "") == "_get_basic_result"
            and not plan.has_arguments
        ):
            definition = field_def.extensions.get("strawberry-definition")
            python_name = getattr(definition, "python_name", None)
            if isinstance(python_name, str):
                plan.attribute = python_name
        elif self.direct is not None:
            direct = self.direct(field_def)
            if direct is not None and (direct.convert is not None or not plan.has_arguments):
                plan.direct = direct
                plan.call = _caller(direct)
                plan.make_info = direct.make_info
                plan.convert = direct.convert
                plan.strawberry_field = direct.field
        return_type = field_def.type
        named = return_type.of_type if is_non_null_type(return_type) else return_type
        if is_leaf_type(named):
            plan.leaf = True
            # Serializing a leaf reads no info.
            plan.needs_info = False
            plan.non_null = is_non_null_type(return_type)
            plan.coerce = named.coerce_output_value
            plan.as_is = _AS_IS.get(plan.coerce)
            plan.bounded = plan.coerce is serialize_int
            if is_enum_type(named):
                plan.enum_class, plan.enum_names = _enum_names(named)
        else:
            plan.complete = self.completer(return_type, details)
            plan.needs_info = _reads_info(return_type)
        return plan

    def completer(self, return_type: GraphQLOutputType, details: list[FieldDetails]) -> Completer:
        if is_non_null_type(return_type):
            if is_object_type(return_type.of_type):
                # The object's completion checks the null itself (one call per object).
                return _object(self.sub_plan(return_type.of_type, details), non_null=True)
            return _non_null(self.completer(return_type.of_type, details))
        if is_list_type(return_type):
            return _nullable(self.list_completer(return_type, details))
        if is_leaf_type(return_type):
            return _nullable(_leaf(return_type.coerce_output_value))
        if is_abstract_type(return_type):
            return _nullable(self.abstract_completer(return_type, details))
        if is_object_type(return_type):
            return _object(self.sub_plan(return_type, details), non_null=False)
        raise Unsupported(f"output type {return_type}")

    def sub_plan(self, object_type: GraphQLObjectType, details: list[FieldDetails]) -> ObjectPlan:
        collected = collect_subfields(
            self.schema,
            self.fragments,
            self.variable_values,
            self.operation_node,
            object_type,
            details,
            self.hide_suggestions,
        )
        if collected.new_defer_usages:
            raise Unsupported("defer")
        return self.object_plan(object_type, collected.grouped_field_set)

    def list_completer(
        self, return_type: GraphQLList[GraphQLOutputType], details: list[FieldDetails]
    ) -> Completer:
        item = self.completer(return_type.of_type, details)
        return _list(item)

    def abstract_completer(
        self, return_type: GraphQLAbstractType, details: list[FieldDetails]
    ) -> Completer:
        # Runtime types met so far: compiled on first meeting, with this compiler's
        # executor (the plan's fragments and directive values; variables of later runs
        # only matter to @skip/@include, which are part of the plan's key).
        plans: dict[str, ObjectPlan] = {}
        schema = self.schema

        def plan_for(name: Any, value: Any) -> ObjectPlan | None:
            plan = plans.get(name) if isinstance(name, str) else None
            if plan is not None:
                return plan
            runtime = schema.get_type(name) if isinstance(name, str) else None
            if runtime is None or not is_object_type(runtime):
                return None
            if not schema.is_sub_type(return_type, runtime):
                return None
            plan = plans[name] = self.sub_plan(runtime, details)
            return plan

        resolve_type = return_type.resolve_type or self.type_resolver
        return _abstract(return_type, resolve_type, plan_for)


def _caller(direct: Direct) -> Callable[..., Any]:
    """(source, info, **arguments) -> the resolver's result, as strawberry's
    `get_arguments` and `get_result` call it: converted arguments first, then the source
    keywords, then the info."""
    function, info_name, sources = direct.function, direct.info_name, direct.sources
    if direct.with_self and not sources and info_name == "info" and direct.convert is None:
        # The resolvers of this schema: `def field(self, info: Info)`.

        def call_self_info(source: Any, info: Any) -> Any:
            return function(source, info=info)

        return call_self_info
    if direct.with_self and not sources:
        if info_name is None:

            def call_self(source: Any, info: Any, **arguments: Any) -> Any:
                return function(source, **arguments)

            return call_self

        def call_self_and_info(source: Any, info: Any, **arguments: Any) -> Any:
            arguments[info_name] = info
            return function(source, **arguments)

        return call_self_and_info

    with_self = direct.with_self

    def call(source: Any, info: Any, **arguments: Any) -> Any:
        for name in sources:
            arguments[name] = source
        if info_name is not None:
            arguments[info_name] = info
        return function(source, **arguments) if with_self else function(**arguments)

    return call


def _enum_names(enum_type: Any) -> tuple[type | None, dict[Any, str] | None]:
    """The Python enum behind a strawberry enum type and the name `coerce_output_value`
    gives each of its members, asked once per member (a value of exactly that class is
    looked up; anything else goes to the serializer); None for an enum type that is not
    strawberry's."""
    wrapped = getattr(enum_type, "wrapped_cls", None)
    if not (isinstance(wrapped, type) and issubclass(wrapped, enum.Enum)):
        return None, None
    names: dict[Any, str] = {}
    for member in wrapped:
        try:
            name = enum_type.coerce_output_value(member)
        except Exception:  # noqa: BLE001 - left to the serializer, which reports it
            continue
        if isinstance(name, str):
            names[member] = name
    return wrapped, names


def _reads_info(return_type: GraphQLOutputType) -> bool:
    named: Any = return_type
    while is_non_null_type(named) or is_list_type(named):
        named = named.of_type
    if is_abstract_type(named):
        return True
    is_type_of = getattr(named, "is_type_of", None)
    # strawberry's own is_type_of (an isinstance check) takes `_info` and ignores it.
    return is_type_of is not None and not getattr(is_type_of, "__qualname__", "").startswith(
        "GraphQLCoreConverter.from_object."
    )


# Completers: (run, value, info, path) -> completed value or awaitable -----------------


def _nullable(complete: Completer) -> Completer:
    def complete_nullable(run: Run, value: Any, info: Any, path: Any) -> Any:
        if value is None or value is Undefined:
            return None
        if isinstance(value, Exception):
            run.fail("resolver returned an error", value)
            return None
        return complete(run, value, info, path)

    return complete_nullable


def _non_null(complete: Completer) -> Completer:
    def complete_non_null(run: Run, value: Any, info: Any, path: Any) -> Any:
        completed = complete(run, value, info, path)
        if completed is None:
            run.fail("null in a non-null field")
        elif type(completed) not in _COMPLETE and run.is_awaitable(completed):
            return _await_non_null(run, completed)
        return completed

    return complete_non_null


async def _await_non_null(run: Run, completed: Awaitable[Any]) -> Any:
    value = await completed
    if value is None:
        run.fail("null in a non-null field")
    return value


def _leaf(coerce: Callable[[Any], Any]) -> Completer:
    def complete_leaf(run: Run, value: Any, info: Any, path: Any) -> Any:
        try:
            coerced = coerce(value)
        except Exception as error:  # noqa: BLE001 - graphql-core reports any
            run.fail("leaf value refused", error)
            return None
        if coerced is None or coerced is Undefined:
            run.fail("leaf value serialized as null")
            return None
        return coerced

    return complete_leaf


def _object(plan: ObjectPlan, *, non_null: bool) -> Completer:
    """`_non_null` or `_nullable` and the completion of an object, in one function: a
    selection set's dict (or awaitable of it) is never null, so a non-null object needs
    no check after completion."""
    is_type_of = plan.is_type_of

    def complete_object(run: Run, value: Any, info: Any, path: Any) -> Any:
        if value is None or value is Undefined:
            if non_null:
                run.fail("null in a non-null field")
            return None
        if isinstance(value, Exception):
            run.fail("resolver returned an error", value)
            return None
        if is_type_of is not None:
            try:
                matches = is_type_of(value, info)
            except Exception as error:  # noqa: BLE001 - graphql-core reports any
                run.fail("is_type_of raised", error)
                return None
            if type(matches) is not bool and run.is_awaitable(matches):
                run.fail("asynchronous is_type_of")
                _discard(matches)
                return None
            if not matches:
                run.fail("value of another type")
                return None
        return execute_fields(run, plan, value, path)

    return complete_object


def _abstract(
    return_type: GraphQLAbstractType,
    resolve_type: Callable[..., Any],
    plan_for: Callable[[Any, Any], ObjectPlan | None],
) -> Completer:
    def complete_abstract(run: Run, value: Any, info: Any, path: Any) -> Any:
        try:
            name = resolve_type(value, info, return_type)
        except Exception as error:  # noqa: BLE001 - graphql-core reports any
            run.fail("resolve_type raised", error)
            return None
        if run.is_awaitable(name):
            run.fail("asynchronous resolve_type")
            _discard(name)
            return None
        try:
            plan = plan_for(name, value)
        except Unsupported as unsupported:
            run.fail(unsupported.reason)
            return None
        if plan is None:
            run.fail("no runtime type")
            return None
        return plan.complete(run, value, info, path)

    return complete_abstract


def _list(item: Completer) -> Completer:
    def complete_list(run: Run, value: Any, info: Any, path: Any) -> Any:
        if not is_iterable(value):
            run.fail("not a list")
            return None
        is_awaitable = run.is_awaitable
        results: list[Any] = []
        append = results.append
        pending: list[int] = []
        for index, element in enumerate(value):
            item_path = (path, index, None)
            if is_awaitable(element):
                append(_await_item(run, item, element, info, item_path))
                pending.append(index)
                continue
            completed = item(run, element, info, item_path)
            if (
                completed is not None
                and type(completed) not in _COMPLETE
                and is_awaitable(completed)
            ):
                pending.append(index)
            append(completed)
        if not pending:
            return results
        return _gather_list(results, pending)

    return complete_list


async def _await_item(run: Run, item: Completer, element: Any, info: Any, path: PathTuple) -> Any:
    try:
        resolved = await element
    except Exception as error:  # noqa: BLE001 - graphql-core reports any
        run.fail("list item raised", error)
        return None
    completed = item(run, resolved, info, path)
    if run.is_awaitable(completed):
        completed = await completed
    return completed


async def _gather_list(results: list[Any], pending: list[int]) -> list[Any]:
    if len(pending) == 1:
        index = pending[0]
        results[index] = await results[index]
    else:
        awaited = await asyncio.gather(*(results[index] for index in pending))
        for index, value in zip(pending, awaited, strict=True):
            results[index] = value
    return results


def _discard(awaitable: Any) -> None:
    close = getattr(awaitable, "close", None)
    if callable(close):
        close()


# Selection sets -------------------------------------------------------------------------


# Values whose type says they are neither awaitable nor an Exception: the common leaves
# (checked by exact type, as strawberry's `optimized_is_awaitable` does first).
_PLAIN = frozenset({str, int, float, bool})
# Completed values that are never awaitable.
_COMPLETE = frozenset({dict, list, str, int, float, bool})


def execute_fields(run: Run, plan: ObjectPlan, source: Any, path: PathTuple | None) -> Any:
    """The result of one selection set on `source`: a dict, or an awaitable of it. `path`:
    the response path of `source`, as tuples (info.py)."""
    results: dict[str, Any] = {}
    pending: list[str] | None = None
    is_awaitable = run.is_awaitable
    for field in plan.fields:
        key = field.key
        attribute = field.attribute
        if attribute is not None and field.leaf:
            # The hot path: strawberry's basic field (getattr) holding a scalar or enum.
            try:
                value = getattr(source, attribute)
            except Exception as error:  # noqa: BLE001 - graphql-core reports any
                run.fail("attribute missing", error)
                results[key] = None
                continue
            value_type = type(value)
            if value_type is field.as_is and (not field.bounded or value in _INT_RANGE):
                results[key] = value
                continue
            if value is None:
                if field.non_null:
                    run.fail("null in a non-null field")
                results[key] = None
                continue
            if value_type in _PLAIN or not (is_awaitable(value) or isinstance(value, Exception)):
                results[key] = _coerce_leaf(run, field, value)
                continue
            result = _execute_field(run, field, source, path, value)
        elif attribute is not None:
            result = _execute_basic(run, field, source, path, attribute)
        elif field.typename:
            results[key] = field.parent_name
            continue
        elif field.call is not None:
            result = _execute_direct(run, field, source, path)
        else:
            result = _execute_field(run, field, source, path, _UNRESOLVED)
        results[key] = result
        if result is not None and type(result) not in _COMPLETE and is_awaitable(result):
            if pending is None:
                pending = [key]
            else:
                pending.append(key)
    if pending is None:
        return results
    return _gather_fields(results, pending)


def _execute_basic(
    run: Run, field: FieldPlan, source: Any, path: PathTuple | None, attribute: str
) -> Any:
    """A basic field holding an object or a list: graphql-core's default resolver reads
    it; the info is built only when completing the value reads it."""
    try:
        value = getattr(source, attribute)
    except Exception as error:  # noqa: BLE001 - graphql-core reports any
        run.fail("attribute missing", error)
        return None
    if field.needs_info:
        return _execute_field(run, field, source, path, value)
    field_path = (path, field.key, field.parent_name)
    if run.is_awaitable(value):
        return _complete_awaitable(run, field, value, None, field_path)
    return _complete(run, field, value, None, field_path)


async def _gather_fields(results: dict[str, Any], pending: list[str]) -> dict[str, Any]:
    if len(pending) == 1:
        key = pending[0]
        results[key] = await results[key]
    else:
        awaited = await asyncio.gather(*(results[key] for key in pending))
        results.update(zip(pending, awaited, strict=True))
    return results


def _coerce_leaf(run: Run, field: FieldPlan, value: Any) -> Any:
    if type(value) is field.as_is and (not field.bounded or value in _INT_RANGE):
        return value
    names = field.enum_names
    if names is not None and type(value) is field.enum_class:
        name = names.get(value)
        if name is not None:
            return name
    try:
        coerced = field.coerce(value)  # type: ignore[misc]
    except Exception as error:  # noqa: BLE001 - graphql-core reports any
        run.fail("leaf value refused", error)
        return None
    if coerced is None or coerced is Undefined:
        run.fail("leaf value serialized as null")
        return None
    return coerced


_UNRESOLVED = object()


def _execute_direct(run: Run, field: FieldPlan, source: Any, parent_path: PathTuple | None) -> Any:
    """A field whose resolver is called directly (`Direct`)."""
    path = (parent_path, field.key, field.parent_name)
    info = field.make_info(run, field, path)  # type: ignore[misc]
    try:
        if field.convert is None:
            value = field.call(source, info)  # type: ignore[misc]
        else:
            value = field.call(source, info, **_converted(run, field, info))  # type: ignore[misc]
    except Exception as error:  # noqa: BLE001 - graphql-core reports any
        run.fail("resolver raised", error)
        return None
    # What completing the value reads: the GraphQLResolveInfo (built now) or nothing.
    raw = info._raw_info if field.needs_info else None
    if type(value) not in _COMPLETE and run.is_awaitable(value):
        return _complete_awaitable(run, field, value, raw, path)
    return _complete(run, field, value, raw, path)


# Converted argument values that no resolver can change: shared by the calls of a run.
_IMMUTABLE = frozenset({type(None), str, int, float, bool})


def _converted(run: Run, field: FieldPlan, info: Any) -> dict[str, Any]:
    cached = run.converted.get(id(field))
    if cached is not None:
        return cached
    converted = field.convert(_arguments(run, field), info)  # type: ignore[misc]
    if all(
        type(value) in _IMMUTABLE or isinstance(value, enum.Enum) or value is UNSET
        for value in converted.values()
    ):
        run.converted[id(field)] = converted
    return converted


def _execute_field(
    run: Run, field: FieldPlan, source: Any, parent_path: PathTuple | None, value: Any
) -> Any:
    """One field the way graphql-core's `execute_field` runs it."""
    path = Path(real_path(parent_path), field.key, field.parent_name)
    info: GraphQLResolveInfo[Any] = run.build_info(
        field.field_def, field.nodes, field.parent_type, path
    )
    if value is _UNRESOLVED:
        try:
            arguments = _arguments(run, field) if field.has_arguments else {}
            value = field.resolve(source, info, **arguments)
        except Exception as error:  # noqa: BLE001 - graphql-core reports any
            run.fail("resolver raised", error)
            return None
    if run.is_awaitable(value):
        return _complete_awaitable(run, field, value, info, path)
    return _complete(run, field, value, info, path)


def _arguments(run: Run, field: FieldPlan) -> dict[str, Any]:
    cached = run.arguments.get(id(field))
    if cached is None:
        executor = run.executor
        cached = run.arguments[id(field)] = get_argument_values(
            field.field_def,
            field.node,
            executor.variable_values,
            None,
            executor.hide_suggestions,
        )
    return cached


def _complete(run: Run, field: FieldPlan, value: Any, info: Any, path: Any) -> Any:
    if field.leaf:
        if value is None or value is Undefined:
            if field.non_null:
                run.fail("null in a non-null field")
            return None
        if isinstance(value, Exception):
            run.fail("resolver returned an error", value)
            return None
        return _coerce_leaf(run, field, value)
    return field.complete(run, value, info, path)  # type: ignore[misc]


async def _complete_awaitable(
    run: Run, field: FieldPlan, value: Awaitable[Any], info: Any, path: Any
) -> Any:
    try:
        resolved = await value
    except Exception as error:  # noqa: BLE001 - graphql-core reports any
        run.fail("resolver raised", error)
        return None
    completed = _complete(run, field, resolved, info, path)
    if run.is_awaitable(completed):
        completed = await completed
    return completed


__all__ = [
    "Compiler",
    "GraphQLNonNull",
    "ObjectPlan",
    "Run",
    "Unsupported",
    "execute_fields",
]
