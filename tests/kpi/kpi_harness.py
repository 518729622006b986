"""A self-contained dbt project for the KPI tests: the KPI layer as committed, fed by fixtures.

Owns: copying the KPI layer (models/marts/kpi, dim_dates, macros/kpi, tests/kpi, the project and
profile files) into a temp folder, with the upstream core facts as pass-through models over
fixture tables (`<schema>.<name>__fixture`), and running dbt on it. The copy does not include the
other layers, so the KPI tests check the KPI layer against the core spec whatever state the rest
of the tree is in; the end-to-end test runs the real project instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from ingestion.rules import DBT_PROJECT_DIR

# upstream relation -> folder of the model that owns it in the real project
UPSTREAM = {
    "core.fct_lead_funnel": "models/marts/core",
    "core.fct_lifecycle_events": "models/marts/core",
    "core.fct_opportunities": "models/marts/core",
    "core.fct_subscriptions": "models/marts/core",
    "core.fct_customers": "models/marts/core",
    "core.fct_campaign_costs": "models/marts/core",
    "core.dim_users": "models/marts/core",
    "intermediate.int_warehouse_clock": "models/intermediate/lifecycle",
}

KPI_PATHS = [
    "dbt_project.yml",
    "profiles.yml",
    "macros/generate_schema_name.sql",
    "macros/kpi",
    "models/marts/kpi",
    "models/marts/core/dim_dates.sql",
    "models/marts/core/_dates__models.yml",
    "tests/kpi",
]


def fixture_name(relation: str) -> str:
    return f"{relation}__fixture"


def make_kpi_project(dest: Path) -> Path:
    """Copy the KPI layer into dest and add one pass-through model per upstream relation."""
    for rel in KPI_PATHS:
        src = DBT_PROJECT_DIR / rel
        if src.is_dir():
            shutil.copytree(src, dest / rel)
        elif src.exists():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    for relation, folder in UPSTREAM.items():
        name = relation.split(".")[1]
        (dest / folder).mkdir(parents=True, exist_ok=True)
        (dest / folder / f"{name}.sql").write_text(f"select * from {fixture_name(relation)}\n")
    return dest


def dbt_env(warehouse: Path, work: Path) -> dict[str, str]:
    (work / "duckdb_tmp").mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "SSOT_WAREHOUSE": str(warehouse),
        "SSOT_DUCKDB_TEMP_DIR": str(work / "duckdb_tmp"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }


def run_dbt(project: Path, warehouse: Path, work: Path, *args: str) -> subprocess.CompletedProcess:
    """Run dbt (the venv's) on project against warehouse; target/logs under work."""
    dbt = Path(sys.executable).with_name("dbt")
    cmd = [
        str(dbt),
        *args,
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
    ]
    return subprocess.run(cmd, env=dbt_env(warehouse, work), capture_output=True, text=True, timeout=300)
