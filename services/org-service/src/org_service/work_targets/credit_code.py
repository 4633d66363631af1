"""The unified social credit code (统一社会信用代码, GB 32100-2015): its one validity check.

Layout of the 18 characters:
  1     registration authority (登记管理部门代码): 1-9, A, N or Y
  2     organization type within that authority (机构类别代码): a digit 1-9
  3-8   administrative division of the registering office (登记管理机关行政区划码): 6 digits
  9-17  subject identifier (主体标识码, the organization code of GB 11714)
  18    check character over the first 17
Every character comes from 0-9 and A-Z without I, O, Z, S, V (31 characters); the check
character is 31 - (Σ value(cᵢ)·3ⁱ mod 31), where 31 stands for 0.
"""

from __future__ import annotations

from service_kit.errors import Unprocessable

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUES = {c: i for i, c in enumerate(ALPHABET)}
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)  # 3**i mod 31
REGISTRATION_AUTHORITIES = frozenset("123456789ANY")
LENGTH = 18


class InvalidCreditCode(Unprocessable):
    code = "invalid_credit_code"
    message = "Not a valid unified social credit code."


def check_character(first17: str) -> str:
    """The check character the 18th position must hold for these 17 characters."""
    total = sum(VALUES[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(raw: str) -> str:
    """The code in canonical form (upper case, no blanks), or invalid_credit_code naming the fault.

    Checks length, alphabet, registration authority, type code, area code and the check
    character. The embedded GB 11714 organization code keeps its own check digit, which
    this function does not test: some registries issued codes whose body fails it.
    """
    code = "".join(raw.split()).upper()
    if len(code) != LENGTH:
        raise InvalidCreditCode(
            f"A unified social credit code has 18 characters; this one has {len(code)}.",
            details={"reason": "length", "length": len(code)},
        )
    for position, char in enumerate(code, start=1):
        if char not in VALUES:
            raise InvalidCreditCode(
                f"Character {position} ('{char}') cannot occur in a credit code: only digits "
                "and the capital letters other than I, O, Z, S and V are used.",
                details={"reason": "character", "position": position, "character": char},
            )
    if code[0] not in REGISTRATION_AUTHORITIES:
        raise InvalidCreditCode(
            f"Character 1 ('{code[0]}') is not a registration authority code "
            "(1-9, A, N or Y; enterprises registered with market regulation start with 9).",
            details={"reason": "registration_authority", "position": 1, "character": code[0]},
        )
    if not "1" <= code[1] <= "9":
        raise InvalidCreditCode(
            f"Character 2 ('{code[1]}') must be the organization type, a digit 1-9.",
            details={"reason": "organization_type", "position": 2, "character": code[1]},
        )
    if not code[2:8].isdigit():
        raise InvalidCreditCode(
            f"Characters 3-8 ('{code[2:8]}') must be the 6-digit administrative division "
            "code of the registering office.",
            details={"reason": "area_code", "position": 3, "characters": code[2:8]},
        )
    if check_character(code[:17]) != code[17]:
        raise InvalidCreditCode(
            "The check character (18th) does not match the first 17 characters: one of the "
            "characters is mistyped. Copy the code from the business licence again.",
            details={"reason": "check_character", "position": 18, "character": code[17]},
        )
    return code
