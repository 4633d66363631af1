"""Materialized paths for the region and organization trees.

A path is the chain of ids from the root, each as 32 hex digits and a '/', so that
"everything under X" is one range scan on a C-collated btree index whatever the depth
(ltree would need an extension that not every bundled server ships; a closure table
would cost depth-many rows per node and a join per query).
"""

from __future__ import annotations

import uuid

SEGMENT = 33  # 32 hex digits and '/'


def child_path(parent_path: str | None, node_id: uuid.UUID) -> str:
    return (parent_path or "") + node_id.hex + "/"


def depth_of(path: str) -> int:
    return len(path) // SEGMENT


def ancestor_ids(path: str) -> list[uuid.UUID]:
    """The ids above the node at `path`, root first (the node itself excluded)."""
    segments = [path[i : i + SEGMENT - 1] for i in range(0, len(path), SEGMENT)]
    return [uuid.UUID(hex=s) for s in segments[:-1]]
