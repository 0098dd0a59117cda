"""Look-ahead: does the query select a given path below the current field?

Walks graphql-core's syntax tree directly (through fragments and inline fragments), which
is much cheaper than building strawberry's `selected_fields` for the whole subtree.
"""

from __future__ import annotations

from collections.abc import Iterable

from graphql import FieldNode, FragmentDefinitionNode, FragmentSpreadNode, InlineFragmentNode
from graphql.language import SelectionNode

from schema.context import Info


def _fields_named(
    selections: Iterable[SelectionNode], name: str, fragments: dict[str, FragmentDefinitionNode]
) -> list[FieldNode]:
    found: list[FieldNode] = []
    for selection in selections:
        if isinstance(selection, FieldNode):
            if selection.name.value == name:
                found.append(selection)
        elif isinstance(selection, InlineFragmentNode):
            found += _fields_named(selection.selection_set.selections, name, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                found += _fields_named(fragment.selection_set.selections, name, fragments)
    return found


def selects(info: Info, *path: str) -> bool:
    """True when the current field's selection contains `path` (GraphQL field names)."""
    raw = info._raw_info
    level: list[FieldNode] = list(raw.field_nodes)
    for name in path:
        children: list[SelectionNode] = []
        for node in level:
            if node.selection_set is not None:
                children += node.selection_set.selections
        level = _fields_named(children, name, raw.fragments)
        if not level:
            return False
    return True
