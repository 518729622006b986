"""The incremental staging models' DuckDB path of latest_version (duckdb__latest_version_of_filtered)
ranks the changed keys' versions on the ordering columns, then reads each winner's raw row by
rowid. It must give a full build's rows also when a winner is an old raw row far from the new
ones (row groups the rowid filter must not skip), and for every tie-break of the version order:
modified_at (nulls last), extract date, load time, row number.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
from dbt_harness import run_dbt

from ingestion.loader import ensure_warehouse

MODEL = "stg_ma__leads"
N_LEADS = 300_000  # several DuckDB row groups (122,880 rows each)


def _insert(con, rows_sql: str, loaded_at: str) -> None:
    con.execute(
        "insert into raw_ma.leads (lead_id, email, created_at, company_name, updated_at, _batch_id, "
        "_source_file, _file_hash, _row_number, _extract_date, _loaded_at) "
        f"select lead_id, lead_id || '@x.co.jp', timestamp '2026-01-01', company_name, updated_at, 'b', "
        f"'f', 'h', row_number, extract_date, timestamp '{loaded_at}' from ({rows_sql}) as t"
    )


def _build(work: Path, warehouse: Path, *extra: str) -> str:
    """Run the model; returns its SQL: the compiled select, then the run's delete+insert."""
    for stale in (work / "target").rglob(f"{MODEL}.sql"):
        stale.unlink()
    result = run_dbt(work, warehouse, "run", "--select", MODEL, *extra)
    assert result.returncode == 0, result.stdout[-3000:]
    return "\n".join(
        next((work / "target" / folder).rglob(f"{MODEL}.sql")).read_text(encoding="utf-8")
        for folder in ("compiled", "run")
    )


def _rows(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(f"select * from staging.{MODEL} order by all").fetchall()


def test_incremental_latest_versions_equal_a_full_build(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        ensure_warehouse(con)
        # Day 1: N_LEADS leads; L7 without updated_at; L5 twice, equal but for the row number.
        _insert(
            con,
            f"select 'L' || i as lead_id, 'day1' as company_name, "
            f"case when i = 7 then null else timestamp '2026-09-01' + to_minutes(i) end as updated_at, "
            f"i + 1 as row_number, date '2026-09-01' as extract_date from range({N_LEADS}) r(i) "
            "union all select 'L5', 'day1 row 2', timestamp '2026-09-01' + to_minutes(5), "
            f"{N_LEADS + 1}, date '2026-09-01'",
            "2026-09-01 06:00:00",
        )
    assert "delete from" not in _build(tmp_path / "dbt", warehouse).lower()

    with duckdb.connect(str(warehouse)) as con:
        _insert(
            con,
            # L10 newer (wins); L20 older updated_at (the old row wins); L299990 without
            # updated_at (nulls last: the old row wins); L7 gets one (wins over its NULL);
            # L150000 re-delivered from an older extract date with the same updated_at (the old
            # row wins on extract date); N1 is new; L5 stale (its day-1 tie is re-ranked).
            "select * from (values "
            "('L10', 'day2', timestamp '2026-12-01', 1, date '2026-09-02'), "
            "('L20', 'day2 stale', timestamp '2026-08-01', 2, date '2026-09-02'), "
            "('L299990', 'day2 no updated_at', null, 3, date '2026-09-02'), "
            "('L7', 'day2', timestamp '2026-09-02', 4, date '2026-09-02'), "
            "('L150000', 'day2 late', timestamp '2026-09-01' + to_minutes(150000), 5, date '2026-08-31'), "
            "('N1', 'day2', timestamp '2026-09-02', 6, date '2026-09-02'), "
            # L5 re-ranked: its day-1 tie goes to the higher row number, in both paths
            "('L5', 'day2 stale', timestamp '2026-08-01', 7, date '2026-09-02')"
            ") as t(lead_id, company_name, updated_at, row_number, extract_date)",
            "2026-09-02 06:00:00",
        )
    sql = _build(tmp_path / "dbt", warehouse)
    assert "delete from" in sql.lower(), "the second run must be incremental"
    assert "rowid" in sql.lower(), "the incremental run must take the rowid path under test"

    rows = _rows(warehouse)
    copy = tmp_path / "full.duckdb"
    shutil.copy(warehouse, copy)
    _build(tmp_path / "full_dbt", copy, "--full-refresh")
    assert rows == _rows(copy)

    with duckdb.connect(str(warehouse), read_only=True) as con:
        company = dict(
            con.execute(
                f"select lead_id, company_name from staging.{MODEL} "
                "where lead_id in ('L5', 'L7', 'L10', 'L20', 'L150000', 'L299990', 'N1')"
            ).fetchall()
        )
        (count,) = con.execute(f"select count(*) from staging.{MODEL}").fetchone()
    assert company == {
        "L5": "day1 row 2",
        "L7": "day2",
        "L10": "day2",
        "L20": "day1",
        "L150000": "day1",
        "L299990": "day1",
        "N1": "day2",
    }
    assert count == N_LEADS + 1
