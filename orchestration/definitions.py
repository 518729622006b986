"""The one Dagster `Definitions` of the warehouse: loaded by `dagster dev -w workspace.yaml` and
by `ssot run`, so the UI and the command line always run the same graph.

Execution is in-process: DuckDB has a single writer, so parallel step processes would only queue
on the writer pool while each re-imports this module (seconds per step, measured in
ARCHITECTURE.md). Heavy libraries (GX, Splink) are imported inside the steps that use them.
"""

from __future__ import annotations

import dagster as dg

from orchestration.assets.dbt import dbt_core_and_kpi, dbt_staging
from orchestration.assets.identity import resolve_companies
from orchestration.assets.ingestion import extract_files, ledger_reconciles, raw_tables
from orchestration.assets.quality import publish_kpis
from orchestration.automation import daily_schedule, new_extract_files, ssot_pipeline
from orchestration.checks.raw_quality import raw_dq_suites
from orchestration.resources import build_resources
from orchestration.settings import export_environment

export_environment()

defs = dg.Definitions(
    assets=[extract_files, raw_tables, dbt_staging, resolve_companies, dbt_core_and_kpi, publish_kpis],
    asset_checks=[ledger_reconciles, raw_dq_suites],
    jobs=[ssot_pipeline],
    schedules=[daily_schedule],
    sensors=[new_extract_files],
    resources=build_resources(),
    executor=dg.in_process_executor,
)
