"""Connections, page info, scalars and the helpers every type module uses."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import strawberry

from gateway.schema.errors import GatewayError

if TYPE_CHECKING:
    from gateway.schema.organizations import Organization

T = TypeVar("T")

MAX_FIRST = 200


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    nodes: list[T]
    page_info: PageInfo


def connection(page: dict[str, Any], convert: Callable[[Any], T]) -> Connection[T]:
    """A REST page ({items, cursors, next_cursor}) as a Relay-style connection."""
    nodes = [convert(item) for item in page["items"]]
    cursors = page.get("cursors") or [""] * len(nodes)
    return Connection(
        edges=[Edge(cursor=c, node=n) for c, n in zip(cursors, nodes, strict=True)],
        nodes=nodes,
        page_info=PageInfo(
            has_next_page=page.get("next_cursor") is not None,
            end_cursor=page.get("next_cursor") or (cursors[-1] if cursors else None),
        ),
    )


def check_first(first: int) -> None:
    if first < 1 or first > MAX_FIRST:
        raise GatewayError("page_size_too_large", f"first must be between 1 and {MAX_FIRST}.")


def uuid_arg(value: strawberry.ID | str, name: str = "id") -> str:
    """An id argument checked here, so that a malformed one never reaches a service."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError as exc:
        raise GatewayError("invalid_id", f"{name} must be a UUID.") from exc


def day(value: Any) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def moment(value: Any) -> datetime.datetime | None:
    return datetime.datetime.fromisoformat(value) if value else None


def iso(value: datetime.date | datetime.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def today() -> str:
    return datetime.date.today().isoformat()


def idempotency_headers(key: str) -> dict[str, str]:
    """The header funding-service replays a write by: the same key never pays twice."""
    if not 1 <= len(key) <= 200 or not all(0x21 <= ord(c) <= 0x7E for c in key):
        raise GatewayError(
            "invalid_idempotency_key",
            "idempotencyKey is 1 to 200 visible ASCII characters, new for each new write "
            "and the same when a write is retried.",
        )
    return {"Idempotency-Key": key}


async def load_organization(
    info: strawberry.Info, organization_id: str | None
) -> Organization | None:
    """An organization by id through the request's loader (None: unknown or hidden)."""
    from gateway.schema.organizations import Organization

    if organization_id is None:
        return None
    data = await info.context.loaders.organization.load(organization_id)
    return Organization.from_rest(data) if data else None
