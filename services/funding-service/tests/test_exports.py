"""The finance bureau's pull: budgets with their execution and the ledger lines behind them,
as JSON pages, CSV and XLSX; the totals equal the ledger's to the fen; ETags."""

from __future__ import annotations

import csv
import io
import re
import uuid
import zipfile
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

import asyncpg
import httpx
import pytest

from service_kit.testing import TestIssuer

from .conftest import THIS_YEAR, City, Funds, district_admin

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


@pytest.fixture
async def ledger(funds: Funds) -> dict[str, Any]:
    """Two districts' budgets with appropriations, disbursements and a reversal; odd fen."""
    nanguan = await funds.budget("南关区", "per_member_funds", 1_000_001)
    erdao = await funds.budget("二道区", "venue_funds", 555_555)
    city_budget = await funds.budget("长春市", "operating_funds", 400_000_000)
    branch = await funds.org_account("盈科律所党支部", "per_member_funds")
    payee = await funds.payee("施工方")
    for amount in (12_345, 1, 99_999):
        await funds.transfer("appropriation", nanguan["account_id"], branch["id"], amount)
    undone = await funds.transfer("disbursement", erdao["account_id"], payee["id"], 33_333)
    await funds.post(f"/transfers/{undone['id']}/reversal", {})
    await funds.transfer("disbursement", erdao["account_id"], payee["id"], 7)
    return {"nanguan": nanguan, "erdao": erdao, "city": city_budget}


def yuan_to_fen(text: str) -> int:
    assert re.fullmatch(r"\d+\.\d\d", text), text
    return int(Decimal(text) * 100)


async def ledger_sums(db: asyncpg.Connection) -> tuple[int, int, int]:
    """Into budgets, out of budgets, and how many entries: straight from the ledger."""
    row = await db.fetchrow(
        "SELECT coalesce(sum(e.amount_fen) FILTER (WHERE e.amount_fen > 0), 0) AS income, "
        "coalesce(-sum(e.amount_fen) FILTER (WHERE e.amount_fen < 0), 0) AS spent, count(*) "
        "FROM ledger_entry e JOIN budget b ON b.account_id = e.account_id"
    )
    assert row is not None
    return int(row["income"]), int(row["spent"]), int(row["count"])


def xlsx_rows(content: bytes) -> list[list[str]]:
    """The sheet's rows, each cell in order (an empty cell reads as "")."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.testzip() is None
        names = set(archive.namelist())
        assert {"[Content_Types].xml", "xl/workbook.xml", "xl/styles.xml"} <= names
        # our own output, parsed to check it
        sheet = ElementTree.fromstring(archive.read("xl/worksheets/sheet1.xml"))  # noqa: S314
    rows = []
    for row in sheet.iterfind(".//m:row", NS):
        cells = []
        for cell in row.iterfind("m:c", NS):
            value = cell.find("m:is/m:t", NS)
            if value is None:
                value = cell.find("m:v", NS)
            cells.append("" if value is None else value.text or "")
        rows.append(cells)
    return rows


class TestLedgerLines:
    async def test_rule_the_csv_totals_equal_the_ledger_to_the_fen(
        self,
        funds: Funds,
        ledger: dict[str, Any],
        finance_bureau: dict[str, str],
        db: asyncpg.Connection,
    ) -> None:
        response = await funds.client.get(
            "/exports/ledger-lines", params={"format": "csv"}, headers=finance_bureau
        )
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert response.content.startswith("\ufeff".encode())
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        header, lines, total = rows[0], rows[1:-1], rows[-1]
        assert header[9:11] == ["收入（元）", "支出（元）"]
        income = sum(yuan_to_fen(r[9]) for r in lines if r[9])
        spent = sum(yuan_to_fen(r[10]) for r in lines if r[10])
        assert (income, spent, len(lines)) == await ledger_sums(db)
        assert total[0] == "合计"
        assert (yuan_to_fen(total[9]), yuan_to_fen(total[10])) == (income, spent)
        kinds = {r[7] for r in lines}
        assert {"预算下达", "拨款", "支付", "冲正"} <= kinds

    async def test_rule_the_xlsx_totals_equal_the_ledger_to_the_fen(
        self,
        funds: Funds,
        ledger: dict[str, Any],
        finance_bureau: dict[str, str],
        db: asyncpg.Connection,
    ) -> None:
        response = await funds.client.get(
            "/exports/ledger-lines", params={"format": "xlsx"}, headers=finance_bureau
        )
        assert response.status_code == 200
        rows = xlsx_rows(response.content)
        lines, total = rows[1:-1], rows[-1]
        assert rows[0][0] == "分录号"
        income = sum(yuan_to_fen(r[9]) for r in lines if len(r) > 9 and r[9])
        spent = sum(yuan_to_fen(r[10]) for r in lines if len(r) > 10 and r[10])
        assert (income, spent, len(lines)) == await ledger_sums(db)
        assert total[0] == "合计"
        assert (yuan_to_fen(total[9]), yuan_to_fen(total[10])) == (income, spent)

    async def test_json_pages_walk_every_line_once(
        self,
        funds: Funds,
        ledger: dict[str, Any],
        finance_bureau: dict[str, str],
        db: asyncpg.Connection,
    ) -> None:
        seen: list[int] = []
        after = None
        while True:
            params: dict[str, Any] = {"limit": 3, **({"after": after} if after else {})}
            page = (
                await funds.client.get(
                    "/exports/ledger-lines", params=params, headers=finance_bureau
                )
            ).json()
            seen.extend(line["entry_id"] for line in page["items"])
            after = page["next_cursor"]
            if not after:
                break
        assert seen == sorted(set(seen))
        assert len(seen) == (await ledger_sums(db))[2]

    async def test_lines_by_region_year_and_line(
        self, funds: Funds, ledger: dict[str, Any], finance_bureau: dict[str, str], city: City
    ) -> None:
        page = (
            await funds.client.get(
                "/exports/ledger-lines",
                params={"region_id": str(city["二道区"]), "fiscal_year": THIS_YEAR},
                headers=finance_bureau,
            )
        ).json()
        amounts = [line["amount_fen"] for line in page["items"]]
        assert amounts == [555_555, -33_333, 33_333, -7]
        assert {line["budget_line"] for line in page["items"]} == {"venue_funds"}


class TestAwkwardText:
    async def test_memos_with_markup_quotes_and_control_characters_survive(
        self, funds: Funds, finance_bureau: dict[str, str]
    ) -> None:
        budget = await funds.budget("南关区", "venue_funds", 1_000)
        payee = await funds.payee("<供应商> & 子")
        memo = 'A&B <c> "引号", 换\n行\x01'
        await funds.transfer("disbursement", budget["account_id"], payee["id"], 1, memo=memo)
        params = {"budget_line": "venue_funds"}
        csv_body = await funds.client.get(
            "/exports/ledger-lines", params={**params, "format": "csv"}, headers=finance_bureau
        )
        rows = list(csv.reader(io.StringIO(csv_body.content.decode("utf-8-sig"))))
        assert rows[-2][11] == memo
        assert rows[-2][8] == "<供应商> & 子"
        xlsx = await funds.client.get(
            "/exports/ledger-lines", params={**params, "format": "xlsx"}, headers=finance_bureau
        )
        sheet = xlsx_rows(xlsx.content)
        assert sheet[-2][11] == 'A&B <c> "引号", 换\n行'
        assert sheet[-2][8] == "<供应商> & 子"


class TestBudgetExecution:
    async def test_rule_execution_equals_the_sum_of_its_transfers(
        self, funds: Funds, ledger: dict[str, Any], finance_bureau: dict[str, str]
    ) -> None:
        page = (
            await funds.client.get(
                "/exports/budget-execution",
                params={"fiscal_year": THIS_YEAR},
                headers=finance_bureau,
            )
        ).json()
        executed = {b["region_name"]: b["executed_fen"] for b in page["items"]}
        assert executed == {"南关区": 12_345 + 1 + 99_999, "二道区": 7, "长春市": 0}
        response = await funds.client.get(
            "/exports/budget-execution", params={"format": "csv"}, headers=finance_bureau
        )
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows[0][:8] == [
            "财政年度",
            "预算级次",
            "地区",
            "预算科目代码",
            "预算科目",
            "预算金额（元）",
            "执行金额（元）",
            "结余（元）",
        ]
        body, total = rows[1:-1], rows[-1]
        assert {r[2]: r[6] for r in body} == {
            "南关区": "1123.45",
            "二道区": "0.07",
            "长春市": "0.00",
        }
        assert total[0] == "合计"
        assert yuan_to_fen(total[5]) == 1_000_001 + 555_555 + 400_000_000
        assert yuan_to_fen(total[6]) == 12_345 + 1 + 99_999 + 7
        assert yuan_to_fen(total[5]) - yuan_to_fen(total[6]) == yuan_to_fen(total[7])
        xlsx = await funds.client.get(
            "/exports/budget-execution", params={"format": "xlsx"}, headers=finance_bureau
        )
        assert xlsx_rows(xlsx.content)[-1][5:8] == total[5:8]

    async def test_a_district_admin_exports_their_district_only(
        self, funds: Funds, ledger: dict[str, Any], test_issuer: TestIssuer, city: City
    ) -> None:
        headers = district_admin(test_issuer, city["二道区"])
        page = (await funds.client.get("/exports/budget-execution", headers=headers)).json()
        assert [b["region_name"] for b in page["items"]] == ["二道区"]
        lines = (await funds.client.get("/exports/ledger-lines", headers=headers)).json()
        assert {line["region_name"] for line in lines["items"]} == {"二道区"}


class TestConditionalRequests:
    async def test_etag_and_if_none_match(
        self, funds: Funds, ledger: dict[str, Any], finance_bureau: dict[str, str]
    ) -> None:
        params = {"format": "csv", "fiscal_year": THIS_YEAR}
        first = await funds.client.get(
            "/exports/ledger-lines", params=params, headers=finance_bureau
        )
        tag = first.headers["ETag"]
        same = await funds.client.get(
            "/exports/ledger-lines", params=params, headers={**finance_bureau, "If-None-Match": tag}
        )
        assert same.status_code == 304
        assert same.content == b""
        other_query = await funds.client.get(
            "/exports/ledger-lines",
            params={**params, "format": "xlsx"},
            headers={**finance_bureau, "If-None-Match": tag},
        )
        assert other_query.status_code == 200
        await funds.transfer(
            "disbursement",
            ledger["erdao"]["account_id"],
            ledger["nanguan"]["account_id"],
            1,
            expect=422,
        )
        unchanged = await funds.client.get(
            "/exports/ledger-lines", params=params, headers={**finance_bureau, "If-None-Match": tag}
        )
        assert unchanged.status_code == 304  # a refused transfer changes nothing
        payee = await funds.payee("another")
        await funds.transfer("disbursement", ledger["erdao"]["account_id"], payee["id"], 1)
        changed = await funds.client.get(
            "/exports/ledger-lines", params=params, headers={**finance_bureau, "If-None-Match": tag}
        )
        assert changed.status_code == 200
        assert changed.headers["ETag"] != tag


class TestFinanceBureauClient:
    async def test_bad_filters_are_refused(
        self, funding: httpx.AsyncClient, finance_bureau: dict[str, str]
    ) -> None:
        unknown_region = await funding.get(
            "/exports/budget-execution",
            params={"region_id": str(uuid.uuid4()), "format": "csv"},
            headers=finance_bureau,
        )
        assert unknown_region.status_code == 422
        assert unknown_region.json()["error"]["code"] == "region_not_found"
        unknown_line = await funding.get(
            "/exports/ledger-lines", params={"budget_line": "nope"}, headers=finance_bureau
        )
        assert unknown_line.json()["error"]["code"] == "unknown_budget_line"
        bad_format = await funding.get(
            "/exports/ledger-lines", params={"format": "pdf"}, headers=finance_bureau
        )
        assert bad_format.status_code == 422

    async def test_the_finance_bureau_reads_and_never_writes(
        self, funding: httpx.AsyncClient, finance_bureau: dict[str, str], city: City
    ) -> None:
        write = await funding.post(
            "/budgets",
            json={
                "fiscal_year": THIS_YEAR,
                "level": "district",
                "region_id": str(city["南关区"]),
                "budget_line": "venue_funds",
                "amount_fen": 1,
            },
            headers={**finance_bureau, "Idempotency-Key": "fb"},
        )
        assert write.status_code == 403
        assert write.json()["error"]["code"] == "insufficient_scope"
