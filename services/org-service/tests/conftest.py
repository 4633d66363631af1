"""org-service test fixtures: a migrated database, the app in process, tokens by role."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from org_service.main import MIGRATIONS_DIR, create_app
from org_service.settings import OrgSettings
from service_kit.testing import TestIssuer, app_client, migrated_database, truncate_all


@pytest.fixture(scope="session")
async def org_db_url(pg_server_url: str) -> str:
    return await migrated_database(pg_server_url, "org_test", MIGRATIONS_DIR)


def org_settings(db_url: str, issuer: TestIssuer, **overrides: Any) -> OrgSettings:
    return OrgSettings(
        environment="test",
        database_url=db_url,
        auth_issuer=issuer.issuer,
        auth_audience=issuer.audience,
        auth_jwks=issuer.jwks_json,
        relay_enabled=False,
        **overrides,
    )


@pytest.fixture
async def org_client(org_db_url: str, test_issuer: TestIssuer) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(org_settings(org_db_url, test_issuer), configure_logs=False)
    async with app_client(app) as client:
        yield client
    await truncate_all(org_db_url)


@pytest.fixture
def city_admin(test_issuer: TestIssuer) -> dict[str, str]:
    return test_issuer.headers(
        subject="admin.city",
        roles=["city_admin"],
        scopes=["org:read", "org:write", "org:admin"],
    )


TREE_FOUNDED = "2018-01-01"


class Tree:
    """A small city built through the API: city → two districts → committees → branches."""

    def __init__(self, client: httpx.AsyncClient, headers: dict[str, str]) -> None:
        self.client = client
        self.headers = headers
        self.ids: dict[str, uuid.UUID] = {}

    async def region(
        self, name: str, kind: str, parent: str | None = None, **extra: Any
    ) -> uuid.UUID:
        body = {"name": name, "kind": kind, **extra}
        if parent:
            body["parent_id"] = str(self.ids[parent])
        response = await self.client.post("/regions", json=body, headers=self.headers)
        assert response.status_code == 201, response.text
        self.ids[name] = uuid.UUID(response.json()["id"])
        return self.ids[name]

    async def org(
        self, name: str, kind: str, region: str, parent: str | None = None, **extra: Any
    ) -> uuid.UUID:
        # The fixture's structure predates every dated change a test makes.
        extra.setdefault("founded_on", TREE_FOUNDED)
        body = {"name": name, "kind": kind, "region_id": str(self.ids[region]), **extra}
        if parent:
            body["parent_id"] = str(self.ids[parent])
        response = await self.client.post("/organizations", json=body, headers=self.headers)
        assert response.status_code == 201, response.text
        self.ids[name] = uuid.UUID(response.json()["id"])
        return self.ids[name]


@pytest.fixture
async def tree(org_client: httpx.AsyncClient, city_admin: dict[str, str]) -> Tree:
    t = Tree(org_client, city_admin)
    await t.region("长春市", "city")
    await t.region("南关区", "district", "长春市", district_class="urban")
    await t.region("农安县", "county", "长春市", district_class="county")
    await t.org("市党工委", "working_committee", "长春市", subkind="city")
    await t.org("南关区党工委", "working_committee", "南关区", "市党工委", subkind="district")
    await t.org("农安县党工委", "working_committee", "农安县", "市党工委", subkind="district")
    await t.org("律师行业党委", "party_committee", "长春市", "市党工委", subkind="industry")
    await t.org(
        "星火源综合党委", "party_committee", "南关区", "南关区党工委", subkind="comprehensive"
    )
    await t.org(
        "盈科律所党支部",
        "branch",
        "南关区",
        "星火源综合党委",
        industry_committee_id=str(t.ids["律师行业党委"]),
    )
    await t.org("农安某企业党支部", "branch", "农安县", "农安县党工委")
    return t
