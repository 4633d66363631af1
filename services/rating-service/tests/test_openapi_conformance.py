"""rating-service against its own OpenAPI document, fuzzed by schemathesis over real HTTP.

No generated request, valid or not, may get a 5xx, an undocumented status, or a body
outside the documented schema. org-service and member-service answer for real.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from rating_service.main import create_app
from service_kit.testing import TestIssuer, migrated_database, serve_app

from .conftest import ADMIN_SCOPES, Tokens, new_city, rating_settings

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


@pytest.mark.skipif(not SCHEMATHESIS.exists(), reason="schemathesis is a dev dependency")
async def test_openapi_conformance_no_server_errors(
    pg_server_url: str,
    test_issuer: TestIssuer,
    token_url: str,
    org_url: str,
    member_url: str,
    services: Any,
    tokens: Tokens,
    tmp_path: Path,
) -> None:
    db = await migrated_database(
        pg_server_url, "rating_fuzz", Path(__file__).parents[1] / "migrations"
    )
    settings = rating_settings(test_issuer, db, token_url, org_url, member_url)
    app = create_app(settings, configure_logs=False)
    token = test_issuer.token(
        subject="fuzzer",
        roles=["city_admin"],
        scopes=[*ADMIN_SCOPES, "rating:vote", "events:deliver"],
    )
    async with serve_app(app) as base:
        # a few real rows, so that generated ids sometimes meet existing ones
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            city = await new_city(services, client, tokens)
            await city.organization("支部A", "branch", "南关区", "星火源综合党委")
            await city.members("支部A", ["甲", "乙"])
            await city.campaign("评议", "支部A")
        process = await asyncio.create_subprocess_exec(
            str(SCHEMATHESIS),
            "run",
            f"{base}/openapi.json",
            "--header",
            f"Authorization: Bearer {token}",
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,"
            "response_schema_conformance",
            "--max-examples",
            os.environ.get("FUZZ_EXAMPLES", "15"),
            "--phases",
            "examples,coverage,fuzzing",
            "--seed",
            "20184",
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
