"""The one entry point that runs data-quality suites: `run_suite` and `run_layer`.

A suite (expectations.suites) is run against the live DuckDB connection: row-wise checks (the
Great Expectations kinds) in DuckDB with GX's semantics where checks/rowwise.py covers the column
type, else through GX on a frame of the rows in scope; set-based checks in SQL. Every check yields
exactly one `CheckResult` (a crash is status 'error', never an exception out of here), and the
results are appended to audit.dq_results unless `record=False`.
"""

from __future__ import annotations

from datetime import date

from expectations.checks import Outcome, crashed
from expectations.checks.gx import merge_outcomes, partition_bounds, run_gx_checks
from expectations.checks.rowwise import run_rowwise_checks, sql_eligible
from expectations.checks.sql import run_sql_check
from expectations.history import dbt_results, load_results, record_dbt_results, record_results
from expectations.results import TRIGGERS, CheckResult, status_for, utc_now
from expectations.suites import Suite, load_suite, suites_for_layer
from ingestion.contracts import quote_ident
from ingestion.rules import rules_version

__all__ = [
    "CODE_VERSION",
    "dbt_results",
    "load_results",
    "record_dbt_results",
    "record_results",
    "run_layer",
    "run_suite",
]

# 0.2.0: the row-wise kinds run in DuckDB (checks/rowwise.py) with the results GX gave in 0.1.0.
CODE_VERSION = "expectations 0.2.0"
# Rows per GX frame (see _chunks): ~0.1-0.2 GiB of pandas objects for the widest raw suite. The
# row-wise checks evaluated in DuckDB use the same windows, so that their results equal GX's.
GX_CHUNK_ROWS = 500_000


def _column_types(con, suite: Suite) -> dict[str, str]:
    rows = con.execute(
        "select column_name, data_type from information_schema.columns where table_schema = ? and table_name = ?",
        [suite.schema, suite.table],
    ).fetchall()
    return {name: type_ for name, type_ in rows}


def _scope(con, suite: Suite, partition: str | None) -> tuple[date, date] | None:
    """The extract dates a partitioned suite validates: the given partition, else the latest."""
    if suite.partition_column is None:
        return None
    bounds = partition_bounds(partition)
    if bounds:
        return bounds
    col = quote_ident(suite.partition_column)
    latest = con.execute(
        f"select max({col}) from {quote_ident(suite.schema)}.{quote_ident(suite.table)}"
    ).fetchall()
    day = latest[0][0]
    return (day, day) if day else None


def _chunks(con, suite: Suite, scope: tuple[date, date] | None) -> list[tuple[date, date] | None]:
    """Consecutive extract-date windows of at most GX_CHUNK_ROWS rows (a day is never split).

    GX validates pandas frames: a first load of a year of activities is ~10M rows, which as one
    frame would take several GiB. Chunks keep memory bounded; `merge_outcomes` sums their counts.
    """
    if suite.partition_column is None or scope is None or scope[0] == scope[1]:
        return [scope]
    col = quote_ident(suite.partition_column)
    per_day = con.execute(
        f"select {col}, count(*) from {quote_ident(suite.schema)}.{quote_ident(suite.table)} "
        f"where {col} between ? and ? group by 1 order by 1",
        list(scope),
    ).fetchall()
    windows: list[list[date]] = []  # [first, last] extract date of each chunk
    rows = 0
    for day, n in per_day:
        if not windows or rows + n > GX_CHUNK_ROWS:
            windows.append([day, day])
            rows = 0
        windows[-1][1] = day
        rows += n
    return [(first, last) for first, last in windows] or [scope]


def _frame(con, suite: Suite, columns: list[str], scope: tuple[date, date] | None, available):
    """The rows in scope, only the columns the GX checks and samples need (missing columns are
    left out, so a check on one crashes alone with GX's 'column does not exist')."""
    wanted = [c for c in dict.fromkeys(columns) if c in available]
    select = ", ".join(quote_ident(c) for c in wanted) or "1 as _no_columns"
    sql = f"select {select} from {quote_ident(suite.schema)}.{quote_ident(suite.table)}"
    params: list = []
    if suite.partition_column is not None:
        if scope is None:
            sql += " where false"
        else:
            sql += f" where {quote_ident(suite.partition_column)} between ? and ?"
            params = list(scope)
    return con.execute(sql, params).df()


def run_suite(
    con,
    suite_name: str | Suite,
    *,
    run_id: str,
    trigger: str,
    partition: str | None = None,
    code_version: str | None = None,
    record: bool = True,
) -> list[CheckResult]:
    """Run the suite of asset `suite_name` (`raw_ma.leads`, `kpi_build.rpt_x`), or a `Suite`.

    `partition`: for raw suites the extract date (`YYYY-MM-DD`, or `start..end`) to validate,
    default the latest loaded; for other suites only a label stored with the results.
    """
    if trigger not in TRIGGERS:
        raise ValueError(f"trigger {trigger!r} not in {TRIGGERS}")
    started = utc_now()
    try:
        suite = suite_name if isinstance(suite_name, Suite) else load_suite(con, suite_name)
    except Exception as exc:  # the suite itself cannot be built: one 'error' result says so
        return _finish(
            con,
            [_result_for_broken_suite(suite_name, exc, started)],
            run_id,
            trigger,
            partition,
            code_version,
            record,
        )
    results: list[CheckResult] = []
    try:
        scope = _scope(con, suite, partition)
    except Exception as exc:
        scope, scope_error = None, exc
    else:
        scope_error = None
    label = partition or (f"{scope[0]}" if scope and scope[0] == scope[1] else None)
    if scope and scope[0] != scope[1] and not partition:
        label = f"{scope[0]}..{scope[1]}"

    gx_checks = [c for c in suite.checks if c.source == "great_expectations"]
    outcomes: dict[str, Outcome] = {}
    if gx_checks:
        start = utc_now()
        try:
            if scope_error:
                raise scope_error
            windows = _chunks(con, suite, scope)
            types = _column_types(con, suite)
            in_sql = [c for c in gx_checks if sql_eligible(c, types.get(c.column or ""))]
            if in_sql:
                outcomes.update(run_rowwise_checks(con, suite, in_sql, windows, types))
            # The rest (a missing column, a column type rowwise.py does not cover) through GX.
            rest = [c for c in gx_checks if c.name not in outcomes]
            if rest:
                columns = [*suite.sample_columns, *(c.column for c in rest if c.column)]
                parts: list[list] = [[] for _ in rest]
                for chunk in windows:
                    frame = _frame(con, suite, columns, chunk, types)
                    for found, outcome in zip(
                        parts, run_gx_checks(suite, rest, frame, chunk[1] if chunk else None), strict=True
                    ):
                        found.append(outcome)
                    del frame
                for check, found in zip(rest, parts, strict=True):
                    outcomes[check.name] = merge_outcomes(check, found)
        except Exception as exc:  # the rows could not be read: each GX check crashed
            for check in gx_checks:
                outcomes.setdefault(check.name, crashed(exc, None, start))
    for check in suite.checks:
        if check.source == "sql":
            outcomes[check.name] = (
                crashed(scope_error, None, utc_now())
                if scope_error
                else run_sql_check(con, suite, check, scope[1] if scope else None)
            )
    for check in suite.checks:
        o = outcomes[check.name]
        results.append(
            CheckResult(
                check_name=check.name,
                asset=suite.asset,
                severity=check.severity,
                status=status_for(passed=o.passed, crashed=o.crashed, severity=check.severity),
                observed_value=o.observed,
                threshold=o.threshold,
                failing_row_count=o.failing_row_count,
                sample=o.sample,
                definition_hash=check.definition_hash,
                definition_version=suite.version,
                started_at=o.started_at,
                ended_at=o.ended_at,
                check_source=check.source,
                message=o.message,
            )
        )
    return _finish(con, results, run_id, trigger, label, code_version, record)


def _result_for_broken_suite(suite_name: str, exc: Exception, started) -> CheckResult:
    return CheckResult(
        check_name="suite_loads",
        asset=suite_name,
        severity="error",
        status="error",
        observed_value=None,
        threshold="the suite definition loads",
        failing_row_count=None,
        started_at=started,
        ended_at=utc_now(),
        check_source="great_expectations",
        message=f"{type(exc).__name__}: {exc}"[:2000],
    )


def _finish(con, results, run_id, trigger, partition, code_version, record) -> list[CheckResult]:
    version = rules_version()
    for r in results:
        r.run_id, r.trigger, r.partition = run_id, trigger, partition
        r.code_version, r.rules_version = code_version or CODE_VERSION, version
    if record:
        record_results(con, results)
    return results


def run_layer(
    con,
    layer: str,
    *,
    run_id: str,
    trigger: str,
    partition: str | None = None,
    code_version: str | None = None,
    record: bool = True,
) -> list[CheckResult]:
    """Run every suite of a layer: 'raw' (all raw schemas), 'raw_ma' / 'raw_sfa' / 'raw_cs', or
    'kpi_build' (every table there, by convention unless it has its own suite)."""
    results: list[CheckResult] = []
    for name in suites_for_layer(con, layer):
        results += run_suite(
            con,
            name,
            run_id=run_id,
            trigger=trigger,
            partition=partition,
            code_version=code_version,
            record=record,
        )
    return results
