"""Events across services: a finalized evaluation delivered by a relay exactly as rating-service's
relay posts it (envelope, service token with events:deliver) lands in the archive once, however
often it arrives; organization events keep the local references current."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import httpx
import pytest
from sqlmodel import SQLModel, select

from member_service.main import create_app
from service_kit.db import Database
from service_kit.events import EventPublisher, OutboxDelivery, OutboxEvent, OutboxRelay
from service_kit.http import HttpClient
from service_kit.pgcluster import drop_database, ensure_database
from service_kit.testing import serve_app

from .conftest import City, Members, member_settings, plain_url, reset_member_database


@pytest.fixture
async def served_member(member_db_url: str, city: City) -> AsyncIterator[str]:
    """member-service over real HTTP, as another service's relay reaches it."""
    app = create_app(member_settings(member_db_url, city), configure_logs=False)
    async with serve_app(app) as url:
        yield url
    await reset_member_database(member_db_url)


@pytest.fixture
async def rating_outbox(pg_server_url: str) -> AsyncIterator[Database]:
    """An outbox of the kit's own tables, standing in for rating-service's database."""
    await drop_database(pg_server_url, "member_rating_outbox")
    url = await ensure_database(pg_server_url, "member_rating_outbox")
    database = Database(url)
    async with database.engine.begin() as connection:
        await connection.run_sync(
            lambda sync: SQLModel.metadata.create_all(
                sync,
                tables=[OutboxEvent.__table__, OutboxDelivery.__table__],  # type: ignore[attr-defined]
            )
        )
    yield database
    await database.dispose()


def evaluation(member_id: str, organization_id: uuid.UUID) -> dict[str, Any]:
    return {
        "campaign_id": str(uuid.uuid4()),
        "member_id": member_id,
        "organization_id": str(organization_id),
        "period_start": "2026-01-01",
        "period_end": "2026-06-30",
        "weighted_score": 91.5,
        "stars": 5,
        "parties_used": ["owner", "secretary", "members", "masses"],
        "rescaled": False,
        "capped": False,
        "grade": "excellent",
        "finalized_at": datetime(2026, 7, 5, 9, 30, tzinfo=UTC).isoformat(),
    }


async def archive_of(client: httpx.AsyncClient, city: City, member_id: str) -> list[dict[str, Any]]:
    response = await client.get(
        f"/members/{member_id}/archive", params={"kind": "evaluation"}, headers=city.admin()
    )
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_rule_evaluation_finalized_lands_in_the_archive_once(
    members: Members,
    client: httpx.AsyncClient,
    city: City,
    served_member: str,
    rating_outbox: Database,
) -> None:
    member = await members.full_member()
    publisher = EventPublisher(
        source="rating-service",
        subscriptions={"rating.evaluation.finalized": [served_member]},
    )
    async with rating_outbox.sessionmaker() as session, session.begin():
        envelope = await publisher.publish(
            session,
            type="rating.evaluation.finalized",
            subject=member["id"],
            data=evaluation(member["id"], city["盈科律所党支部"]),
        )
    http = HttpClient(
        token_url=f"{city.gateway_url}/auth/token",
        client_id="rating-service",
        client_secret="dev-service-secret",
    )
    relay = OutboxRelay(rating_outbox, http)
    try:
        assert await relay.run_once() == 1
        async with rating_outbox.sessionmaker() as session, session.begin():
            delivery = (await session.exec(select(OutboxDelivery))).one()
            assert delivery.status == "delivered", delivery.last_error
            # A second delivery of the same event, as after a lost acknowledgement.
            delivery.status = "pending"
            session.add(delivery)
        assert await relay.run_once() == 1
    finally:
        await http.aclose()
    entries = await archive_of(client, city, member["id"])
    assert len(entries) == 1
    [entry] = entries
    assert entry["source"] == "rating-service"
    assert entry["source_event_id"] == str(envelope.id)
    assert entry["occurred_on"] == "2026-07-05"
    assert (entry["payload"]["stars"], entry["payload"]["grade"]) == (5, "excellent")
    assert entry["payload"]["weighted_score"] == 91.5
    verified = await client.get(
        f"/members/{member['id']}/archive/verification", headers=city.admin()
    )
    assert verified.json()["valid"] is True


async def test_rule_evaluation_finalized_lands_in_the_archive_once_from_a_relays_batch(
    members: Members, client: httpx.AsyncClient, city: City, caplog: pytest.LogCaptureFixture
) -> None:
    """A relay's batch: each member's results in order on their chain, a member this service
    does not hold skipped, a malformed one refused alone, a repeat recorded once."""
    first, second = await members.full_member(), await members.full_member()
    branch = city["盈科律所党支部"]
    service = city.headers(subject="rating-service", roles=["service"], scopes=["events:deliver"])

    def envelope(member_id: str, data: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": str(uuid.uuid4()),
            "type": "rating.evaluation.finalized",
            "occurred_at": datetime.now(UTC).isoformat(),
            "source": "rating-service",
            "subject": member_id,
            "version": 1,
            "data": data,
        }

    earlier = envelope(first["id"], {**evaluation(first["id"], branch), "stars": 3})
    later = envelope(first["id"], {**evaluation(first["id"], branch), "stars": 4})
    other = envelope(second["id"], evaluation(second["id"], branch))
    stranger = str(uuid.uuid4())
    unknown = envelope(stranger, evaluation(stranger, branch))
    batch = [earlier, later, other, unknown]
    response = await client.post("/events/batch", json={"events": batch}, headers=service)
    assert [r["outcome"] for r in response.json()["receipts"]] == ["handled"] * 4
    assert "batch handler" not in caplog.text  # applied by the batch, not event by event
    malformed = envelope(second["id"], {"member_id": second["id"]})
    newer = envelope(second["id"], {**evaluation(second["id"], branch), "stars": 2})
    again = await client.post(
        "/events/batch", json={"events": [later, malformed, newer]}, headers=service
    )
    receipts = again.json()["receipts"]
    assert [(r["outcome"], r["status"]) for r in receipts] == [
        ("duplicate", 200),
        ("failed", 422),
        ("handled", 200),
    ]
    assert receipts[1]["error"]["code"] == "invalid_event_data"
    entries = await archive_of(client, city, first["id"])
    by_stars = {e["payload"]["stars"]: e for e in entries}
    assert len(entries) == 2
    assert by_stars[3]["source_event_id"] == earlier["id"]
    assert by_stars[4]["source_event_id"] == later["id"]
    assert by_stars[3]["seq"] < by_stars[4]["seq"]
    assert sorted(e["source_event_id"] for e in await archive_of(client, city, second["id"])) == (
        sorted([other["id"], newer["id"]])
    )
    for member in (first, second):
        verified = await client.get(
            f"/members/{member['id']}/archive/verification", headers=city.admin()
        )
        assert verified.json()["valid"] is True


async def test_events_need_the_delivery_scope_and_a_valid_payload(
    members: Members, client: httpx.AsyncClient, city: City
) -> None:
    member = await members.full_member()
    service = city.headers(subject="rating-service", roles=["service"], scopes=["events:deliver"])
    envelope = {
        "id": str(uuid.uuid4()),
        "type": "rating.evaluation.finalized",
        "occurred_at": datetime.now(UTC).isoformat(),
        "source": "rating-service",
        "subject": member["id"],
        "version": 1,
        "data": {"member_id": member["id"]},
    }
    malformed = await client.post("/events", json=envelope, headers=service)
    assert malformed.status_code == 422
    assert malformed.json()["error"]["code"] == "invalid_event_data"
    good = {**envelope, "data": evaluation(member["id"], city["盈科律所党支部"])}
    first = await client.post("/events", json=good, headers=service)
    second = await client.post("/events", json=good, headers=service)
    assert (first.json()["outcome"], second.json()["outcome"]) == ("handled", "duplicate")
    unknown = {
        **good,
        "id": str(uuid.uuid4()),
        "data": evaluation(str(uuid.uuid4()), city["盈科律所党支部"]),
    }
    assert (await client.post("/events", json=unknown, headers=service)).status_code == 200
    assert len(await archive_of(client, city, member["id"])) == 1


async def test_organization_events_keep_references_current(
    client: httpx.AsyncClient, city: City, member_db_url: str
) -> None:
    service = city.headers(subject="org-service", roles=["service"], scopes=["events:deliver"])
    organization_id = uuid.uuid4()

    def changed(change: str, status: str, updated_at: datetime, name: str) -> dict[str, Any]:
        return {
            "id": str(uuid.uuid4()),
            "type": "org.organization.changed",
            "occurred_at": datetime.now(UTC).isoformat(),
            "source": "org-service",
            "subject": str(organization_id),
            "version": 1,
            "data": {
                "change": change,
                "effective_on": str(date.today()),
                "organization": {
                    "id": str(organization_id),
                    "name": name,
                    "kind": "branch",
                    "parent_id": str(city["星火源综合党委"]),
                    "region_id": str(city["南岭街道"]),
                    "status": status,
                    "updated_at": updated_at.isoformat(),
                    "depth": 4,
                },
            },
        }

    later = datetime(2026, 3, 1, tzinfo=UTC)
    earlier = datetime(2026, 2, 1, tzinfo=UTC)
    for event in (
        changed("renamed", "active", later, "新名字"),
        changed("founded", "active", earlier, "旧名字"),  # arrives late: ignored
    ):
        response = await client.post("/events", json=event, headers=service)
        assert response.status_code == 200, response.text
    connection = await asyncpg.connect(plain_url(member_db_url))
    try:
        row = await connection.fetchrow(
            "SELECT name, status FROM member_org_reference WHERE id = $1", organization_id
        )
    finally:
        await connection.close()
    assert (row["name"], row["status"]) == ("新名字", "active")
