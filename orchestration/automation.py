"""Automation: the daily schedule, the file-arrival sensor and the jobs they launch.

- `ssot_pipeline`: every asset, for one extract date or a range of them (single-run backfill).
- schedule: 06:00 Asia/Tokyo, the previous day's extract partition through to the KPIs.
- sensor: a run per extract date whose files changed since the sensor last looked.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import dagster as dg

from orchestration.partitions import extract_date_partitions
from orchestration.settings import settings

DATE_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SYSTEM_DIRS = ("ma", "sfa", "cs")

ssot_pipeline = dg.define_asset_job(
    name="ssot_pipeline",
    # partitioned by extract date through landing/extract_files (Dagster infers it)
    selection=dg.AssetSelection.all(),
    description=(
        "Load extracts of the selected extract dates, rebuild staging, identity, lifecycle facts and KPI "
        "marts, run the data-quality gate and publish the KPIs if it passes. Select a partition range to "
        "backfill (runs as one run)."
    ),
    tags={"ssot/trigger": "manual"},
)

daily_schedule = dg.build_schedule_from_partitioned_job(
    ssot_pipeline,
    name="ssot_daily_0600_jst",
    description="Every day at 06:00 Asia/Tokyo: load yesterday's extracts and rebuild everything downstream.",
    hour_of_day=6,
    minute_of_hour=0,
    tags={"ssot/trigger": "schedule"},
    default_status=dg.DefaultScheduleStatus.STOPPED,
)


def landing_fingerprints(landing: Path) -> dict[str, str]:
    """Extract date -> digest of (path, size, mtime) of its files, across the three systems."""
    per_date: dict[str, list[str]] = {}
    if not landing.exists():
        return {}
    for system in SYSTEM_DIRS:
        sys_dir = landing / system
        if not sys_dir.is_dir():
            continue
        for day in sys_dir.iterdir():
            if not (day.is_dir() and DATE_DIR.match(day.name)):
                continue
            for f in sorted(day.iterdir()):
                if f.is_file() and not f.name.startswith("."):
                    st = f.stat()
                    per_date.setdefault(day.name, []).append(
                        f"{system}/{f.name}:{st.st_size}:{st.st_mtime_ns}"
                    )
    return {d: hashlib.sha256("\n".join(sorted(v)).encode()).hexdigest()[:16] for d, v in per_date.items()}


@dg.sensor(
    name="new_extract_files",
    job=ssot_pipeline,
    minimum_interval_seconds=60,
    description="Launches the pipeline for every extract date whose landing files are new or changed.",
    default_status=dg.DefaultSensorStatus.STOPPED,
)
def new_extract_files(context: dg.SensorEvaluationContext):
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    current = landing_fingerprints(settings().landing)
    valid = set(extract_date_partitions.get_partition_keys())
    for date, digest in sorted(current.items()):
        if seen.get(date) == digest:
            continue
        if date not in valid:
            context.log.warning(f"landing folder {date} is outside the extract-date partitions; skipped")
            continue
        yield dg.RunRequest(
            run_key=f"{date}:{digest}",
            partition_key=date,
            tags={"ssot/trigger": "sensor"},
        )
    context.update_cursor(json.dumps(current, sort_keys=True))
