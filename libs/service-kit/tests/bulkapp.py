"""A bulk endpoint built from the kit the way a service builds one: probes written in batches."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlmodel import col, select

from service_kit.app import create_service_app
from service_kit.audit import AuditEntry, record_audits
from service_kit.auth import Principal, require_scope
from service_kit.bulk import (
    BULK_ERROR_RESPONSES,
    BulkResult,
    Outcome,
    RecordOutcome,
    Rejected,
    bulk_request_body,
    log_batch,
    parse_record,
    read_bulk_body,
    rejected,
    summarize,
)
from service_kit.db import Database, SessionDep
from service_kit.idempotency import IdempotencyDep, fingerprint_of
from service_kit.settings import KitSettings

from .kitapp import MIGRATIONS_DIR, KitProbe

MAX_PROBES = 5

WritePrincipal = Annotated[Principal, require_scope("kit:write")]


class ProbeRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID
    name: str = PydanticField(min_length=1, max_length=100)


def bulk_router() -> APIRouter:
    router = APIRouter()

    @router.post(
        "/probes/bulk",
        response_model=BulkResult,
        openapi_extra=bulk_request_body(ProbeRecord, max_records=MAX_PROBES),
        responses=BULK_ERROR_RESPONSES,
    )
    async def write_probes(
        request: Request,
        session: SessionDep,
        principal: WritePrincipal,
        idempotency: IdempotencyDep,
    ) -> BulkResult:
        body = await read_bulk_body(request, max_records=MAX_PROBES)

        async def act() -> BulkResult:
            outcomes: list[RecordOutcome] = []
            valid: list[tuple[int, ProbeRecord]] = []
            for index, value in enumerate(body.records):
                try:
                    record = parse_record(ProbeRecord, value)
                    if record.name == "forbidden":
                        raise Rejected("name_forbidden", "This name is not allowed.", "name")
                except Rejected as exc:
                    outcomes.append(rejected(index, exc.error))
                    continue
                valid.append((index, record))
            stored = {
                row.id: row
                for row in (
                    await session.exec(
                        select(KitProbe).where(col(KitProbe.id).in_([r.id for _, r in valid]))
                    )
                ).all()
            }
            entries = []
            for index, record in valid:
                row = stored.get(record.id)
                if row is None:
                    outcome = Outcome.created
                    row = KitProbe(id=record.id, name=record.name)
                    stored[row.id] = row
                elif row.name == record.name:
                    outcome = Outcome.unchanged
                else:
                    outcome = Outcome.updated
                    row.name = record.name
                session.add(row)
                outcomes.append(RecordOutcome(index=index, outcome=outcome, id=row.id))
                if outcome != Outcome.unchanged:
                    entries.append(
                        AuditEntry(f"probe.{outcome.value}", "probe", row.id, after={"n": 1})
                    )
            await session.flush()
            await record_audits(session, principal=principal, entries=entries)
            outcomes.sort(key=lambda o: o.index)
            result = summarize(uuid.uuid4(), "probes", outcomes)
            await log_batch(
                session,
                principal=principal,
                kind="probes",
                idempotency_key=idempotency.key,
                result=result,
            )
            return result

        return await idempotency.run(
            session,
            fingerprint=fingerprint_of(request, body.raw),
            result_type=BulkResult,
            action=act,
        )

    return router


def bulk_app(settings: KitSettings, database: Database) -> FastAPI:
    return create_service_app(
        settings=settings,
        title="kit-bulk",
        routers=[bulk_router()],
        migrations_dir=MIGRATIONS_DIR,
        database=database,
        configure_logs=False,
    )
