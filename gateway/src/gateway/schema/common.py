"""Connections, page info and the helpers every type module uses."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import strawberry

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


def connection(page: dict[str, Any], convert: Any) -> Any:
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
