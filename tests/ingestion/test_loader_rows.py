"""Row- and column-level input classes: contract columns, value parsing, quarantine, threshold."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

import pytest

from ingestion.loader import ledger_reconciliation_problems, load_landing

DAY = "2026-06-03"


def _one(summary):
    assert len(summary.files) == 1, summary.as_rows()
    return summary.files[0]


def test_missing_required_column_rejects_with_a_precise_message(con, put, landing, counts):
    put("sfa", DAY, "Lead.csv", "Id,CreatedDate\nL1,2026-06-01\n")
    r = _one(load_landing(con, landing))
    assert r.status == "rejected"
    assert r.reason == (
        "sfa/2026-06-03/Lead.csv: missing required column 'Status' (contract sfa.lead, ingestion/contracts.yaml)"
    )
    assert counts()["raw_sfa.lead"] == 0


def test_missing_optional_column_is_null_and_extra_columns_go_to_extra(con, put, landing):
    put(
        "sfa",
        DAY,
        "Opportunity.csv",
        "Id,StageName,CreatedDate,Rating__c,Region\nO1,Prospecting,2026-06-01,A,\nO2,Closed Won,2026-06-01,,\n",
    )
    r = _one(load_landing(con, landing))
    assert (r.status, r.rows_loaded) == ("loaded", 2)
    rows = con.execute("select id, amount, is_won, _extra from raw_sfa.opportunity order by id").fetchall()
    assert rows[0][:3] == ("O1", None, None)
    assert json.loads(rows[0][3]) == {"rating__c": "A", "region": None}
    assert rows[1][3] is None  # no extra value in the row at all


@pytest.mark.parametrize(
    "header",
    [
        "Id,LeadId,Field,CreatedDate,OldValue,NewValue",
        "id,lead_id,field,created_date,old_value,new_value",
        "ID,LEAD_ID,FIELD,CREATED_DATE,OLD_VALUE,NEW_VALUE",
        "Id,Lead Id,field,CreatedDate,old_value,NEW_VALUE",
    ],
)
def test_column_name_styles_are_equivalent(con, put, landing, header):
    put("sfa", DAY, "LeadHistory.csv", header + "\nH1,L1,Status,2026-06-01 10:00,Open,Working\n")
    r = _one(load_landing(con, landing))
    assert r.status == "loaded" and r.column_style
    assert con.execute(
        "select id, lead_id, field, old_value, new_value from raw_sfa.lead_history"
    ).fetchall() == [("H1", "L1", "Status", "Open", "Working")]
    if header.startswith("Id,Lead Id"):
        assert r.column_style.startswith("mixed")


def test_duplicate_column_after_normalisation_rejects(con, put, landing):
    put("sfa", DAY, "User.csv", "Id,Name,user_role,UserRole\nU1,Sato,A,B\n")
    r = _one(load_landing(con, landing))
    assert r.status == "rejected" and "'user_role', 'UserRole' -> user_role" in r.reason


def test_value_spellings_are_parsed_per_contract(con, put, landing):
    put(
        "sfa",
        DAY,
        "Opportunity.csv",
        "Id,StageName,CreatedDate,Amount,CloseDate,IsWon,IsClosed\n"
        'O1,Won,2026-06-01T09:30:00.000+0000,"1,200,000",2026/06/30,TRUE,1\n'
        "O2,Won,2026-06-01 09:30:00,1200000.50,2026-06-30,false,0\n"
        "O3,Won,2026/06/01 9:30,0,2026/6/1,true,False\n"
        "O4,Won,2026-06-01T09:30:00+09:00,-5,,,\n"
        "O5,Won,2026-06-01T00:30:00Z, 7 ,,,\n",
    )
    r = _one(load_landing(con, landing))
    assert (r.status, r.rows_loaded, r.rows_quarantined) == ("loaded", 5, 0)
    rows = con.execute(
        "select id, created_date, amount, close_date, is_won, is_closed from raw_sfa.opportunity order by id"
    ).fetchall()
    utc_0030 = datetime(2026, 6, 1, 0, 30)
    assert rows == [
        ("O1", datetime(2026, 6, 1, 9, 30), Decimal("1200000.00"), date(2026, 6, 30), True, True),
        ("O2", utc_0030, Decimal("1200000.50"), date(2026, 6, 30), False, False),
        ("O3", utc_0030, Decimal("0.00"), date(2026, 6, 1), True, False),
        ("O4", utc_0030, Decimal("-5.00"), None, None, None),
        ("O5", utc_0030, Decimal("7.00"), None, None, None),
    ]


def test_bad_dates_and_amounts_are_quarantined_with_reason_and_raw_values(con, put, landing):
    good = "".join(f"S{i},C1,2026-04-01,1000,\n" for i in range(20))
    put(
        "cs",
        DAY,
        "subscriptions.csv",
        "subscription_id,customer_id,start_date,mrr,end_date\n"
        + good
        + "S90,C1,2026-13-45,1000,\n"
        + "S91,C1,2026-04-01,1.005,\n"
        + "S92,C1,2026-04-01,12万,2026-02-30\n",
    )
    r = _one(load_landing(con, landing, bad_row_threshold=0.2))
    assert (r.status, r.rows_read, r.rows_loaded, r.rows_quarantined) == ("loaded", 23, 20, 3)
    q = con.execute(
        "select row_number, reason, raw_values, batch_id, source_file, extract_date from audit.quarantine order by 1"
    ).fetchall()
    assert [(n, reason) for n, reason, *_ in q] == [
        (21, "bad date in start_date: '2026-13-45'"),
        (22, "bad decimal in mrr: '1.005'"),
        (23, "bad decimal in mrr: '12万'; bad date in end_date: '2026-02-30'"),
    ]
    assert json.loads(q[0][2]) == {
        "subscription_id": "S90",
        "customer_id": "C1",
        "start_date": "2026-13-45",
        "mrr": "1000",
        "end_date": None,
    }
    assert (
        q[0][3] == r.batch_id and q[0][4] == "cs/2026-06-03/subscriptions.csv" and q[0][5] == date(2026, 6, 3)
    )
    assert ledger_reconciliation_problems(con) == []


def test_embedded_newlines_quotes_and_ragged_rows(con, put, landing):
    put(
        "sfa",
        DAY,
        "Task.csv",
        "Id,CreatedDate,Subject,Type\r\n"
        'T1,2026-06-01,"Call back\r\nre: ""pricing"", discount",Call\r\n'
        "T2,2026-06-01,too,many,fields\r\n"
        "T3,2026-06-01\r\n"
        'T4,2026-06-01,"a,b",Email\r\n' + "".join(f"T{i},2026-06-01,s,Call\r\n" for i in range(5, 60)),
    )
    r = _one(load_landing(con, landing))
    assert (r.status, r.rows_read, r.rows_loaded, r.rows_quarantined) == ("loaded", 59, 57, 2)
    assert r.read_path == "exact"  # DuckDB rejected rows: numbered again exactly
    rows = dict(con.execute("select id, subject from raw_sfa.task").fetchall())
    assert rows["T1"] == 'Call back\r\nre: "pricing", discount' and rows["T4"] == "a,b"
    assert con.execute("select _row_number from raw_sfa.task where id = 'T4'").fetchall() == [(4,)]
    q = con.execute("select row_number, reason, raw_values from audit.quarantine order by 1").fetchall()
    assert [(n, reason) for n, reason, _ in q] == [
        (2, "wrong number of fields: 5 instead of 4"),
        (3, "wrong number of fields: 2 instead of 4"),
    ]
    assert json.loads(q[0][2])["_field_5"] == "fields"


def test_unterminated_quote_is_not_silently_dropped(con, put, landing):
    body = "Id,CreatedDate,Subject\n" + "".join(f"T{i},2026-06-01,s\n" for i in range(1, 40))
    put("sfa", DAY, "Task.csv", body + 'T40,2026-06-01,"never closed\nT41,2026-06-01,s\n')
    r = _one(load_landing(con, landing))
    assert r.rows_read == r.rows_loaded + r.rows_quarantined == 40
    assert r.rows_quarantined == 1
    assert "malformed CSV record" in con.execute("select reason from audit.quarantine").fetchall()[0][0]


def test_file_above_bad_row_threshold_is_rejected_but_bad_rows_stay_visible(con, put, landing, ledger):
    rows = "".join(f"A{i},2026-06-01,{'2026-99-01' if i % 4 == 0 else '2026-06-01'}\n" for i in range(40))
    put("sfa", DAY, "Account.csv", "Id,Name,CreatedDate\n" + rows)
    r = _one(load_landing(con, landing, bad_row_threshold=0.05))
    assert (r.status, r.rows_read, r.rows_loaded, r.rows_quarantined) == ("rejected", 40, 0, 10)
    assert "10 of 40 rows bad (25.0% > threshold 5.0%)" in r.reason
    assert con.execute("select count(*) from raw_sfa.account").fetchall()[0][0] == 0
    assert con.execute(
        "select count(*) from audit.quarantine where batch_id = ?", [r.batch_id]
    ).fetchall() == [(10,)]
    assert ledger()[0]["status"] == "rejected"
    assert ledger_reconciliation_problems(con) == []


def test_empty_not_null_key_is_quarantined(con, put, landing):
    put(
        "ma",
        DAY,
        "leads.csv",
        "lead_id,email,created_at\n,a@x.jp,2026-06-01\n"
        + "".join(f"M{i},m{i}@x.jp,2026-06-01\n" for i in range(30)),
    )
    r = _one(load_landing(con, landing))
    assert (r.rows_loaded, r.rows_quarantined) == (30, 1)
    assert con.execute("select row_number, reason from audit.quarantine").fetchall() == [
        (1, "empty not_null column lead_id")
    ]
