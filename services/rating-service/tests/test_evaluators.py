"""The evaluator registry: owners of work targets and employees registered as masses."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from .conftest import City, Tokens, new_city, refused


@pytest.fixture(scope="module")
async def city(services: Any, rating: httpx.AsyncClient, tokens: Tokens) -> City:
    city = await new_city(services, rating, tokens)
    await city.organization("支部A", "branch", "南关区", "星火源综合党委")
    await city.organization("支部B", "branch", "南关区", "星火源综合党委")
    await city.work_target("汇通驾校", "南关区")
    return city


async def register(
    city: City, headers: dict[str, str] | None = None, **body: Any
) -> httpx.Response:
    body.setdefault("name", "某员工")
    return await city.rating.post("/evaluators", json=body, headers=headers or city.admin)


async def test_rule_an_owner_is_registered_for_a_work_target_that_exists(city: City) -> None:
    common = {
        "kind": "owner",
        "account": "owner.huitong",
        "organization_id": str(city.ids["支部A"]),
    }
    assert refused(await register(city, **common), 422, "owner_needs_work_target")
    unknown = await register(city, **common, work_target_id=str(uuid.uuid4()))
    assert refused(unknown, 422, "work_target_not_found")
    ok = await register(city, **common, work_target_id=str(city.ids["汇通驾校"]))
    assert ok.status_code == 201, ok.text
    assert ok.json()["valid_until"] is None


async def test_rule_one_open_registration_per_account_kind_and_organization(city: City) -> None:
    body = {"kind": "masses", "account": "staff.1", "organization_id": str(city.ids["支部A"])}
    first = await register(city, **body)
    assert first.status_code == 201, first.text
    assert refused(await register(city, **body), 409, "evaluator_already_registered")
    other_org = await register(city, **{**body, "organization_id": str(city.ids["支部B"])})
    assert other_org.status_code == 201
    ended = await city.rating.post(
        f"/evaluators/{first.json()['id']}/end",
        json={"valid_until": "2099-01-01"},
        headers=city.admin,
    )
    assert ended.status_code == 200, ended.text
    again = await city.rating.post(
        f"/evaluators/{first.json()['id']}/end",
        json={"valid_until": "2099-02-01"},
        headers=city.admin,
    )
    assert refused(again, 409, "registration_ended")
    assert (await register(city, **body)).status_code == 201


async def test_rule_a_secretary_registers_masses_for_their_own_subtree(
    city: City, tokens: Tokens
) -> None:
    secretary = tokens.secretary(city.ids["支部A"])
    own = await register(
        city, secretary, kind="masses", account="staff.2", organization_id=str(city.ids["支部A"])
    )
    assert own.status_code == 201, own.text
    other = await register(
        city, secretary, kind="masses", account="staff.3", organization_id=str(city.ids["支部B"])
    )
    assert refused(other, 403, "outside_your_scope")
    listed = await city.rating.get("/evaluators", params={"limit": 200}, headers=secretary)
    organizations = {i["organization_id"] for i in listed.json()["items"]}
    assert organizations == {str(city.ids["支部A"])}
    hidden = await city.rating.get(
        f"/evaluators/{own.json()['id']}", headers=tokens.secretary(city.ids["支部B"])
    )
    assert refused(hidden, 404, "evaluator_not_found")
    mine = await city.rating.get("/evaluators", headers=tokens.account("staff.2"))
    assert [i["account"] for i in mine.json()["items"]] == ["staff.2"]


async def test_rule_a_registration_ends_after_it_starts(city: City) -> None:
    response = await register(
        city,
        kind="masses",
        account="staff.4",
        organization_id=str(city.ids["支部A"]),
        valid_from="2025-06-01",
        valid_until="2025-05-01",
    )
    assert refused(response, 422, "end_before_start")
