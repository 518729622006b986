"""The per-hour reporting-date lookup (macros/kpi/kpi_engine.sql kpi_reporting_hours) gives the
same local date as converting every timestamp, also in zones where an hour is split.

The marts take a fact row's reporting date from its UTC hour instead of converting each row. That
is exact only because an hour with a zone transition inside it (Lord Howe shifts by 30 minutes
at 15:30 UTC) or with a local midnight inside it (India, +05:30) falls back to the per-row
conversion: this test checks every 7th minute and both ends of every calendar hour in such zones
and in the reporting zone, and that the fallback was really needed there.
"""

from __future__ import annotations

import json

import duckdb
import kpi_harness as harness
import kpi_synthetic as synthetic
import pytest

CHECK = """
with reporting_hours as (
    {{ kpi_reporting_hours() }}
),
instants as (
    select {{ dbt.dateadd('minute', 'minutes.minute_of_hour', 'reporting_hours.hour_at') }} as ts
    from reporting_hours
    cross join (select unnest(range(0, 60, 7)) as minute_of_hour) as minutes
    union all
    select {{ kpi_last_microsecond_of_hour('hour_at') }} from reporting_hours
    union all
    select hour_at from reporting_hours
)
select
    count(*) as instant_count,
    count(*) filter (where {{ kpi_local_date_by_hour('reporting_hours', 'instants.ts') }}
        is distinct from {{ kpi_local_date('instants.ts') }}) as mismatch_count,
    count(*) filter (where not reporting_hours.is_one_local_date) as fallback_count,
    count(*) filter (where {{ kpi_local_date('instants.ts') }}
        != cast({{ dbt.date_trunc('hour', 'instants.ts') }} as date)) as shifted_count
from instants
{{ kpi_join_reporting_hour('reporting_hours', 'instants.ts') }}
"""


@pytest.fixture(scope="module")
def calendar_project(tmp_path_factory):
    """A KPI project whose dim_dates covers the synthetic facts (two years around 2025)."""
    work = tmp_path_factory.mktemp("kpi_hours")
    project = harness.make_kpi_project(work / "project")
    warehouse = work / "wh.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        frames = synthetic.build_core()
        synthetic.write_core(con, {harness.fixture_name(k): v for k, v in frames.items()})
    result = harness.run_dbt(project, warehouse, work, "run", "-s", "+dim_dates")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return work, project, warehouse


@pytest.mark.parametrize(
    ("zone", "needs_fallback"),
    [
        ("Asia/Tokyo", False),
        ("Asia/Kolkata", True),
        ("Australia/Lord_Howe", True),
        ("America/New_York", False),
    ],
)
def test_lookup_equals_per_row_conversion(calendar_project, zone, needs_fallback):
    work, project, warehouse = calendar_project
    result = harness.run_dbt(
        project,
        warehouse,
        work,
        "show",
        "--inline",
        CHECK,
        "--vars",
        json.dumps({"reporting_timezone": zone}),
        "--output",
        "json",
        "--log-format",
        "text",
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    payload = result.stdout[result.stdout.index("{") : result.stdout.rindex("}") + 1]
    row = json.loads(payload)["show"][0]
    assert row["instant_count"] > 10_000
    assert row["shifted_count"] > 0  # the zone really moves dates
    assert row["mismatch_count"] == 0
    assert (row["fallback_count"] > 0) == needs_fallback
