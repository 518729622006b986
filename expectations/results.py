"""The result of one data-quality check: `CheckResult`, shared by every check source.

Owns the vocabulary of statuses and severities and the rule that decides whether a result blocks
publication. Great Expectations, SQL checks and dbt tests all end up as `CheckResult`s, are stored
in `audit.dq_results` (expectations.history) and are judged by the publish gate (expectations.publish).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

STATUSES = ("pass", "warn", "fail", "error")
SEVERITIES = ("error", "warn")
TRIGGERS = ("manual", "schedule", "sensor", "backfill", "test")
CHECK_SOURCES = ("great_expectations", "dbt", "sql")
SAMPLE_LIMIT = 5


def utc_now() -> datetime:
    """Naive UTC, as the warehouse stores every timestamp."""
    return datetime.now(UTC).replace(tzinfo=None)


def status_for(*, passed: bool, crashed: bool, severity: str) -> str:
    """A crashed check is 'error' (nothing was learnt about the data); failing data is 'fail' for
    a blocking check and 'warn' for an advisory one."""
    if crashed:
        return "error"
    if passed:
        return "pass"
    return "fail" if severity == "error" else "warn"


@dataclass
class CheckResult:
    check_name: str
    asset: str  # `<schema>.<table>`: 'raw_ma.leads', 'kpi_build.rpt_funnel_monthly'
    severity: str  # 'error' (blocks publication) | 'warn'
    status: str  # 'pass' | 'warn' | 'fail' | 'error' (the check itself crashed)
    observed_value: str | None
    threshold: str | None
    failing_row_count: int | None
    sample: list[dict[str, Any]] = field(default_factory=list)  # <= 5 rows, already masked
    definition_hash: str | None = None
    definition_version: str | None = None
    started_at: datetime | None = None  # naive UTC
    ended_at: datetime | None = None  # naive UTC
    check_source: str = "great_expectations"
    run_id: str | None = None
    trigger: str | None = None
    partition: str | None = None
    code_version: str | None = None
    rules_version: str | None = None
    message: str | None = None  # the exception of a crashed check, or dbt's message

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status {self.status!r} not in {STATUSES}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity {self.severity!r} not in {SEVERITIES}")
        if self.check_source not in CHECK_SOURCES:
            raise ValueError(f"check_source {self.check_source!r} not in {CHECK_SOURCES}")
        self.sample = list(self.sample or [])[:SAMPLE_LIMIT]

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    @property
    def blocks_publication(self) -> bool:
        return self.severity == "error" and self.status != "pass"

    def describe(self) -> str:
        """One line for humans: `kpi_build.rpt_x / amount_jpy_not_negative: fail (observed ... vs ...)`."""
        text = f"{self.asset} / {self.check_name}: {self.status} (observed {self.observed_value} vs threshold {self.threshold})"
        return text + (f" [{self.message}]" if self.message and self.status == "error" else "")

    def dagster_metadata(self) -> dict[str, Any]:
        """Plain values for `AssetCheckResult(metadata=...)`: str / int / float / None only."""
        return {
            "status": self.status,
            "observed_value": self.observed_value,
            "threshold": self.threshold,
            "failing_row_count": self.failing_row_count,
            "definition_version": self.definition_version,
            "definition_hash": self.definition_hash,
            "check_source": self.check_source,
            "sample": json.dumps(self.sample, ensure_ascii=False),
            **({"message": self.message} if self.message else {}),
        }

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
