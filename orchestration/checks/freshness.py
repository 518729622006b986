"""Freshness of the sources: yesterday's landing folder should be loaded by 07:00 Asia/Tokyo (the
daily run starts at 06:00), and every raw table should have been refreshed within 30 hours.

Warnings, not blockers: an entity with no file on a given day is normal (EXTRACTS.md); a run that
did not happen at all is what a data engineer must see in the UI.
"""

import datetime as dt

import dagster as dg

from ingestion.contracts import load_contracts
from orchestration.assets.ingestion import EXTRACT_FILES_KEY

raw_freshness_checks = [
    *dg.build_time_partition_freshness_checks(
        assets=[EXTRACT_FILES_KEY],
        deadline_cron="0 7 * * *",
        timezone="Asia/Tokyo",
        severity=dg.AssetCheckSeverity.WARN,
    ),
    *dg.build_last_update_freshness_checks(
        assets=[dg.AssetKey([e.system, e.name]) for e in load_contracts().entities],
        lower_bound_delta=dt.timedelta(hours=30),
        deadline_cron="0 7 * * *",
        timezone="Asia/Tokyo",
        severity=dg.AssetCheckSeverity.WARN,
    ),
]

freshness_sensor = dg.build_sensor_for_freshness_checks(
    freshness_checks=raw_freshness_checks, name="raw_freshness_checks_sensor"
)
