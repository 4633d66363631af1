"""The kit used the way a service uses it: a probe table, its router, an inbox, helper servers."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, BeforeValidator
from pydantic import Field as PydanticField
from pydantic_core import PydanticCustomError
from sqlalchemy import Column, DateTime, Row, text
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service_kit.app import create_service_app
from service_kit.audit import record_audit, snapshot
from service_kit.auth import Principal, require_scope
from service_kit.db import Database, SessionDep
from service_kit.deps import HttpDep, PublisherDep
from service_kit.errors import Conflict, NotFound, ServiceUnavailable
from service_kit.events import EVENTS_SCOPE, EventEnvelope, Inbox, InboxOutcome
from service_kit.pagination import Page, PageParamsDep, keyset_page, parse_ids
from service_kit.settings import KitSettings
from service_kit.testing import TestIssuer

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
PROBE_CREATED = "kit.probe.created"
SERVICE_NAME = "kit-test"


def utcnow() -> datetime:
    return datetime.now(UTC)


class KitProbe(SQLModel, table=True):
    """A row the probe app writes; the name is unique to the kit tests in SQLModel's metadata."""

    __tablename__ = "kit_probe"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=100)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class ProbeIn(BaseModel):
    name: str = PydanticField(min_length=1, max_length=100)
    id: uuid.UUID | None = None
    subject: str | None = None  # the event's subject; the probe's id when absent
    publish: bool = False
    audit: bool = False
    fail: bool = False  # raise an AppError after every write
    crash: bool = False  # raise an unexpected exception after every write


class ProbeRename(BaseModel):
    name: str = PydanticField(min_length=1, max_length=100)
    fail: bool = False


class ProbeOut(BaseModel):
    id: uuid.UUID
    name: str
    created_at: datetime


def _whole_number(value: Any) -> Any:
    if isinstance(value, float) and not value.is_integer():
        raise PydanticCustomError(
            "fractional_count", "counts are whole numbers", {"error_code": "fractional_count"}
        )
    return value


class Counted(BaseModel):
    count: Annotated[int, BeforeValidator(_whole_number)]
    tags: list[str] = []


class ProbeRefused(Conflict):
    code = "probe_refused"
    message = "The probe refuses this write."


SECRET_TEXT = "password=hunter2 at db-secret-host:5432"

ReadPrincipal = Annotated[Principal, require_scope("kit:read")]
WritePrincipal = Annotated[Principal, require_scope("kit:write")]


def _out(row: KitProbe) -> ProbeOut:
    return ProbeOut.model_validate(row, from_attributes=True)


def probe_router() -> APIRouter:
    router = APIRouter()

    @router.post("/probes", status_code=201, response_model=ProbeOut)
    async def create_probe(
        body: ProbeIn, session: SessionDep, publisher: PublisherDep, principal: WritePrincipal
    ) -> ProbeOut:
        row = KitProbe(id=body.id or uuid.uuid4(), name=body.name)
        session.add(row)
        if body.publish:
            await publisher.publish(
                session,
                type=PROBE_CREATED,
                subject=body.subject or row.id,
                data={"id": str(row.id), "name": row.name},
            )
        if body.audit:
            await record_audit(
                session,
                principal=principal,
                action="probe.create",
                entity_type="probe",
                entity_id=row.id,
                after=snapshot(row),
            )
        if body.fail:
            raise ProbeRefused(details={"name": body.name})
        if body.crash:
            raise RuntimeError(SECRET_TEXT)
        return _out(row)

    @router.get("/probes", response_model=Page[ProbeOut])
    async def list_probes(
        session: SessionDep,
        page: PageParamsDep,
        _: ReadPrincipal,
        order: Literal["name", "created"] = "name",
    ) -> Page[ProbeOut]:
        order_by = (
            [KitProbe.name, KitProbe.id] if order == "name" else [KitProbe.created_at, KitProbe.id]
        )
        result = await keyset_page(session, select(KitProbe), order_by=order_by, params=page)
        return Page[ProbeOut](
            items=[_out(r) for r in result.rows],
            next_cursor=result.next_cursor,
            cursors=result.cursors,
        )

    @router.get("/probes/batch", response_model=list[ProbeOut])
    async def batch_probes(
        session: SessionDep, _: ReadPrincipal, ids: str | None = None
    ) -> list[ProbeOut]:
        wanted = parse_ids(ids) or []
        rows = (await session.exec(select(KitProbe).where(col(KitProbe.id).in_(wanted)))).all()
        return [_out(r) for r in rows]

    @router.get("/probes/{probe_id}", response_model=ProbeOut)
    async def get_probe(probe_id: uuid.UUID, session: SessionDep, _: ReadPrincipal) -> ProbeOut:
        row = await session.get(KitProbe, probe_id)
        if row is None:
            raise NotFound(details={"id": str(probe_id)})
        return _out(row)

    @router.patch("/probes/{probe_id}", response_model=ProbeOut)
    async def rename_probe(
        probe_id: uuid.UUID, body: ProbeRename, session: SessionDep, principal: WritePrincipal
    ) -> ProbeOut:
        row = await session.get(KitProbe, probe_id)
        if row is None:
            raise NotFound(details={"id": str(probe_id)})
        before = snapshot(row)
        row.name = body.name
        session.add(row)
        await record_audit(
            session,
            principal=principal,
            action="probe.rename",
            entity_type="probe",
            entity_id=row.id,
            before=before,
            after=snapshot(row),
        )
        if body.fail:
            raise ProbeRefused()
        return _out(row)

    @router.get("/me")
    async def me(principal: ReadPrincipal) -> dict[str, Any]:
        return {
            "subject": principal.subject,
            "roles": sorted(principal.roles),
            "scopes": sorted(principal.scopes),
            "organization_id": principal.organization_id,
            "region_id": principal.region_id,
            "member_id": principal.member_id,
            "places": list(principal.places),
            "name": principal.name,
            "is_city_wide": principal.is_city_wide,
        }

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError(SECRET_TEXT)

    @router.post("/counted")
    async def counted(body: Counted) -> Counted:
        return body

    @router.get("/outbound")
    async def outbound(url: str, http: HttpDep) -> Any:
        """Calls `url` from inside a request, so that the request's context goes along."""
        response = await http.request("GET", url)
        return response.json()

    return router


def kit_settings(issuer: TestIssuer, database_url: str = "", **overrides: Any) -> KitSettings:
    """Settings of a kit app that trusts the test issuer; the relay is driven by the tests."""
    values: dict[str, Any] = {
        "service_name": SERVICE_NAME,
        "environment": "test",
        "database_url": database_url,
        "auth_issuer": issuer.issuer,
        "auth_audience": issuer.audience,
        "auth_jwks": issuer.jwks_json,
        "relay_enabled": False,
        "log_json": False,
    }
    values.update(overrides)
    return KitSettings(**values)


def probe_app(
    settings: KitSettings,
    database: Database,
    *,
    inbox: Inbox | None = None,
    migrations_dir: Path | None = MIGRATIONS_DIR,
) -> FastAPI:
    return create_service_app(
        settings=settings,
        title="kit-probe",
        routers=[probe_router()],
        migrations_dir=migrations_dir,
        inbox=inbox,
        database=database,
        configure_logs=False,
    )


class ProbeInbox(Inbox):
    """A subscriber's inbox: stores each probe it hears of; can fail an event once on request."""

    def __init__(self) -> None:
        super().__init__()
        self.received: list[EventEnvelope] = []  # every envelope that reached the inbox
        self.outcomes: list[tuple[uuid.UUID, InboxOutcome]] = []
        self.failed_once: set[uuid.UUID] = set()
        self.arrived = asyncio.Event()  # set by the first envelope
        self.on(PROBE_CREATED)(self._store)

    async def apply(
        self, session: AsyncSession, envelope: EventEnvelope, *, new: bool
    ) -> InboxOutcome:
        self.received.append(envelope)
        self.arrived.set()
        outcome = await super().apply(session, envelope, new=new)
        self.outcomes.append((envelope.id, outcome))
        return outcome

    async def _store(self, session: AsyncSession, envelope: EventEnvelope) -> None:
        name = str(envelope.data["name"])
        if name.startswith("fail-once") and envelope.id not in self.failed_once:
            self.failed_once.add(envelope.id)
            raise ServiceUnavailable("The subscriber is not ready.", code="not_ready")
        session.add(KitProbe(id=uuid.UUID(str(envelope.data["id"])), name=name))

    def received_ids(self, subject: str | None = None) -> list[uuid.UUID]:
        return [e.id for e in self.received if subject is None or e.subject == subject]


@dataclass
class TokenEndpoint:
    """An OAuth2 client-credentials endpoint that mints service tokens with the test issuer."""

    issuer: TestIssuer
    client_id: str = "kit-relay"
    client_secret: str = "kit-relay-secret"
    issued: int = 0
    url: str = ""

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/token")
        async def token(request: Request) -> JSONResponse:
            form = await request.form()
            if (
                form.get("grant_type") != "client_credentials"
                or form.get("client_id") != self.client_id
                or form.get("client_secret") != self.client_secret
            ):
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            self.issued += 1
            access_token = self.issuer.token(
                subject=f"client:{self.client_id}", roles=["service"], scopes=[EVENTS_SCOPE]
            )
            return JSONResponse(
                {"access_token": access_token, "token_type": "Bearer", "expires_in": 600}
            )

        return app

    def credentials(self) -> dict[str, str]:
        """Settings (or HttpClient keyword arguments) that use this endpoint."""
        return {
            "token_url": f"{self.url}/token",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }


@dataclass
class Upstream:
    """Another service, as seen by the HTTP client: counts calls, fails on request."""

    calls: Counter[str] = field(default_factory=Counter)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/echo")
        async def echo(request: Request) -> dict[str, str | None]:
            self.calls["echo"] += 1
            return {
                "x_request_id": request.headers.get("x-request-id"),
                "traceparent": request.headers.get("traceparent"),
                "authorization": request.headers.get("authorization"),
            }

        @app.api_route("/flaky/{key}", methods=["GET", "POST", "PUT"])
        async def flaky(key: str) -> JSONResponse:
            """503 on the first call for `key`, 200 afterwards."""
            self.calls[key] += 1
            if self.calls[key] == 1:
                return JSONResponse({"error": "busy"}, status_code=503)
            return JSONResponse({"calls": self.calls[key]})

        @app.get("/down/{key}")
        async def down(key: str) -> JSONResponse:
            self.calls[key] += 1
            return JSONResponse({"error": "down"}, status_code=503)

        @app.get("/reject/{key}")
        async def reject(key: str) -> JSONResponse:
            self.calls[key] += 1
            return JSONResponse({"error": "unauthorized"}, status_code=401)

        return app


@asynccontextmanager
async def dropping_server(drops: int) -> AsyncIterator[tuple[str, list[bytes]]]:
    """A raw HTTP/1.1 server that hangs up on its first `drops` connections, then answers 200.

    Yields its base URL and the request heads it read, one per connection.
    """
    heads: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            heads.append(await reader.readuntil(b"\r\n\r\n"))
            if len(heads) > drops:
                body = b'{"ok":true}'
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}", heads


async def sql_rows(database: Database, query: str, **params: Any) -> list[Row[Any]]:
    async with database.engine.connect() as connection:
        return list((await connection.execute(text(query), params)).all())


async def sql_value(database: Database, query: str, **params: Any) -> Any:
    async with database.engine.connect() as connection:
        return (await connection.execute(text(query), params)).scalar_one()


async def sql_exec(database: Database, query: str, **params: Any) -> None:
    async with database.engine.begin() as connection:
        await connection.execute(text(query), params)
