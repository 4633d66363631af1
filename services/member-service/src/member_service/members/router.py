"""HTTP endpoints of members: records, the pipeline's steps, trainings, counts, history."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from member_service.members import service
from member_service.members.models import Stage
from member_service.members.schemas import (
    BulkCreate,
    BulkCreated,
    HistoryPublic,
    IdNumberLookup,
    MemberCounts,
    MemberCreate,
    MemberPublic,
    MemberUpdate,
    OrganizationMembersList,
    ProbationExtension,
    ReEncrypted,
    RulePublic,
    ServingOrganizationChange,
    StageChange,
    TrainingCreate,
    TrainingPublic,
)
from member_service.members.service import CipherDep
from member_service.references.client import OrgDep
from member_service.temporal import AsOfDep
from service_kit.auth import Principal, require_scope
from service_kit.db import SessionDep
from service_kit.deps import PublisherDep
from service_kit.errors import ErrorResponse
from service_kit.pagination import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    Page,
    PageParamsDep,
    parse_ids,
)

ReadPrincipal = Annotated[Principal, require_scope("member:read")]
WritePrincipal = Annotated[Principal, require_scope("member:write")]
AdminPrincipal = Annotated[Principal, require_scope("member:admin")]

ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorResponse, "description": "not yours to change"},
    404: {"model": ErrorResponse, "description": "no such member you may see"},
    409: {"model": ErrorResponse, "description": "the member's state forbids it"},
    422: {
        "model": ErrorResponse,
        "description": "a rule refuses it; the code names the rule, details.earliest_on the "
        "first day it becomes possible",
    },
}
WITH_ORG_SERVICE: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    503: {"model": ErrorResponse, "description": "org-service is not answering"},
}

members = APIRouter(prefix="/members", tags=["members"])
extra = APIRouter(tags=["members"])


@members.post(
    "",
    response_model=MemberPublic,
    status_code=status.HTTP_201_CREATED,
    operation_id="create_member",
    responses=WITH_ORG_SERVICE,
)
async def create_member(
    data: MemberCreate,
    session: SessionDep,
    principal: WritePrincipal,
    publisher: PublisherDep,
    org: OrgDep,
    cipher: CipherDep,
) -> MemberPublic:
    """Register an applicant (18 or older, from the ID number), or bring in an existing record."""
    return await service.create(
        session=session,
        principal=principal,
        publisher=publisher,
        org=org,
        cipher=cipher,
        data=data,
    )


@members.post(
    "/bulk",
    response_model=BulkCreated,
    status_code=status.HTTP_201_CREATED,
    operation_id="create_members",
    responses=WITH_ORG_SERVICE,
)
async def create_members(
    data: BulkCreate,
    session: SessionDep,
    principal: WritePrincipal,
    publisher: PublisherDep,
    org: OrgDep,
    cipher: CipherDep,
) -> BulkCreated:
    """Up to 500 members at once: all written, or none (the error names the item)."""
    return await service.create_many(
        session=session,
        principal=principal,
        publisher=publisher,
        org=org,
        cipher=cipher,
        items=data.items,
    )


@members.post(
    "/lookup", response_model=MemberPublic, operation_id="lookup_member", responses=ERRORS
)
async def lookup_member(
    data: IdNumberLookup, session: SessionDep, principal: ReadPrincipal, cipher: CipherDep
) -> MemberPublic:
    """The member with this ID card number (exact match), if the caller may see them.

    A POST, so that the number travels in the body and stays out of URLs and access logs.
    """
    return await service.lookup(
        session=session, principal=principal, cipher=cipher, id_number=data.id_number
    )


@members.get("", response_model=Page[MemberPublic], operation_id="list_members")
async def list_members(
    session: SessionDep,
    principal: ReadPrincipal,
    cipher: CipherDep,
    page: PageParamsDep,
    ids: Annotated[str | None, Query(description="comma-separated ids: a batch get")] = None,
    organization_id: Annotated[
        uuid.UUID | None, Query(description="members whose home organization this is")
    ] = None,
    serving_organization_id: Annotated[
        uuid.UUID | None, Query(description="members serving in this organization")
    ] = None,
    stage: Stage | None = None,
) -> Page[MemberPublic]:
    """Members the caller may see, by name, a page at a time.

    With `ids`, exactly those the caller may see (unknown or hidden ids are left out).
    """
    return await service.list_public(
        session=session,
        principal=principal,
        cipher=cipher,
        page=page,
        ids=parse_ids(ids),
        organization_id=organization_id,
        serving_organization_id=serving_organization_id,
        stage=stage,
    )


@members.get(
    "/{member_id}", response_model=MemberPublic, operation_id="get_member", responses=ERRORS
)
async def get_member(
    member_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal, cipher: CipherDep
) -> MemberPublic:
    """One member; the ID number in full only with member:pii."""
    return await service.get_public(
        session=session, principal=principal, cipher=cipher, member_id=member_id
    )


@members.patch(
    "/{member_id}",
    response_model=MemberPublic,
    operation_id="update_member",
    responses=WITH_ORG_SERVICE,
)
async def update_member(
    member_id: uuid.UUID,
    data: MemberUpdate,
    session: SessionDep,
    principal: WritePrincipal,
    org: OrgDep,
    cipher: CipherDep,
) -> MemberPublic:
    """Change name, ethnicity, education, phone or employer; correct a mistyped ID number."""
    return await service.update(
        session=session,
        principal=principal,
        org=org,
        cipher=cipher,
        member_id=member_id,
        data=data,
    )


@members.post(
    "/{member_id}/stage-changes",
    response_model=MemberPublic,
    operation_id="change_member_stage",
    responses=WITH_ORG_SERVICE,
)
async def change_member_stage(
    member_id: uuid.UUID,
    data: StageChange,
    session: SessionDep,
    principal: WritePrincipal,
    publisher: PublisherDep,
    org: OrgDep,
    cipher: CipherDep,
) -> MemberPublic:
    """The next step of the pipeline, or the end of the record (left, deceased).

    Admission (to probationary_member) checks the introducers, the intensive training,
    the public notice, the branch meeting, and draws on the district's quota.
    """
    return await service.change_stage(
        session=session,
        principal=principal,
        publisher=publisher,
        org=org,
        cipher=cipher,
        member_id=member_id,
        data=data,
    )


@members.post(
    "/{member_id}/probation-extension",
    response_model=MemberPublic,
    operation_id="extend_probation",
    responses=ERRORS,
)
async def extend_probation(
    member_id: uuid.UUID,
    data: ProbationExtension,
    session: SessionDep,
    principal: WritePrincipal,
    cipher: CipherDep,
) -> MemberPublic:
    """Extend probation once, by 6 to 12 months."""
    return await service.extend_probation(
        session=session, principal=principal, cipher=cipher, member_id=member_id, data=data
    )


@members.put(
    "/{member_id}/serving-organization",
    response_model=MemberPublic,
    operation_id="change_serving_organization",
    responses=WITH_ORG_SERVICE,
)
async def change_serving_organization(
    member_id: uuid.UUID,
    data: ServingOrganizationChange,
    session: SessionDep,
    principal: WritePrincipal,
    org: OrgDep,
    cipher: CipherDep,
) -> MemberPublic:
    """Dispatch the member to serve in another organization; the membership relation stays."""
    return await service.change_serving_organization(
        session=session,
        principal=principal,
        org=org,
        cipher=cipher,
        member_id=member_id,
        data=data,
    )


@members.get(
    "/{member_id}/history",
    response_model=HistoryPublic,
    operation_id="get_member_history",
    responses=ERRORS,
)
async def get_member_history(
    member_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal
) -> HistoryPublic:
    """The member's stage and organizations over time."""
    return await service.history(session=session, principal=principal, member_id=member_id)


@members.post(
    "/{member_id}/trainings",
    response_model=TrainingPublic,
    status_code=status.HTTP_201_CREATED,
    operation_id="add_member_training",
    responses=ERRORS,
)
async def add_member_training(
    member_id: uuid.UUID, data: TrainingCreate, session: SessionDep, principal: WritePrincipal
) -> TrainingPublic:
    """Record a completed training (intensive training counts for admission)."""
    return await service.add_training(
        session=session, principal=principal, member_id=member_id, data=data
    )


@members.get(
    "/{member_id}/trainings",
    response_model=list[TrainingPublic],
    operation_id="list_member_trainings",
    responses=ERRORS,
)
async def list_member_trainings(
    member_id: uuid.UUID, session: SessionDep, principal: ReadPrincipal
) -> list[TrainingPublic]:
    """The member's trainings, oldest first."""
    return await service.list_trainings(session=session, principal=principal, member_id=member_id)


@extra.get("/member-counts", response_model=MemberCounts, operation_id="count_members")
async def count_members(
    session: SessionDep,
    principal: ReadPrincipal,
    as_of: AsOfDep,
    organization_ids: Annotated[
        str, Query(description="comma-separated organization ids (at most 500)")
    ],
) -> MemberCounts:
    """Full and probationary members whose membership relation each organization held on a day."""
    wanted = parse_ids(organization_ids) or []
    return await service.counts(
        session=session, principal=principal, organization_ids=wanted, as_of=as_of
    )


@extra.get(
    "/organization-members",
    response_model=OrganizationMembersList,
    operation_id="list_organization_members",
    responses={422: ERRORS[422]},
)
async def list_organization_members(
    session: SessionDep,
    principal: ReadPrincipal,
    cipher: CipherDep,
    organization_ids: Annotated[
        str, Query(description="comma-separated organization ids (at most 500)")
    ],
    limit: Annotated[
        int, Query(ge=1, le=MAX_PAGE_SIZE, description="members per organization")
    ] = DEFAULT_PAGE_SIZE,
    stage: Stage | None = None,
) -> OrganizationMembersList:
    """The first page of members of each organization (membership relation) in one call.

    Each organization's page is the one GET /members?organization_id=… gives, with the
    same cursors; organization_ids × limit is at most 10,000.
    """
    return await service.first_members(
        session=session,
        principal=principal,
        cipher=cipher,
        organization_ids=parse_ids(organization_ids) or [],
        limit=limit,
        stage=stage,
    )


@extra.get("/member-rules", response_model=list[RulePublic], operation_id="list_member_rules")
async def list_member_rules(principal: ReadPrincipal) -> list[RulePublic]:
    """The rules of the development pipeline; a refused step answers with one of these ids."""
    return service.rule_table()


@extra.post(
    "/id-number-keys/re-encrypt",
    response_model=ReEncrypted,
    operation_id="re_encrypt_id_numbers",
    responses=ERRORS,
)
async def re_encrypt_id_numbers(
    session: SessionDep,
    principal: AdminPrincipal,
    cipher: CipherDep,
    limit: Annotated[int, Query(ge=1, le=5000, description="numbers to move in this call")] = 1000,
) -> ReEncrypted:
    """Move ID numbers still under an older key onto the current one, `limit` at a time."""
    principal.require_scope(service.PII_SCOPE)
    return await service.re_encrypt(
        session=session, principal=principal, cipher=cipher, limit=limit
    )


router = APIRouter()
router.include_router(members)
router.include_router(extra)
