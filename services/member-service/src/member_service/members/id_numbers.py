"""Resident ID card numbers (GB 11643-1999): validation, encryption at rest, lookup hash, masking.

Layout of the 18 characters:
  1-6    administrative division where the number was issued
  7-14   birth date, YYYYMMDD
  15-17  sequence number; the 17th is odd for men and even for women
  18     check character: Σ digitᵢ·weightᵢ mod 11 mapped through "10X98765432"

At rest a number is AES-256-GCM ciphertext under a key named by its key id (kept beside
it, so that keys can rotate), with the member's id as associated data (a ciphertext
copied onto another member's row does not decrypt). An HMAC-SHA256 of the number under a
separate secret finds a member by exact match without decrypting anything.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import uuid
from dataclasses import dataclass
from datetime import date

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from member_service.settings import MemberSettings
from service_kit.errors import Unprocessable

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"
LENGTH = 18
EARLIEST_BIRTH = date(1900, 1, 1)
NONCE_BYTES = 12


class InvalidIdNumber(Unprocessable):
    code = "invalid_id_number"
    message = "Not a valid resident ID card number."


def check_character(first17: str) -> str:
    """The 18th character these 17 digits call for."""
    total = sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


@dataclass(frozen=True)
class IdNumber:
    value: str
    birth_date: date
    gender: str  # male or female

    @property
    def masked(self) -> str:
        return mask(self.value)


def parse(raw: str, *, today: date) -> IdNumber:
    """The number in canonical form with its birth date and gender, or invalid_id_number."""
    value = "".join(raw.split()).upper()
    if len(value) != LENGTH:
        raise InvalidIdNumber(
            f"A resident ID card number has 18 characters; this one has {len(value)} "
            "(15-digit numbers of first-generation cards must be converted to 18 digits).",
            details={"reason": "length", "length": len(value)},
        )
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        raise InvalidIdNumber(
            "The first 17 characters of an ID card number are digits, the 18th a digit or X.",
            details={"reason": "format"},
        )
    if value[0] == "0":
        raise InvalidIdNumber(
            "Characters 1-6 must be an administrative division code; none starts with 0.",
            details={"reason": "division_code"},
        )
    try:
        birth = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError as exc:
        raise InvalidIdNumber(
            f"Characters 7-14 ({value[6:14]}) are not a real date of birth (YYYYMMDD).",
            details={"reason": "birth_date", "characters": value[6:14]},
        ) from exc
    if birth > today or birth < EARLIEST_BIRTH:
        raise InvalidIdNumber(
            f"The date of birth in the number ({birth.isoformat()}) is "
            + ("in the future." if birth > today else "before 1900."),
            details={"reason": "birth_date", "birth_date": birth.isoformat()},
        )
    expected = check_character(value[:17])
    if value[17] != expected:
        raise InvalidIdNumber(
            "The check character (18th) does not match the first 17 digits: one of them is "
            "mistyped. Copy the number from the ID card again.",
            details={"reason": "check_digit", "position": 18},
        )
    gender = "male" if int(value[16]) % 2 == 1 else "female"
    return IdNumber(value=value, birth_date=birth, gender=gender)


def mask(value: str) -> str:
    """Division code and last four kept, the birth date and sequence hidden."""
    return value[:6] + "*" * 8 + value[-4:]


@dataclass(frozen=True)
class Sealed:
    key_id: str
    nonce: bytes
    ciphertext: bytes


class IdNumberCipher:
    """Encrypts, decrypts and hashes ID numbers with the keys of the settings."""

    def __init__(self, keys: dict[str, bytes], current_key_id: str, hash_secret: bytes) -> None:
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self.current_key_id = current_key_id
        self._hash_secret = hash_secret

    @classmethod
    def from_settings(cls, settings: MemberSettings) -> IdNumberCipher:
        keys = {
            key_id: base64.b64decode(secret.get_secret_value())
            for key_id, secret in settings.id_number_keys.items()
        }
        return cls(
            keys,
            settings.id_number_current_key,
            settings.id_number_hash_secret.get_secret_value().encode(),
        )

    def seal(self, value: str, member_id: uuid.UUID) -> Sealed:
        nonce = os.urandom(NONCE_BYTES)
        ciphertext = self._ciphers[self.current_key_id].encrypt(
            nonce, value.encode(), member_id.bytes
        )
        return Sealed(self.current_key_id, nonce, ciphertext)

    def open(self, sealed: Sealed, member_id: uuid.UUID) -> str:
        cipher = self._ciphers.get(sealed.key_id)
        if cipher is None:
            raise LookupError(f"no ID-number key with id {sealed.key_id!r} is configured")
        try:
            return cipher.decrypt(sealed.nonce, sealed.ciphertext, member_id.bytes).decode()
        except InvalidTag as exc:
            raise ValueError(f"the ID number of member {member_id} does not decrypt") from exc

    def digest(self, value: str) -> bytes:
        return hmac.new(self._hash_secret, value.encode(), hashlib.sha256).digest()
