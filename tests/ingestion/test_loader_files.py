"""Whole-file input classes: encodings, compression, empty and header-only files, formats."""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import datetime
from pathlib import Path

from ingestion.loader import (
    describe_landing_file,
    discover_files,
    ensure_warehouse,
    ledger_reconciliation_problems,
    load_landing,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "extracts"

DAY = "2026-06-03"
LEAD_HEADER = "Id,Status,CreatedDate\n"


def _one(summary):
    assert len(summary.files) == 1, summary.as_rows()
    return summary.files[0]


def test_ensure_warehouse_creates_every_table_and_is_idempotent(con):
    ensure_warehouse(con)
    ensure_warehouse(con)
    tables = {
        f"{s}.{t}"
        for s, t in con.execute(
            "select schema_name, table_name from duckdb_tables() where not temporary"
        ).fetchall()
    }
    assert {"raw_sfa.lead_history", "raw_sfa.user", "raw_ma.activities", "raw_cs.tickets"} <= tables
    assert {"audit.load_ledger", "audit.quarantine"} <= tables
    cols = [r[0] for r in con.execute("describe raw_sfa.account").fetchall()]
    assert cols[-7:] == [
        "_extra",
        "_batch_id",
        "_source_file",
        "_file_hash",
        "_row_number",
        "_extract_date",
        "_loaded_at",
    ]
    assert "corporate_number__c" in cols


def test_cp932_file_is_detected_per_file_and_transcoded(con, landing):
    target = landing / "sfa" / DAY / "Lead.csv"
    target.parent.mkdir(parents=True)
    shutil.copy(FIXTURES / "sfa_Lead_cp932.csv", target)
    r = _one(load_landing(con, landing))
    assert (r.status, r.encoding, r.rows_loaded) == ("loaded", "cp932", 3)
    rows = con.execute(
        "select id, company, last_name, number_of_employees from raw_sfa.lead order by id"
    ).fetchall()
    assert rows[0] == ("00Q000000000001", "株式会社サンプル", "山田", 120)
    assert rows[1][1:] == ("(株)テスト・データ", "佐藤", 1500)
    assert rows[2][1] == "ｻﾝﾌﾟﾙ商事"  # half-width kana survive untouched (normalising is identity's job)


def test_utf8_bom_header_is_read(con, landing):
    target = landing / "sfa" / DAY / "account.csv"
    target.parent.mkdir(parents=True)
    shutil.copy(FIXTURES / "sfa_Account_utf8_bom.csv", target)
    r = _one(load_landing(con, landing))
    assert (r.status, r.encoding, r.rows_loaded) == ("loaded", "utf-8-sig", 2)
    rows = con.execute(
        "select id, name, created_date, is_deleted, _extra from raw_sfa.account order by id"
    ).fetchall()
    assert rows[0][:4] == ("001000000000001", "株式会社サンプル", datetime(2026, 5, 30), False)
    assert json.loads(rows[0][4]) == {"rating__c": "Hot"}
    assert rows[1][2] == datetime(2026, 5, 31) and rows[1][4] is None


def test_undecodable_file_is_rejected_with_reason(con, put, landing):
    put("sfa", DAY, "Lead.csv", LEAD_HEADER.encode() + b"L1,Open\x81 ,2026-06-01\n")
    r = _one(load_landing(con, landing))
    assert r.status == "rejected" and "nor CP932" in r.reason


def test_gzip_csv_loads_and_truncated_gzip_is_rejected(con, put, landing):
    body = LEAD_HEADER + "".join(f"L{i},Open,2026-06-01 09:{i % 60:02d}\n" for i in range(200))
    put("sfa", DAY, "Lead.csv.gz", gzip.compress(body.encode()))
    broken = gzip.compress(body.replace("Open", "Working").encode())
    put("sfa", "2026-06-04", "Lead.csv.gz", broken[: len(broken) // 2])
    ok, bad = load_landing(con, landing).files
    assert (ok.status, ok.rows_loaded) == ("loaded", 200)
    assert bad.status == "rejected" and "truncated gzip" in bad.reason
    assert con.execute("select count(*) from raw_sfa.lead").fetchall()[0][0] == 200


def test_zero_byte_file_is_rejected_not_a_crash(con, put, landing, ledger):
    put("cs", DAY, "tickets.csv", b"")
    r = _one(load_landing(con, landing))
    assert r.status == "rejected" and "empty file" in r.reason
    assert [row["status"] for row in ledger()] == ["rejected"]


def test_header_only_file_loads_zero_rows(con, put, landing, ledger):
    put("cs", DAY, "tickets.csv", "ticket_id,customer_id,created_at\r\n")
    r = _one(load_landing(con, landing))
    assert (r.status, r.rows_read, r.rows_loaded, r.rows_quarantined) == ("loaded", 0, 0, 0)
    assert ledger()[0]["status"] == "loaded"


def test_jsonl_with_mixed_key_styles_and_a_malformed_line(con, put, landing):
    lines = [
        json.dumps(
            {
                "activity_id": "A1",
                "lead_id": "M1",
                "activity_type": "web_visit",
                "occurred_at": "2026-06-01 09:00",
                "score_delta": 5,
            }
        ),
        "",
        json.dumps(
            {
                "ActivityId": "A2",
                "LeadId": "M1",
                "ActivityType": "form_submit",
                "OccurredAt": "2026-06-01T00:00:00Z",
                "utm__c": {"src": "ad"},
            }
        ),
        '{"activity_id": "A3", "lead_id": ',
        json.dumps(
            {
                "activity_id": "A4",
                "lead_id": "M2",
                "activity_type": "email_open",
                "occurred_at": "2026-06-02",
                "score_delta": "x",
            }
        ),
    ]
    put("ma", DAY, "activities.jsonl", "\n".join(lines) + "\n")
    r = _one(load_landing(con, landing, bad_row_threshold=0.6))
    assert (r.status, r.rows_read, r.rows_loaded, r.rows_quarantined) == ("loaded", 4, 2, 2)
    rows = con.execute(
        "select activity_id, occurred_at, score_delta, _extra, _row_number from raw_ma.activities order by 1"
    ).fetchall()
    assert rows[0] == ("A1", datetime(2026, 6, 1, 0, 0), 5, None, 1)
    assert rows[1][:2] == ("A2", datetime(2026, 6, 1, 0, 0)) and rows[1][4] == 2
    assert json.loads(json.loads(rows[1][3])["utm__c"]) == {"src": "ad"}
    quarantined = con.execute(
        "select row_number, reason, raw_values from audit.quarantine order by 1"
    ).fetchall()
    assert quarantined[0][:2] == (3, "malformed JSON record")
    assert "lead_id" in json.loads(quarantined[0][2])  # the raw line text is kept
    assert quarantined[1][:2] == (4, "bad integer in score_delta: 'x'")
    assert ledger_reconciliation_problems(con) == []


def test_parquet_with_typed_columns(con, landing, tmp_path):
    import duckdb

    path = landing / "cs" / DAY / "Subscriptions.parquet"
    path.parent.mkdir(parents=True)
    src = duckdb.connect()
    src.execute(
        f"""copy (select * from (values
            ('S1', 'C1', date '2026-04-01', 12000.5, timestamptz '2026-06-01 00:00:00+00', 'x'),
            ('S2', 'C1', date '2026-05-01', 8000, null, 'y'),
            ('S3', null, date '2026-05-01', 100, null, 'z')
        ) t(SubscriptionId, CustomerId, StartDate, MRR, UpdatedAt, Plan__c)) to '{path}' (format parquet)"""
    )
    r = _one(load_landing(con, landing, bad_row_threshold=0.5))
    assert (r.status, r.rows_read, r.rows_loaded, r.rows_quarantined, r.encoding) == (
        "loaded",
        3,
        2,
        1,
        "binary",
    )
    rows = con.execute(
        "select subscription_id, mrr, updated_at, _row_number, _extra from raw_cs.subscriptions order by 1"
    ).fetchall()
    assert float(rows[0][1]) == 12000.5 and rows[0][2] == datetime(2026, 6, 1) and rows[0][3] == 1
    assert json.loads(rows[1][4]) == {"plan__c": "y"}
    assert con.execute("select row_number, reason from audit.quarantine").fetchall() == [
        (3, "empty not_null column customer_id")
    ]


def test_unknown_files_are_ledgered_as_rejected(con, put, landing, ledger):
    put("sfa", DAY, "Quote.csv", "Id\nQ1\n")
    put("sfa", DAY, "notes.txt", "hello")
    put("crm", DAY, "Lead.csv", LEAD_HEADER)
    summary = load_landing(con, landing)
    assert summary.by_status() == {"rejected": 3}
    reasons = {row["source_file"]: row["reason"] for row in ledger()}
    assert "no sfa contract entity matches file name 'Quote'" in reasons["sfa/2026-06-03/Quote.csv"]
    assert "unsupported file type" in reasons["sfa/2026-06-03/notes.txt"]
    assert "layout" in reasons["crm/2026-06-03/Lead.csv"]


def test_discovery_of_given_dates_finds_what_a_walk_of_the_whole_landing_finds(landing, tmp_path):
    """With extract dates, discovery lists only `<top>/<date>/` folders; the result must equal
    filtering a full `rglob` walk (hidden parts skipped, symlinked folders not entered)."""
    files = [
        f"sfa/{DAY}/Lead.csv", f"ma/{DAY}/leads.csv", f"crm/{DAY}/Lead.csv", f"sfa/{DAY}/.partial.csv",
        f".trash/{DAY}/Lead.csv", f"sfa/{DAY}/sub/Lead.csv", "sfa/2026-06-04/Lead.csv", "Lead.csv",
        f"sfa/{DAY}x/Lead.csv", "sfa/not-a-date/Lead.csv",
    ]  # fmt: skip
    for rel in files:
        (landing / rel).parent.mkdir(parents=True, exist_ok=True)
        (landing / rel).write_text(LEAD_HEADER, encoding="utf-8")
    elsewhere = tmp_path / "elsewhere" / DAY
    elsewhere.mkdir(parents=True)
    (elsewhere / "Lead.csv").write_text(LEAD_HEADER, encoding="utf-8")
    (landing / "cs").symlink_to(elsewhere.parent, target_is_directory=True)  # not entered
    (landing / "ma" / "2026-06-04").symlink_to(elsewhere, target_is_directory=True)  # not entered

    def walked(dates: set[str]) -> list[str]:
        found = []
        for path in landing.rglob("*"):
            rel = path.relative_to(landing)
            visible = path.is_file() and not any(p.startswith(".") for p in rel.parts)
            if visible and len(rel.parts) == 3 and rel.parts[1] in dates:
                found.append(describe_landing_file(landing, path))
        return [f.source_file for f in sorted(found, key=lambda f: f.sort_key)]

    for dates in (
        [DAY],
        [DAY, "2026-06-04"],
        ["not-a-date", f"{DAY}x"],
        ["2026-06-05"],
        [".", "..", "", "sfa/x"],
    ):
        got = [f.source_file for f in discover_files(landing, dates)]
        assert got == walked(set(dates)), dates
    assert [f.source_file for f in discover_files(landing, [DAY])] == [
        f"crm/{DAY}/Lead.csv", f"ma/{DAY}/leads.csv", f"sfa/{DAY}/Lead.csv"
    ]  # fmt: skip
