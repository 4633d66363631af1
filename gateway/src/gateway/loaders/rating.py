"""Loaders over rating-service: star levels of organizations and members, campaigns by id,
evaluation results by member."""

from __future__ import annotations

from typing import Any

from strawberry.dataloader import DataLoader

from gateway.loaders.batch import by_ids, grouped_by
from gateway.upstream import ServiceClient
from service_kit.pagination import MAX_BATCH_IDS


def star_level_loader(
    client: ServiceClient, bearer: str, subject_kind: str
) -> DataLoader[str, Any]:
    """The level in force of each subject (None: no level yet)."""
    return DataLoader(
        by_ids(
            client,
            "/star-levels",
            bearer,
            key="subject_id",
            params={"subject_kind": subject_kind},
        ),
        max_batch_size=MAX_BATCH_IDS,
    )


def campaign_loader(client: ServiceClient, bearer: str) -> DataLoader[str, Any]:
    return DataLoader(by_ids(client, "/campaigns", bearer), max_batch_size=MAX_BATCH_IDS)


def results_loader(client: ServiceClient, bearer: str) -> DataLoader[str, Any]:
    """Evaluation results of each member, oldest first."""
    return DataLoader(
        grouped_by(client, "/evaluation-results", bearer, param="member_ids", group="member_id"),
        max_batch_size=MAX_BATCH_IDS,
    )
