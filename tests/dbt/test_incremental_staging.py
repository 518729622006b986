"""The incremental staging model (stg_ma__activities) must equal a full build after every run:
new ids, new versions of known ids, and a late re-delivery of an OLDER extract date (whose rows
must not win over the newer version already staged)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
from dbt_harness import run_dbt

from ingestion.loader import load_landing

HEADER = "activity_id,lead_id,activity_type,occurred_at,score_delta\n"


def _put(landing: Path, day: str, rows: list[str]) -> None:
    path = landing / "ma" / day / "activities.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")


def _load(warehouse: Path, landing: Path) -> None:
    con = duckdb.connect(str(warehouse))
    try:
        assert not load_landing(con, landing).failed
    finally:
        con.close()


def _build(workdir: Path, warehouse: Path, *extra: str) -> str:
    result = run_dbt(workdir, warehouse, "run", "--select", "stg_ma__activities", *extra)
    assert result.returncode == 0, result.stdout[-3000:]
    compiled = next((workdir / "target" / "run").rglob("stg_ma__activities.sql"))
    return compiled.read_text(encoding="utf-8")


def _rows(warehouse: Path) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute("select * from staging.stg_ma__activities order by activity_id").fetchall()
    finally:
        con.close()


def _full_build_of_copy(tmp_path: Path, warehouse: Path, name: str) -> list[tuple]:
    copy = tmp_path / f"{name}.duckdb"
    shutil.copy(warehouse, copy)
    _build(tmp_path / f"{name}_dbt", copy, "--full-refresh")
    return _rows(copy)


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
    for stale in (work / "target" / "run").rglob("stg_ma__activities.sql"):
        stale.unlink()
    sql = _build(work, warehouse)
    assert "delete from" in sql.lower(), "the second run must be incremental"

    rows = _rows(warehouse)
    assert rows == _full_build_of_copy(tmp_path, warehouse, "full")
    by_id = {r[0]: r for r in rows}
    assert sorted(by_id) == ["A0", "A1", "A2", "A3"]
    # columns: activity_id, lead_id, campaign_id, activity_type, ...
    assert by_id["A1"][3] == "email_open" and by_id["A2"][3] == "form_submit"
