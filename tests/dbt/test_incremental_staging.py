"""The incremental staging models must equal a full build after every run: new ids, new versions
of known ids, and a late re-delivery of an OLDER version (an older extract date, an older
modified_at) that must not win over the newer version already staged."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
from dbt_harness import run_dbt

from ingestion.loader import ensure_warehouse, load_landing

HEADER = "activity_id,lead_id,activity_type,occurred_at,score_delta\n"


def _put(
    landing: Path, day: str, rows: list[str], name: str = "activities.csv", header: str = HEADER
) -> None:
    path = landing / "ma" / day / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + "".join(r + "\n" for r in rows), encoding="utf-8")


def _load(warehouse: Path, landing: Path) -> None:
    con = duckdb.connect(str(warehouse))
    try:
        assert not load_landing(con, landing).failed
    finally:
        con.close()


def _build(workdir: Path, warehouse: Path, *extra: str, model: str = "stg_ma__activities") -> str:
    for stale in (workdir / "target" / "run").rglob(f"{model}.sql"):
        stale.unlink()
    result = run_dbt(workdir, warehouse, "run", "--select", model, *extra)
    assert result.returncode == 0, result.stdout[-3000:]
    compiled = next((workdir / "target" / "run").rglob(f"{model}.sql"))
    return compiled.read_text(encoding="utf-8")


def _rows(warehouse: Path, model: str = "stg_ma__activities") -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(f"select * from staging.{model} order by all").fetchall()
    finally:
        con.close()


def _full_build_of_copy(
    tmp_path: Path, warehouse: Path, name: str, model: str = "stg_ma__activities"
) -> list[tuple]:
    copy = tmp_path / f"{name}.duckdb"
    shutil.copy(warehouse, copy)
    _build(tmp_path / f"{name}_dbt", copy, "--full-refresh", model=model)
    return _rows(copy, model)


def test_incremental_activities_equal_a_full_build(tmp_path):
    landing, warehouse, work = tmp_path / "landing", tmp_path / "w.duckdb", tmp_path / "dbt"
    _put(
        landing,
        "2026-09-02",
        ["A1,L1,email_open,2026-09-02 10:00:00,1", "A2,L1,web_visit,2026-09-02 11:00:00,2"],
    )
    _load(warehouse, landing)
    assert run_dbt(work, warehouse, "seed", "--select", "ma_activity_types").returncode == 0
    assert "delete from" not in _build(work, warehouse).lower()
    assert [r[0] for r in _rows(warehouse)] == ["A1", "A2"]

    # Day 3: a new version of A2 and a new A3. Then the exporter re-delivers day 1 late, with an
    # older version of A1 and a new A0: A1 must keep its day-2 version, as in a full build.
    _put(
        landing,
        "2026-09-03",
        ["A2,L1,form_submit,2026-09-02 11:00:00,5", "A3,L2,email_click,2026-09-03 09:00:00,1"],
    )
    _load(warehouse, landing)
    _put(
        landing,
        "2026-09-01",
        ["A1,L1,web_visit,2026-09-01 08:00:00,9", "A0,L3,email_open,2026-09-01 07:00:00,1"],
    )
    _load(warehouse, landing)
    sql = _build(work, warehouse)
    assert "delete from" in sql.lower(), "the second run must be incremental"

    rows = _rows(warehouse)
    assert rows == _full_build_of_copy(tmp_path, warehouse, "full")
    by_id = {r[0]: r for r in rows}
    assert sorted(by_id) == ["A0", "A1", "A2", "A3"]
    # columns: activity_id, lead_id, campaign_id, activity_type, ...
    assert by_id["A1"][3] == "email_open" and by_id["A2"][3] == "form_submit"


def test_incremental_leads_keep_the_latest_modified_version(tmp_path):
    """stg_ma__leads orders versions by updated_at first: a later delivery carrying an older
    updated_at loses, in the incremental run as in a full build."""
    landing, warehouse, work = tmp_path / "landing", tmp_path / "w.duckdb", tmp_path / "dbt"
    header = "lead_id,email,created_at,company_name,updated_at\n"

    def put(day: str, rows: list[str]) -> None:
        _put(landing, day, rows, name="leads.csv", header=header)

    put("2026-09-01", ["L1,a@x.co.jp,2026-09-01 09:00:00,Acme,2026-09-01 09:00:00"])
    _load(warehouse, landing)
    assert "delete from" not in _build(work, warehouse, model="stg_ma__leads").lower()
    put(
        "2026-09-02",
        [
            "L1,a@x.co.jp,2026-09-01 09:00:00,Acme KK,2026-09-02 10:00:00",
            "L2,b@y.co.jp,2026-09-02 08:00:00,Beta,",
        ],
    )
    put("2026-09-03", ["L1,a@x.co.jp,2026-09-01 09:00:00,Acme (stale),2026-09-01 12:00:00"])
    _load(warehouse, landing)
    assert "delete from" in _build(work, warehouse, model="stg_ma__leads").lower()
    rows = _rows(warehouse, "stg_ma__leads")
    assert rows == _full_build_of_copy(tmp_path, warehouse, "full", model="stg_ma__leads")
    con = duckdb.connect(str(warehouse), read_only=True)
    names = dict(con.execute("select lead_id, company_name from staging.stg_ma__leads").fetchall())
    con.close()
    assert names == {"L1": "Acme KK", "L2": "Beta"}


def test_a_model_that_spills_to_disk_does_not_break_the_next_one(tmp_path):
    """At scale L the first model to spill made every later one fail: dbt-duckdb re-ran
    `SET temp_directory` per cursor, which DuckDB refuses once a spill happened. The limits are
    connect-time options now (profiles.yml config_options)."""
    warehouse = tmp_path / "w.duckdb"
    con = duckdb.connect(str(warehouse))
    ensure_warehouse(con)
    con.execute(
        "insert into raw_ma.activities (activity_id, lead_id, activity_type, occurred_at, _batch_id, "
        "_source_file, _file_hash, _row_number, _extract_date, _loaded_at) "
        "select 'A' || i, 'L' || (i % 50000), 'web_visit', timestamp '2026-01-01' + to_minutes(i % 999), "
        "'b', 'f', 'h', i, date '2026-01-01', now() from range(3000000) t(i)"
    )
    con.close()
    spill_dir = tmp_path / "spill"
    result = run_dbt(
        tmp_path / "dbt",
        warehouse,
        "build",
        "--exclude",
        "resource_type:test",
        "--select",
        "ma_activity_types stg_ma__activities stg_ma__leads",
        env={"SSOT_DUCKDB_MEMORY_LIMIT": "100MB", "SSOT_DUCKDB_TEMP_DIR": str(spill_dir)},
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "PASS=3" in result.stdout
