"""What every call to another service shares: the service's token, errors as 503, batching."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any, TypeVar

import httpx

from service_kit.errors import ErrorResponse, ServiceUnavailable
from service_kit.http import HttpClient

log = logging.getLogger("funding_service.upstream")

T = TypeVar("T")
R = TypeVar("R")

# Ids per batch call: the owners refuse more than 500 (service_kit.pagination.MAX_BATCH_IDS).
BATCH = 200


class UpstreamUnavailable(ServiceUnavailable):
    code = "upstream_unavailable"
    message = "A service this answer depends on cannot be reached right now; try again later."


# Declared on every endpoint that asks another service before it answers.
UPSTREAM_RESPONSES: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorResponse, "description": UpstreamUnavailable.message}
}


# Batch calls of one question in flight at once: enough to hide the round trips, few
# enough not to crowd the owner.
CONCURRENCY = 4


def chunks(items: Sequence[T], size: int = BATCH) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def batched(
    items: Sequence[T], fetch: Callable[[Sequence[T]], Awaitable[R]], size: int = BATCH
) -> list[R]:
    """`fetch` over `items` in batches of `size`, a few at a time; answers in batch order."""
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(batch: Sequence[T]) -> R:
        async with gate:
            return await fetch(batch)

    return list(await asyncio.gather(*(one(b) for b in chunks(items, size))))


async def get_json(
    http: HttpClient,
    service: str,
    url: str,
    *,
    params: dict[str, Any] | None = None,
    bearer: str | None = None,
    missing_ok: bool = False,
) -> Any:
    """GET a JSON answer as this service (or with `bearer`); 404 is None when `missing_ok`."""
    try:
        response = await http.request(
            "GET", url, params=params, as_service=bearer is None, bearer=bearer
        )
    except (httpx.HTTPError, RuntimeError) as exc:
        log.warning("%s unreachable: %s", service, exc)
        raise UpstreamUnavailable(
            f"{service} cannot be reached right now; try again later.",
            details={"service": service},
        ) from exc
    if response.status_code == 404 and missing_ok:
        return None
    if response.status_code != 200:
        log.warning("%s answered %s: %s", service, response.status_code, response.text[:300])
        raise UpstreamUnavailable(
            f"{service} did not answer as agreed (HTTP {response.status_code}); try again later.",
            details={"service": service, "status": response.status_code},
        )
    return response.json()
