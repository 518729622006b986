"""Batched loading (many files, one scan, one transaction) must give exactly what loading the files
one by one gives: the same raw rows with the same lineage, quarantine rows and ledger verdicts.

The generator's T extracts carry every kind of mess (CP932, BOM, gzip, JSONL, Parquet, bad rows,
a malformed record, column-name styles, a duplicate delivery), so they exercise every path."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from ingestion import loader
from ingestion.contracts import load_contracts
from ingestion.loader import ledger_reconciliation_problems, load_landing
from ingestion.sample.generator import generate

# Columns that carry the attempt's clock or speed, not its content.
_TIMES = {"_loaded_at", "attempt_at", "duration_ms", "quarantined_at"}


@pytest.fixture(scope="module")
def t_landing(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("batches")
    generate("T", 42, root / "landing", root / "truth", days=6, start=dt.date(2026, 9, 25), progress=False)
    return root / "landing"


def _content(con, table: str) -> list[tuple]:
    cols = [
        c for (c,) in con.execute(f"select column_name from (describe {table})").fetchall() if c not in _TIMES
    ]
    select = ", ".join(f'cast("{c}" as varchar)' for c in cols)
    return sorted(con.execute(f"select {select} from {table}").fetchall(), key=repr)


def _tables() -> list[str]:
    return [e.raw_table for e in load_contracts().entities] + ["audit.load_ledger", "audit.quarantine"]


def _load(path: Path, landing: Path, **kw):
    con = duckdb.connect(str(path))
    summary = load_landing(con, landing, **kw)
    return con, summary


def test_batched_load_equals_file_by_file_load(tmp_path, t_landing):
    batched, s_batch = _load(tmp_path / "batched.duckdb", t_landing)
    single, s_single = _load(tmp_path / "single.duckdb", t_landing, batch_bytes=0)
    read_paths = {f.read_path for f in s_batch.files}
    assert "batch" in read_paths and "batch" not in {f.read_path for f in s_single.files}
    assert s_batch.by_status() == s_single.by_status()
    assert s_batch.rows_quarantined == s_single.rows_quarantined > 0
    for table in _tables():
        assert _content(batched, table) == _content(single, table), table
    assert ledger_reconciliation_problems(batched) == []
    # Re-running on the same landing touches nothing, batched or not.
    again = load_landing(batched, t_landing)
    assert again.by_status() == {"unchanged": len(s_batch.files)}


def test_failed_batch_falls_back_to_files_one_by_one(tmp_path, t_landing, monkeypatch):
    """A batch that breaks mid-transaction is rolled back whole; its files are then loaded alone."""
    calls = {"n": 0}
    real = loader.readers.insert_rows

    def flaky(con, table, names, rows):
        if table == "audit.load_ledger":
            calls["n"] += 1
            if calls["n"] == 1:
                raise duckdb.IOException("disk full (simulated)")
        return real(con, table, names, rows)

    monkeypatch.setattr(loader.readers, "insert_rows", flaky)
    con, summary = _load(tmp_path / "flaky.duckdb", t_landing)
    monkeypatch.undo()
    reference, _ = _load(tmp_path / "reference.duckdb", t_landing, batch_bytes=0)
    assert calls["n"] > 1 and "failed" not in summary.by_status()
    for table in _tables():
        assert _content(con, table) == _content(reference, table), table
    assert ledger_reconciliation_problems(con) == []


def test_file_the_batch_scan_cannot_vouch_for_goes_the_exact_path(tmp_path, landing, put):
    header = "activity_id,lead_id,activity_type,occurred_at\n"
    put("ma", "2026-09-01", "activities.csv", header + "A1,L1,email_open,2026-09-01 10:00:00\n")
    put(
        "ma",
        "2026-09-02",
        "activities.csv",
        header + 'A2,L1,"web_visit,2026-09-02 10:00:00\nA3,L1,x,2026-09-02\n',
    )
    put("ma", "2026-09-03", "activities.csv", header + "A4,L1,email_click,2026-09-03 09:00:00\n")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    summary = load_landing(con, landing)
    paths = {f.source_file: f.read_path for f in summary.files}
    assert paths["ma/2026-09-01/activities.csv"] == paths["ma/2026-09-03/activities.csv"] == "batch"
    assert paths["ma/2026-09-02/activities.csv"] == "exact"
    bad = con.execute("select row_number, reason from audit.quarantine").fetchall()
    assert bad and all(n >= 1 for n, _ in bad)
    assert ledger_reconciliation_problems(con) == []
    # The batch scan read the excluded file's records too: none of them may reach raw or
    # quarantine through the batch (they come from the exact path, as when loaded alone).
    single = duckdb.connect(str(tmp_path / "single.duckdb"))
    load_landing(single, landing, batch_bytes=0)
    for table in _tables():
        assert _content(con, table) == _content(single, table), table


def test_jsonl_batch_keeps_each_files_keys_and_sends_malformed_lines_to_the_exact_path(
    tmp_path, landing, put
):
    ok = '{"activity_id": "A%d", "lead_id": "L1", "activity_type": "email_open", "occurred_at": "2026-09-0%d 10:00:00"%s}\n'
    put("ma", "2026-09-01", "activities.jsonl", ok % (1, 1, "") + ok % (2, 1, ', "extra_note": "x"'))
    put("ma", "2026-09-02", "activities.jsonl", ok % (3, 2, "") + "{not json\n" + ok % (4, 2, ""))
    put("ma", "2026-09-03", "activities.jsonl", ok % (5, 3, ""))
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    summary = load_landing(con, landing, bad_row_threshold=0.5)
    paths = {f.source_file: f.read_path for f in summary.files}
    assert paths["ma/2026-09-01/activities.jsonl"] == paths["ma/2026-09-03/activities.jsonl"] == "batch"
    assert paths["ma/2026-09-02/activities.jsonl"] == "exact"
    extras = dict(
        con.execute("select activity_id, cast(_extra as varchar) from raw_ma.activities").fetchall()
    )
    assert extras == {"A1": None, "A2": '{"extra_note":"x"}', "A3": None, "A4": None, "A5": None}
    assert con.execute("select row_number, reason from audit.quarantine").fetchall() == [
        (2, "malformed JSON record")
    ]
    assert ledger_reconciliation_problems(con) == []


def test_many_small_chunks_equal_file_by_file_and_leave_no_temp_files(tmp_path, t_landing, monkeypatch):
    """Chunks are scanned one ahead in a thread while the chunk before loads: with tiny chunks
    (many hand-overs) the result is still exactly the file-by-file one, and every chunk's temp
    folder (CP932 transcodes) is gone afterwards."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(loader.tempfile, "tempdir", str(tmp))
    chunked, s_chunked = _load(tmp_path / "chunked.duckdb", t_landing, batch_bytes=20_000)
    monkeypatch.undo()
    assert list(tmp.iterdir()) == []
    single, s_single = _load(tmp_path / "single.duckdb", t_landing, batch_bytes=0)
    assert sum(f.read_path == "batch" for f in s_chunked.files) > 10
    assert s_chunked.by_status() == s_single.by_status()
    for table in _tables():
        assert _content(chunked, table) == _content(single, table), table


def test_an_error_mid_load_leaves_no_temp_files(tmp_path, t_landing, monkeypatch):
    """An exception while a chunk loads (the next one already scanned ahead) propagates; neither
    chunk's temp folder is left behind."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(loader.tempfile, "tempdir", str(tmp))
    calls = {"n": 0}
    real = loader._load_batch

    def breaks_on_third(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt("operator stop (simulated)")
        return real(*args, **kwargs)

    monkeypatch.setattr(loader, "_load_batch", breaks_on_third)
    with pytest.raises(KeyboardInterrupt):
        _load(tmp_path / "stopped.duckdb", t_landing, batch_bytes=20_000)
    assert calls["n"] == 3
    assert list(tmp.iterdir()) == []
