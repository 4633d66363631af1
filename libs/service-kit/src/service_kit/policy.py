"""Policy parameters: local numbers kept as dated, editable data rather than code.

(No `from __future__ import annotations` here: the endpoints below are built in a
function, and FastAPI must see their dependency annotations as objects.)

A parameter has a key, an optional region it applies to (none: the whole city) and a
date from which a value holds. The value in force on a day is the latest one dated on
or before it, the most specific region first. A new value is a new dated row; a row
for the same key, region and date is replaced (a correction before it takes effect).
"""

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Column, Date, DateTime, Index, String, func, or_
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from service_kit.audit import record_audit
from service_kit.auth import Principal, require_scope
from service_kit.db import SessionDep
from service_kit.errors import NotFound, Unprocessable

SEED_DATE = date(2000, 1, 1)


def utcnow() -> datetime:
    return datetime.now(UTC)


class PolicyParameter(SQLModel, table=True):
    __tablename__ = "policy_parameter"
    __table_args__ = (
        Index(
            "uq_policy_parameter_key_region_from",
            "key",
            sa.text("coalesce(region_id, '00000000-0000-0000-0000-000000000000'::uuid)"),
            "valid_from",
            unique=True,
        ),
    )

    id: uuid.UUID = SQLField(default_factory=uuid.uuid4, primary_key=True)
    key: str = SQLField(sa_column=Column(String(100), nullable=False))
    region_id: uuid.UUID | None = SQLField(default=None)
    valid_from: date = SQLField(sa_column=Column(Date, nullable=False))
    value: Any = SQLField(sa_column=Column(JSONB, nullable=False))
    note: str | None = SQLField(default=None, max_length=500)
    recorded_at: datetime = SQLField(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )
    recorded_by: str = SQLField(max_length=200)


@dataclass(frozen=True)
class PolicyKey:
    """A parameter a service reads: its meaning, its seeded value and how a value is checked."""

    key: str
    description: str
    default: Any
    check: Callable[[Any], Any]


class UnknownPolicyKey(NotFound):
    code = "unknown_policy_parameter"
    message = "No policy parameter has this key."


class InvalidPolicyValue(Unprocessable):
    code = "invalid_policy_value"


async def row_on(
    session: AsyncSession,
    key: PolicyKey,
    on: date,
    regions: Sequence[uuid.UUID | None] = (None,),
) -> PolicyParameter | None:
    """The row in force on `on`, trying `regions` in order (most specific first)."""
    wanted = [r for r in regions if r is not None]
    statement = (
        select(PolicyParameter)
        .where(
            PolicyParameter.key == key.key,
            PolicyParameter.valid_from <= on,
            or_(
                col(PolicyParameter.region_id).is_(None),
                col(PolicyParameter.region_id).in_(wanted),
            ),
        )
        .order_by(col(PolicyParameter.valid_from).desc())
    )
    rows = (await session.exec(statement)).all()
    order = {region: i for i, region in enumerate(regions)}
    best: tuple[int, PolicyParameter] | None = None
    for row in rows:  # latest first: the first row seen per region is its value
        rank = order.get(row.region_id, len(order))
        if best is None or rank < best[0]:
            best = (rank, row)
    return None if best is None else best[1]


async def value_on(
    session: AsyncSession,
    key: PolicyKey,
    on: date,
    regions: Sequence[uuid.UUID | None] = (None,),
) -> Any:
    """The value in force on `on` (the key's default when nothing is stored)."""
    row = await row_on(session, key, on, regions)
    return key.default if row is None else row.value


def seed_rows(keys: Sequence[PolicyKey]) -> list[dict[str, Any]]:
    """Rows that seed each key's default (for a migration's bulk insert)."""
    return [
        {
            "id": uuid.uuid4(),
            "key": k.key,
            "region_id": None,
            "valid_from": SEED_DATE,
            "value": k.default,
            "note": "seeded default",
            "recorded_at": utcnow(),
            "recorded_by": "migration",
        }
        for k in keys
    ]


def create_policy_table(op: Any, keys: Sequence[PolicyKey]) -> None:
    """Create the table and seed the defaults; call from a service's migration."""
    table = op.create_table(
        "policy_parameter",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("region_id", sa.Uuid()),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("value", JSONB(), nullable=False),
        sa.Column("note", sa.String(500)),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_policy_parameter"),
    )
    op.create_index(
        "uq_policy_parameter_key_region_from",
        "policy_parameter",
        [
            "key",
            sa.text("coalesce(region_id, '00000000-0000-0000-0000-000000000000'::uuid)"),
            "valid_from",
        ],
        unique=True,
    )
    op.bulk_insert(table, seed_rows(keys))


class PolicyValueIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: Any
    valid_from: date
    region_id: uuid.UUID | None = None
    note: str | None = Field(default=None, max_length=500)


class PolicyValueOut(BaseModel):
    key: str
    value: Any
    valid_from: date
    region_id: uuid.UUID | None
    note: str | None
    recorded_at: datetime
    recorded_by: str


class PolicyKeyOut(BaseModel):
    key: str
    description: str
    default: Any
    values: list[PolicyValueOut]


def _out(row: PolicyParameter) -> PolicyValueOut:
    return PolicyValueOut.model_validate(row.model_dump())


def policy_router(keys: Sequence[PolicyKey], *, read_scope: str, admin_scope: str) -> APIRouter:
    """GET and PUT /policy-parameters for a service's own keys."""
    by_key = {k.key: k for k in keys}
    router = APIRouter(prefix="/policy-parameters", tags=["policy"])

    def _key(name: str) -> PolicyKey:
        if name not in by_key:
            raise UnknownPolicyKey(details={"key": name, "known": sorted(by_key)})
        return by_key[name]

    @router.get("", response_model=list[PolicyKeyOut], operation_id="list_policy_parameters")
    async def list_parameters(
        session: SessionDep, principal: Annotated[Principal, require_scope(read_scope)]
    ) -> list[PolicyKeyOut]:
        """Every key with all its dated values, newest first."""
        rows = (
            await session.exec(
                select(PolicyParameter).order_by(
                    col(PolicyParameter.key), col(PolicyParameter.valid_from).desc()
                )
            )
        ).all()
        return [
            PolicyKeyOut(
                key=k.key,
                description=k.description,
                default=k.default,
                values=[_out(r) for r in rows if r.key == k.key],
            )
            for k in keys
        ]

    @router.get("/{key}/value", response_model=PolicyValueOut, operation_id="get_policy_value")
    async def get_value(
        key: str,
        session: SessionDep,
        principal: Annotated[Principal, require_scope(read_scope)],
        on: Annotated[date | None, Query(description="defaults to today")] = None,
        region_id: uuid.UUID | None = None,
    ) -> PolicyValueOut:
        """The value in force on a day, for a region or the whole city."""
        parameter = _key(key)
        row = await row_on(session, parameter, on or date.today(), (region_id, None))
        if row is None:
            return PolicyValueOut(
                key=parameter.key,
                value=parameter.default,
                valid_from=SEED_DATE,
                region_id=None,
                note="built-in default",
                recorded_at=utcnow(),
                recorded_by="code",
            )
        return _out(row)

    @router.put("/{key}", response_model=PolicyValueOut, operation_id="set_policy_value")
    async def set_value(
        key: str,
        body: PolicyValueIn,
        session: SessionDep,
        principal: Annotated[Principal, require_scope(admin_scope)],
    ) -> PolicyValueOut:
        """Set the value that holds from `valid_from` (replacing one dated the same day)."""
        parameter = _key(key)
        try:
            value = parameter.check(body.value)
        except (ValueError, TypeError) as exc:
            raise InvalidPolicyValue(
                f"Not a valid value for {key}: {exc}", details={"key": key}
            ) from exc
        row_id = uuid.uuid4()
        now = utcnow()
        statement = (
            insert(PolicyParameter)
            .values(
                id=row_id,
                key=key,
                region_id=body.region_id,
                valid_from=body.valid_from,
                value=value,
                note=body.note,
                recorded_at=now,
                recorded_by=principal.subject,
            )
            .on_conflict_do_update(
                index_elements=[
                    col(PolicyParameter.key),
                    func.coalesce(
                        col(PolicyParameter.region_id),
                        sa.text("'00000000-0000-0000-0000-000000000000'::uuid"),
                    ),
                    col(PolicyParameter.valid_from),
                ],
                set_={
                    "value": value,
                    "note": body.note,
                    "recorded_at": now,
                    "recorded_by": principal.subject,
                },
            )
            .returning(col(PolicyParameter.id))
        )
        stored_id = (await (await session.connection()).execute(statement)).scalar_one()
        row = await session.get(PolicyParameter, stored_id, populate_existing=True)
        assert row is not None
        await record_audit(
            session,
            principal=principal,
            action="policy_parameter.set",
            entity_type="policy_parameter",
            entity_id=key,
            after=_out(row).model_dump(mode="json"),
        )
        return _out(row)

    return router
