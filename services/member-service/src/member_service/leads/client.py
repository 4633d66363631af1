"""The reporting enterprises, asked of org-service's sync API with the client's own token.

org-service answers only for units in the client's places, so a credit code it leaves out
is an enterprise the client may not report for (or no enterprise at all): the rule of
which places are whose lives in org-service alone.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from member_service.references.client import OrgServiceUnavailable
from service_kit.auth import Principal
from service_kit.http import HttpClient
from service_kit.pagination import MAX_PAGE_SIZE


@dataclass(frozen=True)
class Employer:
    work_target_id: uuid.UUID
    credit_code: str
    responsible_organization_id: uuid.UUID | None


async def employers_of(
    http: HttpClient, base_url: str, principal: Principal, credit_codes: Sequence[str]
) -> dict[str, Employer]:
    """The units of the client's places with these codes (the others are left out)."""
    found: dict[str, Employer] = {}
    unique = list(dict.fromkeys(credit_codes))
    for start in range(0, len(unique), MAX_PAGE_SIZE):
        chunk = unique[start : start + MAX_PAGE_SIZE]
        try:
            response = await http.request(
                "GET",
                f"{base_url.rstrip('/')}/sync/work-targets",
                params={"credit_codes": ",".join(chunk), "limit": MAX_PAGE_SIZE},
                bearer=principal.token,
            )
        except (httpx.HTTPError, RuntimeError) as exc:
            raise OrgServiceUnavailable(details={"reason": type(exc).__name__}) from exc
        if response.status_code != 200:
            raise OrgServiceUnavailable(
                details={"status": response.status_code, "body": response.text[:300]}
            )
        for item in response.json()["items"]:
            responsible = item.get("responsible_organization_id")
            found[item["credit_code"]] = Employer(
                uuid.UUID(item["id"]),
                item["credit_code"],
                uuid.UUID(responsible) if responsible else None,
            )
    return found
