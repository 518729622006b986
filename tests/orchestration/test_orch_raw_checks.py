"""The raw DQ suites as Dagster asset checks: the verdict of a suite run, a blocking failure that
stops everything downstream of the loaded day, and re-running just the step that failed."""

from __future__ import annotations

import csv

import dagster as dg
import pytest
from orch_helpers import generate_landing, step_failures

from expectations.results import CheckResult

# Orchestration is imported inside the tests, after the settings point at a temp folder
# (tests/conftest.py); these are the check names of orchestration/checks/raw_quality.py.
BLOCKING_CHECK, WARNING_CHECK = "dq_suite", "dq_suite_warnings"
KEY = dg.AssetKey(["ma", "leads"])


def _result(name: str, severity: str, status: str) -> CheckResult:
    return CheckResult(
        check_name=name,
        asset="raw_ma.leads",
        severity=severity,
        status=status,
        observed_value="x",
        threshold="y",
        failing_row_count=None,
    )


def _by_name(results) -> dict[str, dg.AssetCheckResult]:
    from orchestration.checks.raw_quality import verdicts

    return {v.check_name: v for v in verdicts(KEY, results, "2026-09-30")}


@pytest.mark.parametrize(
    ("error_status", "warn_status", "blocking_passes", "warnings_pass"),
    [
        ("pass", "pass", True, True),
        ("fail", "pass", False, True),
        ("error", "pass", False, True),  # a crashed blocking check blocks: nothing was proven
        ("pass", "warn", True, False),
        ("pass", "error", True, False),  # a crashed advisory check is shown, never blocks
    ],
)
def test_verdicts_split_blocking_from_advisory(error_status, warn_status, blocking_passes, warnings_pass):
    from orchestration.checks import raw_quality

    assert (raw_quality.BLOCKING_CHECK, raw_quality.WARNING_CHECK) == (BLOCKING_CHECK, WARNING_CHECK)
    got = _by_name(
        [_result("volume", "error", error_status), _result("email_null_share", "warn", warn_status)]
    )
    assert got[BLOCKING_CHECK].passed is blocking_passes
    assert got[BLOCKING_CHECK].severity == dg.AssetCheckSeverity.ERROR
    assert got[WARNING_CHECK].passed is warnings_pass
    assert got[WARNING_CHECK].severity == dg.AssetCheckSeverity.WARN
    assert got[BLOCKING_CHECK].metadata["extract_dates"].value == "2026-09-30"


def _corrupt_leads(path) -> None:
    """Every lead modified years after its extract date (a blocking check) and without e-mail
    (an advisory one): what an exporter with a broken clock and a dropped column would send."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        row["updated_at"] = "2031-01-01T00:00:00+09:00"
        row["email"] = ""
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _job():
    from orchestration.definitions import defs

    return defs.resolve_job_def("ssot_pipeline")


def _started_steps(result) -> set[str]:
    return {e.step_key for e in result.all_events if e.event_type_value == "STEP_START"}


def _query(sql: str, params=None) -> list[tuple]:
    import duckdb

    from orchestration.settings import settings

    con = duckdb.connect(str(settings().warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_a_failing_blocking_raw_check_stops_the_day_before_staging(ssot_env):
    from orchestration.settings import export_environment, settings

    day = generate_landing(days=2)[-1]
    _corrupt_leads(settings().landing / "ma" / day / "leads.csv")
    export_environment()
    result = _job().execute_in_process(
        instance=dg.DagsterInstance.get(),
        partition_key=day,
        tags={"ssot/trigger": "test"},
        raise_on_error=False,
    )

    assert not result.success
    assert [f.split(":")[0] for f in step_failures(result)] == ["raw_dq_suites"]
    # Nothing downstream of the raw layer ran: no staging, no identity, no KPIs, no publication.
    assert _started_steps(result).isdisjoint(
        {"dbt_staging", "resolve_companies", "dbt_core_and_kpi", "kpi__published"}
    )
    evaluations = {(e.asset_key, e.check_name): e for e in result.get_asset_check_evaluations()}
    blocking, advisory = evaluations[(KEY, BLOCKING_CHECK)], evaluations[(KEY, WARNING_CHECK)]
    assert not blocking.passed and blocking.severity == dg.AssetCheckSeverity.ERROR
    assert "updated_at_in_range" in blocking.metadata["failures"].value
    assert not advisory.passed and advisory.severity == dg.AssetCheckSeverity.WARN
    assert "email_null_share" in advisory.metadata["failures"].value
    others = [
        e for (key, name), e in evaluations.items() if key != KEY and name in (BLOCKING_CHECK, WARNING_CHECK)
    ]
    assert others and all(e.passed for e in others)
    # The DQ API recorded the findings of this run and day once; nothing was published.
    recorded = _query(
        "select check_name, status, partition, trigger from audit.dq_results "
        "where run_id = ? and asset = 'raw_ma.leads' and status <> 'pass' order by check_name",
        [result.run_id],
    )
    assert recorded == [
        ("email_null_share", "warn", day, "test"),
        ("updated_at_in_range", "fail", day, "test"),
    ]
    assert _query("select count(*) from audit.dq_results where run_id = ? and asset = 'raw_ma.leads' "
                  "group by check_name having count(*) > 1", [result.run_id]) == []  # fmt: skip
    assert _query("select count(*) from information_schema.tables where table_schema = 'kpi'") == [(0,)]


def ssot_pipeline_job():
    """Module-level, so the job is reconstructable (re-execution needs a code pointer)."""
    return _job()


def test_the_failed_step_alone_can_be_rerun(ssot_env, monkeypatch):
    """A transient crash (warehouse briefly unavailable) fails the check step; after the cause is
    gone the same step is re-executed in a child run of the failed one, with its partition."""
    import expectations.validate
    from orchestration.settings import export_environment

    day = generate_landing(days=1)[0]
    export_environment()
    instance = dg.DagsterInstance.get()

    def unavailable(*args, **kwargs):
        raise OSError("warehouse briefly unavailable")

    monkeypatch.setattr(expectations.validate, "run_suite", unavailable)
    failed = _job().execute_in_process(instance=instance, partition_key=day, raise_on_error=False)
    assert [f.split(":")[0] for f in step_failures(failed)] == ["raw_dq_suites"]
    monkeypatch.undo()

    options = dg.ReexecutionOptions(parent_run_id=failed.run_id, step_selection=["raw_dq_suites"])
    # Python re-execution does not inherit the parent's tags (the UI's re-execute does): pass
    # them, or the rerun has no partition and would judge the latest loaded date instead.
    with dg.execute_job(
        dg.reconstructable(ssot_pipeline_job),
        instance=instance,
        reexecution_options=options,
        tags=failed.dagster_run.tags,
    ) as rerun:
        assert rerun.success, step_failures(rerun)
        assert _started_steps(rerun) == {"raw_dq_suites"}
        assert rerun.dagster_run.parent_run_id == failed.run_id
        assert rerun.dagster_run.tags["dagster/partition"] == day
        evaluations = rerun.get_asset_check_evaluations()
        assert len(evaluations) == 14 and all(e.passed for e in evaluations)
        assert {e.metadata["extract_dates"].value for e in evaluations} == {day}
