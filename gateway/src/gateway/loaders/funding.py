"""Loaders over funding-service: an organization's accounts."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from strawberry.dataloader import DataLoader

from gateway.loaders.batch import failed
from gateway.upstream import ServiceClient
from service_kit.pagination import MAX_PAGE_SIZE

# An organization's own money: its funds per budget line and the dues it collected.
ORGANIZATION_ACCOUNT_KINDS = ("organization", "dues")


def organization_accounts(
    client: ServiceClient, bearer: str
) -> Callable[[list[str]], Awaitable[Sequence[Any]]]:
    """The accounts of each organization.

    funding-service lists accounts of one organization per call (no batch by organization
    yet), so the calls of one batch go out together rather than one after another.
    """

    async def one(organization_id: str) -> list[Any]:
        accounts: list[Any] = []
        after: str | None = None
        while True:
            page = await client.get(
                "/accounts",
                bearer=bearer,
                params={"organization_id": organization_id, "limit": MAX_PAGE_SIZE, "after": after},
            )
            accounts += [a for a in page["items"] if a["kind"] in ORGANIZATION_ACCOUNT_KINDS]
            after = page.get("next_cursor")
            if not after:
                return accounts

    async def load(keys: list[str]) -> list[Any]:
        unique = list(dict.fromkeys(keys))
        try:
            answers = await asyncio.gather(*(one(k) for k in unique))
        except Exception as exc:
            return failed(keys, exc)
        found = dict(zip(unique, answers, strict=True))
        return [found[k] for k in keys]

    return load


def accounts_loader(client: ServiceClient, bearer: str) -> DataLoader[str, Any]:
    return DataLoader(organization_accounts(client, bearer), max_batch_size=50)
