"""The suite of every KPI mart in kpi_build, built from its columns by naming convention.

The marts' names and columns belong to dbt_project/models/marts/kpi/ and change; the checks
follow STYLE.md's naming rules instead of a column list:
- `*_rate`                     in [0, 1]
- `*_jpy`                      >= 0 (unless it matches SIGNED_COLUMNS)
- `*_count`, `n_*`             >= 0
- funnel stages (FUNNEL_STAGES) non-increasing along the funnel in every row of a cohort mart
  (a table matching FUNNEL_TABLES or having a FUNNEL_COHORT_COLUMNS column, with >= 2 stages)
- day-grain rows (`grain = 'day'`, the `slice_name = 'all'` roll-up, dated by `period_start`;
  or a table named like DAILY_TABLES) change by at most the DAY_OVER_DAY bounds between the
  last two days (a warning: a real campaign can move a day a lot)
- every mart has at least one row (an empty mart would blank every dashboard), except the
  exception lists, loss reasons and unit economics (MAY_BE_EMPTY: no SLA breach is good news; a
  young installation, or a backfill of a few days, may have no closed deal, spend or customer)
Adjust the mappings below when the marts' conventions change; any change alters the suite's
definition hash, and a deliberate policy change should bump VERSION.
"""

from __future__ import annotations

from fnmatch import fnmatch

from expectations.suites import CheckDef, Suite

VERSION = "3"

# Ordered funnel: (stage, accepted column names). The first present column of a stage is used.
FUNNEL_STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("leads", ("leads_count", "lead_count", "lead_cycle_count", "n_leads", "leads")),
    ("mql", ("mql_count", "mqls_count", "n_mql", "n_mqls", "mqls")),
    ("sal", ("sal_count", "sals_count", "n_sal", "n_sals", "sals")),
    ("sql", ("sql_count", "sqls_count", "n_sql", "n_sqls", "sqls")),
    (
        "opportunities",
        (
            "opportunity_count",
            "opportunities_count",
            "opps_count",
            "n_opportunities",
            "n_opps",
            "opportunities",
        ),
    ),
    ("won", ("won_count", "wins_count", "won_opportunity_count", "n_won", "n_wins", "won")),
)
# Funnel shape holds per cohort (leads created in a period, followed through their stages),
# not for period counts (an MQL this month may come from a lead of last month).
FUNNEL_TABLES = ("*cohort*", "*calibration*")  # calibration: lead cycles of a cohort per score band
FUNNEL_COHORT_COLUMNS = ("cohort_date", "cohort_week", "cohort_month", "cohort_start")
SIGNED_COLUMNS = ("*_delta_*", "*_change_*", "net_*")
DAILY_TABLES = ("*_daily", "*_day", "*_by_day")
DATE_COLUMNS = ("period_start", "date_day", "report_date", "activity_date", "event_date", "period_date")
# Rows of one day across all slices: the marts' shared shape (dbt_project/macros/kpi/kpi_shape.sql).
DAY_ROWS = {"grain": "day", "slice_name": "all"}
MAY_BE_EMPTY = ("*breach*", "*review*", "*loss_reason*", "*unit_economics*")
DAY_OVER_DAY = {"min_ratio": 0.1, "max_ratio": 10.0, "min_base": 20}


def _columns(con, schema: str, table: str) -> list[str]:
    rows = con.execute(
        "select column_name from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, table],
    ).fetchall()
    return [r[0] for r in rows]


def _matches(name: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch(name, p) for p in patterns)


def _is_amount(col: str) -> bool:
    return col.endswith("_jpy") and not _matches(col, SIGNED_COLUMNS)


def _is_count(col: str) -> bool:
    return col.endswith("_count") or col.startswith("n_")


def funnel_columns(columns: list[str]) -> list[str]:
    present = []
    for _stage, names in FUNNEL_STAGES:
        hit = next((n for n in names if n in columns), None)
        if hit:
            present.append(hit)
    return present


def build_suite(con, asset: str) -> Suite:
    schema, table = asset.split(".", 1)
    columns = _columns(con, schema, table)
    checks: list[CheckDef] = [
        CheckDef(
            name="has_rows",
            kind="row_count",
            params={"min_rows": 1},
            severity="warn" if _matches(table, MAY_BE_EMPTY) else "error",
        )
    ]
    for col in columns:
        if col.endswith("_rate"):
            checks.append(
                CheckDef(name=f"{col}_between_0_1", kind="between", column=col, params={"min": 0, "max": 1})
            )
        elif _is_amount(col) or _is_count(col):
            checks.append(CheckDef(name=f"{col}_not_negative", kind="between", column=col, params={"min": 0}))
    stages = funnel_columns(columns)
    is_cohort = _matches(table, FUNNEL_TABLES) or any(c in columns for c in FUNNEL_COHORT_COLUMNS)
    if is_cohort and len(stages) >= 2:
        checks.append(
            CheckDef(name="funnel_non_increasing", kind="funnel_monotonic", params={"stages": stages})
        )
    date_col = next((c for c in DATE_COLUMNS if c in columns), None) or next(
        (c for c in columns if c.endswith("_date")), None
    )
    measures = [c for c in columns if c.endswith(("_count", "_jpy")) or c.startswith("n_")]
    filters = {k: v for k, v in DAY_ROWS.items() if k in columns}
    is_daily = "grain" in filters or _matches(table, DAILY_TABLES)
    if is_daily and date_col and measures:
        checks.append(
            CheckDef(
                name="day_over_day_change",
                kind="day_over_day",
                params={"date_column": date_col, "columns": measures, "filters": filters, **DAY_OVER_DAY},
                severity="warn",
            )
        )
    return Suite(
        asset=asset,
        version=VERSION,
        checks=tuple(checks),
        description="KPI mart checked by naming convention (expectations/suites/kpi_build/_default.py).",
        sample_columns=tuple(columns),
    )
