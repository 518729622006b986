"""The daily partitions of extracts: one partition per `<YYYY-MM-DD>` landing folder.

The last partition is yesterday (Asia/Tokyo): folder D holds day D's records and is complete only
after D ends, so the 06:00 schedule loads the previous day and never a half-delivered one.
"""

from __future__ import annotations

import dagster as dg

from orchestration.settings import settings

extract_date_partitions = dg.DailyPartitionsDefinition(
    start_date=settings().partitions_start, timezone="Asia/Tokyo", end_offset=0
)
