"""Per-request DataLoaders, one room per area, named `<Thing>By<Key>Loader`.

Each batch is one query and answers only what the caller may read (the request's
`ReadScope`): a row of another account loads as None. Loaders return rows (dicts read
with `.values()`, or for the hottest ones the same dicts from raw SQL: `raw.py`), never
GraphQL types: the types import the loaders, not the other way round, and turn rows into
nodes once per key (`schema.resolution`).
"""
