"""The singular staging tests stay real checks when they skip whole-table work.

assert_staging_reconciles_with_raw counts the raw keys from the state an earlier passing run
stored (expectations/staging_keys.py) plus the keys delivered since; assert_staging_keys_unique
leaves out the keys a selected generic test of the same invocation already proves unique. Both
must still fail when this run loses or duplicates a staging row, anywhere, and count in full
when the stored state no longer describes raw (a row slipped in below the watermark) or on a
full refresh.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from dbt_harness import run_dbt

from expectations.staging_keys import record_staging_key_state
from ingestion.loader import load_landing

STAGING = ["--select", "tag:staging", "tag:reference"]
ACTIVITIES = "activity_id,lead_id,activity_type,occurred_at,score_delta\n"
MEMBERS = "campaign_id,lead_id,member_status,responded_at,created_at\n"


def _deliver(landing: Path, day: str, activities: list[str], members: list[str]) -> None:
    for name, header, rows in (
        ("activities.csv", ACTIVITIES, activities),
        ("campaign_members.csv", MEMBERS, members),
    ):
        path = landing / "ma" / day / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(header + "".join(r + "\n" for r in rows), encoding="utf-8")


def _load(warehouse: Path, landing: Path) -> None:
    with duckdb.connect(str(warehouse)) as con:
        assert not load_landing(con, landing).failed


def _results(work: Path) -> dict[str, str]:
    run_results = json.loads((work / "target" / "run_results.json").read_text(encoding="utf-8"))
    return {r["unique_id"].split(".")[2]: r["status"] for r in run_results["results"]}


def _compiled(work: Path, test: str) -> str:
    return next((work / "target" / "compiled").rglob(f"{test}.sql")).read_text(encoding="utf-8")


def _build(work: Path, warehouse: Path, *args: str) -> dict[str, str]:
    result = run_dbt(work, warehouse, "build", *STAGING, *args)
    assert "Compilation Error" not in result.stdout, result.stdout[-3000:]
    return _results(work)


def _record(work: Path, warehouse: Path) -> bool:
    with duckdb.connect(str(warehouse)) as con:
        return record_staging_key_state(
            con,
            work / "target" / "run_results.json",
            run_id="r",
            step_started_at=datetime.now(UTC).replace(tzinfo=None),
        )


def _state(warehouse: Path) -> dict[str, tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("select model_name, raw_rows, raw_keys from audit.staging_key_state").fetchall()
    return {r[0]: r[1:] for r in rows}


def _sql(warehouse: Path, sql: str) -> None:
    with duckdb.connect(str(warehouse)) as con:
        con.execute(sql)


def _test(work: Path, warehouse: Path, test: str) -> str:
    run_dbt(work, warehouse, "test", "--select", test)
    return _results(work)[test]


def test_staging_tests_count_new_keys_only_and_still_fail(tmp_path):
    landing, warehouse, work = tmp_path / "landing", tmp_path / "w.duckdb", tmp_path / "dbt"
    _deliver(
        landing,
        "2026-09-01",
        ["A1,L1,email_open,2026-09-01 10:00:00,1", "A2,L1,web_visit,2026-09-01 11:00:00,2"],
        ["C1,L1,sent,,2026-09-01 09:00:00", "C1,L2,sent,,2026-09-01 09:00:00"],
    )
    _load(warehouse, landing)

    # Day 1: no state yet, so the raw keys are counted over the whole table.
    results = _build(work, warehouse)
    assert set(results.values()) == {"pass", "success"}, results
    reconcile = _compiled(work, "assert_staging_reconciles_with_raw")
    assert "_loaded_at >" not in reconcile
    # every staging key has its generic unique(+not_null) or combination test in this build
    assert "group by" not in _compiled(work, "assert_staging_keys_unique")
    assert _record(work, warehouse)
    assert _state(warehouse)["stg_ma__activities"] == (2, 2)
    assert _state(warehouse)["stg_ma__campaign_members"] == (2, 2)

    # Day 2: a new version of A2 and a new A3; a re-sent member and a new one.
    _deliver(
        landing,
        "2026-09-02",
        ["A2,L1,form_submit,2026-09-01 11:00:00,5", "A3,L2,email_click,2026-09-02 09:00:00,1"],
        ["C1,L1,responded,2026-09-02 10:00:00,2026-09-02 10:00:00", "C2,L3,sent,,2026-09-02 09:00:00"],
    )
    _load(warehouse, landing)
    results = _build(work, warehouse)
    assert set(results.values()) == {"pass", "success"}, results
    reconcile = _compiled(work, "assert_staging_reconciles_with_raw")
    assert "_loaded_at >" in reconcile and "2 + (" in reconcile  # from the state: 2 known keys + new
    assert _record(work, warehouse)
    assert _state(warehouse)["stg_ma__activities"] == (4, 3)
    assert _state(warehouse)["stg_ma__campaign_members"] == (4, 3)

    # Day 3 is built; then this run loses an untouched staging row, then duplicates one.
    _deliver(
        landing, "2026-09-03", ["A4,L3,web_visit,2026-09-03 09:00:00,1"], ["C3,L1,sent,,2026-09-03 09:00:00"]
    )
    _load(warehouse, landing)
    assert set(_build(work, warehouse).values()) == {"pass", "success"}
    _sql(warehouse, "delete from staging.stg_ma__activities where activity_id = 'A1'")
    assert _test(work, warehouse, "assert_staging_reconciles_with_raw") == "fail"
    assert "_loaded_at >" in _compiled(work, "assert_staging_reconciles_with_raw")
    _sql(warehouse, "insert into staging.stg_ma__activities select * from staging.stg_ma__activities")
    _sql(
        warehouse,
        "delete from staging.stg_ma__campaign_members where campaign_id = 'C1' and lead_id = 'L2'; "
        "insert into staging.stg_ma__campaign_members "
        "select * from staging.stg_ma__campaign_members where campaign_id = 'C2'",
    )
    assert _test(work, warehouse, "assert_staging_reconciles_with_raw") == "fail"
    # Selected alone, the key test has no generic test to lean on: it groups every key itself.
    assert _test(work, warehouse, "assert_staging_keys_unique") == "fail"
    assert "group by" in _compiled(work, "assert_staging_keys_unique")
    # In a build the generic tests catch the duplicates (the member one too: same count, but
    # not the same keys, which only a key test sees).
    run_dbt(work, warehouse, "test", "--select", "stg_ma__activities", "stg_ma__campaign_members")
    results = _results(work)
    assert results["unique_stg_ma__activities_activity_id"] == "fail"
    assert results["unique_combination_of_columns_stg_ma__campaign_members_campaign_id__lead_id"] == "fail"

    # A full refresh repairs staging and counts everything in full.
    results = _build(work, warehouse, "--full-refresh")
    assert set(results.values()) == {"pass", "success"}, results
    assert "_loaded_at >" not in _compiled(work, "assert_staging_reconciles_with_raw")
    assert _record(work, warehouse)
    assert _state(warehouse)["stg_ma__activities"] == (5, 4)


def test_a_row_slipped_in_below_the_watermark_is_counted_in_full(tmp_path):
    """A raw row inserted with an old load time is invisible to the incremental model (it only
    re-ranks keys loaded after its newest row) and to a count of new keys: the stored state no
    longer matches raw, so the test counts in full and fails on the lost key."""
    landing, warehouse, work = tmp_path / "landing", tmp_path / "w.duckdb", tmp_path / "dbt"
    _deliver(
        landing, "2026-09-01", ["A1,L1,email_open,2026-09-01 10:00:00,1"], ["C1,L1,sent,,2026-09-01 09:00:00"]
    )
    _load(warehouse, landing)
    assert set(_build(work, warehouse).values()) == {"pass", "success"}
    assert _record(work, warehouse)
    _sql(
        warehouse,
        "insert into raw_ma.activities (activity_id, lead_id, activity_type, occurred_at, _batch_id, "
        "_source_file, _file_hash, _row_number, _extract_date, _loaded_at) "
        "values ('A9', 'L1', 'web_visit', timestamp '2026-09-01 12:00', 'b', 'f', 'h', 1, "
        "date '2026-09-01', timestamp '2000-01-01')",
    )
    results = _build(work, warehouse)
    assert results["assert_staging_reconciles_with_raw"] == "fail"
    reconcile = _compiled(work, "assert_staging_reconciles_with_raw")
    activities = reconcile[reconcile.index("'stg_ma__activities'") :][:600]
    assert "_loaded_at >" not in activities  # this model counted in full
    assert "_loaded_at >" in reconcile  # the others still from their state
    # The failed run stores nothing: the next run starts again from the last verified state.
    assert not _record(work, warehouse)
