"""Events: outbox in the change's transaction, relay over HTTP with retries, idempotent inbox.

ARCHITECTURE.md "Events": at least once on the wire, exactly once in the data, in order per
subject. The subscriber is a real service app on its own database, served over HTTP; the
relay gets its service token from a real client-credentials endpoint.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import String, func, literal, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from service_kit.db import Database
from service_kit.errors import Unprocessable
from service_kit.events import (
    CLAIM_ALONG_THE_INDEX,
    EVENTS_SCOPE,
    MAX_EVENT_BATCH,
    EventEnvelope,
    EventPublisher,
    NewEvent,
    OutboxDelivery,
    OutboxEvent,
    OutboxRelay,
    claim_due,
    layered,
    pending_deliveries,
)
from service_kit.http import HttpClient
from service_kit.pgcluster import drop_database, ensure_database, free_port
from service_kit.testing import TestIssuer, serve_app

from .kitapp import (
    PROBE_CREATED,
    SERVICE_NAME,
    KitProbe,
    ProbeInbox,
    TokenEndpoint,
    kit_settings,
    probe_app,
    sql_exec,
    sql_rows,
    sql_value,
)


@dataclass
class Subscriber:
    """A subscribing service: its app, inbox and database, on a port it may or may not serve."""

    app: FastAPI
    inbox: ProbeInbox
    database: Database
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def serve(self) -> AbstractAsyncContextManager[str]:
        return serve_app(self.app, port=self.port)

    async def stored_names(self) -> list[str]:
        rows = await sql_rows(self.database, "SELECT name FROM kit_probe ORDER BY name")
        return [r.name for r in rows]


@pytest.fixture
def subscriber(sub_db: Database, test_issuer: TestIssuer) -> Subscriber:
    inbox = ProbeInbox()
    settings = kit_settings(test_issuer, sub_db.url, service_name="kit-subscriber")
    return Subscriber(probe_app(settings, sub_db, inbox=inbox), inbox, sub_db, free_port())


@pytest.fixture
def publisher(subscriber: Subscriber) -> EventPublisher:
    return EventPublisher(source=SERVICE_NAME, subscriptions={PROBE_CREATED: [subscriber.url]})


RelayFactory = Callable[..., OutboxRelay]


@pytest.fixture
async def make_relay(
    kit_db: Database, token_endpoint: TokenEndpoint
) -> AsyncIterator[RelayFactory]:
    """Relays as a replica would run them: their own HTTP client with service credentials."""
    clients: list[HttpClient] = []

    def make(database: Database | None = None, **kwargs: Any) -> OutboxRelay:
        http = HttpClient(**token_endpoint.credentials())
        clients.append(http)
        # A long backoff: a failed delivery is due only when a test makes it due.
        kwargs.setdefault("base_backoff_seconds", 60.0)
        return OutboxRelay(database or kit_db, http, **kwargs)

    yield make
    for client in clients:
        await client.aclose()


async def publish(
    database: Database, publisher: EventPublisher, name: str, *, subject: str | None = None
) -> EventEnvelope:
    """One event in its own committed transaction, as an endpoint would write it."""
    probe_id = uuid.uuid4()
    async with database.sessionmaker() as session, session.begin():
        return await publisher.publish(
            session,
            type=PROBE_CREATED,
            subject=subject or probe_id,
            data={"id": str(probe_id), "name": name},
        )


async def make_due(database: Database) -> None:
    await sql_exec(
        database, "UPDATE outbox_delivery SET next_attempt_at = now() WHERE status = 'pending'"
    )


async def drain(*relays: OutboxRelay) -> int:
    """Run the relays side by side until none finds work; returns how many deliveries they tried."""
    tried = 0
    while True:
        counts = await asyncio.gather(*(r.run_once() for r in relays))
        if not any(counts):
            return tried
        tried += sum(counts)


async def deliveries(database: Database) -> list[Any]:
    return await sql_rows(
        database,
        "SELECT d.event_id, d.event_seq, d.subject, d.subscriber, d.status, d.attempts, "
        "d.last_error, d.delivered_at, d.next_attempt_at > now() AS in_future, e.seq "
        "FROM outbox_delivery d JOIN outbox_event e ON e.id = d.event_id ORDER BY d.id",
    )


async def waits_for_a_lock(database: Database, task: asyncio.Task[Any]) -> bool:
    """True once `task` waits for a lock in the database, False if it finishes instead."""
    while not task.done():
        waiting = await sql_value(database, "SELECT count(*) FROM pg_locks WHERE NOT granted")
        if waiting:
            return True
        await asyncio.sleep(0.01)
    return False


def service_headers(issuer: TestIssuer) -> dict[str, str]:
    return issuer.headers(subject="client:kit-test", roles=["service"], scopes=[EVENTS_SCOPE])


class TestOutbox:
    @pytest.fixture
    async def publishing_url(
        self, kit_db: Database, test_issuer: TestIssuer, subscriber: Subscriber
    ) -> AsyncIterator[str]:
        settings = kit_settings(
            test_issuer, kit_db.url, event_subscriptions={PROBE_CREATED: [subscriber.url + "/"]}
        )
        async with serve_app(probe_app(settings, kit_db)) as url:
            yield url

    async def test_change_and_its_event_commit_together(
        self,
        publishing_url: str,
        writer: dict[str, str],
        kit_db: Database,
        subscriber: Subscriber,
    ) -> None:
        async with httpx.AsyncClient() as client:
            response = await client.post(
                f"{publishing_url}/probes",
                json={"name": "published", "publish": True},
                headers=writer,
            )
        assert response.status_code == 201
        probe_id = response.json()["id"]
        assert await sql_value(kit_db, "SELECT name FROM kit_probe") == "published"
        [event] = await sql_rows(
            kit_db, "SELECT id, type, subject, source, version, data, seq FROM outbox_event"
        )
        assert (event.type, event.subject, event.source, event.version) == (
            PROBE_CREATED,
            probe_id,
            SERVICE_NAME,
            1,
        )
        assert event.data == {"id": probe_id, "name": "published"}
        [delivery] = await deliveries(kit_db)
        assert delivery.event_id == event.id
        assert delivery.event_seq == event.seq
        assert delivery.subscriber == subscriber.url  # trailing slash dropped
        assert (delivery.status, delivery.attempts, delivery.last_error) == ("pending", 0, None)

    @pytest.mark.parametrize("failure", ["fail", "crash"])
    async def test_change_and_its_event_roll_back_together(
        self, publishing_url: str, writer: dict[str, str], kit_db: Database, failure: str
    ) -> None:
        async with httpx.AsyncClient() as client:
            response = await client.post(
                f"{publishing_url}/probes",
                json={"name": "never", "publish": True, failure: True},
                headers=writer,
            )
        assert response.status_code in (409, 500)
        for table in ("kit_probe", "outbox_event", "outbox_delivery"):
            assert await sql_value(kit_db, f"SELECT count(*) FROM {table}") == 0, table  # noqa: S608

    async def test_event_without_subscribers_is_kept_without_deliveries(
        self, kit_db: Database
    ) -> None:
        publisher = EventPublisher(source=SERVICE_NAME, subscriptions={})
        await publish(kit_db, publisher, "lonely")
        assert await sql_value(kit_db, "SELECT count(*) FROM outbox_event") == 1
        assert await sql_value(kit_db, "SELECT count(*) FROM outbox_delivery") == 0

    async def test_each_subscriber_gets_one_delivery_including_wildcards(
        self, kit_db: Database
    ) -> None:
        publisher = EventPublisher(
            source=SERVICE_NAME,
            subscriptions={
                PROBE_CREATED: ["http://a.test", "http://b.test/"],
                "*": ["http://b.test", "http://c.test"],
                "kit.other.happened": ["http://d.test"],
            },
        )
        await publish(kit_db, publisher, "fan-out")
        rows = await deliveries(kit_db)
        assert sorted(r.subscriber for r in rows) == [
            "http://a.test",
            "http://b.test",
            "http://c.test",
        ]

    async def test_events_are_numbered_in_publish_order(
        self, kit_db: Database, publisher: EventPublisher
    ) -> None:
        async with kit_db.sessionmaker() as session, session.begin():
            published = [
                await publisher.publish(
                    session, type=PROBE_CREATED, subject="s", data={"id": str(i), "name": "n"}
                )
                for i in range(3)
            ]
        rows = await deliveries(kit_db)
        assert [r.event_id for r in rows] == [e.id for e in published]
        seqs = [r.event_seq for r in rows]
        assert seqs == sorted(seqs)
        assert len(set(seqs)) == 3
        assert all(r.event_seq == r.seq for r in rows)

    async def test_publish_many_numbers_events_in_order_with_their_deliveries(
        self, kit_db: Database, publisher: EventPublisher
    ) -> None:
        async with kit_db.sessionmaker() as session, session.begin():
            first = await publisher.publish(
                session, type=PROBE_CREATED, subject="s", data={"id": "0", "name": "n"}
            )
            many = await publisher.publish_many(
                session,
                [
                    NewEvent(type=PROBE_CREATED, subject="s", data={"id": str(i), "name": "n"})
                    for i in range(1, 4)
                ],
            )
            assert await publisher.publish_many(session, []) == []
        rows = await deliveries(kit_db)
        assert [r.event_id for r in rows] == [first.id, *(e.id for e in many)]
        assert [r.event_seq for r in rows] == sorted(r.event_seq for r in rows)
        assert all(r.event_seq == r.seq for r in rows)
        data = await sql_value(kit_db, "SELECT data FROM outbox_event ORDER BY seq DESC LIMIT 1")
        assert data == {"id": "3", "name": "n"}

    async def test_publish_query_adds_one_event_and_its_deliveries_per_row(
        self, kit_db: Database, publisher: EventPublisher
    ) -> None:
        names = [f"bulk-{i}" for i in range(5)]
        rows = select(
            func.cast(literal_column("n"), String).label("subject"),
            func.jsonb_build_object("id", literal_column("n"), "name", literal_column("n")).label(
                "data"
            ),
        ).select_from(func.unnest(literal(names, ARRAY(String))).alias("n"))
        async with kit_db.sessionmaker() as session, session.begin():
            assert await publisher.publish_query(session, type=PROBE_CREATED, rows=rows) == 5
            silent = EventPublisher(source=SERVICE_NAME, subscriptions={})
            assert await silent.publish_query(session, type=PROBE_CREATED, rows=rows) == 5
        events = await sql_rows(
            kit_db, "SELECT id, subject, data, source, version FROM outbox_event ORDER BY seq"
        )
        assert sorted(e.subject for e in events[:5]) == names
        assert all(e.data == {"id": e.subject, "name": e.subject} for e in events)
        assert {(e.source, e.version) for e in events} == {(SERVICE_NAME, 1)}
        rows_out = await deliveries(kit_db)
        assert len(rows_out) == 5  # the second publisher has no subscribers
        assert {r.event_id for r in rows_out} == {e.id for e in events[:5]}
        assert all(r.event_seq == r.seq and r.status == "pending" for r in rows_out)


class TestRelay:
    async def test_relay_delivers_the_envelope_with_a_service_token(
        self,
        kit_db: Database,
        publisher: EventPublisher,
        subscriber: Subscriber,
        make_relay: RelayFactory,
    ) -> None:
        envelope = await publish(kit_db, publisher, "delivered")
        relay = make_relay()
        async with subscriber.serve():
            assert await relay.run_once() == 1
            assert await relay.run_once() == 0
        assert [e.model_dump() for e in subscriber.inbox.received] == [envelope.model_dump()]
        assert subscriber.inbox.outcomes == [(envelope.id, "handled")]
        assert await subscriber.stored_names() == ["delivered"]
        [delivery] = await deliveries(kit_db)
        assert (delivery.status, delivery.attempts, delivery.last_error) == ("delivered", 1, None)
        assert delivery.delivered_at is not None
        async with kit_db.sessionmaker() as session:
            assert await pending_deliveries(session) == 0

    async def test_down_subscriber_keeps_the_delivery_pending_until_it_is_up_and_due(
        self,
        kit_db: Database,
        publisher: EventPublisher,
        subscriber: Subscriber,
        make_relay: RelayFactory,
    ) -> None:
        await publish(kit_db, publisher, "waited")
        relay = make_relay()

        assert await relay.run_once() == 1  # nothing listens on the subscriber's port
        [delivery] = await deliveries(kit_db)
        assert (delivery.status, delivery.attempts) == ("pending", 1)
        assert delivery.last_error.startswith("ConnectError")
        assert delivery.in_future
        assert subscriber.inbox.received == []

        async with subscriber.serve():
            assert await relay.run_once() == 0  # up, but the retry is not due yet
            assert subscriber.inbox.received == []
            await make_due(kit_db)
            assert await relay.run_once() == 1
        [delivery] = await deliveries(kit_db)
        assert (delivery.status, delivery.attempts, delivery.last_error) == ("delivered", 2, None)
        assert await subscriber.stored_names() == ["waited"]
        assert len(subscriber.inbox.received) == 1

    async def test_error_answer_from_the_subscriber_is_retried(
        self,
        kit_db: Database,
        publisher: EventPublisher,
        subscriber: Subscriber,
        make_relay: RelayFactory,
    ) -> None:
        envelope = await publish(kit_db, publisher, "fail-once")
        relay = make_relay()
        async with subscriber.serve():
            assert await relay.run_once() == 1
            [delivery] = await deliveries(kit_db)
            assert (delivery.status, delivery.attempts) == ("pending", 1)
            assert delivery.last_error.startswith("HTTP 503")
            assert delivery.in_future
            await make_due(kit_db)
            assert await relay.run_once() == 1
        assert subscriber.inbox.received_ids() == [envelope.id, envelope.id]
        assert await subscriber.stored_names() == ["fail-once"]
        [delivery] = await deliveries(kit_db)
        assert (delivery.status, delivery.attempts) == ("delivered", 2)

    async def test_relay_without_valid_service_credentials_keeps_the_delivery_pending(
        self,
        kit_db: Database,
        publisher: EventPublisher,
        subscriber: Subscriber,
        token_endpoint: TokenEndpoint,
    ) -> None:
        await publish(kit_db, publisher, "no-token")
        credentials = {**token_endpoint.credentials(), "client_secret": "wrong"}
        http = HttpClient(**credentials)
        try:
            relay = OutboxRelay(kit_db, http, base_backoff_seconds=60.0)
            async with subscriber.serve():
                assert await relay.run_once() == 1
        finally:
            await http.aclose()
        [delivery] = await deliveries(kit_db)
        assert (delivery.status, delivery.attempts) == ("pending", 1)
        assert "401" in delivery.last_error
        assert subscriber.inbox.received == []

    async def test_relay_fetches_one_service_token_for_many_deliveries(
        self,
        kit_db: Database,
        publisher: EventPublisher,
        subscriber: Subscriber,
        make_relay: RelayFactory,
        token_endpoint: TokenEndpoint,
    ) -> None:
        for i in range(5):
            await publish(kit_db, publisher, f"batch-{i}")
        relay = make_relay()
        issued_before = token_endpoint.issued
        async with subscriber.serve():
            assert await drain(relay) == 5
        assert token_endpoint.issued == issued_before + 1

    def test_backoff_grows_exponentially_with_jitter_up_to_the_cap(self, kit_db: Database) -> None:
        relay = OutboxRelay(
            kit_db, HttpClient(), base_backoff_seconds=1.0, max_backoff_seconds=30.0
        )
        for attempts, ceiling in [(1, 2.0), (2, 4.0), (3, 8.0), (4, 16.0), (5, 30.0), (50, 30.0)]:
            for _ in range(20):
                delay = relay.backoff(attempts)
                assert timedelta(seconds=ceiling / 2) <= delay <= timedelta(seconds=ceiling)

    async def test_started_relay_delivers_in_the_background_and_stops(
        self,
        kit_db: Database,
        publisher: EventPublisher,
        subscriber: Subscriber,
        make_relay: RelayFactory,
    ) -> None:
        envelope = await publish(kit_db, publisher, "background")
        relay = make_relay(interval_seconds=0.01)
        async with subscriber.serve():
            relay.start()
            try:
                # The bound only keeps a broken relay from hanging the suite.
                await asyncio.wait_for(subscriber.inbox.arrived.wait(), timeout=30)
            finally:
                await relay.stop()
        assert subscriber.inbox.received_ids() == [envelope.id]


class TestInbox:
    @pytest.fixture
    async def events_client(self, subscriber: Subscriber) -> AsyncIterator[httpx.AsyncClient]:
        async with subscriber.serve() as url, httpx.AsyncClient(base_url=url) as client:
            yield client

    @staticmethod
    def envelope(name: str, event_type: str = PROBE_CREATED) -> dict[str, Any]:
        probe_id = str(uuid.uuid4())
        return EventEnvelope(
            id=uuid.uuid4(),
            type=event_type,
            occurred_at="2026-11-27T08:00:00+00:00",  # type: ignore[arg-type]
            source="kit-test",
            subject=probe_id,
            version=1,
            data={"id": probe_id, "name": name},
        ).model_dump(mode="json")

    async def test_duplicate_delivery_is_applied_once(
        self, events_client: httpx.AsyncClient, subscriber: Subscriber, test_issuer: TestIssuer
    ) -> None:
        body = self.envelope("twice")
        headers = service_headers(test_issuer)
        first = await events_client.post("/events", json=body, headers=headers)
        second = await events_client.post("/events", json=body, headers=headers)
        assert (first.status_code, second.status_code) == (200, 200)
        assert first.json() == {"event_id": body["id"], "outcome": "handled"}
        assert second.json() == {"event_id": body["id"], "outcome": "duplicate"}
        assert await subscriber.stored_names() == ["twice"]
        assert await sql_value(subscriber.database, "SELECT count(*) FROM inbox_event") == 1

    async def test_concurrent_duplicate_deliveries_are_applied_once(
        self, events_client: httpx.AsyncClient, subscriber: Subscriber, test_issuer: TestIssuer
    ) -> None:
        body = self.envelope("racing")
        headers = service_headers(test_issuer)
        answers = await asyncio.gather(
            *(events_client.post("/events", json=body, headers=headers) for _ in range(6))
        )
        assert [a.status_code for a in answers] == [200] * 6
        outcomes = Counter(a.json()["outcome"] for a in answers)
        assert outcomes == {"handled": 1, "duplicate": 5}
        assert await subscriber.stored_names() == ["racing"]

    async def test_failed_handler_leaves_the_event_unhandled_for_the_retry(
        self, events_client: httpx.AsyncClient, subscriber: Subscriber, test_issuer: TestIssuer
    ) -> None:
        body = self.envelope("fail-once-inbox")
        headers = service_headers(test_issuer)
        first = await events_client.post("/events", json=body, headers=headers)
        assert first.status_code == 503
        assert await sql_value(subscriber.database, "SELECT count(*) FROM inbox_event") == 0
        second = await events_client.post("/events", json=body, headers=headers)
        assert second.json()["outcome"] == "handled"
        assert await subscriber.stored_names() == ["fail-once-inbox"]

    async def test_event_type_without_handler_is_ignored_once(
        self, events_client: httpx.AsyncClient, subscriber: Subscriber, test_issuer: TestIssuer
    ) -> None:
        body = self.envelope("other", event_type="kit.other.happened")
        headers = service_headers(test_issuer)
        first = await events_client.post("/events", json=body, headers=headers)
        second = await events_client.post("/events", json=body, headers=headers)
        assert [first.json()["outcome"], second.json()["outcome"]] == ["ignored", "duplicate"]
        assert await subscriber.stored_names() == []

    async def test_events_endpoint_needs_a_token_with_the_events_scope(
        self, events_client: httpx.AsyncClient, subscriber: Subscriber, test_issuer: TestIssuer
    ) -> None:
        body = self.envelope("forbidden")
        anonymous = await events_client.post("/events", json=body)
        assert anonymous.status_code == 401
        member = test_issuer.headers(roles=["member"], scopes=["kit:read", "kit:write"])
        wrong_scope = await events_client.post("/events", json=body, headers=member)
        assert wrong_scope.status_code == 403
        assert wrong_scope.json()["error"]["code"] == "insufficient_scope"
        assert subscriber.inbox.received == []

    async def test_malformed_envelope_is_422(
        self, events_client: httpx.AsyncClient, test_issuer: TestIssuer
    ) -> None:
        body = self.envelope("bad")
        body["type"] = "Not A Type"
        response = await events_client.post(
            "/events", json=body, headers=service_headers(test_issuer)
        )
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "validation_error"

    async def test_event_types_have_two_or_three_parts(
        self, events_client: httpx.AsyncClient, test_issuer: TestIssuer
    ) -> None:
        headers = service_headers(test_issuer)
        for event_type, status in (
            ("member.transferred", 200),
            ("kit.other.happened", 200),
            ("kit", 422),
            ("a.b.c.d", 422),
        ):
            body = {**self.envelope(event_type), "type": event_type}
            response = await events_client.post("/events", json=body, headers=headers)
            assert response.status_code == status, event_type


class TestBatchDelivery:
    async def test_relay_sends_a_subscribers_due_events_in_one_request(
        self,
        kit_db: Database,
        publisher: EventPublisher,
        subscriber: Subscriber,
        make_relay: RelayFactory,
    ) -> None:
        published = [await publish(kit_db, publisher, f"b{i}") for i in range(30)]
        requests: list[str] = []

        @subscriber.app.middleware("http")
        async def count(request: Any, call_next: Any) -> Any:
            requests.append(request.url.path)
            return await call_next(request)

        relay = make_relay()
        async with subscriber.serve():
            assert await relay.run_once() == 30
        assert requests == ["/events/batch"]
        assert subscriber.inbox.received_ids() == [e.id for e in published]
        assert len(await subscriber.stored_names()) == 30
        rows = await deliveries(kit_db)
        assert {(r.status, r.attempts, r.last_error) for r in rows} == {("delivered", 1, None)}

    async def test_failed_event_in_a_batch_is_retried_alone_and_the_others_kept(
        self,
        kit_db: Database,
        publisher: EventPublisher,
        subscriber: Subscriber,
        make_relay: RelayFactory,
    ) -> None:
        await publish(kit_db, publisher, "kept-1")
        failing = await publish(kit_db, publisher, "fail-once-in-batch")
        await publish(kit_db, publisher, "kept-2")
        relay = make_relay()
        async with subscriber.serve():
            assert await relay.run_once() == 3
            assert await subscriber.stored_names() == ["kept-1", "kept-2"]
            rows = {r.event_id: r for r in await deliveries(kit_db)}
            assert (rows[failing.id].status, rows[failing.id].attempts) == ("pending", 1)
            assert rows[failing.id].last_error.startswith("HTTP 503: not_ready")
            assert rows[failing.id].in_future
            assert {r.status for k, r in rows.items() if k != failing.id} == {"delivered"}
            await make_due(kit_db)
            assert await relay.run_once() == 1
        assert await subscriber.stored_names() == ["fail-once-in-batch", "kept-1", "kept-2"]
        assert await sql_value(subscriber.database, "SELECT count(*) FROM inbox_event") == 3

    async def test_subscriber_without_the_batch_endpoint_gets_one_event_a_request(
        self, kit_db: Database, make_relay: RelayFactory
    ) -> None:
        received: list[str] = []
        app = FastAPI()

        @app.post("/events")
        async def events(envelope: dict[str, Any]) -> dict[str, str]:
            received.append(envelope["data"]["name"])
            return {"event_id": envelope["id"], "outcome": "handled"}

        port = free_port()
        url = f"http://127.0.0.1:{port}"
        publisher = EventPublisher(source=SERVICE_NAME, subscriptions={PROBE_CREATED: [url]})
        for i in range(3):
            await publish(kit_db, publisher, f"single-{i}")
        async with serve_app(app, port=port):
            assert await make_relay().run_once() == 3
        assert received == ["single-0", "single-1", "single-2"]
        rows = await deliveries(kit_db)
        assert {r.status for r in rows} == {"delivered"}

    async def test_batch_endpoint_applies_each_event_once(
        self, subscriber: Subscriber, test_issuer: TestIssuer
    ) -> None:
        first, second = TestInbox.envelope("x1"), TestInbox.envelope("x2")
        headers = service_headers(test_issuer)
        async with subscriber.serve() as url, httpx.AsyncClient(base_url=url) as client:
            one = await client.post("/events/batch", json={"events": [first]}, headers=headers)
            both = await client.post(
                "/events/batch", json={"events": [first, second]}, headers=headers
            )
        assert one.status_code == both.status_code == 200
        assert [(r["event_id"], r["outcome"]) for r in both.json()["receipts"]] == [
            (first["id"], "duplicate"),
            (second["id"], "handled"),
        ]
        assert await subscriber.stored_names() == ["x1", "x2"]

    async def test_the_same_event_twice_in_one_batch_is_applied_once(
        self, subscriber: Subscriber, test_issuer: TestIssuer
    ) -> None:
        twice, other = TestInbox.envelope("twice-in-batch"), TestInbox.envelope("other")
        headers = service_headers(test_issuer)
        async with subscriber.serve() as url, httpx.AsyncClient(base_url=url) as client:
            response = await client.post(
                "/events/batch", json={"events": [twice, other, twice]}, headers=headers
            )
        assert [r["outcome"] for r in response.json()["receipts"]] == [
            "handled",
            "handled",
            "duplicate",
        ]
        assert await subscriber.stored_names() == ["other", "twice-in-batch"]

    async def test_events_after_a_failed_one_in_a_batch_are_each_applied_once(
        self, subscriber: Subscriber, test_issuer: TestIssuer
    ) -> None:
        events = [
            TestInbox.envelope("before"),
            TestInbox.envelope("fail-once-middle"),
            TestInbox.envelope("after"),
            TestInbox.envelope("other", event_type="kit.other.happened"),
        ]
        headers = service_headers(test_issuer)
        async with subscriber.serve() as url, httpx.AsyncClient(base_url=url) as client:
            response = await client.post("/events/batch", json={"events": events}, headers=headers)
        receipts = response.json()["receipts"]
        assert [(r["outcome"], r["status"]) for r in receipts] == [
            ("handled", 200),
            ("failed", 503),
            ("handled", 200),
            ("ignored", 200),
        ]
        assert receipts[1]["error"]["code"] == "not_ready"
        assert await subscriber.stored_names() == ["after", "before"]
        recorded = await sql_rows(subscriber.database, "SELECT id FROM inbox_event")
        assert {str(r.id) for r in recorded} == {events[i]["id"] for i in (0, 2, 3)}

    async def test_batch_endpoint_needs_the_events_scope_and_a_bounded_batch(
        self, subscriber: Subscriber, test_issuer: TestIssuer
    ) -> None:
        body = {"events": [TestInbox.envelope("no")]}
        member = test_issuer.headers(roles=["member"], scopes=["kit:read", "kit:write"])
        too_many = {"events": [TestInbox.envelope(f"n{i}") for i in range(MAX_EVENT_BATCH + 1)]}
        async with subscriber.serve() as url, httpx.AsyncClient(base_url=url) as client:
            anonymous = await client.post("/events/batch", json=body)
            wrong_scope = await client.post("/events/batch", json=body, headers=member)
            empty = await client.post(
                "/events/batch", json={"events": []}, headers=service_headers(test_issuer)
            )
            over = await client.post(
                "/events/batch", json=too_many, headers=service_headers(test_issuer)
            )
        assert (anonymous.status_code, wrong_scope.status_code) == (401, 403)
        assert (empty.status_code, over.status_code) == (422, 422)
        assert over.json()["error"]["code"] == "validation_error"
        assert await subscriber.stored_names() == []


def test_layered_keeps_each_keys_items_in_order_one_a_layer() -> None:
    items = [("a", 1), ("b", 1), ("a", 2), ("c", 1), ("a", 3), ("b", 2)]
    assert layered(items, lambda item: item[0]) == [
        [("a", 1), ("b", 1), ("c", 1)],
        [("a", 2), ("b", 2)],
        [("a", 3)],
    ]
    assert layered([], lambda item: item) == []


BATCHED = "kit.probe.batched"


class TestBatchHandlers:
    """Inbox.on_many: neighbouring events of one type reach their handler together."""

    @staticmethod
    def register(subscriber: Subscriber) -> list[list[str]]:
        """A batch handler on the subscriber; the names of each call's events."""
        calls: list[list[str]] = []

        @subscriber.inbox.on_many(BATCHED)
        async def store(session: AsyncSession, envelopes: Sequence[EventEnvelope]) -> None:
            names = [str(e.data["name"]) for e in envelopes]
            calls.append(names)
            if any(n.startswith("refused") for n in names):
                raise Unprocessable("A refused probe.", code="refused_probe")
            session.add_all(
                KitProbe(id=uuid.UUID(str(e.data["id"])), name=str(e.data["name"]))
                for e in envelopes
            )

        return calls

    async def test_neighbouring_events_of_the_type_go_to_the_handler_in_one_call(
        self, subscriber: Subscriber, test_issuer: TestIssuer, caplog: pytest.LogCaptureFixture
    ) -> None:
        calls = self.register(subscriber)
        b1, b2, b3 = (TestInbox.envelope(f"b{i}", event_type=BATCHED) for i in (1, 2, 3))
        single = TestInbox.envelope("single")
        events = [b1, b2, single, b3, b1]
        headers = service_headers(test_issuer)
        async with subscriber.serve() as url, httpx.AsyncClient(base_url=url) as client:
            response = await client.post("/events/batch", json={"events": events}, headers=headers)
            again = await client.post("/events/batch", json={"events": [b2]}, headers=headers)
        assert calls == [["b1", "b2"], ["b3"]]
        assert "batch handler" not in caplog.text
        assert [r["outcome"] for r in response.json()["receipts"]] == [
            "handled",
            "handled",
            "handled",
            "handled",
            "duplicate",
        ]
        assert again.json()["receipts"][0]["outcome"] == "duplicate"
        assert await subscriber.stored_names() == ["b1", "b2", "b3", "single"]

    async def test_when_the_handler_fails_each_event_is_taken_alone(
        self, subscriber: Subscriber, test_issuer: TestIssuer, caplog: pytest.LogCaptureFixture
    ) -> None:
        calls = self.register(subscriber)
        events = [TestInbox.envelope(name, event_type=BATCHED) for name in ("a", "refused", "c")]
        headers = service_headers(test_issuer)
        async with subscriber.serve() as url, httpx.AsyncClient(base_url=url) as client:
            response = await client.post("/events/batch", json={"events": events}, headers=headers)
            alone = await client.post("/events", json=events[1], headers=headers)
        assert calls == [["a", "refused", "c"], ["a"], ["refused"], ["c"], ["refused"]]
        assert "the batch handler of kit.probe.batched failed (Unprocessable)" in caplog.text
        receipts = response.json()["receipts"]
        assert [(r["outcome"], r["status"]) for r in receipts] == [
            ("handled", 200),
            ("failed", 422),
            ("handled", 200),
        ]
        assert receipts[1]["error"]["code"] == "refused_probe"
        assert alone.status_code == 422
        assert await subscriber.stored_names() == ["a", "c"]
        recorded = await sql_rows(subscriber.database, "SELECT id FROM inbox_event")
        assert {str(r.id) for r in recorded} == {events[0]["id"], events[2]["id"]}


class TestConcurrentRelays:
    async def test_two_relays_deliver_each_event_exactly_once(
        self,
        kit_db: Database,
        kit_db_url: str,
        publisher: EventPublisher,
        subscriber: Subscriber,
        make_relay: RelayFactory,
    ) -> None:
        subjects = [f"subject-{i}" for i in range(12)]
        published = [
            await publish(kit_db, publisher, f"many-{i}", subject=subjects[i % len(subjects)])
            for i in range(60)
        ]
        replica_db = Database(kit_db_url)
        try:
            first, second = make_relay(batch_size=7), make_relay(replica_db, batch_size=7)
            async with subscriber.serve():
                tried = await drain(first, second)
        finally:
            await replica_db.dispose()

        assert tried == 60
        received = Counter(subscriber.inbox.received_ids())
        assert received == Counter({e.id: 1 for e in published})
        assert len(await subscriber.stored_names()) == 60
        rows = await deliveries(kit_db)
        assert {(r.status, r.attempts) for r in rows} == {("delivered", 1)}
        for subject in subjects:
            in_publish_order = [e.id for e in published if e.subject == subject]
            assert subscriber.inbox.received_ids(subject) == in_publish_order


class TestOrderPerSubject:
    async def test_events_of_one_subject_arrive_in_publish_order_when_the_first_fails(
        self,
        kit_db: Database,
        publisher: EventPublisher,
        subscriber: Subscriber,
        make_relay: RelayFactory,
    ) -> None:
        first = await publish(kit_db, publisher, "fail-once-first", subject="S")
        second = await publish(kit_db, publisher, "second", subject="S")
        third = await publish(kit_db, publisher, "third", subject="S")
        other = await publish(kit_db, publisher, "other subject", subject="T")
        relay = make_relay()
        async with subscriber.serve():
            assert await relay.run_once() == 2  # S's first (refused) and T's only event
            assert await relay.run_once() == 0  # S's first is not due; the rest wait for it
            assert subscriber.inbox.received_ids("S") == [first.id]
            assert subscriber.inbox.received_ids("T") == [other.id]
            await make_due(kit_db)
            await drain(relay)
        assert subscriber.inbox.received_ids("S") == [first.id, first.id, second.id, third.id]
        assert await subscriber.stored_names() == [
            "fail-once-first",
            "other subject",
            "second",
            "third",
        ]

    async def test_overlapping_transactions_of_one_subject_are_delivered_in_commit_order(
        self,
        kit_db: Database,
        publisher: EventPublisher,
        subscriber: Subscriber,
        make_relay: RelayFactory,
    ) -> None:
        relay = make_relay()
        async with kit_db.sessionmaker() as session:
            async with session.begin():
                data = {"id": str(uuid.uuid4()), "name": "first"}
                first = await publisher.publish(session, type=PROBE_CREATED, subject="S", data=data)
                later = asyncio.create_task(publish(kit_db, publisher, "second", subject="S"))
                # Were the later publisher not to wait for this transaction, its event would
                # commit, and could be delivered, before this one.
                assert await waits_for_a_lock(kit_db, later)
                async with subscriber.serve():
                    assert await relay.run_once() == 0
            second = await later
        async with subscriber.serve():
            await drain(relay)
        assert subscriber.inbox.received_ids("S") == [first.id, second.id]

    async def test_down_subscriber_does_not_hold_up_another_subscriber(
        self,
        kit_db: Database,
        subscriber: Subscriber,
        make_relay: RelayFactory,
    ) -> None:
        down = f"http://127.0.0.1:{free_port()}"
        publisher = EventPublisher(
            source=SERVICE_NAME, subscriptions={PROBE_CREATED: [down, subscriber.url]}
        )
        published = [await publish(kit_db, publisher, f"n{i}", subject="S") for i in range(3)]
        relay = make_relay()
        async with subscriber.serve():
            await drain(relay)
        assert subscriber.inbox.received_ids("S") == [e.id for e in published]
        waiting = [r for r in await deliveries(kit_db) if r.subscriber == down]
        assert [(r.status, r.attempts) for r in waiting] == [
            ("pending", 1),
            ("pending", 0),
            ("pending", 0),
        ]


class TestBacklog:
    async def test_a_claim_reads_along_the_due_index_not_the_whole_backlog(
        self, kit_db: Database, publisher: EventPublisher, subscriber: Subscriber
    ) -> None:
        """A city-sized import leaves a backlog of many thousands of deliveries: each claim of
        a batch must not sort all of them (that made draining a backlog quadratic)."""
        async with kit_db.sessionmaker() as session, session.begin():
            await publisher.publish_many(
                session,
                [
                    NewEvent(type=PROBE_CREATED, subject=f"S{i}", data={"id": str(i), "name": "n"})
                    for i in range(5000)
                ],
            )
        await sql_exec(kit_db, "ANALYZE outbox_delivery")
        async with kit_db.engine.connect() as connection:
            compiled = claim_due(50).compile(dialect=connection.dialect)
            params = tuple(compiled.params[name] for name in compiled.positiontup or ())
            plan = [
                row[0] for row in await connection.exec_driver_sql(f"EXPLAIN {compiled}", params)
            ]
        text = "\n".join(plan)
        assert "ix_outbox_delivery_due" in text, text
        assert "Seq Scan on outbox_delivery" not in text, text
        assert "Sort" not in text, text

    async def test_a_claim_reads_along_the_due_index_before_the_table_has_statistics(
        self, pg_server_url: str
    ) -> None:
        """A backlog in an outbox that was never analyzed (a new service, a first import):
        the claim still walks the due index instead of reading and sorting every row."""
        await drop_database(pg_server_url, "kit_claim_without_statistics")
        url = await ensure_database(pg_server_url, "kit_claim_without_statistics")
        database = Database(url)
        try:
            async with database.engine.begin() as connection:
                await connection.run_sync(
                    lambda sync: SQLModel.metadata.create_all(
                        sync,
                        tables=[OutboxEvent.__table__, OutboxDelivery.__table__],  # type: ignore[attr-defined]
                    )
                )
                for table in ("outbox_event", "outbox_delivery"):
                    await connection.exec_driver_sql(
                        f"ALTER TABLE {table} SET (autovacuum_enabled = false)"
                    )
            publisher = EventPublisher(
                source=SERVICE_NAME, subscriptions={PROBE_CREATED: ["http://a", "http://b"]}
            )
            async with database.sessionmaker() as session, session.begin():
                await publisher.publish_many(
                    session,
                    [
                        NewEvent(type=PROBE_CREATED, subject=f"S{i % 1000}", data={"id": str(i)})
                        for i in range(5000)
                    ],
                )
            async with database.engine.connect() as connection:
                analyzed = await connection.exec_driver_sql(
                    "SELECT count(*) FROM pg_stats WHERE tablename = 'outbox_delivery'"
                )
                assert analyzed.scalar_one() == 0
                await connection.execute(CLAIM_ALONG_THE_INDEX)
                compiled = claim_due(200).compile(dialect=connection.dialect)
                params = tuple(compiled.params[name] for name in compiled.positiontup or ())
                plan = "\n".join(
                    row[0]
                    for row in await connection.exec_driver_sql(f"EXPLAIN {compiled}", params)
                )
        finally:
            await database.dispose()
            await drop_database(pg_server_url, "kit_claim_without_statistics")
        assert "Index Scan using ix_outbox_delivery_due" in plan, plan
        assert "Sort" not in plan, plan
        assert "Bitmap" not in plan, plan


class TestServiceApps:
    async def test_change_in_one_service_app_reaches_the_subscribing_app_through_its_relay(
        self,
        kit_db: Database,
        subscriber: Subscriber,
        test_issuer: TestIssuer,
        token_endpoint: TokenEndpoint,
        writer: dict[str, str],
    ) -> None:
        settings = kit_settings(
            test_issuer,
            kit_db.url,
            relay_enabled=True,
            relay_interval_seconds=0.01,
            event_subscriptions={PROBE_CREATED: [subscriber.url]},
            **token_endpoint.credentials(),
        )
        async with (
            subscriber.serve(),
            serve_app(probe_app(settings, kit_db)) as url,
            httpx.AsyncClient() as client,
        ):
            response = await client.post(
                f"{url}/probes", json={"name": "end to end", "publish": True}, headers=writer
            )
            assert response.status_code == 201
            # The bound only keeps a broken relay from hanging the suite.
            await asyncio.wait_for(subscriber.inbox.arrived.wait(), timeout=30)
        # The publishing app has stopped, and with it its relay, after its last round.
        [received] = subscriber.inbox.received
        assert (received.subject, received.source) == (response.json()["id"], SERVICE_NAME)
        assert await subscriber.stored_names() == ["end to end"]
        [delivery] = await deliveries(kit_db)
        assert (delivery.status, delivery.attempts) == ("delivered", 1)


class TestRelayLoops:
    async def test_relay_loops_side_by_side_deliver_each_event_once_in_order(
        self,
        kit_db: Database,
        publisher: EventPublisher,
        subscriber: Subscriber,
        make_relay: RelayFactory,
    ) -> None:
        subjects = [f"loop-{i}" for i in range(5)]
        published = [
            await publish(kit_db, publisher, f"looped-{i}", subject=subjects[i % 5])
            for i in range(40)
        ]
        relay = make_relay(batch_size=3, interval_seconds=0.01, concurrency=3)
        async with subscriber.serve():
            relay.start()
            assert len(relay._tasks) == 3
            try:
                # The bound only keeps a broken relay from hanging the suite.
                for _ in range(600):
                    pending = await sql_value(
                        kit_db, "SELECT count(*) FROM outbox_delivery WHERE status = 'pending'"
                    )
                    if not pending:
                        break
                    await asyncio.sleep(0.05)
            finally:
                await relay.stop()
        assert relay._tasks == []
        assert Counter(subscriber.inbox.received_ids()) == Counter({e.id: 1 for e in published})
        for subject in subjects:
            in_publish_order = [e.id for e in published if e.subject == subject]
            assert subscriber.inbox.received_ids(subject) == in_publish_order
