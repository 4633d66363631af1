"""Helpers for tests that walk members through the pipeline: steps, admissions, quotas."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx

from .conftest import City, Members, error_code

TODAY = date.today()


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


async def step(
    client: httpx.AsyncClient, city: City, member: dict[str, Any], **body: Any
) -> httpx.Response:
    headers = body.pop("headers", None) or city.admin()
    payload = {k: str(v) if isinstance(v, date) else v for k, v in body.items()}
    return await client.post(
        f"/members/{member['id']}/stage-changes", json=payload, headers=headers
    )


def refusal(response: httpx.Response, code: str) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    assert error_code(response) == code
    details: dict[str, Any] = response.json()["error"]["details"]
    return details


async def allocate(client: httpx.AsyncClient, city: City, region: str, allocated: int) -> None:
    response = await client.put(
        f"/development-quotas/{TODAY.year}/{city[region]}",
        json={"allocated": allocated},
        headers=city.admin(),
    )
    assert response.status_code == 200, response.text


async def intensive_training(
    client: httpx.AsyncClient, city: City, member: dict[str, Any], ended: date, days: int = 3
) -> None:
    response = await client.post(
        f"/members/{member['id']}/trainings",
        json={
            "kind": "intensive",
            "title": "发展对象集中培训",
            "started_on": str(ended - timedelta(days=days - 1)),
            "ended_on": str(ended),
            "days": days,
            "class_hours": 8 * days,
        },
        headers=city.admin(),
    )
    assert response.status_code == 201, response.text


async def admission_ready(
    client: httpx.AsyncClient, city: City, members: Members, organization: str = "盈科律所党支部"
) -> tuple[dict[str, Any], list[str]]:
    """A development target with training done, two full-member introducers, and a quota."""
    candidate = await members.at_stage("development_target", organization)
    introducers = [
        (await members.full_member(organization, name=f"介绍人{i}"))["id"] for i in range(2)
    ]
    await intensive_training(client, city, candidate, ago(20))
    await allocate(client, city, "南关区", 5)
    return candidate, introducers


def admission(introducers: list[str], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "to_stage": "probationary_member",
        "effective_on": TODAY,
        "introducer_ids": introducers,
        "public_notice_started_on": ago(14),
        "branch_meeting": {"entitled_voters": 9, "present_voters": 7, "votes_for": 6},
    }
    body.update(overrides)
    return body
