"""Check implementations: what one check found, before it becomes a `CheckResult`.

`rowwise.py` evaluates the row-wise kinds in DuckDB with Great Expectations' results, `gx.py`
runs those it cannot cover through GX on a pandas frame, `sql.py` the set-based kinds in DuckDB.
Each returns an `Outcome` per check and never raises for a single check: a crash is an Outcome
with `crashed=True` (status 'error', not 'fail').
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from expectations.results import utc_now


@dataclass
class Outcome:
    passed: bool
    observed: str | None
    threshold: str | None
    failing_row_count: int | None = None
    sample: list[dict[str, Any]] = field(default_factory=list)
    crashed: bool = False
    message: str | None = None
    started_at: datetime = field(default_factory=utc_now)
    ended_at: datetime = field(default_factory=utc_now)
    # Row-wise checks only: the counts behind the verdict (element_count, unexpected_count,
    # missing_count, top unexpected values, min/max), so results of chunks can be merged.
    metrics: dict[str, Any] = field(default_factory=dict)


def crashed(exc: BaseException | str, threshold: str | None, started_at: datetime) -> Outcome:
    text = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
    return Outcome(
        passed=False,
        observed=None,
        threshold=threshold,
        crashed=True,
        message=text[:2000],
        started_at=started_at,
        ended_at=utc_now(),
    )


def pct(x: float) -> str:
    return f"{100 * x:.1f} %"
