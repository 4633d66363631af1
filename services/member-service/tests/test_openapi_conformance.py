"""member-service against its own OpenAPI document, fuzzed by schemathesis over real HTTP.

No generated request, valid or not, may get a 5xx, an undocumented status, or a body
outside the documented schema. org-service answers for real (the city fixture).
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import date
from pathlib import Path

import httpx
import pytest

from member_service.main import MIGRATIONS_DIR, create_app
from service_kit.testing import migrated_database, serve_app

from .conftest import ALL_SCOPES, City, Members, member_settings

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


@pytest.mark.skipif(not SCHEMATHESIS.exists(), reason="schemathesis is a dev dependency")
async def test_openapi_conformance_no_server_errors(
    pg_server_url: str, city: City, tmp_path: Path
) -> None:
    db = await migrated_database(pg_server_url, "member_fuzz", MIGRATIONS_DIR)
    app = create_app(member_settings(db, city), configure_logs=False)
    token = city.issuer.token(
        subject="fuzzer", roles=["city_admin"], scopes=[*ALL_SCOPES, "events:deliver"]
    )
    async with serve_app(app) as base:
        # a few real rows, so that generated ids sometimes meet existing ones
        async with httpx.AsyncClient(base_url=base) as client:
            members = Members(client, city)
            await members.full_member()
            await members.at_stage("development_target", name="发展对象")
            await members.create(name="申请人")
            response = await client.put(
                f"/development-quotas/{date.today().year}/{city['南关区']}",
                json={"allocated": 10},
                headers=city.admin(),
            )
            assert response.status_code == 200, response.text
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
            os.environ.get("FUZZ_EXAMPLES", "5"),
            "--phases",
            "examples,coverage,fuzzing",
            "--seed",
            "20182",
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
