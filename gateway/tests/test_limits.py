"""Bad input and the request limits: always a GraphQL error with a code, never a 500."""

from __future__ import annotations

import time
from typing import Any

import httpx
from graphql import GraphQLError

import demo_data
from gateway.main import create_app as create_gateway
from gateway.persisted import query_hash
from gateway.schema.errors import shape
from gateway.upstream import UpstreamError
from service_kit.testing import app_client
from service_kit.tokens import SigningKey, mint_token

from .conftest import ISSUER, GatewayStack, gateway_settings
from .test_screens import HOME

BRANCH = str(demo_data.organization_id(demo_data.DEMO_BRANCH))


async def post(
    stack: GatewayStack, body: Any, token: str | None = None, **kwargs: Any
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await stack.client.post("/graphql", json=body, headers=headers, **kwargs)


def code(response: httpx.Response) -> str:
    assert response.status_code < 500, response.text
    body = response.json()
    assert "Traceback" not in response.text
    value: str = body["errors"][0]["extensions"]["code"]
    return value


class TestLimits:
    async def test_query_over_the_depth_limit(self, gateway_stack: GatewayStack) -> None:
        token = await gateway_stack.token("admin.city")
        deep = "{ organization(id: $id) " + "{ parent " * 12 + "{ name }" + " }" * 12 + " }"
        response = await post(
            gateway_stack, {"query": f"query($id: ID!) {deep}", "variables": {"id": BRANCH}}, token
        )
        assert code(response) == "query_too_deep"
        assert response.json().get("data") is None

    async def test_query_over_the_cost_limit(self, gateway_stack: GatewayStack) -> None:
        token = await gateway_stack.token("admin.city")
        query = """query($n: Int!) { organizations(first: $n) { nodes {
                     children(first: $n) { nodes { members(first: $n) { nodes {
                       name posts { kind } } } } } } } }"""
        fine = await post(gateway_stack, {"query": query, "variables": {"n": 5}}, token)
        assert fine.json().get("errors") is None, fine.text
        costly = await post(gateway_stack, {"query": query, "variables": {"n": 200}}, token)
        assert code(costly) == "query_too_costly"
        assert costly.json()["errors"][0]["extensions"]["cost"] > 50_000

    async def test_too_many_aliases(self, gateway_stack: GatewayStack) -> None:
        token = await gateway_stack.token("admin.city")
        aliases = " ".join(f"a{i}: me {{ subject }}" for i in range(31))
        response = await post(gateway_stack, {"query": f"{{ {aliases} }}"}, token)
        assert code(response) == "too_many_aliases"

    async def test_page_size_over_the_maximum(self, gateway_stack: GatewayStack) -> None:
        token = await gateway_stack.token("admin.city")
        response = await post(
            gateway_stack,
            {
                "query": "query($id: ID!) { organization(id: $id) { members(first: 201) "
                "{ nodes { name } } } }",
                "variables": {"id": BRANCH},
            },
            token,
        )
        assert code(response) == "page_size_too_large"

    async def test_request_over_the_size_limit(self, gateway_stack: GatewayStack) -> None:
        token = await gateway_stack.token("admin.city")
        padding = "#" + "x" * 70_000 + "\n"
        response = await post(gateway_stack, {"query": padding + "{ me { subject } }"}, token)
        assert response.status_code == 413
        assert code(response) == "request_too_large"

    async def test_too_many_tokens(self, gateway_stack: GatewayStack) -> None:
        token = await gateway_stack.token("admin.city")
        fields = " ".join(["subject"] * 6000)
        response = await post(gateway_stack, {"query": f"{{ me {{ {fields} }} }}"}, token)
        assert code(response) == "query_too_large"


class TestBadInput:
    async def test_unknown_field(self, gateway_stack: GatewayStack) -> None:
        token = await gateway_stack.token("admin.city")
        response = await post(gateway_stack, {"query": "{ me { password } }"}, token)
        assert response.status_code == 200
        assert code(response) == "graphql_validation_failed"

    async def test_wrong_variable_type(self, gateway_stack: GatewayStack) -> None:
        token = await gateway_stack.token("admin.city")
        response = await post(
            gateway_stack,
            {
                "query": "query($n: Int!) { organizations(first: $n) { nodes { name } } }",
                "variables": {"n": "many"},
            },
            token,
        )
        assert code(response) == "invalid_variables"
        bad_date = await post(
            gateway_stack,
            {
                "query": "query($d: Date) { coverage(asOf: $d) { total { targets } } }",
                "variables": {"d": "not-a-day"},
            },
            token,
        )
        assert code(bad_date) == "invalid_variables"

    async def test_syntax_error(self, gateway_stack: GatewayStack) -> None:
        token = await gateway_stack.token("admin.city")
        response = await post(gateway_stack, {"query": "{ me { subject "}, token)
        assert code(response) == "graphql_parse_failed"

    async def test_body_that_is_not_json(self, gateway_stack: GatewayStack) -> None:
        token = await gateway_stack.token("admin.city")
        response = await gateway_stack.client.post(
            "/graphql",
            content=b"{not json",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        assert response.status_code == 400
        assert code(response) == "bad_request"

    async def test_no_query(self, gateway_stack: GatewayStack) -> None:
        token = await gateway_stack.token("admin.city")
        response = await post(gateway_stack, {"variables": {}}, token)
        assert response.status_code == 400
        assert code(response) == "bad_request"

    async def test_expired_token(self, gateway_stack: GatewayStack) -> None:
        key = SigningKey.load_or_create(gateway_stack.key_file)
        expired = mint_token(
            key,
            issuer=ISSUER,
            audience="party-building",
            subject="admin.city",
            roles=["city_admin"],
            scopes=["org:read"],
            ttl_seconds=60,
            now=time.time() - 3600,
        )
        response = await post(gateway_stack, {"query": "{ me { subject } }"}, expired)
        assert response.status_code == 401
        assert code(response) == "token_expired"
        assert response.json()["error"]["code"] == "token_expired"
        assert response.headers["www-authenticate"] == "Bearer"


class TestPersistedQueries:
    async def test_unknown_hash(self, gateway_stack: GatewayStack) -> None:
        token = await gateway_stack.token("admin.city")
        response = await post(
            gateway_stack,
            {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}},
            token,
        )
        assert code(response) == "persisted_query_not_found"

    async def test_text_that_does_not_match_its_hash(self, gateway_stack: GatewayStack) -> None:
        token = await gateway_stack.token("admin.city")
        home = query_hash(HOME)
        response = await post(
            gateway_stack,
            {
                "query": "{ me { subject } }",
                "extensions": {"persistedQuery": {"version": 1, "sha256Hash": home}},
            },
            token,
        )
        assert code(response) == "persisted_query_mismatch"

    async def test_registered_query_over_get(self, gateway_stack: GatewayStack) -> None:
        token = await gateway_stack.token("secretary.demo")
        home = query_hash(HOME)
        response = await gateway_stack.client.get(
            "/graphql",
            params={"extensions": f'{{"persistedQuery":{{"version":1,"sha256Hash":"{home}"}}}}'},
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        )
        assert response.status_code == 200, response.text
        assert response.json()["data"]["me"]["organization"]["name"] == demo_data.DEMO_BRANCH

    async def test_registered_queries_only(self, gateway_stack: GatewayStack) -> None:
        token = await gateway_stack.token("secretary.demo")
        app = create_gateway(
            gateway_settings(
                gateway_stack.key_file,
                gateway_stack.urls,
                persisted_queries_only=True,
                introspection=False,
                environment="test",
                demo_accounts=False,
            ),
            configure_logs=False,
        )
        headers = {"Authorization": f"Bearer {token}"}
        home = query_hash(HOME)
        async with app_client(app) as client:
            free = await client.post(
                "/graphql", json={"query": "{ me { subject } }"}, headers=headers
            )
            assert code(free) == "persisted_query_required"
            known = await client.post(
                "/graphql",
                json={"extensions": {"persistedQuery": {"version": 1, "sha256Hash": home}}},
                headers=headers,
            )
            assert known.json().get("errors") is None, known.text
            ide = await client.get("/graphql", headers={"Accept": "text/html"})
            assert ide.status_code == 401  # no GraphiQL outside the local default


class TestIntrospectionAndIde:
    async def test_introspection_can_be_switched_off(self, gateway_stack: GatewayStack) -> None:
        token = await gateway_stack.token("admin.city")
        app = create_gateway(
            gateway_settings(gateway_stack.key_file, gateway_stack.urls, introspection=False),
            configure_logs=False,
        )
        async with app_client(app) as client:
            response = await client.post(
                "/graphql",
                json={"query": "{ __schema { types { name } } }"},
                headers={"Authorization": f"Bearer {token}"},
            )
        assert code(response) == "introspection_disabled"
        allowed = await post(gateway_stack, {"query": '{ __type(name: "Member") { name } }'}, token)
        assert allowed.json() == {"data": {"__type": {"name": "Member"}}}

    async def test_graphiql_on_the_local_default(self, gateway_stack: GatewayStack) -> None:
        response = await gateway_stack.client.get("/graphql", headers={"Accept": "text/html"})
        assert response.status_code == 200
        assert "graphiql" in response.text.lower()


def test_unexpected_errors_are_masked_and_known_ones_keep_their_code() -> None:
    unexpected = shape(GraphQLError("boom", path=["member"], original_error=KeyError("id_number")))
    assert unexpected.message == "An unexpected error occurred."
    assert unexpected.extensions == {"code": "internal_error"}
    assert "id_number" not in str(unexpected.formatted)
    refused = UpstreamError("member-service", 422, "stage_in_order", "One step at a time.")
    known = shape(GraphQLError("x", path=["advanceMemberStage"], original_error=refused))
    assert known.message == "One step at a time."
    assert known.extensions == {"code": "stage_in_order", "service": "member-service"}
