"""The 13-digit Japanese corporate number (法人番号) and its check digit.

Owns the check-digit algorithm (National Tax Agency spec): the first digit is the check digit of
the 12 base digits that follow it, `9 - (sum(d_i * (1 if i odd else 2)) mod 9)` with positions i
counted from the right of the base. Identity resolution treats a valid number as a hard
constraint, so the generator must produce valid ones and, on purpose, a few invalid ones.
"""

from __future__ import annotations

import numpy as np


def check_digit(base12: str) -> int:
    """Check digit of the 12 base digits (`"180301018771"` -> 1, Toyota's 1180301018771)."""
    if len(base12) != 12 or not base12.isdigit():
        raise ValueError(f"a corporate number base is 12 digits, got {base12!r}")
    total = 0
    for pos, ch in enumerate(reversed(base12), start=1):
        total += int(ch) * (1 if pos % 2 else 2)
    return 9 - total % 9


def is_valid(number: str) -> bool:
    """True for a 13-digit string whose leading check digit matches its base."""
    return len(number) == 13 and number.isdigit() and int(number[0]) == check_digit(number[1:])


def make(base12: str) -> str:
    """The full 13-digit number for a 12-digit base."""
    return f"{check_digit(base12)}{base12}"


def random_numbers(rng: np.random.Generator, n: int) -> list[str]:
    """n distinct valid corporate numbers (vectorised check digits)."""
    # 12 random digits per row; distinctness by drawing from a wide range without replacement
    # would cost memory, so draw, then re-draw the (rare) collisions.
    bases = rng.integers(10**11, 10**12, size=n, dtype=np.int64)
    seen: set[int] = set()
    for i in range(n):
        while int(bases[i]) in seen:
            bases[i] = rng.integers(10**11, 10**12, dtype=np.int64)
        seen.add(int(bases[i]))
    digits = (bases[:, None] // (10 ** np.arange(11, -1, -1, dtype=np.int64))) % 10  # left..right
    weights = np.where(np.arange(12)[::-1] % 2 == 0, 1, 2)  # rightmost digit is position 1 (odd)
    checks = 9 - (digits * weights).sum(axis=1) % 9
    return [f"{c}{b:012d}" for c, b in zip(checks.tolist(), bases.tolist(), strict=True)]


def corrupt(number: str, rng: np.random.Generator) -> str:
    """A plausible mistyped number whose check digit no longer matches its base."""
    wrong = (int(number[0]) + int(rng.integers(1, 9))) % 10
    if wrong == check_digit(number[1:]):  # cannot happen for a valid input, guard anyway
        wrong = (wrong + 1) % 10
    return f"{wrong}{number[1:]}"
