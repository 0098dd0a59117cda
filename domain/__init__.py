"""All business rules. Pure functions take `now` as a parameter; commands run in one
transaction. Nothing here imports `schema`, `resolvers` or `workers` (a test enforces it).
"""
