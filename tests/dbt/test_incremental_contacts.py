"""The incremental contacts models (int_contact_records, dim_contacts; change set
int_contact_changes) must equal a full build of the same data after every run.

Day 1 builds a small history; day 2 delivers, in one load, every kind of change a person can see,
and is built in two runs, the first stopping after int_contact_records (as a run whose
dim_contacts fails would), so the second must still rebuild the persons the first one moved
records out of; day 3 changes no person record. Each day is compared, table by table, with a
`--full-refresh` build of a copy. Day 2:
  * a new SFA contact joins an existing person (same e-mail);
  * an SFA lead's e-mail changes: it moves from one person to another, the old one remains;
  * an earlier MA lead of an existing person arrives: the anchor, hence contact_id, changes;
  * a linked record changes e-mail: the MA lead without e-mail pointing at it moves with it;
  * the MA lead an SFA lead without e-mail points at appears: the SFA lead joins its person;
  * identity re-assigns a lead's company and removes an account's crosswalk row;
  * an SFA lead is soft-deleted (it stays, flagged, and loses its attribute precedence);
  * a ticket changes requester e-mail: the old requester vanishes from its person.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
from dbt_harness import build, full_build_of_copy, query, tables
from test_lifecycle_handmade import create_raw, deliver, insert, replace_crosswalk, ts

SELECT = ["+path:models/staging", "+int_contacts_watermark", "+dim_companies"]
COMPARED = ["intermediate.int_contact_records", "core.dim_contacts"]
DAY1_RESOLVED = datetime(2025, 5, 16, 1, 0)
DAY2_RESOLVED = datetime(2025, 5, 17, 1, 0)


def _persons(warehouse: Path) -> dict[str, tuple]:
    """email -> (contact_id, anchor, company_id, source_records, first_name) of dim_contacts."""
    rows = query(warehouse, "select email_normalized, contact_id, anchor_record_key, company_id, source_records, "
                              "first_name from core.dim_contacts")  # fmt: skip
    return {r[0]: r[1:] for r in rows}


def _history(con) -> None:
    insert(con, "ma", "leads", [
        {"lead_id": "L1", "email": "a@x.com", "created_at": ts("2025-04-01 00:00"), "first_name": "Ma-A"},
        {"lead_id": "L2", "email": "b@x.com", "created_at": ts("2025-04-02 00:00"), "first_name": "Ma-B"},
        # no e-mail: takes the e-mail of the SFA lead it points at
        {"lead_id": "L3", "created_at": ts("2025-04-03 00:00"), "sfa_lead_id": "S3"},
        {"lead_id": "L6", "email": "e@x.com", "created_at": ts("2025-04-06 00:00"), "first_name": "Ma-E"},
        {"lead_id": "L8", "email": "h@x.com", "created_at": ts("2025-04-08 00:00"), "first_name": "Ma-H"},
    ])  # fmt: skip
    insert(con, "sfa", "lead", [
        {"id": "S3", "status": "Open", "email": "c@x.com", "created_date": ts("2025-04-03 01:00"), "first_name": "Sfa-C"},
        # points at an MA lead that does not exist (yet): a person of its own, by MA lead id
        {"id": "S4", "status": "Open", "created_date": ts("2025-04-04 00:00"), "ma_lead_id__c": "L5", "first_name": "Sfa-I"},
        {"id": "S5", "status": "Open", "email": "g@x.com", "created_date": ts("2025-04-05 00:00"), "first_name": "Sfa-G",
         "last_modified_date": ts("2025-04-05 00:00")},
        {"id": "S6", "status": "Open", "email": "g@x.com", "created_date": ts("2025-04-06 00:00"), "first_name": "Sfa-G2",
         "last_modified_date": ts("2025-04-04 00:00")},
        {"id": "S8", "status": "Open", "email": "h@x.com", "created_date": ts("2025-04-09 00:00"), "first_name": "Sfa-H"},
    ])  # fmt: skip
    insert(con, "sfa", "account", [{"id": "ACC1", "name": "Acme KK", "created_date": ts("2025-03-01 00:00")}])
    insert(con, "sfa", "contact", [
        {"id": "C1", "email": "d@x.com", "account_id": "ACC1", "created_date": ts("2025-04-04 00:00"),
         "first_name": "Con-D"},
    ])  # fmt: skip
    insert(con, "cs", "customers", [
        {"customer_id": "CU1", "company_name": "Acme KK", "created_at": ts("2025-03-01 00:00")},
    ])  # fmt: skip
    insert(con, "cs", "tickets", [
        {"ticket_id": "T1", "customer_id": "CU1", "requester_email": "A@x.com", "created_at": ts("2025-04-10 00:00")},
        {"ticket_id": "T2", "customer_id": "CU1", "requester_email": "f@x.com", "created_at": ts("2025-04-11 00:00")},
    ])  # fmt: skip
    replace_crosswalk(con, [
        ("ma", "leads", "L6", "CO-A", DAY1_RESOLVED),
        ("sfa", "account", "ACC1", "CO-B", DAY1_RESOLVED),
        ("cs", "customers", "CU1", "CO-B", DAY1_RESOLVED),
    ])  # fmt: skip


def test_incremental_contacts_equal_a_full_build(tmp_path):
    work, warehouse = tmp_path / "dbt", tmp_path / "wh.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        create_raw(con)
        _history(con)
    build(work, warehouse, SELECT)
    assert tables(warehouse, COMPARED) == full_build_of_copy(
        tmp_path, warehouse, "full_day1", SELECT, COMPARED
    )
    assert query(warehouse, "select count(*) from intermediate.int_contacts_watermark") == [(1,)]
    day1 = _persons(warehouse)
    assert day1["c@x.com"][3] == "ma:leads:L3, sfa:lead:S3"
    assert day1["a@x.com"][3] == "cs:ticket_requester:CU1:a@x.com, ma:leads:L1"
    assert day1[None][1] == "sfa:lead:S4"  # the person keyed by the missing MA lead L5
    assert day1["e@x.com"][2] == "CO-A" and day1["d@x.com"][2] == "CO-B"

    # day 2
    with duckdb.connect(str(warehouse)) as con:
        deliver(con, date(2025, 5, 16), datetime(2025, 5, 17, 0, 0), {
            ("ma", "leads"): [
                # an earlier record of person e@x.com: the new anchor
                {"lead_id": "L0", "email": "E@x.com", "created_at": ts("2025-03-01 00:00")},
                # the MA lead S4 points at arrives: S4 joins i@x.com
                {"lead_id": "L5", "email": "i@x.com", "created_at": ts("2025-05-16 00:00")},
            ],
            ("sfa", "lead"): [
                # linked record's e-mail change: L3 (no e-mail) follows S3 to c2@x.com
                {"id": "S3", "status": "Open", "email": "c2@x.com", "created_date": ts("2025-04-03 01:00"), "first_name": "Sfa-C",
                 "last_modified_date": ts("2025-05-16 00:00")},
                # soft delete: S5 stays in g@x.com, S6 (live) now gives the attributes
                {"id": "S5", "status": "Open", "email": "g@x.com", "created_date": ts("2025-04-05 00:00"), "first_name": "Sfa-G",
                 "is_deleted": True, "last_modified_date": ts("2025-05-16 00:00")},
                # e-mail change: S8 moves from h@x.com to a@x.com
                {"id": "S8", "status": "Open", "email": "a@x.com", "created_date": ts("2025-04-09 00:00"), "first_name": "Sfa-H",
                 "last_modified_date": ts("2025-05-16 00:00")},
            ],
            ("sfa", "contact"): [
                # a new record joining an existing person
                {"id": "C2", "email": "b@x.com", "created_date": ts("2025-05-16 00:00"), "first_name": "Con-B"},
            ],
            ("cs", "tickets"): [
                # the requester f@x.com loses its only ticket
                {"ticket_id": "T2", "customer_id": "CU1", "requester_email": "a@x.com",
                 "created_at": ts("2025-04-11 00:00"), "solved_at": ts("2025-05-16 00:00")},
            ],
        })  # fmt: skip
        # identity re-assigns L6 and drops ACC1's row (unchanged rows keep their resolved_at)
        replace_crosswalk(con, [
            ("ma", "leads", "L6", "CO-C", DAY2_RESOLVED),
            ("cs", "customers", "CU1", "CO-B", DAY1_RESOLVED),
        ])  # fmt: skip
    # a run that stops after int_contact_records (dim_contacts not rebuilt, watermark kept) ...
    build(work, warehouse, ["+int_contact_records"])
    # ... then a complete one: it must still rebuild the persons the first run moved records out of
    build(work, warehouse, SELECT)
    assert tables(warehouse, COMPARED) == full_build_of_copy(
        tmp_path, warehouse, "full_day2", SELECT, COMPARED
    )
    changed = {r[0] for r in query(warehouse, "select record_key from intermediate.int_contact_changes")}
    assert changed == {
        "ma:leads:L0", "ma:leads:L5", "sfa:lead:S3", "sfa:lead:S5", "sfa:lead:S8", "sfa:contact:C2",
        "ma:leads:L3", "sfa:lead:S4",  # their sync id points at a changed record
        "ma:leads:L6", "sfa:contact:C1",  # crosswalk row rewritten / removed
        "cs:ticket_requester:CU1:a@x.com", "cs:ticket_requester:CU1:f@x.com",
    }  # fmt: skip
    day2 = _persons(warehouse)
    assert day2["a@x.com"][3] == "cs:ticket_requester:CU1:a@x.com, ma:leads:L1, sfa:lead:S8"
    assert day2["h@x.com"][3] == "ma:leads:L8"
    assert day2["b@x.com"][3] == "ma:leads:L2, sfa:contact:C2" and day2["b@x.com"][4] == "Con-B"
    assert day2["e@x.com"][1] == "ma:leads:L0" and day2["e@x.com"][0] != day1["e@x.com"][0]
    assert day2["e@x.com"][2] == "CO-C" and day2["d@x.com"][2] is None
    assert day2["c2@x.com"][3] == "ma:leads:L3, sfa:lead:S3" and "c@x.com" not in day2
    # S4 (no e-mail, the earlier and the better record) stays the anchor and gives no e-mail
    assert day2[None][1:4:2] == ("sfa:lead:S4", "ma:leads:L5, sfa:lead:S4") and "i@x.com" not in day2
    assert day2["g@x.com"][3] == "sfa:lead:S5, sfa:lead:S6" and day2["g@x.com"][4] == "Sfa-G2"
    assert "f@x.com" not in day2

    # day 3: nothing for any person record
    with duckdb.connect(str(warehouse)) as con:
        deliver(con, date(2025, 6, 20), datetime(2025, 6, 21, 0, 0), {
            ("cs", "customers"): [
                {"customer_id": "CU3", "company_name": "Third KK", "created_at": ts("2025-06-20 00:00")},
            ],
        })  # fmt: skip
    build(work, warehouse, SELECT)
    assert query(warehouse, "select count(*) from intermediate.int_contact_changes") == [(0,)]
    day3 = tables(warehouse, COMPARED)
    assert day3 == full_build_of_copy(tmp_path, warehouse, "full_day3", SELECT, COMPARED)
    assert (
        day3["core.dim_contacts"]
        == tables(tmp_path / "full_day2" / "wh.duckdb", COMPARED)["core.dim_contacts"]
    )


def _compiled_changes(work: Path) -> str:
    """The SQL the last build ran for int_contact_changes."""
    return next((work / "target" / "compiled").rglob("int_contact_changes.sql")).read_text()


VANISHED_COMPARE = "staging_records.source_record_id is null"  # stored records against all of staging


def test_incremental_contacts_records_gone_from_raw(tmp_path):
    """A record can only vanish from staging without a newer raw row when raw rows below the
    watermark change: the run then compares every stored record with staging; otherwise (the
    raw counts in int_contacts_watermark still hold) it skips that comparison."""
    work, warehouse = tmp_path / "dbt", tmp_path / "wh.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        create_raw(con)
        _history(con)
    build(work, warehouse, SELECT)
    watermark = query(warehouse, "select raw_rows_ma_leads, raw_rows_sfa_lead, raw_rows_sfa_contact, "
                                 "raw_rows_cs_tickets from intermediate.int_contacts_watermark")  # fmt: skip
    assert watermark == [(5, 5, 1, 2)]

    # day 2: a new MA lead, and raw rows of earlier loads disappear (SFA contact C1; ticket T1,
    # the only ticket of requester CU1:a@x.com): no raw row after the watermark names them
    with duckdb.connect(str(warehouse)) as con:
        deliver(con, date(2025, 5, 16), datetime(2025, 5, 17, 0, 0), {
            ("ma", "leads"): [{"lead_id": "L9", "email": "j@x.com", "created_at": ts("2025-05-16 00:00")}],
        })  # fmt: skip
        con.execute("delete from raw_sfa.contact where id = 'C1'")
        con.execute("delete from raw_cs.tickets where ticket_id = 'T1'")
    build(work, warehouse, SELECT)
    assert tables(warehouse, COMPARED) == full_build_of_copy(
        tmp_path, warehouse, "full_day2", SELECT, COMPARED
    )
    assert VANISHED_COMPARE in _compiled_changes(work)
    changed = {r[0] for r in query(warehouse, "select record_key from intermediate.int_contact_changes")}
    assert changed == {"ma:leads:L9", "sfa:contact:C1", "cs:ticket_requester:CU1:a@x.com"}
    day2 = _persons(warehouse)
    assert "d@x.com" not in day2 and day2["a@x.com"][3] == "ma:leads:L1"

    # day 3: only new rows: the counts hold, no comparison with all of staging, still exact
    with duckdb.connect(str(warehouse)) as con:
        deliver(con, date(2025, 6, 20), datetime(2025, 6, 21, 0, 0), {
            ("sfa", "contact"): [{"id": "C3", "email": "j@x.com", "created_date": ts("2025-06-20 00:00")}],
        })  # fmt: skip
    build(work, warehouse, SELECT)
    assert VANISHED_COMPARE not in _compiled_changes(work)
    assert tables(warehouse, COMPARED) == full_build_of_copy(
        tmp_path, warehouse, "full_day3", SELECT, COMPARED
    )
    assert _persons(warehouse)["j@x.com"][3] == "ma:leads:L9, sfa:contact:C3"
