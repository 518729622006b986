"""Suite for raw_sfa.lead: daily volume, CreatedDate sanity, lead Status drift."""

from expectations.suites._raw import (
    in_vocabulary,
    lead_statuses,
    null_share,
    raw_suite,
    timestamp_range,
    volume,
)

SUITE = raw_suite(
    "sfa",
    "lead",
    version="1",
    description="One SFA Lead extract date.",
    checks=[
        volume(),
        timestamp_range("created_date"),
        timestamp_range("last_modified_date"),
        # An unknown status is invisible to the lifecycle rules (SAL/SQL/recycle are by status).
        in_vocabulary("status", "lead_statuses", lead_statuses()),
        null_share("email", 0.10),
    ],
)
