"""Freshness of the raw sources: yesterday's extract partition of every entity should be loaded
by 07:00 Asia/Tokyo (the daily run starts at 06:00).

A warning, not a blocker: an entity with no file on a given day is normal (EXTRACTS.md); a run
that did not happen at all is what a data engineer must see in the UI.
"""

from __future__ import annotations

import dagster as dg

from ingestion.contracts import load_contracts

raw_freshness_checks = dg.build_time_partition_freshness_checks(
    assets=[dg.AssetKey([e.system, e.name]) for e in load_contracts().entities],
    deadline_cron="0 7 * * *",
    timezone="Asia/Tokyo",
    severity=dg.AssetCheckSeverity.WARN,
)

freshness_sensor = dg.build_sensor_for_freshness_checks(
    freshness_checks=raw_freshness_checks, name="raw_freshness_checks_sensor"
)
