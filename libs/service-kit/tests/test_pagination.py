"""Keyset pages: every row once and in order, a hard maximum page size, cursors and ids checked."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import Enum as SAEnum
from sqlalchemy import Float, column
from sqlalchemy.types import NullType

from service_kit.db import Database
from service_kit.errors import AppError
from service_kit.pagination import (
    MAX_BATCH_IDS,
    MAX_PAGE_SIZE,
    _typed_like,
    decode_cursor,
    encode_cursor,
    parse_ids,
)

from .kitapp import sql_exec

BASE_TIME = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


async def insert_probes(database: Database, count: int) -> list[dict[str, Any]]:
    """`count` probes whose names repeat (so order needs the id) and whose times tie in pairs."""
    probes = [
        {
            "id": uuid.uuid4(),
            "name": f"probe-{i % 4}",
            "created_at": BASE_TIME + timedelta(microseconds=(i // 2) * 7),
        }
        for i in range(count)
    ]
    for p in probes:
        await sql_exec(
            database,
            "INSERT INTO kit_probe (id, name, created_at) VALUES (:id, :name, :created_at)",
            **p,
        )
    return probes


async def all_pages(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> tuple[list[dict[str, Any]], int]:
    items: list[dict[str, Any]] = []
    pages = 0
    cursor: str | None = None
    while True:
        query = dict(params, **({"after": cursor} if cursor else {}))
        response = await client.get("/probes", params=query, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        pages += 1
        assert len(body["cursors"]) == len(body["items"])
        items.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return items, pages
        assert cursor == body["cursors"][-1]
        assert pages < 100, "the pages do not end"


class TestKeysetPages:
    async def test_pages_return_every_row_once_in_name_then_id_order(
        self, probe: httpx.AsyncClient, reader: dict[str, str], kit_db: Database
    ) -> None:
        probes = await insert_probes(kit_db, 23)
        items, pages = await all_pages(probe, reader, limit=5)
        expected = sorted(probes, key=lambda p: (p["name"], p["id"]))
        assert [i["id"] for i in items] == [str(p["id"]) for p in expected]
        assert pages == 5

    async def test_pages_order_by_timestamp_with_ties_broken_by_id(
        self, probe: httpx.AsyncClient, reader: dict[str, str], kit_db: Database
    ) -> None:
        probes = await insert_probes(kit_db, 17)
        items, _ = await all_pages(probe, reader, limit=3, order="created")
        expected = sorted(probes, key=lambda p: (p["created_at"], p["id"]))
        assert [i["id"] for i in items] == [str(p["id"]) for p in expected]

    async def test_each_row_cursor_continues_right_after_that_row(
        self, probe: httpx.AsyncClient, reader: dict[str, str], kit_db: Database
    ) -> None:
        await insert_probes(kit_db, 8)
        first = (await probe.get("/probes", params={"limit": 8}, headers=reader)).json()
        assert first["next_cursor"] is None
        after_third = await probe.get(
            "/probes", params={"limit": 2, "after": first["cursors"][2]}, headers=reader
        )
        assert [i["id"] for i in after_third.json()["items"]] == [
            i["id"] for i in first["items"][3:5]
        ]

    async def test_exact_multiple_of_the_page_size_ends_without_an_empty_page(
        self, probe: httpx.AsyncClient, reader: dict[str, str], kit_db: Database
    ) -> None:
        await insert_probes(kit_db, 6)
        items, pages = await all_pages(probe, reader, limit=3)
        assert (len(items), pages) == (6, 2)

    async def test_empty_table_is_one_empty_page(
        self, probe: httpx.AsyncClient, reader: dict[str, str], kit_db: Database
    ) -> None:
        response = await probe.get("/probes", headers=reader)
        assert response.json() == {"items": [], "next_cursor": None, "cursors": []}


class TestPageSize:
    async def test_limit_over_the_maximum_is_422_page_size_too_large(
        self, probe: httpx.AsyncClient, reader: dict[str, str], kit_db: Database
    ) -> None:
        response = await probe.get("/probes", params={"limit": MAX_PAGE_SIZE + 1}, headers=reader)
        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "page_size_too_large"
        assert error["details"] == {"limit": MAX_PAGE_SIZE + 1, "max": MAX_PAGE_SIZE}

    async def test_limit_of_zero_is_refused(
        self, probe: httpx.AsyncClient, reader: dict[str, str], kit_db: Database
    ) -> None:
        response = await probe.get("/probes", params={"limit": 0}, headers=reader)
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "page_size_too_large"

    async def test_limit_at_the_maximum_is_accepted(
        self, probe: httpx.AsyncClient, reader: dict[str, str], kit_db: Database
    ) -> None:
        response = await probe.get("/probes", params={"limit": MAX_PAGE_SIZE}, headers=reader)
        assert response.status_code == 200

    async def test_non_numeric_limit_is_a_validation_error(
        self, probe: httpx.AsyncClient, reader: dict[str, str]
    ) -> None:
        response = await probe.get("/probes", params={"limit": "lots"}, headers=reader)
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "validation_error"


class TestCursors:
    @pytest.mark.parametrize(
        "cursor",
        [
            "garbage!!",
            "bm90IGpzb24",  # "not json"
            encode_cursor(["only one value"]),  # the order has two columns
            "eyJhIjoxfQ",  # {"a":1}: not a list
            encode_cursor(["probe-1", 42]),  # the second column is a UUID
            encode_cursor([{"t": "UUID", "v": "nope"}, "x"]),
            encode_cursor([{"t": "set", "v": "x"}, "x"]),
        ],
    )
    async def test_cursor_not_issued_by_the_service_is_400_invalid_cursor(
        self, probe: httpx.AsyncClient, reader: dict[str, str], kit_db: Database, cursor: str
    ) -> None:
        response = await probe.get("/probes", params={"after": cursor}, headers=reader)
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == "invalid_cursor"

    async def test_timestamp_cursor_with_a_text_value_is_400_invalid_cursor(
        self, probe: httpx.AsyncClient, reader: dict[str, str], kit_db: Database
    ) -> None:
        cursor = encode_cursor(["yesterday", str(uuid.uuid4())])
        response = await probe.get(
            "/probes", params={"after": cursor, "order": "created"}, headers=reader
        )
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == "invalid_cursor"

    def test_cursor_round_trips_uuid_datetime_date_decimal_and_text(self) -> None:
        values = [
            uuid.uuid4(),
            BASE_TIME + timedelta(microseconds=1),
            date(2026, 11, 27),
            Decimal("12.50"),
            "名称",
            7,
        ]
        decoded = decode_cursor(encode_cursor(values), len(values))
        assert decoded == values
        assert [type(v) for v in decoded] == [type(v) for v in values]


class Grade(enum.Enum):
    good = "good"
    fair = "fair"


class TestCursorValuesAgainstTheirColumns:
    """A cursor's values are checked against the types of the columns they compare with."""

    columns = (
        column("score", Float()),
        column("grade", SAEnum(Grade)),
        column("anything", NullType()),  # SQLAlchemy knows no Python type for it
    )

    def test_values_are_taken_as_their_columns_types(self) -> None:
        typed = _typed_like(self.columns, [3, "fair", {"any": "value"}], "cursor")
        assert typed == [3.0, Grade.fair, {"any": "value"}]
        assert isinstance(typed[0], float)

    def test_a_column_of_no_known_type_takes_the_value_unchecked(self) -> None:
        assert _typed_like(self.columns[2:], [["a", 1]], "cursor") == [["a", 1]]

    @pytest.mark.parametrize(
        "values", [["3", "fair", None], [3.0, "poor", None], [True, "good", 1]]
    )
    def test_a_value_of_another_type_is_an_invalid_cursor(self, values: list[Any]) -> None:
        with pytest.raises(AppError) as refused:
            _typed_like(self.columns, values, "cursor")
        assert refused.value.instance_code == "invalid_cursor"


class TestParseIds:
    def test_absent_ids_are_none(self) -> None:
        assert parse_ids(None) is None

    def test_ids_are_parsed_and_blanks_skipped(self) -> None:
        a, b = uuid.uuid4(), uuid.uuid4()
        assert parse_ids(f"{a}, {b},") == [a, b]

    def test_as_many_ids_as_allowed_pass(self) -> None:
        ids = [uuid.uuid4() for _ in range(MAX_BATCH_IDS)]
        assert parse_ids(",".join(map(str, ids))) == ids

    def test_more_ids_than_allowed_is_too_many_ids(self) -> None:
        raw = ",".join(str(uuid.uuid4()) for _ in range(MAX_BATCH_IDS + 1))
        with pytest.raises(AppError) as caught:
            parse_ids(raw)
        assert (caught.value.status_code, caught.value.instance_code) == (422, "too_many_ids")

    def test_bad_uuid_is_invalid_id(self) -> None:
        with pytest.raises(AppError) as caught:
            parse_ids(f"{uuid.uuid4()},not-a-uuid")
        assert (caught.value.status_code, caught.value.instance_code) == (400, "invalid_id")

    async def test_batch_endpoint_answers_too_many_ids_and_invalid_id(
        self, probe: httpx.AsyncClient, reader: dict[str, str], kit_db: Database
    ) -> None:
        many = ",".join(str(uuid.uuid4()) for _ in range(MAX_BATCH_IDS + 1))
        too_many = await probe.get("/probes/batch", params={"ids": many}, headers=reader)
        assert too_many.status_code == 422
        assert too_many.json()["error"]["code"] == "too_many_ids"
        bad = await probe.get("/probes/batch", params={"ids": "abc"}, headers=reader)
        assert bad.status_code == 400
        assert bad.json()["error"]["code"] == "invalid_id"

    async def test_batch_endpoint_returns_the_rows_asked_for(
        self, probe: httpx.AsyncClient, reader: dict[str, str], kit_db: Database
    ) -> None:
        probes = await insert_probes(kit_db, 5)
        wanted = {str(probes[0]["id"]), str(probes[3]["id"])}
        response = await probe.get(
            "/probes/batch", params={"ids": ",".join([*wanted, str(uuid.uuid4())])}, headers=reader
        )
        assert response.status_code == 200
        assert {i["id"] for i in response.json()} == wanted
