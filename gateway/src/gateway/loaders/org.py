"""Loaders over org-service: organizations, regions and work targets by id, coverage by region."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from strawberry.dataloader import DataLoader

from gateway.loaders.batch import by_ids, chunks, failed
from gateway.upstream import ServiceClient
from service_kit.pagination import MAX_BATCH_IDS

REGIONS_PER_COVERAGE_CALL = 50  # org-service's limit for GET /coverage/regions

CoverageKey = tuple[str, str | None]


def region_coverage(
    client: ServiceClient, bearer: str
) -> Callable[[list[CoverageKey]], Awaitable[Sequence[Any]]]:
    """Coverage figures by (region id, as-of day): one call per day and 50 regions."""

    async def load(keys: list[CoverageKey]) -> list[Any]:
        found: dict[CoverageKey, Any] = {}
        days = list(dict.fromkeys(day for _, day in keys))
        try:
            for day in days:
                regions = list(dict.fromkeys(r for r, d in keys if d == day))
                for chunk in chunks(regions, REGIONS_PER_COVERAGE_CALL):
                    rows = await client.get(
                        "/coverage/regions",
                        bearer=bearer,
                        params={"ids": ",".join(chunk), "as_of": day},
                    )
                    for row in rows:
                        found[(row["key"], day)] = row
        except Exception as exc:
            return failed(keys, exc)
        return [found.get(key) for key in keys]

    return load


def organization_loader(client: ServiceClient, bearer: str) -> DataLoader[str, Any]:
    return DataLoader(by_ids(client, "/organizations", bearer), max_batch_size=MAX_BATCH_IDS)


def region_loader(client: ServiceClient, bearer: str) -> DataLoader[str, Any]:
    return DataLoader(by_ids(client, "/regions", bearer), max_batch_size=MAX_BATCH_IDS)


def work_target_loader(client: ServiceClient, bearer: str) -> DataLoader[str, Any]:
    return DataLoader(by_ids(client, "/work-targets", bearer), max_batch_size=MAX_BATCH_IDS)


def region_coverage_loader(client: ServiceClient, bearer: str) -> DataLoader[CoverageKey, Any]:
    return DataLoader(region_coverage(client, bearer))
