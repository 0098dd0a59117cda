"""Parsed and validated documents, found by their text in one lookup.

This replaces strawberry's ParserCache and ValidationCache. Those are two LRU caches, and
the second is keyed by the parsed DocumentNode: a frozen dataclass whose hash walks the
whole tree on every request (about 60 µs for the users page, measured with timeit), so a
document seen before still paid for a walk of its tree. Here one entry per text holds the
document and its validation errors per schema and rule set; a hit costs the hash of the
text.

Two parts, each bounded: an LRU of `DOCUMENT_CACHE_SIZE` texts for whatever clients send,
and the pinned documents (the registry of trusted documents, pinned by app/ as it serves
them), which a flood of unique texts cannot evict. The token limit is a parse option and
part of the key; the validation rules (the request limits among them) are part of the
validation key; the limits that depend on variables still run before execution
(extension.py): a cached document skips no check, only repeated work.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema, parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from schema.limits.numbers import DOCUMENT_CACHE_SIZE, PINNED_DOCUMENTS

Rules = tuple[type[ASTValidationRule], ...]
Key = tuple[str, tuple[tuple[str, object], ...]]


@dataclass(slots=True)
class CachedDocument:
    document: DocumentNode
    # Validation errors per schema and rule set (both built once per process).
    errors: dict[tuple[GraphQLSchema, Rules], list[GraphQLError]] = field(default_factory=dict)


class DocumentCache:
    def __init__(self, size: int = DOCUMENT_CACHE_SIZE, pinned: int = PINNED_DOCUMENTS) -> None:
        self.size = size
        self.pinned_size = pinned
        self._recent: OrderedDict[Key, CachedDocument] = OrderedDict()
        self._pinned: dict[Key, CachedDocument] = {}
        self._pinned_texts: set[str] = set()
        # What the cache saved and did not: tests and benchmarks read them.
        self.parses = 0
        self.validations = 0

    def pin(self, text: str) -> None:
        """Keep `text`'s document apart from the LRU once parsed (trusted documents)."""
        if text not in self._pinned_texts and len(self._pinned_texts) < self.pinned_size:
            self._pinned_texts.add(text)
            for key in [key for key in self._recent if key[0] == text]:
                self._pinned[key] = self._recent.pop(key)

    def is_pinned(self, text: str) -> bool:
        return text in self._pinned_texts

    def document(self, text: str, options: dict[str, object]) -> CachedDocument:
        """The parsed document (parsing it on a miss; a syntax error is raised, not kept)."""
        key = (text, tuple(options.items()))
        cached = self._pinned.get(key)
        if cached is not None:
            return cached
        cached = self._recent.get(key)
        if cached is not None:
            self._recent.move_to_end(key)
            return cached
        self.parses += 1
        cached = CachedDocument(parse(text, **options))  # type: ignore[arg-type]
        if text in self._pinned_texts:
            self._pinned[key] = cached
        else:
            self._recent[key] = cached
            while len(self._recent) > self.size:
                self._recent.popitem(last=False)
        return cached

    def errors(
        self, cached: CachedDocument, schema: GraphQLSchema, rules: Rules
    ) -> list[GraphQLError]:
        """The validation errors of a cached document (validating it on a miss)."""
        errors = cached.errors.get((schema, rules))
        if errors is None:
            self.validations += 1
            errors = cached.errors[(schema, rules)] = validate_document(
                schema, cached.document, rules
            )
        return errors


# One per process, shared by every request and every schema (entries are per schema).
DOCUMENTS = DocumentCache()


class CachedDocuments(SchemaExtension):
    """Parse and validate through DOCUMENTS (a factory makes one per request)."""

    def __init__(self, cache: DocumentCache = DOCUMENTS) -> None:
        super().__init__()
        self.cache = cache
        self.cached: CachedDocument | None = None

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is None and context.query:
            options = dict(context.parse_options)
            self.cached = self.cache.document(context.query, options)
            context.graphql_document = self.cached.document
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if self.cached is not None and context.pre_execution_errors is None:
            context.pre_execution_errors = self.cache.errors(
                self.cached, context.schema._schema, context.validation_rules
            )
        yield
