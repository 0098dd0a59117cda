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
from functools import partial
from typing import Any, cast

from graphql import GraphQLField
from graphql import execute as graphql_execute
from strawberry.types import ExecutionResult
from strawberry.types.arguments import convert_arguments
from strawberry.types.field import StrawberryField
from strawberry.types.graphql import OperationType

from schema.compiled.execution import CompiledExecution, with_query_reads
from schema.compiled.info import lazy_info_class, real_path
from schema.compiled.plan import Direct
from schema.limits.seatwise_schema import SeatwiseSchema

# Set by `execute` only (whether the request is compiled): strawberry's other ways in
# (`execute_sync`, `introspect`, the streaming transports: None) keep graphql-core as is.
_COMPILED: ContextVar[bool | None] = ContextVar("seatwise_compiled_execution", default=None)


class CompilingSchema(SeatwiseSchema):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lazy_info = lazy_info_class(self.config.info_class)
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

    def _direct_resolver(self, field_def: GraphQLField) -> Direct | None:
        """What strawberry's resolve function of a field comes down to: its resolver,
        called with `self` (the source), its arguments converted as strawberry converts
        them and the `Info` it asks for. None where strawberry's wrapper does more (field
        extensions, permission classes, exception handlers): plans then call the wrapper
        itself."""
        field = field_def.extensions.get("strawberry-definition")
        if not isinstance(field, StrawberryField):
            return None
        resolver = field.base_resolver
        wrapper = getattr(field_def.resolve, "__qualname__", "")
        if (
            resolver is None
            or field.extensions
            or not wrapper.startswith("GraphQLCoreConverter.from_resolver.")
            or self.schema_converter._get_field_exception_handlers(field)
            or not callable(resolver.wrapped_func)
        ):
            return None
        return Direct(
            function=resolver.wrapped_func,
            field=field,
            with_self=resolver.self_parameter is not None,
            sources=tuple(
                parameter.name
                for parameter in (resolver.parent_parameter, resolver.root_parameter)
                if parameter is not None
            ),
            info_name=resolver.info_parameter.name if resolver.info_parameter else None,
            convert=self._converter(field) if field.arguments or field_def.args else None,
            make_info=self._info_maker(field),
        )

    def _converter(self, field: StrawberryField) -> Callable[[dict[str, Any], Any], Any]:
        """strawberry's conversion of a field's coerced arguments (input types, enums,
        lists, GlobalIDs, UNSET), as its `get_arguments` calls it."""
        arguments = field.arguments
        registry = self.schema_converter.scalar_registry
        config = self.config

        def convert(coerced: dict[str, Any], info: Any) -> dict[str, Any]:
            return convert_arguments(
                coerced, arguments, scalar_registry=registry, config=config, info=info
            )

        return convert

    def _info_maker(self, field: StrawberryField) -> Callable[[Any, Any, Any], Any]:
        lazy = self._lazy_info
        if lazy is not None:
            return cast("Callable[[Any, Any, Any], Any]", lazy)
        info_class = self.config.info_class

        def eager(run: Any, plan: Any, path: Any) -> Any:
            raw = run.build_info(plan.field_def, plan.nodes, plan.parent_type, real_path(path))
            return info_class(_raw_info=raw, _field=field)

        return eager

    def _get_execute_function(self) -> Callable[..., Any]:
        standard = super()._get_execute_function()
        compiled = _COMPILED.get()
        # Incremental delivery (@defer/@stream) has its own executor: never compiled; and
        # strawberry's other ways in (None) keep graphql-core's as it is.
        if compiled is None or standard is not graphql_execute:
            return standard
        return partial(with_query_reads, self.compiled.execute if compiled else standard)
