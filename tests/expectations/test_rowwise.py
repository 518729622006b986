"""The row-wise kinds evaluated in DuckDB (expectations/checks/rowwise.py) give Great Expectations'
results: every field of every CheckResult equal to what GX's pandas engine gives on the same
messy rows, for a single day, ranges in one or several chunk windows, an empty day and a whole
table; and the columns rowwise.py does not cover still go through GX."""

from __future__ import annotations

import duckdb
import pytest

from expectations import validate
from expectations.suites import CheckDef, Suite

DAYS = 8
ROWS_PER_DAY = 240
VOCAB = ["web_visit", "form_submit", "email_open"]

# One raw-like table with the mess real extracts bring. h(k) is a deterministic pseudo-random
# number in [0, 1000) per row and salt, so every column fails in its own rows.
MESSY_SQL = f"""
create table raw_x.events as
with base as (
    select d, i, date '2026-09-01' + cast(d as integer) as day,
           cast(hash(d * 100003 + i) % 1000 as bigint) as h1, cast(hash(d * 7919 + i * 31) % 1000 as bigint) as h2,
           cast(hash(i * 104729 + d) % 1000 as bigint) as h3,
           cast(100000000000000000 + hash(d * 131 + i) % 800000000000000000 as varchar) as big
    from range({DAYS}) a(d), range({ROWS_PER_DAY}) b(i)
)
select
    'E' || d || '-' || i as event_id,
    case when h1 < 40 then null
         when h1 < 60 then ''
         when h1 < 70 then 'Web_Visit'
         when h1 < 75 then 'web_visit '
         when h1 < 80 then 'O''Brien'
         when h1 < 85 then 'ウェブ訪問'
         when h1 < 140 and d in (2, 5) then 'mystery_' || (h2 % 9)
         else {VOCAB!r}[1 + h2 % 3]
    end as event_type,
    case when h2 < 30 then null
         when h2 < 50 then 'taro' || i || '@example.co.jp'
         else 'user' || i || '@corp.example.com' end as email,
    case when h3 < 25 then null
         when h3 < 35 then timestamp '1999-12-31 23:59:59.999999'
         when h3 < 40 then timestamp '2000-01-01 00:00:00'
         when h3 < 55 then day + interval 1 day + interval 1 microsecond
         when h3 < 60 then day + interval 1 day
         when h3 < 70 and d = 6 then day + interval 3 day
         else day + interval (h1 * 83) second end as occurred_at,
    case when h1 % 7 = 0 then null
         when h2 < 45 then -1 * (h3 + 0.01)
         when h2 < 50 then 0
         when h2 < 60 then 99999999999999.99 - h3 * 0.01
         -- 16 + 2 digits: beyond 2^53, where pandas' doubles are not CAST(amount AS DOUBLE)
         else cast(left(big, 16) || '.' || right(big, 2) as decimal(18, 2)) end::decimal(18, 2) as amount,
    case when h3 < 30 then null
         when h3 < 50 then 'nan'::double
         when h3 < 55 then 'inf'::double
         when h3 < 58 then '-inf'::double
         when h3 < 90 then -h1 / 7.0
         else h2 / 3.0 end::double as score,
    case when h2 % 11 = 0 then null when h1 < 80 then -h1 else h1 * 1000003 end::bigint as n_visits,
    case when h3 < 60 then null else h3 end::integer as rank,
    day as _extract_date,
    'x/' || day || '/events.csv' as _source_file,
    i + 1 as _row_number
from base
-- rows not in date order, so table order (rowid) is not the order of the extract dates
order by (d * 5) % 8, hash(i * 17)
"""

CHECKS = (
    CheckDef(name="type_strict", kind="in_set", column="event_type",
             params={"values": VOCAB, "vocabulary": "t", "max_unexpected_share": 0.02}),
    CheckDef(name="type_loose", kind="in_set", column="event_type",
             params={"values": VOCAB + ["Web_Visit", "", "O'Brien", "ウェブ訪問", "web_visit "],
                     "vocabulary": "t", "max_unexpected_share": 0.35}),
    CheckDef(name="type_nothing", kind="in_set", column="event_type",
             params={"values": [], "vocabulary": "t", "max_unexpected_share": 1.0}),
    CheckDef(name="type_nulls", kind="not_null_share", column="event_type", params={"max_null_share": 0.04}),
    CheckDef(name="email_nulls", kind="not_null_share", column="email", params={"max_null_share": 0.02},
             severity="warn"),
    CheckDef(name="occurred_in_range", kind="timestamp_range", column="occurred_at",
             params={"min": "2000-01-01", "max_days_after_partition": 1}),
    CheckDef(name="occurred_nulls", kind="not_null_share", column="occurred_at", params={"max_null_share": 0.5}),
    CheckDef(name="amount_not_negative", kind="between", column="amount", params={"min": 0}),
    CheckDef(name="amount_capped", kind="between", column="amount", params={"max": 99999999999990}),
    CheckDef(name="amount_nulls", kind="not_null_share", column="amount", params={"max_null_share": 0.2}),
    CheckDef(name="score_band", kind="between", column="score", params={"min": -50, "max": 300.5}),
    CheckDef(name="score_fine_band", kind="between", column="score", params={"min": 0.1, "max": 100.30000000000001}),
    CheckDef(name="score_nulls", kind="not_null_share", column="score", params={"max_null_share": 0.04}),
    CheckDef(name="visits_not_negative", kind="between", column="n_visits", params={"min": 0}),
    CheckDef(name="rank_band", kind="between", column="rank", params={"min": 60, "max": 990}),
    CheckDef(name="rank_nulls", kind="not_null_share", column="rank", params={"max_null_share": 0.06}),
)  # fmt: skip


def _suite(partitioned: bool = True, checks=CHECKS) -> Suite:
    return Suite(
        asset="raw_x.events",
        version="t",
        checks=checks,
        partition_column="_extract_date" if partitioned else None,
        sample_columns=("event_id", "_source_file", "_row_number", "email"),
    )


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    con = duckdb.connect(str(tmp_path_factory.mktemp("rowwise") / "w.duckdb"))
    con.execute("create schema raw_x")
    con.execute(MESSY_SQL)
    con.execute("delete from raw_x.events where _row_number % 97 = 0")  # holes in the rowids
    yield con
    con.close()


def _fields(results) -> list[tuple]:
    return [
        (r.check_name, r.status, r.failing_row_count, r.observed_value, r.threshold, r.sample, r.message)
        for r in results
    ]


def _run(con, suite, partition, monkeypatch, *, engine: str):
    """The suite's results with every row-wise check in GX ('gx') or where rowwise.py can ('sql')."""
    calls = []
    real_gx = validate.run_gx_checks

    def counting_gx(suite, checks, frame, partition_end):
        calls.extend(c.name for c in checks)
        return real_gx(suite, checks, frame, partition_end)

    with monkeypatch.context() as m:
        m.setattr(validate, "run_gx_checks", counting_gx)
        if engine == "gx":
            m.setattr(validate, "sql_eligible", lambda check, type_: False)
        results = validate.run_suite(
            con, suite, run_id="t", trigger="test", partition=partition, record=False
        )
    return results, set(calls)


@pytest.mark.parametrize(
    ("partition", "chunk_rows", "windows"),
    [
        ("2026-09-03", 500_000, 1),  # one extract date (the daily run)
        ("2026-09-01..2026-09-08", 500_000, 1),  # a range in one frame
        ("2026-09-01..2026-09-08", 3 * ROWS_PER_DAY, 3),  # a first build: several windows
        ("2026-09-02..2026-09-07", ROWS_PER_DAY, 6),  # a window per day
        ("2026-10-15", 500_000, 1),  # a day without rows
    ],
)
def test_sql_evaluation_equals_great_expectations(con, monkeypatch, partition, chunk_rows, windows):
    monkeypatch.setattr(validate, "GX_CHUNK_ROWS", chunk_rows)
    suite = _suite()
    scope = validate._scope(con, suite, partition)
    assert len(validate._chunks(con, suite, scope)) == windows
    by_gx, gx_calls = _run(con, suite, partition, monkeypatch, engine="gx")
    by_sql, sql_calls = _run(con, suite, partition, monkeypatch, engine="sql")
    assert gx_calls == {c.name for c in CHECKS} and sql_calls == set()
    assert _fields(by_sql) == _fields(by_gx)
    if partition != "2026-10-15":  # the data is messy enough that most checks fail, with samples
        failed = [r for r in by_gx if r.status in ("fail", "warn")]
        assert len(failed) >= 8 and all(r.sample for r in failed)
        assert all(r.status != "error" for r in by_gx)


def test_whole_table_suite_equals_great_expectations(con, monkeypatch):
    suite = _suite(partitioned=False)
    by_gx, _ = _run(con, suite, None, monkeypatch, engine="gx")
    by_sql, sql_calls = _run(con, suite, None, monkeypatch, engine="sql")
    assert sql_calls == set() and _fields(by_sql) == _fields(by_gx)


def test_more_than_20_unexpected_values_count_as_gx_summary_does(con, monkeypatch):
    """GX's SUMMARY counts only the values of the first 20 unexpected rows of a frame: the top
    values in the observed text are those, per chunk window, summed."""
    monkeypatch.setattr(validate, "GX_CHUNK_ROWS", 2 * ROWS_PER_DAY)
    suite = _suite(checks=(CHECKS[0],))
    (by_sql,), _ = _run(con, suite, "2026-09-01..2026-09-08", monkeypatch, engine="sql")
    assert by_sql.failing_row_count > 4 * 20
    # Independently: the first 20 unexpected values of each window in table order, summed.
    rows = con.execute(
        "select _extract_date, event_type from raw_x.events where event_type is not null order by rowid"
    ).fetchall()
    windows = validate._chunks(con, suite, validate._scope(con, suite, "2026-09-01..2026-09-08"))
    assert len(windows) == 4
    counts: dict[str, int] = {}
    for first, last in windows:
        unexpected = [v for day, v in rows if first <= day <= last and v not in VOCAB][:20]
        for v in unexpected:
            counts[v] = counts.get(v, 0) + 1
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    assert by_sql.observed_value.endswith(": " + ", ".join(f"{v} x{n}" for v, n in top))
    (by_gx,), _ = _run(con, suite, "2026-09-01..2026-09-08", monkeypatch, engine="gx")
    assert by_sql.observed_value == by_gx.observed_value


def test_columns_outside_the_covered_types_still_go_through_gx(con, monkeypatch):
    con.execute(
        "create table raw_x.odd as select 'K' || i as event_id, date '2026-09-01' as _extract_date, "
        "case when i = 3 then timestamp 'infinity' else timestamp '2026-09-01 10:00' end as occurred_at, "
        "cast(i - 2 as real) as ratio, cast(i - 2 as hugeint) as big, date '2026-09-01' - cast(i as integer) as day, "
        "'x' as _source_file, i as _row_number from range(6) t(i)"
    )
    checks = (
        CheckDef(name="ts", kind="timestamp_range", column="occurred_at",
                 params={"min": "2000-01-01", "max_days_after_partition": 1}),
        CheckDef(name="ratio", kind="between", column="ratio", params={"min": 0}),
        CheckDef(name="big", kind="between", column="big", params={"min": 0}),
        CheckDef(name="day", kind="not_null_share", column="day", params={"max_null_share": 0}),
        CheckDef(name="ghost", kind="not_null_share", column="ghost", params={"max_null_share": 0}),
        CheckDef(name="inverted", kind="between", column="_row_number", params={"min": 5, "max": 1}),
    )  # fmt: skip
    suite = Suite(
        asset="raw_x.odd",
        version="t",
        checks=checks,
        partition_column="_extract_date",
        sample_columns=("event_id", "_source_file", "_row_number"),
    )
    by_sql, sql_calls = _run(con, suite, "2026-09-01", monkeypatch, engine="sql")
    by_gx, _ = _run(con, suite, "2026-09-01", monkeypatch, engine="gx")
    assert sql_calls == {c.name for c in checks}
    assert _fields(by_sql) == _fields(by_gx)
    statuses = {r.check_name: r.status for r in by_sql}
    assert statuses["ghost"] == statuses["inverted"] == "error" and statuses["ratio"] == "fail"
