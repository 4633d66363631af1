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


REGIONS_PER_COVERAGE_CALL = 50  # org-service's limit for GET /coverage/regions


def region_coverage(
    client: ServiceClient, bearer: str
) -> Callable[[list[tuple[str, str | None]]], Awaitable[Sequence[Any]]]:
    """Coverage figures by (region id, as-of day): one call per day and 50 regions."""

    async def load(keys: list[tuple[str, str | None]]) -> list[Any]:
        found: dict[tuple[str, str | None], Any] = {}
        days = list(dict.fromkeys(day for _, day in keys))
        try:
            for day in days:
                regions = list(dict.fromkeys(r for r, d in keys if d == day))
                for start in range(0, len(regions), REGIONS_PER_COVERAGE_CALL):
                    chunk = regions[start : start + REGIONS_PER_COVERAGE_CALL]
                    rows = await client.get(
                        "/coverage/regions",
                        bearer=bearer,
                        params={"ids": ",".join(chunk), "as_of": day},
                    )
                    for row in rows:
                        found[(row["key"], day)] = row
        except Exception as exc:
            return [exc for _ in keys]
        return [found.get(key) for key in keys]

    return load


@dataclass
class Loaders:
    organization: DataLoader[Any, Any]
    region: DataLoader[Any, Any]
    work_target: DataLoader[Any, Any]
    region_coverage: DataLoader[tuple[str, str | None], Any]


def make_loaders(services: dict[str, ServiceClient], bearer: str) -> Loaders:
    """Fresh loaders for one request: nothing is cached across callers."""
    org = services["org"]
    return Loaders(
        organization=DataLoader(
            load_fn=by_ids(org, "/organizations", bearer), max_batch_size=MAX_BATCH_IDS
        ),
        region=DataLoader(load_fn=by_ids(org, "/regions", bearer), max_batch_size=MAX_BATCH_IDS),
        work_target=DataLoader(
            load_fn=by_ids(org, "/work-targets", bearer), max_batch_size=MAX_BATCH_IDS
        ),
        region_coverage=DataLoader(load_fn=region_coverage(org, bearer)),
    )
