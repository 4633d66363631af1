"""Loaders over funding-service: the accounts of organizations."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from strawberry.dataloader import DataLoader

from gateway.loaders.batch import grouped_by
from gateway.upstream import ServiceClient
from service_kit.pagination import MAX_BATCH_IDS

# An organization's own money: its funds per budget line and the dues it collected (a payee
# account carries its payee's organization too, but is not that organization's money).
ORGANIZATION_ACCOUNT_KINDS = ("organization", "dues")


def organization_accounts(
    client: ServiceClient, bearer: str
) -> Callable[[list[str]], Awaitable[Sequence[Any]]]:
    """The accounts of each organization, over GET /accounts?organization_ids=…."""
    load_all = grouped_by(
        client, "/accounts", bearer, param="organization_ids", group="organization_id"
    )

    async def load(keys: list[str]) -> list[Any]:
        found = await load_all(keys)
        return [
            accounts
            if isinstance(accounts, BaseException)
            else [a for a in accounts if a["kind"] in ORGANIZATION_ACCOUNT_KINDS]
            for accounts in found
        ]

    return load


def accounts_loader(client: ServiceClient, bearer: str) -> DataLoader[str, Any]:
    return DataLoader(organization_accounts(client, bearer), max_batch_size=MAX_BATCH_IDS)
