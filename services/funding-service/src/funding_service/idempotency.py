"""Idempotency keys: the same key with the same body gets the first answer, never a second write.

Every write carries an `Idempotency-Key` header. The key is claimed in the write's own
transaction, so a concurrent request with the same key waits for the first one to
commit (the primary key's index makes it wait) and then answers from what it stored. A
write that is refused rolls back and leaves no key behind: a retry is decided afresh.
Keys are kept for `idempotency_key_ttl_hours` (settings), per caller.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Request, Response
from pydantic import BaseModel
from sqlalchemy import Column, DateTime, Index, Integer, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from service_kit.auth import CurrentPrincipal, Principal
from service_kit.errors import BadRequest, Conflict

M = TypeVar("M", bound=BaseModel)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_PATTERN = r"^[\x21-\x7e]{1,200}$"


def utcnow() -> datetime:
    return datetime.now(UTC)


class IdempotencyKey(SQLModel, table=True):
    __tablename__ = "idempotency_key"
    __table_args__ = (Index("ix_idempotency_key_expires_at", "expires_at"),)

    subject: str = Field(sa_column=Column(String(200), primary_key=True))
    key: str = Field(sa_column=Column(String(200), primary_key=True))
    fingerprint: str = Field(sa_column=Column(String(64), nullable=False))
    method: str = Field(sa_column=Column(String(10), nullable=False))
    path: str = Field(sa_column=Column(String(500), nullable=False))
    status_code: int | None = Field(default=None, sa_column=Column(Integer))
    response: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class IdempotencyKeyRequired(BadRequest):
    code = "idempotency_key_required"
    message = (
        "Every write needs an Idempotency-Key header: 1 to 200 visible ASCII characters, "
        "new for each new write and the same when the write is retried."
    )


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    message = (
        "This Idempotency-Key was used for a different request; a retry must send the same "
        "body to the same address. Use a new key for a new write."
    )


class Idempotency:
    """The request's key and fingerprint; `run` performs the write once per key."""

    def __init__(self, request: Request, response: Response, principal: Principal, key: str):
        self.request = request
        self.response = response
        self.principal = principal
        self.key = key
        self.ttl = timedelta(hours=request.app.state.settings.idempotency_key_ttl_hours)

    def fingerprint(self, body: BaseModel | None) -> str:
        payload = {
            "method": self.request.method,
            "path": self.request.url.path,
            "query": sorted(self.request.query_params.multi_items()),
            "body": body.model_dump(mode="json") if body is not None else None,
        }
        canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()

    async def run(
        self,
        session: AsyncSession,
        *,
        body: BaseModel | None,
        result_type: type[M],
        action: Callable[[], Awaitable[M]],
    ) -> M:
        """The stored answer for this key, or `action`'s, stored in the same transaction."""
        fingerprint = self.fingerprint(body)
        now = utcnow()
        connection = await session.connection()
        params = {"subject": self.principal.subject, "key": self.key}
        claimed = (
            await connection.execute(
                text(
                    "INSERT INTO idempotency_key AS k (subject, key, fingerprint, method, path, "
                    "created_at, expires_at) VALUES (:subject, :key, :fingerprint, :method, "
                    ":path, :now, :expires) ON CONFLICT (subject, key) DO UPDATE SET "
                    "fingerprint = EXCLUDED.fingerprint, method = EXCLUDED.method, "
                    "path = EXCLUDED.path, status_code = NULL, response = NULL, "
                    "created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at "
                    "WHERE k.expires_at < EXCLUDED.created_at RETURNING k.key"
                ),
                {
                    **params,
                    "fingerprint": fingerprint,
                    "method": self.request.method,
                    "path": self.request.url.path[:500],
                    "now": now,
                    "expires": now + self.ttl,
                },
            )
        ).first()
        if claimed is None:
            stored = (
                await connection.execute(
                    text(
                        "SELECT fingerprint, status_code, response FROM idempotency_key "
                        "WHERE subject = :subject AND key = :key"
                    ),
                    params,
                )
            ).one()
            if stored.fingerprint != fingerprint or stored.response is None:
                raise IdempotencyKeyReused(details={"key": self.key})
            self.response.status_code = stored.status_code
            self.response.headers[REPLAYED_HEADER] = "true"
            return result_type.model_validate(stored.response)
        # Forget a few expired keys on the way (the index on expires_at finds them).
        await connection.execute(
            text(
                "DELETE FROM idempotency_key WHERE ctid IN (SELECT ctid FROM idempotency_key "
                "WHERE expires_at < :now LIMIT 100 FOR UPDATE SKIP LOCKED)"
            ),
            {"now": now},
        )
        result = await action()
        status = self.response.status_code or _declared_status(self.request)
        await connection.execute(
            text(
                "UPDATE idempotency_key SET status_code = :status, "
                "response = CAST(:response AS jsonb) WHERE subject = :subject AND key = :key"
            ),
            {**params, "status": status, "response": result.model_dump_json()},
        )
        return result


def _declared_status(request: Request) -> int:
    route = request.scope.get("route")
    status = getattr(route, "status_code", None)
    return int(status) if status else 200


async def _idempotency(
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias=HEADER,
            description="required on every write: the same key and body on a retry get the "
            "first answer; a new write needs a new key (1-200 visible ASCII characters)",
        ),
    ] = None,
) -> Idempotency:
    if idempotency_key is None or not re.match(KEY_PATTERN, idempotency_key):
        raise IdempotencyKeyRequired(details={"header": HEADER})
    return Idempotency(request, response, principal, idempotency_key)


IdempotencyDep = Annotated[Idempotency, Depends(_idempotency)]
