"""Each distinct query text is parsed and validated once, not on every request.

The mini-program sends a handful of registered queries, thousands of times a minute: parsing
and validating the same text again made up about an eighth of the gateway's CPU under load
(bench/profile_screens.md). The caches are keyed by the query text (whose hash Python keeps)
and bounded, so that arbitrary documents sent by other clients cannot make them grow.

The request limits (depth, cost, aliases) depend on the query text and on the values of the
variables it passes as a list's `first`: their findings are kept by those, so that a query
asking for another page size is measured again.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from graphql import ASTValidationRule, DocumentNode, GraphQLError, parse, validate
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from gateway.schema.limits import RequestLimitsRule, first_variables

DEFAULT_MAXSIZE = 512


class _Lru(OrderedDict[Any, Any]):
    def __init__(self, maxsize: int) -> None:
        super().__init__()
        self.maxsize = maxsize

    def remember(self, key: Any, value: Any) -> Any:
        self[key] = value
        if len(self) > self.maxsize:
            self.popitem(last=False)
        return value

    def recall(self, key: Any) -> Any:
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value


class DocumentCache:
    """The parsed documents and the validation errors of one schema, by query text."""

    def __init__(self, maxsize: int = DEFAULT_MAXSIZE) -> None:
        self.documents = _Lru(maxsize)
        self.errors = _Lru(maxsize)
        self.firsts = _Lru(maxsize)
        self.limit_errors = _Lru(maxsize)

    def parse(self, query: str, options: dict[str, Any]) -> DocumentNode:
        key = (query, tuple(sorted(options.items())))
        document = self.documents.recall(key)
        if document is None:
            # A document that cannot be parsed raises here, and is not remembered.
            document = self.documents.remember(key, parse(query, **options))
        return document  # type: ignore[no-any-return]

    def validate(
        self,
        schema: Any,
        query: str,
        document: DocumentNode,
        rules: tuple[type[ASTValidationRule], ...],
    ) -> list[GraphQLError]:
        fixed = tuple(r for r in rules if not issubclass(r, RequestLimitsRule))
        per_request = tuple(r for r in rules if issubclass(r, RequestLimitsRule))
        key = (query, fixed)
        errors = self.errors.recall(key)
        if errors is None:
            errors = self.errors.remember(key, validate_document(schema, document, fixed))
        result = list(errors)
        if result:
            return result
        for rule in per_request:
            result += self._limits(schema, query, document, rule)
        return result

    def _limits(
        self, schema: Any, query: str, document: DocumentNode, rule: type[RequestLimitsRule]
    ) -> list[GraphQLError]:
        """What the limits find: known for a text, its limits and its `first` values."""
        names = self.firsts.recall(query)
        if names is None:
            names = self.firsts.remember(query, first_variables(document))
        given = tuple(repr(rule.request_variables.get(n)) for n in names)
        key = (query, rule.request_limits, given)
        errors = self.limit_errors.recall(key)
        if errors is None:
            errors = self.limit_errors.remember(key, validate(schema, document, (rule,)))
        return list(errors)

    def extension(self) -> type[SchemaExtension]:
        """The schema extension using this cache (Strawberry makes one per request)."""
        cache = self

        class CachedDocuments(SchemaExtension):
            def on_parse(self) -> Iterator[None]:
                context = self.execution_context
                if context.query is not None and context.graphql_document is None:
                    # A text that does not parse is left to Strawberry, which reports it.
                    with contextlib.suppress(GraphQLError):
                        context.graphql_document = cache.parse(
                            context.query, dict(context.parse_options)
                        )
                yield

            def on_validate(self) -> Iterator[None]:
                context = self.execution_context
                if context.query is not None and context.graphql_document is not None:
                    context.pre_execution_errors = cache.validate(
                        context.schema._schema,
                        context.query,
                        context.graphql_document,
                        tuple(context.validation_rules),
                    )
                yield

        return CachedDocuments
