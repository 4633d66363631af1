"""GraphQL over org-service: root fields, connections, DataLoader batching, errors."""

from __future__ import annotations

import uuid

import demo_data

from .conftest import GatewayStack

ORG_FIELDS = "id name kind subkind formation isFunctionalBranch depth"


class TestOrganizationQueries:
    async def test_organization_by_id_with_links(self, gateway_stack: GatewayStack) -> None:
        token = await gateway_stack.token("admin.city")
        branch = demo_data.organization_id(demo_data.DEMO_BRANCH)
        body = await gateway_stack.graphql(
            """query($id: ID!) { organization(id: $id) {
                 name kind parent { name } industryCommittee { name }
                 region { name parent { name } }
               } }""",
            token,
            {"id": str(branch)},
        )
        assert body.get("errors") is None
        org = body["data"]["organization"]  # type: ignore[index]
        assert org["name"] == demo_data.DEMO_BRANCH
        assert org["kind"] == "BRANCH"
        assert org["parent"]["name"] == "星火源综合党委"
        assert org["industryCommittee"]["name"] == "律师行业党委"
        assert org["region"] == {"name": "南关区", "parent": {"name": "长春市"}}

    async def test_unknown_id_is_null(self, gateway_stack: GatewayStack) -> None:
        token = await gateway_stack.token("admin.city")
        body = await gateway_stack.graphql(
            "query($id: ID!) { organization(id: $id) { name } }", token, {"id": str(uuid.uuid4())}
        )
        assert body == {"data": {"organization": None}}

    async def test_malformed_id_has_code(self, gateway_stack: GatewayStack) -> None:
        token = await gateway_stack.token("admin.city")
        body = await gateway_stack.graphql('{ organization(id: "nope") { name } }', token)
        assert body["errors"][0]["extensions"]["code"] == "invalid_id"  # type: ignore[index]

    async def test_connection_pages_through_everything(self, gateway_stack: GatewayStack) -> None:
        token = await gateway_stack.token("admin.city")
        names: list[str] = []
        after = None
        while True:
            body = await gateway_stack.graphql(
                """query($after: String) { organizations(first: 10, after: $after) {
                     edges { cursor node { name } } pageInfo { hasNextPage endCursor } } }""",
                token,
                {"after": after},
            )
            conn = body["data"]["organizations"]  # type: ignore[index]
            names += [e["node"]["name"] for e in conn["edges"]]
            if not conn["pageInfo"]["hasNextPage"]:
                break
            after = conn["pageInfo"]["endCursor"]
        assert len(names) == len(set(names))
        assert {o.name for o in demo_data.ORGANIZATIONS} <= set(names)

    async def test_first_over_maximum_is_refused(self, gateway_stack: GatewayStack) -> None:
        token = await gateway_stack.token("admin.city")
        body = await gateway_stack.graphql("{ organizations(first: 500) { nodes { id } } }", token)
        assert body["errors"][0]["extensions"]["code"] == "page_size_too_large"  # type: ignore[index]

    async def test_secretary_sees_own_branch_and_the_chain_above(
        self, gateway_stack: GatewayStack
    ) -> None:
        token = await gateway_stack.token("secretary.demo")
        body = await gateway_stack.graphql(
            "{ me { roles organization { name } } organizations { nodes { name } } }", token
        )
        data = body["data"]
        assert data["me"] == {  # type: ignore[index]
            "roles": ["secretary"],
            "organization": {"name": demo_data.DEMO_BRANCH},
        }
        # the branch itself and the committees above it, nothing beside it
        assert [n["name"] for n in data["organizations"]["nodes"]] == [  # type: ignore[index]
            demo_data.CITY_COMMITTEE,
            "南关区非公有制经济组织和社会组织党工委",
            "星火源综合党委",
            demo_data.DEMO_BRANCH,
        ]


class TestBatching:
    async def test_hundred_organizations_make_a_fixed_number_of_calls(
        self, gateway_stack: GatewayStack
    ) -> None:
        token = await gateway_stack.token("admin.city")
        region = str(demo_data.region_id("二道区"))
        line = str(demo_data.organization_id("物流行业党委"))
        created = await gateway_stack.graphql(
            """mutation($input: CreateOrganizationInput!) {
                 createOrganization(input: $input) { id } }""",
            token,
            {
                "input": {
                    "name": "二道区物流园综合党委",
                    "kind": "PARTY_COMMITTEE",
                    "subkind": "COMPREHENSIVE",
                    "regionId": region,
                    "parentId": str(
                        demo_data.organization_id("二道区非公有制经济组织和社会组织党工委")
                    ),
                }
            },
        )
        parent = created["data"]["createOrganization"]["id"]  # type: ignore[index]
        for i in range(100):
            body = await gateway_stack.graphql(
                """mutation($input: CreateOrganizationInput!) {
                     createOrganization(input: $input) { id } }""",
                token,
                {
                    "input": {
                        "name": f"物流企业{i:03d}党支部",
                        "kind": "BRANCH",
                        "regionId": region,
                        "parentId": parent,
                        "industryCommitteeId": line,
                    }
                },
            )
            assert body.get("errors") is None, body
        before = await gateway_stack.org_requests()
        body = await gateway_stack.graphql(
            """query($p: ID!) { organizations(first: 200, parentId: $p) { nodes {
                 name parent { name region { name } } industryCommittee { name } region { name }
               } } }""",
            token,
            {"p": parent},
        )
        after = await gateway_stack.org_requests()
        nodes = body["data"]["organizations"]["nodes"]  # type: ignore[index]
        assert len(nodes) == 100
        assert all(n["parent"]["name"] == "二道区物流园综合党委" for n in nodes)
        # one list call, one batch of organizations (parents and industry lines),
        # one batch of regions (of the branches and of their parent): three, not 300.
        assert after - before == 3


class TestErrors:
    async def test_no_token_is_401(self, gateway_stack: GatewayStack) -> None:
        response = await gateway_stack.client.post("/graphql", json={"query": "{ me { subject } }"})
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"

    async def test_garbage_token_is_401(self, gateway_stack: GatewayStack) -> None:
        response = await gateway_stack.client.post(
            "/graphql",
            json={"query": "{ me { subject } }"},
            headers={"Authorization": "Bearer not.a.token"},
        )
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_token"

    async def test_service_error_code_reaches_the_client(self, gateway_stack: GatewayStack) -> None:
        token = await gateway_stack.token("admin.city")
        body = await gateway_stack.graphql(
            """mutation($input: CreateOrganizationInput!) {
                 createOrganization(input: $input) { id } }""",
            token,
            {
                "input": {
                    "name": "错误",
                    "kind": "BRANCH",
                    "regionId": str(demo_data.region_id("南关区")),
                    "parentId": str(demo_data.organization_id(demo_data.DEMO_BRANCH)),
                }
            },
        )
        error = body["errors"][0]  # type: ignore[index]
        assert error["extensions"]["code"] == "invalid_parent_kind"
        assert error["extensions"]["service"] == "org-service"

    async def test_member_cannot_create_organizations(self, gateway_stack: GatewayStack) -> None:
        token = await gateway_stack.token("member.demo")
        body = await gateway_stack.graphql(
            """mutation($input: CreateOrganizationInput!) {
                 createOrganization(input: $input) { id } }""",
            token,
            {
                "input": {
                    "name": "x",
                    "kind": "BRANCH",
                    "regionId": str(demo_data.region_id("南关区")),
                }
            },
        )
        assert body["errors"][0]["extensions"]["code"] == "insufficient_scope"  # type: ignore[index]

    async def test_invalid_query_has_validation_code(self, gateway_stack: GatewayStack) -> None:
        token = await gateway_stack.token("admin.city")
        body = await gateway_stack.graphql("{ noSuchField }", token)
        assert body["errors"][0]["extensions"]["code"] == "graphql_validation_failed"  # type: ignore[index]
