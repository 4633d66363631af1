"""funding-service against its own OpenAPI document, fuzzed by schemathesis over real HTTP.

No generated request, valid or not, may get a 5xx, an undocumented status, or a body
outside the documented schema.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import httpx
import pytest

from funding_service.main import MIGRATIONS_DIR, create_app
from gateway.issuer import scopes_for
from service_kit.testing import TestIssuer, migrated_database, serve_app

from .conftest import City, Funds, TokenEndpoint, funding_settings, role_headers

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


@pytest.mark.skipif(not SCHEMATHESIS.exists(), reason="schemathesis is a dev dependency")
async def test_openapi_conformance_no_server_errors(
    pg_server_url: str,
    test_issuer: TestIssuer,
    token_endpoint: TokenEndpoint,
    org_url: str,
    city: City,
    tmp_path: Path,
) -> None:
    db = await migrated_database(pg_server_url, "funding_fuzz", MIGRATIONS_DIR)
    app = create_app(
        funding_settings(db, test_issuer, token_endpoint, org_url), configure_logs=False
    )
    headers = role_headers(test_issuer, "city_admin", "fuzzer")
    fuzz_token = test_issuer.token(
        subject="fuzzer",
        roles=["city_admin"],
        scopes=[*scopes_for(("city_admin",)), "events:deliver"],
    )
    async with serve_app(app) as base:
        # a few real rows, so that generated ids sometimes meet existing ones
        async with httpx.AsyncClient(base_url=base) as client:
            funds = Funds(client, headers, city)
            budget = await funds.budget("南关区", "venue_funds", 1_000_000)
            account = await funds.org_account("盈科律所党支部", "venue_funds")
            await funds.transfer("appropriation", budget["account_id"], account["id"], 1_000)
        process = await asyncio.create_subprocess_exec(
            str(SCHEMATHESIS),
            "run",
            f"{base}/openapi.json",
            "--header",
            f"Authorization: Bearer {fuzz_token}",
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,"
            "response_schema_conformance",
            "--max-examples",
            os.environ.get("FUZZ_EXAMPLES", "15"),
            "--phases",
            "examples,coverage,fuzzing",
            "--seed",
            "20181",
            "--workers",
            "1",
            "--no-shrink",
            "--request-timeout",
            "20",
            "--warnings",
            "off",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
            cwd=tmp_path,
        )
        output, _ = await process.communicate()
    text = output.decode(errors="replace")
    assert process.returncode == 0, text[-12000:]
