"""What started a run, which extract dates it covers and how it runs, read from the run's tags.

One reading for every step that records audit rows (dbt test results, DQ checks, publication).
"""

from __future__ import annotations

from collections.abc import Mapping

TRIGGERS = ("manual", "schedule", "sensor", "backfill", "test")
# A run tagged `ssot/full_refresh=true` (`ssot run --full-refresh`, or a tag added when launching
# in the UI) rebuilds what runs incrementally from scratch: dbt's incremental models and identity.
FULL_REFRESH_TAG = "ssot/full_refresh"


def full_refresh(tags: Mapping[str, str]) -> bool:
    return tags.get(FULL_REFRESH_TAG, "").lower() == "true"


def trigger_of(tags: Mapping[str, str]) -> str:
    if "dagster/backfill" in tags:
        return "backfill"
    if "dagster/schedule_name" in tags:
        return "schedule"
    if "dagster/sensor_name" in tags:
        return "sensor"
    trigger = tags.get("ssot/trigger", "manual")
    return trigger if trigger in TRIGGERS else "manual"


def partition_label(tags: Mapping[str, str]) -> str | None:
    """`2026-09-01` for one extract date, `2026-09-01..2026-09-30` for a range (a backfill)."""
    if "dagster/asset_partition_range_start" in tags:
        return f"{tags['dagster/asset_partition_range_start']}..{tags['dagster/asset_partition_range_end']}"
    return tags.get("dagster/partition")
