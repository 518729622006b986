"""Re-runs, re-deliveries, duplicates, late records, backfills, partitions and crashes."""

from __future__ import annotations

from ingestion.loader import ledger_reconciliation_problems, load_file, load_landing

HEADER = "customer_id,company_name,created_at,updated_at\n"


def _customers(*rows: tuple[str, str, str]) -> str:
    return HEADER + "".join(f"{cid},{name},{ts},{ts}\n" for cid, name, ts in rows)


V1 = _customers(("C1", "株式会社サンプル", "2026-06-01 10:00"), ("C2", "テスト", "2026-06-01 11:00"))
V2 = _customers(("C1", "株式会社サンプル", "2026-06-01 10:00"), ("C2", "テスト株式会社", "2026-06-02 09:00"))


def test_rerun_on_unchanged_landing_changes_nothing(con, put, landing, counts):
    put("cs", "2026-06-01", "customers.csv", V1)
    put("cs", "2026-06-01", "tickets.csv", "ticket_id,customer_id,created_at\nT1,C1,bad\n")
    put("cs", "2026-06-01", "Unknown.csv", "x\n1\n")
    first = load_landing(con, landing, bad_row_threshold=0.0)
    assert first.by_status() == {"loaded": 1, "rejected": 2}
    before = counts()
    second = load_landing(con, landing, bad_row_threshold=0.0)
    assert second.by_status() == {"unchanged": 3}
    assert counts() == before  # no raw, quarantine or ledger row added


def test_same_content_in_another_folder_is_a_skipped_duplicate_once(con, put, landing, ledger):
    put("cs", "2026-06-01", "customers.csv", V1)
    put("cs", "2026-06-02", "Customers.csv", V1)  # dropped again, another day, another spelling
    summary = load_landing(con, landing)
    assert [f.status for f in summary.files] == ["loaded", "skipped_duplicate"]
    assert "already loaded as batch cs/customers/2026-06-01/" in summary.files[1].reason
    assert con.execute("select count(*) from raw_cs.customers").fetchall() == [(2,)]
    assert load_landing(con, landing).by_status() == {"unchanged": 2}
    assert [r["status"] for r in ledger()] == ["loaded", "skipped_duplicate"]  # no spam on re-runs


def test_redelivered_day_with_changed_content_is_a_new_batch(con, put, landing):
    put("cs", "2026-06-01", "customers.csv", V1)
    first = load_landing(con, landing).files[0]
    put("cs", "2026-06-01", "customers.csv", V2)
    second = load_landing(con, landing).files[0]
    assert second.status == "loaded" and second.batch_id != first.batch_id
    assert second.batch_id.startswith("cs/customers/2026-06-01/")
    versions = con.execute(
        "select _batch_id, company_name from raw_cs.customers where customer_id = 'C2' order by _loaded_at"
    ).fetchall()
    assert versions == [(first.batch_id, "テスト"), (second.batch_id, "テスト株式会社")]
    assert ledger_reconciliation_problems(con) == []


def test_late_record_in_a_later_folder_keeps_its_own_time(con, put, landing):
    put("cs", "2026-06-05", "customers.csv", _customers(("C9", "遅延", "2026-05-20 09:00")))
    load_landing(con, landing)
    row = con.execute("select created_at, _extract_date from raw_cs.customers").fetchall()[0]
    assert str(row[0]) == "2026-05-20 00:00:00" and str(row[1]) == "2026-06-05"


def test_partitions_and_backfill_of_an_old_date(con, put, landing):
    put("cs", "2026-06-01", "customers.csv", V1)
    put("cs", "2026-06-02", "customers.csv", V2)
    put("cs", "2026-05-01", "customers.csv", _customers(("C0", "古い", "2026-04-30 09:00")))
    assert load_landing(con, landing, extract_dates=["2026-06-02"]).by_status() == {"loaded": 1}
    assert load_landing(con, landing, extract_dates=["2026-05-01"]).by_status() == {"loaded": 1}
    dates = con.execute(
        "select distinct cast(_extract_date as varchar) from raw_cs.customers order by 1"
    ).fetchall()
    assert dates == [("2026-05-01",), ("2026-06-02",)]
    assert load_landing(con, landing).by_status() == {"loaded": 1, "unchanged": 2}


def test_files_load_in_deterministic_order(con, put, landing):
    put("sfa", "2026-06-02", "User.csv", "Id,Name\nU1,a\n")
    put("cs", "2026-06-02", "tickets.csv", "ticket_id,customer_id,created_at\n")
    put("sfa", "2026-06-01", "Account.csv", "Id,Name,CreatedDate\n")
    put("cs", "2026-06-02", "customers.csv", HEADER)
    order = [f.source_file for f in load_landing(con, landing).files]
    assert order == [
        "cs/2026-06-02/customers.csv",
        "cs/2026-06-02/tickets.csv",
        "sfa/2026-06-01/Account.csv",
        "sfa/2026-06-02/User.csv",
    ]


class _CrashBeforeCommit:
    """A connection that works normally but dies where a power cut would: after the inserts."""

    def __init__(self, real):
        self._real = real

    def __getattr__(self, name):
        return getattr(self._real, name)

    def commit(self):
        raise RuntimeError("simulated crash before commit")


def test_crash_mid_file_leaves_no_partial_rows_and_is_retried(con, put, landing, counts, ledger):
    rows = [(f"C{i}", "x", "2026-06-01 10:00") for i in range(50)] + [("C99", "bad", "never")]
    path = put("cs", "2026-06-01", "customers.csv", _customers(*rows))
    crashed = load_file(_CrashBeforeCommit(con), landing, path)
    assert crashed.status == "failed" and "simulated crash" in crashed.reason
    assert counts()["raw_cs.customers"] == 0 and counts()["audit.quarantine"] == 0
    assert [r["status"] for r in ledger()] == ["failed"]
    retried = load_file(con, landing, path)  # failed attempts are retried, not skipped
    assert (retried.status, retried.rows_loaded, retried.rows_quarantined) == ("loaded", 50, 1)
    assert ledger_reconciliation_problems(con) == []


def test_reconciliation_reports_tampering(con, put, landing):
    put("cs", "2026-06-01", "customers.csv", V1)
    load_landing(con, landing)
    assert ledger_reconciliation_problems(con) == []
    con.execute("delete from raw_cs.customers where customer_id = 'C2'")
    con.execute("update audit.load_ledger set rows_read = 7")
    problems = ledger_reconciliation_problems(con)
    assert any("rows_read 7 != rows_loaded 2 + rows_quarantined 0" in p for p in problems)
    assert any("but raw holds 1" in p for p in problems)


def test_reconciliation_lists_every_kind_of_problem_in_order(con, put, landing):
    """Counts mismatches (raw and quarantine, ordered by file) then orphan raw batches (ordered
    by batch): all from one scan of the raw tables, each reported exactly once."""
    put("cs", "2026-06-01", "customers.csv", V1)
    put("cs", "2026-06-02", "customers.csv", _customers(("C3", "x", "2026-06-02 10:00"), ("C4", "y", "bad")))
    put("cs", "2026-06-01", "tickets.csv", "ticket_id,customer_id,created_at\nT1,C1,2026-06-01 10:00\n")
    load_landing(con, landing, bad_row_threshold=0.9)
    assert ledger_reconciliation_problems(con) == []
    batches = dict(con.execute("select source_file, batch_id from audit.load_ledger").fetchall())
    con.execute("delete from audit.quarantine")  # the 06-02 customers file's bad row
    con.execute("delete from raw_cs.tickets")
    con.execute("delete from raw_cs.customers where customer_id = 'C1'")
    for batch in ("zz/orphan/2", "aa/orphan/1"):  # rows no loaded ledger row accounts for
        con.execute(
            "insert into raw_cs.customers (customer_id, _batch_id, _loaded_at) values ('C9', ?, now()), ('C8', ?, now())",
            [batch, batch],
        )
    c1, c2, t1 = (
        batches[f"cs/2026-06-0{d}/{f}.csv"] for d, f in ((1, "customers"), (2, "customers"), (1, "tickets"))
    )
    assert ledger_reconciliation_problems(con) == [
        f"cs/2026-06-01/customers.csv ({c1}, loaded): ledger rows_loaded 2 / rows_quarantined 0, "
        "but raw holds 1 and quarantine 0",
        f"cs/2026-06-01/tickets.csv ({t1}, loaded): ledger rows_loaded 1 / rows_quarantined 0, "
        "but raw holds 0 and quarantine 0",
        f"cs/2026-06-02/customers.csv ({c2}, loaded): ledger rows_loaded 1 / rows_quarantined 1, "
        "but raw holds 1 and quarantine 0",
        "raw batch aa/orphan/1 (2 rows) has no loaded ledger row",
        "raw batch zz/orphan/2 (2 rows) has no loaded ledger row",
    ]
