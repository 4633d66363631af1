"""Reported members (/sync/members) and leads (/leads) against the OpenAPI document, fuzzed by
schemathesis over real HTTP with a sync client's token that may also read and decide leads:
no 5xx, no undocumented status or body. org-service answers for real (the city fixture)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from member_service.main import MIGRATIONS_DIR, create_app
from service_kit.testing import migrated_database, serve_app

from .conftest import City, member_settings

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


@pytest.mark.skipif(not SCHEMATHESIS.exists(), reason="schemathesis is a dev dependency")
async def test_leads_conformance_no_server_errors(
    pg_server_url: str, city: City, tmp_path: Path
) -> None:
    db = await migrated_database(pg_server_url, "member_leads_fuzz", MIGRATIONS_DIR)
    app = create_app(member_settings(db, city), configure_logs=False)
    token = city.issuer.token(
        subject="fuzzer",
        roles=["sync_client", "secretary"],
        scopes=["sync:write", "sync:read", "member:read", "member:write", "org:read"],
        places=[str(city["高新文化创意园"])],
        org_id=str(city["南关区党工委"]),
    )
    async with serve_app(app) as base:
        process = await asyncio.create_subprocess_exec(
            str(SCHEMATHESIS),
            "run",
            f"{base}/openapi.json",
            "--include-path-regex",
            "^/(sync/members|leads)",
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
            "20183",
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
