"""Ballots: who may evaluate whom (one place decides), one ballot each, scores and criteria,
the voting window, and ballots that never lead back to their evaluator.

Branch A: secretary 书记, members 甲 乙 丙 (employed by 盈科), probationary 丁; branch B: 戊,
己 (employed by 瑞华). The owner of 盈科 and two employees of branch A are registered.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from .conftest import City, Tokens, cast, new_city, refused, scores


@dataclass
class Voting:
    city: City
    campaign_id: uuid.UUID

    @property
    def ids(self) -> dict[str, uuid.UUID]:
        return self.city.ids

    async def cast(
        self, headers: dict[str, str], member: str, party: str, ballot: dict[str, int] | None = None
    ) -> httpx.Response:
        return await cast(
            self.city.rating,
            headers,
            self.campaign_id,
            self.ids[member],
            party,
            scores(88) if ballot is None else ballot,
        )


@pytest.fixture(scope="module")
async def voting(services: Any, rating: httpx.AsyncClient, tokens: Tokens) -> Voting:
    city = await new_city(services, rating, tokens)
    await city.organization("支部A", "branch", "南关区", "星火源综合党委")
    await city.organization("支部B", "branch", "南关区", "星火源综合党委")
    await city.work_target("盈科律师事务所", "南关区")
    await city.work_target("瑞华会计师事务所", "南关区")
    await city.members("支部A", ["书记", "甲", "乙", "丙"], employer="盈科律师事务所")
    await city.members("支部A", ["丁"], stage="probationary_member")
    await city.members("支部B", ["戊", "己"], employer="瑞华会计师事务所")
    await city.secretary_term("书记", "支部A", "2023-01-01")
    await city.register("owner", "owner.yingke", "支部A", "盈科律师事务所")
    await city.register("masses", "masses.a1", "支部A")
    await city.register("masses", "masses.a2", "支部A", valid_from="2024-01-01")
    campaign = await city.campaign("评议", "星火源综合党委", criteria=["conduct", "performance"])
    return Voting(city, uuid.UUID(campaign["id"]))


async def test_campaign_roll_holds_the_party_members_of_the_subtree(
    voting: Voting, rating_sql: Any
) -> None:
    roll = await rating_sql(
        "SELECT member_id, stage, employer_id FROM campaign_subject WHERE campaign_id = :c",
        c=voting.campaign_id,
    )
    names = {v: k for k, v in voting.ids.items()}
    assert sorted(names[r.member_id] for r in roll) == sorted(
        ["书记", "甲", "乙", "丙", "丁", "戊", "己"]
    )
    stages = {names[r.member_id]: r.stage for r in roll}
    assert stages["丁"] == "probationary_member"
    assert stages["甲"] == "full_member"
    secretaries = await rating_sql(
        "SELECT organization_id, member_id FROM campaign_secretary WHERE campaign_id = :c",
        c=voting.campaign_id,
    )
    assert [(r.organization_id, r.member_id) for r in secretaries] == [
        (voting.ids["支部A"], voting.ids["书记"])
    ]


async def test_rule_the_secretary_evaluates_the_members_of_their_organization(
    voting: Voting, tokens: Tokens
) -> None:
    secretary = tokens.secretary(voting.ids["支部A"], voting.ids["书记"])
    response = await voting.cast(secretary, "甲", "secretary")
    assert response.status_code == 201, response.text
    assert response.json() == {
        "campaign_id": str(voting.campaign_id),
        "member_id": str(voting.ids["甲"]),
        "party": "secretary",
        "scores": scores(88),
        "score": 88.0,
    }
    assert refused(await voting.cast(secretary, "戊", "secretary"), 403, "evaluator_not_eligible")
    not_secretary = tokens.member(voting.ids["乙"])
    assert refused(
        await voting.cast(not_secretary, "丙", "secretary"), 403, "evaluator_not_eligible"
    )


async def test_rule_members_evaluate_members_of_the_same_organization(
    voting: Voting, tokens: Tokens
) -> None:
    response = await voting.cast(tokens.member(voting.ids["乙"]), "甲", "members")
    assert response.status_code == 201, response.text
    probationary = await voting.cast(tokens.member(voting.ids["丁"]), "甲", "members")
    assert probationary.status_code == 201, probationary.text  # probationary members take part
    other_branch = await voting.cast(tokens.member(voting.ids["戊"]), "甲", "members")
    assert refused(other_branch, 403, "evaluator_not_eligible")
    assert other_branch.json()["error"]["details"]["eligible_parties"] == []


async def test_rule_the_owner_evaluates_the_members_their_work_target_employs(
    voting: Voting, tokens: Tokens
) -> None:
    owner = tokens.account("owner.yingke")
    response = await voting.cast(owner, "乙", "owner")
    assert response.status_code == 201, response.text
    assert refused(await voting.cast(owner, "己", "owner"), 403, "evaluator_not_eligible")
    # 丁 has no employer on record: no owner evaluates them
    assert refused(await voting.cast(owner, "丁", "owner"), 403, "evaluator_not_eligible")


async def test_rule_masses_evaluate_the_members_of_the_organization_they_are_registered_for(
    voting: Voting, tokens: Tokens
) -> None:
    masses = tokens.account("masses.a1")
    response = await voting.cast(masses, "丙", "masses")
    assert response.status_code == 201, response.text
    assert refused(await voting.cast(masses, "戊", "masses"), 403, "evaluator_not_eligible")
    stranger = tokens.account("someone.else")
    assert refused(await voting.cast(stranger, "丙", "masses"), 403, "evaluator_not_eligible")


async def test_rule_an_ended_registration_no_longer_lets_its_account_evaluate(
    voting: Voting, tokens: Tokens
) -> None:
    city = voting.city
    ended = await city.rating.post(
        f"/evaluators/{voting.ids['masses.a2']}/end",
        json={"valid_until": datetime.now(UTC).date().isoformat()},
        headers=city.admin,
    )
    assert ended.status_code == 200, ended.text
    response = await voting.cast(tokens.account("masses.a2"), "丙", "masses")
    assert refused(response, 403, "evaluator_not_eligible")


async def test_rule_nobody_evaluates_themselves(voting: Voting, tokens: Tokens) -> None:
    response = await voting.cast(tokens.member(voting.ids["丙"]), "丙", "members")
    assert refused(response, 403, "self_evaluation")


async def test_rule_one_ballot_per_evaluator_member_and_campaign(
    voting: Voting, tokens: Tokens
) -> None:
    secretary = tokens.secretary(voting.ids["支部A"], voting.ids["书记"])
    first = await voting.cast(secretary, "乙", "secretary", scores(90))
    assert first.status_code == 201, first.text
    again = await voting.cast(secretary, "乙", "secretary", scores(70))
    assert refused(again, 409, "ballot_already_cast")
    # the secretary is also a member of the branch: still one person, one ballot
    as_member = await voting.cast(secretary, "乙", "members", scores(70))
    assert refused(as_member, 409, "ballot_already_cast")
    # the same person with a member token is the same evaluator
    same_person = await voting.cast(tokens.member(voting.ids["书记"]), "乙", "members")
    assert refused(same_person, 409, "ballot_already_cast")


async def test_rule_scores_run_from_0_to_100(voting: Voting, tokens: Tokens) -> None:
    voter = tokens.member(voting.ids["甲"])
    for bad in (scores(101), scores(-1), scores(50, 1000)):
        assert refused(await voting.cast(voter, "丙", "members", bad), 422, "score_out_of_range")
    edge = await voting.cast(voter, "丙", "members", scores(0, 100))
    assert edge.status_code == 201, edge.text
    assert edge.json()["score"] == 50.0


async def test_rule_a_ballot_scores_exactly_the_campaigns_criteria(
    voting: Voting, tokens: Tokens
) -> None:
    voter = tokens.member(voting.ids["甲"])
    for bad in ({"conduct": 80}, {**scores(80), "charisma": 90}, {}):
        response = await voting.cast(voter, "书记", "members", bad)
        assert refused(response, 422, "criteria_mismatch")


async def test_rule_a_member_not_on_the_roll_is_not_evaluated(
    voting: Voting, tokens: Tokens
) -> None:
    response = await cast(
        voting.city.rating,
        tokens.member(voting.ids["甲"]),
        voting.campaign_id,
        uuid.uuid4(),
        "members",
        scores(80),
    )
    assert refused(response, 422, "member_not_in_campaign")


async def test_rule_voting_only_inside_the_window(voting: Voting, tokens: Tokens) -> None:
    city = voting.city
    later = datetime.now(UTC) + timedelta(days=3)
    campaign = await city.campaign(
        "下月评议",
        "支部A",
        opens_at=later.isoformat(),
        closes_at=(later + timedelta(days=7)).isoformat(),
    )
    response = await cast(
        city.rating,
        tokens.member(voting.ids["甲"]),
        uuid.UUID(campaign["id"]),
        voting.ids["乙"],
        "members",
        {c: 80 for c in campaign["criteria"]},
    )
    assert refused(response, 409, "voting_not_open")
    assert later.date().isoformat() in response.json()["error"]["message"]


async def test_rule_a_party_without_weight_takes_no_ballots(voting: Voting, tokens: Tokens) -> None:
    city = voting.city
    campaign = await city.campaign(
        "无群众评议",
        "支部A",
        weights={"owner": 30, "secretary": 40, "members": 30, "masses": 0},
        criteria=["conduct", "performance"],
    )
    response = await cast(
        city.rating,
        tokens.account("masses.a1"),
        uuid.UUID(campaign["id"]),
        voting.ids["甲"],
        "masses",
        scores(80),
    )
    assert refused(response, 422, "party_not_weighted")


async def test_evaluable_members_tell_a_voter_whom_they_may_evaluate_and_in_which_party(
    voting: Voting, tokens: Tokens
) -> None:
    response = await voting.city.rating.get(
        f"/campaigns/{voting.campaign_id}/evaluable-members",
        headers=tokens.account("owner.yingke"),
    )
    assert response.status_code == 200, response.text
    names = {v: k for k, v in voting.ids.items()}
    items = {names[uuid.UUID(i["member_id"])]: i for i in response.json()["items"]}
    assert sorted(items) == sorted(["书记", "甲", "乙", "丙"])
    assert all(i["parties"] == ["owner"] for i in items.values())
    assert items["乙"]["ballot_cast"] is True
    secretary = await voting.city.rating.get(
        f"/campaigns/{voting.campaign_id}/evaluable-members",
        headers=tokens.secretary(voting.ids["支部A"], voting.ids["书记"]),
    )
    parties = {names[uuid.UUID(i["member_id"])]: i["parties"] for i in secretary.json()["items"]}
    assert "书记" not in parties
    assert parties["甲"] == ["secretary", "members"]


async def test_my_ballots_are_mine_alone(voting: Voting, tokens: Tokens) -> None:
    owner = tokens.account("owner.yingke")
    await voting.cast(owner, "丙", "owner", scores(77))
    mine = await voting.city.rating.get(
        f"/campaigns/{voting.campaign_id}/ballots/mine", headers=owner
    )
    assert mine.status_code == 200, mine.text
    assert {(i["member_id"], i["party"]) for i in mine.json()["items"]} >= {
        (str(voting.ids["乙"]), "owner"),
        (str(voting.ids["丙"]), "owner"),
    }
    stranger = await voting.city.rating.get(
        f"/campaigns/{voting.campaign_id}/ballots/mine", headers=tokens.account("masses.a1")
    )
    assert {i["party"] for i in stranger.json()["items"]} == {"masses"}


async def test_rule_ballots_cannot_be_traced_to_their_evaluator(
    voting: Voting, tokens: Tokens, rating_sql: Any
) -> None:
    columns = await rating_sql(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'ballot'"
    )
    assert {c.column_name for c in columns} == {
        "id", "campaign_id", "member_id", "party", "evaluator_hash", "scores", "total"
    }  # fmt: skip
    rows = await rating_sql(
        "SELECT b.*::text AS row FROM ballot b WHERE campaign_id = :c", c=voting.campaign_id
    )
    accounts = ["owner.yingke", "masses.a1", "member.", "secretary."]
    assert rows
    assert not [r for r in rows if any(a in r.row for a in accounts)]
    audits = await rating_sql(
        "SELECT entity_type, entity_id, jsonb_object_keys(after) AS key FROM audit_record "
        "WHERE action = 'ballot.cast'"
    )
    assert audits
    # who voted in which campaign is audited; for whom and how is not
    assert {(a.entity_type, a.key) for a in audits} == {
        ("campaign", "parties"),
        ("campaign", "ballots"),
    }


async def test_rule_a_ballot_sheet_is_taken_whole_or_not_at_all(
    voting: Voting, tokens: Tokens
) -> None:
    masses = tokens.account("masses.a1")
    path = f"/campaigns/{voting.campaign_id}/ballot-sheets"

    def sheet(*members: str) -> dict[str, Any]:
        return {
            "ballots": [
                {"member_id": str(voting.ids[m]), "party": "masses", "scores": scores(81)}
                for m in members
            ]
        }

    async def mine() -> set[str]:
        response = await voting.city.rating.get(
            f"/campaigns/{voting.campaign_id}/ballots/mine", headers=masses
        )
        return {i["member_id"] for i in response.json()["items"]}

    before = await mine()
    outsider = await voting.city.rating.post(path, json=sheet("甲", "戊"), headers=masses)
    assert refused(outsider, 403, "evaluator_not_eligible")
    assert outsider.json()["error"]["details"]["member_id"] == str(voting.ids["戊"])
    twice = await voting.city.rating.post(path, json=sheet("甲", "甲"), headers=masses)
    assert refused(twice, 422, "member_twice_on_sheet")
    assert await mine() == before
    taken = await voting.city.rating.post(path, json=sheet("甲", "书记"), headers=masses)
    assert taken.status_code == 201, taken.text
    assert [i["member_id"] for i in taken.json()["items"]] == [
        str(voting.ids["甲"]),
        str(voting.ids["书记"]),
    ]
    again = await voting.city.rating.post(path, json=sheet("乙", "甲"), headers=masses)
    assert refused(again, 409, "ballot_already_cast")
    assert again.json()["error"]["details"]["member_ids"] == [str(voting.ids["甲"])]
    assert await mine() == before | {str(voting.ids["甲"]), str(voting.ids["书记"])}
