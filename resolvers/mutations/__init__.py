"""Mutations, one file each: the input, the payload, the error codes and one thin resolver
(authorize, translate the input, call domain/, build the payload). `resolvers/roots.py`
composes them into `Mutation`."""
