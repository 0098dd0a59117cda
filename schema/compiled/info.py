"""The `Info` a plan hands to the resolvers it calls directly, built lazily.

strawberry gives a resolver `Info(_raw_info=..., _field=...)`, where `_raw_info` is the
`GraphQLResolveInfo` graphql-core builds for every field: a tuple of 16 values and the
field's response path. The resolvers of this schema read `info.context` and little else
(the connections' look-ahead reads the field nodes), so a plan builds an `Info` of the
configured class whose `context` is set directly and whose `_raw_info` is built, exactly
as the executor builds it (`build_resolve_info`, same path), on first access. Every
attribute and property of `Info` answers what it answers on graphql-core.

Paths travel through a plan as plain tuples `(previous, key, typename)`, the fields of
graphql-core's `Path`, and become `Path`s only when an info is built.
"""

from __future__ import annotations

from typing import Any

from graphql.pyutils import Path
from strawberry.types.info import Info

# (previous, key, typename): a `Path` not made yet.
PathTuple = tuple[Any, str | int, str | None]


def real_path(path: Any) -> Path | None:
    """graphql-core's `Path` for a path of tuples (or a `Path`, or None)."""
    if path is None or type(path) is Path:
        return path
    return Path(real_path(path[0]), path[1], path[2])


def lazy_info_class(info_class: type[Any]) -> type[Any] | None:
    """A subclass of `info_class` built from the plan's run and field, or None when
    `info_class` reads its context in a way of its own (then plans build it as strawberry
    does)."""
    if not (isinstance(info_class, type) and issubclass(info_class, Info)):
        return None
    for klass in info_class.__mro__:
        if klass is Info:
            break
        if "context" in klass.__dict__ or "_raw_info" in klass.__dict__:
            return None

    class LazyInfo(info_class):  # type: ignore[misc]
        # Slots shadow `Info.context` (a property reading `_raw_info`) and keep what the
        # raw info is built from; `_built` stays unset until then (four stores per field).
        __slots__ = ("_built", "_path", "_plan", "_run", "context")
        _built: Any

        def __init__(self, run: Any, plan: Any, path: PathTuple) -> None:
            # run: the plan's Run; plan: the FieldPlan (plan.py imports this module).
            self.context = run.context
            self._run = run
            self._plan = plan
            self._path = path

        @property
        def _field(self) -> Any:
            return self._plan.strawberry_field

        @property
        def _raw_info(self) -> Any:
            try:
                return self._built
            except AttributeError:
                plan = self._plan
                built = self._built = self._run.build_info(
                    plan.field_def, plan.nodes, plan.parent_type, real_path(self._path)
                )
                return built

    LazyInfo.__name__ = LazyInfo.__qualname__ = f"Lazy{info_class.__name__}"
    return LazyInfo


__all__ = ["PathTuple", "lazy_info_class", "real_path"]
