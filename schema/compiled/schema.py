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

from graphql import execute as graphql_execute
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from schema.compiled.execution import CompiledExecution
from schema.limits.seatwise_schema import SeatwiseSchema

_COMPILED: ContextVar[bool] = ContextVar("seatwise_compiled_execution", default=True)


class CompilingSchema(SeatwiseSchema):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.compiled = CompiledExecution(
            self._schema, basic_getattr=self.config.default_resolver is getattr
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

    def _get_execute_function(self) -> Callable[..., Any]:
        standard = super()._get_execute_function()
        # Incremental delivery (@defer/@stream) has its own executor: never compiled.
        if not _COMPILED.get() or standard is not graphql_execute:
            return standard
        return self.compiled.execute
