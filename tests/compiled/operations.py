"""The operations of the differential test: the GraphiQL examples (queries), every query
the test suite sends (harvested from its source), and a generated set (fragments,
aliases, inline fragments on Node, `nodes`, variables, @skip/@include, errors, invalid
cursors, over-size pages, introspection).

Variables name the demo world's objects by placeholders ("<acme>", "<ids>") that the test
fills with real global IDs.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphql import (
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    OperationType,
    Visitor,
    parse,
    visit,
)

from app.graphiql import EXAMPLES

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Operation:
    name: str
    query: str
    variables: dict[str, Any] = field(default_factory=dict)
    operation_name: str | None = None


# Placeholder values by variable name, for the harvested queries (a variable not named
# here is left out: a required one is then refused before execution, on both paths).
HARVESTED_VARIABLES: dict[str, Any] = {
    "id": "<acme>",
    "account": "<acme>",
    "acme": "<acme>",
    "globex": "<globex>",
    "ids": "<ids>",
    "first": 5,
    "last": 3,
    "filter": {},
    "alice": "<alice>",
    "chloe": "<chloe>",
    "hugo": "<hugo>",
    "mia": "<mia>",
    "code": "ACD",
}


def graphiql_examples() -> list[Operation]:
    found = []
    for example in EXAMPLES:
        document = parse(example.query)
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if any(o.operation is not OperationType.QUERY for o in operations):
            continue
        variables = json.loads(example.variables or "{}")
        variables = {key: _example_value(value) for key, value in variables.items()}
        found.append(Operation(f"graphiql: {example.title}", example.query, variables))
    return found


def _example_value(value: Any) -> Any:
    return {
        "<account id>": "<acme>",
        "<contract id>": "<resold_contract>",
    }.get(value, value)


def harvested() -> list[Operation]:
    """Every string literal of the test suite that parses as a document of queries only,
    with the fragments it spreads when another literal defines them."""
    texts: list[tuple[str, str]] = []
    fragments: dict[str, str] = {}
    for path in sorted((ROOT / "tests").rglob("*.py")):
        if path.parent.name == "compiled":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                continue
            if "{" not in node.value:
                continue
            try:
                document = parse(node.value)
            except GraphQLSyntaxError:
                continue
            definitions = document.definitions
            for definition in definitions:
                if isinstance(definition, FragmentDefinitionNode):
                    fragments.setdefault(definition.name.value, _source(node.value, definition))
            operations = [d for d in definitions if isinstance(d, OperationDefinitionNode)]
            if operations and all(o.operation is OperationType.QUERY for o in operations):
                texts.append((path.relative_to(ROOT).as_posix(), node.value))
    found: dict[str, Operation] = {}
    for where, text in texts:
        query = _with_fragments(text, fragments)
        if query in found:
            continue
        document = parse(query)
        names = [
            d.name.value if d.name else None
            for d in document.definitions
            if isinstance(d, OperationDefinitionNode)
        ]
        variables = {
            v.variable.name.value: HARVESTED_VARIABLES[v.variable.name.value]
            for d in document.definitions
            if isinstance(d, OperationDefinitionNode)
            for v in d.variable_definitions or ()
            if v.variable.name.value in HARVESTED_VARIABLES
        }
        # A document of several operations runs its first one by name.
        operation_name = names[0] if len(names) > 1 else None
        found[query] = Operation(f"tests: {where} #{len(found)}", query, variables, operation_name)
    return list(found.values())


def _source(text: str, definition: FragmentDefinitionNode) -> str:
    assert definition.loc is not None
    return text[definition.loc.start : definition.loc.end]


def _with_fragments(text: str, fragments: dict[str, str]) -> str:
    """`text` with the definitions of the fragments it spreads and does not define."""
    while True:
        document = parse(text)
        defined = {
            d.name.value for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        spread = _spreads(document)
        missing = sorted(name for name in spread - defined if name in fragments)
        if not missing:
            return text
        text = text + "\n" + "\n".join(fragments[name] for name in missing)


class _Spreads(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_args: Any) -> None:
        self.names.add(node.name.value)


def _spreads(document: Any) -> set[str]:
    spreads = _Spreads()
    visit(document, spreads)
    return spreads.names


USERS_PAGE = """query Users($account: ID!, $first: Int!, $after: String) {
  account(id: $account) {
    users(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node {
        id name email role locale accountName
        assignments { id assignedAt active unassignedAt unassignReason
          product { id code name kind edition }
          subscription { id status seats seatsAssigned seatsAvailable licenseModel
            product { id code name } plan { code name rank } contract { number channel } } }
        products { code name }
      } }
    }
  }
}"""

NODE_FIELDS = """
fragment NodeFields on Node {
  id
  __typename
  ... on Account { name features { code kind } }
  ... on Contract { number channel startsOn endsOn partner { code } account { name } }
  ... on ProductSubscription { status seats serialNumber product { code } plan { code }
    tradeIn { status kind } upgradeOptions { kind eligible path refusal { code reason } } }
  ... on SeatAssignment { active assignedAt product { code } user { name } }
  ... on User { name email role products { code } assignments { product { code } } }
  ... on Partner { code name isSalesDesk contactEmail }
  ... on Product { code name kind edition fullVersion { code } includes { code }
    includedIn { code } contains { code } migratesTo { code } }
  ... on Plan { code name rank features { code } supportOptions { code channels hours } }
  ... on TradeIn { kind status daysLeft notices steps { number title done total }
    progress { usersOnlyOnOld usersMoved } source { product { code } } targetProduct { code } }
}"""


def generated() -> list[Operation]:
    return [
        Operation("users page", USERS_PAGE, {"account": "<acme>", "first": 20}),
        Operation("users page, 2 per page", USERS_PAGE, {"account": "<acme>", "first": 2}),
        Operation(
            "users page after a cursor",
            USERS_PAGE,
            {"account": "<acme>", "first": 3, "after": "<users_cursor>"},
        ),
        Operation(
            "users page, invalid cursor",
            USERS_PAGE,
            {"account": "<acme>", "first": 3, "after": "not-a-cursor"},
        ),
        Operation("users page, over-size page", USERS_PAGE, {"account": "<acme>", "first": 101}),
        Operation("users page, negative page", USERS_PAGE, {"account": "<acme>", "first": -1}),
        Operation("users page of another account", USERS_PAGE, {"account": "<globex>", "first": 5}),
        Operation("users page, malformed id", USERS_PAGE, {"account": "not an id", "first": 5}),
        Operation("users page, missing variable", USERS_PAGE, {"account": "<acme>"}),
        Operation(
            "users page, wrong variable type", USERS_PAGE, {"account": "<acme>", "first": "ten"}
        ),
        Operation(
            "node of every kind",
            "query Nodes($ids: [ID!]!) { nodes(ids: $ids) { ...NodeFields } }" + NODE_FIELDS,
            {"ids": "<ids>"},
        ),
        Operation(
            "node one by one",
            "query One($id: ID!) { node(id: $id) { ...NodeFields } }" + NODE_FIELDS,
            {"id": "<resold_subscription>"},
        ),
        Operation(
            "node, malformed id",
            '{ node(id: "bm90IGFuIGlk") { id } nodes(ids: ["x", ""]) { id } }',
        ),
        Operation(
            "aliases and repeated fields",
            """{ a: viewer { user { name } me: user { email name } }
                 b: viewer { memberships { r: role role account { n: name name } } }
                 plans { code c: code n: name } p2: plans { rank } }""",
        ),
        Operation(
            "fragments nested and merged",
            """query { viewer { ...V memberships { ...M account { id } } } }
               fragment V on Viewer { user { ...P } partner { name } memberships { ...M } }
               fragment P on Person { name locale }
               fragment M on User { role account { name contracts(first: 5) { ...C } } }
               fragment C on ContractConnection { totalCount edges { node { number partner {
                 name } } } }""",
        ),
        Operation(
            "inline fragments without type",
            """{ viewer { ... { user { name } } ... on Viewer { memberships { name } } } }""",
        ),
        Operation(
            "skip and include with variables",
            """query S($yes: Boolean!, $no: Boolean!) {
                 viewer { user @include(if: $yes) { name } partner @skip(if: $yes) { name }
                   memberships { role @include(if: $no) name @skip(if: $no) ...F @include(if:
                     $yes) } }
                 plans @skip(if: false) { code } }
               fragment F on User { email }""",
            {"yes": True, "no": False},
        ),
        Operation(
            "skip and include, the other values",
            """query S($yes: Boolean!, $no: Boolean!) {
                 viewer { user @include(if: $yes) { name } partner @skip(if: $yes) { name }
                   memberships { role @include(if: $no) name @skip(if: $no) ...F @include(if:
                     $yes) } }
                 plans @skip(if: false) { code } }
               fragment F on User { email }""",
            {"yes": False, "no": True},
        ),
        Operation(
            "catalog with kinds and pages",
            """query C($kind: ProductKind, $first: Int) { catalog {
                 products(first: $first, kind: $kind) { totalCount pageInfo { hasNextPage
                   endCursor }
                   edges { cursor node { code name kind edition includes { code } migratesTo {
                     code } } } }
                 product(code: "ACD") { id name fullVersion { code } includedIn { code } } } }""",
            {"kind": "COLLECTION", "first": 10},
        ),
        Operation(
            "catalog, last page backwards",
            """{ catalog { products(last: 3) { edges { node { code } } pageInfo {
              hasPreviousPage startCursor } } } }""",
        ),
        Operation(
            "catalog, unknown product and enum variable",
            """query C($kind: ProductKind) { catalog { product(code: "NOPE") { id }
                 products(first: 2, kind: $kind) { totalCount } } }""",
            {"kind": "NOT_A_KIND"},
        ),
        Operation(
            "account lists with filters",
            """query A($account: ID!) { account(id: $account) { id name
                 features { code name kind }
                 contracts(first: 10, filter: {channel: RESELLER}) { totalCount edges { node {
                   number channel partner { name isSalesDesk } } } }
                 subscriptions(first: 10, filter: {status: ACTIVE}) { totalCount edges { node {
                   id status seats seatsAssigned seatsAvailable releaseYear serialNumber
                     termStartsOn termEndsOn
                   assignments(first: 2) { totalCount pageInfo { hasNextPage endCursor } edges
                     { cursor node { user { name } active } } }
                   tradeIn { status kind graceEndsAt daysLeft } } } }
                 tradeIns(first: 10) { totalCount edges { node { id status kind createdAt
                   orderedAt graceEndsAt
                   daysLeft notices steps { number title optional done total remaining }
                   progress { usersOnlyOnOld usersMoved daysLeft } partner { name }
                   source { product { code } } target { product { code } } targetProduct { code
                     } } } }
                 users(first: 5, filter: {search: "a"}) { totalCount edges { node { name } } }
                   } }""",
            {"account": "<acme>"},
        ),
        Operation(
            "subscriptions with upgrade options",
            """query U($account: ID!) { account(id: $account) { subscriptions(first: 50) {
              edges { node {
                 id upgradeOptions { kind eligible path reinstallRequired serialNumberUpdateRequired
                   graceEndsAt notices refusal { code reason message } targetProduct { code }
                   targetPlan { code } partner { name contactEmail } } } } } } }""",
            {"account": "<acme>"},
        ),
        Operation(
            "partner pending requests",
            """query P($after: String) { viewer { partner { code pendingRequests(first: 5,
              after: $after) {
                 totalCount pageInfo { hasNextPage endCursor } edges { cursor node { __typename
                   ... on Node { id }
                   ... on TradeIn { status kind targetProduct { code } source { contract {
                     number account { name } } } }
                   ... on PlanChange { status createdAt fromPlan { code } toPlan { code } } } }
                     } } } }""",
        ),
        Operation(
            "partner pending requests, invalid cursor",
            """query P($after: String) { viewer { partner { pendingRequests(first: 5, after:
              $after) {
                 totalCount } } } }""",
            {"after": "!!!"},
        ),
        Operation(
            "typename everywhere",
            """{ __typename viewer { __typename user { __typename name } memberships {
              __typename id } }
                 catalog { __typename products(first: 2) { __typename edges { __typename node {
                   __typename code } } } } }""",
        ),
        Operation(
            "introspection",
            """{ __schema { queryType { name } types { name kind } } __type(name: "User") {
              name fields { name } } }""",
        ),
        Operation(
            "operation chosen by name",
            """query First { plans { code } } query Second { viewer { user { name } } }""",
            operation_name="Second",
        ),
        Operation(
            "several operations without a name",
            """query First { plans { code } } query Second { viewer { user { name } } }""",
        ),
        Operation(
            "unknown operation name",
            """query First { plans { code } }""",
            operation_name="Nope",
        ),
        Operation("validation error", """{ viewer { nope } }"""),
        Operation("parse error", """{ viewer { """),
        Operation(
            "too deep",
            """{ viewer { memberships { account { users(first: 1) { edges { node { account {
              users(first: 1) { edges { node { account { name } } } } } } } } } } } }""",
        ),
        Operation(
            "page size from a variable over the limit",
            """query($n: Int) { catalog { products(first: $n) { totalCount } } }""",
            {"n": 500},
        ),
        Operation(
            "seat assignments, user and subscription nullable paths",
            """query($id: ID!) { node(id: $id) { ... on SeatAssignment { id active user { name
              account { name } }
                 subscription { status contract { account { name } } } product { code } } } }""",
            {"id": "<seat>"},
        ),
        # Resolvers with arguments, called directly by plans: literals, variables, defaults,
        # explicit nulls, enums, input objects, the same field on many parents.
        Operation(
            "arguments: literals, nulls and omitted",
            """query($a: ID!) { account(id: $a) {
                 users(first: 3, after: null, filter: null) { edges { node { name role } } }
                 contracts(first: 2, filter: {channel: null}) { totalCount }
                 subscriptions(first: 5, filter: {status: ACTIVE}) { edges { node { status
                   a1: assignments(first: 1) { edges { node { active user { name } } } }
                   a2: assignments(last: 1, before: null) { totalCount }
                   assignments(first: 0) { pageInfo { hasNextPage } } } } } } }""",
            {"a": "<acme>"},
        ),
        Operation(
            "arguments from variables with defaults",
            """query($a: ID!, $n: Int = 2, $kind: ProductKind = COLLECTION, $code: String! = "ACD",
                     $f: SubscriptionFilter = {status: ACTIVE}, $u: UserFilter) {
                 account(id: $a) { users(first: $n, filter: $u) { totalCount edges { node {
                   name } } }
                   subscriptions(first: $n, filter: $f) { edges { node { id
                     assignments(first: $n) { totalCount } } } } }
                 catalog { products(first: $n, kind: $kind) { edges { node { code kind } } }
                   product(code: $code) { code } } }""",
            {"a": "<acme>", "u": {"search": "a", "assigned": True}},
        ),
        Operation(
            "arguments from variables given, enums and nulls",
            """query($a: ID!, $n: Int, $kind: ProductKind, $code: String!) {
                 account(id: $a) { users(first: 4) { edges { node { name } } } }
                 catalog { products(first: 5, kind: $kind) { edges { node { code edition } } }
                   product(code: $code) { code name kind } }
                 plans { code } n: catalog { products(first: $n, last: 2) { totalCount } } }""",
            {"a": "<acme>", "n": None, "kind": "PRODUCT", "code": "ACD"},
        ),
        Operation(
            "arguments: a null page size is refused by the resolver",
            """query($n: Int) { catalog { products(first: $n) { totalCount } } }""",
            {"n": None},
        ),
        Operation(
            "a mutation is not compiled",
            """mutation { seatAssign(input: {subscriptionId: "x", userIds: []}) { userErrors {
              code message field } } }""",
        ),
    ]


def all_operations() -> list[Operation]:
    return [*graphiql_examples(), *harvested(), *generated()]
