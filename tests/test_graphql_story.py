"""One whole story through the gateway's GraphQL only, on the real processes with their relays:
found a branch, register its members, advance one to activist, run and close a four-party
evaluation, and find the result in a member's political archive and star level."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

import demo_data
from devstack.seed import load_demo, service_token
from devstack.stack import Stack, default_apps
from service_kit.pgcluster import free_ports

pytestmark = pytest.mark.system

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(birth: str, sequence: int) -> str:
    """A valid resident ID number of 南关区 (GB 11643 check character)."""
    first17 = f"220102{birth}{sequence:03d}"
    total = sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


class Client:
    """A mini-program: a token from the gateway, then GraphQL and nothing else."""

    def __init__(self, http: httpx.AsyncClient, token: str) -> None:
        self.http = http
        self.token = token

    @classmethod
    async def login(cls, http: httpx.AsyncClient, username: str) -> Client:
        response = await http.post(
            "/auth/token",
            data={"grant_type": "password", "username": username, "password": "demo"},
        )
        response.raise_for_status()
        return cls(http, str(response.json()["access_token"]))

    async def ask(self, query: str, **variables: Any) -> dict[str, Any]:
        response = await self.http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {self.token}"},
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert body.get("errors") is None, body
        data: dict[str, Any] = body["data"]
        return data


@pytest.fixture(scope="module")
async def gateway(
    pg_server_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[httpx.AsyncClient]:
    running = Stack(
        server_url=pg_server_url,
        data_dir=tmp_path_factory.mktemp("story"),
        apps=default_apps(free_ports(5)),
        database_prefix="story_",
        extra_env={"PYTHONUNBUFFERED": "1"},
    )
    await running.prepare_databases()
    running.start()
    try:
        await running.wait_ready()
        token = await service_token(running.gateway_url, "gateway", "dev-service-secret")
        await load_demo(running.url("org"), token)
        async with httpx.AsyncClient(base_url=running.gateway_url, timeout=30.0) as http:
            yield http
    finally:
        running.stop()


async def test_story_from_a_new_branch_to_a_members_star_level(
    gateway: httpx.AsyncClient,
) -> None:
    admin = await Client.login(gateway, "admin.city")
    voter = await Client.login(gateway, "member.demo")
    parent = str(demo_data.organization_id("星火源综合党委"))

    # A branch is founded under 星火源综合党委, in the committee's region.
    found = await admin.ask(
        """query($id: ID!) { organization(id: $id) { region { id } } }""", id=parent
    )
    branch = (
        await admin.ask(
            """mutation($input: CreateOrganizationInput!) {
                 createOrganization(input: $input) { id name kind parent { name } } }""",
            input={
                "name": "星火源数据科技公司党支部",
                "kind": "BRANCH",
                "regionId": found["organization"]["region"]["id"],
                "parentId": parent,
            },
        )
    )["createOrganization"]
    assert branch["parent"]["name"] == "星火源综合党委"

    # Three party members come with their records; a new employee applies.
    register = """mutation($input: RegisterMemberInput!) {
                    registerMember(input: $input) { id name stage } }"""
    full_members = []
    for sequence, name in enumerate(("数据甲", "数据乙", "数据丙"), start=1):
        member = (
            await admin.ask(
                register,
                input={
                    "name": name,
                    "idNumber": id_number(f"198{sequence}0101", 2 * sequence + 1),
                    "organizationId": branch["id"],
                    "stage": "FULL_MEMBER",
                    "appliedOn": "2010-03-01",
                    "activistOn": "2010-09-01",
                    "developmentTargetOn": "2011-10-01",
                    "admittedOn": "2012-01-15",
                    "fullMemberOn": "2013-01-15",
                },
            )
        )["registerMember"]
        assert member["stage"] == "FULL_MEMBER"
        full_members.append(member)
    applicant = (
        await admin.ask(
            register,
            input={
                "name": "数据申请人",
                "idNumber": id_number("19990909", 8),
                "organizationId": branch["id"],
            },
        )
    )["registerMember"]
    assert applicant["stage"] == "APPLICANT"

    # The applicant becomes an activist.
    activist = (
        await admin.ask(
            """mutation($id: ID!) { advanceMemberStage(memberId: $id,
                 input: {toStage: ACTIVIST}) { stage activistOn } }""",
            id=applicant["id"],
        )
    )["advanceMemberStage"]
    assert activist == {"stage": "ACTIVIST", "activistOn": date.today().isoformat()}

    # An evaluation runs over the branch: an employee registered as masses votes.
    await admin.ask(
        """mutation($input: RegisterEvaluatorInput!) {
             registerEvaluator(input: $input) { id kind } }""",
        input={
            "kind": "MASSES",
            "account": "member.demo",
            "name": "星火源数据科技公司员工",
            "organizationId": branch["id"],
        },
    )
    year = date.today().year - 1
    campaign = (
        await admin.ask(
            """mutation($input: CreateCampaignInput!) { createCampaign(input: $input) {
                 id criteria subjectCount votingOpen organization { name } } }""",
            input={
                "name": f"星火源数据科技公司党支部{year}年度四方评议",
                "organizationId": branch["id"],
                "periodStart": f"{year}-01-01",
                "periodEnd": f"{year}-12-31",
                "closesAt": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
            },
        )
    )["createCampaign"]
    assert campaign["subjectCount"] == 3  # the activist is not on the roll
    assert campaign["votingOpen"] is True
    mine = await voter.ask("{ me { pendingBallots { parties memberId campaign { id } } } }")
    pending = mine["me"]["pendingBallots"]
    assert {p["memberId"] for p in pending} == {m["id"] for m in full_members}
    assert {tuple(p["parties"]) for p in pending} == {("MASSES",)}
    for member, score in zip(full_members, (95, 82, 64), strict=True):
        ballot = (
            await voter.ask(
                """mutation($campaign: ID!, $input: CastBallotInput!) {
                     castBallot(campaignId: $campaign, input: $input) { party score } }""",
                campaign=campaign["id"],
                input={
                    "memberId": member["id"],
                    "party": "MASSES",
                    "scores": [{"criterion": c, "score": score} for c in campaign["criteria"]],
                },
            )
        )["castBallot"]
        assert ballot == {"party": "MASSES", "score": float(score)}
    assert (await voter.ask("{ me { pendingBallots { parties } } }"))["me"]["pendingBallots"] == []

    closed = (
        await admin.ask(
            """mutation($id: ID!) { closeCampaign(campaignId: $id) {
                 evaluated rescaled campaign { status } } }""",
            id=campaign["id"],
        )
    )["closeCampaign"]
    assert closed == {"evaluated": 3, "rescaled": 3, "campaign": {"status": "CLOSED"}}

    # The result reaches the member's political archive (rating → member by event) and
    # their star level.
    first = full_members[0]["id"]
    query = """query($id: ID!) { member(id: $id) {
                 starRating { stars }
                 evaluationResults { stars scoreStars capped weightedScore rescaled partiesUsed }
                 archive(kind: EVALUATION) { nodes { kind source payload } } } }"""
    deadline = time.monotonic() + 30
    while True:
        record = (await admin.ask(query, id=first))["member"]
        if record["archive"]["nodes"] or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.3)
    # 95 points make 5 stars, but the 5-star cap (5% of 3 members: none) holds it at 4.
    assert record["evaluationResults"] == [
        {
            "stars": 4,
            "scoreStars": 5,
            "capped": True,
            "weightedScore": 95.0,
            "rescaled": True,
            "partiesUsed": ["MASSES"],
        }
    ]
    assert record["starRating"] == {"stars": 4}
    [entry] = record["archive"]["nodes"]
    assert entry["source"] == "rating-service"
    assert entry["payload"]["stars"] == 4
    assert entry["payload"]["campaign_id"] == campaign["id"]
