"""Coverage (两个覆盖) as of any date, against a hand-built city whose figures are computed by hand.

南关区 (with a provincial park) and 二道区; own, joint and dispatched organizational
coverage and work coverage; an organization dissolved in between; a target that
deregisters. Three dates: D1 = 2024-07-01, D2 = 2025-04-01, D3 = 2025-06-01.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from service_kit.testing import TestIssuer

from .conftest import Tree
from .work_helpers import credit_code

D1, D2, D3 = "2024-07-01", "2025-04-01", "2025-06-01"


class City:
    """The hand-built fixture; `ids` maps every name to its id."""

    def __init__(self, tree: Tree) -> None:
        self.tree = tree
        self.client = tree.client
        self.headers = tree.headers
        self.ids = tree.ids
        self.codes: dict[str, str] = {}

    async def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.client.post(path, json=body, headers=self.headers)
        assert response.status_code in (200, 201), f"{path}: {response.text}"
        result: dict[str, Any] = response.json()
        return result

    async def place(self, name: str, kind: str, region: str, **extra: Any) -> None:
        body = {"name": name, "kind": kind, "region_id": str(self.ids[region]), **extra}
        self.ids[name] = (await self.post("/places", body))["id"]

    async def org(self, name: str, parent: str, region: str, **extra: Any) -> None:
        body = {
            "name": name,
            "kind": "branch",
            "region_id": str(self.ids[region]),
            "parent_id": str(self.ids[parent]),
            "founded_on": "2024-01-01",
            **extra,
        }
        self.ids[name] = (await self.post("/organizations", body))["id"]

    async def target(
        self, name: str, region: str, registered: str = "2024-01-01", **extra: Any
    ) -> None:
        self.codes[name] = credit_code(len(self.codes) + 1)
        body = {
            "credit_code": self.codes[name],
            "name": name,
            "kind": "enterprise",
            "industry": "retail",
            "region_id": str(self.ids[region]),
            "registered_on": registered,
            **extra,
        }
        self.ids[name] = (await self.post("/work-targets", body))["id"]

    async def cover(self, target: str, org: str, mode: str, since: str) -> None:
        await self.post(
            f"/work-targets/{self.ids[target]}/coverage",
            {"organization_id": str(self.ids[org]), "mode": mode, "valid_from": since},
        )

    async def assign(self, target: str, role: str, since: str) -> None:
        await self.post(
            "/instructor-assignments",
            {
                "role": role,
                "person_name": f"{target}的{role}",
                "work_target_id": str(self.ids[target]),
                "valid_from": since,
            },
        )

    async def coverage(self, as_of: str, **params: str) -> dict[str, Any]:
        response = await self.client.get(
            "/coverage", params={"as_of": as_of, **params}, headers=self.headers
        )
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result


@pytest.fixture
async def city(tree: Tree) -> City:
    c = City(tree)
    await tree.region("二道区", "district", "长春市", district_class="urban")
    await tree.org("二道区党工委", "working_committee", "二道区", "市党工委", subkind="district")
    await c.place("高新园", "park", "南关区", level="provincial")
    await c.place("创意大厦", "building", "南关区", parent_place_id=str(c.ids["高新园"]))
    # 南关区: T1-T7 (T6, T7 in the park; T7 registers only in 2025)
    for name in ("T1", "T2", "T3", "T4", "T5"):
        await c.target(name, "南关区")
    await c.target("T6", "南关区", place_id=str(c.ids["创意大厦"]))
    await c.target("T7", "南关区", registered="2025-03-01", place_id=str(c.ids["高新园"]))
    # 二道区: T8 served by a functional branch, T9 covered until its branch dissolves,
    # T10 work coverage from 2025, T11 deregisters at the start of 2025
    for name in ("T8", "T9", "T10"):
        await c.target(name, "二道区")
    await c.target("T11", "二道区", deregistered_on="2025-01-01")

    await c.org("A支部", "南关区党工委", "南关区", full_members=5)
    await c.org(
        "J联合支部",
        "南关区党工委",
        "南关区",
        formation="joint",
        joint_mode="area",
        full_members=4,
    )
    await c.org(
        "F功能型支部",
        "二道区党工委",
        "二道区",
        formation="dispatched",
        dispatched_members=3,
        serves_work_target_id=str(c.ids["T8"]),
    )
    await c.org("D支部", "二道区党工委", "二道区", full_members=3)

    await c.cover("T1", "A支部", "own", "2024-03-01")
    await c.cover("T2", "J联合支部", "joint", "2024-06-01")
    await c.cover("T3", "J联合支部", "joint", "2024-06-01")
    await c.assign("T4", "instructor", "2024-02-01")
    await c.cover("T4", "A支部", "own", "2025-05-15")  # org coverage outranks work coverage
    await c.cover("T5", "A支部", "own", "2025-06-15")  # after D3, before the quarter's end
    await c.cover("T6", "J联合支部", "joint", "2025-01-01")
    await c.cover("T8", "F功能型支部", "dispatched", "2024-09-01")
    await c.cover("T9", "D支部", "own", "2024-04-01")
    await c.assign("T10", "liaison", "2025-02-01")
    response = await c.client.post(
        f"/organizations/{c.ids['D支部']}/dissolve",
        json={"effective_on": "2025-05-01"},
        headers=c.headers,
    )
    assert response.status_code == 200, response.text
    return c


def figures(row: dict[str, Any]) -> tuple[int, int, int, int, int, int]:
    return (
        row["targets"],
        row["own"],
        row["joint"],
        row["dispatched"],
        row["work"],
        row["uncovered"],
    )


def by_name(report: dict[str, Any]) -> dict[str, tuple[int, int, int, int, int, int]]:
    return {g["name"]: figures(g) for g in report["groups"]}


# (targets, own, joint, dispatched, work, uncovered), computed by hand from the fixture
EXPECTED = {
    D1: {"南关区": (6, 1, 2, 0, 1, 2), "二道区": (4, 1, 0, 0, 0, 3), "农安县": (0,) * 6},
    D2: {"南关区": (7, 1, 3, 0, 1, 2), "二道区": (3, 1, 0, 1, 1, 0), "农安县": (0,) * 6},
    D3: {"南关区": (7, 2, 3, 0, 0, 2), "二道区": (3, 0, 0, 1, 1, 1), "农安县": (0,) * 6},
}
EXPECTED_PARK = {D1: (1, 0, 0, 0, 0, 1), D2: (2, 0, 1, 0, 0, 1), D3: (2, 0, 1, 0, 0, 1)}


class TestCoverageAsOf:
    @pytest.mark.parametrize("day", [D1, D2, D3])
    async def test_rule_coverage_by_region_as_of_a_date(self, city: City, day: str) -> None:
        report = await city.coverage(day)
        groups = by_name(report)
        expected = EXPECTED[day]
        assert {k: v for k, v in groups.items() if k in expected} == {
            k: v for k, v in expected.items() if v != (0,) * 6
        }
        total = tuple(sum(v[i] for v in expected.values()) for i in range(6))
        assert figures(report["total"]) == total

    @pytest.mark.parametrize("day", [D1, D2, D3])
    async def test_rule_coverage_by_park_counts_buildings_inside(
        self, city: City, day: str
    ) -> None:
        report = await city.coverage(day, group_by="park")
        assert by_name(report) == {"高新园": EXPECTED_PARK[day]}

    async def test_rule_dissolution_ends_coverage(self, city: City) -> None:
        before = by_name(await city.coverage("2025-04-30"))["二道区"]
        after = by_name(await city.coverage("2025-05-01"))["二道区"]
        assert (before[1], after[1]) == (1, 0)

    async def test_rule_rates_are_shares_of_targets(self, city: City) -> None:
        row = next(g for g in (await city.coverage(D3))["groups"] if g["name"] == "南关区")
        assert row["organizational_rate"] == round(5 / 7, 4)
        assert row["work_rate"] == 0.0
        assert row["total_rate"] == round(5 / 7, 4)

    async def test_rule_rolled_up_the_region_tree(self, city: City) -> None:
        report = await city.coverage(D3, region_id=str(city.ids["南关区"]))
        assert figures(report["total"]) == EXPECTED[D3]["南关区"]

    async def test_rule_as_of_in_the_future_is_refused(self, city: City) -> None:
        tomorrow = (date.today() + timedelta(days=1)).isoformat()
        response = await city.client.get(
            "/coverage", params={"as_of": tomorrow}, headers=city.headers
        )
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "as_of_in_future"

    async def test_by_industry(self, city: City) -> None:
        report = await city.coverage(D3, group_by="industry")
        assert [g["key"] for g in report["groups"]] == ["retail"]
        assert report["groups"][0]["targets"] == 10


class TestCoverageAccess:
    async def test_district_admin_cannot_read_other_district(
        self, city: City, test_issuer: TestIssuer
    ) -> None:
        headers = test_issuer.headers(
            subject="admin.nanguan",
            roles=["district_admin"],
            scopes=["org:read", "org:write"],
            region_id=city.ids["南关区"],
        )
        own = await city.client.get("/coverage", params={"as_of": D3}, headers=headers)
        assert own.status_code == 200
        assert figures(own.json()["total"]) == EXPECTED[D3]["南关区"]
        other = await city.client.get(
            "/coverage", params={"region_id": str(city.ids["二道区"])}, headers=headers
        )
        assert other.status_code == 404
        assert other.json()["error"]["code"] == "region_not_found"
        write = await city.client.put(
            f"/regions/{city.ids['二道区']}/baselines/2025",
            json={"registered_count": 10, "tax_paying_count": 5, "social_insurance_count": 5},
            headers=headers,
        )
        assert write.status_code == 404

    async def test_branch_secretary_gets_no_coverage_figures(
        self, city: City, test_issuer: TestIssuer
    ) -> None:
        headers = test_issuer.headers(
            subject="s", roles=["secretary"], scopes=["org:read"], org_id=city.ids["A支部"]
        )
        response = await city.client.get("/coverage", headers=headers)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "coverage_needs_region_scope"


class TestBaseline:
    async def test_rule_baseline_is_ten_percent_of_registered(self, city: City) -> None:
        response = await city.client.put(
            f"/regions/{city.ids['南关区']}/baselines/2025",
            json={
                "registered_count": 12345,
                "tax_paying_count": 9000,
                "social_insurance_count": 7000,
            },
            headers=city.headers,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["recognition_rate"] == 0.1
        assert body["baseline"] == 1234  # round(1234.5) to even
        assert (body["tax_paying_count"], body["social_insurance_count"]) == (9000, 7000)

    async def test_rule_recognition_rate_is_dated_policy_data(self, city: City) -> None:
        set_rate = await city.client.put(
            "/policy-parameters/recognition_rate",
            json={"value": 0.12, "valid_from": "2025-01-01", "note": "raised"},
            headers=city.headers,
        )
        assert set_rate.status_code == 200, set_rate.text
        for year, expected in ((2024, 100), (2025, 120)):
            await city.client.put(
                f"/regions/{city.ids['南关区']}/baselines/{year}",
                json={
                    "registered_count": 1000,
                    "tax_paying_count": 800,
                    "social_insurance_count": 700,
                },
                headers=city.headers,
            )
            body = (
                await city.client.get(
                    f"/regions/{city.ids['南关区']}/baselines/{year}", headers=city.headers
                )
            ).json()
            assert body["baseline"] == expected, year

    async def test_cross_check_counts_cannot_exceed_registered(self, city: City) -> None:
        response = await city.client.put(
            f"/regions/{city.ids['南关区']}/baselines/2025",
            json={"registered_count": 10, "tax_paying_count": 11, "social_insurance_count": 1},
            headers=city.headers,
        )
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "cross_check_exceeds_registered"

    async def test_invalid_policy_value_is_refused(self, city: City) -> None:
        response = await city.client.put(
            "/policy-parameters/recognition_rate",
            json={"value": 3, "valid_from": "2025-01-01"},
            headers=city.headers,
        )
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "invalid_policy_value"


class TestSnapshotsBulletinsInspections:
    async def test_rule_monthly_statistics_are_frozen_once(self, city: City) -> None:
        first = await city.client.post("/coverage/snapshots/2025-05", headers=city.headers)
        assert first.status_code == 200, first.text
        assert first.json()["created"] is True
        # a later change to history does not move a frozen month
        await city.assign("T7", "instructor", "2025-05-10")
        second = await city.client.post("/coverage/snapshots/2025-05", headers=city.headers)
        assert second.json()["created"] is False
        assert second.json()["rows"] == first.json()["rows"]
        assert second.json()["frozen_at"] == first.json()["frozen_at"]
        rows = {(r["dimension"], r["name"]): figures(r) for r in first.json()["rows"]}
        # as of 2025-05-31: like D3 (T4 becomes own on 05-15, D支部 gone since 05-01)
        assert rows[("region", "南关区")] == EXPECTED[D3]["南关区"]
        assert rows[("region", "二道区")] == EXPECTED[D3]["二道区"]
        assert rows[("park", "高新园")] == EXPECTED_PARK[D3]

    async def test_month_not_over_cannot_be_frozen(self, city: City) -> None:
        month = date.today().strftime("%Y-%m")
        response = await city.client.post(f"/coverage/snapshots/{month}", headers=city.headers)
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "month_not_over"

    async def test_rule_quarterly_bulletin_ranks_and_shows_doubling(self, city: City) -> None:
        response = await city.client.get("/coverage/bulletins/2025/2", headers=city.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["as_of"] == "2025-06-30"
        assert body["provisional"] is False
        rows = {r["name"]: r for r in body["rows"] if r["now"]["targets"]}
        nanguan, erdao = rows["南关区"], rows["二道区"]
        assert (nanguan["rank"], erdao["rank"]) == (1, 2)
        # 南关区: organizational coverage 3 → 6 a year later (T4, T5, T6 added): doubled
        assert (nanguan["year_before"]["organizational"], nanguan["now"]["organizational"]) == (
            3,
            6,
        )
        assert nanguan["organizational_growth"] == 1.0
        assert nanguan["organizational_doubled"] is True
        # 二道区: 1 → 1 (T9 lost when D支部 dissolved, T8 gained by dispatch)
        assert erdao["organizational_growth"] == 0.0
        assert erdao["organizational_doubled"] is False

    async def test_rule_half_year_inspection_lists_uncovered_with_responsible(
        self, city: City
    ) -> None:
        response = await city.client.get(
            "/coverage/inspections/2025/1", params={"limit": 1}, headers=city.headers
        )
        assert response.status_code == 200, response.text
        first = response.json()
        rest = await city.client.get(
            "/coverage/inspections/2025/1",
            params={"limit": 1, "after": first["next_cursor"]},
            headers=city.headers,
        )
        items = first["items"] + rest.json()["items"]
        assert rest.json()["next_cursor"] is None
        assert sorted(i["name"] for i in items) == ["T7", "T9"]
        by_target = {i["name"]: i for i in items}
        assert by_target["T9"]["district"] == "二道区"
        assert by_target["T9"]["working_committee"] == "二道区党工委"


async def test_bad_period_codes(city: City) -> None:
    bad_quarter = await city.client.get("/coverage/bulletins/2025/5", headers=city.headers)
    assert bad_quarter.status_code == 422
    assert bad_quarter.json()["error"]["details"][0]["loc"] == ["path", "quarter"]
    bad_half = await city.client.get("/coverage/inspections/2025/3", headers=city.headers)
    assert bad_half.json()["error"]["details"][0]["loc"] == ["path", "half"]
    bad_year = await city.client.get("/coverage/bulletins/1/1", headers=city.headers)
    assert bad_year.json()["error"]["details"][0]["loc"] == ["path", "year"]
    bad_month = await city.client.post("/coverage/snapshots/2025-13", headers=city.headers)
    assert bad_month.json()["error"]["code"] == "invalid_month"


async def test_rule_coverage_of_several_regions_at_once(
    city: City, test_issuer: TestIssuer
) -> None:
    ids = ",".join(str(city.ids[n]) for n in ("南关区", "二道区", "长春市"))
    response = await city.client.get(
        "/coverage/regions", params={"ids": ids, "as_of": D3}, headers=city.headers
    )
    assert response.status_code == 200, response.text
    rows = {r["name"]: figures(r) for r in response.json()}
    assert rows["南关区"] == EXPECTED[D3]["南关区"]
    assert rows["二道区"] == EXPECTED[D3]["二道区"]
    assert rows["长春市"][0] == 10
    district = test_issuer.headers(
        subject="admin.nanguan",
        roles=["district_admin"],
        scopes=["org:read"],
        region_id=city.ids["南关区"],
    )
    response = await city.client.get(
        "/coverage/regions", params={"ids": ids, "as_of": D3}, headers=district
    )
    assert [r["name"] for r in response.json()] == ["南关区"]
