"""The incremental lifecycle models (int_lead_cycles_*, fct_lifecycle_events; change set
int_lead_changes) must equal a full build of the same raw data after every run.

On the hand-made history of test_lifecycle_handmade, two more deliveries, each followed by an
incremental `dbt build` and compared, table by table, with a `--full-refresh` build of a copy:
  day 2: a new MQL, an activity re-delivered on ANOTHER lead, a recycle (new cycle), a task moved
         between SFA leads, a soft-deleted SFA lead (its MA lead loses the link), a new MA lead,
         and an identity re-assignment of a lead's company;
  day 3: only a CS row with a later extract date: no lead has new rows, but the clock moves, so a
         pending first-contact SLA becomes a breach (fct_lead_funnel is rebuilt; the change set
         is empty, so the incremental tables keep their rows).
"""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import duckdb
from dbt_harness import LIFECYCLE_SELECT, run_dbt
from test_lifecycle_handmade import create_raw, insert, ts, write_history

from ingestion.contracts import load_contracts

COMPARED = [
    "intermediate.int_leads_linked",
    "intermediate.int_lead_cycles_bounded",
    "intermediate.int_lead_cycle_scores_aggregated",
    "intermediate.int_lead_cycles_assembled",
    "core.fct_lead_funnel",
    "core.fct_lifecycle_events",
    "core.fct_opportunities",
]


def _deliver(con, day: date, loaded_at: datetime, rows: dict[tuple[str, str], list[dict]]) -> None:
    """Rows of one extract date, loaded at `loaded_at` (after every earlier load, as the loader)."""
    for (system, entity), entity_rows in rows.items():
        insert(con, system, entity, entity_rows, extract_date=day)
        table = load_contracts().entity(system, entity).raw_table
        con.execute(f"update {table} set _loaded_at = ? where _extract_date = ?", [loaded_at, day])


def _build(work: Path, warehouse: Path, *extra: str) -> None:
    result = run_dbt(work, warehouse, "build", "--indirect-selection", "cautious", "--select", *LIFECYCLE_SELECT,
                     *extra)  # fmt: skip
    assert result.returncode == 0, result.stdout[-6000:]


def _tables(warehouse: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {t: con.execute(f"select * from {t} order by all").fetchall() for t in COMPARED}


def _full_build_of_copy(tmp_path: Path, warehouse: Path, name: str) -> dict[str, list[tuple]]:
    copy = tmp_path / name / "wh.duckdb"
    copy.parent.mkdir()
    shutil.copy(warehouse, copy)
    _build(copy.parent, copy, "--full-refresh")
    return _tables(copy)


def _scalar(warehouse: Path, sql: str):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def _crosswalk(con, rows: list[tuple[str, str, str, str]]) -> None:
    con.execute("delete from core.company_crosswalk")
    for system, entity, record, company in rows:
        con.execute(
            "insert into core.company_crosswalk values (?, ?, ?, ?, 'rule', 1.0, 'test', now())",
            [system, entity, record, company],
        )


def test_incremental_lifecycle_equals_a_full_build(tmp_path):
    work, warehouse = tmp_path / "dbt", tmp_path / "wh.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        create_raw(con)
        write_history(con)
        _crosswalk(
            con, [("ma", "leads", "L1", "CO-A"), ("ma", "leads", "L2", "CO-B"), ("ma", "leads", "L3", "CO-C")]
        )
    _build(work, warehouse)
    assert _tables(warehouse) == _full_build_of_copy(tmp_path, warehouse, "full_day1")
    leads_before = _scalar(warehouse, "select count(*) from intermediate.int_lead_changes")[0][0]
    assert leads_before == 3  # a first build: every lead

    # day 2
    with duckdb.connect(str(warehouse)) as con:
        _deliver(con, date(2025, 5, 16), datetime(2025, 5, 17, 0, 0), {
            ("ma", "leads"): [
                {"lead_id": "L9", "email": "new@example.org", "created_at": ts("2025-05-16 01:00"),
                 "lead_source": "Webinar"},
            ],
            ("ma", "activities"): [
                # L2 crosses the MQL threshold; no IS contact follows (its SLA is pending at the clock)
                {"activity_id": "A6", "lead_id": "L2", "activity_type": "form_submit",
                 "occurred_at": ts("2025-05-16 06:00"), "score_delta": 80},
                # A4 moves from L1 to L3: L1's cycle 2 loses its MQL, L3 gains activity
                {"activity_id": "A4", "lead_id": "L3", "activity_type": "webinar_attended",
                 "occurred_at": ts("2025-04-10 00:00"), "score_delta": 55},
                {"activity_id": "A7", "lead_id": "L9", "activity_type": "form_submit",
                 "occurred_at": ts("2025-05-16 02:00"), "score_delta": 90},
            ],
            ("sfa", "lead"): [
                # S2 is soft-deleted: L2 loses its SFA lead
                {"id": "S2", "status": "Open", "created_date": ts("2025-04-02 01:00"), "owner_id": "U_IS",
                 "is_deleted": True},
            ],
            ("sfa", "lead_history"): [
                # L3 (by e-mail to S3) is worked and recycled: a second cycle
                {"id": "H6", "lead_id": "S3", "field": "Status", "created_date": ts("2025-05-16 03:00"),
                 "new_value": "Working"},
                {"id": "H7", "lead_id": "S3", "field": "Status", "created_date": ts("2025-05-16 05:00"),
                 "new_value": "Nurturing"},
            ],
            ("sfa", "task"): [
                # T3 (L1's first IS contact of cycle 2) is re-delivered on S3
                {"id": "T3", "created_date": ts("2025-04-10 05:00"), "who_id": "S3", "owner_id": "U_IS",
                 "type": "Email"},
            ],
        })  # fmt: skip
        # identity re-assigns L3 to another company (no lifecycle row of L3's changes for that)
        _crosswalk(con, [("ma", "leads", "L1", "CO-A"), ("ma", "leads", "L2", "CO-B"), ("ma", "leads", "L3", "CO-D"),
                         ("ma", "leads", "L9", "CO-A")])  # fmt: skip
    _build(work, warehouse)
    day2 = _tables(warehouse)
    assert day2 == _full_build_of_copy(tmp_path, warehouse, "full_day2")
    changed = {r[0] for r in _scalar(warehouse, "select lead_id from intermediate.int_lead_changes")}
    assert changed == {"L1", "L2", "L3", "L9"}
    cycles = _scalar(
        warehouse, "select lead_id, count(*) from intermediate.int_lead_cycles_bounded group by 1 order by 1"
    )
    assert cycles == [("L1", 2), ("L2", 1), ("L3", 2), ("L9", 1)]
    (pending,) = _scalar(warehouse, "select is_first_contact_within_sla from core.fct_lead_funnel "
                                    "where lead_cycle_id = 'L2#1'")  # fmt: skip
    assert pending == (None,)

    # day 3: nothing for any lead, only a later CS extract: the clock moves a month
    with duckdb.connect(str(warehouse)) as con:
        _deliver(con, date(2025, 6, 20), datetime(2025, 6, 21, 0, 0), {
            ("cs", "customers"): [
                {"customer_id": "CU3", "company_name": "Third KK", "created_at": ts("2025-06-20 00:00")},
            ],
        })  # fmt: skip
    _build(work, warehouse)
    assert _scalar(warehouse, "select count(*) from intermediate.int_lead_changes") == [(0,)]
    day3 = _tables(warehouse)
    assert day3 == _full_build_of_copy(tmp_path, warehouse, "full_day3")
    (breached,) = _scalar(warehouse, "select is_first_contact_within_sla from core.fct_lead_funnel "
                                     "where lead_cycle_id = 'L2#1'")  # fmt: skip
    assert breached == (False,)
    for table in ("intermediate.int_lead_cycles_assembled", "core.fct_lifecycle_events"):
        assert day3[table] == day2[table]
