"""Closing a four-party evaluation puts exactly one entry per evaluated member into the
member's political archive: rating-service's outbox and relay, member-service's inbox.

Real services on their own databases: org-service and member-service served over HTTP,
rating-service in process with its relay driven by the test. Also when the relay delivers an
event twice, and when member-service is down while the campaign closes.
"""

from __future__ import annotations

import itertools
import random
import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from member_service.main import MIGRATIONS_DIR as MEMBER_MIGRATIONS
from member_service.main import create_app as create_member_app
from member_service.members.id_numbers import check_character
from member_service.settings import MemberSettings
from org_service.main import MIGRATIONS_DIR as ORG_MIGRATIONS
from org_service.main import create_app as create_org_app
from org_service.settings import OrgSettings
from rating_service.main import MIGRATIONS_DIR as RATING_MIGRATIONS
from rating_service.main import create_app as create_rating_app
from rating_service.settings import RatingSettings
from service_kit.events import OutboxRelay
from service_kit.pgcluster import free_port
from service_kit.testing import TestIssuer, app_client, migrated_database, serve_app

SECRET = "archive-test-secret"
SCOPES = [
    "org:read",
    "org:write",
    "org:admin",
    "member:read",
    "member:write",
    "member:admin",
    "rating:read",
    "rating:write",
    "rating:vote",
    "events:deliver",
]
FINALIZED = "rating.evaluation.finalized"
_births = itertools.count()


def token_app(issuer: TestIssuer) -> FastAPI:
    app = FastAPI()

    @app.post("/token")
    async def token(request: Request) -> JSONResponse:
        form = await request.form()
        if form.get("client_secret") != SECRET:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        access = issuer.token(
            subject=f"client:{form.get('client_id')}", roles=["service"], scopes=SCOPES
        )
        return JSONResponse({"access_token": access, "token_type": "Bearer", "expires_in": 600})

    return app


def settings_values(issuer: TestIssuer, db: str, token_url: str) -> dict[str, Any]:
    return {
        "environment": "test",
        "database_url": db,
        "auth_issuer": issuer.issuer,
        "auth_audience": issuer.audience,
        "auth_jwks": issuer.jwks_json,
        "token_url": token_url,
        "client_secret": SECRET,
        "relay_enabled": False,
        "log_json": False,
    }


@dataclass
class System:
    issuer: TestIssuer
    org: httpx.AsyncClient
    rating: httpx.AsyncClient
    rating_app: FastAPI
    rating_db: str
    member_port: int
    serve_member: Any
    ids: dict[str, uuid.UUID] = field(default_factory=dict)

    @property
    def member_url(self) -> str:
        return f"http://127.0.0.1:{self.member_port}"

    @property
    def admin(self) -> dict[str, str]:
        return self.issuer.headers(subject="admin", roles=["city_admin"], scopes=SCOPES)

    @property
    def relay(self) -> OutboxRelay:
        relay: OutboxRelay = self.rating_app.state.relay
        relay.base_backoff = 30.0  # a failed delivery waits until the test makes it due
        return relay

    async def post(self, base: str, path: str, body: Any) -> Any:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            response = await client.post(path, json=body, headers=self.admin)
        assert response.status_code in (200, 201), response.text
        return response.json()

    async def archive(self, member: str) -> list[dict[str, Any]]:
        async with httpx.AsyncClient(base_url=self.member_url, timeout=30) as client:
            response = await client.get(
                f"/members/{self.ids[member]}/archive",
                params={"kind": "evaluation", "limit": 200},
                headers=self.admin,
            )
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    async def sql(self, query: str, **params: Any) -> list[Any]:
        engine = create_async_engine(self.rating_db)
        try:
            async with engine.begin() as connection:
                result = await connection.execute(text(query), params)
                return list(result.all()) if result.returns_rows else []
        finally:
            await engine.dispose()

    async def drain(self) -> int:
        """Run the relay until it finds nothing due; how many deliveries it tried."""
        tried = 0
        while count := await self.relay.run_once():
            tried += count
        return tried

    async def campaign(self, name: str, members: list[str]) -> uuid.UUID:
        """A campaign over 支部A where every member gets ballots from two colleagues."""
        created = await self.rating.post(
            "/campaigns",
            json={
                "name": name,
                "organization_id": str(self.ids["支部A"]),
                "period_start": "2025-01-01",
                "period_end": "2025-12-31",
                "closes_at": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
                "criteria": ["overall"],
            },
            headers=self.admin,
        )
        assert created.status_code == 201, created.text
        campaign_id = uuid.UUID(created.json()["id"])
        for subject in members:
            for voter in [m for m in members if m != subject][:2]:
                response = await self.rating.post(
                    f"/campaigns/{campaign_id}/ballots",
                    json={
                        "member_id": str(self.ids[subject]),
                        "party": "members",
                        "scores": {"overall": random.randrange(60, 100)},
                    },
                    headers=self.issuer.headers(
                        subject=f"m.{voter}",
                        roles=["member"],
                        scopes=["rating:vote"],
                        member_id=self.ids[voter],
                    ),
                )
                assert response.status_code == 201, response.text
        return campaign_id

    async def close(self, campaign_id: uuid.UUID) -> None:
        response = await self.rating.post(f"/campaigns/{campaign_id}/close", headers=self.admin)
        assert response.status_code == 200, response.text


MEMBERS = ["甲", "乙", "丙", "丁"]


@pytest.fixture(scope="module")
async def system(pg_server_url: str, test_issuer: TestIssuer) -> AsyncIterator[System]:
    org_db = await migrated_database(pg_server_url, "archive_org", ORG_MIGRATIONS)
    member_db = await migrated_database(pg_server_url, "archive_member", MEMBER_MIGRATIONS)
    rating_db = await migrated_database(pg_server_url, "archive_rating", RATING_MIGRATIONS)
    member_port = free_port()
    member_url = f"http://127.0.0.1:{member_port}"
    async with serve_app(token_app(test_issuer)) as token_base:
        token_url = f"{token_base}/token"
        org = create_org_app(
            OrgSettings(**settings_values(test_issuer, org_db, token_url)), configure_logs=False
        )

        def serve_member() -> AbstractAsyncContextManager[str]:
            settings = MemberSettings(
                **settings_values(test_issuer, member_db, token_url), org_service_url=org_url
            )
            return serve_app(create_member_app(settings, configure_logs=False), port=member_port)

        async with serve_app(org) as org_url:
            rating_app = create_rating_app(
                RatingSettings(
                    **settings_values(test_issuer, rating_db, token_url),
                    org_service_url=org_url,
                    member_service_url=member_url,
                    event_subscriptions={FINALIZED: [member_url]},
                ),
                configure_logs=False,
            )
            async with (
                app_client(rating_app) as rating,
                httpx.AsyncClient(base_url=org_url, timeout=30) as org_client,
            ):
                system = System(
                    test_issuer,
                    org_client,
                    rating,
                    rating_app,
                    rating_db.replace("postgresql://", "postgresql+asyncpg://"),
                    member_port,
                    serve_member,
                )
                async with serve_member():
                    await build(system, org_url)
                yield system


async def build(system: System, org_url: str) -> None:
    ids = system.ids
    city = await system.post(org_url, "/regions", {"name": "长春市", "kind": "city"})
    district = await system.post(
        org_url,
        "/regions",
        {"name": "南关区", "kind": "district", "district_class": "urban", "parent_id": city["id"]},
    )
    committee = await system.post(
        org_url,
        "/organizations",
        {
            "name": "南关区党工委",
            "kind": "working_committee",
            "subkind": "district",
            "region_id": district["id"],
            "founded_on": "2012-01-01",
        },
    )
    branch = await system.post(
        org_url,
        "/organizations",
        {
            "name": "支部A",
            "kind": "branch",
            "region_id": district["id"],
            "parent_id": committee["id"],
            "founded_on": "2012-01-01",
        },
    )
    ids["支部A"] = uuid.UUID(branch["id"])
    items = []
    for name in MEMBERS:
        born = f"{1975 + next(_births)}0301"
        first17 = f"220102{born}{random.randrange(1000):03d}"
        items.append(
            {
                "name": name,
                "id_number": first17 + check_character(first17),
                "organization_id": branch["id"],
                "stage": "full_member",
                "applied_on": "2014-03-01",
                "activist_on": "2014-09-01",
                "development_target_on": "2015-10-01",
                "admitted_on": "2016-07-01",
                "full_member_on": "2017-07-03",
            }
        )
    created = await system.post(system.member_url, "/members/bulk", {"items": items})
    for name, member_id in zip(MEMBERS, created["ids"], strict=True):
        ids[name] = uuid.UUID(member_id)


async def entries_of(system: System, campaign_id: uuid.UUID) -> dict[str, int]:
    """How many archive entries of this campaign each member has."""
    counts = {}
    for name in MEMBERS:
        entries = await system.archive(name)
        counts[name] = sum(
            1 for e in entries if e["payload"].get("campaign_id") == str(campaign_id)
        )
    return counts


async def test_closing_puts_one_entry_per_member_into_the_archive_also_when_delivered_twice(
    system: System,
) -> None:
    async with system.serve_member():
        campaign_id = await system.campaign("2025年度四方评议", MEMBERS)
        await system.close(campaign_id)
        assert await system.drain() == len(MEMBERS)
        assert await entries_of(system, campaign_id) == dict.fromkeys(MEMBERS, 1)
        entry = (await system.archive("甲"))[-1]
        assert entry["source"] == "rating-service"
        assert entry["payload"]["stars"] in range(1, 6)

        # the relay delivers every event again (as after a lost acknowledgement)
        await system.sql(
            "UPDATE outbox_delivery SET status = 'pending', next_attempt_at = now() "
            "WHERE event_id IN (SELECT id FROM outbox_event WHERE data->>'campaign_id' = :c)",
            c=str(campaign_id),
        )
        assert await system.drain() == len(MEMBERS)
        # and one envelope arrives twice more, straight from the wire
        event = (
            await system.sql(
                "SELECT * FROM outbox_event WHERE data->>'campaign_id' = :c LIMIT 1",
                c=str(campaign_id),
            )
        )[0]
        envelope = {
            "id": str(event.id),
            "type": event.type,
            "occurred_at": event.occurred_at.isoformat(),
            "source": event.source,
            "subject": event.subject,
            "version": event.version,
            "data": event.data,
        }
        service_token = system.issuer.headers(
            subject="client:rating-service", roles=["service"], scopes=["events:deliver"]
        )
        async with httpx.AsyncClient(base_url=system.member_url) as client:
            for _ in range(2):
                response = await client.post("/events", json=envelope, headers=service_token)
                assert response.status_code == 200, response.text
                assert response.json()["outcome"] == "duplicate"
        assert await entries_of(system, campaign_id) == dict.fromkeys(MEMBERS, 1)


async def test_an_entry_per_member_also_when_member_service_was_down_at_closing(
    system: System,
) -> None:
    async with system.serve_member():
        campaign_id = await system.campaign("2026年度四方评议", MEMBERS)
    # member-service is down now: the campaign closes all the same
    await system.close(campaign_id)
    assert await system.drain() == len(MEMBERS)  # every delivery fails once
    query = (
        "SELECT d.status, d.attempts FROM outbox_delivery d "
        "JOIN outbox_event e ON e.id = d.event_id WHERE e.data->>'campaign_id' = :c"
    )
    failed = await system.sql(query, c=str(campaign_id))
    assert {(f.status, f.attempts) for f in failed} == {("pending", 1)}
    async with system.serve_member():
        await system.sql(
            "UPDATE outbox_delivery SET next_attempt_at = now() WHERE status = 'pending'"
        )
        assert await system.drain() == len(MEMBERS)
        assert await entries_of(system, campaign_id) == dict.fromkeys(MEMBERS, 1)
    delivered = await system.sql(query, c=str(campaign_id))
    assert {(d.status, d.attempts) for d in delivered} == {("delivered", 2)}
