"""Each distinct query text is parsed and validated once; the request limits still apply to
every request, with its own variables."""

from __future__ import annotations

from gateway.schema.documents import DocumentCache
from gateway.schema.limits import Limits
from gateway.schema.root import build_schema

LIMITS = Limits(max_depth=12, max_cost=1_000, max_aliases=3, introspection=True)


async def test_a_query_text_is_parsed_and_validated_once() -> None:
    cache = DocumentCache()
    schema = build_schema(LIMITS, documents=cache)
    query = "query Twice { __typename }"
    first = await schema.execute(query)
    [(key, document)] = cache.documents.items()
    second = await schema.execute(query)
    assert first.data == second.data == {"__typename": "Query"}
    assert (first.errors, second.errors) == (None, None)
    assert list(cache.documents.items()) == [(key, document)]  # the same parsed document
    assert len(cache.errors) == 1


async def test_request_limits_apply_to_each_request_of_a_cached_text() -> None:
    cache = DocumentCache()
    schema = build_schema(LIMITS, documents=cache)
    query = "query($n: Int!) { organizations(first: $n) { nodes { name } } }"
    costly = await schema.execute(query, variable_values={"n": 2_000})
    assert costly.errors
    assert (costly.errors[0].extensions or {}).get("code") == "query_too_costly"
    fine = await schema.execute(query, variable_values={"n": 5})
    # Not refused by the limits (it runs, and fails only for want of a request context).
    assert all((e.extensions or {}).get("code") != "query_too_costly" for e in fine.errors or [])
    costly_again = await schema.execute(query, variable_values={"n": 2_000})
    assert costly_again.errors
    assert (costly_again.errors[0].extensions or {}).get("code") == "query_too_costly"
    assert len(cache.documents) == 1


async def test_invalid_query_is_refused_every_time() -> None:
    cache = DocumentCache()
    schema = build_schema(LIMITS, documents=cache)
    for _ in range(2):
        result = await schema.execute("{ noSuchField }")
        assert result.errors
        assert "noSuchField" in result.errors[0].message
    aliases = "{ a: __typename b: __typename c: __typename d: __typename }"
    for _ in range(2):
        result = await schema.execute(aliases)
        assert result.errors
        assert (result.errors[0].extensions or {}).get("code") == "too_many_aliases"


async def test_document_cache_is_bounded() -> None:
    cache = DocumentCache(maxsize=3)
    schema = build_schema(LIMITS, documents=cache)
    for i in range(10):
        result = await schema.execute(f"query Q{i} {{ __typename }}")
        assert result.errors is None
    assert len(cache.documents) == len(cache.errors) == 3
    assert [k[0] for k in cache.documents] == [f"query Q{i} {{ __typename }}" for i in (7, 8, 9)]


async def test_limits_are_kept_by_page_size_not_by_other_variables() -> None:
    cache = DocumentCache()
    schema = build_schema(LIMITS, documents=cache)
    query = (
        "query($id: ID!, $n: Int!) "
        "{ organization(id: $id) { members(first: $n) { nodes { name } } } }"
    )
    for org_id in ("a", "b", "c"):
        await schema.execute(query, variable_values={"id": org_id, "n": 5})
    assert len(cache.limit_errors) == 1
    await schema.execute(query, variable_values={"id": "a", "n": 7})
    assert len(cache.limit_errors) == 2
    assert list(cache.firsts.values()) == [("n",)]
