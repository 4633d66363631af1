"""Idempotency keys: a retry never pays twice, another body under a used key is refused,
and keys are forgotten after the stated time."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import pytest

from service_kit.testing import TestIssuer

from .conftest import Funds


@pytest.fixture
async def accounts(funds: Funds) -> dict[str, Any]:
    budget = await funds.budget("南关区", "venue_funds", 1_000_000)
    payee = await funds.payee("阵地装修公司")
    return {"budget": budget, "payee": payee}


def body(accounts: dict[str, Any], amount: int = 10_000) -> dict[str, Any]:
    return {
        "kind": "disbursement",
        "debit_account_id": accounts["budget"]["account_id"],
        "credit_account_id": accounts["payee"]["id"],
        "amount_fen": amount,
    }


async def transfers(db: asyncpg.Connection) -> int:
    return int(await db.fetchval("SELECT count(*) FROM transfer WHERE kind = 'disbursement'"))


class TestIdempotencyKeys:
    async def test_rule_same_key_and_body_get_the_first_answer(
        self, funds: Funds, accounts: dict[str, Any], db: asyncpg.Connection
    ) -> None:
        headers = {**funds.headers, "Idempotency-Key": "payment-2024-001"}
        first = await funds.client.post("/transfers", json=body(accounts), headers=headers)
        again = await funds.client.post("/transfers", json=body(accounts), headers=headers)
        assert (first.status_code, again.status_code) == (201, 201)
        assert again.json() == first.json()
        assert again.headers["Idempotent-Replayed"] == "true"
        assert "Idempotent-Replayed" not in first.headers
        assert await transfers(db) == 1
        assert (await funds.get(f"/accounts/{accounts['payee']['id']}"))["balance_fen"] == 10_000

    async def test_rule_same_key_with_another_body_is_refused(
        self, funds: Funds, accounts: dict[str, Any], db: asyncpg.Connection
    ) -> None:
        headers = {**funds.headers, "Idempotency-Key": "payment-2024-002"}
        await funds.client.post("/transfers", json=body(accounts), headers=headers)
        other = await funds.client.post("/transfers", json=body(accounts, 20_000), headers=headers)
        assert other.status_code == 409
        assert other.json()["error"]["code"] == "idempotency_key_reused"
        elsewhere = await funds.client.post(
            f"/budgets/{accounts['budget']['id']}/adjustments",
            json={"change": "increase", "amount_fen": 10_000},
            headers=headers,
        )
        assert elsewhere.status_code == 409
        assert await transfers(db) == 1

    async def test_keys_belong_to_their_caller(
        self,
        funds: Funds,
        accounts: dict[str, Any],
        db: asyncpg.Connection,
        test_issuer: TestIssuer,
    ) -> None:
        await funds.post("/transfers", body(accounts), key="shared-key")
        another = test_issuer.headers(
            subject="admin.city.2", roles=["city_admin"], scopes=["funding:read", "funding:write"]
        )
        await funds.post("/transfers", body(accounts), key="shared-key", headers=another)
        assert await transfers(db) == 2

    async def test_rule_concurrent_requests_with_one_key_make_one_transfer(
        self, funds: Funds, accounts: dict[str, Any], db: asyncpg.Connection
    ) -> None:
        headers = {**funds.headers, "Idempotency-Key": f"retry-storm-{uuid.uuid4()}"}
        responses = await asyncio.gather(
            *(
                funds.client.post("/transfers", json=body(accounts), headers=headers)
                for _ in range(50)
            )
        )
        assert {r.status_code for r in responses} == {201}
        assert len({r.json()["id"] for r in responses}) == 1
        assert sum(1 for r in responses if "Idempotent-Replayed" not in r.headers) == 1
        assert await transfers(db) == 1
        assert (await funds.get(f"/accounts/{accounts['payee']['id']}"))["balance_fen"] == 10_000

    async def test_a_refused_write_leaves_no_key_behind(
        self, funds: Funds, accounts: dict[str, Any], db: asyncpg.Connection
    ) -> None:
        headers = {**funds.headers, "Idempotency-Key": "too-big-first"}
        refused = await funds.client.post(
            "/transfers", json=body(accounts, 2_000_000), headers=headers
        )
        assert refused.status_code == 422
        assert (
            await db.fetchval("SELECT count(*) FROM idempotency_key WHERE key = 'too-big-first'")
            == 0
        )
        await funds.client.post(
            f"/budgets/{accounts['budget']['id']}/adjustments",
            json={"change": "increase", "amount_fen": 1_000_000},
            headers={**funds.headers, "Idempotency-Key": "raise"},
        )
        retried = await funds.client.post(
            "/transfers", json=body(accounts, 2_000_000), headers=headers
        )
        assert retried.status_code == 201

    async def test_rule_keys_are_kept_for_the_stated_time_then_forgotten(
        self, funds: Funds, accounts: dict[str, Any], db: asyncpg.Connection
    ) -> None:
        headers = {**funds.headers, "Idempotency-Key": "old-key"}
        await funds.client.post("/transfers", json=body(accounts), headers=headers)
        kept = await db.fetchval(
            "SELECT expires_at - created_at FROM idempotency_key WHERE key = 'old-key'"
        )
        assert kept.days == 30
        await db.execute(
            "UPDATE idempotency_key SET expires_at = now() - interval '1 second' "
            "WHERE key = 'old-key'"
        )
        reused = await funds.client.post("/transfers", json=body(accounts, 500), headers=headers)
        assert reused.status_code == 201
        assert "Idempotent-Replayed" not in reused.headers
        assert await transfers(db) == 2

    async def test_every_write_needs_a_key(
        self, funds: Funds, accounts: dict[str, Any], db: asyncpg.Connection
    ) -> None:
        for key in (None, "", "with space", "x" * 201):
            headers = dict(funds.headers)
            if key is not None:
                headers["Idempotency-Key"] = key
            response = await funds.client.post("/transfers", json=body(accounts), headers=headers)
            assert response.status_code == 400, key
            assert response.json()["error"]["code"] == "idempotency_key_required"
        assert await transfers(db) == 0
