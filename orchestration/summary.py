"""The KPI summary printed after a run: a few headline KPIs per month, read from the PUBLISHED
marts (schema `kpi`), i.e. exactly what BI tools see. It computes nothing itself."""

from __future__ import annotations

from pathlib import Path

# (header, SQL expression over the joined monthly 'all' rows, format)
COLUMNS = (
    ("month", "f.period_start", "{}"),
    ("leads", "f.lead_count", "{:,}"),
    ("MQL", "p.mql_count", "{:,}"),
    ("MQL rate*", "f.mql_rate", "{:.1%}"),
    ("MQL→SQL*", "f.mql_to_sql_rate", "{:.1%}"),
    ("1st contact≤SLA", "s.first_contact_rate", "{:.1%}"),
    ("appt rate", "s.appointment_rate", "{:.1%}"),
    ("win rate", "o.win_rate", "{:.1%}"),
    ("won ¥", "o.won_amount_jpy", "{:,.0f}"),
    ("CPA ¥", "c.cpa_jpy", "{:,.0f}"),
    ("LTV/CAC", "u.ltv_to_cac_ratio", "{:.2f}"),
)

SQL = f"""
select {", ".join(expr for _, expr, _ in COLUMNS)}
from kpi.rpt_funnel_cohort as f
left join kpi.rpt_funnel_period as p
    on p.grain = f.grain and p.period_start = f.period_start and p.slice_name = 'all'
left join kpi.rpt_sla_compliance as s
    on s.grain = f.grain and s.period_start = f.period_start and s.slice_name = 'all'
left join kpi.rpt_sales_period as o
    on o.grain = f.grain and o.period_start = f.period_start and o.slice_name = 'all'
    and o.opportunity_type = 'all'
left join kpi.rpt_campaign_performance as c
    on c.grain = f.grain and c.period_start = f.period_start and c.slice_name = 'all'
left join kpi.rpt_unit_economics as u
    on u.grain = f.grain and u.period_start = f.period_start
where f.grain = 'month' and f.slice_name = 'all'
order by f.period_start
"""


def kpi_summary(warehouse: Path) -> str:
    import duckdb

    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.IOException:
        # Another run holds the writer lock: the run itself succeeded; say so instead of failing.
        return "KPI summary skipped: another run is writing the warehouse; run `ssot summary` when it is done"
    try:
        published = con.execute(
            "select max(published_at), any_value(rules_version) from audit.publications where status = 'published'"
        ).fetchall()
        rows = con.execute(SQL).fetchall()
    except duckdb.CatalogException as missing:
        return f"no published KPIs yet ({missing})"
    finally:
        con.close()
    table = [[h for h, _, _ in COLUMNS]]
    for row in rows:
        table.append(
            ["–" if v is None else fmt.format(v) for v, (_, _, fmt) in zip(row, COLUMNS, strict=True)]
        )
    widths = [max(len(r[i]) for r in table) for i in range(len(COLUMNS))]
    lines = ["", "KPI summary (published schema kpi; months on the Asia/Tokyo calendar)"]
    lines += ["  " + "  ".join(cell.rjust(w) for cell, w in zip(r, widths, strict=True)) for r in table]
    when, version = published[0] if published else (None, None)
    lines.append(
        f"  * cohort view: leads created in the month. Published {when} UTC, rules version {version}."
    )
    return "\n".join(lines)
