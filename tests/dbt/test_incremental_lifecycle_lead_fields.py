"""An MA lead re-delivered with only its own fields changed (no activity, no SFA record, same
links) must still be in int_lead_changes: int_lead_changes reads only the fresh rows of a key that
is its own target (an MA lead id), and nothing else (relinked, activities) finds this lead. Its
creation time moves, so its cycle 1 moves: the incremental tables must equal a full build.
"""

from __future__ import annotations

from datetime import date, datetime

import duckdb
from dbt_harness import LIFECYCLE_SELECT, build, full_build_of_copy, query, tables
from test_incremental_lifecycle import COMPARED
from test_lifecycle_handmade import create_raw, deliver, replace_crosswalk, ts, write_history


def test_a_lead_whose_own_fields_change_is_recomputed(tmp_path):
    work, warehouse = tmp_path / "dbt", tmp_path / "wh.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        create_raw(con)
        write_history(con)
        replace_crosswalk(con, [("ma", "leads", "L1", "CO-A"), ("ma", "leads", "L2", "CO-B")])
    build(work, warehouse, LIFECYCLE_SELECT)
    with duckdb.connect(str(warehouse)) as con:
        deliver(con, date(2025, 5, 16), datetime(2025, 5, 17, 0, 0), {
            ("ma", "leads"): [
                # L2 as before, created a day earlier
                {"lead_id": "L2", "email": "jiro@example.com", "created_at": ts("2025-03-31 00:00"),
                 "sfa_lead_id": "S2", "lead_source": "Trade Show"},
            ],
        })  # fmt: skip
    build(work, warehouse, LIFECYCLE_SELECT)
    assert query(warehouse, "select lead_id from intermediate.int_lead_changes") == [("L2",)]
    assert query(warehouse, "select lead_at from core.fct_lead_funnel where lead_cycle_id = 'L2#1'") == [
        (ts("2025-03-31 00:00"),)
    ]
    assert tables(warehouse, COMPARED) == full_build_of_copy(tmp_path, warehouse, "full", LIFECYCLE_SELECT, COMPARED)
