"""Persisted queries: a client sends the SHA-256 of a registered query instead of its text.

The registered queries are the `*.graphql` files of one directory (the mini-program's
screens, reviewed like code); a query's hash is the SHA-256 of its file's text with
leading and trailing whitespace removed. With `persisted_queries_only`, nothing else runs.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from strawberry.http import GraphQLRequestData


class PersistedQueryRefused(Exception):
    """The request names a query the gateway will not run; answered with a code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def query_hash(text: str) -> str:
    return hashlib.sha256(text.strip().encode()).hexdigest()


@dataclass
class PersistedQueries:
    by_hash: dict[str, str] = field(default_factory=dict)
    by_name: dict[str, str] = field(default_factory=dict)
    only: bool = False

    @classmethod
    def load(cls, directory: Path | None, *, only: bool = False) -> PersistedQueries:
        registry = cls(only=only)
        if directory is not None and directory.is_dir():
            for path in sorted(directory.glob("*.graphql")):
                text = path.read_text(encoding="utf-8").strip()
                registry.by_hash[query_hash(text)] = text
                registry.by_name[path.stem] = query_hash(text)
        return registry

    def resolve(self, request: GraphQLRequestData) -> None:
        """Put the registered text in place of a hash; refuse unknown hashes."""
        extensions = request.extensions or {}
        persisted = extensions.get("persistedQuery")
        if persisted is None:
            if self.only:
                raise PersistedQueryRefused(
                    "persisted_query_required",
                    "This gateway runs registered queries only: send "
                    "extensions.persistedQuery.sha256Hash of one of them.",
                )
            return
        digest = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
        if not isinstance(digest, str):
            raise PersistedQueryRefused(
                "invalid_persisted_query",
                "extensions.persistedQuery must be an object with a sha256Hash string.",
            )
        text = self.by_hash.get(digest.lower())
        if text is None:
            raise PersistedQueryRefused(
                "persisted_query_not_found",
                "No registered query has this hash; send the query's text, or register it.",
            )
        if request.query is not None and query_hash(request.query) != digest.lower():
            raise PersistedQueryRefused(
                "persisted_query_mismatch",
                "The query sent is not the registered query with this hash.",
            )
        request.query = text
