"""Batch functions over the services' batch endpoints, shared by the loaders of every service."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, TypeVar

from gateway.upstream import ServiceClient
from service_kit.pagination import MAX_BATCH_IDS, MAX_PAGE_SIZE

K = TypeVar("K", bound=Hashable)

BatchFn = Callable[[list[K]], Awaitable[Sequence[Any]]]


def chunks(items: Sequence[K], size: int) -> list[Sequence[K]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def failed(keys: Sequence[Any], exc: BaseException) -> list[Any]:
    """The same error for every key: each field that asked for one fails on its own."""
    return [exc for _ in keys]


def by_ids(
    client: ServiceClient,
    path: str,
    bearer: str,
    *,
    param: str = "ids",
    key: str = "id",
    params: dict[str, Any] | None = None,
) -> BatchFn[str]:
    """Items by id over `GET path?ids=…`, in chunks of the services' maximum.

    Ids the service leaves out (unknown, or hidden from the caller) load as None.
    """

    async def load(keys: list[str]) -> list[Any]:
        found: dict[str, Any] = {}
        unique = list(dict.fromkeys(keys))
        try:
            for chunk in chunks(unique, MAX_BATCH_IDS):
                page = await client.get(
                    path, bearer=bearer, params={**(params or {}), param: ",".join(chunk)}
                )
                for item in page["items"]:
                    found[str(item[key])] = item
        except Exception as exc:
            return failed(keys, exc)
        return [found.get(k) for k in keys]

    return load


def grouped_by(
    client: ServiceClient,
    path: str,
    bearer: str,
    *,
    param: str,
    group: str,
    params: dict[str, Any] | None = None,
    chunk_size: int = MAX_BATCH_IDS,
) -> BatchFn[str]:
    """Lists by key over `GET path?<param>=a,b,…`, every page of the answer read.

    Each key gets the items whose `group` field is that key (an empty list for none).
    """

    async def load(keys: list[str]) -> list[Any]:
        found: dict[str, list[Any]] = {k: [] for k in keys}
        unique = list(dict.fromkeys(keys))
        try:
            for chunk in chunks(unique, chunk_size):
                after: str | None = None
                while True:
                    page = await client.get(
                        path,
                        bearer=bearer,
                        params={
                            **(params or {}),
                            param: ",".join(chunk),
                            "limit": MAX_PAGE_SIZE,
                            "after": after,
                        },
                    )
                    for item in page["items"]:
                        found.setdefault(str(item[group]), []).append(item)
                    after = page.get("next_cursor")
                    if not after:
                        break
        except Exception as exc:
            return failed(keys, exc)
        return [found[k] for k in keys]

    return load
