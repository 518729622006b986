"""Running the project's dbt from the lifecycle tests: the models this layer owns and one way to
invoke dbt against a temp warehouse (artefacts in the test's folder, never the shared target/)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

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


def build(workdir: Path, warehouse: Path, select: list[str], *extra: str) -> None:
    """`dbt build` of `select` (tests attached to it only when all their models are selected)."""
    result = run_dbt(
        workdir, warehouse, "build", "--indirect-selection", "cautious", "--select", *select, *extra
    )
    assert result.returncode == 0, result.stdout[-6000:]


def query(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def tables(warehouse: Path, names: list[str]) -> dict[str, list[tuple]]:
    """Every row of each table, in a fixed order: what an incremental build is compared by."""
    return {t: query(warehouse, f"select * from {t} order by all") for t in names}


def full_build_of_copy(
    tmp_path: Path, warehouse: Path, name: str, select: list[str], names: list[str]
) -> dict:
    """`tables(names)` after a `--full-refresh` build of `select` on a copy of the warehouse."""
    copy = tmp_path / name / "wh.duckdb"
    copy.parent.mkdir()
    shutil.copy(warehouse, copy)
    build(copy.parent, copy, select, "--full-refresh")
    return tables(copy, names)
