"""ID card numbers: the GB 11643 check, birth date and age from the number, encryption at rest,
masking, exact-match lookup, and key rotation."""

from __future__ import annotations

import base64
import uuid
from datetime import date, timedelta

import asyncpg
import httpx
import pytest

from member_service.main import create_app
from member_service.members.id_numbers import (
    IdNumberCipher,
    InvalidIdNumber,
    Sealed,
    check_character,
    mask,
    parse,
)
from member_service.settings import LOCAL_ID_NUMBER_KEY, MemberSettings
from service_kit.testing import app_client

from .conftest import City, Members, count, error_code, id_number, member_settings, plain_url

TODAY = date.today()


class TestCheckDigit:
    def test_known_number_passes(self) -> None:
        # The number printed in GB 11643-1999's own example.
        assert parse("11010519491231002X", today=TODAY).birth_date == date(1949, 12, 31)
        assert parse("11010519491231002x", today=TODAY).value == "11010519491231002X"

    def test_rule_id_number_check_digit(self) -> None:
        good = id_number(date(1990, 1, 1))
        wrong = good[:17] + ("0" if good[17] != "0" else "1")
        with pytest.raises(InvalidIdNumber) as caught:
            parse(wrong, today=TODAY)
        assert caught.value.details["reason"] == "check_digit"

    @pytest.mark.parametrize(
        ("digits", "reason"),
        [
            ("19900230", "birth_date"),  # 30 February
            ("19901301", "birth_date"),  # month 13
            ((TODAY + timedelta(days=1)).strftime("%Y%m%d"), "birth_date"),
            ("18991231", "birth_date"),
        ],
    )
    def test_rule_id_number_birth_date_real_and_past(self, digits: str, reason: str) -> None:
        first17 = f"220102{digits}123"
        with pytest.raises(InvalidIdNumber) as caught:
            parse(first17 + check_character(first17), today=TODAY)
        assert caught.value.details["reason"] == reason

    @pytest.mark.parametrize(
        ("raw", "reason"),
        [("22010219900101123", "length"), ("2201021990010112AX", "format"), ("", "length")],
    )
    def test_malformed_numbers(self, raw: str, reason: str) -> None:
        with pytest.raises(InvalidIdNumber) as caught:
            parse(raw, today=TODAY)
        assert caught.value.details["reason"] == reason

    def test_gender_from_the_17th_digit(self) -> None:
        assert parse(id_number(date(1990, 1, 1), sequence=123), today=TODAY).gender == "male"
        assert parse(id_number(date(1990, 1, 1), sequence=124), today=TODAY).gender == "female"

    def test_mask_keeps_division_and_last_four(self) -> None:
        assert mask("220102199001011234") == "220102********1234"


class TestCipher:
    def cipher(self) -> IdNumberCipher:
        return IdNumberCipher.from_settings(MemberSettings(environment="test"))

    def test_ciphertext_is_bound_to_the_member(self) -> None:
        cipher = self.cipher()
        owner, other = uuid.uuid4(), uuid.uuid4()
        sealed = cipher.seal("220102199001011234", owner)
        assert cipher.open(sealed, owner) == "220102199001011234"
        with pytest.raises(ValueError, match="does not decrypt"):
            cipher.open(sealed, other)

    def test_same_number_encrypts_differently_but_hashes_the_same(self) -> None:
        cipher = self.cipher()
        first = cipher.seal("220102199001011234", uuid.uuid4())
        second = cipher.seal("220102199001011234", uuid.uuid4())
        assert first.ciphertext != second.ciphertext
        assert cipher.digest("220102199001011234") == cipher.digest("220102199001011234")

    def test_unknown_key_id_is_an_error(self) -> None:
        cipher = self.cipher()
        with pytest.raises(LookupError):
            cipher.open(Sealed("gone", b"0" * 12, b"x"), uuid.uuid4())

    def test_rule_local_keys_refused_in_production(self) -> None:
        with pytest.raises(ValueError, match="local development key"):
            MemberSettings(
                environment="production",
                database_url="postgresql://x/y",
                client_secret="real",
                id_number_hash_secret="real-hash-secret",
                id_number_keys={"local-1": LOCAL_ID_NUMBER_KEY},
            )
        with pytest.raises(ValueError, match="id_number_hash_secret"):
            MemberSettings(
                environment="production",
                database_url="postgresql://x/y",
                client_secret="real",
                id_number_keys={"k": base64.b64encode(b"k" * 32).decode()},
                id_number_current_key="k",
            )

    def test_keys_must_be_aes_256(self) -> None:
        with pytest.raises(ValueError, match="32 bytes"):
            MemberSettings(
                id_number_keys={"short": base64.b64encode(b"short").decode()},
                id_number_current_key="short",
            )
        with pytest.raises(ValueError, match="not a key id"):
            MemberSettings(id_number_current_key="missing")


class TestIdNumbersOverHttp:
    async def test_rule_id_number_check_digit_refused_with_nothing_written(
        self, client: httpx.AsyncClient, city: City, member_db_url: str
    ) -> None:
        good = id_number(date(1990, 1, 1))
        response = await client.post(
            "/members",
            json={
                "name": "李四",
                "id_number": good[:17] + ("0" if good[17] != "0" else "1"),
                "organization_id": str(city["盈科律所党支部"]),
            },
            headers=city.admin(),
        )
        assert response.status_code == 422
        assert error_code(response) == "invalid_id_number"
        assert response.json()["error"]["details"]["reason"] == "check_digit"
        assert await count(member_db_url, "member") == 0
        assert await count(member_db_url, "audit_record") == 0

    async def test_birth_date_and_gender_come_from_the_number(
        self, members: Members, city: City
    ) -> None:
        created = await members.create(
            id_number=id_number(date(1988, 3, 9), sequence=456), applied_on=TODAY
        )
        assert created["birth_date"] == "1988-03-09"
        assert created["gender"] == "female"
        expected_age = TODAY.year - 1988 - ((TODAY.month, TODAY.day) < (3, 9))
        assert created["age"] == expected_age

    async def test_given_birth_date_must_match_the_number(
        self, client: httpx.AsyncClient, city: City
    ) -> None:
        response = await client.post(
            "/members",
            json={
                "name": "王五",
                "id_number": id_number(date(1990, 1, 1)),
                "birth_date": "1990-01-02",
                "organization_id": str(city["盈科律所党支部"]),
            },
            headers=city.admin(),
        )
        assert response.status_code == 422
        assert error_code(response) == "id_number_mismatch"

    async def test_rule_id_number_masked_without_pii_scope(
        self, members: Members, city: City, client: httpx.AsyncClient
    ) -> None:
        number = id_number(date(1990, 1, 1))
        created = await members.create(id_number=number)
        assert created["id_number"] == number  # the admin holds member:pii
        assert created["id_number_masked"] is False
        secretary = city.secretary("盈科律所党支部")
        seen = (await client.get(f"/members/{created['id']}", headers=secretary)).json()
        assert seen["id_number"] == number[:6] + "********" + number[-4:]
        assert seen["id_number_masked"] is True
        listed = (
            await client.get(
                "/members",
                params={"organization_id": str(city["盈科律所党支部"])},
                headers=secretary,
            )
        ).json()
        assert [m["id_number"] for m in listed["items"]] == [seen["id_number"]]
        district = city.district_admin("南关区")  # district admins hold member:pii
        assert (await client.get(f"/members/{created['id']}", headers=district)).json()[
            "id_number"
        ] == number

    async def test_no_id_number_in_plain_text_in_the_members_table(
        self, members: Members, member_db_url: str
    ) -> None:
        numbers = [id_number(date(1980 + i, 2, 3)) for i in range(3)]
        for number in numbers:
            await members.create(id_number=number)
        connection = await asyncpg.connect(plain_url(member_db_url))
        try:
            rows = await connection.fetch("SELECT * FROM member")
            audit = await connection.fetch("SELECT * FROM audit_record")
            outbox = await connection.fetch("SELECT * FROM outbox_event")
        finally:
            await connection.close()
        assert len(rows) == 3
        dump = repr([dict(r) for r in [*rows, *audit, *outbox]])
        raw = b"".join(
            bytes(v)
            for r in rows
            for v in r.values()
            if isinstance(v, bytes | bytearray | memoryview)
        )
        for number in numbers:
            assert number not in dump
            assert number[6:14] + number[14:] not in dump  # not even the part after the region
            assert number.encode() not in raw

    async def test_rule_id_number_unique(
        self, members: Members, client: httpx.AsyncClient, city: City
    ) -> None:
        number = id_number(date(1990, 1, 1))
        await members.create(id_number=number)
        response = await client.post(
            "/members",
            json={
                "name": "重复",
                "id_number": number.lower(),
                "organization_id": str(city["瑞华会计所党支部"]),
            },
            headers=city.admin(),
        )
        assert response.status_code == 409
        assert error_code(response) == "duplicate_id_number"

    async def test_lookup_by_exact_id_number(
        self, members: Members, client: httpx.AsyncClient, city: City
    ) -> None:
        number = id_number(date(1975, 6, 1))
        created = await members.create(id_number=number)
        await members.create(id_number=id_number(date(1975, 6, 2)))
        found = await client.post(
            "/members/lookup", json={"id_number": number}, headers=city.admin()
        )
        assert found.status_code == 200
        assert found.json()["id"] == created["id"]
        other_branch = city.secretary("同心港企业党支部")
        hidden = await client.post(
            "/members/lookup", json={"id_number": number}, headers=other_branch
        )
        assert hidden.status_code == 404
        missing = await client.post(
            "/members/lookup", json={"id_number": id_number(date(1975, 6, 3))}, headers=city.admin()
        )
        assert missing.status_code == 404

    async def test_key_rotation_re_encrypts_and_old_rows_stay_readable(
        self, members: Members, member_db_url: str, city: City
    ) -> None:
        numbers = [id_number(date(1970 + i, 1, 1)) for i in range(3)]
        created = [await members.create(id_number=n) for n in numbers]
        new_key = base64.b64encode(b"n" * 32).decode()
        rotated = create_app(
            member_settings(
                member_db_url,
                city,
                id_number_keys={"local-1": LOCAL_ID_NUMBER_KEY, "key-2": new_key},
                id_number_current_key="key-2",
            ),
            configure_logs=False,
        )
        async with app_client(rotated) as client:
            before = await client.get(f"/members/{created[0]['id']}", headers=city.admin())
            assert before.json()["id_number"] == numbers[0]  # read with the old key
            step = await client.post(
                "/id-number-keys/re-encrypt", params={"limit": 2}, headers=city.admin()
            )
            assert step.json() == {"re_encrypted": 2, "remaining": 1, "current_key": "key-2"}
            step = await client.post("/id-number-keys/re-encrypt", headers=city.admin())
            assert step.json()["remaining"] == 0
            for member, number in zip(created, numbers, strict=True):
                got = await client.get(f"/members/{member['id']}", headers=city.admin())
                assert got.json()["id_number"] == number
            lookup = await client.post(
                "/members/lookup", json={"id_number": numbers[2]}, headers=city.admin()
            )
            assert lookup.json()["id"] == created[2]["id"]
        assert await count(member_db_url, "member", "id_number_key_id = 'key-2'") == 3
        secretary = city.secretary("盈科律所党支部")
        async with app_client(rotated) as client:
            refused = await client.post("/id-number-keys/re-encrypt", headers=secretary)
            assert refused.status_code == 403


class TestCorrection:
    async def test_a_mistyped_id_number_is_corrected_with_pii_scope(
        self, members: Members, client: httpx.AsyncClient, city: City
    ) -> None:
        created = await members.create(id_number=id_number(date(1980, 1, 1), sequence=11))
        right = id_number(date(1981, 2, 2), sequence=12)
        secretary = await client.patch(
            f"/members/{created['id']}",
            json={"id_number": right},
            headers=city.secretary("盈科律所党支部"),
        )
        assert secretary.status_code == 403
        fixed = await client.patch(
            f"/members/{created['id']}", json={"id_number": right}, headers=city.admin()
        )
        assert fixed.status_code == 200, fixed.text
        assert (fixed.json()["id_number"], fixed.json()["birth_date"], fixed.json()["gender"]) == (
            right,
            "1981-02-02",
            "female",
        )
        found = await client.post(
            "/members/lookup", json={"id_number": right}, headers=city.admin()
        )
        assert found.json()["id"] == created["id"]
        other = await members.create(id_number=id_number(date(1982, 3, 3)))
        taken = await client.patch(
            f"/members/{other['id']}", json={"id_number": right}, headers=city.admin()
        )
        assert taken.status_code == 409
        assert error_code(taken) == "duplicate_id_number"
