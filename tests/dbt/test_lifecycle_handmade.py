"""The staging, lifecycle and core-fact models on a small hand-made extract history.

Owns the end-to-end check of the dbt layer on rows written straight into the raw tables (DDL from
ingestion.contracts, so it never depends on the loader or the generator): dedupe to the latest
version, soft deletes, activity-type mapping, the MA<->SFA link by reference and by e-mail, cycles
split by a recycle, MQL crossings, IS contact / appointment / field-sales SLA clocks, the
converted opportunity and its close, customers and churn. `dbt build` also runs every schema,
unit and singular test of the selected models, so a failing invariant fails this test.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from dbt_harness import LIFECYCLE_SELECT, run_dbt

from ingestion.contracts import LINEAGE_COLUMNS, load_contracts, quote_ident, raw_table_ddl
from ingestion.rules import business_rules

EXTRACT_DATE = date(2025, 5, 15)


def create_raw(con: duckdb.DuckDBPyConnection) -> None:
    """Empty raw tables for every contract entity and an empty identity crosswalk."""
    for ent in load_contracts().entities:
        con.execute(raw_table_ddl(ent))
    con.execute("create schema if not exists core")
    con.execute(
        "create table if not exists core.company_crosswalk (source_system varchar, source_entity varchar, "
        "source_record_id varchar, company_id varchar, match_method varchar, match_probability double, "
        "rules_version varchar, resolved_at timestamp)"
    )


def insert(con, system: str, entity: str, rows: list[dict], extract_date: date = EXTRACT_DATE) -> None:
    """Append rows (raw snake_case column names) with lineage as the loader would write it."""
    ent = load_contracts().entity(system, entity)
    names = [c.name for c in ent.columns] + [name for name, _ in LINEAGE_COLUMNS]
    for i, row in enumerate(rows, start=1):
        unknown = set(row) - set(names)
        assert not unknown, f"{system}.{entity} has no columns {unknown}"
        lineage = {
            "_extra": None,
            "_batch_id": f"{system}/{entity}/{extract_date}/handmade",
            "_source_file": f"{system}/{extract_date}/{entity}.csv",
            "_file_hash": "handmade",
            "_row_number": i,
            "_extract_date": extract_date,
            "_loaded_at": datetime(2025, 5, 16, 0, 0),
        }
        values = {**lineage, **row}
        cols = list(values)
        con.execute(
            f"insert into {ent.raw_table} ({', '.join(quote_ident(c) for c in cols)}) "
            f"values ({', '.join('?' for _ in cols)})",
            [values[c] for c in cols],
        )


def deliver(con, day: date, loaded_at: datetime, rows: dict[tuple[str, str], list[dict]]) -> None:
    """Rows of one extract date, loaded at `loaded_at` (after every earlier load, as the loader)."""
    for (system, entity), entity_rows in rows.items():
        insert(con, system, entity, entity_rows, extract_date=day)
        table = load_contracts().entity(system, entity).raw_table
        con.execute(f"update {table} set _loaded_at = ? where _extract_date = ?", [loaded_at, day])


def replace_crosswalk(con, rows: list[tuple]) -> None:
    """Identity's crosswalk as `rows` of (system, entity, record id, company id[, resolved_at]);
    without a resolved_at the row is resolved now."""
    con.execute("delete from core.company_crosswalk")
    for system, entity, record, company, *resolved_at in rows:
        con.execute(
            "insert into core.company_crosswalk values (?, ?, ?, ?, 'rule', 1.0, 'test', "
            + ("?)" if resolved_at else "now())"),
            [system, entity, record, company, *resolved_at],
        )


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


def write_history(con) -> None:
    # MA: L1 delivered twice (the later version wins), L2 references its SFA lead, L3 only by e-mail
    insert(con, "ma", "leads", [
        {"lead_id": "L1", "email": "Taro@Example.co.jp", "created_at": ts("2025-04-01 00:00"), "employees": 40,
         "lead_source": "Webinar", "updated_at": ts("2025-04-01 00:00")},
    ], extract_date=date(2025, 4, 1))  # fmt: skip
    insert(con, "ma", "leads", [
        {"lead_id": "L1", "email": " Taro@Example.co.jp ", "created_at": ts("2025-04-01 00:00"), "employees": 60,
         "lead_source": "Webinar", "campaign_id": "CP1", "updated_at": ts("2025-04-02 00:00")},
        {"lead_id": "L2", "email": "jiro@example.com", "created_at": ts("2025-04-01 00:00"), "sfa_lead_id": "S2",
         "lead_source": "Trade Show"},
        {"lead_id": "L3", "email": "HANAKO@example.com ", "created_at": ts("2025-04-01 00:00"),
         "lead_source": "mystery"},
    ])  # fmt: skip
    insert(con, "ma", "campaigns", [
        {"campaign_id": "CP1", "name": "Webinar April", "channel": "webinar", "cost": 300000,
         "start_date": date(2025, 4, 1), "end_date": date(2025, 4, 30)},
    ])  # fmt: skip
    insert(con, "ma", "activities", [
        {"activity_id": "A1", "lead_id": "L1", "activity_type": "form_submit", "occurred_at": ts("2025-04-01 01:00"), "score_delta": 50},
        {"activity_id": "A2", "lead_id": "L1", "activity_type": "pricing_page_view", "occurred_at": ts("2025-04-02 00:00"), "score_delta": 40},
        {"activity_id": "A3", "lead_id": "L1", "activity_type": "score_change", "occurred_at": ts("2025-04-05 00:00"), "score_delta": -60},
        {"activity_id": "A4", "lead_id": "L1", "activity_type": "webinar_attended", "occurred_at": ts("2025-04-10 00:00"), "score_delta": 55},
        {"activity_id": "A5", "lead_id": "L2", "activity_type": "Chat", "occurred_at": ts("2025-04-02 00:00"), "score_delta": 5},
        {"activity_id": "A5", "lead_id": "L2", "activity_type": "Chat", "occurred_at": ts("2025-04-02 00:00"), "score_delta": 5},
    ])  # fmt: skip
    insert(con, "sfa", "user", [
        {"id": "U_IS", "name": "Inside Rep", "department": "Inside Sales", "is_active": True},
        {"id": "U_FS", "name": "Field Rep", "department": "Field Sales", "is_active": True},
    ])  # fmt: skip
    insert(con, "sfa", "lead", [
        {"id": "S1", "status": "Converted", "created_date": ts("2025-04-02 01:00"), "ma_lead_id__c": "L1",
         "owner_id": "U_IS", "converted_opportunity_id": "O1", "converted_contact_id": "C1"},
        {"id": "S2", "status": "Open", "created_date": ts("2025-04-02 01:00"), "owner_id": "U_IS"},
        {"id": "S3", "status": "Open", "created_date": ts("2025-04-02 01:00"), "email": "hanako@example.com"},
        # a soft-deleted duplicate that claims L2: must not steal the link
        {"id": "S4", "status": "Working", "created_date": ts("2025-04-01 01:00"), "ma_lead_id__c": "L2",
         "is_deleted": True},
    ])  # fmt: skip
    insert(con, "sfa", "lead_history", [
        {"id": "H1", "lead_id": "S1", "field": "Status", "created_date": ts("2025-04-02 10:00"), "new_value": "Working"},
        {"id": "H2", "lead_id": "S1", "field": "Status", "created_date": ts("2025-04-05 00:00"), "new_value": "Nurturing"},
        {"id": "H3", "lead_id": "S1", "field": "Status", "created_date": ts("2025-04-10 12:00"), "new_value": "Working"},
        {"id": "H4", "lead_id": "S1", "field": "Status", "created_date": ts("2025-04-11 00:00"), "new_value": "Qualified"},
        {"id": "H5", "lead_id": "S1", "field": "Status", "created_date": ts("2025-04-12 00:00"), "new_value": "Converted"},
    ])  # fmt: skip
    insert(con, "sfa", "task", [
        {"id": "T1", "created_date": ts("2025-04-01 12:00"), "who_id": "S1", "owner_id": "U_IS", "type": "Call"},
        {"id": "T2", "created_date": ts("2025-04-03 00:00"), "who_id": "S1", "owner_id": "U_IS", "type": "Call"},
        {"id": "T3", "created_date": ts("2025-04-10 05:00"), "who_id": "S1", "owner_id": "U_IS", "type": "Email"},
    ])  # fmt: skip
    insert(con, "sfa", "event", [
        {"id": "E1", "start_date_time": ts("2025-04-14 01:00"), "created_date": ts("2025-04-11 06:00"), "who_id": "S1",
         "owner_id": "U_FS", "type": "Meeting"},
    ])  # fmt: skip
    insert(con, "sfa", "opportunity", [
        {"id": "O1", "stage_name": "Prospecting", "created_date": ts("2025-04-12 00:00"), "account_id": "ACC1",
         "amount": 1000000, "owner_id": "U_FS", "type": "New Business", "last_modified_date": ts("2025-04-12 00:00")},
    ], extract_date=date(2025, 4, 12))  # fmt: skip
    insert(con, "sfa", "opportunity", [
        {"id": "O1", "stage_name": "Closed Won", "created_date": ts("2025-04-12 00:00"), "account_id": "ACC1",
         "amount": 1000000, "is_won": True, "is_closed": True, "owner_id": "U_FS", "type": "New Business",
         "last_modified_date": ts("2025-05-01 00:00")},
    ])  # fmt: skip
    insert(con, "sfa", "opportunity_history", [
        {"id": "OH1", "opportunity_id": "O1", "stage_name": "Prospecting", "created_date": ts("2025-04-12 00:00")},
        {"id": "OH2", "opportunity_id": "O1", "stage_name": "Closed Won", "created_date": ts("2025-05-01 00:00")},
    ])  # fmt: skip
    insert(con, "cs", "customers", [
        {"customer_id": "CU1", "company_name": "Sample KK", "created_at": ts("2025-04-30 00:00")},
        {"customer_id": "CU2", "company_name": "Other KK", "created_at": ts("2025-03-30 00:00")},
    ])  # fmt: skip
    insert(con, "cs", "subscriptions", [
        {"subscription_id": "SUB1", "customer_id": "CU1", "start_date": date(2025, 5, 1), "mrr": 100000,
         "status": "active"},
        {"subscription_id": "SUB2", "customer_id": "CU2", "start_date": date(2025, 4, 1), "mrr": 50000,
         "end_date": date(2025, 5, 10), "status": "churned", "churn_reason": "budget"},
    ])  # fmt: skip


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("lifecycle_handmade")
    warehouse = work / "wh.duckdb"
    con = duckdb.connect(str(warehouse))
    create_raw(con)
    write_history(con)
    con.close()
    result = run_dbt(
        work, warehouse, "build", "--indirect-selection", "cautious", "--select", *LIFECYCLE_SELECT
    )
    assert result.returncode == 0, result.stdout[-6000:]
    return warehouse


def rows(warehouse: Path, sql: str) -> list[dict]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cur = con.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def test_staging_keeps_latest_version_and_normalises(built):
    (lead,) = rows(built, "select * from staging.stg_ma__leads where lead_id = 'L1'")
    assert lead["employees"] == 60 and lead["campaign_id"] == "CP1"
    assert lead["email_normalized"] == "taro@example.co.jp"
    assert lead["is_deleted"] is False and lead["_batch_id"].startswith("ma/leads/2025-05-15")
    (act,) = rows(built, "select * from staging.stg_ma__activities where activity_id = 'A5'")
    assert (act["activity_type"], act["activity_type_raw"]) == ("other", "Chat")
    (opp,) = rows(built, "select * from staging.stg_sfa__opportunities")
    assert opp["stage_name"] == "Closed Won"
    deleted = rows(built, "select sfa_lead_id from staging.stg_sfa__leads where is_deleted")
    assert deleted == [{"sfa_lead_id": "S4"}]


def test_staging_columns_follow_the_contract(built):
    """Every staging model carries the contract's stg names, is_deleted and the lineage columns."""
    cols = rows(
        built, "select table_name, column_name from information_schema.columns where table_schema = 'staging'"
    )
    by_table: dict[str, set[str]] = {}
    for r in cols:
        by_table.setdefault(r["table_name"], set()).add(r["column_name"])
    for ent in load_contracts().entities:
        have = by_table.get(ent.staging_model)
        assert have is not None, f"missing staging model {ent.staging_model}"
        want = {c.stg for c in ent.columns} | {"is_deleted", "_batch_id", "_source_file"}
        assert want <= have, f"{ent.staging_model} lacks {sorted(want - have)}"


def test_links_by_reference_and_email(built):
    links = {r["lead_id"]: r for r in rows(built, "select * from intermediate.int_leads_linked")}
    assert (links["L1"]["sfa_lead_id"], links["L1"]["link_method"]) == ("S1", "sfa.lead.ma_lead_id")
    assert (links["L2"]["sfa_lead_id"], links["L2"]["link_method"]) == ("S2", "ma.leads.sfa_lead_id")
    assert (links["L3"]["sfa_lead_id"], links["L3"]["link_method"]) == ("S3", "email")


def test_funnel_cycles_stages_and_slas(built):
    funnel = {r["lead_cycle_id"]: r for r in rows(built, "select * from core.fct_lead_funnel")}
    assert sorted(funnel) == ["L1#1", "L1#2", "L2#1", "L3#1"]
    c1, c2 = funnel["L1#1"], funnel["L1#2"]
    assert (c1["lead_at"], c1["mql_at"], c1["sal_at"], c1["recycled_at"]) == (
        ts("2025-04-01 00:00"), ts("2025-04-02 00:00"), ts("2025-04-02 10:00"), ts("2025-04-05 00:00"))  # fmt: skip
    assert c1["first_is_contact_at"] == ts("2025-04-03 00:00")  # T1 was before the MQL
    assert c1["first_response_hours"] == 24.0 and c1["is_first_contact_within_sla"] is True
    assert c1["sql_at"] is None and c1["is_fs_approach_within_sla"] is None and not c1["is_latest_cycle"]
    assert (c1["score_at_mql"], c1["max_score"], c1["score_band"]) == (90, 90, "80-99")
    assert (c2["lead_at"], c2["mql_at"], c2["sal_at"], c2["sql_at"]) == (
        ts("2025-04-05 00:00"), ts("2025-04-10 00:00"), ts("2025-04-10 12:00"), ts("2025-04-11 00:00"))  # fmt: skip
    assert c2["score_at_mql"] == 85 and c2["first_response_hours"] == 5.0
    assert c2["appointment_set_at"] == c2["first_fs_approach_at"] == ts("2025-04-11 06:00")
    assert c2["fs_first_approach_hours"] == 6.0 and c2["is_fs_approach_within_sla"] is True
    assert (c2["opportunity_id"], c2["opportunity_at"], c2["won_at"]) == (
        "O1",
        ts("2025-04-12 00:00"),
        ts("2025-05-01 00:00"),
    )
    assert c2["won_amount_jpy"] == 1000000 and c2["lead_to_won_days"] == 26.0 and c2["is_latest_cycle"]
    assert (c2["channel"], c2["employee_band"], c2["is_owner_user_id"]) == ("webinar", "50-99", "U_IS")
    l2, l3 = funnel["L2#1"], funnel["L3#1"]
    assert l2["mql_at"] is None and l2["is_first_contact_within_sla"] is None and l2["channel"] == "event"
    assert l3["channel"] == "other" and l3["sfa_lead_id"] == "S3"
    assert {r["rules_version"] for r in funnel.values()} == {business_rules()["ssot_rules_version"]}


def test_lifecycle_events_cite_their_evidence(built):
    events = {
        (r["lead_cycle_id"] or r["subject_id"], r["stage"]): r
        for r in rows(built, "select * from core.fct_lifecycle_events")
    }
    assert events[("L1#1", "lead")]["evidence"] == "ma.leads:L1"
    assert events[("L1#1", "mql")]["evidence"] == "ma.activities:A2"
    assert events[("L1#1", "recycled")]["evidence"] == "sfa.lead_history:H2"
    assert events[("L1#2", "won")]["evidence"] == "sfa.opportunity_history:OH2"
    assert ("L1#2", "lead") not in events  # a recycle is not a new lead
    assert events[("CU2", "churned")]["occurred_at"] == ts("2025-05-09 15:00")  # 05-10 JST midnight
    assert events[("CU1", "customer")]["evidence"] == "cs.subscriptions:SUB1"


def test_opportunities_customers_and_clock(built):
    (clock,) = rows(built, "select * from intermediate.int_warehouse_clock")
    assert clock["as_of_at"] == ts("2025-05-15 15:00")  # end of 2025-05-15 in Asia/Tokyo
    (opp,) = rows(built, "select * from core.fct_opportunities")
    assert (opp["lead_id"], opp["lead_cycle_id"], opp["sfa_lead_id"]) == ("L1", "L1#2", "S1")
    assert opp["is_won"] and opp["won_amount_jpy"] == 1000000 and opp["closed_at"] == ts("2025-05-01 00:00")
    assert opp["is_is_sourced"] and opp["is_marketing_sourced"] and opp["owner_department"] == "Field Sales"
    assert opp["sales_cycle_days"] == 19.0 and opp["lead_to_close_days"] == 26.0
    customers = {r["customer_id"]: r for r in rows(built, "select * from core.fct_customers")}
    assert customers["CU1"]["customer_at"] == ts("2025-04-30 15:00") and not customers["CU1"]["is_churned"]
    assert customers["CU1"]["active_mrr_jpy"] == 100000
    assert customers["CU2"]["is_churned"] and customers["CU2"]["active_mrr_jpy"] == 0
    # CU2: 2025-04-01 to 2025-05-10 JST = 39 days of 50,000 JPY a month
    assert float(customers["CU2"]["lifetime_revenue_jpy"]) == pytest.approx(
        50000 * 39 / (365.25 / 12), abs=0.01
    )


def test_a_broken_invariant_fails_the_build(built, tmp_path):
    """The raw->staging reconciliation is a real check: a staging table missing a row fails it."""
    warehouse = tmp_path / "wh.duckdb"
    shutil.copy(built, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("delete from staging.stg_ma__activities where activity_id = 'A1'")
    result = run_dbt(tmp_path, warehouse, "test", "--select", "assert_staging_reconciles_with_raw")
    assert result.returncode != 0 and "assert_staging_reconciles_with_raw" in result.stdout
