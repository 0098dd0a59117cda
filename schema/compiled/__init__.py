"""Compiled execution of query operations: each known operation becomes a plan of
closures that builds its result directly, calling the same resolvers as graphql-core, and
falls back to graphql-core for anything unusual (execution.py, plan.py, schema.py)."""
