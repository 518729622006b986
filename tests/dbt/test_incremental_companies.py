"""dim_companies, int_record_companies_resolved and their incremental state (int_company_records; change set int_company_changes)
must equal a full build of the same raw data and crosswalk after every run.

Day 1 builds four companies from accounts, a customer, MA and SFA leads. Then, each followed by an
incremental `dbt build` and compared, table by table, with a `--full-refresh` build of a copy:
  day 2: a new MA lead in an existing company (CO-A), identity merges CO-C into CO-B (CO-C must
         go), an SFA account edit (A2 renamed: a new raw version, crosswalk untouched), an SFA lead
         soft-deleted (CO-A's name falls back), and a crosswalk row removed (CU1 gone: CO-A is no
         longer a customer);
  day 3: identity splits CO-B (L3 to the new CO-E), nothing else;
  day 4: only an MA activity is delivered: no company changes, nothing is recomputed.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import duckdb
from dbt_harness import run_dbt
from test_lifecycle_handmade import create_raw, insert, ts

from ingestion.contracts import load_contracts

SELECT = ["stg_sfa__accounts", "stg_cs__customers", "stg_ma__leads", "stg_sfa__leads", "free_mail_domains",
          "int_company_changes", "int_company_records", "dim_companies", "int_record_companies_resolved",
          "int_company_watermark"]  # fmt: skip
COMPARED = [
    "intermediate.int_company_records",
    "core.dim_companies",
    "intermediate.int_record_companies_resolved",
]
EARLY = datetime(2025, 1, 1)


def _deliver(con, day: date, loaded_at: datetime, rows: dict[tuple[str, str], list[dict]]) -> None:
    """Rows of one extract date, loaded at `loaded_at` (after every earlier load, as the loader)."""
    for (system, entity), entity_rows in rows.items():
        insert(con, system, entity, entity_rows, extract_date=day)
        table = load_contracts().entity(system, entity).raw_table
        con.execute(f"update {table} set _loaded_at = ? where _extract_date = ?", [loaded_at, day])


def _crosswalk(con, rows: dict[tuple[str, str, str], str], resolved_at: datetime) -> None:
    """The crosswalk as identity leaves it: rows whose company is unchanged keep their run stamp,
    new and re-assigned rows get `resolved_at`, rows not in `rows` are removed."""
    old = {tuple(r[:3]): (r[3], r[4]) for r in con.execute("select * exclude (match_method, match_probability, "
                                                           "rules_version) from core.company_crosswalk").fetchall()}  # fmt: skip
    con.execute("delete from core.company_crosswalk")
    for (system, entity, record), company in rows.items():
        kept = old.get((system, entity, record))
        stamp = kept[1] if kept and kept[0] == company else resolved_at
        method = "singleton" if sum(c == company for c in rows.values()) == 1 else "rule"
        con.execute(
            "insert into core.company_crosswalk values (?, ?, ?, ?, ?, 1.0, 'test', ?)",
            [system, entity, record, company, method, stamp],
        )


def _build(work: Path, warehouse: Path, *extra: str) -> None:
    result = run_dbt(
        work, warehouse, "build", "--indirect-selection", "cautious", "--select", *SELECT, *extra
    )
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


def _scalar(warehouse: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def _companies(warehouse: Path) -> dict[str, tuple]:
    rows = _scalar(warehouse, "select company_id, company_name, is_customer, source_record_count, source_records "
                              "from core.dim_companies")  # fmt: skip
    return {r[0]: r[1:] for r in rows}


def _changed_companies(warehouse: Path) -> set[str]:
    return {
        r[0] for r in _scalar(warehouse, "select distinct company_id from intermediate.int_company_changes")
    }


def test_incremental_companies_equal_a_full_build(tmp_path):
    work, warehouse = tmp_path / "dbt", tmp_path / "wh.duckdb"
    day1 = {("sfa", "account", "A1"): "CO-A", ("cs", "customers", "CU1"): "CO-A", ("ma", "leads", "L1"): "CO-A",
            ("sfa", "lead", "S1"): "CO-A", ("sfa", "account", "A2"): "CO-B", ("ma", "leads", "L2"): "CO-B",
            ("ma", "leads", "L3"): "CO-C", ("ma", "leads", "L5"): "CO-D"}  # fmt: skip
    with duckdb.connect(str(warehouse)) as con:
        create_raw(con)
        _deliver(con, date(2025, 5, 15), datetime(2025, 5, 16), {
            ("sfa", "account"): [
                {"id": "A1", "name": "Alpha KK", "website": "https://www.alpha.co.jp/", "number_of_employees": 120,
                 "corporate_number__c": "8010401050387", "created_date": ts("2025-01-05 00:00")},
                {"id": "A2", "name": "Beta KK", "website": "beta.jp", "created_date": ts("2025-01-06 00:00")},
            ],
            ("cs", "customers"): [
                {"customer_id": "CU1", "company_name": "Alpha Corp", "sfa_account_id": "A1",
                 "created_at": ts("2025-02-01 00:00")},
            ],
            ("ma", "leads"): [
                {"lead_id": "L1", "email": "a@alpha.co.jp", "company_name": "Alpha", "created_at": ts("2025-03-01 00:00")},
                {"lead_id": "L2", "email": "b@gmail.com", "company_name": "Beta", "created_at": ts("2025-03-02 00:00")},
                {"lead_id": "L3", "email": "c@gamma.jp", "company_name": "Gamma", "industry": "IT",
                 "created_at": ts("2025-03-03 00:00")},
                {"lead_id": "L5", "email": "d@delta.jp", "company_name": "Delta", "created_at": ts("2025-03-04 00:00")},
            ],
            ("sfa", "lead"): [
                {"id": "S1", "status": "Open", "company": "Alpha SFA", "email": "s@alpha.co.jp", "created_date": ts("2025-03-05 00:00")},
            ],
        })  # fmt: skip
        _crosswalk(con, day1, EARLY)
    _build(work, warehouse)
    assert _tables(warehouse) == _full_build_of_copy(tmp_path, warehouse, "full_day1")
    assert _changed_companies(warehouse) == {"CO-A", "CO-B", "CO-C", "CO-D"}  # a first build: every company

    # day 2
    with duckdb.connect(str(warehouse)) as con:
        _deliver(con, date(2025, 5, 16), datetime(2025, 5, 17), {
            ("ma", "leads"): [
                {"lead_id": "L4", "email": "e@alpha.co.jp", "company_name": "Alpha", "created_at": ts("2025-05-16 01:00")},
            ],
            ("sfa", "account"): [
                {"id": "A2", "name": "Beta Holdings KK", "website": "beta.jp", "created_date": ts("2025-01-06 00:00"),
                 "last_modified_date": ts("2025-05-16 02:00")},
            ],
            ("sfa", "lead"): [
                {"id": "S1", "status": "Open", "company": "Alpha SFA", "email": "s@alpha.co.jp", "created_date": ts("2025-03-05 00:00"),
                 "last_modified_date": ts("2025-05-16 03:00"), "is_deleted": True},
            ],
        })  # fmt: skip
        day2 = {k: v for k, v in day1.items() if k != ("cs", "customers", "CU1")}
        day2 |= {("ma", "leads", "L4"): "CO-A", ("ma", "leads", "L3"): "CO-B"}
        _crosswalk(con, day2, datetime(2025, 5, 17, 1))
    _build(work, warehouse)
    assert _tables(warehouse) == _full_build_of_copy(tmp_path, warehouse, "full_day2")
    assert _changed_companies(warehouse) == {"CO-A", "CO-B", "CO-C"}
    companies = _companies(warehouse)
    assert set(companies) == {"CO-A", "CO-B", "CO-D"}
    assert companies["CO-A"][:3] == ("Alpha KK", False, 4)
    assert companies["CO-B"][:3] == ("Beta Holdings KK", False, 3)

    # day 3: identity alone splits CO-B
    with duckdb.connect(str(warehouse)) as con:
        _crosswalk(con, day2 | {("ma", "leads", "L3"): "CO-E"}, datetime(2025, 5, 18, 1))
    _build(work, warehouse)
    assert _tables(warehouse) == _full_build_of_copy(tmp_path, warehouse, "full_day3")
    assert _changed_companies(warehouse) == {"CO-B", "CO-E"}
    assert set(_companies(warehouse)) == {"CO-A", "CO-B", "CO-D", "CO-E"}

    # day 4: nothing about any company
    before = _tables(warehouse)
    with duckdb.connect(str(warehouse)) as con:
        _deliver(con, date(2025, 5, 19), datetime(2025, 5, 20), {
            ("ma", "activities"): [
                {"activity_id": "X1", "lead_id": "L1", "activity_type": "form_submit",
                 "occurred_at": ts("2025-05-19 06:00"), "score_delta": 5},
            ],
        })  # fmt: skip
    _build(work, warehouse)
    assert _scalar(warehouse, "select count(*) from intermediate.int_company_changes") == [(0,)]
    assert _tables(warehouse) == before == _full_build_of_copy(tmp_path, warehouse, "full_day4")
