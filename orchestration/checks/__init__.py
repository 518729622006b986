"""Asset checks that are not part of an asset's own step (freshness, data-quality suites)."""
