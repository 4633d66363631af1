"""Loaders over member-service: members by id, members, secretaries and counts by organization,
posts by member."""

from __future__ import annotations

import datetime
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from strawberry.dataloader import DataLoader

from gateway.loaders.batch import by_ids, chunks, failed, grouped_by
from gateway.upstream import ServiceClient
from service_kit.pagination import MAX_BATCH_IDS, MAX_PAGE_SIZE

# member-service answers at most this many members per /organization-members call
# (organizations asked for × limit).
MAX_FIRST_MEMBERS = 10_000

# (organization id, members per organization, stage or None)
MembersKey = tuple[str, int, str | None]
# (member id, held on day or None)
PostsKey = tuple[str, str | None]
# (organization id, as-of day or None)
CountKey = tuple[str, str | None]


def first_members(
    client: ServiceClient, bearer: str
) -> Callable[[list[MembersKey]], Awaitable[Sequence[Any]]]:
    """The first page of members of each organization: one call per page size and stage."""

    async def load(keys: list[MembersKey]) -> list[Any]:
        found: dict[MembersKey, Any] = {}
        shapes = list(dict.fromkeys((first, stage) for _, first, stage in keys))
        try:
            for first, stage in shapes:
                organizations = list(
                    dict.fromkeys(o for o, f, s in keys if (f, s) == (first, stage))
                )
                per_call = min(MAX_BATCH_IDS, max(1, MAX_FIRST_MEMBERS // first))
                for chunk in chunks(organizations, per_call):
                    body = await client.get(
                        "/organization-members",
                        bearer=bearer,
                        params={
                            "organization_ids": ",".join(chunk),
                            "limit": first,
                            "stage": stage,
                        },
                    )
                    for page in body["items"]:
                        found[(str(page["organization_id"]), first, stage)] = page
        except Exception as exc:
            return failed(keys, exc)
        return [found.get(key) for key in keys]

    return load


def held_posts(
    client: ServiceClient, bearer: str
) -> Callable[[list[PostsKey]], Awaitable[Sequence[Any]]]:
    """Posts by (member, day held): one call per day asked for (more only past 200 posts)."""

    async def load(keys: list[PostsKey]) -> list[Any]:
        found: dict[PostsKey, list[Any]] = {key: [] for key in keys}
        days = list(dict.fromkeys(day for _, day in keys))
        try:
            for day in days:
                members = [m for m, d in keys if d == day]
                grouped = await grouped_by(
                    client,
                    "/member-posts",
                    bearer,
                    param="member_ids",
                    group="member_id",
                    params={"held_on": day},
                )(members)
                for member, posts in zip(members, grouped, strict=True):
                    if isinstance(posts, BaseException):
                        raise posts
                    found[(member, day)] = posts
        except Exception as exc:
            return failed(keys, exc)
        return [found[key] for key in keys]

    return load


def current_secretaries(
    client: ServiceClient, bearer: str
) -> Callable[[list[str]], Awaitable[Sequence[Any]]]:
    """The secretary term running today of each organization (None: no secretary)."""

    async def load(keys: list[str]) -> list[Any]:
        today = datetime.date.today().isoformat()
        terms = await grouped_by(
            client,
            "/secretary-terms",
            bearer,
            param="organization_ids",
            group="organization_id",
            params={"from": today, "to": today},
            chunk_size=MAX_PAGE_SIZE,
        )(keys)
        return [t if isinstance(t, BaseException) else (t[-1] if t else None) for t in terms]

    return load


def member_counts(
    client: ServiceClient, bearer: str
) -> Callable[[list[CountKey]], Awaitable[Sequence[Any]]]:
    """Full and probationary members by (organization, day): one call per day."""

    async def load(keys: list[CountKey]) -> list[Any]:
        found: dict[CountKey, Any] = {}
        days = list(dict.fromkeys(day for _, day in keys))
        try:
            for day in days:
                organizations = list(dict.fromkeys(o for o, d in keys if d == day))
                for chunk in chunks(organizations, MAX_BATCH_IDS):
                    body = await client.get(
                        "/member-counts",
                        bearer=bearer,
                        params={"organization_ids": ",".join(chunk), "as_of": day},
                    )
                    for row in body["items"]:
                        found[(str(row["organization_id"]), day)] = row
        except Exception as exc:
            return failed(keys, exc)
        return [found.get(key) for key in keys]

    return load


def member_loader(client: ServiceClient, bearer: str) -> DataLoader[str, Any]:
    return DataLoader(by_ids(client, "/members", bearer), max_batch_size=MAX_BATCH_IDS)


def first_members_loader(client: ServiceClient, bearer: str) -> DataLoader[MembersKey, Any]:
    return DataLoader(first_members(client, bearer))


def posts_loader(client: ServiceClient, bearer: str) -> DataLoader[PostsKey, Any]:
    return DataLoader(held_posts(client, bearer), max_batch_size=MAX_BATCH_IDS)


def secretary_loader(client: ServiceClient, bearer: str) -> DataLoader[str, Any]:
    return DataLoader(current_secretaries(client, bearer), max_batch_size=MAX_PAGE_SIZE)


def member_counts_loader(client: ServiceClient, bearer: str) -> DataLoader[CountKey, Any]:
    return DataLoader(member_counts(client, bearer))
