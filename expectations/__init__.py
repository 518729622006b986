"""Data-quality gate building blocks: versioned suites, the runner, the DQ history,
write–audit–publish of the KPI marts, and the auditor's report. Plain Python + DuckDB (+ Great
Expectations imported lazily inside the functions that need it); nothing here imports Dagster.

Public API (all take an open DuckDB connection to the warehouse, the one writer):

- `expectations.validate.run_suite(con, suite_name, *, run_id, trigger, partition=None,
  code_version=None, record=True) -> list[CheckResult]`
  `suite_name` is the asset, `<schema>.<table>` (`raw_ma.leads`, `kpi_build.rpt_funnel_monthly`).
  Never raises for a failing or crashing check: each check is one CheckResult with status
  pass / warn / fail / error. Results are appended to `audit.dq_results` unless `record=False`.
- `expectations.validate.run_layer(con, layer, *, run_id, trigger, ...)`: every suite of
  'raw' / 'raw_ma' / 'raw_sfa' / 'raw_cs' / 'kpi_build' (every kpi_build table, by convention).
- `expectations.history.record_results(con, results)`, `load_results(con, run_id)`,
  `record_dbt_results(con, run_results_json_path, manifest_json_path, run_id, trigger)`
  (also importable from expectations.validate).
- `expectations.publish.publish_kpis(con, *, run_id, export_dir, gate_results) -> PublishResult`
  (raises `GateFailed`), and `gate_and_publish(con, *, run_id, trigger, export_dir,
  partition=None)`: run the kpi_build suites, then judge everything this run recorded.
- `expectations.report.build_report(con, out_path, run_id=None) -> Path`.

`trigger` is one of manual / schedule / sensor / backfill / test.

Wrapping in Dagster (orchestration/ owns this; a sketch):

    @dg.asset_check(asset=dg.AssetKey(["ma", "leads"]), blocking=True)
    def raw_ma_leads_dq(context, warehouse):
        from expectations.validate import run_suite
        with warehouse.connect() as con:
            results = run_suite(con, "raw_ma.leads", run_id=context.run.run_id,
                                trigger=trigger_of(context), partition=context.partition_key)
        worst = [r for r in results if not r.passed]
        return dg.AssetCheckResult(
            passed=not any(r.blocks_publication for r in results),
            severity=dg.AssetCheckSeverity.ERROR if any(r.blocks_publication for r in results)
            else dg.AssetCheckSeverity.WARN,
            metadata={r.check_name: r.status for r in results} | {
                "failed": "\\n".join(r.describe() for r in worst)},
        )

and the publish asset calls `gate_and_publish(...)`, turning `GateFailed` into `dg.Failure`
(its message names every failed check) and calling `build_report` in a `finally`.
"""
