"""Organizations over HTTP: create, get, list in keyset pages, batch get, visibility, bad input."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from service_kit.testing import TestIssuer

from .conftest import Tree


class TestCreateOrganization:
    async def test_founds_branch_with_industry_line(self, tree: Tree) -> None:
        response = await tree.client.get(
            f"/organizations/{tree.ids['盈科律所党支部']}", headers=tree.headers
        )
        assert response.status_code == 200
        body = response.json()
        assert body["kind"] == "branch"
        assert body["parent_id"] == str(tree.ids["星火源综合党委"])
        assert body["industry_committee_id"] == str(tree.ids["律师行业党委"])
        assert body["depth"] == 4
        assert body["is_functional_branch"] is False

    async def test_dispatched_branch_is_functional_branch(self, tree: Tree) -> None:
        org_id = await tree.org(
            "红旗商圈功能型党支部", "branch", "南关区", "南关区党工委", formation="dispatched"
        )
        body = (await tree.client.get(f"/organizations/{org_id}", headers=tree.headers)).json()
        assert body["is_functional_branch"] is True

    async def test_branch_cannot_be_parent(self, tree: Tree) -> None:
        response = await tree.client.post(
            "/organizations",
            json={
                "name": "错误支部",
                "kind": "branch",
                "region_id": str(tree.ids["南关区"]),
                "parent_id": str(tree.ids["盈科律所党支部"]),
            },
            headers=tree.headers,
        )
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "invalid_parent_kind"

    async def test_industry_line_must_name_industry_committee(self, tree: Tree) -> None:
        response = await tree.client.post(
            "/organizations",
            json={
                "name": "某支部",
                "kind": "branch",
                "region_id": str(tree.ids["南关区"]),
                "parent_id": str(tree.ids["星火源综合党委"]),
                "industry_committee_id": str(tree.ids["南关区党工委"]),
            },
            headers=tree.headers,
        )
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "invalid_industry_line"

    async def test_joint_needs_joint_mode(self, tree: Tree) -> None:
        response = await tree.client.post(
            "/organizations",
            json={
                "name": "联合支部",
                "kind": "branch",
                "formation": "joint",
                "region_id": str(tree.ids["南关区"]),
                "parent_id": str(tree.ids["南关区党工委"]),
            },
            headers=tree.headers,
        )
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "invalid_joint_mode"

    async def test_unknown_enum_value_is_validation_error(self, tree: Tree) -> None:
        response = await tree.client.post(
            "/organizations",
            json={"name": "x", "kind": "cell", "region_id": str(tree.ids["南关区"])},
            headers=tree.headers,
        )
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        assert error["details"][0]["loc"] == ["body", "kind"]

    async def test_malformed_json_writes_nothing(self, tree: Tree, org_db_url: str) -> None:
        before = await _count(org_db_url, "organization")
        response = await tree.client.post(
            "/organizations",
            content=b'{"name": "x", "kind": ',
            headers={**tree.headers, "content-type": "application/json"},
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "malformed_json"
        assert await _count(org_db_url, "organization") == before

    async def test_wrong_type_is_validation_error(self, tree: Tree) -> None:
        response = await tree.client.post(
            "/organizations",
            json={"name": 12, "kind": "branch", "region_id": "not-a-uuid"},
            headers=tree.headers,
        )
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "validation_error"

    async def test_create_writes_audit_and_outbox_in_same_transaction(
        self, tree: Tree, org_db_url: str
    ) -> None:
        org_id = tree.ids["盈科律所党支部"]
        engine = create_async_engine(org_db_url.replace("postgresql://", "postgresql+asyncpg://"))
        async with engine.connect() as conn:
            audit = (
                await conn.execute(
                    text("SELECT actor, action FROM audit_record WHERE entity_id = :id"),
                    {"id": str(org_id)},
                )
            ).all()
            events = (
                await conn.execute(
                    text("SELECT type FROM outbox_event WHERE subject = :id"), {"id": str(org_id)}
                )
            ).all()
        await engine.dispose()
        assert audit == [("admin.city", "organization.create")]
        assert events == [("org.organization.changed",)]

    async def test_rule_failure_writes_nothing(self, tree: Tree, org_db_url: str) -> None:
        before = await _count(org_db_url, "audit_record")
        response = await tree.client.post(
            "/organizations",
            json={
                "name": "x",
                "kind": "general_branch",
                "region_id": str(tree.ids["南关区"]),
            },
            headers=tree.headers,
        )
        assert response.status_code == 422
        assert await _count(org_db_url, "audit_record") == before


class TestListOrganizations:
    async def test_keyset_pages_cover_everything_once(self, tree: Tree) -> None:
        seen: list[str] = []
        after = None
        while True:
            params = {"limit": 3, **({"after": after} if after else {})}
            page = (
                await tree.client.get("/organizations", params=params, headers=tree.headers)
            ).json()
            seen += [item["id"] for item in page["items"]]
            assert len(page["cursors"]) == len(page["items"])
            after = page["next_cursor"]
            if after is None:
                break
        assert sorted(seen) == sorted(str(v) for k, v in tree.ids.items() if "党" in k)
        assert len(seen) == len(set(seen))

    async def test_page_size_over_maximum_is_refused(self, tree: Tree) -> None:
        response = await tree.client.get(
            "/organizations", params={"limit": 201}, headers=tree.headers
        )
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "page_size_too_large"

    async def test_bad_cursor_is_refused(self, tree: Tree) -> None:
        response = await tree.client.get(
            "/organizations", params={"after": "garbage!"}, headers=tree.headers
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_cursor"

    async def test_subtree_filter_under(self, tree: Tree) -> None:
        page = (
            await tree.client.get(
                "/organizations",
                params={"under": str(tree.ids["南关区党工委"])},
                headers=tree.headers,
            )
        ).json()
        names = {tree_name(tree, item["id"]) for item in page["items"]}
        assert names == {"南关区党工委", "星火源综合党委", "盈科律所党支部"}

    async def test_batch_get_leaves_out_unknown_ids(self, tree: Tree) -> None:
        wanted = [tree.ids["盈科律所党支部"], tree.ids["市党工委"], uuid.uuid4()]
        page = (
            await tree.client.get(
                "/organizations",
                params={"ids": ",".join(str(i) for i in wanted)},
                headers=tree.headers,
            )
        ).json()
        assert {item["id"] for item in page["items"]} == {str(i) for i in wanted[:2]}

    async def test_batch_get_bad_id(self, tree: Tree) -> None:
        response = await tree.client.get(
            "/organizations", params={"ids": "abc"}, headers=tree.headers
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_id"


class TestVisibility:
    async def test_district_admin_sees_only_district(
        self, tree: Tree, test_issuer: TestIssuer
    ) -> None:
        headers = test_issuer.headers(
            subject="admin.nanguan",
            roles=["district_admin"],
            scopes=["org:read"],
            region_id=tree.ids["南关区"],
        )
        page = (await tree.client.get("/organizations", headers=headers)).json()
        names = {tree_name(tree, item["id"]) for item in page["items"]}
        assert names == {"南关区党工委", "星火源综合党委", "盈科律所党支部"}

    async def test_hidden_organization_answers_404(
        self, tree: Tree, test_issuer: TestIssuer
    ) -> None:
        headers = test_issuer.headers(
            subject="secretary",
            roles=["secretary"],
            scopes=["org:read"],
            org_id=tree.ids["盈科律所党支部"],
        )
        response = await tree.client.get(
            f"/organizations/{tree.ids['农安某企业党支部']}", headers=headers
        )
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "organization_not_found"
        own = await tree.client.get(f"/organizations/{tree.ids['盈科律所党支部']}", headers=headers)
        assert own.status_code == 200

    async def test_secretary_sees_own_subtree_and_the_chain_above(
        self, tree: Tree, test_issuer: TestIssuer
    ) -> None:
        headers = test_issuer.headers(
            subject="secretary",
            roles=["secretary"],
            scopes=["org:read"],
            org_id=tree.ids["星火源综合党委"],
        )
        page = (await tree.client.get("/organizations", headers=headers)).json()
        names = [tree_name(tree, item["id"]) for item in page["items"]]
        # tree order: the chain from the root down, then the subtree
        assert names == ["市党工委", "南关区党工委", "星火源综合党委", "盈科律所党支部"]

    async def test_write_without_scope_is_403(self, tree: Tree, test_issuer: TestIssuer) -> None:
        headers = test_issuer.headers(subject="m", roles=["member"], scopes=["org:read"])
        response = await tree.client.post(
            "/organizations",
            json={"name": "x", "kind": "branch", "region_id": str(tree.ids["南关区"])},
            headers=headers,
        )
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "insufficient_scope"

    async def test_unknown_id_is_404(self, tree: Tree) -> None:
        response = await tree.client.get(f"/organizations/{uuid.uuid4()}", headers=tree.headers)
        assert response.status_code == 404


def tree_name(tree: Tree, org_id: str) -> str:
    return next(k for k, v in tree.ids.items() if str(v) == org_id)


async def _count(url: str, table: str) -> int:
    engine = create_async_engine(url.replace("postgresql://", "postgresql+asyncpg://"))
    async with engine.connect() as conn:
        value = (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()  # noqa: S608
    await engine.dispose()
    return int(value)


async def test_unknown_route_has_error_shape(org_client: httpx.AsyncClient) -> None:
    response = await org_client.get("/no-such-thing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
