"""A small hand-made warehouse for the data-quality tests: raw tables from the contract DDL,
audit tables, a staging view and two KPI marts in kpi_build. Every test builds its own in tmp_path."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from ingestion.contracts import load_contracts, raw_table_ddl

DAYS = [date(2025, 4, 1) + timedelta(days=i) for i in range(8)]  # extract dates 04-01 .. 04-08
LEADS_PER_DAY = 100


def _ledger_and_quarantine(con) -> None:
    # The loader owns these tables; the tests only need the columns the report reads.
    con.execute("""
        create schema if not exists audit;
        create table audit.load_ledger (
            batch_id varchar, system varchar, entity varchar, source_file varchar, file_hash varchar,
            extract_date date, attempt_at timestamp, status varchar, rows_read bigint, rows_loaded bigint,
            rows_quarantined bigint, reason varchar, duration_ms bigint, encoding varchar, column_style varchar);
        create table audit.quarantine (
            batch_id varchar, system varchar, entity varchar, source_file varchar, extract_date date,
            row_number bigint, raw_values json, reason varchar, quarantined_at timestamp);
    """)


def add_leads(con, day: date, n: int, *, start: int = 0) -> None:
    src = f"ma/{day}/leads.csv"
    con.execute(
        f"""
        insert into raw_ma.leads (lead_id, email, created_at, first_name, last_name, phone, lead_source,
                                  updated_at, _batch_id, _source_file, _file_hash, _row_number,
                                  _extract_date, _loaded_at)
        select 'L' || lpad(cast(? + i as varchar), 6, '0'),
               'user' || cast(? + i as varchar) || '@example.co.jp',
               cast(? as timestamp) + interval 9 hour,
               'Taro', 'Yamada', '03-1234-5678', 'webinar',
               cast(? as timestamp) + interval 10 hour,
               'ma/leads/{day}/abc', '{src}', 'h', i + 1, cast(? as date), now()
        from range(?) t(i)
        """,
        [start, start, day, day, day, n],
    )
    con.execute(
        "insert into audit.load_ledger values (?, 'ma', 'leads', ?, 'h', ?, now(), 'loaded', ?, ?, 1, null, 5, 'utf-8', 'snake')",
        [f"ma/leads/{day}/abc", src, day, n + 1, n],
    )
    con.execute(
        "insert into audit.quarantine values (?, 'ma', 'leads', ?, ?, ?, '{}', 'bad created_at', now())",
        [f"ma/leads/{day}/abc", src, day, n + 1],
    )


def build_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    for ent in load_contracts().entities:
        con.execute(raw_table_ddl(ent))
    _ledger_and_quarantine(con)
    for i, day in enumerate(DAYS):
        add_leads(con, day, LEADS_PER_DAY, start=i * LEADS_PER_DAY)
    con.execute("""
        insert into raw_ma.activities (activity_id, lead_id, activity_type, occurred_at, _extract_date, _source_file, _row_number)
        select 'A' || cast(i as varchar), 'L000001', case when i % 2 = 0 then 'web_visit' else 'email_open' end,
               timestamp '2025-04-08 08:00:00', date '2025-04-08', 'ma/2025-04-08/activities.csv', i + 1
        from range(50) t(i);
        insert into audit.load_ledger values ('ma/activities/2025-04-08/def', 'ma', 'activities',
            'ma/2025-04-08/activities.csv', 'h2', date '2025-04-08', now(), 'loaded', 50, 50, 0, null, 3,
            'utf-8', 'snake');
        create schema staging;
        create view staging.stg_ma__leads as select distinct on (lead_id) * from raw_ma.leads;
        create schema kpi_build;
        -- The marts' shared shape (dbt_project/macros/kpi/kpi_shape.sql): grain, period_start,
        -- slice_name with an 'all' roll-up, counts, money in *_jpy, rates in *_rate.
        create table kpi_build.rpt_funnel_cohort as
        with days as (
            select date '2025-04-01' + cast(i as integer) as d, 100 + i as leads from range(8) t(i)
        ),
        rows as (
            select 'day' as grain, d as period_start, 'all' as slice_name, 'all' as lead_source, leads from days
            union all
            select 'day', d, 'lead_source', 'webinar', leads // 2 from days
            union all
            select 'month', date '2025-04-01', 'all', 'all', sum(leads) from days
        )
        select
            grain, period_start, slice_name, lead_source,
            cast(leads as bigint) as lead_count,
            cast(leads * 3 // 10 as bigint) as mql_count,
            cast(leads // 10 as bigint) as sql_count,
            cast(leads // 20 as bigint) as opportunity_count,
            cast(leads // 50 as bigint) as won_count,
            cast(leads // 50 * 1000000 as decimal(18, 2)) as won_amount_jpy,
            cast(leads * 3 // 10 as double) / leads as mql_rate,
            '2026.11.1' as rules_version
        from rows;
        create table kpi_build.rpt_sales_period as
        select 'day' as grain, date '2025-04-01' + cast(i as integer) as period_start, 'all' as slice_name,
               cast(10 + i as bigint) as won_count, cast(3000000 + i as decimal(18, 2)) as won_amount_jpy,
               0.3 as win_rate, '2026.11.1' as rules_version
        from range(8) t(i);
        create table kpi_build.rpt_sla_breaches (
            lead_cycle_id varchar, sla_name varchar, owner_user_id varchar, hours_overdue double);
    """)
    return con


def table_digest(con, schema: str) -> dict[str, str]:
    """A content hash of every table of a schema (rows sorted, so physical order does not matter)."""
    out = {}
    tables = con.execute(
        "select table_name from information_schema.tables where table_schema = ? order by 1", [schema]
    ).fetchall()
    for (t,) in tables:
        rows = con.execute(f"select * from {schema}.{t}").fetchall()
        text = repr(sorted(repr(r) for r in rows)) + repr([d[0] for d in con.description])
        out[t] = hashlib.sha256(text.encode()).hexdigest()
    return out


def dir_digest(path: Path) -> dict[str, str]:
    """sha256 of every file's bytes under `path` (byte-identical means equal digests)."""
    if not path.exists():
        return {}
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


def ts(day: date, hour: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour)
