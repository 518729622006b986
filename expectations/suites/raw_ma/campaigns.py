"""Suite for raw_ma.campaigns (a small snapshot, so no volume check): channel drift, cost sign."""

from expectations.suites._raw import (
    CAMPAIGN_CHANNELS,
    in_vocabulary,
    not_negative,
    raw_suite,
    timestamp_range,
)

SUITE = raw_suite(
    "ma",
    "campaigns",
    version="1",
    description="One MA campaigns snapshot.",
    checks=[
        in_vocabulary("channel", "campaign_channels", CAMPAIGN_CHANNELS),
        not_negative("cost"),
        timestamp_range("updated_at"),
    ],
)
