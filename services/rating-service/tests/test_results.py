"""Closing a campaign: a hand-built campaign whose results were computed by hand.

Branch A: secretary 书记 (also a member evaluated), full members 甲 乙 丙 丁 戊, probationary
member 己; all but 戊 work for 盈科律师事务所, whose owner is registered; two employees are
registered as masses. Weights owner 20, secretary 30, members 30, masses 20; default
thresholds; a 5-star cap of 40%; two criteria, a ballot's score is their mean.

    member  owner sec. members masses  weights  weighted          stars   grade
    甲       95    95    95     95     100      95.00             5 → 4   excellent → qualified
    乙       95    95    95     -       80      95.00 rescaled    5 → 4   excellent → qualified
    丙       97    97    -      -       50      97.00 rescaled    5       excellent
    丁       -     85    80     75      80      80.625 → 80.63    4       qualified
    己       90    92    -      -       50      91.20 rescaled    5 → 4   (probationary)
    书记      50    -     60     55      70      55.71 rescaled    1       unqualified
    戊       no ballots: no result

Six members evaluated: the cap allows floor(40% × 6) = 2 members 5 stars. 丙 (97) fits; 甲
and 乙 tie at 95 and with 丙 make 3 > 2, so both get 4 stars; 己 (91.2) makes 4 > 2. Five
graded (full) members in branch A: at most floor(5 / 3) = 1 excellent: 丙; 甲 and 乙 tie
across the limit and are both qualified.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from .conftest import City, Tokens, cast, code, new_city, scores


@dataclass
class Closed:
    city: City
    campaign_id: uuid.UUID
    summary: dict[str, Any]
    results: dict[str, dict[str, Any]]


async def results_of(city: City, campaign_id: uuid.UUID) -> dict[str, dict[str, Any]]:
    response = await city.rating.get(
        "/evaluation-results",
        params={"campaign_id": str(campaign_id), "limit": 200},
        headers=city.admin,
    )
    assert response.status_code == 200, response.text
    names = {v: k for k, v in city.ids.items()}
    return {names[uuid.UUID(r["member_id"])]: r for r in response.json()["items"]}


@pytest.fixture(scope="module")
async def closed(services: Any, rating: httpx.AsyncClient, tokens: Tokens) -> Closed:
    city = await new_city(services, rating, tokens)
    await city.organization("支部A", "branch", "南关区", "星火源综合党委")
    await city.work_target("盈科律师事务所", "南关区")
    await city.members("支部A", ["书记", "甲", "乙", "丙", "丁"], employer="盈科律师事务所")
    await city.members("支部A", ["戊"])
    await city.members("支部A", ["己"], stage="probationary_member", employer="盈科律师事务所")
    await city.secretary_term("书记", "支部A", "2023-01-01")
    await city.register("owner", "owner.yingke", "支部A", "盈科律师事务所")
    await city.register("masses", "masses.1", "支部A")
    await city.register("masses", "masses.2", "支部A")
    campaign = await city.campaign(
        "手工测评",
        "支部A",
        weights={"owner": 20, "secretary": 30, "members": 30, "masses": 20},
        five_star_cap_percent=40,
        criteria=["conduct", "performance"],
    )
    campaign_id = uuid.UUID(campaign["id"])
    ids = city.ids
    owner = tokens.account("owner.yingke")
    secretary = tokens.secretary(ids["支部A"], ids["书记"])
    masses1, masses2 = tokens.account("masses.1"), tokens.account("masses.2")
    ballots = [
        (owner, "甲", "owner", scores(95)),
        (owner, "乙", "owner", scores(94, 96)),
        (owner, "丙", "owner", scores(97)),
        (owner, "己", "owner", scores(90)),
        (owner, "书记", "owner", scores(50)),
        (secretary, "甲", "secretary", scores(95)),
        (secretary, "乙", "secretary", scores(95)),
        (secretary, "丙", "secretary", scores(96, 98)),
        (secretary, "丁", "secretary", scores(80, 90)),
        (secretary, "己", "secretary", scores(92)),
        (tokens.member(ids["乙"]), "甲", "members", scores(95)),
        (tokens.member(ids["丙"]), "甲", "members", scores(95)),
        (tokens.member(ids["甲"]), "乙", "members", scores(95)),
        (tokens.member(ids["甲"]), "丁", "members", scores(80)),
        (tokens.member(ids["甲"]), "书记", "members", scores(60)),
        (masses1, "甲", "masses", scores(95)),
        (masses1, "丁", "masses", scores(70)),
        (masses1, "书记", "masses", scores(55)),
        (masses2, "丁", "masses", scores(80)),
    ]
    for headers, member, party, ballot in ballots:
        response = await cast(rating, headers, campaign_id, ids[member], party, ballot)
        assert response.status_code == 201, (member, party, response.text)
    response = await rating.post(f"/campaigns/{campaign_id}/close", headers=city.admin)
    assert response.status_code == 200, response.text
    return Closed(city, campaign_id, response.json(), await results_of(city, campaign_id))


EXPECTED = {
    # member: weighted score, parties used, rescaled, score stars, stars, capped, grade, capped
    "甲": (95.0, ["owner", "secretary", "members", "masses"], False, 5, 4, True, "qualified", True),
    "乙": (95.0, ["owner", "secretary", "members"], True, 5, 4, True, "qualified", True),
    "丙": (97.0, ["owner", "secretary"], True, 5, 5, False, "excellent", False),
    "丁": (80.63, ["secretary", "members", "masses"], True, 4, 4, False, "qualified", False),
    "己": (91.2, ["owner", "secretary"], True, 5, 4, True, None, False),
    "书记": (55.71, ["owner", "members", "masses"], True, 1, 1, False, "unqualified", False),
}


def test_hand_built_campaign_gives_the_hand_computed_results(closed: Closed) -> None:
    got = {
        name: (
            r["weighted_score"],
            r["parties_used"],
            r["rescaled"],
            r["score_stars"],
            r["stars"],
            r["capped"],
            r["grade"],
            r["grade_capped"],
        )
        for name, r in closed.results.items()
    }
    assert got == EXPECTED


def test_close_summary_counts_the_results(closed: Closed) -> None:
    summary = closed.summary
    assert summary["campaign"]["status"] == "closed"
    assert summary["campaign"]["voting_open"] is False
    assert summary["campaign"]["result_count"] == 6
    assert {k: summary[k] for k in summary if k != "campaign"} == {
        "evaluated": 6,
        "not_evaluated": 1,
        "rescaled": 5,
        "five_stars": 1,
        "capped": 3,
        "excellent": 1,
        "grade_capped": 2,
    }


def test_rule_weighted_score_rescales_the_weights_of_parties_that_cast_ballots(
    closed: Closed,
) -> None:
    # 丁: no owner ballot; secretary 85, members 80, masses 75 over weights 30/30/20.
    ding = closed.results["丁"]
    assert (30 * 85 + 30 * 80 + 20 * 75) / 80 == 80.625
    assert ding["weighted_score"] == 80.63  # two decimals, half away from zero
    assert ding["rescaled"] is True
    parties = {p["party"]: p for p in ding["party_scores"]}
    assert parties["owner"] == {
        "party": "owner", "weight": 20, "ballots": 0, "score": None, "used": False
    }  # fmt: skip
    assert parties["masses"]["score"] == 75.0
    assert parties["masses"]["ballots"] == 2
    assert parties["secretary"]["score"] == 85.0  # (80 + 90) / 2 criteria


def test_rule_member_without_ballots_gets_no_result(closed: Closed) -> None:
    assert "戊" not in closed.results


def test_rule_five_star_cap_applies_by_rank_and_ties_across_the_limit_all_get_four_stars(
    closed: Closed,
) -> None:
    five = sorted(n for n, r in closed.results.items() if r["stars"] == 5)
    capped = sorted(n for n, r in closed.results.items() if r["capped"])
    assert five == ["丙"]
    assert capped == sorted(["甲", "乙", "己"])
    assert all(closed.results[n]["stars"] == 4 for n in capped)


def test_rule_excellent_at_most_one_third_of_an_organizations_graded_members(
    closed: Closed,
) -> None:
    grades = {n: r["grade"] for n, r in closed.results.items()}
    assert [n for n, g in grades.items() if g == "excellent"] == ["丙"]
    assert closed.results["甲"]["grade_capped"]
    assert closed.results["乙"]["grade_capped"]


def test_rule_probationary_members_take_part_but_are_not_graded(closed: Closed) -> None:
    ji = closed.results["己"]
    assert ji["stage"] == "probationary_member"
    assert ji["grade"] is None
    assert ji["stars"] == 4


async def test_close_publishes_one_finalized_event_per_result_with_the_agreed_payload(
    closed: Closed, rating_sql: Any
) -> None:
    rows = await rating_sql(
        "SELECT subject, data, source, version FROM outbox_event "
        "WHERE type = 'rating.evaluation.finalized' AND data->>'campaign_id' = :c",
        c=str(closed.campaign_id),
    )
    assert len(rows) == 6
    by_member = {uuid.UUID(r.subject): r.data for r in rows}
    jia = by_member[closed.city.ids["甲"]]
    assert set(jia) == {
        "campaign_id", "member_id", "organization_id", "period_start", "period_end",
        "weighted_score", "stars", "parties_used", "rescaled", "capped", "grade", "finalized_at",
    }  # fmt: skip
    assert jia["member_id"] == str(closed.city.ids["甲"])
    assert jia["organization_id"] == str(closed.city.ids["支部A"])
    assert (jia["period_start"], jia["period_end"]) == ("2025-01-01", "2025-12-31")
    assert (jia["weighted_score"], jia["stars"], jia["capped"], jia["rescaled"]) == (
        95.0,
        4,
        True,
        False,
    )
    assert jia["parties_used"] == ["owner", "secretary", "members", "masses"]
    assert jia["grade"] == "qualified"
    assert by_member[closed.city.ids["己"]]["grade"] is None
    assert {r.source for r in rows} == {"rating-service"}
    assert {r.version for r in rows} == {1}


async def test_members_stars_become_their_star_level(closed: Closed, rating_sql: Any) -> None:
    ids = closed.city.ids
    wanted = [ids[n] for n in ("甲", "丙", "戊")]
    response = await closed.city.rating.get(
        "/star-levels",
        params={"subject_kind": "member", "ids": ",".join(map(str, wanted))},
        headers=closed.city.admin,
    )
    assert response.status_code == 200, response.text
    levels = {uuid.UUID(i["subject_id"]): i for i in response.json()["items"]}
    assert set(levels) == {ids["甲"], ids["丙"]}  # 戊 has no level
    assert levels[ids["丙"]]["stars"] == 5
    assert levels[ids["甲"]]["stars"] == 4
    assert levels[ids["丙"]]["valid_until"] is None
    changed = await rating_sql(
        "SELECT data FROM outbox_event WHERE type = 'rating.star_level.changed' "
        "AND data->>'subject_id' = :m",
        m=str(ids["丙"]),
    )
    assert [r.data["stars"] for r in changed] == [5]
    assert changed[0].data["previous_stars"] is None
    assert changed[0].data["subject_kind"] == "member"


async def test_rule_a_member_sees_only_their_own_result_without_party_means_of_few_ballots(
    closed: Closed, tokens: Tokens
) -> None:
    ids = closed.city.ids
    response = await closed.city.rating.get(
        "/evaluation-results",
        params={"campaign_id": str(closed.campaign_id)},
        headers=tokens.member(ids["丁"]),
    )
    assert response.status_code == 200
    items = response.json()["items"]
    assert [i["member_id"] for i in items] == [str(ids["丁"])]
    parties = {p["party"]: p for p in items[0]["party_scores"]}
    # One secretary ballot and one members ballot could be told apart; two masses too.
    assert parties["secretary"]["score"] is None
    assert parties["secretary"]["ballots"] == 1
    assert parties["members"]["score"] is None
    assert parties["masses"]["score"] is None
    assert items[0]["weighted_score"] == 80.63


async def test_rule_closing_twice_is_refused(closed: Closed) -> None:
    response = await closed.city.rating.post(
        f"/campaigns/{closed.campaign_id}/close", headers=closed.city.admin
    )
    assert response.status_code == 409
    assert code(response) == "campaign_closed"


async def test_rule_no_ballot_after_the_campaign_closed(closed: Closed, tokens: Tokens) -> None:
    ids = closed.city.ids
    response = await cast(
        closed.city.rating,
        tokens.member(ids["乙"]),
        closed.campaign_id,
        ids["丁"],
        "members",
        scores(80),
    )
    assert response.status_code == 409
    assert code(response) == "campaign_closed"


async def test_rule_probationary_members_past_the_third_are_not_graded_and_close_succeeds(
    services: Any, rating: httpx.AsyncClient, tokens: Tokens
) -> None:
    """A branch with more probationary members evaluated than a third of its graded ones:
    the one-third rule for excellent leaves the probationary members out (no grade, not
    capped) instead of refusing to close."""
    city = await new_city(services, rating, tokens)
    await city.organization("支部B", "branch", "南关区", "星火源综合党委")
    await city.members("支部B", ["庚"])
    await city.members("支部B", ["辛", "壬"], stage="probationary_member")
    await city.secretary_term("庚", "支部B", "2023-01-01")
    campaign = await city.campaign(
        "预备党员较多的测评", "支部B", criteria=["conduct", "performance"]
    )
    campaign_id = uuid.UUID(campaign["id"])
    secretary = tokens.secretary(city.ids["支部B"], city.ids["庚"])
    for member, score in (("辛", 91), ("壬", 85)):
        response = await cast(
            rating, secretary, campaign_id, city.ids[member], "secretary", scores(score)
        )
        assert response.status_code == 201, response.text
    response = await rating.post(f"/campaigns/{campaign_id}/close", headers=city.admin)
    assert response.status_code == 200, response.text
    results = await results_of(city, campaign_id)
    assert {n: (r["grade"], r["grade_capped"]) for n, r in results.items()} == {
        "辛": (None, False),
        "壬": (None, False),
    }
