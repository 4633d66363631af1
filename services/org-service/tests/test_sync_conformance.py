"""The sync API against its own OpenAPI document, fuzzed by schemathesis over real HTTP with a
sync client's token: no 5xx, no undocumented status or body."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import httpx
import pytest

from org_service.main import MIGRATIONS_DIR, create_app
from service_kit.testing import TestIssuer, migrated_database, serve_app

from .conftest import org_settings
from .sync_helpers import SyncCity

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


@pytest.mark.skipif(not SCHEMATHESIS.exists(), reason="schemathesis is a dev dependency")
async def test_sync_api_conformance_no_server_errors(
    pg_server_url: str, test_issuer: TestIssuer, tmp_path: Path
) -> None:
    db = await migrated_database(pg_server_url, "org_sync_fuzz", MIGRATIONS_DIR)
    app = create_app(org_settings(db, test_issuer), configure_logs=False)
    admin = test_issuer.headers(
        subject="admin.city", roles=["city_admin"], scopes=["org:read", "org:write", "org:admin"]
    )
    async with serve_app(app) as base:
        async with httpx.AsyncClient(base_url=base) as client:
            city = await SyncCity(client, admin, test_issuer, db).setup()
        token = test_issuer.token(
            subject="park-system",
            roles=["sync_client"],
            scopes=["sync:write", "sync:read", "org:read"],
            places=[str(city["高新文化创意园"]), str(city["红旗商圈"])],
        )
        process = await asyncio.create_subprocess_exec(
            str(SCHEMATHESIS),
            "run",
            f"{base}/openapi.json",
            "--include-path-regex",
            "^/sync",
            "--header",
            f"Authorization: Bearer {token}",
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,"
            "response_schema_conformance",
            "--max-examples",
            os.environ.get("FUZZ_EXAMPLES", "25"),
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
