"""Money is integer fen: the amount type of every API model, and fen shown as yuan."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

# Ten billion yuan: far above any budget line of a city, far below bigint.
MAX_FEN = 1_000_000_000_000


def _whole_fen(value: Any) -> Any:
    """An amount is a whole number of fen above zero; anything else names the rule it breaks."""
    if isinstance(value, bool):
        raise PydanticCustomError(
            "invalid_amount", "an amount is a whole number of fen", {"error_code": "invalid_amount"}
        )
    if isinstance(value, float):
        if not value.is_integer():
            raise PydanticCustomError(
                "fractional_fen",
                "amounts are whole fen (1 yuan = 100 fen); a fraction of a fen cannot be paid",
                {"error_code": "fractional_fen"},
            )
        value = int(value)
    if isinstance(value, int) and value <= 0:
        raise PydanticCustomError(
            "amount_not_positive",
            "an amount is above zero; a correction is a reversal, not a negative amount",
            {"error_code": "amount_not_positive"},
        )
    if isinstance(value, int) and value > MAX_FEN:
        raise PydanticCustomError(
            "amount_too_large",
            f"an amount is at most {MAX_FEN} fen",
            {"error_code": "amount_too_large"},
        )
    return value


Fen = Annotated[
    int,
    BeforeValidator(_whole_fen),
    Field(gt=0, le=MAX_FEN, description="whole fen (1 yuan = 100 fen), above zero"),
]


def _whole_fen_or_zero(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool) and value == 0:
        return 0
    return _whole_fen(value)


FenOrZero = Annotated[
    int,
    BeforeValidator(_whole_fen_or_zero),
    Field(ge=0, le=MAX_FEN, description="whole fen (1 yuan = 100 fen), zero or more"),
]


def yuan(fen: int) -> str:
    """Fen as yuan with two decimals, exactly (never through a float): 12345 → '123.45'."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"
