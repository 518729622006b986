"""Suite for raw_ma.leads: daily volume, timestamp sanity, e-mail and source completeness."""

from expectations.suites._raw import null_share, raw_suite, timestamp_range, volume

SUITE = raw_suite(
    "ma",
    "leads",
    version="1",
    description="One MA leads extract date.",
    checks=[
        volume(),
        timestamp_range("created_at"),
        timestamp_range("updated_at"),
        # e-mail links MA to SFA when the id sync fails; lead source drives every KPI slice.
        null_share("email", 0.05),
        null_share("lead_source", 0.20),
    ],
)
