"""Helpers for the tests of places, work targets, venues and responsibility: a small city
with parks, buildings, organizations founded in 2018 and registered enterprises."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from org_service.work_targets.credit_code import check_character
from service_kit.testing import TestIssuer

from .conftest import Tree

FOUNDED = "2018-01-01"


def credit_code(n: int, area: str = "220102") -> str:
    """A valid enterprise credit code (market regulation, area code `area`), number n."""
    first17 = f"91{area}MA{n:07d}"
    return first17 + check_character(first17)


class World:
    """The tree fixture's city, with 二道区, a sub-district, places, organizations and targets."""

    def __init__(self, tree: Tree) -> None:
        self.tree = tree
        self.client = tree.client
        self.headers = tree.headers
        self.ids = tree.ids
        self.codes: dict[str, str] = {}
        self._next_code = 1

    async def setup(self) -> World:
        await self.tree.region("二道区", "district", "长春市", district_class="urban")
        await self.tree.region("南岭街道", "sub_district", "南关区")
        await self.place("北湖科技园", "park", "南关区", level="national")
        await self.place("高新文化创意园", "park", "南关区", level="municipal")
        await self.place("红旗商圈", "business_district", "南关区")
        await self.place("中天大厦", "building", "南岭街道", parent="红旗商圈")
        await self.place("同心港", "business_district", "二道区")
        # organizations founded in 2018, so that coverage can start in the past
        await self.org("南关区工委2018", "working_committee", "南关区", subkind="district")
        await self.org("二道区工委2018", "working_committee", "二道区", subkind="district")
        await self.org("盈科律所支部", "branch", "南关区", "南关区工委2018")
        await self.org(
            "红旗商圈联合支部",
            "branch",
            "南关区",
            "南关区工委2018",
            formation="joint",
            joint_mode="area",
        )
        await self.org(
            "红旗商圈功能型支部", "branch", "南关区", "南关区工委2018", formation="dispatched"
        )
        await self.org("汇通驾校支部", "branch", "二道区", "二道区工委2018")
        await self.target("盈科律师事务所", "南关区", kind="social_organization", industry="law")
        await self.target("中天物业", "南岭街道", place="中天大厦", industry="property_services")
        await self.target("北湖网络", "南关区", place="北湖科技园", industry="internet")
        await self.target("汇通驾校", "二道区", area="220105", place="同心港")
        return self

    async def place(
        self, name: str, kind: str, region: str, parent: str | None = None, **extra: Any
    ) -> uuid.UUID:
        body: dict[str, Any] = {"name": name, "kind": kind, "region_id": str(self.ids[region])}
        if parent:
            body["parent_place_id"] = str(self.ids[parent])
        response = await self.client.post("/places", json={**body, **extra}, headers=self.headers)
        assert response.status_code == 201, response.text
        self.ids[name] = uuid.UUID(response.json()["id"])
        return self.ids[name]

    async def org(
        self, name: str, kind: str, region: str, parent: str | None = None, **extra: Any
    ) -> uuid.UUID:
        return await self.tree.org(name, kind, region, parent, founded_on=FOUNDED, **extra)

    async def target(
        self,
        name: str,
        region: str,
        *,
        area: str = "220102",
        place: str | None = None,
        **extra: Any,
    ) -> uuid.UUID:
        code = credit_code(self._next_code, area)
        self._next_code += 1
        body: dict[str, Any] = {
            "credit_code": code,
            "name": name,
            "kind": "enterprise",
            "industry": "other",
            "region_id": str(self.ids[region]),
            "registered_on": FOUNDED,
            **extra,
        }
        if place:
            body["place_id"] = str(self.ids[place])
        response = await self.client.post("/work-targets", json=body, headers=self.headers)
        assert response.status_code == 201, response.text
        self.ids[name] = uuid.UUID(response.json()["id"])
        self.codes[name] = code
        return self.ids[name]

    async def cover(
        self, target: str, org: str, mode: str, valid_from: str, **extra: Any
    ) -> httpx.Response:
        return await self.client.post(
            f"/work-targets/{self.ids[target]}/coverage",
            json={
                "organization_id": str(self.ids[org]),
                "mode": mode,
                "valid_from": valid_from,
                **extra,
            },
            headers=self.headers,
        )

    def name_of(self, some_id: str) -> str:
        return next(k for k, v in self.ids.items() if str(v) == some_id)

    def names(self, page: dict[str, Any]) -> set[str]:
        return {self.name_of(item["id"]) for item in page["items"]}


def district_admin(issuer: TestIssuer, world: World, district: str) -> dict[str, str]:
    return issuer.headers(
        subject=f"admin.{district}",
        roles=["district_admin"],
        scopes=["org:read", "org:write"],
        region_id=world.ids[district],
    )


async def db_rows(url: str, sql: str, **params: Any) -> list[Any]:
    """Rows straight from the database, to see what a request did (or did not) write."""
    engine = create_async_engine(url.replace("postgresql://", "postgresql+asyncpg://"))
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(text(sql), params)).all())
    finally:
        await engine.dispose()


async def count(url: str, table: str) -> int:
    return int((await db_rows(url, f"SELECT count(*) FROM {table}"))[0][0])  # noqa: S608
