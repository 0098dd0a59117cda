"""The cache of parsed and validated documents: bounded, pinned documents kept apart, the
parse options and the schema part of the keys."""

from __future__ import annotations

import pytest
from graphql import GraphQLSyntaxError, build_schema, specified_rules

from schema.limits.document_cache import DocumentCache

RULES = tuple(specified_rules)


def parse_all(cache: DocumentCache, *texts: str) -> None:
    for text in texts:
        cache.document(text, {})


def test_a_text_seen_before_is_not_parsed_again() -> None:
    cache = DocumentCache(size=2, pinned=1)
    parse_all(cache, "{ a }", "{ a }")
    assert cache.parses == 1


def test_the_least_recently_used_text_goes_first() -> None:
    # Given a cache of two texts holding a and b, a used last
    cache = DocumentCache(size=2, pinned=1)
    parse_all(cache, "{ a }", "{ b }", "{ a }")
    # When a third text comes
    parse_all(cache, "{ c }")
    # Then b is parsed again, a and c are not
    parses = cache.parses
    parse_all(cache, "{ a }", "{ c }")
    assert cache.parses == parses
    parse_all(cache, "{ b }")
    assert cache.parses == parses + 1


def test_a_pinned_document_survives_a_flood_of_other_texts() -> None:
    cache = DocumentCache(size=2, pinned=1)
    # Given a pinned text, pinned before and after it is first parsed
    cache.pin("{ trusted }")
    parse_all(cache, "{ trusted }", "{ early }")
    cache.pin("{ early }")  # beyond the pinned bound: stays in the LRU
    # When more texts than the LRU holds come
    parse_all(cache, *(f"{{ f{i} }}" for i in range(5)))
    parses = cache.parses
    # Then the pinned one is still parsed, the other not
    parse_all(cache, "{ trusted }")
    assert cache.parses == parses
    parse_all(cache, "{ early }")
    assert cache.parses == parses + 1
    assert (cache.is_pinned("{ trusted }"), cache.is_pinned("{ early }")) == (True, False)


def test_pinning_a_cached_text_moves_it_out_of_the_lru() -> None:
    cache = DocumentCache(size=2, pinned=1)
    parse_all(cache, "{ trusted }")
    cache.pin("{ trusted }")
    parse_all(cache, "{ b }", "{ c }", "{ d }", "{ trusted }")
    assert cache.parses == 4


def test_the_token_limit_is_part_of_the_key() -> None:
    # Given a text parsed without a token limit
    cache = DocumentCache(size=2, pinned=1)
    text = "{ a b c d e f }"
    cache.document(text, {})
    # When it comes with a limit it exceeds, then the limit applies
    with pytest.raises(GraphQLSyntaxError, match="more than 3 tokens"):
        cache.document(text, {"max_tokens": 3})


def test_validation_is_cached_per_schema() -> None:
    cache = DocumentCache(size=2, pinned=1)
    with_a = build_schema("type Query { a: Int }")
    without_a = build_schema("type Query { b: Int }")
    cached = cache.document("{ a }", {})
    # The same document is valid for one schema and not for the other, each validated once
    assert cache.errors(cached, with_a, RULES) == []
    assert [e.message for e in cache.errors(cached, without_a, RULES)] == [
        "Cannot query field 'a' on type 'Query'. Did you mean 'b'?"
    ]
    cache.errors(cached, with_a, RULES)
    cache.errors(cached, without_a, RULES)
    assert cache.validations == 2
