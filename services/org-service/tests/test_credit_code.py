"""The unified social credit code check (GB 32100-2015), without a database."""

from __future__ import annotations

import pytest

from org_service.work_targets.credit_code import (
    ALPHABET,
    InvalidCreditCode,
    check_character,
    validate_credit_code,
)

# Published codes (a business licence specimen and well-known companies), and codes
# computed here for the demo city's units (area code 220102: 南关区, 220105: 二道区).
PUBLISHED = [
    "91350100M000100Y43",
    "91110000802100433B",
    "91440300708461136T",
    "91310000132200821H",
]


def make_code(first17: str) -> str:
    """A valid code: the 17 characters and the check character they call for."""
    return first17 + check_character(first17)


COMPUTED = [
    make_code("91220102MA0Y3K5L2"),  # an enterprise registered in 南关区
    make_code("52220105MJ1234567"),  # a private non-enterprise unit (民办非企业) in 二道区
    make_code("31220000MD0123456"),  # a law firm registered with the justice department
    make_code("Y1220104MC7654321"),  # registered with another authority
]


def reason(code: str) -> str:
    with pytest.raises(InvalidCreditCode) as caught:
        validate_credit_code(code)
    assert caught.value.status_code == 422
    assert caught.value.instance_code == "invalid_credit_code"
    return str(caught.value.details["reason"])


class TestRuleCreditCodeCheckCharacter:
    @pytest.mark.parametrize("code", PUBLISHED + COMPUTED)
    def test_rule_credit_code_check_character_accepts_valid_codes(self, code: str) -> None:
        assert validate_credit_code(code) == code

    def test_rule_credit_code_check_character_known_values(self) -> None:
        assert check_character("91350100M000100Y4") == "3"
        assert check_character("91110000802100433") == "B"
        # 31 - (sum mod 31) = 31 stands for 0: a sum that is a multiple of 31
        assert check_character("00000000000000000") == "0"

    @pytest.mark.parametrize("code", PUBLISHED + COMPUTED)
    def test_rule_credit_code_check_character_catches_every_single_substitution(
        self, code: str
    ) -> None:
        """Any one character replaced by another of the alphabet fails validation."""
        for position in range(18):
            for char in ALPHABET:
                if char == code[position]:
                    continue
                corrupted = code[:position] + char + code[position + 1 :]
                with pytest.raises(InvalidCreditCode):
                    validate_credit_code(corrupted)

    @pytest.mark.parametrize("code", PUBLISHED)
    def test_rule_credit_code_check_character_reason(self, code: str) -> None:
        wrong = ALPHABET[(ALPHABET.index(code[17]) + 1) % 31]
        assert reason(code[:17] + wrong) == "check_character"
        # a mistyped character in the body is caught by the check character
        body = ALPHABET[(ALPHABET.index(code[12]) + 1) % 31]
        assert reason(code[:12] + body + code[13:]) == "check_character"

    def test_rule_credit_code_check_character_catches_adjacent_transposition(self) -> None:
        code = PUBLISHED[0]
        swapped = code[:8] + code[9] + code[8] + code[10:]
        assert swapped != code
        assert reason(swapped) == "check_character"


class TestRuleCreditCodeShape:
    def test_rule_credit_code_length(self) -> None:
        assert reason(PUBLISHED[0][:17]) == "length"
        assert reason(PUBLISHED[0] + "0") == "length"
        assert reason("") == "length"

    @pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V"])
    def test_rule_credit_code_alphabet_excludes_ambiguous_letters(self, letter: str) -> None:
        code = PUBLISHED[0]
        assert reason(code[:10] + letter + code[11:]) == "character"

    def test_rule_credit_code_registration_authority(self) -> None:
        assert reason(make_code("B1220102MA0Y3K5L2")) == "registration_authority"
        assert reason(make_code("01220102MA0Y3K5L2")) == "registration_authority"

    def test_rule_credit_code_organization_type_is_a_digit(self) -> None:
        assert reason(make_code("9A220102MA0Y3K5L2")) == "organization_type"
        assert reason(make_code("90220102MA0Y3K5L2")) == "organization_type"

    def test_rule_credit_code_area_code_is_six_digits(self) -> None:
        assert reason(make_code("9122A102MA0Y3K5L2")) == "area_code"
        assert reason(make_code("9122010MMA0Y3K5L2")) == "area_code"

    def test_rule_credit_code_normalizes_case_and_blanks(self) -> None:
        code = PUBLISHED[0]
        typed = " " + code[:6].lower() + " " + code[6:].lower() + "\n"
        assert validate_credit_code(typed) == code

    def test_error_names_the_position(self) -> None:
        with pytest.raises(InvalidCreditCode) as caught:
            validate_credit_code("91350100M0001O0Y43")
        assert caught.value.details["position"] == 14
        assert "14" in caught.value.detail_message
