"""Per-request DataLoaders: one per (service, key), each backed by a batch-by-ids endpoint."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from strawberry.dataloader import DataLoader

from gateway.upstream import ServiceClient
from service_kit.pagination import MAX_BATCH_IDS

BatchFn = Callable[[list[uuid.UUID]], Awaitable[Sequence[Any]]]


def by_ids(client: ServiceClient, path: str, bearer: str) -> BatchFn:
    """A batch function over `GET path?ids=…`, in chunks of the services' maximum."""

    async def load(keys: list[uuid.UUID]) -> list[Any]:
        found: dict[str, Any] = {}
        unique = list(dict.fromkeys(str(k) for k in keys))
        try:
            for start in range(0, len(unique), MAX_BATCH_IDS):
                chunk = unique[start : start + MAX_BATCH_IDS]
                page = await client.get(path, bearer=bearer, params={"ids": ",".join(chunk)})
                for item in page["items"]:
                    found[str(item["id"])] = item
        except Exception as exc:
            return [exc for _ in keys]
        return [found.get(str(k)) for k in keys]

    return load


@dataclass
class Loaders:
    organization: DataLoader[uuid.UUID, Any]
    region: DataLoader[uuid.UUID, Any]


def make_loaders(services: dict[str, ServiceClient], bearer: str) -> Loaders:
    """Fresh loaders for one request: nothing is cached across callers."""
    org = services["org"]
    return Loaders(
        organization=DataLoader(
            load_fn=by_ids(org, "/organizations", bearer), max_batch_size=MAX_BATCH_IDS
        ),
        region=DataLoader(load_fn=by_ids(org, "/regions", bearer), max_batch_size=MAX_BATCH_IDS),
    )
