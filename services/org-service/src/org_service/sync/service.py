"""Rules of the sync API: what a client may write (its places and what lies in them), how a
pushed record becomes a work target, a tenancy or a place with floors, and what a client
reads back.

A client is registered with the places it may write for (the `places` claim of its token:
parks, business districts, buildings). Its reach is those places and every place inside
them (a building in its park). A record outside that reach is rejected; a client reads
back nothing outside it, and only its own ids (other clients' ids of the same unit stay
hidden).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import RowMapping
from sqlmodel.ext.asyncio.session import AsyncSession

from org_service.places.models import PLACE_PARENT_KINDS, Place, PlaceKind
from org_service.sync import repository
from org_service.sync.models import WorkTargetTenancy, utcnow
from org_service.sync.schemas import PlaceRecord, SyncPlace, SyncWorkTarget, WorkTargetRecord
from org_service.temporal import today
from org_service.work_targets import repository as target_repository
from org_service.work_targets import service as target_service
from org_service.work_targets.credit_code import InvalidCreditCode, validate_credit_code
from org_service.work_targets.models import (
    Industry,
    WorkTarget,
    WorkTargetCoverage,
    WorkTargetKind,
)
from service_kit.audit import AuditEntry, record_audits
from service_kit.auth import Principal
from service_kit.bulk import (
    BulkResult,
    Outcome,
    RecordOutcome,
    Rejected,
    log_batch,
    parse_record,
    rejected,
    summarize,
)
from service_kit.errors import AppError, Forbidden
from service_kit.events import EventPublisher
from service_kit.pagination import Page, PageParams

SYNC_WRITE = "sync:write"
SYNC_READ = "sync:read"
WORK_TARGETS = "work_targets"
PLACES = "places"
KINDS = (WORK_TARGETS, PLACES)

# The columns of a work target a client's record sets (the credit code is its key).
SYNCED_COLUMNS = (
    "name",
    "kind",
    "industry",
    "region_id",
    "place_id",
    "employee_count",
    "pays_tax",
    "pays_social_insurance",
    "party_member_count",
    "investor_name",
    "registered_on",
    "deregistered_on",
)
# Fields of a record that set a column of the same name when given.
RECORD_COLUMNS = tuple(c for c in SYNCED_COLUMNS if c not in ("region_id", "place_id"))


class NoPlacesGranted(Forbidden):
    code = "no_places_granted"
    message = (
        "This client is registered for no places (its token's `places` claim names none); "
        "ask the organization department to register the parks, business districts or "
        "buildings it writes for."
    )


def _json(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    return value


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _json(v) for k, v in values.items()}


def _on_one_line(a: str, b: str) -> bool:
    """One region lies in the other (or they are the same)."""
    return a.startswith(b) or b.startswith(a)


# ----------------------------------------------------------------------------- reach


def granted_places(principal: Principal) -> list[uuid.UUID]:
    """The place ids of the token's `places` claim (anything else in it is ignored)."""
    granted = []
    for value in principal.places:
        try:
            granted.append(uuid.UUID(value))
        except ValueError:
            continue
    return granted


@dataclass
class Scope:
    """What one client reaches: its granted places, the places inside them, their floors."""

    client: str
    granted: frozenset[uuid.UUID]
    places: dict[uuid.UUID, Place]
    floors: dict[uuid.UUID, list[str]]
    regions: dict[uuid.UUID, str] = field(default_factory=dict)  # id → path

    def __post_init__(self) -> None:
        self.by_external_id = {
            str(p.external_refs[self.client]): p.id
            for p in self.places.values()
            if self.client in (p.external_refs or {})
        }

    def external_id_of(self, place: Place) -> str | None:
        value = (place.external_refs or {}).get(self.client)
        return str(value) if value is not None else None

    def place(
        self,
        place_id: uuid.UUID | None,
        external_id: str | None,
        *,
        id_field: str,
        external_field: str,
    ) -> Place:
        """The place a record names by id or by the client's own id, within reach."""
        if place_id is None and external_id is None:
            raise Rejected(
                "missing_field",
                f"{id_field} or {external_field} is required: a place of yours, or one inside "
                "one of yours.",
                id_field,
            )
        by_external = None
        if external_id is not None:
            by_external = self.by_external_id.get(external_id)
            if by_external is None:
                raise Rejected(
                    "unknown_place_external_id",
                    f"None of your places has the id {external_id!r}; send it to /sync/places "
                    "first, or name the place by its id.",
                    external_field,
                )
        if place_id is not None and place_id not in self.places:
            raise Rejected(
                "outside_your_places",
                f"Place {place_id} is neither one of the places this client is registered for "
                "nor inside one.",
                id_field,
            )
        if place_id is not None and by_external is not None and place_id != by_external:
            raise Rejected(
                "place_mismatch",
                f"{id_field} and {external_field} name two different places; send one of them.",
                external_field,
            )
        chosen = place_id or by_external
        assert chosen is not None
        return self.places[chosen]


async def client_scope(
    *, session: AsyncSession, principal: Principal, regions: Iterable[uuid.UUID] = ()
) -> Scope:
    """The caller's reach (403 no_places_granted when its token names no place)."""
    granted = granted_places(principal)
    if not granted:
        raise NoPlacesGranted(details={"places": list(principal.places)})
    places = {p.id: p for p in await repository.places_within(session, granted)}
    scope = Scope(
        client=principal.subject,
        granted=frozenset(g for g in granted if g in places),
        places=places,
        floors=await repository.floors_of(session, places),
    )
    scope.regions = await repository.region_paths(
        session, {p.region_id for p in places.values()} | set(regions)
    )
    return scope


def _raw_key(value: Any, name: str) -> str | None:
    raw = value.get(name) if isinstance(value, dict) else None
    return str(raw)[:100] if raw is not None else None


def _region_on_line(scope: Scope, region_id: uuid.UUID, place: Place) -> None:
    path = scope.regions.get(region_id)
    if path is None:
        raise Rejected("region_not_found", f"No region has the id {region_id}.", "region_id")
    if not _on_one_line(path, scope.regions[place.region_id]):
        raise Rejected(
            "place_outside_region",
            f"{place.name} lies in a region that neither contains nor lies in region "
            f"{region_id}; correct region_id or leave it out (the place's region is used).",
            "region_id",
        )


# ----------------------------------------------------------------------------- work targets


@dataclass
class PreparedTarget:
    index: int
    record: WorkTargetRecord
    credit_code: str
    place: Place
    given: set[str]


def _credit_code(raw: str) -> str:
    try:
        return validate_credit_code(raw)
    except InvalidCreditCode as exc:
        raise Rejected.from_app_error(exc, "credit_code") from exc


def _prepare_target(
    index: int, record: WorkTargetRecord, code: str, scope: Scope
) -> PreparedTarget:
    """The record checked against the rules that need no stored target."""
    place = scope.place(
        record.place_id,
        record.place_external_id,
        id_field="place_id",
        external_field="place_external_id",
    )
    if record.region_id is not None:
        _region_on_line(scope, record.region_id, place)
    try:
        target_service.check_registration_dates(record.registered_on, record.deregistered_on)
    except AppError as exc:
        raise Rejected.from_app_error(exc, "registered_on") from exc
    if record.floor is not None and record.floor not in scope.floors.get(place.id, []):
        listed = scope.floors.get(place.id)
        raise Rejected(
            "unknown_floor",
            f"{place.name} has no floor {record.floor!r}"
            + (
                f" (its floors: {', '.join(listed)})."
                if listed
                else "; list its floors with a record to /sync/places first."
            ),
            "floor",
        )
    return PreparedTarget(index, record, code, place, set(record.model_fields_set))


def _target_values(p: PreparedTarget, current: RowMapping | None, scope: Scope) -> dict[str, Any]:
    """The synced columns after the record: over the stored row, or over the defaults."""
    record = p.record
    if current is None:
        values = {name: getattr(record, name) for name in RECORD_COLUMNS}
    else:
        values = {name: current[name] for name in SYNCED_COLUMNS}
        values.update({name: getattr(record, name) for name in RECORD_COLUMNS if name in p.given})
    values["kind"] = WorkTargetKind(values["kind"]).value
    values["industry"] = Industry(values["industry"]).value
    values["place_id"] = p.place.id
    place_region = scope.regions[p.place.region_id]
    if record.region_id is not None:
        values["region_id"] = record.region_id
    elif current is None or not _on_one_line(
        scope.regions.get(current["region_id"], ""), place_region
    ):
        values["region_id"] = p.place.region_id
    return values


def _refs_after(p: PreparedTarget, current: dict[str, Any], client: str) -> dict[str, Any]:
    refs = dict(current)
    if "external_id" in p.given:
        if p.record.external_id is None:
            refs.pop(client, None)
        else:
            refs[client] = p.record.external_id
    return refs


def _tenancy_after(
    p: PreparedTarget, current: WorkTargetTenancy | None, moved: bool
) -> tuple[str | None, str | None]:
    """(floor, unit) after the record; a unit that moved to another place keeps neither."""
    floor = None if current is None or moved else current.floor
    unit = None if current is None or moved else current.unit
    if "floor" in p.given:
        floor = p.record.floor
    if "unit" in p.given:
        unit = p.record.unit
    return floor, unit


@dataclass
class TargetWrite:
    """What one accepted record writes."""

    index: int
    code: str
    target_id: uuid.UUID
    outcome: Outcome
    row: dict[str, Any]  # every column, for an insert or an update
    before: dict[str, Any] | None
    after: dict[str, Any]
    tenancy: tuple[str | None, str | None] | None  # to store, when it changed
    registration_changed: bool = False


def _plan_target(
    p: PreparedTarget,
    current: RowMapping | None,
    tenancy: WorkTargetTenancy | None,
    scope: Scope,
    now: datetime,
) -> TargetWrite:
    """Created, updated or unchanged, with the row to write (Rejected when not the client's)."""
    values = _target_values(p, current, scope)
    if current is None:
        refs = _refs_after(p, {}, scope.client)
        floor_unit = _tenancy_after(p, None, moved=False)
        target_id = uuid.uuid4()
        row = {
            "id": target_id,
            "credit_code": p.credit_code,
            **values,
            "external_refs": refs,
            "created_at": now,
            "updated_at": now,
        }
        after = _jsonable({**values, "credit_code": p.credit_code, "external_refs": refs})
        if floor_unit != (None, None):
            after.update(floor=floor_unit[0], unit=floor_unit[1])
        return TargetWrite(
            p.index,
            p.credit_code,
            target_id,
            Outcome.created,
            row,
            None,
            after,
            floor_unit if floor_unit != (None, None) else None,
        )
    if current["place_id"] not in scope.places:
        raise Rejected(
            "registered_elsewhere",
            f"A work target with credit code {p.credit_code} is registered already, outside "
            "your places; the district's administrators move it into one of yours first.",
            "credit_code",
        )
    refs = _refs_after(p, dict(current["external_refs"] or {}), scope.client)
    moved = current["place_id"] != p.place.id
    floor_unit = _tenancy_after(p, tenancy, moved)
    stored_floor_unit = (tenancy.floor, tenancy.unit) if tenancy else (None, None)
    changed = {k: v for k, v in values.items() if current[k] != v}
    before = {k: current[k] for k in changed}
    after = dict(changed)
    if refs != (current["external_refs"] or {}):
        before["external_refs"] = current["external_refs"]
        after["external_refs"] = refs
    if floor_unit != stored_floor_unit:
        before.update(floor=stored_floor_unit[0], unit=stored_floor_unit[1])
        after.update(floor=floor_unit[0], unit=floor_unit[1])
    outcome = Outcome.updated if after else Outcome.unchanged
    return TargetWrite(
        p.index,
        p.credit_code,
        current["id"],
        outcome,
        {"id": current["id"], **values, "external_refs": refs, "updated_at": now},
        _jsonable(before),
        _jsonable(after),
        floor_unit if floor_unit != stored_floor_unit else None,
        registration_changed=bool({"registered_on", "deregistered_on"} & set(changed)),
    )


async def _plan_targets(
    session: AsyncSession,
    prepared: Sequence[PreparedTarget],
    scope: Scope,
    outcomes: list[RecordOutcome],
) -> list[TargetWrite]:
    """Each record's write, against the stored rows; rejections go to `outcomes`.

    Read first without locks, so that a batch of unchanged records locks nothing; then the
    rows that will change are locked (in credit-code order) and planned again from what is
    stored once the lock is held.
    """
    now = utcnow()

    async def plan(items: Sequence[PreparedTarget], lock: bool) -> list[TargetWrite]:
        codes = [p.credit_code for p in items]
        stored = await (repository.lock_targets if lock else repository.read_targets)(
            session, codes
        )
        tenancies = await repository.tenancies(session, [row["id"] for row in stored.values()])
        planned = []
        for p in items:
            current = stored.get(p.credit_code)
            try:
                tenancy = tenancies.get(current["id"]) if current else None
                planned.append(_plan_target(p, current, tenancy, scope, now))
            except Rejected as exc:
                outcomes.append(rejected(p.index, exc.error, p.credit_code))
        return planned

    first = await plan(prepared, lock=False)
    changing = {w.index for w in first if w.outcome == Outcome.updated}
    if not changing:
        return first
    again = await plan([p for p in prepared if p.index in changing], lock=True)
    return [w for w in first if w.index not in changing] + again


async def _write_registration_change(
    session: AsyncSession, publisher: EventPublisher, write: TargetWrite
) -> None:
    """A record that moves a target's registration dates: the coverage rules of a manual
    change apply (coverage may not fall outside the registration; deregistration ends it)."""
    async with session.begin_nested():
        target = await session.get(WorkTarget, write.target_id)
        assert target is not None  # locked by lock_targets
        ended = await target_service.fit_coverage_to_registration(
            session, target, write.row["registered_on"], write.row["deregistered_on"]
        )
        for name, value in write.row.items():
            if name != "id":
                setattr(target, name, value)
        session.add(target)
        await session.flush()
    if ended:
        await target_service.publish_coverage_change(
            publisher,
            session,
            target,
            "deregistered",
            ended_link_ids=[str(p.id) for p in ended if isinstance(p, WorkTargetCoverage)],
            ended_assignment_ids=[
                str(p.id) for p in ended if not isinstance(p, WorkTargetCoverage)
            ],
        )


async def sync_work_targets(
    *,
    session: AsyncSession,
    principal: Principal,
    publisher: EventPublisher,
    records: Sequence[Any],
    idempotency_key: str | None,
) -> BulkResult:
    """Upsert work targets by credit code; every record gets its outcome, good ones are stored."""
    parsed: list[tuple[int, WorkTargetRecord, str]] = []
    outcomes: list[RecordOutcome] = []
    for index, value in enumerate(records):
        try:
            record = parse_record(WorkTargetRecord, value)
            parsed.append((index, record, _credit_code(record.credit_code)))
        except Rejected as exc:
            outcomes.append(rejected(index, exc.error, _raw_key(value, "credit_code")))
    scope = await client_scope(
        session=session,
        principal=principal,
        regions={r.region_id for _, r, _ in parsed if r.region_id is not None},
    )
    prepared: list[PreparedTarget] = []
    first_seen: dict[str, int] = {}
    for index, record, code in parsed:
        try:
            if code in first_seen:
                raise Rejected(
                    "duplicate_in_batch",
                    f"Credit code {code} appears already at index {first_seen[code]} of this "
                    "batch; send each unit once.",
                    "credit_code",
                )
            first_seen[code] = index
            prepared.append(_prepare_target(index, record, code, scope))
        except Rejected as exc:
            outcomes.append(rejected(index, exc.error, code))
    writes = await _plan_targets(session, prepared, scope, outcomes)
    now = utcnow()

    created = [w for w in writes if w.outcome == Outcome.created]
    inserted = await repository.insert_targets(session, [w.row for w in created])
    written: list[TargetWrite] = []
    for w in created:
        if w.code in inserted:
            written.append(w)
        else:
            outcomes.append(
                rejected(
                    w.index,
                    Rejected(
                        "concurrent_change",
                        f"Another request registered credit code {w.code} meanwhile; send this "
                        "record again.",
                        "credit_code",
                    ).error,
                    w.code,
                )
            )
    updated = [w for w in writes if w.outcome == Outcome.updated]
    plain = [w for w in updated if not w.registration_changed]
    await repository.update_targets(session, [w.row for w in plain])
    written.extend(plain)
    for w in updated:
        if not w.registration_changed:
            continue
        try:
            await _write_registration_change(session, publisher, w)
        except AppError as exc:
            at = "registered_on" if "registered_on" in (w.before or {}) else "deregistered_on"
            outcomes.append(rejected(w.index, Rejected.from_app_error(exc, at).error, w.code))
            continue
        written.append(w)
    await repository.upsert_tenancies(
        session,
        [
            {
                "work_target_id": w.target_id,
                "floor": w.tenancy[0],
                "unit": w.tenancy[1],
                "updated_at": now,
                "updated_by": principal.subject,
            }
            for w in written
            if w.tenancy is not None
        ],
    )
    await record_audits(
        session,
        principal=principal,
        entries=[
            AuditEntry(
                f"work_target.sync_{w.outcome.value[:-1]}",
                "work_target",
                w.target_id,
                before=w.before,
                after=w.after,
            )
            for w in written
        ],
    )
    outcomes.extend(
        RecordOutcome(index=w.index, outcome=w.outcome, key=w.code, id=w.target_id)
        for w in [*written, *(w for w in writes if w.outcome == Outcome.unchanged)]
    )
    outcomes.sort(key=lambda o: o.index)
    result = summarize(uuid.uuid4(), WORK_TARGETS, outcomes)
    await log_batch(
        session,
        principal=principal,
        kind=WORK_TARGETS,
        idempotency_key=idempotency_key,
        result=result,
    )
    return result


# ----------------------------------------------------------------------------- places


@dataclass
class PlaceWrite:
    index: int
    key: str  # the client's id of the place
    place_id: uuid.UUID
    outcome: Outcome
    values: dict[str, Any]  # columns to insert or to set
    floors: list[str] | None  # the new list, when it changed
    before: dict[str, Any] | None
    after: dict[str, Any]
    name_claim: tuple[uuid.UUID, str] | None  # a (region, name) the write takes


def _plan_existing_place(index: int, record: PlaceRecord, place: Place, scope: Scope) -> PlaceWrite:
    given = record.model_fields_set
    if "kind" in given and record.kind != place.kind:
        raise Rejected(
            "place_cannot_change_kind",
            f"{place.name} is a {place.kind}; a place keeps its kind.",
            "kind",
        )
    if record.region_id is not None and record.region_id != place.region_id:
        raise Rejected(
            "place_cannot_move",
            f"{place.name} lies in region {place.region_id}; places are moved by the "
            "organization department, not by a sync.",
            "region_id",
        )
    if record.parent_place_id is not None or record.parent_external_id is not None:
        parent = scope.place(
            record.parent_place_id,
            record.parent_external_id,
            id_field="parent_place_id",
            external_field="parent_external_id",
        )
        if parent.id != place.parent_place_id:
            raise Rejected(
                "place_cannot_move",
                f"{place.name} lies in another place; places are moved by the organization "
                "department, not by a sync.",
                "parent_place_id",
            )
    holder = scope.by_external_id.get(record.external_id)
    if holder is not None and holder != place.id:
        raise Rejected(
            "external_id_taken",
            f"Your id {record.external_id!r} names another of your places already.",
            "external_id",
        )
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    values: dict[str, Any] = {}
    name_claim = None
    if record.name is not None and record.name != place.name:
        if place.id in scope.granted:
            raise Rejected(
                "place_name_fixed",
                f"{place.name} is one of the places this client is registered for; its name "
                "is the one the city registered.",
                "name",
            )
        values["name"], before["name"], after["name"] = record.name, place.name, record.name
        name_claim = (place.region_id, record.name)
    if "address" in given and record.address != place.address:
        values["address"], before["address"] = record.address, place.address
        after["address"] = record.address
    if scope.external_id_of(place) != record.external_id:
        refs = {**(place.external_refs or {}), scope.client: record.external_id}
        values["external_refs"] = refs
        before["external_id"], after["external_id"] = (
            scope.external_id_of(place),
            record.external_id,
        )
    floors = None
    if record.floors is not None and record.floors != scope.floors.get(place.id, []):
        floors = record.floors
        before["floors"], after["floors"] = scope.floors.get(place.id, []), floors
    outcome = Outcome.updated if after else Outcome.unchanged
    return PlaceWrite(
        index, record.external_id, place.id, outcome, values, floors, before, after, name_claim
    )


def _plan_new_place(index: int, record: PlaceRecord, scope: Scope, now: datetime) -> PlaceWrite:
    if record.name is None:
        raise Rejected("missing_field", "name is required for a new place.", "name")
    parent = scope.place(
        record.parent_place_id,
        record.parent_external_id,
        id_field="parent_place_id",
        external_field="parent_external_id",
    )
    allowed = PLACE_PARENT_KINDS[PlaceKind(record.kind)]
    if PlaceKind(parent.kind) not in allowed:
        names = sorted(k.value for k in allowed if k is not None)
        raise Rejected(
            "invalid_place_parent",
            f"A {record.kind} can sit in: {', '.join(names)}; {parent.name} is a {parent.kind}.",
            "parent_place_id",
        )
    region_id = record.region_id or parent.region_id
    path = scope.regions.get(region_id)
    if path is None:
        raise Rejected("region_not_found", f"No region has the id {region_id}.", "region_id")
    if not path.startswith(scope.regions[parent.region_id]):
        raise Rejected(
            "place_outside_parent_region",
            f"The place must lie in the region of {parent.name} or in a region below it.",
            "region_id",
        )
    place_id = uuid.uuid4()
    values = {
        "id": place_id,
        "name": record.name,
        "kind": PlaceKind(record.kind).value,
        "level": None,
        "region_id": region_id,
        "parent_place_id": parent.id,
        "address": record.address,
        "external_refs": {scope.client: record.external_id},
        "created_at": now,
    }
    after = _jsonable({k: v for k, v in values.items() if k not in ("id", "created_at")})
    if record.floors:
        after["floors"] = record.floors
    return PlaceWrite(
        index,
        record.external_id,
        place_id,
        Outcome.created,
        values,
        record.floors or None,
        None,
        after,
        (region_id, record.name),
    )


async def sync_places(
    *,
    session: AsyncSession,
    principal: Principal,
    records: Sequence[Any],
    idempotency_key: str | None,
) -> BulkResult:
    """Upsert buildings and markets inside the client's places, with their floors."""
    parsed: list[tuple[int, PlaceRecord]] = []
    outcomes: list[RecordOutcome] = []
    for index, value in enumerate(records):
        try:
            parsed.append((index, parse_record(PlaceRecord, value)))
        except Rejected as exc:
            outcomes.append(rejected(index, exc.error, _raw_key(value, "external_id")))
    scope = await client_scope(
        session=session,
        principal=principal,
        regions={r.region_id for _, r in parsed if r.region_id is not None},
    )
    now = utcnow()
    planned: list[PlaceWrite] = []
    first_seen: dict[str, int] = {}
    for index, record in parsed:
        try:
            if record.external_id in first_seen:
                raise Rejected(
                    "duplicate_in_batch",
                    f"Your id {record.external_id!r} appears already at index "
                    f"{first_seen[record.external_id]} of this batch; send each place once.",
                    "external_id",
                )
            first_seen[record.external_id] = index
            existing: Place | None
            if record.place_id is not None:
                existing = scope.place(
                    record.place_id, None, id_field="place_id", external_field="external_id"
                )
            else:
                held = scope.by_external_id.get(record.external_id)
                existing = scope.places[held] if held is not None else None
            planned.append(
                _plan_existing_place(index, record, existing, scope)
                if existing is not None
                else _plan_new_place(index, record, scope, now)
            )
        except Rejected as exc:
            outcomes.append(rejected(index, exc.error, record.external_id))
    taken = await repository.names_taken(
        session, [w.name_claim for w in planned if w.name_claim is not None]
    )
    claimed: dict[tuple[uuid.UUID, str], int] = {}
    accepted: list[PlaceWrite] = []
    for w in planned:
        holder = taken.get(w.name_claim) if w.name_claim else None
        if w.name_claim is not None and (
            (holder is not None and holder != w.place_id) or w.name_claim in claimed
        ):
            outcomes.append(
                rejected(
                    w.index,
                    Rejected(
                        "place_name_taken",
                        f"The region has a place named {w.name_claim[1]} already.",
                        "name",
                    ).error,
                    w.key,
                )
            )
            continue
        if w.name_claim is not None:
            claimed[w.name_claim] = w.index
        accepted.append(w)
    creates = [w for w in accepted if w.outcome == Outcome.created]
    inserted = await repository.insert_places(session, [w.values for w in creates])
    written: list[PlaceWrite] = []
    for w in accepted:
        if w.outcome == Outcome.created and w.place_id not in inserted:
            outcomes.append(
                rejected(
                    w.index,
                    Rejected(
                        "place_name_taken",
                        "Another request added a place of this name to the region meanwhile.",
                        "name",
                    ).error,
                    w.key,
                )
            )
            continue
        if w.outcome == Outcome.updated and w.values:
            await repository.update_place(session, w.place_id, w.values)
        if w.outcome != Outcome.unchanged:
            written.append(w)
        outcomes.append(RecordOutcome(index=w.index, outcome=w.outcome, key=w.key, id=w.place_id))
    await repository.replace_floors(
        session, {w.place_id: w.floors for w in written if w.floors is not None}
    )
    await record_audits(
        session,
        principal=principal,
        entries=[
            AuditEntry(
                f"place.sync_{w.outcome.value[:-1]}",
                "place",
                w.place_id,
                before=w.before,
                after=w.after,
            )
            for w in written
        ],
    )
    outcomes.sort(key=lambda o: o.index)
    result = summarize(uuid.uuid4(), PLACES, outcomes)
    await log_batch(
        session, principal=principal, kind=PLACES, idempotency_key=idempotency_key, result=result
    )
    return result


# ----------------------------------------------------------------------------- reading back


async def responsible_organizations(
    session: AsyncSession, targets: Sequence[tuple[uuid.UUID, uuid.UUID]], day: date
) -> dict[uuid.UUID, uuid.UUID | None]:
    """Who answers for party work at each (target id, region id) on `day`.

    The organization covering the target that day; for a target without one, the working
    committee of the nearest region above it that has one (its district's, else the
    city's). This is who confirms or rejects the party members a tenant reports.
    """
    links = await target_repository.links_on(session, [t for t, _ in targets], day)
    found: dict[uuid.UUID, uuid.UUID | None] = {
        t: links[t].organization_id for t, _ in targets if t in links
    }
    rest = [(t, r) for t, r in targets if t not in found]
    if rest:
        committees = await repository.active_working_committees(session)
        paths = await repository.region_paths(session, {r for _, r in rest})
        for target_id, region_id in rest:
            path = paths.get(region_id, "")
            above = [(len(p), o) for o, p in committees if path.startswith(p)]
            found[target_id] = max(above)[1] if above else None
    return found


async def read_targets(
    *,
    session: AsyncSession,
    principal: Principal,
    page: PageParams,
    credit_codes: Sequence[str] | None,
    external_id: str | None,
    place_id: uuid.UUID | None,
) -> Page[SyncWorkTarget]:
    """The client's work targets (those in its places), by credit code."""
    granted = granted_places(principal)
    if not granted:
        return Page(items=[])
    reach = [p.id for p in await repository.places_within(session, granted)]
    result = await repository.page_targets(
        session,
        page,
        place_ids=reach,
        credit_codes=credit_codes,
        external_ref={principal.subject: external_id} if external_id is not None else None,
        place_id=place_id,
    )
    targets: list[WorkTarget] = result.rows
    day = today()
    tenancies = await repository.tenancies(session, [t.id for t in targets])
    responsible = await responsible_organizations(
        session, [(t.id, t.region_id) for t in targets], day
    )
    items = []
    for target in targets:
        tenancy = tenancies.get(target.id)
        external = (target.external_refs or {}).get(principal.subject)
        items.append(
            SyncWorkTarget.model_validate(
                {
                    **target.model_dump(exclude={"external_refs"}),
                    "external_id": str(external) if external is not None else None,
                    "floor": tenancy.floor if tenancy else None,
                    "unit": tenancy.unit if tenancy else None,
                    "responsible_organization_id": responsible.get(target.id),
                }
            )
        )
    return Page(items=items, next_cursor=result.next_cursor, cursors=result.cursors)


async def read_places(
    *, session: AsyncSession, principal: Principal, page: PageParams
) -> Page[SyncPlace]:
    """The client's places and the places inside them, by name."""
    granted = granted_places(principal)
    if not granted:
        return Page(items=[])
    reach = [p.id for p in await repository.places_within(session, granted)]
    result = await repository.page_places(session, page, reach)
    places: list[Place] = result.rows
    floors = await repository.floors_of(session, [p.id for p in places])
    items = []
    for place in places:
        external = (place.external_refs or {}).get(principal.subject)
        items.append(
            SyncPlace(
                id=place.id,
                external_id=str(external) if external is not None else None,
                name=place.name,
                kind=PlaceKind(place.kind),
                region_id=place.region_id,
                parent_place_id=place.parent_place_id,
                address=place.address,
                floors=floors.get(place.id, []),
                granted=place.id in granted,
            )
        )
    return Page(items=items, next_cursor=result.next_cursor, cursors=result.cursors)


def log_subject(principal: Principal, client: str | None) -> str | None:
    """Whose batches the caller may read: city-wide roles anyone's (or `client`'s), a client
    its own."""
    if principal.is_city_wide:
        return client
    return principal.subject
