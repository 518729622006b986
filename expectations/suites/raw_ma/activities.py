"""Suite for raw_ma.activities: daily volume, occurred_at sanity, activity_type drift."""

from expectations.suites._raw import ACTIVITY_TYPES, in_vocabulary, raw_suite, timestamp_range, volume

SUITE = raw_suite(
    "ma",
    "activities",
    version="1",
    description="One MA activities extract date.",
    checks=[
        volume(),
        timestamp_range("occurred_at"),
        in_vocabulary("activity_type", "ma_activity_types", ACTIVITY_TYPES),
    ],
)
