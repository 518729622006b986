"""Running the project's dbt from the lifecycle tests: the models this layer owns and one way to
invoke dbt against a temp warehouse (artefacts in the test's folder, never the shared target/)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ingestion.rules import DBT_PROJECT_DIR

# The models the lifecycle layer owns (other layers of the project are built by their own tests).
LIFECYCLE_SELECT = [
    "path:models/staging",
    "path:models/intermediate/lifecycle",
    "int_record_companies_resolved",
    "path:seeds/ma_activity_types.csv",
    "path:seeds/lead_source_channels.csv",
    "fct_lead_funnel",
    "fct_lifecycle_events",
    "fct_opportunities",
    "fct_subscriptions",
    "fct_customers",
    "fct_campaign_costs",
    "dim_users",
]


def run_dbt(
    workdir: Path, warehouse: Path, *args: str, env: dict | None = None
) -> subprocess.CompletedProcess:
    """Run the project's dbt against `warehouse`, artefacts under workdir (`env` overrides)."""
    environment = dict(os.environ)
    environment.update(
        SSOT_WAREHOUSE=str(warehouse),
        SSOT_DUCKDB_TEMP_DIR=str(workdir / "duckdb_tmp"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        DO_NOT_TRACK="1",
    )
    environment.update(env or {})
    dbt = Path(sys.executable).with_name("dbt")
    cmd = [str(dbt), *args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
           "--target-path", str(workdir / "target"), "--log-path", str(workdir / "logs")]  # fmt: skip
    return subprocess.run(cmd, env=environment, capture_output=True, text=True, timeout=300)
