"""Events between services: transactional outbox, a relay pushing over HTTP, an idempotent inbox.

At least once on the wire, exactly once in the data: the event row is written in the
same transaction as the change, the relay retries until a subscriber answers 2xx, and
the subscriber's inbox drops an event id it has already handled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeVar

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Select,
    String,
    func,
    literal,
    text,
    true,
)
from sqlalchemy import select as sql_select
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, insert
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service_kit.auth import require_scope
from service_kit.db import Database, SessionDep, lock_keys
from service_kit.errors import AppError
from service_kit.http import HttpClient

log = logging.getLogger("service_kit.events")

EVENTS_SCOPE = "events:deliver"
# Events one POST /events/batch carries at most; the relay sends up to this many a request.
MAX_EVENT_BATCH = 200
# Key space of the transaction locks that make publishers of one subject take turns.
SUBJECT_LOCK_SPACE = 72635402


def utcnow() -> datetime:
    return datetime.now(UTC)


class EventEnvelope(BaseModel):
    """What travels between services (ARCHITECTURE.md "Events")."""

    id: uuid.UUID
    # `<owner>.<thing>.<happened>`, or `<owner>.<happened>` when the owner is the thing
    # (the agreed `member.transferred`).
    type: str = Field(pattern=r"^[a-z_]+(\.[a-z_]+){1,2}$", max_length=200)
    occurred_at: datetime
    source: str = Field(max_length=100)
    subject: str = Field(max_length=200)
    version: int = Field(ge=1)
    data: dict[str, Any]


class OutboxEvent(SQLModel, table=True):
    __tablename__ = "outbox_event"

    id: uuid.UUID = SQLField(primary_key=True)
    seq: int | None = SQLField(
        default=None,
        sa_column=Column(BigInteger, Identity(), nullable=False, unique=True),
    )
    type: str = SQLField(max_length=200)
    subject: str = SQLField(max_length=200)
    occurred_at: datetime = SQLField(sa_column=Column(DateTime(timezone=True), nullable=False))
    source: str = SQLField(max_length=100)
    version: int = 1
    data: dict[str, Any] = SQLField(sa_column=Column(JSONB, nullable=False))

    def envelope(self) -> EventEnvelope:
        return EventEnvelope(
            id=self.id,
            type=self.type,
            occurred_at=self.occurred_at,
            source=self.source,
            subject=self.subject,
            version=self.version,
            data=self.data,
        )


class OutboxDelivery(SQLModel, table=True):
    """One event to one subscriber; delivered in order of event_seq per (subscriber, subject)."""

    __tablename__ = "outbox_delivery"
    __table_args__ = (
        Index(
            "ix_outbox_delivery_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
        Index(
            "ix_outbox_delivery_order",
            "subscriber",
            "subject",
            "event_seq",
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: int | None = SQLField(
        default=None, sa_column=Column(BigInteger, Identity(), primary_key=True)
    )
    event_id: uuid.UUID = SQLField(
        sa_column=Column(ForeignKey("outbox_event.id"), nullable=False, index=True)
    )
    event_seq: int = SQLField(sa_column=Column(BigInteger, nullable=False))
    subject: str = SQLField(max_length=200)
    subscriber: str = SQLField(sa_column=Column(String(500), nullable=False))
    status: str = SQLField(default="pending", max_length=20)
    attempts: int = 0
    next_attempt_at: datetime = SQLField(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    delivered_at: datetime | None = SQLField(
        default=None, sa_column=Column(DateTime(timezone=True))
    )
    last_error: str | None = SQLField(default=None, max_length=1000)


class EventBatch(BaseModel):
    """Several events for one subscriber in one request (POST /events/batch)."""

    events: list[EventEnvelope] = Field(min_length=1, max_length=MAX_EVENT_BATCH)


class InboxEvent(SQLModel, table=True):
    __tablename__ = "inbox_event"

    id: uuid.UUID = SQLField(primary_key=True)
    type: str = SQLField(max_length=200)
    source: str = SQLField(max_length=100)
    subject: str = SQLField(max_length=200)
    received_at: datetime = SQLField(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class EventPublisher:
    """Writes events into the caller's transaction; the relay delivers them after commit."""

    def __init__(self, *, source: str, subscriptions: dict[str, list[str]]) -> None:
        self.source = source
        self.subscriptions = subscriptions

    def subscribers_for(self, event_type: str) -> list[str]:
        """Each subscriber's base URL once, however many subscriptions name it."""
        exact = self.subscriptions.get(event_type, [])
        wildcard = self.subscriptions.get("*", [])
        return list(dict.fromkeys(url.rstrip("/") for url in [*exact, *wildcard]))

    async def publish(
        self,
        session: AsyncSession,
        *,
        type: str,
        subject: uuid.UUID | str,
        data: dict[str, Any],
        version: int = 1,
        event_id: uuid.UUID | None = None,
    ) -> EventEnvelope:
        """Add the event and one delivery per subscriber to the session's transaction.

        Until the transaction ends, other transactions publishing for the same subject
        wait here: so their events are numbered in the order in which they become
        visible, and the relay, which delivers a subject's events by number, cannot
        deliver a later event before an earlier one has committed. (Transactions that
        publish for several subjects in opposite orders can deadlock; PostgreSQL then
        aborts one of them.)
        """
        envelope = EventEnvelope(
            id=event_id or uuid.uuid4(),
            type=type,
            occurred_at=utcnow(),
            source=self.source,
            subject=str(subject),
            version=version,
            data=data,
        )
        row = OutboxEvent(
            id=envelope.id,
            type=envelope.type,
            subject=envelope.subject,
            occurred_at=envelope.occurred_at,
            source=envelope.source,
            version=envelope.version,
            data=envelope.model_dump(mode="json")["data"],
        )
        await session.exec(
            select(func.pg_advisory_xact_lock(SUBJECT_LOCK_SPACE, func.hashtext(envelope.subject)))
        )
        session.add(row)
        await session.flush()
        for subscriber in self.subscribers_for(type):
            session.add(
                OutboxDelivery(
                    event_id=row.id,
                    event_seq=row.seq or 0,
                    subject=row.subject,
                    subscriber=subscriber,
                )
            )
        await session.flush()
        return envelope

    async def publish_many(
        self, session: AsyncSession, events: Sequence[NewEvent]
    ) -> list[EventEnvelope]:
        """Add many events and their deliveries with a few statements, numbered in order given.

        For writes that make thousands of events at once (a payroll run): one lock per
        distinct subject, taken in one statement, so keep the subjects few.
        """
        return await _publish_many(self, session, events)

    async def publish_query(
        self, session: AsyncSession, *, type: str, rows: Select[Any], version: int = 1
    ) -> int:
        """Publish one event per row of `rows`, in one statement however many rows there are.

        For events made from rows the transaction has just written (a campaign's results):
        `rows` selects a text column `subject` and a jsonb column `data`, and nothing
        travels through Python. No per-subject lock is taken (a transaction cannot hold one
        for each of a hundred thousand subjects): the caller makes sure that nobody else
        publishes for these subjects meanwhile, e.g. by serializing such writes on one lock
        of its own. Returns how many events were added.
        """
        source = rows.subquery("source")
        now = utcnow()
        events_table = OutboxEvent.__table__  # type: ignore[attr-defined]
        published = (
            insert(events_table)
            .from_select(
                ["id", "type", "subject", "occurred_at", "source", "version", "data"],
                sql_select(
                    func.gen_random_uuid(),
                    literal(type, String()),
                    source.c.subject,
                    literal(now, DateTime(timezone=True)),
                    literal(self.source, String()),
                    literal(version, Integer()),
                    source.c.data,
                ),
            )
            .returning(events_table.c.id, events_table.c.seq, events_table.c.subject)
            .cte("published")
        )
        statement = sql_select(func.count()).select_from(published)
        subscribers = self.subscribers_for(type)
        if subscribers:
            urls = (
                func.unnest(literal(subscribers, ARRAY(String())))
                .table_valued("url")
                .render_derived(name="subscribers")
            )
            deliveries = (
                insert(OutboxDelivery.__table__)  # type: ignore[attr-defined]
                .from_select(
                    [
                        "event_id",
                        "event_seq",
                        "subject",
                        "subscriber",
                        "status",
                        "attempts",
                        "next_attempt_at",
                    ],
                    sql_select(
                        published.c.id,
                        published.c.seq,
                        published.c.subject,
                        urls.c.url,
                        literal("pending", String()),
                        literal(0, Integer()),
                        literal(now, DateTime(timezone=True)),
                    ).select_from(published.join(urls, true())),
                )
                .cte("delivered")
            )
            statement = statement.add_cte(deliveries)
        connection = await session.connection()
        return int((await connection.execute(statement)).scalar_one())


@dataclass(frozen=True)
class NewEvent:
    """One event for EventPublisher.publish_many."""

    type: str
    subject: uuid.UUID | str
    data: dict[str, Any]
    version: int = 1
    event_id: uuid.UUID | None = None


async def _publish_many(
    publisher: EventPublisher, session: AsyncSession, events: Sequence[NewEvent]
) -> list[EventEnvelope]:
    """Body of EventPublisher.publish_many (kept beside the class for readability)."""
    if not events:
        return []
    now = utcnow()
    envelopes = [
        EventEnvelope(
            id=event.event_id or uuid.uuid4(),
            type=event.type,
            occurred_at=now,
            source=publisher.source,
            subject=str(event.subject),
            version=event.version,
            data=event.data,
        )
        for event in events
    ]
    connection = await session.connection()
    await lock_keys(session, SUBJECT_LOCK_SPACE, (e.subject for e in envelopes))
    # Numbers drawn in one go and handed out in the order given: the subject's order.
    seqs = sorted(
        (
            await connection.execute(
                text(
                    "SELECT nextval(pg_get_serial_sequence('outbox_event', 'seq')) "
                    "FROM generate_series(1, :n)"
                ),
                {"n": len(envelopes)},
            )
        )
        .scalars()
        .all()
    )
    events_table = OutboxEvent.__table__  # type: ignore[attr-defined]
    await connection.execute(
        events_table.insert(),
        [
            {
                **e.model_dump(mode="json", include={"type", "subject", "source", "version"}),
                "id": e.id,
                "seq": seq,
                "occurred_at": e.occurred_at,
                "data": e.model_dump(mode="json")["data"],
            }
            for e, seq in zip(envelopes, seqs, strict=True)
        ],
    )
    deliveries = [
        {
            "event_id": e.id,
            "event_seq": seq,
            "subject": e.subject,
            "subscriber": subscriber,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
        }
        for e, seq in zip(envelopes, seqs, strict=True)
        for subscriber in publisher.subscribers_for(e.type)
    ]
    if deliveries:
        await connection.execute(
            OutboxDelivery.__table__.insert(),  # type: ignore[attr-defined]
            deliveries,
        )
    return envelopes


def claim_due(batch_size: int) -> Any:
    """Up to `batch_size` due deliveries, each the earliest still pending of its subscriber
    and subject (so that a subject's events arrive in order), locked for this relay.

    Taken in the order they fell due, along the partial index on next_attempt_at, so that a
    claim reads about as many rows as it takes, however many are pending: ordered by
    event_seq (no index of pending rows has it first) every claim sorted the whole backlog,
    and a backlog of n deliveries cost n²/batch_size rows read. The order of one subject's
    events does not depend on it: a later event is claimable only once no earlier one of
    its subject is pending.
    """
    earlier = OutboxDelivery.__table__.alias("earlier")  # type: ignore[attr-defined]
    d = OutboxDelivery.__table__  # type: ignore[attr-defined]
    blocked = (
        select(earlier.c.id)
        .where(
            earlier.c.status == "pending",
            earlier.c.subscriber == d.c.subscriber,
            earlier.c.subject == d.c.subject,
            earlier.c.event_seq < d.c.event_seq,
        )
        .exists()
    )
    return (
        select(OutboxDelivery, OutboxEvent)
        .join(OutboxEvent, col(OutboxEvent.id) == col(OutboxDelivery.event_id))
        .where(
            OutboxDelivery.status == "pending",
            col(OutboxDelivery.next_attempt_at) <= utcnow(),
            ~blocked,
        )
        .order_by(col(OutboxDelivery.next_attempt_at))
        .limit(batch_size)
        .with_for_update(skip_locked=True, of=OutboxDelivery)
    )


# For the rest of the claiming transaction: no plan but the walk along the due index. A
# backlog can build up before the table has statistics (a new service, a first import, a
# burst after a quiet month, before autovacuum's next ANALYZE); the planner then guesses a
# handful of pending rows and reads them all, sorts them and anti-joins each, some hundreds
# of milliseconds a claim instead of a few (the first event wait of bench-system).
CLAIM_ALONG_THE_INDEX = text(
    "SELECT set_config('enable_seqscan', 'off', true), "
    "set_config('enable_bitmapscan', 'off', true), "
    "set_config('enable_sort', 'off', true)"
)


class OutboxRelay:
    """Delivers due outbox rows; any number of relays may run at once (SKIP LOCKED)."""

    def __init__(
        self,
        database: Database,
        http: HttpClient,
        *,
        batch_size: int = 200,
        interval_seconds: float = 0.5,
        max_backoff_seconds: float = 300.0,
        base_backoff_seconds: float = 0.5,
        as_service: bool = True,
        concurrency: int = 1,
    ) -> None:
        self.database = database
        self.http = http
        self.batch_size = batch_size
        self.interval = interval_seconds
        self.max_backoff = max_backoff_seconds
        self.base_backoff = base_backoff_seconds
        self.as_service = as_service
        # Loops claiming and pushing batches side by side (SKIP LOCKED keeps their batches
        # apart, and a subject's later event waits for its earlier one whichever loop has
        # it): a backlog drains on as many cores as its subscribers have.
        self.concurrency = concurrency
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()

    def backoff(self, attempts: int) -> timedelta:
        """Capped exponential backoff with full jitter."""
        ceiling = min(self.max_backoff, self.base_backoff * (2 ** min(attempts, 30)))
        return timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # noqa: S311

    async def run_once(self) -> int:
        """Claim a batch of due deliveries, push them, record the outcomes; returns how many.

        A subscriber's deliveries of the batch travel together (POST /events/batch, up to
        MAX_EVENT_BATCH a request); a claim holds at most one event of a subject per
        subscriber, so the order of a subject's events does not depend on how they travel.
        """
        async with self.database.sessionmaker() as session, session.begin():
            await (await session.connection()).execute(CLAIM_ALONG_THE_INDEX)
            rows = (await session.exec(claim_due(self.batch_size))).all()
            if not rows:
                return 0
            by_subscriber: dict[str, list[tuple[OutboxDelivery, OutboxEvent]]] = {}
            for delivery, event in sorted(rows, key=lambda r: r[0].event_seq):
                by_subscriber.setdefault(delivery.subscriber, []).append((delivery, event))
            chunks = [
                items[start : start + MAX_EVENT_BATCH]
                for items in by_subscriber.values()
                for start in range(0, len(items), MAX_EVENT_BATCH)
            ]
            answers = await asyncio.gather(*(self._push_chunk(chunk) for chunk in chunks))
            now = utcnow()
            for chunk, errors in zip(chunks, answers, strict=True):
                for (delivery, _), error in zip(chunk, errors, strict=True):
                    delivery.attempts += 1
                    if error is None:
                        delivery.status = "delivered"
                        delivery.delivered_at = now
                        delivery.last_error = None
                    else:
                        delivery.next_attempt_at = now + self.backoff(delivery.attempts)
                        delivery.last_error = error[:1000]
                        log.warning(
                            "event %s to %s failed (attempt %d): %s",
                            delivery.event_id,
                            delivery.subscriber,
                            delivery.attempts,
                            error,
                        )
            return len(rows)

    async def _push_chunk(
        self, chunk: list[tuple[OutboxDelivery, OutboxEvent]]
    ) -> list[str | None]:
        """The error of each delivery of one subscriber's chunk (None: delivered)."""
        subscriber = chunk[0][0].subscriber
        events = [event for _, event in chunk]
        if len(events) == 1:
            return [await self._push(subscriber, events[0])]
        try:
            response = await self.http.request(
                "POST",
                f"{subscriber}/events/batch",
                json={"events": [e.envelope().model_dump(mode="json") for e in events]},
                as_service=self.as_service,
            )
        except Exception as exc:
            return [f"{type(exc).__name__}: {exc}"] * len(events)
        if response.status_code in (404, 405):
            # A subscriber without the batch endpoint: one event a request, in order.
            return [await self._push(subscriber, event) for event in events]
        if not 200 <= response.status_code < 300:
            return [f"HTTP {response.status_code}: {response.text[:300]}"] * len(events)
        try:
            receipts = {
                r.event_id: r
                for r in InboxBatchReceipt.model_validate_json(response.content).receipts
            }
        except ValueError as exc:
            return [f"unreadable receipts: {exc}"[:300]] * len(events)
        errors: list[str | None] = []
        for event in events:
            receipt = receipts.get(event.id)
            if receipt is None:
                errors.append("no receipt for the event in the subscriber's answer")
            elif receipt.outcome == "failed":
                problem = receipt.error or BatchError(code="internal_error", message="")
                errors.append(f"HTTP {receipt.status}: {problem.code}: {problem.message}"[:1000])
            else:
                errors.append(None)
        return errors

    async def _push(self, subscriber: str, event: OutboxEvent) -> str | None:
        try:
            response = await self.http.request(
                "POST",
                f"{subscriber}/events",
                json=event.envelope().model_dump(mode="json"),
                as_service=self.as_service,
            )
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"
        if 200 <= response.status_code < 300:
            return None
        return f"HTTP {response.status_code}: {response.text[:300]}"

    async def run_forever(self) -> None:
        while not self._stopping.is_set():
            try:
                tried = await self.run_once()
            except Exception:
                log.exception("outbox relay round failed")
                tried = 0
            if tried == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=self.interval)

    def start(self) -> None:
        self._stopping.clear()
        self._tasks = [
            asyncio.create_task(self.run_forever(), name=f"outbox-relay-{n}")
            for n in range(self.concurrency)
        ]

    async def stop(self) -> None:
        self._stopping.set()
        tasks, self._tasks = self._tasks, []
        await asyncio.gather(*tasks)


EventHandler = Callable[[AsyncSession, EventEnvelope], Awaitable[None]]
# Every new event of one type that arrived together, in order: one call for all of them.
BatchHandler = Callable[[AsyncSession, Sequence[EventEnvelope]], Awaitable[None]]

T = TypeVar("T")
K = TypeVar("K")


def layered(items: Sequence[T], key: Callable[[T], K]) -> list[list[T]]:
    """`items` in layers where each key appears at most once: every key's first item in the
    first layer, its second in the second, and so on. A batch handler that writes one row per
    key in a statement applies the layers in order, and each key's items keep theirs."""
    layers: list[list[T]] = []
    seen: dict[K, int] = {}
    for item in items:
        depth = seen.get(key(item), 0)
        seen[key(item)] = depth + 1
        if depth == len(layers):
            layers.append([])
        layers[depth].append(item)
    return layers


InboxOutcome = Literal["handled", "duplicate", "ignored"]


class InboxReceipt(BaseModel):
    event_id: uuid.UUID
    outcome: InboxOutcome


class BatchError(BaseModel):
    code: str
    message: str


class BatchReceipt(BaseModel):
    """One event's outcome in POST /events/batch: `failed` with the status and error that
    POST /events would have answered (the event is left unhandled, for the retry)."""

    event_id: uuid.UUID
    outcome: Literal["handled", "duplicate", "ignored", "failed"]
    status: int = Field(description="what POST /events would have answered")
    error: BatchError | None = None


class InboxBatchReceipt(BaseModel):
    receipts: list[BatchReceipt]


class Inbox:
    """Handlers by event type; each event id is applied at most once."""

    def __init__(self) -> None:
        self.handlers: dict[str, EventHandler] = {}
        self.batch_handlers: dict[str, BatchHandler] = {}

    def on(self, event_type: str) -> Callable[[EventHandler], EventHandler]:
        def register(handler: EventHandler) -> EventHandler:
            self.handlers[event_type] = handler
            self.batch_handlers.pop(event_type, None)
            return handler

        return register

    def on_many(self, event_type: str) -> Callable[[BatchHandler], BatchHandler]:
        """A handler for several events of `event_type` at once: the new ones among the
        events of that type that arrive next to each other in a batch, in order, in one
        call (a few statements for a relay's whole batch instead of a few per event). An
        event that arrives alone, or is retried alone, is a batch of one."""

        def register(handler: BatchHandler) -> BatchHandler:
            async def one(session: AsyncSession, envelope: EventEnvelope) -> None:
                await handler(session, [envelope])

            self.handlers[event_type] = one
            self.batch_handlers[event_type] = handler
            return handler

        return register

    async def receive(self, session: AsyncSession, envelope: EventEnvelope) -> InboxOutcome:
        """Record the id and apply the handler in the caller's transaction."""
        new = await self._record(session, [envelope])
        return await self.apply(session, envelope, new=envelope.id in new)

    async def apply(
        self, session: AsyncSession, envelope: EventEnvelope, *, new: bool
    ) -> InboxOutcome:
        """The handler of an event whose id has just been recorded (`new`), else nothing."""
        if not new:
            return "duplicate"
        handler = self.handlers.get(envelope.type)
        if handler is None:
            return "ignored"
        await handler(session, envelope)
        return "handled"

    async def receive_many(
        self, session: AsyncSession, envelopes: Sequence[EventEnvelope]
    ) -> list[BatchReceipt]:
        """Several events in the caller's transaction, each applied or refused on its own.

        First all at once: their ids recorded in one statement, the handlers run one after
        the other (a batch handler once for each run of neighbouring events of its type).
        Should one fail, that is undone and each event is taken in a savepoint of its own:
        those before it applied again, the failed one reported with its error and left
        unrecorded (for the retry), those after it applied or refused each alone. When a
        batch handler fails, which of its events is at fault is not known: each of them is
        taken alone too.
        """
        receipts: list[BatchReceipt] = []
        in_run = False
        try:
            new = await self._record(session, envelopes)
            for run, many in self._runs(envelopes):
                if many is None:
                    [envelope] = run
                    outcome = await self.apply(session, envelope, new=_taken(new, envelope.id))
                    receipts.append(BatchReceipt(event_id=envelope.id, outcome=outcome, status=200))
                    continue
                taken = [_taken(new, e.id) for e in run]
                in_run = True
                if any(taken):
                    await many(session, [e for e, t in zip(run, taken, strict=True) if t])
                in_run = False
                receipts.extend(
                    BatchReceipt(event_id=e.id, outcome="handled" if t else "duplicate", status=200)
                    for e, t in zip(run, taken, strict=True)
                )
        except Exception as exc:
            failed = len(receipts)
            await session.rollback()
            if in_run:
                log.warning(
                    "the batch handler of %s failed (%s); its batch of %d is taken event by event",
                    envelopes[failed].type,
                    type(exc).__name__,
                    len(envelopes),
                )
                return [await self._receive_one(session, e) for e in envelopes]
            return [
                *[await self._receive_one(session, e) for e in envelopes[:failed]],
                _failed(envelopes[failed], exc),
                *[await self._receive_one(session, e) for e in envelopes[failed + 1 :]],
            ]
        return receipts

    def _runs(
        self, envelopes: Sequence[EventEnvelope]
    ) -> Iterator[tuple[Sequence[EventEnvelope], BatchHandler | None]]:
        """The batch in runs: the neighbouring events of a type with a batch handler (and
        that handler), else each event alone."""
        start = 0
        while start < len(envelopes):
            kind = envelopes[start].type
            many = self.batch_handlers.get(kind)
            end = start + 1
            while many is not None and end < len(envelopes) and envelopes[end].type == kind:
                end += 1
            yield envelopes[start:end], many
            start = end

    async def _record(
        self, session: AsyncSession, envelopes: Sequence[EventEnvelope]
    ) -> set[uuid.UUID]:
        """Record the ids of `envelopes`; those not recorded before."""
        now = utcnow()
        inserted = await session.exec(
            insert(InboxEvent)
            .values(
                [
                    {
                        "id": e.id,
                        "type": e.type,
                        "source": e.source,
                        "subject": e.subject,
                        "received_at": now,
                    }
                    for e in envelopes
                ]
            )
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(col(InboxEvent.id))
        )
        return {row[0] for row in inserted.all()}

    def router(self) -> APIRouter:
        router = APIRouter(tags=["events"])

        @router.post(
            "/events",
            response_model=InboxReceipt,
            operation_id="receive_event",
            dependencies=[require_scope(EVENTS_SCOPE)],
        )
        async def receive_event(
            envelope: EventEnvelope, session: SessionDep, request: Request
        ) -> InboxReceipt:
            """Subscriber endpoint for the relays of other services."""
            outcome = await self.receive(session, envelope)
            return InboxReceipt(event_id=envelope.id, outcome=outcome)

        @router.post(
            "/events/batch",
            response_model=InboxBatchReceipt,
            operation_id="receive_events",
            dependencies=[require_scope(EVENTS_SCOPE)],
        )
        async def receive_events(batch: EventBatch, session: SessionDep) -> InboxBatchReceipt:
            """Several events in one transaction, each applied or refused on its own: one
            whose handler fails is undone alone, reported `failed` with the status and error
            POST /events would have answered, and stays unhandled for the relay's retry; the
            others are kept."""
            return InboxBatchReceipt(receipts=await self.receive_many(session, batch.events))

        return router

    async def _receive_one(self, session: AsyncSession, envelope: EventEnvelope) -> BatchReceipt:
        try:
            async with session.begin_nested():
                outcome = await self.receive(session, envelope)
        except Exception as exc:
            return _failed(envelope, exc)
        return BatchReceipt(event_id=envelope.id, outcome=outcome, status=200)


def _taken(new: set[uuid.UUID], event_id: uuid.UUID) -> bool:
    """Whether the event is new in this batch; the same id later in it is not (applied once)."""
    if event_id in new:
        new.discard(event_id)
        return True
    return False


def _failed(envelope: EventEnvelope, exc: Exception) -> BatchReceipt:
    """The receipt of an event whose handler raised `exc` (what POST /events would answer)."""
    if isinstance(exc, AppError):
        error = BatchError(code=exc.instance_code, message=exc.detail_message)
        return BatchReceipt(
            event_id=envelope.id, outcome="failed", status=exc.status_code, error=error
        )
    log.error("event %s (%s) failed in a batch", envelope.id, envelope.type, exc_info=exc)
    error = BatchError(code="internal_error", message="The handler failed.")
    return BatchReceipt(event_id=envelope.id, outcome="failed", status=500, error=error)


async def pending_deliveries(session: AsyncSession) -> int:
    """How many deliveries are still waiting (for /metrics and tests)."""
    result = await session.exec(
        select(func.count()).select_from(OutboxDelivery).where(OutboxDelivery.status == "pending")
    )
    return int(result.one())
