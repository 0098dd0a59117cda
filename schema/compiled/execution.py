"""Compiled execution: query operations answered by their plan (plan.py), everything else
and anything unusual by graphql-core.

The function strawberry calls to execute (`graphql.execute`) is replaced by
`CompiledExecution.execute`, after parsing, validation and the request limits, with the
same arguments. For a query it builds graphql-core's own executor (the operation, the
fragments, the variables coerced and checked exactly as graphql-core does: a refusal
there goes to graphql-core, which reports it), finds or compiles the plan, and runs it.
When the run meets anything graphql-core would report, the operation runs again through
graphql-core on a fresh set of loaders, so the answer (errors, partial data, and their
order) is graphql-core's own; every such fallback is counted by reason and logged.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from inspect import isawaitable
from typing import Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    ExecutionResult,
    GraphQLField,
    GraphQLSchema,
    OperationType,
    VariableNode,
    Visitor,
    get_operation_ast,
    visit,
)
from graphql import execute as graphql_execute
from graphql.execution import Executor
from graphql.execution.incremental import IncrementalExecutor

from schema.compiled.plan import Compiler, Direct, ObjectPlan, Run, Unsupported, execute_fields
from schema.context import Context
from schema.loaders.registry import Loaders

logger = logging.getLogger("seatwise.graphql.compiled")

# Plans kept (distinct document texts x operation names), least recently used dropped.
PLAN_CACHE_SIZE = 512
# Plans of one operation for distinct values of the variables its @skip/@include read.
VARIANTS_PER_OPERATION = 16
_SKIP_INCLUDE = frozenset({"skip", "include"})


@dataclass
class CompiledStats:
    """What the compiled path did since the schema was built (tests and benchmarks read it)."""

    # Operations answered by a plan.
    compiled: int = 0
    # Plans compiled (a cache miss each).
    plans_built: int = 0
    # Operations a plan could not answer, by reason: run again (or from the start, for
    # what plans do not support) through graphql-core.
    fallbacks: Counter[str] = field(default_factory=Counter)

    def reset(self) -> None:
        self.compiled = 0
        self.plans_built = 0
        self.fallbacks.clear()


@dataclass
class _Operation:
    """The cache entry of one document text and operation name."""

    directive_variables: tuple[str, ...]
    plans: dict[tuple[Any, ...], ObjectPlan | Unsupported] = field(default_factory=dict)


def document_key(query: str, operation_name: str | None) -> tuple[str, str | None]:
    """The plan cache key of a document text: its SHA-256 (as persisted queries name
    documents) and the operation name."""
    return hashlib.sha256(query.encode("utf-8")).hexdigest(), operation_name


class CompiledExecution:
    def __init__(
        self,
        schema: GraphQLSchema,
        *,
        basic_getattr: bool,
        direct: Callable[[GraphQLField], Direct | None] | None = None,
    ) -> None:
        self.schema = schema
        self.basic_getattr = basic_getattr
        self.direct = direct
        self.stats = CompiledStats()
        self._operations: OrderedDict[tuple[str, str | None], _Operation] = OrderedDict()

    def clear(self) -> None:
        self._operations.clear()

    async def execute(self, schema: GraphQLSchema, document: DocumentNode, **kwargs: Any) -> Any:
        """graphql-core's `execute`, through a plan when the operation is a query."""
        operation_name = kwargs.get("operation_name")
        operation = get_operation_ast(document, operation_name)
        if operation is None or operation.operation is not OperationType.QUERY:
            return await _standard(schema, document, kwargs)
        return await self._query(schema, document, operation_name, kwargs)

    async def _query(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation_name: str | None,
        kwargs: dict[str, Any],
    ) -> Any:
        manager = kwargs.get("middleware")
        if getattr(manager, "middlewares", None):
            return await self._fallback(schema, document, kwargs, "field middleware", None)
        executor = _executor(schema, document, kwargs)
        if not isinstance(executor, Executor):
            # The operation or its variables are refused: graphql-core says how.
            return await _standard(schema, document, kwargs)
        plan = self._plan(document, operation_name, executor)
        if isinstance(plan, Unsupported):
            return await self._fallback(schema, document, kwargs, plan.reason, None)
        run = Run(executor)
        data = execute_fields(run, plan, executor.root_value, None)
        if run.is_awaitable(data):
            data = await data
        if run.failure is not None:
            reason, error = run.failure
            # The run may have filled the request's loaders: graphql-core starts from
            # empty ones, as it would have without the plan.
            context = kwargs.get("context_value")
            if isinstance(context, Context):
                context.loaders = Loaders(context.scope)
            return await self._fallback(schema, document, kwargs, reason, error)
        self.stats.compiled += 1
        return ExecutionResult(data, None)

    async def _fallback(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        kwargs: dict[str, Any],
        reason: str,
        error: BaseException | None,
    ) -> Any:
        self.stats.fallbacks[reason] += 1
        logger.info(
            "compiled execution: %s in operation %s; answered by graphql-core (%s)",
            reason,
            kwargs.get("operation_name") or "(anonymous)",
            type(error).__name__ if error is not None else "no exception",
        )
        return await _standard(schema, document, kwargs)

    def _plan(
        self, document: DocumentNode, operation_name: str | None, executor: Executor[Any]
    ) -> ObjectPlan | Unsupported:
        source = document.loc.source.body if document.loc is not None else None
        if source is None:
            return Unsupported("document without its text")
        key = document_key(source, operation_name)
        entry = self._operations.get(key)
        if entry is None:
            entry = _Operation(_directive_variables(document))
            self._operations[key] = entry
            if len(self._operations) > PLAN_CACHE_SIZE:
                self._operations.popitem(last=False)
        else:
            self._operations.move_to_end(key)
        coerced = executor.variable_values.coerced
        variant = tuple(coerced.get(name) for name in entry.directive_variables)
        plan = entry.plans.get(variant)
        if plan is None:
            plan = self._compile(executor)
            if len(entry.plans) < VARIANTS_PER_OPERATION:
                entry.plans[variant] = plan
        return plan

    def _compile(self, executor: Executor[Any]) -> ObjectPlan | Unsupported:
        self.stats.plans_built += 1
        try:
            compiler = Compiler(self.schema, executor, self.basic_getattr, self.direct)
            return compiler.operation(executor.operation)
        except Unsupported as unsupported:
            return unsupported
        except RecursionError:
            return Unsupported("selections nested too deeply")


def _executor(schema: GraphQLSchema, document: DocumentNode, kwargs: dict[str, Any]) -> Any:
    """graphql-core's executor for these arguments (or its list of errors), built as its
    `execute` builds it."""
    arguments = dict(kwargs)
    executor_class = arguments.pop("executor_class", None) or IncrementalExecutor
    arguments["raw_variable_values"] = arguments.pop("variable_values", None)
    return executor_class.build(schema, document, **arguments)


async def with_query_reads(
    execute: Callable[..., Any], schema: GraphQLSchema, document: DocumentNode, **kwargs: Any
) -> Any:
    """`execute` (compiled or graphql-core's) with a query operation inside its context's
    `reads` block (the app's: one database connection for all the query's statements),
    whichever path answers it; mutations and anything without a Context as they are."""
    context = kwargs.get("context_value")
    operation = get_operation_ast(document, kwargs.get("operation_name"))
    if (
        not isinstance(context, Context)
        or operation is None
        or operation.operation is not OperationType.QUERY
    ):
        return await _settled(execute(schema, document, **kwargs))
    async with context.reads():
        return await _settled(execute(schema, document, **kwargs))


async def _settled(result: Any) -> Any:
    return await result if isawaitable(result) else result


async def _standard(schema: GraphQLSchema, document: DocumentNode, kwargs: dict[str, Any]) -> Any:
    result = graphql_execute(schema, document, **kwargs)
    if isinstance(result, ExecutionResult):
        return result
    return await result


def _directive_variables(document: DocumentNode) -> tuple[str, ...]:
    """The variables read by @skip/@include anywhere in the document (operations and
    fragments): which fields a plan collects depends on their values."""
    names: set[str] = set()

    class _Finder(Visitor):
        def enter_directive(self, directive: DirectiveNode, *_args: Any) -> Any:
            if directive.name.value in _SKIP_INCLUDE:
                for argument in directive.arguments or ():
                    if isinstance(argument.value, VariableNode):
                        names.add(argument.value.name.value)
            return None

    visit(document, _Finder())
    return tuple(sorted(names))


__all__ = ["CompiledExecution", "CompiledStats", "document_key"]
