"""dim_dates spans exactly the first to the last reporting date of the facts, in any time zone.

dim_dates converts to local time only the rows within two days of each column's earliest and
latest UTC instant (models/marts/core/dim_dates.sql says why that is exact). This test builds
facts whose extremes sit next to local midnight and compares the calendar's first and last day
with an independent oracle (Python zoneinfo over every row), in the reporting zone, in zones with
the largest offsets (+14 h, -12 h), and in St. John's in 2009/2010, where daylight saving ended at
00:01 local: one minute after a row on local date D, the next row is back on D - 1. There the
earliest UTC row is not on the earliest local date (nor the latest on the latest), so converting
only each column's extreme row would get both ends wrong.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb
import kpi_harness as harness
import pytest

TIMESTAMP_COLUMNS = {
    "core.fct_lifecycle_events": ["occurred_at"],
    "core.fct_lead_funnel": ["lead_at", "mql_at", "sql_at"],
    "core.fct_opportunities": ["created_at", "closed_at"],
    "core.fct_customers": ["customer_at", "churned_at"],
    "intermediate.int_warehouse_clock": ["as_of_at"],
}

# St. John's: DST ended 2009-11-01 and 2010-11-07 at 00:01 NDT (02:31 UTC), back to 23:01 NST
BEFORE_FALL_BACK_2009 = datetime(2009, 11, 1, 2, 30, 30)  # local 2009-11-01 00:00:30
AFTER_FALL_BACK_2009 = datetime(2009, 11, 1, 2, 31, 30)  # local 2009-10-31 23:01:30
BEFORE_FALL_BACK_2010 = datetime(2010, 11, 7, 2, 30, 30)  # local 2010-11-07 00:00:30
AFTER_FALL_BACK_2010 = datetime(2010, 11, 7, 2, 31, 30)  # local 2010-11-06 23:01:30


def _facts() -> dict[str, list[dict]]:
    """Rows per fixture table. The overall earliest and latest instants are in one column each
    (occurred_at, churned_at), at the St. John's fall-backs; every other column has random
    instants in between, some at UTC/local midnights, some null."""
    rng = random.Random(11)
    start = datetime(2009, 11, 2, 12, 0)  # local 2009-11-02, after the first fall-back day
    span = (datetime(2010, 11, 7, 2, 0) - start).total_seconds()

    def instant():
        if rng.random() < 0.15:
            return None
        at = start + timedelta(seconds=rng.random() * span)
        if rng.random() < 0.3:  # on a UTC midnight, or one second before
            at = at.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(seconds=rng.randint(0, 1))
        return at

    def rows(columns, n, **fixed):
        return [{**{c: instant() for c in columns}, **fixed} for _ in range(n)]

    events = rows(["occurred_at"], 300)
    events += [{"occurred_at": BEFORE_FALL_BACK_2009}, {"occurred_at": AFTER_FALL_BACK_2009}]
    customers = rows(["customer_at", "churned_at"], 80)
    customers += [
        {"customer_at": None, "churned_at": BEFORE_FALL_BACK_2010},
        {"customer_at": None, "churned_at": AFTER_FALL_BACK_2010},
    ]
    opportunities = [
        {**r, "close_date": date(2010, 6, 1), "is_closed": True, "is_won": False}
        for r in rows(["created_at", "closed_at"], 60)
    ]
    # an open deal's close date is a forecast: far outside the facts, and never in the calendar
    opportunities.append(
        {
            "created_at": None,
            "closed_at": None,
            "close_date": date(2012, 1, 1),
            "is_closed": False,
            "is_won": False,
        }
    )
    return {
        "core.fct_lifecycle_events": events,
        "core.fct_lead_funnel": rows(["lead_at", "mql_at", "sql_at"], 200),
        "core.fct_opportunities": opportunities,
        "core.fct_customers": customers,
        "core.fct_campaign_costs": [{"start_date": date(2010, 1, 1), "end_date": date(2010, 3, 31)}],
        "intermediate.int_warehouse_clock": [{"as_of_at": datetime(2010, 11, 7, 1, 0)}],
    }


def _oracle(facts: dict[str, list[dict]], zone: str) -> tuple[date, date]:
    """First and last reporting date, converting every row (the definition dim_dates implements)."""
    tz = ZoneInfo(zone)
    days = [
        row[column].replace(tzinfo=UTC).astimezone(tz).date()
        for relation, columns in TIMESTAMP_COLUMNS.items()
        for row in facts[relation]
        for column in columns
        if row[column] is not None
    ]
    days += [r["close_date"] for r in facts["core.fct_opportunities"] if r["is_closed"] or r["is_won"]]
    days += [r[c] for r in facts["core.fct_campaign_costs"] for c in ("start_date", "end_date")]
    return min(days), max(days)


@pytest.fixture(scope="module")
def calendar_project(tmp_path_factory):
    work = tmp_path_factory.mktemp("kpi_dim_dates")
    project = harness.make_kpi_project(work / "project")
    warehouse = work / "wh.duckdb"
    facts = _facts()
    types = {
        "close_date": "date",
        "start_date": "date",
        "end_date": "date",
        "is_closed": "boolean",
        "is_won": "boolean",
    }
    with duckdb.connect(str(warehouse)) as con:
        for relation, rows in facts.items():
            con.execute(f"create schema if not exists {relation.split('.')[0]}")
            columns = list(rows[0])
            con.execute(
                f"create table {harness.fixture_name(relation)} ("
                + ", ".join(f"{c} {types.get(c, 'timestamp')}" for c in columns)
                + ")"
            )
            con.executemany(
                f"insert into {harness.fixture_name(relation)} values ({', '.join('?' for _ in columns)})",
                [[r[c] for c in columns] for r in rows],
            )
    return work, project, warehouse, facts


@pytest.mark.parametrize("zone", ["Asia/Tokyo", "Pacific/Kiritimati", "Etc/GMT+12", "America/St_Johns"])
def test_calendar_spans_first_to_last_local_date(calendar_project, zone):
    work, project, warehouse, facts = calendar_project
    result = harness.run_dbt(
        project,
        warehouse,
        work,
        "run",
        "-s",
        "+dim_dates",
        "--vars",
        json.dumps({"reporting_timezone": zone}),
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        first, last, days = con.execute(
            "select min(date_day), max(date_day), count(*) from core.dim_dates"
        ).fetchone()
    expected_first, expected_last = _oracle(facts, zone)
    assert (first, last) == (expected_first, expected_last)
    assert days == (last - first).days + 1
    if zone == "America/St_Johns":
        # the case that needs the two-day window: the extreme UTC rows are not on the extreme dates
        assert (expected_first, expected_last) == (date(2009, 10, 31), date(2010, 11, 7))
