"""tests/support/schema_compat.py on hand-written SDL: which changes break clients, and which
parts of a schema lack a description."""

from __future__ import annotations

from graphql import build_schema

from tests.support.schema_compat import breaking_changes, undescribed

BASELINE = """
type Query {
  name: String
  legacyName: String @deprecated(reason: "Use `name`.")
  count: Int
  color: Color
}

enum Color {
  RED
  GREEN
  OLIVE @deprecated(reason: "Use GREEN.")
}

input Filter {
  search: String
  oldSearch: String @deprecated(reason: "Use `search`.")
}

type Mutation {
  find(filter: Filter): Int
}
"""


def changed(old: str, new: str) -> str:
    assert old in BASELINE
    return BASELINE.replace(old, new)


def test_an_unchanged_schema_breaks_nothing() -> None:
    # Given the baseline itself as the current schema, then nothing is reported
    assert breaking_changes(BASELINE, build_schema(BASELINE)) == []


def test_removing_a_field_that_was_not_deprecated_is_reported() -> None:
    # When `Query.count`, never deprecated, is removed, then clients would break
    current = build_schema(changed("  count: Int\n", ""))
    assert breaking_changes(BASELINE, current) == ["FIELD_REMOVED: Field Query.count was removed."]


def test_removing_a_field_that_was_deprecated_is_allowed() -> None:
    # When `Query.legacyName`, deprecated in the baseline, is removed, then that is the
    # end of its deprecation period, not a break
    current = build_schema(changed('  legacyName: String @deprecated(reason: "Use `name`.")\n', ""))
    assert breaking_changes(BASELINE, current) == []


def test_changing_the_type_of_a_field_is_reported() -> None:
    # When `Query.count` turns from Int into String, then clients would break
    current = build_schema(changed("  count: Int\n", "  count: String\n"))
    assert breaking_changes(BASELINE, current) == [
        "FIELD_CHANGED_KIND: Field Query.count changed type from Int to String."
    ]


def test_changing_the_type_of_a_deprecated_field_is_still_reported() -> None:
    # A deprecated field may go away, but while it exists it must keep its type
    current = build_schema(
        changed(
            '  legacyName: String @deprecated(reason: "Use `name`.")\n',
            '  legacyName: Int @deprecated(reason: "Use `name`.")\n',
        )
    )
    assert breaking_changes(BASELINE, current) == [
        "FIELD_CHANGED_KIND: Field Query.legacyName changed type from String to Int."
    ]


def test_removing_enum_values_is_reported_unless_they_were_deprecated() -> None:
    # When the deprecated OLIVE goes, nothing breaks; when RED goes, clients break
    without_olive = build_schema(changed('  OLIVE @deprecated(reason: "Use GREEN.")\n', ""))
    without_red = build_schema(changed("  RED\n", ""))
    assert breaking_changes(BASELINE, without_olive) == []
    assert breaking_changes(BASELINE, without_red) == [
        "VALUE_REMOVED_FROM_ENUM: Enum value Color.RED was removed."
    ]


def test_removing_input_fields_is_reported_unless_they_were_deprecated() -> None:
    # Input fields are fields too: the same deprecation period applies
    without_old = build_schema(
        changed('  oldSearch: String @deprecated(reason: "Use `search`.")\n', "")
    )
    without_search = build_schema(changed("  search: String\n", ""))
    assert breaking_changes(BASELINE, without_old) == []
    assert breaking_changes(BASELINE, without_search) == [
        "FIELD_REMOVED: Field Filter.search was removed."
    ]


def test_adding_things_breaks_nothing() -> None:
    # When a nullable field is added, then nothing is reported
    current = build_schema(changed("  count: Int\n", "  count: Int\n  total: Int\n"))
    assert breaking_changes(BASELINE, current) == []


def test_undescribed_lists_every_kind_of_member_without_a_description() -> None:
    # Given a schema where only some things are described
    schema = build_schema('''
    """Root."""
    type Query {
      """Described."""
      a(
        """Described."""
        x: Int
        y: Int
      ): Color
      b: Thing
    }
    type Thing implements Node { id: ID! }
    """Described."""
    interface Node { id: ID! }
    """Described."""
    enum Color {
      """Described."""
      RED
      GREEN
    }
    input Filter { s: String }
    """Described."""
    type Mutation {
      """Described."""
      f(filter: Filter): Int
    }
    directive @cached(
      """Described."""
      ttl: Int
      scope: String
    ) on FIELD_DEFINITION
    ''')
    # Then each member without one is listed by its schema coordinate; the introspection
    # types and built-in scalars and directives are left out
    assert undescribed(schema) == [
        "Color.GREEN",
        "Filter",
        "Filter.s",
        "Mutation.f(filter:)",
        "Node.id",
        "Query.a(y:)",
        "Query.b",
        "Thing",
        "Thing.id",
        "@cached",
        "@cached(scope:)",
    ]
