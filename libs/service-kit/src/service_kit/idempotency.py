"""Idempotency keys: a write retried with the same key and body gets the first answer, once.

A write carries an `Idempotency-Key` header. The key is claimed in the write's own
transaction, so a concurrent retry with the same key waits on the key's primary-key
index until the first attempt commits, and then answers from what it stored. A write
that fails rolls back and leaves no key behind: its retry is decided afresh. A key is
kept per caller (token subject) for a while (`ttl`), then forgotten.

A service that uses it creates the table in one of its migrations
(`create_idempotency_table`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, TypeVar

import sqlalchemy as sa
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
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,200}$")
DEFAULT_TTL = timedelta(days=30)


def utcnow() -> datetime:
    return datetime.now(UTC)


class IdempotentRequest(SQLModel, table=True):
    """A claimed key: what the first request was (its fingerprint) and what it answered."""

    __tablename__ = "idempotent_request"
    __table_args__ = (Index("ix_idempotent_request_expires_at", "expires_at"),)

    subject: str = Field(sa_column=Column(String(200), primary_key=True))
    key: str = Field(sa_column=Column(String(200), primary_key=True))
    fingerprint: str = Field(sa_column=Column(String(64), nullable=False))
    method: str = Field(sa_column=Column(String(10), nullable=False))
    path: str = Field(sa_column=Column(String(500), nullable=False))
    status_code: int | None = Field(default=None, sa_column=Column(Integer))
    response: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


def create_idempotency_table(op: Any) -> None:
    """Create the table of idempotency keys; call from a service's migration."""
    tz = sa.DateTime(timezone=True)
    op.create_table(
        "idempotent_request",
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("path", sa.String(500), nullable=False),
        sa.Column("status_code", sa.Integer()),
        sa.Column("response", JSONB()),
        sa.Column("created_at", tz, nullable=False),
        sa.Column("expires_at", tz, nullable=False),
        sa.PrimaryKeyConstraint("subject", "key", name="pk_idempotent_request"),
    )
    op.create_index("ix_idempotent_request_expires_at", "idempotent_request", ["expires_at"])


class IdempotencyKeyRequired(BadRequest):
    code = "idempotency_key_required"
    message = (
        "This write needs an Idempotency-Key header: 1 to 200 visible ASCII characters, "
        "new for each new write and the same when the write is retried."
    )


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    message = (
        "This Idempotency-Key was used for a different request; a retry must send the same "
        "body to the same address. Use a new key for a new write."
    )


def fingerprint_of(request: Request, body: bytes | BaseModel | None) -> str:
    """What makes two requests the same: method, path, query, content type and body."""
    content = body.model_dump_json().encode() if isinstance(body, BaseModel) else body or b""
    payload = {
        "method": request.method,
        "path": request.url.path,
        "query": sorted(request.query_params.multi_items()),
        "content_type": request.headers.get("content-type", "").split(";")[0].strip().lower(),
        "body": hashlib.sha256(content).hexdigest(),
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


class Idempotency:
    """The request's key; `run` performs the write once per key and caller."""

    def __init__(
        self,
        request: Request,
        response: Response,
        principal: Principal,
        key: str,
        ttl: timedelta = DEFAULT_TTL,
    ) -> None:
        self.request = request
        self.response = response
        self.principal = principal
        self.key = key
        self.ttl = ttl
        self.replayed = False

    async def run(
        self,
        session: AsyncSession,
        *,
        fingerprint: str,
        result_type: type[M],
        action: Callable[[], Awaitable[M]],
    ) -> M:
        """The stored answer for this key, or `action`'s, stored in the same transaction."""
        now = utcnow()
        connection = await session.connection()
        params = {"subject": self.principal.subject, "key": self.key}
        claimed = (
            await connection.execute(
                text(
                    "INSERT INTO idempotent_request AS k (subject, key, fingerprint, method, "
                    "path, created_at, expires_at) VALUES (:subject, :key, :fingerprint, "
                    ":method, :path, :now, :expires) ON CONFLICT (subject, key) DO UPDATE SET "
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
                        "SELECT fingerprint, status_code, response FROM idempotent_request "
                        "WHERE subject = :subject AND key = :key"
                    ),
                    params,
                )
            ).one()
            if stored.fingerprint != fingerprint or stored.response is None:
                raise IdempotencyKeyReused(details={"key": self.key})
            self.replayed = True
            self.response.status_code = stored.status_code
            self.response.headers[REPLAYED_HEADER] = "true"
            return result_type.model_validate(stored.response)
        # Forget a few expired keys on the way (the index on expires_at finds them).
        await connection.execute(
            text(
                "DELETE FROM idempotent_request WHERE ctid IN (SELECT ctid FROM "
                "idempotent_request WHERE expires_at < :now LIMIT 100 FOR UPDATE SKIP LOCKED)"
            ),
            {"now": now},
        )
        result = await action()
        status = self.response.status_code or _declared_status(self.request)
        await connection.execute(
            text(
                "UPDATE idempotent_request SET status_code = :status, "
                "response = CAST(:response AS jsonb) WHERE subject = :subject AND key = :key"
            ),
            {**params, "status": status, "response": result.model_dump_json()},
        )
        return result


def _declared_status(request: Request) -> int:
    route = request.scope.get("route")
    status = getattr(route, "status_code", None)
    return int(status) if status else 200


def idempotency(ttl: timedelta = DEFAULT_TTL) -> Any:
    """Dependency factory: the request's Idempotency (the header is required)."""

    async def _dependency(
        request: Request,
        response: Response,
        principal: CurrentPrincipal,
        idempotency_key: Annotated[
            str | None,
            Header(
                alias=HEADER,
                description="required: the same key and body on a retry get the first "
                "answer; a new write needs a new key (1-200 visible ASCII characters)",
            ),
        ] = None,
    ) -> Idempotency:
        if idempotency_key is None or not KEY_PATTERN.match(idempotency_key):
            raise IdempotencyKeyRequired(details={"header": HEADER})
        return Idempotency(request, response, principal, idempotency_key, ttl)

    return Depends(_dependency)


IdempotencyDep = Annotated[Idempotency, idempotency()]
