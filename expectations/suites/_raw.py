"""Building blocks of the raw-load suites (one extract date of one raw table per validation).

The thresholds here are the raw-layer DQ policy, shared by every raw suite so they change in one
place; a suite module only says which columns get which check.
"""

from __future__ import annotations

from expectations.suites import CheckDef, Suite, vocabulary
from ingestion.contracts import load_contracts
from ingestion.rules import business_rules

# Volume: today's rows against the median of the trailing days that had a delivery.
VOLUME_WINDOW_DAYS = 7
VOLUME_MIN_RATIO = 0.5
VOLUME_MIN_HISTORY_DAYS = 3  # fewer days of history: too little to judge, reported as pass
VOLUME_WEEKDAY_WEEKS = 4  # a quiet weekday is judged against the same weekday of 4 weeks
# Dates: nothing before this, nothing later than the extract date plus this many days.
EARLIEST_TIMESTAMP = "2000-01-01"
MAX_DAYS_AFTER_EXTRACT = 1
# Value-set drift: share of non-null values outside the vocabulary before we say so.
MAX_UNKNOWN_SHARE = 0.02

# Vocabularies of EXTRACTS.md that the business configuration does not (yet) hold: used only
# when neither a dbt var nor a seed of the same name exists (expectations.suites.vocabulary).
ACTIVITY_TYPES = [
    "web_visit",
    "pricing_page_view",
    "form_submit",
    "document_download",
    "email_open",
    "email_click",
    "webinar_registered",
    "webinar_attended",
    "event_attended",
    "score_change",
    "other",
]
CAMPAIGN_CHANNELS = [
    "paid_ads",
    "event",
    "webinar",
    "seminar",
    "email",
    "content",
    "referral",
    "organic",
    "partner",
    "other",
]


def lead_statuses() -> list[str]:
    """The SFA lead statuses the lifecycle rules name (vars `lead_status_*`), plus `Open`, the
    status every lead starts in (EXTRACTS.md)."""
    rules = business_rules()
    named = [str(v) for k, v in sorted(rules.items()) if k.startswith("lead_status_")]
    return ["Open", *named]


def volume(severity: str = "error") -> CheckDef:
    return CheckDef(
        name=f"volume_vs_trailing_{VOLUME_WINDOW_DAYS}d",
        kind="volume_vs_trailing",
        params={
            "window_days": VOLUME_WINDOW_DAYS,
            "min_ratio": VOLUME_MIN_RATIO,
            "min_history_days": VOLUME_MIN_HISTORY_DAYS,
            "weekday_weeks": VOLUME_WEEKDAY_WEEKS,
        },
        severity=severity,
        description="rows of the extract date >= 50 % of the trailing 7-day (or same-weekday) median",
    )


def timestamp_range(column: str, severity: str = "error") -> CheckDef:
    return CheckDef(
        name=f"{column}_in_range",
        kind="timestamp_range",
        column=column,
        params={"min": EARLIEST_TIMESTAMP, "max_days_after_partition": MAX_DAYS_AFTER_EXTRACT},
        severity=severity,
        description=f"{column} not before {EARLIEST_TIMESTAMP}, not after extract date + 1 day",
    )


def null_share(column: str, max_share: float, severity: str = "warn") -> CheckDef:
    return CheckDef(
        name=f"{column}_null_share",
        kind="not_null_share",
        column=column,
        params={"max_null_share": max_share},
        severity=severity,
    )


def in_vocabulary(column: str, vocab: str, fallback: list[str], severity: str = "warn") -> CheckDef:
    values, source = vocabulary(vocab, fallback)
    return CheckDef(
        name=f"{column}_in_{vocab}",
        kind="in_set",
        column=column,
        params={"values": values, "vocabulary": source, "max_unexpected_share": MAX_UNKNOWN_SHARE},
        severity=severity,
    )


def not_negative(column: str, severity: str = "warn") -> CheckDef:
    return CheckDef(
        name=f"{column}_not_negative",
        kind="between",
        column=column,
        params={"min": 0},
        severity=severity,
    )


def raw_suite(system: str, entity: str, version: str, checks: list[CheckDef], description: str) -> Suite:
    ent = load_contracts().entity(system, entity)
    return Suite(
        asset=f"raw_{system}.{entity}",
        version=version,
        checks=tuple(checks),
        description=description,
        partition_column="_extract_date",
        sample_columns=(*ent.key, "_source_file", "_row_number"),
    )
