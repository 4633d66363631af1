"""The development pipeline: one test per rule of DOMAIN.md "Members", each refusal naming the rule
and the first day the step becomes possible, nothing written when a step is refused."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from member_service.members.rules import RULES, probation_end
from member_service.temporal import add_years, after_working_days

from .conftest import City, Members, count, error_code, id_number
from .steps import admission, admission_ready, allocate, intensive_training, refusal, step

TODAY = date.today()


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def test_every_rule_has_a_test_named_after_it() -> None:
    here = Path(__file__).parent
    source = "".join(p.read_text(encoding="utf-8") for p in here.glob("test_*.py"))
    for rule in RULES:
        assert f"def test_rule_{rule.id}" in source, rule.id


async def test_rules_are_listed(client: httpx.AsyncClient, city: City) -> None:
    response = await client.get("/member-rules", headers=city.admin())
    assert {r["id"] for r in response.json()} == {r.id for r in RULES}


class TestRegistration:
    async def test_registers_an_applicant(
        self, members: Members, client: httpx.AsyncClient, city: City, member_db_url: str
    ) -> None:
        created = await members.create(applied_on=ago(3), headers=city.secretary("盈科律所党支部"))
        assert created["stage"] == "applicant"
        assert created["applied_on"] == str(ago(3))
        assert created["origin"] == "registered"
        assert created["organization_id"] == created["serving_organization_id"]
        archive = await client.get(f"/members/{created['id']}/archive", headers=city.admin())
        [entry] = archive.json()["items"]
        assert (entry["kind"], entry["payload"]["to_stage"]) == ("stage_change", "applicant")
        assert await count(member_db_url, "outbox_event", "type = 'member.stage.changed'") == 1
        assert await count(member_db_url, "audit_record", "action = 'member.register'") == 1

    async def test_rule_applicant_at_least_18(
        self, client: httpx.AsyncClient, city: City, member_db_url: str
    ) -> None:
        birth = add_years(TODAY, -18) + timedelta(days=10)
        response = await client.post(
            "/members",
            json={
                "name": "少年",
                "id_number": id_number(birth),
                "organization_id": str(city["盈科律所党支部"]),
            },
            headers=city.admin(),
        )
        details = refusal(response, "applicant_at_least_18")
        assert details["earliest_on"] == str(add_years(birth, 18))
        assert str(add_years(birth, 18)) in response.json()["error"]["message"]
        assert await count(member_db_url, "member") == 0
        assert await count(member_db_url, "archive_entry") == 0
        assert await count(member_db_url, "outbox_event") == 0

    async def test_rule_applicant_at_least_18_on_the_birthday(self, members: Members) -> None:
        birth = date(2000, 2, 29)
        created = await members.create(id_number=id_number(birth), applied_on=date(2018, 3, 1))
        assert created["stage"] == "applicant"

    async def test_outside_the_callers_organizations(
        self, client: httpx.AsyncClient, city: City
    ) -> None:
        response = await client.post(
            "/members",
            json={
                "name": "外人",
                "id_number": id_number(date(1990, 1, 1)),
                "organization_id": str(city["同心港企业党支部"]),
            },
            headers=city.secretary("盈科律所党支部"),
        )
        assert response.status_code == 403
        assert error_code(response) == "organization_outside_scope"

    async def test_unknown_organization(self, client: httpx.AsyncClient, city: City) -> None:
        response = await client.post(
            "/members",
            json={
                "name": "无组织",
                "id_number": id_number(date(1990, 1, 1)),
                "organization_id": str(uuid.uuid4()),
            },
            headers=city.admin(),
        )
        assert response.status_code == 422
        assert error_code(response) == "organization_not_found"

    async def test_employer_must_be_a_work_target(
        self, client: httpx.AsyncClient, city: City, members: Members
    ) -> None:
        created = await members.create(employer_id=city["盈科律师事务所"])
        assert created["employer_id"] == str(city["盈科律师事务所"])
        response = await client.post(
            "/members",
            json={
                "name": "无单位",
                "id_number": id_number(date(1990, 1, 1)),
                "organization_id": str(city["盈科律所党支部"]),
                "employer_id": str(uuid.uuid4()),
            },
            headers=city.admin(),
        )
        assert response.status_code == 422
        assert error_code(response) == "employer_not_found"

    async def test_bringing_in_a_record_needs_admin_and_every_stage_day(
        self, client: httpx.AsyncClient, city: City, members: Members
    ) -> None:
        body = {
            "name": "老党员",
            "id_number": id_number(date(1960, 1, 1)),
            "organization_id": str(city["盈科律所党支部"]),
            "stage": "full_member",
            "applied_on": "1990-01-01",
            "activist_on": "1990-06-01",
            "development_target_on": "1991-07-01",
            "admitted_on": "1991-09-01",
            "full_member_on": "1992-09-01",
        }
        secretary = await client.post(
            "/members", json=body, headers=city.secretary("盈科律所党支部")
        )
        assert secretary.status_code == 403
        missing = await client.post(
            "/members", json={**body, "activist_on": None}, headers=city.admin()
        )
        assert error_code(missing) == "stage_dates_invalid"
        too_soon = await client.post(
            "/members", json={**body, "full_member_on": "1992-08-31"}, headers=city.admin()
        )
        refusal(too_soon, "probation_one_year")
        created = await client.post("/members", json=body, headers=city.admin())
        assert created.status_code == 201, created.text
        record = created.json()
        assert (record["stage"], record["origin"]) == ("full_member", "imported")
        assert record["party_standing_since"] == "1992-09-01"
        history = await client.get(f"/members/{record['id']}/history", headers=city.admin())
        assert [v["stage"] for v in history.json()["versions"]] == [
            "applicant",
            "activist",
            "development_target",
            "probationary_member",
            "full_member",
        ]
        archive = await client.get(f"/members/{record['id']}/archive", headers=city.admin())
        assert len(archive.json()["items"]) == 5


class TestSteps:
    async def test_rule_stage_in_order(
        self, client: httpx.AsyncClient, city: City, members: Members, member_db_url: str
    ) -> None:
        applicant = await members.create(applied_on=ago(800))
        response = await step(client, city, applicant, to_stage="development_target")
        details = refusal(response, "stage_skipped")
        assert details["next_stage"] == "activist"
        assert "stage_in_order" in response.json()["error"]["message"]
        left = await step(client, city, applicant, to_stage="left", reason="本人申请撤回")
        assert left.json()["stage"] == "left"
        again = await step(client, city, applicant, to_stage="activist")
        refusal(again, "member_ended")
        assert await count(member_db_url, "archive_entry") == 2

    async def test_rule_activist_at_least_one_year(
        self, client: httpx.AsyncClient, city: City, members: Members, member_db_url: str
    ) -> None:
        applicant = await members.create(applied_on=ago(400))
        became = await step(client, city, applicant, to_stage="activist", effective_on=ago(200))
        assert became.json()["activist_on"] == str(ago(200))
        entries = await count(member_db_url, "archive_entry")
        response = await step(client, city, applicant, to_stage="development_target")
        details = refusal(response, "activist_at_least_one_year")
        assert details["earliest_on"] == str(add_years(ago(200), 1))
        assert await count(member_db_url, "archive_entry") == entries
        ok = await step(client, city, applicant, to_stage="development_target", effective_on=TODAY)
        assert ok.status_code == 422  # still less than a year today
        earlier = await members.at_stage("activist")
        assert (await step(client, city, earlier, to_stage="development_target")).status_code == 200

    async def test_rule_steps_in_date_order(
        self, client: httpx.AsyncClient, city: City, members: Members
    ) -> None:
        applicant = await members.create(applied_on=ago(30))
        response = await step(client, city, applicant, to_stage="activist", effective_on=ago(31))
        details = refusal(response, "effective_date_before_last_change")
        assert details["earliest_on"] == str(ago(30))
        future = await step(
            client, city, applicant, to_stage="activist", effective_on=TODAY + timedelta(days=1)
        )
        assert future.status_code == 422
        assert error_code(future) == "date_in_future"

    async def test_full_pipeline_publishes_every_step(
        self, client: httpx.AsyncClient, city: City, members: Members, member_db_url: str
    ) -> None:
        candidate, introducers = await admission_ready(client, city, members)
        admitted = await step(client, city, candidate, **admission(introducers))
        assert admitted.status_code == 200, admitted.text
        record = admitted.json()
        assert record["stage"] == "probationary_member"
        assert record["admitted_on"] == str(TODAY)
        assert record["probation_ends_on"] == str(add_years(TODAY, 1))
        assert record["party_standing_since"] is None
        events = await count(
            member_db_url,
            "outbox_event",
            f"type = 'member.stage.changed' AND subject = '{candidate['id']}' "
            "AND data->>'to_stage' = 'probationary_member' "
            "AND data->>'from_stage' = 'development_target'",
        )
        assert events == 1
        counts = await client.get(
            "/member-counts",
            params={"organization_ids": str(city["盈科律所党支部"])},
            headers=city.admin(),
        )
        assert counts.json()["items"] == [
            {
                "organization_id": str(city["盈科律所党支部"]),
                "full_members": 2,
                "probationary_members": 1,
            }
        ]
        yesterday = await client.get(
            "/member-counts",
            params={"organization_ids": str(city["盈科律所党支部"]), "as_of": str(ago(1))},
            headers=city.admin(),
        )
        assert yesterday.json()["items"][0]["probationary_members"] == 0
        quota = await client.get(
            f"/development-quotas/{TODAY.year}/{city['南关区']}", headers=city.admin()
        )
        assert (quota.json()["used"], quota.json()["remaining"]) == (1, 4)


class TestAdmission:
    async def test_rule_two_full_member_introducers(
        self, client: httpx.AsyncClient, city: City, members: Members, member_db_url: str
    ) -> None:
        candidate, introducers = await admission_ready(client, city, members)
        one = await step(client, city, candidate, **admission(introducers[:1]))
        refusal(one, "two_full_member_introducers")
        same_twice = await step(client, city, candidate, **admission([introducers[0]] * 2))
        refusal(same_twice, "two_full_member_introducers")
        themselves = await step(
            client, city, candidate, **admission([introducers[0], candidate["id"]])
        )
        refusal(themselves, "two_full_member_introducers")
        probationer = await members.at_stage("probationary_member")
        not_full = await step(
            client, city, candidate, **admission([introducers[0], probationer["id"]])
        )
        details = refusal(not_full, "two_full_member_introducers")
        assert details["introducer_ids"] == [probationer["id"]]
        assert await count(member_db_url, "admission") == 0
        assert await count(member_db_url, "quota_draw") == 0
        assert await count(member_db_url, "development_quota", "used > 0") == 0

    async def test_rule_intensive_training_before_admission(
        self, client: httpx.AsyncClient, city: City, members: Members
    ) -> None:
        candidate = await members.at_stage("development_target")
        introducers = [(await members.full_member(name=f"介绍人{i}"))["id"] for i in range(2)]
        await allocate(client, city, "南关区", 5)
        untrained = await step(client, city, candidate, **admission(introducers))
        details = refusal(untrained, "intensive_training_before_admission")
        assert details["earliest_on"] is None
        short = await client.post(
            f"/members/{candidate['id']}/trainings",
            json={
                "kind": "intensive",
                "title": "两天培训",
                "started_on": str(ago(10)),
                "ended_on": str(ago(9)),
                "class_hours": 16,
            },
            headers=city.admin(),
        )
        assert short.json()["days"] == 2
        still = await step(client, city, candidate, **admission(introducers))
        refusal(still, "intensive_training_before_admission")
        await intensive_training(client, city, candidate, TODAY, days=3)
        same_day = await step(client, city, candidate, **admission(introducers))
        assert refusal(same_day, "intensive_training_before_admission")["earliest_on"] == str(
            TODAY + timedelta(days=1)
        )
        hours = await client.post(
            f"/members/{candidate['id']}/trainings",
            json={
                "kind": "intensive",
                "title": "周末集中培训",
                "started_on": str(ago(6)),
                "ended_on": str(ago(5)),
                "class_hours": 24,
            },
            headers=city.admin(),
        )
        assert hours.status_code == 201
        ok = await step(client, city, candidate, **admission(introducers))
        assert ok.status_code == 200, ok.text

    async def test_rule_public_notice_five_working_days(
        self, client: httpx.AsyncClient, city: City, members: Members
    ) -> None:
        candidate, introducers = await admission_ready(client, city, members)
        started = ago(3)
        response = await step(
            client, city, candidate, **admission(introducers, public_notice_started_on=started)
        )
        details = refusal(response, "public_notice_five_working_days")
        assert details["earliest_on"] == str(after_working_days(started, 5, []))

    async def test_rule_public_notice_five_working_days_skips_holidays(
        self, client: httpx.AsyncClient, city: City, members: Members
    ) -> None:
        candidate, introducers = await admission_ready(client, city, members)
        # Find a start such that the notice, without holidays, ends exactly by today.
        start = TODAY - timedelta(days=1)
        while after_working_days(start, 5, []) > TODAY:
            start -= timedelta(days=1)
        holiday = next(
            start + timedelta(days=i)
            for i in range(10)
            if (start + timedelta(days=i)).weekday() < 5
        )
        set_holiday = await client.put(
            "/policy-parameters/public_holidays",
            json={"value": [str(holiday)], "valid_from": str(start - timedelta(days=30))},
            headers=city.admin(),
        )
        assert set_holiday.status_code == 200, set_holiday.text
        response = await step(
            client, city, candidate, **admission(introducers, public_notice_started_on=start)
        )
        details = refusal(response, "public_notice_five_working_days")
        assert details["earliest_on"] == str(after_working_days(start, 5, [holiday]))

    async def test_rule_branch_meeting_quorum(
        self, client: httpx.AsyncClient, city: City, members: Members
    ) -> None:
        candidate, introducers = await admission_ready(client, city, members)
        meeting = {"entitled_voters": 10, "present_voters": 5, "votes_for": 5}
        response = await step(
            client, city, candidate, **admission(introducers, branch_meeting=meeting)
        )
        details = refusal(response, "branch_meeting_quorum")
        assert details["earliest_on"] is None
        assert "6" in response.json()["error"]["message"]

    async def test_rule_branch_meeting_majority(
        self, client: httpx.AsyncClient, city: City, members: Members
    ) -> None:
        candidate, introducers = await admission_ready(client, city, members)
        meeting = {"entitled_voters": 10, "present_voters": 9, "votes_for": 5}
        response = await step(
            client, city, candidate, **admission(introducers, branch_meeting=meeting)
        )
        refusal(response, "branch_meeting_majority")
        impossible = {"entitled_voters": 10, "present_voters": 11, "votes_for": 5}
        response = await step(
            client, city, candidate, **admission(introducers, branch_meeting=impossible)
        )
        assert error_code(response) == "invalid_branch_meeting"
        passed = {"entitled_voters": 10, "present_voters": 9, "votes_for": 6}
        ok = await step(client, city, candidate, **admission(introducers, branch_meeting=passed))
        assert ok.status_code == 200

    async def test_admission_facts_are_required(
        self, client: httpx.AsyncClient, city: City, members: Members
    ) -> None:
        candidate = await members.at_stage("development_target")
        response = await step(client, city, candidate, to_stage="probationary_member")
        assert response.status_code == 422
        assert error_code(response) == "admission_facts_missing"
        assert set(response.json()["error"]["details"]["missing"]) == {
            "introducer_ids",
            "public_notice_started_on",
            "branch_meeting",
        }


class TestProbation:
    async def probationer(self, members: Members, admitted: date) -> dict[str, Any]:
        return await members.create(
            stage="probationary_member",
            applied_on=admitted - timedelta(days=900),
            activist_on=admitted - timedelta(days=800),
            development_target_on=admitted - timedelta(days=400),
            admitted_on=admitted,
        )

    async def test_rule_probation_one_year(
        self, client: httpx.AsyncClient, city: City, members: Members
    ) -> None:
        admitted = ago(200)
        member = await self.probationer(members, admitted)
        response = await step(client, city, member, to_stage="full_member")
        details = refusal(response, "probation_one_year")
        assert details["earliest_on"] == str(add_years(admitted, 1))
        ready = await self.probationer(members, ago(366))
        ok = await step(client, city, ready, to_stage="full_member")
        assert ok.json()["party_standing_since"] == str(TODAY)

    async def test_rule_probation_extended_once(
        self, client: httpx.AsyncClient, city: City, members: Members
    ) -> None:
        member = await self.probationer(members, ago(200))
        url = f"/members/{member['id']}/probation-extension"
        first = await client.post(url, json={"months": 6}, headers=city.admin())
        assert first.status_code == 200, first.text
        assert first.json()["probation_ends_on"] == str(probation_end(ago(200), 6))
        assert first.json()["probation_extended_months"] == 6
        second = await client.post(url, json={"months": 6}, headers=city.admin())
        refusal(second, "probation_extended_once")
        early = await step(client, city, member, to_stage="full_member")
        assert (
            refusal(early, "probation_one_year")["earliest_on"] == first.json()["probation_ends_on"]
        )

    async def test_rule_probation_extension_6_to_12_months(
        self, client: httpx.AsyncClient, city: City, members: Members
    ) -> None:
        member = await self.probationer(members, ago(200))
        url = f"/members/{member['id']}/probation-extension"
        for months in (5, 13):
            response = await client.post(url, json={"months": months}, headers=city.admin())
            refusal(response, "probation_extension_6_to_12_months")
        over = await self.probationer(members, ago(400))
        late = await client.post(
            f"/members/{over['id']}/probation-extension", json={"months": 6}, headers=city.admin()
        )
        refusal(late, "probation_extension_6_to_12_months")
        applicant = await members.create()
        wrong = await client.post(
            f"/members/{applicant['id']}/probation-extension",
            json={"months": 6},
            headers=city.admin(),
        )
        assert wrong.status_code == 409

    @pytest.mark.parametrize("ending", ["left", "deceased"])
    async def test_a_record_ends(
        self, client: httpx.AsyncClient, city: City, members: Members, ending: str
    ) -> None:
        member = await members.full_member()
        response = await step(client, city, member, to_stage=ending, reason="记录")
        assert response.json()["stage"] == ending
        assert response.json()["ended_on"] == str(TODAY)
        counts = await client.get(
            "/member-counts",
            params={"organization_ids": str(city["盈科律所党支部"])},
            headers=city.admin(),
        )
        assert counts.json()["items"][0]["full_members"] == 0
