"""The daily partitions of extracts: one partition per `<YYYY-MM-DD>` landing folder."""

from __future__ import annotations

import dagster as dg

from orchestration.settings import settings

extract_date_partitions = dg.DailyPartitionsDefinition(
    start_date=settings().partitions_start, timezone="Asia/Tokyo", end_offset=1
)
