"""The data-quality gate and publication (write–audit–publish), and the auditor report.

KPI marts are built by dbt into `kpi_build` (BI never reads it). `publish_kpis` runs the Great
Expectations suites of the KPI layer, adds this run's dbt test results, and publishes to `kpi`
(plus the Parquet export) in one transaction only if nothing blocking failed; otherwise it fails
the run naming the failed checks and leaves the last published version untouched.
"""

import dagster as dg

from orchestration import triggers
from orchestration.assets.dbt import dbt_core_and_kpi
from orchestration.resources import WarehouseResource
from orchestration.settings import WRITER_POOL, settings

OWNERS = ["team:data-engineering"]
PUBLISHED_KEY = dg.AssetKey(["kpi", "published"])


def _kpi_build_keys() -> list[dg.AssetKey]:
    return [spec.key for spec in dbt_core_and_kpi.specs if spec.group_name == "kpi"]


def trigger_of(context) -> str:
    return triggers.trigger_of(context.run.tags)


@dg.asset(
    key=PUBLISHED_KEY,
    group_name="quality",
    owners=OWNERS,
    deps=_kpi_build_keys(),
    description=(
        "The published KPI marts (schema `kpi`) and their Parquet export: replaced atomically from "
        "`kpi_build` only when every blocking data-quality check of this run passed."
    ),
    kinds={"duckdb", "parquet"},
    pool=WRITER_POOL,
    code_version="publish-v1",
)
def publish_kpis(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from expectations.publish import GateFailed, gate_and_publish
    from expectations.report import build_report

    s = settings()
    run_id = context.run.run_id
    report = s.report_dir / f"dq_report_{run_id}.html"
    with warehouse.connect() as con:
        try:
            result = gate_and_publish(
                con,
                run_id=run_id,
                trigger=trigger_of(context),
                export_dir=s.export_dir,
                partition=triggers.partition_label(context.run.tags),
            )
        except GateFailed as failed:
            raise dg.Failure(
                description=f"{failed}\nData-quality report: {report}", allow_retries=False
            ) from failed
        finally:
            # The auditor's report is written whether the gate passed or not: a refused
            # publication is exactly what an auditor needs to see.
            build_report(con, report, run_id=run_id)
            (s.report_dir / "dq_report_latest.html").write_bytes(report.read_bytes())
    return dg.MaterializeResult(
        metadata={**result.metadata(), "dq_report": dg.MetadataValue.path(str(report))}
    )
