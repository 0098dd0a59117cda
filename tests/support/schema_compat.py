"""Schema discipline (API conventions): what a change to the API breaks for its clients, and
what it leaves undescribed. Used by tests/schema; kept here so it can be unit-tested on
hand-written SDL.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TypeVar

from graphql import (
    DefinitionNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumValueDefinitionNode,
    FieldDefinitionNode,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InputObjectTypeDefinitionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    TypeDefinitionNode,
    build_ast_schema,
    find_breaking_changes,
    is_introspection_type,
    is_specified_directive,
    is_specified_scalar_type,
    parse,
)


def breaking_changes(baseline_sdl: str, current: GraphQLSchema) -> list[str]:
    """The changes from `baseline_sdl` to `current` that can break a client, as
    "KIND: description". Removing a field or an enum value is allowed once the baseline
    has it deprecated: the deprecation period is what warns the clients."""
    document = _without_retired(parse(baseline_sdl), current)
    baseline = build_ast_schema(document)
    return [
        f"{change.type.name}: {change.description}"
        for change in find_breaking_changes(baseline, current)
    ]


def _without_retired(document: DocumentNode, current: GraphQLSchema) -> DocumentNode:
    """The baseline without its deprecated fields and enum values that `current` no
    longer has, so that their removal is not reported."""
    definitions: list[DefinitionNode] = []
    for definition in document.definitions:
        edited: DefinitionNode = definition
        if isinstance(definition, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
            edited = replace(definition, fields=_keep(definition.fields, current, definition))
        elif isinstance(definition, InputObjectTypeDefinitionNode):
            # Its own branch for mypy: its fields are input values, not field definitions.
            input_fields = _keep(definition.fields, current, definition)
            edited = replace(definition, fields=input_fields)
        elif isinstance(definition, EnumTypeDefinitionNode):
            edited = replace(definition, values=_keep(definition.values, current, definition))
        definitions.append(edited)
    return DocumentNode(definitions=tuple(definitions))


Member = TypeVar("Member", FieldDefinitionNode, InputValueDefinitionNode, EnumValueDefinitionNode)


def _keep(
    members: tuple[Member, ...] | None, current: GraphQLSchema, owner: TypeDefinitionNode
) -> tuple[Member, ...]:
    """The members of `owner` minus those deprecated and gone from `current`."""
    now = _member_names(current, owner.name.value)
    return tuple(m for m in members or () if m.name.value in now or not _deprecated(m))


def _member_names(schema: GraphQLSchema, type_name: str) -> set[str]:
    type_ = schema.get_type(type_name)
    if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
        return set(type_.fields)
    if isinstance(type_, GraphQLEnumType):
        return set(type_.values)
    return set()


def _deprecated(
    node: FieldDefinitionNode | InputValueDefinitionNode | EnumValueDefinitionNode,
) -> bool:
    return any(d.name.value == "deprecated" for d in node.directives or ())


def undescribed(schema: GraphQLSchema) -> list[str]:
    """Schema coordinates (`Type`, `Type.field`, `Type.field(arg:)`, `Enum.VALUE`,
    `@directive(arg:)`) that have no description; introspection types and the built-in
    scalars and directives are not ours to describe."""
    missing: list[str] = []
    for name, type_ in sorted(schema.type_map.items()):
        if is_introspection_type(type_) or is_specified_scalar_type(type_):
            continue
        if not type_.description:
            missing.append(name)
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in type_.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                missing += [
                    f"{name}.{field_name}({arg_name}:)"
                    for arg_name, arg in field.args.items()
                    if not arg.description
                ]
        elif isinstance(type_, GraphQLInputObjectType):
            missing += [f"{name}.{f}" for f, field in type_.fields.items() if not field.description]
        elif isinstance(type_, GraphQLEnumType):
            missing += [f"{name}.{v}" for v, value in type_.values.items() if not value.description]
    for directive in schema.directives:
        if is_specified_directive(directive):
            continue
        if not directive.description:
            missing.append(f"@{directive.name}")
        missing += [
            f"@{directive.name}({arg_name}:)"
            for arg_name, arg in directive.args.items()
            if not arg.description
        ]
    return missing
