"""Suite for raw_sfa.opportunity: CreatedDate sanity and amount sign (CloseDate may be future)."""

from expectations.suites._raw import not_negative, null_share, raw_suite, timestamp_range

SUITE = raw_suite(
    "sfa",
    "opportunity",
    version="1",
    description="One SFA Opportunity extract date.",
    checks=[
        timestamp_range("created_date"),
        timestamp_range("last_modified_date"),
        not_negative("amount"),
        null_share("amount", 0.20),
    ],
)
