"""The served schema with compiled execution (execution.py) as its execute function.

strawberry picks the function that executes the parsed, validated and limited operation
in `_get_execute_function`; this class answers with the compiled path unless the caller
turned it off for the request (`execute(..., compiled=False)`: the app's
COMPILED_EXECUTION setting). The choice travels in a context variable because strawberry
asks for the function inside its own `execute`, which this class wraps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any

from graphql import GraphQLField
from graphql import execute as graphql_execute
from strawberry.types import ExecutionResult
from strawberry.types.field import StrawberryField
from strawberry.types.graphql import OperationType

from schema.compiled.execution import CompiledExecution
from schema.limits.seatwise_schema import SeatwiseSchema

# Set by `execute` only: strawberry's other ways in (`execute_sync`, `introspect`, the
# streaming transports) keep graphql-core.
_COMPILED: ContextVar[bool] = ContextVar("seatwise_compiled_execution", default=False)


class CompilingSchema(SeatwiseSchema):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.compiled = CompiledExecution(
            self._schema,
            basic_getattr=self.config.default_resolver is getattr,
            direct=self._direct_resolver,
        )

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
        *,
        compiled: bool = True,
    ) -> ExecutionResult:
        token = _COMPILED.set(compiled)
        try:
            return await super().execute(
                query,
                variable_values=variable_values,
                context_value=context_value,
                root_value=root_value,
                operation_name=operation_name,
                allowed_operation_types=allowed_operation_types,
                operation_extensions=operation_extensions,
            )
        finally:
            _COMPILED.reset(token)

    def _direct_resolver(self, field_def: GraphQLField) -> Callable[..., Any] | None:
        """What strawberry's resolve function of a field without arguments comes down to,
        as a function of (source, info): its resolver called with `self` (the source) and
        the `Info` it asks for, built as strawberry builds it. None where strawberry's
        wrapper does more (field extensions, permission classes, exception handlers,
        arguments): plans then call the wrapper itself."""
        field = field_def.extensions.get("strawberry-definition")
        if not isinstance(field, StrawberryField):
            return None
        resolver = field.base_resolver
        wrapper = getattr(field_def.resolve, "__qualname__", "")
        if (
            resolver is None
            or field.extensions
            or field.arguments
            or field_def.args
            or not wrapper.startswith("GraphQLCoreConverter.from_resolver.")
            or self.schema_converter._get_field_exception_handlers(field)
            or not callable(resolver.wrapped_func)
        ):
            return None
        return _direct(
            resolver.wrapped_func,
            field,
            self.config.info_class,
            with_self=resolver.self_parameter is not None,
            sources=tuple(
                parameter.name
                for parameter in (resolver.parent_parameter, resolver.root_parameter)
                if parameter is not None
            ),
            info_name=resolver.info_parameter.name if resolver.info_parameter else None,
        )

    def _get_execute_function(self) -> Callable[..., Any]:
        standard = super()._get_execute_function()
        # Incremental delivery (@defer/@stream) has its own executor: never compiled.
        if not _COMPILED.get() or standard is not graphql_execute:
            return standard
        return self.compiled.execute


def _direct(
    function: Callable[..., Any],
    field: StrawberryField,
    info_class: Callable[..., Any],
    *,
    with_self: bool,
    sources: tuple[str, ...],
    info_name: str | None,
) -> Callable[..., Any]:
    """strawberry's `get_arguments` and `get_result` for a field without arguments, decided
    once: the source first when the resolver takes `self`, as `parent`/`root` keywords when
    it names them, and the `Info` under the name it gives it."""
    if with_self and not sources and info_name is not None:
        # The resolvers of this schema: `def field(self, info: Info)`.
        def self_and_info(source: Any, info: Any) -> Any:
            return function(source, **{info_name: info_class(_raw_info=info, _field=field)})

        return self_and_info

    def general(source: Any, info: Any) -> Any:
        keywords: dict[str, Any] = dict.fromkeys(sources, source)
        if info_name is not None:
            keywords[info_name] = info_class(_raw_info=info, _field=field)
        return function(source, **keywords) if with_self else function(**keywords)

    return general
