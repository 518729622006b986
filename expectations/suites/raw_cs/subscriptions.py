"""Suite for raw_cs.subscriptions: MRR sign and update-time sanity (contract start and end dates
may lie in the future, so they get no upper bound)."""

from expectations.suites._raw import not_negative, raw_suite, timestamp_range

SUITE = raw_suite(
    "cs",
    "subscriptions",
    version="1",
    description="One CS subscriptions extract date.",
    checks=[
        not_negative("mrr"),
        timestamp_range("updated_at"),
    ],
)
