"""The political archive: append-only in the database itself, corrections as new entries, a hash
chain per member that verification checks entry by entry."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg
import httpx
import pytest

from .conftest import City, Members, count, error_code, plain_url

TODAY = date.today()


async def award(
    client: httpx.AsyncClient, city: City, member: dict[str, Any], title: str
) -> dict[str, Any]:
    response = await client.post(
        f"/members/{member['id']}/archive",
        json={"kind": "award", "occurred_on": str(TODAY), "title": title, "awarded_by": "市委"},
        headers=city.admin(),
    )
    assert response.status_code == 201, response.text
    entry: dict[str, Any] = response.json()
    return entry


async def verification(
    client: httpx.AsyncClient, city: City, member: dict[str, Any]
) -> dict[str, Any]:
    response = await client.get(
        f"/members/{member['id']}/archive/verification", headers=city.admin()
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


class TestAppendOnly:
    async def test_rule_archive_entries_cannot_be_changed_or_removed_in_the_database(
        self, members: Members, client: httpx.AsyncClient, city: City, member_db_url: str
    ) -> None:
        member = await members.full_member()
        entry = await award(client, city, member, "优秀共产党员")
        connection = await asyncpg.connect(plain_url(member_db_url))
        try:
            for statement in (
                "UPDATE archive_entry SET payload = '{}' WHERE id = $1",
                "DELETE FROM archive_entry WHERE id = $1",
            ):
                with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
                    await connection.execute(statement, entry["id"])
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
                await connection.execute("TRUNCATE archive_entry CASCADE")
            with pytest.raises(asyncpg.ForeignKeyViolationError):
                await connection.execute("DELETE FROM member WHERE id = $1", member["id"])
        finally:
            await connection.close()
        assert await count(member_db_url, "archive_entry") == 6

    async def test_rule_a_correction_is_a_new_entry_pointing_at_the_corrected_one(
        self, members: Members, client: httpx.AsyncClient, city: City
    ) -> None:
        member = await members.full_member()
        wrong = await award(client, city, member, "优秀党员（错字）")
        url = f"/members/{member['id']}/archive/{wrong['id']}/corrections"
        body = {"reason": "称号写错", "payload": {"title": "优秀共产党员", "awarded_by": "市委"}}
        correction = await client.post(url, json=body, headers=city.admin())
        assert correction.status_code == 201, correction.text
        fixed = correction.json()
        assert fixed["corrects_id"] == wrong["id"]
        assert fixed["kind"] == "award"
        assert fixed["payload"]["title"] == "优秀共产党员"
        assert fixed["seq"] == wrong["seq"] + 1
        twice = await client.post(url, json=body, headers=city.admin())
        assert twice.status_code == 409
        assert error_code(twice) == "archive_entry_already_corrected"
        listed = await client.get(f"/members/{member['id']}/archive", headers=city.admin())
        by_id = {e["id"]: e for e in listed.json()["items"]}
        assert by_id[wrong["id"]]["payload"]["title"] == "优秀党员（错字）"  # kept as it was
        assert by_id[wrong["id"]]["corrected_by_id"] == fixed["id"]
        assert (await verification(client, city, member))["valid"] is True

    async def test_only_awards_and_evaluations_are_recorded_by_hand(
        self, members: Members, client: httpx.AsyncClient, city: City
    ) -> None:
        member = await members.full_member()
        response = await client.post(
            f"/members/{member['id']}/archive",
            json={"kind": "stage_change", "occurred_on": str(TODAY), "title": "x"},
            headers=city.admin(),
        )
        assert response.status_code == 422
        hidden = await client.post(
            f"/members/{member['id']}/archive",
            json={"kind": "award", "occurred_on": str(TODAY), "title": "x"},
            headers=city.secretary("同心港企业党支部"),
        )
        assert hidden.status_code == 404


class TestVerification:
    async def test_rule_archive_hash_chain_verifies(
        self, members: Members, client: httpx.AsyncClient, city: City
    ) -> None:
        member = await members.full_member()
        for i in range(3):
            await award(client, city, member, f"表彰{i}")
        result = await verification(client, city, member)
        assert result["valid"] is True
        assert result["entries"] == 8  # five stages brought in, three awards
        listed = await client.get(
            f"/members/{member['id']}/archive", params={"limit": 200}, headers=city.admin()
        )
        assert result["head_hash"] == listed.json()["items"][-1]["hash"]
        assert [e["seq"] for e in listed.json()["items"]] == list(range(1, 9))

    async def test_rule_archive_tampering_names_the_entry(
        self, members: Members, client: httpx.AsyncClient, city: City, member_db_url: str
    ) -> None:
        member = await members.full_member()
        entries = [await award(client, city, member, f"表彰{i}") for i in range(3)]
        target = entries[1]
        connection = await asyncpg.connect(plain_url(member_db_url))
        try:
            # Behind the service's back, as the table's owner: lift the guard, edit, restore.
            async with connection.transaction():
                await connection.execute("ALTER TABLE archive_entry DISABLE TRIGGER USER")
                await connection.execute(
                    """UPDATE archive_entry SET payload = '{"title":"表彰9"}' WHERE id = $1""",
                    target["id"],
                )
                await connection.execute("ALTER TABLE archive_entry ENABLE TRIGGER USER")
        finally:
            await connection.close()
        result = await verification(client, city, member)
        assert result["valid"] is False
        assert result["fault"] == "hash_mismatch"
        assert (result["entry_id"], result["entry_seq"]) == (target["id"], target["seq"])
        assert result["entries"] == target["seq"] - 1

    async def test_rule_archive_removed_entry_is_a_gap(
        self, members: Members, client: httpx.AsyncClient, city: City, member_db_url: str
    ) -> None:
        member = await members.full_member()
        entries = [await award(client, city, member, f"表彰{i}") for i in range(2)]
        connection = await asyncpg.connect(plain_url(member_db_url))
        try:
            async with connection.transaction():
                await connection.execute("ALTER TABLE archive_entry DISABLE TRIGGER USER")
                await connection.execute(
                    "DELETE FROM archive_entry WHERE id = $1", entries[0]["id"]
                )
                await connection.execute("ALTER TABLE archive_entry ENABLE TRIGGER USER")
        finally:
            await connection.close()
        result = await verification(client, city, member)
        assert (result["fault"], result["entry_id"], result["expected_seq"]) == (
            "sequence_gap",
            entries[1]["id"],
            entries[0]["seq"],
        )

    async def test_a_member_reads_their_own_archive_only(
        self, members: Members, client: httpx.AsyncClient, city: City
    ) -> None:
        mine = await members.full_member()
        other = await members.full_member(name="李四")
        me = city.member(mine["id"])
        assert (await client.get(f"/members/{mine['id']}/archive", headers=me)).status_code == 200
        own = await client.get(f"/members/{mine['id']}/archive/verification", headers=me)
        assert own.json()["valid"] is True
        assert (await client.get(f"/members/{other['id']}/archive", headers=me)).status_code == 404
        write = await client.post(
            f"/members/{mine['id']}/archive",
            json={"kind": "award", "occurred_on": str(TODAY), "title": "自封"},
            headers=me,
        )
        assert write.status_code == 403


class TestNewestFirst:
    async def test_newest_first_pages_back_to_the_first_entry(
        self, members: Members, client: httpx.AsyncClient, city: City
    ) -> None:
        member = await members.full_member()
        for i in range(4):
            await award(client, city, member, f"表彰{i}")
        seqs: list[int] = []
        after = None
        while True:
            response = await client.get(
                f"/members/{member['id']}/archive",
                params={"limit": 3, "newest_first": "true", **({"after": after} if after else {})},
                headers=city.admin(),
            )
            assert response.status_code == 200, response.text
            page = response.json()
            seqs += [e["seq"] for e in page["items"]]
            after = page["next_cursor"]
            if after is None:
                break
        assert seqs == list(range(9, 0, -1))  # five stages brought in, four awards
        first = seqs[:3]
        kinds = {
            e["seq"]: e["kind"]
            for e in (
                await client.get(
                    f"/members/{member['id']}/archive",
                    params={"limit": 3, "newest_first": "true"},
                    headers=city.admin(),
                )
            ).json()["items"]
        }
        assert list(kinds) == first
        assert set(kinds.values()) == {"award"}
