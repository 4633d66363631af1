"""Transfers of the membership relation: initiate, accept or reject, receipt, expiry after 3 months;
dispatched members keep their home organization."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx

from member_service.temporal import add_months

from .conftest import City, Members, count, error_code, plain_url

TODAY = date.today()


async def initiate(
    client: httpx.AsyncClient, city: City, member: dict[str, Any], **body: Any
) -> httpx.Response:
    headers = body.pop("headers", None) or city.secretary("盈科律所党支部")
    payload = {"member_id": member["id"], **{k: str(v) for k, v in body.items()}}
    return await client.post("/transfers", json=payload, headers=headers)


async def events(url: str, event_type: str) -> list[dict[str, Any]]:
    connection = await asyncpg.connect(plain_url(url))
    try:
        rows = await connection.fetch(
            "SELECT data FROM outbox_event WHERE type = $1 ORDER BY seq", event_type
        )
    finally:
        await connection.close()
    return [json.loads(r["data"]) for r in rows]


class TestTransfer:
    async def test_initiate_accept_receipt(
        self, client: httpx.AsyncClient, city: City, members: Members, member_db_url: str
    ) -> None:
        member = await members.full_member()
        letter = await initiate(client, city, member, to_organization_id=city["同心港企业党支部"])
        assert letter.status_code == 201, letter.text
        transfer = letter.json()
        assert transfer["status"] == "pending"
        assert transfer["expires_on"] == str(add_months(TODAY, 3))
        receiving = city.secretary("同心港企业党支部", subject="secretary.tongxin")
        sending = city.secretary("盈科律所党支部")
        not_theirs = await client.post(
            f"/transfers/{transfer['id']}/accept", json={}, headers=sending
        )
        assert not_theirs.status_code == 403
        accepted = await client.post(
            f"/transfers/{transfer['id']}/accept", json={"note": "欢迎"}, headers=receiving
        )
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["status"] == "accepted"
        moved = await client.get(f"/members/{member['id']}", headers=receiving)
        assert moved.json()["organization_id"] == str(city["同心港企业党支部"])
        assert moved.json()["serving_organization_id"] == str(city["同心港企业党支部"])
        assert (await client.get(f"/members/{member['id']}", headers=sending)).status_code == 404
        receipt = await client.post(
            f"/transfers/{transfer['id']}/receipt", json={}, headers=city.admin()
        )
        assert receipt.json()["receipt_returned_on"] == str(TODAY)
        twice = await client.post(
            f"/transfers/{transfer['id']}/receipt", json={}, headers=city.admin()
        )
        assert twice.status_code == 409
        [event] = await events(member_db_url, "member.transferred")
        assert event == {
            "member_id": member["id"],
            "from_organization_id": str(city["盈科律所党支部"]),
            "to_organization_id": str(city["同心港企业党支部"]),
            "effective_on": str(TODAY),
            "stage": "full_member",
        }
        archive = await client.get(
            f"/members/{member['id']}/archive", params={"kind": "transfer"}, headers=city.admin()
        )
        assert archive.json()["items"][0]["payload"]["transfer_id"] == transfer["id"]
        counts = await client.get(
            "/member-counts",
            params={
                "organization_ids": f"{city['盈科律所党支部']},{city['同心港企业党支部']}",
            },
            headers=city.admin(),
        )
        assert [c["full_members"] for c in counts.json()["items"]] == [0, 1]

    async def test_rejected_transfer_leaves_the_member(
        self, client: httpx.AsyncClient, city: City, members: Members
    ) -> None:
        member = await members.full_member()
        transfer = (
            await initiate(client, city, member, to_organization_id=city["同心港企业党支部"])
        ).json()
        no_reason = await client.post(
            f"/transfers/{transfer['id']}/reject", json={}, headers=city.admin()
        )
        assert no_reason.status_code == 422
        rejected = await client.post(
            f"/transfers/{transfer['id']}/reject",
            json={"note": "非本单位职工"},
            headers=city.admin(),
        )
        assert rejected.json()["status"] == "rejected"
        again = await client.post(
            f"/transfers/{transfer['id']}/accept", json={}, headers=city.admin()
        )
        assert again.status_code == 409
        assert error_code(again) == "transfer_not_pending"
        stays = await client.get(f"/members/{member['id']}", headers=city.admin())
        assert stays.json()["organization_id"] == str(city["盈科律所党支部"])
        receipt = await client.post(
            f"/transfers/{transfer['id']}/receipt", json={}, headers=city.admin()
        )
        assert error_code(receipt) == "transfer_not_accepted"

    async def test_rule_transfer_to_an_unknown_organization(
        self, client: httpx.AsyncClient, city: City, members: Members, member_db_url: str
    ) -> None:
        member = await members.full_member()
        response = await initiate(client, city, member, to_organization_id=uuid.uuid4())
        assert response.status_code == 422
        assert error_code(response) == "transfer_destination_unknown"
        same = await initiate(client, city, member, to_organization_id=city["盈科律所党支部"])
        assert error_code(same) == "transfer_to_same_organization"
        neither = await initiate(client, city, member)
        assert error_code(neither) == "transfer_destination_required"
        assert await count(member_db_url, "member_transfer") == 0

    async def test_rule_transfer_needs_party_member(
        self, client: httpx.AsyncClient, city: City, members: Members
    ) -> None:
        activist = await members.at_stage("activist")
        response = await initiate(
            client, city, activist, to_organization_id=city["同心港企业党支部"]
        )
        assert response.status_code == 422
        assert error_code(response) == "transfer_needs_party_member"

    async def test_rule_one_pending_transfer_at_a_time(
        self, client: httpx.AsyncClient, city: City, members: Members
    ) -> None:
        member = await members.full_member()
        first = await initiate(client, city, member, to_organization_id=city["同心港企业党支部"])
        assert first.status_code == 201
        second = await initiate(client, city, member, to_organization_id=city["农安某企业党支部"])
        assert second.status_code == 409
        assert error_code(second) == "transfer_pending"
        assert second.json()["error"]["details"]["transfer_id"] == first.json()["id"]

    async def test_rule_transfer_letter_expires_after_three_months(
        self, client: httpx.AsyncClient, city: City, members: Members
    ) -> None:
        member = await members.full_member()
        issued = add_months(TODAY, -3)  # exactly three months ago: valid before today
        letter = await initiate(
            client,
            city,
            member,
            to_organization_id=city["同心港企业党支部"],
            initiated_on=issued,
        )
        assert letter.json()["status"] == "expired"
        accepted = await client.post(
            f"/transfers/{letter.json()['id']}/accept", json={}, headers=city.admin()
        )
        assert accepted.status_code == 409
        assert error_code(accepted) == "transfer_letter_expired"
        in_time = await client.post(
            f"/transfers/{letter.json()['id']}/accept",
            json={"decided_on": str(TODAY - timedelta(days=1))},
            headers=city.admin(),
        )
        assert in_time.status_code == 200, in_time.text
        other = await members.full_member(name="李四")
        stale = await initiate(
            client, city, other, to_organization_id=city["同心港企业党支部"], initiated_on=issued
        )
        listed = await client.get("/transfers", params={"status": "expired"}, headers=city.admin())
        assert [t["id"] for t in listed.json()["items"]] == [stale.json()["id"]]
        fresh = await initiate(client, city, other, to_organization_id=city["农安某企业党支部"])
        assert fresh.status_code == 201  # the expired letter no longer blocks a new one
        old = await client.get(f"/transfers/{stale.json()['id']}", headers=city.admin())
        assert old.json()["status"] == "expired"

    async def test_transfer_out_of_the_system_ends_the_record(
        self, client: httpx.AsyncClient, city: City, members: Members, member_db_url: str
    ) -> None:
        member = await members.full_member()
        letter = await initiate(client, city, member, destination_name="北京市某律所党支部")
        done = await client.post(
            f"/transfers/{letter.json()['id']}/accept",
            json={},
            headers=city.secretary("盈科律所党支部"),
        )
        assert done.status_code == 200, done.text
        record = (await client.get(f"/members/{member['id']}", headers=city.admin())).json()
        assert (record["stage"], record["ended_on"]) == ("transferred_out", str(TODAY))
        stage_events = await events(member_db_url, "member.stage.changed")
        assert stage_events[-1]["to_stage"] == "transferred_out"
        assert await events(member_db_url, "member.transferred") == []


class TestDispatch:
    async def test_dispatched_members_keep_their_home_organization(
        self, client: httpx.AsyncClient, city: City, members: Members
    ) -> None:
        member = await members.full_member()
        response = await client.put(
            f"/members/{member['id']}/serving-organization",
            json={"serving_organization_id": str(city["红旗商圈功能型党支部"])},
            headers=city.admin(),
        )
        assert response.status_code == 200, response.text
        record = response.json()
        assert record["organization_id"] == str(city["盈科律所党支部"])
        assert record["serving_organization_id"] == str(city["红旗商圈功能型党支部"])
        assert record["dispatched"] is True
        serving = await client.get(
            "/members",
            params={"serving_organization_id": str(city["红旗商圈功能型党支部"])},
            headers=city.secretary("红旗商圈功能型党支部", subject="secretary.hongqi"),
        )
        assert [m["id"] for m in serving.json()["items"]] == [member["id"]]
        home_counts = await client.get(
            "/member-counts",
            params={"organization_ids": f"{city['盈科律所党支部']},{city['红旗商圈功能型党支部']}"},
            headers=city.admin(),
        )
        assert [c["full_members"] for c in home_counts.json()["items"]] == [1, 0]
        cannot_change = await client.post(
            f"/members/{member['id']}/stage-changes",
            json={"to_stage": "left"},
            headers=city.secretary("红旗商圈功能型党支部", subject="secretary.hongqi"),
        )
        assert cannot_change.status_code == 403
