"""The events funding-service hears: each applied once, malformed data refused, and what
they build (member counts, secretary terms, star levels) as the runs and bids read it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from service_kit.testing import TestIssuer

from .conftest import Funds, envelope, events_headers


class TestInbox:
    async def test_an_event_is_applied_once(
        self, funds: Funds, test_issuer: TestIssuer, db: asyncpg.Connection
    ) -> None:
        member, organization = uuid.uuid4(), uuid.uuid4()
        body = envelope(
            "member.stage.changed",
            member,
            {
                "member_id": str(member),
                "organization_id": str(organization),
                "serving_organization_id": str(organization),
                "from_stage": "probationary_member",
                "to_stage": "full_member",
                "effective_on": "2024-05-01",
            },
        )
        headers = events_headers(test_issuer)
        first = await funds.client.post("/events", json=body, headers=headers)
        second = await funds.client.post("/events", json=body, headers=headers)
        assert [first.json()["outcome"], second.json()["outcome"]] == ["handled", "duplicate"]
        assert await db.fetchval("SELECT count(*) FROM member_period") == 1

    async def test_malformed_data_is_refused_and_nothing_is_kept(
        self, funding: httpx.AsyncClient, test_issuer: TestIssuer, db: asyncpg.Connection
    ) -> None:
        body = envelope("member.secretary_term.changed", "x", {"member_id": "not-a-uuid"})
        response = await funding.post("/events", json=body, headers=events_headers(test_issuer))
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "invalid_event_data"
        assert await db.fetchval("SELECT count(*) FROM inbox_event") == 0

    async def test_events_need_the_events_scope(
        self, funding: httpx.AsyncClient, city_admin: dict[str, str]
    ) -> None:
        body = envelope("member.stage.changed", "x", {})
        response = await funding.post("/events", json=body, headers=city_admin)
        assert response.status_code == 403


def stage_changed(member: uuid.UUID, to: str, on: str, organization: uuid.UUID) -> dict[str, Any]:
    """A member.stage.changed envelope: `member` is `to` in `organization` from `on`."""
    return envelope(
        "member.stage.changed",
        member,
        {
            "member_id": str(member),
            "organization_id": str(organization),
            "serving_organization_id": None,
            "from_stage": None,
            "to_stage": to,
            "effective_on": on,
        },
    )


class TestMemberTimeline:
    async def test_stages_and_transfers_build_each_day_s_membership(
        self, funds: Funds, test_issuer: TestIssuer, db: asyncpg.Connection
    ) -> None:
        member, first, second = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

        async def stage(to: str, on: str, organization: uuid.UUID) -> None:
            body = stage_changed(member, to, on, organization)
            await funds.event(test_issuer, body["type"], member, body["data"])

        await stage("probationary_member", "2023-01-10", first)
        await stage("full_member", "2024-01-10", first)
        await funds.event(
            test_issuer,
            "member.transferred",
            member,
            {
                "member_id": str(member),
                "from_organization_id": str(first),
                "to_organization_id": str(second),
                "effective_on": "2024-06-01",
                "stage": "full_member",
            },
        )
        await stage("left", "2025-01-01", second)
        rows = await db.fetch(
            "SELECT organization_id, stage, valid_from::text, valid_to::text FROM member_period "
            "WHERE member_id = $1 ORDER BY valid_from",
            member,
        )
        assert [tuple(r) for r in rows] == [
            (first, "probationary_member", "2023-01-10", "2024-01-10"),
            (first, "full_member", "2024-01-10", "2024-06-01"),
            (second, "full_member", "2024-06-01", "2025-01-01"),
        ]

    async def test_a_relays_batch_builds_the_same_timelines_as_one_event_at_a_time(
        self,
        funds: Funds,
        test_issuer: TestIssuer,
        db: asyncpg.Connection,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """Several members' stages, transfers and secretary terms in one batch, a member
        twice in a row of the same type: each timeline as if the events came one by one."""
        one, two, first, second = (uuid.uuid4() for _ in range(4))

        def term(name: str, end: str | None) -> dict[str, Any]:
            return envelope(
                "member.secretary_term.changed",
                one,
                {
                    "member_id": str(one),
                    "organization_id": str(first),
                    "change": "ended" if end else "started",
                    "term_start": "2024-01-10",
                    "term_end": end,
                    "name": name,
                },
            )

        batch = [
            stage_changed(one, "probationary_member", "2023-01-10", first),
            stage_changed(two, "full_member", "2023-03-01", first),
            stage_changed(one, "full_member", "2024-01-10", first),
            envelope(
                "member.transferred",
                one,
                {
                    "member_id": str(one),
                    "from_organization_id": str(first),
                    "to_organization_id": str(second),
                    "effective_on": "2024-06-01",
                    "stage": "full_member",
                },
            ),
            stage_changed(one, "left", "2025-01-01", second),
            stage_changed(two, "deceased", "2025-02-01", first),
            term("王书记", None),
            term("", "2024-05-31"),
        ]
        response = await funds.client.post(
            "/events/batch", json={"events": batch}, headers=events_headers(test_issuer)
        )
        assert [r["outcome"] for r in response.json()["receipts"]] == ["handled"] * len(batch)
        assert "batch handler" not in caplog.text  # applied by the batch, not event by event
        rows = await db.fetch(
            "SELECT member_id, organization_id, stage, valid_from::text, valid_to::text "
            "FROM member_period ORDER BY member_id = $1 DESC, valid_from",
            one,
        )
        assert [tuple(r) for r in rows] == [
            (one, first, "probationary_member", "2023-01-10", "2024-01-10"),
            (one, first, "full_member", "2024-01-10", "2024-06-01"),
            (one, second, "full_member", "2024-06-01", "2025-01-01"),
            (two, first, "full_member", "2023-03-01", "2025-02-01"),
        ]
        terms = await db.fetch("SELECT name, term_start::text, term_end::text FROM secretary_term")
        assert [tuple(t) for t in terms] == [("王书记", "2024-01-10", "2024-05-31")]


def star_level_announced(subject: uuid.UUID, stars: int, when: datetime) -> dict[str, Any]:
    """A rating.star_level.changed envelope of an organization, announced at `when`."""
    body = envelope(
        "rating.star_level.changed",
        subject,
        {
            "subject_kind": "organization",
            "subject_id": str(subject),
            "stars": stars,
            "previous_stars": None,
            "valid_from": "2024-01-01",
            "valid_until": None,
            "showcase": False,
        },
    )
    body["occurred_at"] = when.isoformat()
    return body


class TestStarLevels:
    async def test_an_older_announcement_never_replaces_a_newer_one(
        self, funds: Funds, test_issuer: TestIssuer, db: asyncpg.Connection
    ) -> None:
        organization = uuid.uuid4()
        now = datetime.now(UTC)
        for stars, when in ((4, now), (2, now - timedelta(days=1))):
            body = star_level_announced(organization, stars, when)
            response = await funds.client.post(
                "/events", json=body, headers=events_headers(test_issuer)
            )
            assert response.status_code == 200
        assert await db.fetchval("SELECT stars FROM star_level") == 4

    async def test_a_batch_keeps_each_subjects_latest_announcement(
        self,
        funds: Funds,
        test_issuer: TestIssuer,
        db: asyncpg.Connection,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """A relay's batch: several announcements of one subject among others, applied in one
        statement, the newest kept whatever the order; an older batch changes nothing."""
        first, second = uuid.uuid4(), uuid.uuid4()
        now = datetime.now(UTC)

        announced = star_level_announced

        batch = [
            announced(first, 3, now - timedelta(hours=2)),
            announced(second, 5, now),
            announced(first, 4, now),
            announced(first, 2, now - timedelta(hours=1)),
        ]
        headers = events_headers(test_issuer)
        response = await funds.client.post("/events/batch", json={"events": batch}, headers=headers)
        older = await funds.client.post(
            "/events/batch",
            json={"events": [announced(second, 1, now - timedelta(days=1))]},
            headers=headers,
        )
        assert [r["outcome"] for r in response.json()["receipts"]] == ["handled"] * 4
        assert "batch handler" not in caplog.text  # applied by the batch, not event by event
        assert older.json()["receipts"][0]["outcome"] == "handled"
        rows = await db.fetch("SELECT subject_id, stars FROM star_level")
        assert {r["subject_id"]: r["stars"] for r in rows} == {first: 4, second: 5}
