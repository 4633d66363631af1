"""Screens across the services through the gateway: the secretary's home, a member's record,
and who may see what."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import demo_data
from gateway.persisted import query_hash

from .conftest import GatewayStack

BRANCH = str(demo_data.organization_id(demo_data.DEMO_BRANCH))
MEMBER_DEMO = str(demo_data.demo_id("member", "member.demo"))
SECRETARY_DEMO = str(demo_data.demo_id("member", "secretary.demo"))
HOME = (
    Path(__file__).resolve().parents[1] / "src/gateway/persisted/secretary_home.graphql"
).read_text()


def errors(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors") or []]


class TestSecretaryHome:
    async def test_home_screen_in_one_request(self, gateway_stack: GatewayStack) -> None:
        token = await gateway_stack.token("secretary.demo")
        body = await gateway_stack.graphql(HOME, token)
        assert body.get("errors") is None, body
        me = body["data"]["me"]
        organization = me["organization"]
        assert organization["name"] == demo_data.DEMO_BRANCH
        assert organization["memberCounts"] == {"fullMembers": 9, "probationaryMembers": 1}
        assert organization["secretary"]["name"] == "盈科律所支部书记"
        assert organization["starRating"] is None
        assert organization["fundingBalance"] == {"totalFen": 0, "accounts": []}
        members = organization["members"]["nodes"]
        assert len(members) == 13
        by_name = {m["name"]: m for m in members}
        assert [p["kind"] for p in by_name["盈科律所党员"]["posts"]] == ["INTEGRITY"]
        assert by_name["盈科积极分子"]["stage"] == "ACTIVIST"
        assert me["pendingBallots"] == []

    async def test_the_same_screen_by_its_hash(self, gateway_stack: GatewayStack) -> None:
        token = await gateway_stack.token("secretary.demo")
        by_text = await gateway_stack.graphql(HOME, token)
        by_hash = await gateway_stack.graphql(
            None,
            token,
            extensions={"persistedQuery": {"version": 1, "sha256Hash": query_hash(HOME)}},
        )
        assert by_hash == by_text

    async def test_members_page_continues_with_its_cursor(
        self, gateway_stack: GatewayStack
    ) -> None:
        token = await gateway_stack.token("secretary.demo")
        query = """query($id: ID!, $after: String) { organization(id: $id) {
                     members(first: 5, after: $after) {
                       nodes { name } pageInfo { hasNextPage endCursor } } } }"""
        names: list[str] = []
        after = None
        while True:
            body = await gateway_stack.graphql(query, token, {"id": BRANCH, "after": after})
            page = body["data"]["organization"]["members"]
            names += [n["name"] for n in page["nodes"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert len(names) == 13
        assert names == sorted(names)


class TestMemberRecord:
    async def test_member_sees_own_record_archive_and_posts(
        self, gateway_stack: GatewayStack
    ) -> None:
        token = await gateway_stack.token("member.demo")
        body = await gateway_stack.graphql(
            """{ me { member { name stage idNumberMasked organization { name }
                   archive { nodes { kind } } posts { title organization { name } } } } }""",
            token,
        )
        assert body.get("errors") is None, body
        member = body["data"]["me"]["member"]
        assert member["name"] == "盈科律所党员"
        assert member["idNumberMasked"] is True
        assert member["organization"]["name"] == demo_data.DEMO_BRANCH
        kinds = {e["kind"] for e in member["archive"]["nodes"]}
        assert {"POST", "ATTENDANCE"} <= kinds
        assert member["posts"][0]["organization"]["name"] == demo_data.DEMO_BRANCH

    async def test_rule_member_cannot_read_another_members_archive(
        self, gateway_stack: GatewayStack
    ) -> None:
        token = await gateway_stack.token("member.demo")
        other = str(demo_data.demo_id("member", "盈科党员甲"))
        hidden = await gateway_stack.graphql(
            "query($id: ID!) { member(id: $id) { name archive { nodes { kind } } } }",
            token,
            {"id": other},
        )
        assert hidden == {"data": {"member": None}}
        # Asking the archive of someone else's record directly is refused by member-service.
        body = await gateway_stack.graphql(
            """query($id: ID!) { organization(id: $id) { members { nodes { id name
                 archive { nodes { kind } } } } } }""",
            token,
            {"id": BRANCH},
        )
        nodes = body["data"]["organization"]["members"]["nodes"]
        assert [n["id"] for n in nodes] == [MEMBER_DEMO]
        assert body.get("errors") is None

    async def test_pending_ballots_are_only_ones_own(self, gateway_stack: GatewayStack) -> None:
        token = await gateway_stack.token("admin.city")
        body = await gateway_stack.graphql(
            "query($id: ID!) { member(id: $id) { name pendingBallots { parties } } }",
            token,
            {"id": MEMBER_DEMO},
        )
        assert body["data"]["member"] == {"name": "盈科律所党员", "pendingBallots": None}
        assert errors(body) == ["own_record_only"]

    async def test_secretary_reads_their_members_ids_masked(
        self, gateway_stack: GatewayStack
    ) -> None:
        token = await gateway_stack.token("secretary.demo")
        body = await gateway_stack.graphql(
            "query($id: ID!) { member(id: $id) { idNumber idNumberMasked } }",
            token,
            {"id": MEMBER_DEMO},
        )
        assert body["data"]["member"]["idNumberMasked"] is True
        assert "*" in body["data"]["member"]["idNumber"]


class TestDistrictAccess:
    async def test_rule_district_admin_cannot_read_another_districts_organizations(
        self, gateway_stack: GatewayStack
    ) -> None:
        token = await gateway_stack.token("admin.erdao")
        body = await gateway_stack.graphql(
            """query($id: ID!) { organization(id: $id) { name }
                 member(id: $m) { name } }""".replace("$m", '"' + MEMBER_DEMO + '"'),
            token,
            {"id": BRANCH},
        )
        assert body == {"data": {"organization": None, "member": None}}
        listed = await gateway_stack.graphql(
            "{ organizations(first: 200) { nodes { name region { name } } } }", token
        )
        regions = {n["region"]["name"] for n in listed["data"]["organizations"]["nodes"]}
        assert regions == {"二道区"}

    async def test_district_admin_reads_own_district(self, gateway_stack: GatewayStack) -> None:
        token = await gateway_stack.token("admin.nanguan")
        body = await gateway_stack.graphql(
            """query($id: ID!) { organization(id: $id) { name memberCounts { fullMembers }
                 members(first: 1) { nodes { name } } } }""",
            token,
            {"id": BRANCH},
        )
        assert body.get("errors") is None, body
        assert body["data"]["organization"]["memberCounts"] == {"fullMembers": 9}


class TestMutations:
    async def test_register_and_advance_a_member(self, gateway_stack: GatewayStack) -> None:
        token = await gateway_stack.token("secretary.demo")
        created = await gateway_stack.graphql(
            """mutation($input: RegisterMemberInput!) { registerMember(input: $input) {
                 id name stage organization { name } } }""",
            token,
            {
                "input": {
                    "name": "新申请人",
                    "idNumber": id_number("19990501", 901),
                    "organizationId": BRANCH,
                }
            },
        )
        assert created.get("errors") is None, created
        member = created["data"]["registerMember"]
        assert member["stage"] == "APPLICANT"
        advanced = await gateway_stack.graphql(
            """mutation($id: ID!) { advanceMemberStage(memberId: $id,
                 input: {toStage: ACTIVIST}) { stage activistOn } }""",
            token,
            {"id": member["id"]},
        )
        assert advanced["data"]["advanceMemberStage"]["stage"] == "ACTIVIST"
        refused = await gateway_stack.graphql(
            """mutation($id: ID!) { advanceMemberStage(memberId: $id,
                 input: {toStage: DEVELOPMENT_TARGET}) { stage } }""",
            token,
            {"id": member["id"]},
        )
        error = refused["errors"][0]
        assert error["extensions"]["code"] == "activist_at_least_one_year"
        assert error["extensions"]["service"] == "member-service"
        assert error["extensions"]["details"]["earliest_on"]
        assert refused["data"] is None

    async def test_record_attendance_lands_in_the_archive(
        self, gateway_stack: GatewayStack
    ) -> None:
        token = await gateway_stack.token("secretary.demo")
        activity = await gateway_stack.graphql(
            """mutation($input: CreateActivityInput!) { createActivity(input: $input) {
                 id kind organization { name } } }""",
            token,
            {
                "input": {
                    "organizationId": BRANCH,
                    "kind": "PARTY_LESSON",
                    "title": "党课：党章学习",
                    "heldOn": "2026-01-10",
                }
            },
        )
        assert activity.get("errors") is None, activity
        activity_id = activity["data"]["createActivity"]["id"]
        recorded = await gateway_stack.graphql(
            """mutation($id: ID!, $member: ID!) { recordAttendance(activityId: $id,
                 records: [{memberId: $member, status: PRESENT}]) {
                 status member { name archive(kind: ATTENDANCE) { nodes { payload } } } } }""",
            token,
            {"id": activity_id, "member": MEMBER_DEMO},
        )
        assert recorded.get("errors") is None, recorded
        attendance = recorded["data"]["recordAttendance"][0]
        assert attendance["status"] == "PRESENT"
        payloads = [n["payload"] for n in attendance["member"]["archive"]["nodes"]]
        assert any(p.get("activity_id") == activity_id for p in payloads), payloads

    async def test_unknown_campaign_and_bad_ids(self, gateway_stack: GatewayStack) -> None:
        token = await gateway_stack.token("admin.city")
        body = await gateway_stack.graphql(
            "query($id: ID!) { campaign(id: $id) { name } project(id: $id) { title } }",
            token,
            {"id": str(uuid.uuid4())},
        )
        assert body == {"data": {"campaign": None, "project": None}}
        bad = await gateway_stack.graphql('{ member(id: "x") { name } }', token)
        assert errors(bad) == ["invalid_id"]


def id_number(birth: str, sequence: int) -> str:
    """A valid resident ID number of 南关区 (GB 11643 check character)."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    first17 = f"220102{birth}{sequence:03d}"
    total = sum(int(c) * w for c, w in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]
