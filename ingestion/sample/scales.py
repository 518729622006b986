"""Scale presets of the sample generator (T tiny for tests, S demo, M, L benchmark).

Owns the sizes only; behaviour (rates, delays) lives in `funnel.py`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    companies: int
    leads: int
    activities: int  # target number of MA activities inside the date range
    days: int  # default number of daily folders
    campaigns: int
    direct_opportunities: int  # field-sales opportunities not born from a lead (outbound)
    users: tuple[int, int, int, int]  # Marketing, Inside Sales, Field Sales, Customer Success
    installed_base_share: float  # companies that were customers before the range starts


SCALES: dict[str, Scale] = {
    "T": Scale("T", 60, 600, 6_000, 21, 10, 12, (2, 4, 4, 2), 0.08),
    "S": Scale("S", 2_000, 20_000, 200_000, 90, 40, 400, (4, 10, 12, 5), 0.05),
    "M": Scale("M", 20_000, 200_000, 2_000_000, 180, 120, 8_000, (8, 30, 40, 15), 0.04),
    "L": Scale("L", 100_000, 1_000_000, 10_000_000, 365, 300, 150_000, (15, 80, 120, 40), 0.03),
}


def get_scale(name: str) -> Scale:
    try:
        return SCALES[name.upper()]
    except KeyError:
        raise ValueError(f"unknown scale {name!r}; expected one of {', '.join(SCALES)}") from None
