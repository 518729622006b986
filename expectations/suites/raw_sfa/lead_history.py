"""Suite for raw_sfa.lead_history: daily volume and change-time sanity (stage facts come from it)."""

from expectations.suites._raw import raw_suite, timestamp_range, volume

SUITE = raw_suite(
    "sfa",
    "lead_history",
    version="1",
    description="One SFA LeadHistory extract date.",
    checks=[volume(), timestamp_range("created_date")],
)
