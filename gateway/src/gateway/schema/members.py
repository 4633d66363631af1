"""GraphQL types and inputs of members (member-service): records, archive, posts, activities."""

from __future__ import annotations

import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.scalars import JSON

from gateway.schema.common import (
    Connection,
    check_first,
    connection,
    day,
    iso,
    load_organization,
)
from gateway.schema.errors import GatewayError

if TYPE_CHECKING:
    from gateway.schema.coverage import WorkTarget
    from gateway.schema.organizations import Organization
    from gateway.schema.ratings import EvaluationResult, PendingBallot, StarLevel

LazyOrganization = Annotated["Organization", strawberry.lazy("gateway.schema.organizations")]
LazyWorkTarget = Annotated["WorkTarget", strawberry.lazy("gateway.schema.coverage")]
LazyStarLevel = Annotated["StarLevel", strawberry.lazy("gateway.schema.ratings")]
LazyEvaluationResult = Annotated["EvaluationResult", strawberry.lazy("gateway.schema.ratings")]
LazyPendingBallot = Annotated["PendingBallot", strawberry.lazy("gateway.schema.ratings")]


@strawberry.enum(description="Where a member stands: the pipeline, then how a record ended.")
class MemberStage(Enum):
    APPLICANT = "applicant"
    ACTIVIST = "activist"
    DEVELOPMENT_TARGET = "development_target"
    PROBATIONARY_MEMBER = "probationary_member"
    FULL_MEMBER = "full_member"
    TRANSFERRED_OUT = "transferred_out"
    LEFT = "left"
    DECEASED = "deceased"


@strawberry.enum
class Gender(Enum):
    MALE = "male"
    FEMALE = "female"


@strawberry.enum(
    description="双亮 posts: integrity 诚信岗, civility 文明岗, shock 突击岗, tackling 攻关岗."
)
class PostKind(Enum):
    INTEGRITY = "integrity"
    CIVILITY = "civility"
    SHOCK = "shock"
    TACKLING = "tackling"


@strawberry.enum(description="三会一课 and the themed party day.")
class ActivityKind(Enum):
    MEMBER_MEETING = "member_meeting"
    COMMITTEE_MEETING = "committee_meeting"
    GROUP_MEETING = "group_meeting"
    PARTY_LESSON = "party_lesson"
    THEMED_PARTY_DAY = "themed_party_day"


@strawberry.enum
class AttendanceStatus(Enum):
    PRESENT = "present"
    ABSENT = "absent"
    EXCUSED = "excused"


@strawberry.enum(description="What a political-archive entry records.")
class ArchiveEntryKind(Enum):
    ATTENDANCE = "attendance"
    POST = "post"
    EVALUATION = "evaluation"
    AWARD = "award"
    TRAINING = "training"
    STAGE_CHANGE = "stage_change"
    TRANSFER = "transfer"


async def load_member(info: strawberry.Info, member_id: str | None) -> Member | None:
    if member_id is None:
        return None
    data = await info.context.loaders.member.load(member_id)
    return Member.from_rest(data) if data else None


@strawberry.type(description="An entry of a member's political archive (append-only).")
class ArchiveEntry:
    id: strawberry.ID
    seq: int
    kind: ArchiveEntryKind
    occurred_on: datetime.date
    payload: JSON
    corrects_id: strawberry.ID | None
    corrected_by_id: strawberry.ID | None = strawberry.field(
        description="set: a later entry corrects this one, and its content stands instead"
    )
    source: str
    recorded_at: datetime.datetime
    recorded_by: str
    hash: str

    @classmethod
    def from_rest(cls, data: dict[str, Any]) -> ArchiveEntry:
        return cls(
            id=strawberry.ID(data["id"]),
            seq=data["seq"],
            kind=ArchiveEntryKind(data["kind"]),
            occurred_on=datetime.date.fromisoformat(data["occurred_on"]),
            payload=data["payload"],
            corrects_id=data.get("corrects_id"),
            corrected_by_id=data.get("corrected_by_id"),
            source=data["source"],
            recorded_at=datetime.datetime.fromisoformat(data["recorded_at"]),
            recorded_by=data["recorded_by"],
            hash=data["hash"],
        )


@strawberry.type(description="A post (双亮) a member holds for a period, shown at an organization.")
class Post:
    id: strawberry.ID
    kind: PostKind
    title: str
    duties: str | None
    started_on: datetime.date
    ended_on: datetime.date | None = strawberry.field(description="the last day held")
    member_id: strawberry.Private[str]
    organization_id: strawberry.Private[str]

    @strawberry.field
    async def organization(self, info: strawberry.Info) -> LazyOrganization | None:
        return await load_organization(info, self.organization_id)

    @strawberry.field
    async def member(self, info: strawberry.Info) -> Member | None:
        return await load_member(info, self.member_id)

    @classmethod
    def from_rest(cls, data: dict[str, Any]) -> Post:
        return cls(
            id=strawberry.ID(data["id"]),
            kind=PostKind(data["kind"]),
            title=data["title"],
            duties=data.get("duties"),
            started_on=datetime.date.fromisoformat(data["started_on"]),
            ended_on=day(data.get("ended_on")),
            member_id=str(data["member_id"]),
            organization_id=str(data["organization_id"]),
        )


@strawberry.type(description="A party member, activist, applicant … and their record.")
class Member:
    id: strawberry.ID
    name: str
    gender: Gender
    ethnicity: str | None
    birth_date: datetime.date
    age: int
    id_number: str = strawberry.field(description="masked unless the caller holds member:pii")
    id_number_masked: bool
    education: str | None
    phone: str | None
    stage: MemberStage
    applied_on: datetime.date
    activist_on: datetime.date | None
    development_target_on: datetime.date | None
    admitted_on: datetime.date | None = strawberry.field(
        description="probation began: the branch meeting's vote"
    )
    probation_ends_on: datetime.date | None
    full_member_on: datetime.date | None
    party_standing_since: datetime.date | None
    ended_on: datetime.date | None
    end_reason: str | None
    dispatched: bool = strawberry.field(description="serving elsewhere than the home organization")
    origin: str
    organization_id: strawberry.Private[str]
    serving_organization_id: strawberry.Private[str]
    employer_id: strawberry.Private[str | None]

    @strawberry.field(description="The membership relation: the home organization.")
    async def organization(self, info: strawberry.Info) -> LazyOrganization | None:
        return await load_organization(info, self.organization_id)

    @strawberry.field(description="Where the member serves (differs when dispatched).")
    async def serving_organization(self, info: strawberry.Info) -> LazyOrganization | None:
        return await load_organization(info, self.serving_organization_id)

    @strawberry.field(description="The work target the member works at.")
    async def employer(self, info: strawberry.Info) -> LazyWorkTarget | None:
        from gateway.schema.coverage import WorkTarget

        if self.employer_id is None:
            return None
        data = await info.context.loaders.work_target.load(self.employer_id)
        return WorkTarget.from_rest(data) if data else None

    @strawberry.field(
        description="The political archive in the order it was recorded, or newest first."
    )
    async def archive(
        self,
        info: strawberry.Info,
        first: int = 50,
        after: str | None = None,
        kind: ArchiveEntryKind | None = None,
        newest_first: Annotated[
            bool, strawberry.argument(description="the latest entry first")
        ] = False,
    ) -> Connection[ArchiveEntry] | None:
        check_first(first)
        page = await info.context.services["member"].get(
            f"/members/{self.id}/archive",
            bearer=info.context.token,
            params={
                "limit": first,
                "after": after,
                "kind": kind.value if kind else None,
                "newest_first": "true" if newest_first else None,
            },
        )
        return connection(page, ArchiveEntry.from_rest)

    @strawberry.field(
        description="Posts held on a day (default today); with history: true, every post held."
    )
    async def posts(
        self, info: strawberry.Info, held_on: datetime.date | None = None, history: bool = False
    ) -> list[Post] | None:
        when = None if history else iso(held_on or datetime.date.today())
        rows = await info.context.loaders.posts.load((str(self.id), when))
        return [Post.from_rest(p) for p in rows]

    @strawberry.field(description="The member's star level in force (null: not rated yet).")
    async def star_rating(self, info: strawberry.Info) -> LazyStarLevel | None:
        from gateway.schema.ratings import StarLevel

        data = await info.context.loaders.member_star_level.load(str(self.id))
        return StarLevel.from_rest(data) if data else None

    @strawberry.field(description="Four-party evaluation results, oldest first.")
    async def evaluation_results(self, info: strawberry.Info) -> list[LazyEvaluationResult] | None:
        from gateway.schema.ratings import EvaluationResult

        rows = await info.context.loaders.results.load(str(self.id))
        return [EvaluationResult.from_rest(r) for r in rows]

    @strawberry.field(
        description="Ballots the member may still cast in campaigns open now. Only for the "
        "caller's own record: a ballot never shows who cast it."
    )
    async def pending_ballots(self, info: strawberry.Info) -> list[LazyPendingBallot] | None:
        from gateway.schema.ratings import pending_ballots

        own = info.context.principal.member_id
        if own is None or str(own) != str(self.id):
            raise GatewayError(
                "own_record_only", "Only the member themself can see their pending ballots."
            )
        return await pending_ballots(info)

    @classmethod
    def from_rest(cls, data: dict[str, Any]) -> Member:
        return cls(
            id=strawberry.ID(data["id"]),
            name=data["name"],
            gender=Gender(data["gender"]),
            ethnicity=data.get("ethnicity"),
            birth_date=datetime.date.fromisoformat(data["birth_date"]),
            age=data["age"],
            id_number=data["id_number"],
            id_number_masked=data["id_number_masked"],
            education=data.get("education"),
            phone=data.get("phone"),
            stage=MemberStage(data["stage"]),
            applied_on=datetime.date.fromisoformat(data["applied_on"]),
            activist_on=day(data.get("activist_on")),
            development_target_on=day(data.get("development_target_on")),
            admitted_on=day(data.get("admitted_on")),
            probation_ends_on=day(data.get("probation_ends_on")),
            full_member_on=day(data.get("full_member_on")),
            party_standing_since=day(data.get("party_standing_since")),
            ended_on=day(data.get("ended_on")),
            end_reason=data.get("end_reason"),
            dispatched=data["dispatched"],
            origin=data["origin"],
            organization_id=str(data["organization_id"]),
            serving_organization_id=str(data["serving_organization_id"]),
            employer_id=str(data["employer_id"]) if data.get("employer_id") else None,
        )


@strawberry.type
class MemberCounts:
    full_members: int
    probationary_members: int

    @strawberry.field(description="Party members: full and probationary.")
    def total(self) -> int:
        return self.full_members + self.probationary_members

    @classmethod
    def from_rest(cls, data: dict[str, Any]) -> MemberCounts:
        return cls(
            full_members=data["full_members"], probationary_members=data["probationary_members"]
        )


@strawberry.type(description="A member's term as secretary of an organization.")
class SecretaryTerm:
    id: strawberry.ID
    name: str
    term_start: datetime.date
    term_end: datetime.date | None = strawberry.field(description="null while the term runs")
    member_id: strawberry.Private[str]
    organization_id: strawberry.Private[str]

    @strawberry.field
    async def member(self, info: strawberry.Info) -> Member | None:
        return await load_member(info, self.member_id)

    @strawberry.field
    async def organization(self, info: strawberry.Info) -> LazyOrganization | None:
        return await load_organization(info, self.organization_id)

    @classmethod
    def from_rest(cls, data: dict[str, Any]) -> SecretaryTerm:
        return cls(
            id=strawberry.ID(data["id"]),
            name=data["name"],
            term_start=datetime.date.fromisoformat(data["term_start"]),
            term_end=day(data.get("term_end")),
            member_id=str(data["member_id"]),
            organization_id=str(data["organization_id"]),
        )


@strawberry.type(description="A regular meeting, party lesson or themed party day held.")
class Activity:
    id: strawberry.ID
    kind: ActivityKind
    title: str
    held_on: datetime.date
    venue: str | None
    note: str | None
    present: int
    absent: int
    excused: int
    organization_id: strawberry.Private[str]

    @strawberry.field
    async def organization(self, info: strawberry.Info) -> LazyOrganization | None:
        return await load_organization(info, self.organization_id)

    @classmethod
    def from_rest(cls, data: dict[str, Any]) -> Activity:
        return cls(
            id=strawberry.ID(data["id"]),
            kind=ActivityKind(data["kind"]),
            title=data["title"],
            held_on=datetime.date.fromisoformat(data["held_on"]),
            venue=data.get("venue"),
            note=data.get("note"),
            present=data["present"],
            absent=data["absent"],
            excused=data["excused"],
            organization_id=str(data["organization_id"]),
        )


@strawberry.type(description="One member's attendance, recorded into their archive.")
class Attendance:
    status: AttendanceStatus
    archive_entry_id: strawberry.ID
    recorded_at: datetime.datetime
    member_id: strawberry.Private[str]

    @strawberry.field
    async def member(self, info: strawberry.Info) -> Member | None:
        return await load_member(info, self.member_id)

    @classmethod
    def from_rest(cls, data: dict[str, Any]) -> Attendance:
        return cls(
            status=AttendanceStatus(data["status"]),
            archive_entry_id=strawberry.ID(data["archive_entry_id"]),
            recorded_at=datetime.datetime.fromisoformat(data["recorded_at"]),
            member_id=str(data["member_id"]),
        )


@strawberry.input(description="A new applicant, or (member:admin) an existing record brought in.")
class RegisterMemberInput:
    name: str
    id_number: str = strawberry.field(description="resident ID card number (18 characters)")
    organization_id: strawberry.ID = strawberry.field(
        description="membership relation: the home organization"
    )
    id: strawberry.ID | None = strawberry.field(
        default=None, description="client-chosen id: registering twice then changes nothing"
    )
    serving_organization_id: strawberry.ID | None = None
    gender: Gender | None = None
    birth_date: datetime.date | None = None
    ethnicity: str | None = None
    education: str | None = None
    phone: str | None = None
    employer_id: strawberry.ID | None = None
    applied_on: datetime.date | None = None
    stage: MemberStage = MemberStage.APPLICANT
    activist_on: datetime.date | None = None
    development_target_on: datetime.date | None = None
    admitted_on: datetime.date | None = None
    full_member_on: datetime.date | None = None

    def to_rest(self) -> dict[str, Any]:
        body = {
            "id": self.id,
            "name": self.name,
            "id_number": self.id_number,
            "organization_id": self.organization_id,
            "serving_organization_id": self.serving_organization_id,
            "gender": self.gender.value if self.gender else None,
            "birth_date": iso(self.birth_date),
            "ethnicity": self.ethnicity,
            "education": self.education,
            "phone": self.phone,
            "employer_id": self.employer_id,
            "applied_on": iso(self.applied_on),
            "stage": self.stage.value,
            "activist_on": iso(self.activist_on),
            "development_target_on": iso(self.development_target_on),
            "admitted_on": iso(self.admitted_on),
            "full_member_on": iso(self.full_member_on),
        }
        return {k: v for k, v in body.items() if v is not None}


@strawberry.input
class BranchMeetingInput:
    entitled_voters: int
    present_voters: int
    votes_for: int


@strawberry.input(description="The next step of the pipeline, or the end of a record.")
class StageChangeInput:
    to_stage: MemberStage
    effective_on: datetime.date | None = strawberry.field(
        default=None, description="the day of the step (admission: the vote); default today"
    )
    introducer_ids: list[strawberry.ID] | None = None
    public_notice_started_on: datetime.date | None = None
    branch_meeting: BranchMeetingInput | None = None
    reason: str | None = None

    def to_rest(self) -> dict[str, Any]:
        meeting = self.branch_meeting
        body: dict[str, Any] = {
            "to_stage": self.to_stage.value,
            "effective_on": iso(self.effective_on),
            "introducer_ids": [str(i) for i in self.introducer_ids]
            if self.introducer_ids is not None
            else None,
            "public_notice_started_on": iso(self.public_notice_started_on),
            "branch_meeting": {
                "entitled_voters": meeting.entitled_voters,
                "present_voters": meeting.present_voters,
                "votes_for": meeting.votes_for,
            }
            if meeting
            else None,
            "reason": self.reason,
        }
        return {k: v for k, v in body.items() if v is not None}


@strawberry.input
class CreateActivityInput:
    organization_id: strawberry.ID
    kind: ActivityKind
    title: str
    held_on: datetime.date
    venue: str | None = None
    note: str | None = None

    def to_rest(self) -> dict[str, Any]:
        body = {
            "organization_id": self.organization_id,
            "kind": self.kind.value,
            "title": self.title,
            "held_on": self.held_on.isoformat(),
            "venue": self.venue,
            "note": self.note,
        }
        return {k: v for k, v in body.items() if v is not None}


@strawberry.input
class AttendanceInput:
    member_id: strawberry.ID
    status: AttendanceStatus


@strawberry.input(description="A full member becomes the organization's secretary.")
class StartSecretaryTermInput:
    member_id: strawberry.ID
    organization_id: strawberry.ID | None = strawberry.field(
        default=None, description="default: the member's home organization"
    )
    term_start: datetime.date | None = None

    def to_rest(self) -> dict[str, Any]:
        body = {
            "member_id": self.member_id,
            "organization_id": self.organization_id,
            "term_start": iso(self.term_start),
        }
        return {k: v for k, v in body.items() if v is not None}


@strawberry.input(description="Give a party member a post from a day on.")
class AssignPostInput:
    kind: PostKind
    title: str
    duties: str | None = None
    organization_id: strawberry.ID | None = None
    started_on: datetime.date | None = None
    ended_on: datetime.date | None = None

    def to_rest(self) -> dict[str, Any]:
        body = {
            "kind": self.kind.value,
            "title": self.title,
            "duties": self.duties,
            "organization_id": self.organization_id,
            "started_on": iso(self.started_on),
            "ended_on": iso(self.ended_on),
        }
        return {k: v for k, v in body.items() if v is not None}
