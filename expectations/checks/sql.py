"""Set-based checks in DuckDB SQL: volume against the trailing days, funnel shape, day-over-day
change and row count. They compare days or columns, which row-wise expectations do badly."""

from __future__ import annotations

from datetime import date
from typing import Any

from expectations.checks import Outcome, crashed, pct
from expectations.masking import mask_row
from expectations.results import SAMPLE_LIMIT, utc_now
from expectations.suites import CheckDef, Suite
from ingestion.contracts import quote_ident


def _relation(asset: str) -> str:
    schema, table = asset.split(".", 1)
    return f"{quote_ident(schema)}.{quote_ident(table)}"


def _records(cursor) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def volume_vs_trailing(con, suite: Suite, check: CheckDef, day: date | None) -> Outcome:
    """Rows of extract date `day` against the median rows of the trailing days that had rows.

    B2B extracts have a weekly rhythm (a quiet Sunday is not an incident): with `weekday_weeks`,
    the baseline is the lower of the trailing median and the median of the same weekday in the
    previous weeks, once at least two such days exist. A collapse still fails against both."""
    start = utc_now()
    p = check.params
    window, min_ratio, min_days = int(p["window_days"]), float(p["min_ratio"]), int(p["min_history_days"])
    weeks = int(p.get("weekday_weeks", 0))
    threshold = f">= {pct(min_ratio)} of the trailing {window}-day median"
    if weeks:
        threshold += f" (or of the same weekday's median over {weeks} weeks, if lower)"
    if day is None:
        return Outcome(True, "no extract date loaded yet", threshold, started_at=start, ended_at=utc_now())
    col = quote_ident(suite.partition_column or "_extract_date")
    span = max(window, 7 * weeks)
    today_n, median_n, days, weekday_median, weekdays = con.execute(
        f"""
        with daily as (
            select {col} as d, count(*) as n
            from {_relation(suite.asset)}
            where {col} between cast(? as date) - {span} and cast(? as date)
            group by 1
        )
        select
            coalesce(max(case when d = cast(? as date) then n end), 0),
            median(n) filter (where d < cast(? as date) and d >= cast(? as date) - {window}),
            count(*) filter (where d < cast(? as date) and d >= cast(? as date) - {window}),
            median(n) filter (where d < cast(? as date) and dayofweek(d) = dayofweek(cast(? as date))),
            count(*) filter (where d < cast(? as date) and dayofweek(d) = dayofweek(cast(? as date)))
        from daily
        """,
        [day] * 11,
    ).fetchall()[0]
    if days < min_days or not median_n:
        observed = (
            f"{today_n} rows on {day}; only {days} earlier day(s) in the window (< {min_days}): not judged"
        )
        return Outcome(True, observed, threshold, started_at=start, ended_at=utc_now())
    baseline, basis = float(median_n), f"trailing median {float(median_n):g} ({days} days)"
    if weeks and weekdays >= 2 and float(weekday_median) < baseline:
        baseline, basis = (
            float(weekday_median),
            f"same-weekday median {float(weekday_median):g} ({weekdays} weeks)",
        )
    ratio = today_n / baseline if baseline else 1.0
    observed = f"{today_n} rows on {day} = {pct(ratio)} of {basis}"
    return Outcome(
        ratio >= min_ratio,
        observed,
        threshold + f": >= {min_ratio * baseline:g} rows",
        started_at=start,
        ended_at=utc_now(),
    )


def funnel_monotonic(con, suite: Suite, check: CheckDef) -> Outcome:
    """Every row (a cohort): stage_1 >= stage_2 >= ... (NULL stages are skipped, not failed)."""
    start = utc_now()
    stages = list(check.params["stages"])
    threshold = " >= ".join(stages)
    pairs = [f"{quote_ident(a)} < {quote_ident(b)}" for a, b in zip(stages, stages[1:], strict=False)]
    condition = " or ".join(f"coalesce({p}, false)" for p in pairs)
    rel = _relation(suite.asset)
    total, failing = con.execute(
        f"select count(*), count(*) filter (where {condition}) from {rel}"
    ).fetchall()[0]
    cursor = con.execute(f"select * from {rel} where {condition} limit {SAMPLE_LIMIT}")
    sample = [mask_row(r) for r in _records(cursor)]
    observed = f"{failing} of {total} cohort rows increase down the funnel"
    return Outcome(failing == 0, observed, threshold, failing, sample, started_at=start, ended_at=utc_now())


def day_over_day(con, suite: Suite, check: CheckDef) -> Outcome:
    """Daily totals of the measure columns: last day against the day before it."""
    start = utc_now()
    p = check.params
    date_col, cols = quote_ident(p["date_column"]), list(p["columns"])
    lo, hi, base = float(p["min_ratio"]), float(p["max_ratio"]), float(p["min_base"])
    threshold = f"last day / previous day in [{lo:g}, {hi:g}] where previous >= {base:g}"
    if p.get("filters"):
        threshold += " (rows " + ", ".join(f"{k} = {v}" for k, v in p["filters"].items()) + ")"
    filters = dict(p.get("filters") or {})
    sums = ", ".join(f"sum({quote_ident(c)}) as {quote_ident(c)}" for c in cols)
    where = " and ".join([f"{date_col} is not null", *(f"{quote_ident(k)} = ?" for k in filters)])
    cursor = con.execute(
        f"select {date_col} as d, {sums} from {_relation(suite.asset)} where {where} group by 1 order by 1 desc limit 2",
        list(filters.values()),
    )
    rows = _records(cursor)
    if len(rows) < 2:
        return Outcome(
            True, f"{len(rows)} day(s): nothing to compare", threshold, started_at=start, ended_at=utc_now()
        )
    last, prev = rows
    if (last["d"] - prev["d"]).days != 1:
        # No row on the day before: a sparse mart, not a measured change.
        observed = f"{last['d']} vs {prev['d']}: not consecutive days, not judged"
        return Outcome(True, observed, threshold, started_at=start, ended_at=utc_now())
    breaches = []
    for c in cols:
        before, after = prev[c], last[c]
        if before is None or after is None or float(before) < base:
            continue
        ratio = float(after) / float(before)
        if not lo <= ratio <= hi:
            breaches.append(f"{c} {float(before):g} -> {float(after):g} (x{ratio:.2f})")
    observed = f"{last['d']} vs {prev['d']}: " + ("; ".join(breaches) if breaches else "within bounds")
    sample = [mask_row({"column": b.split(" ", 1)[0], "change": b.split(" ", 1)[1]}) for b in breaches]
    return Outcome(
        not breaches, observed, threshold, len(breaches), sample, started_at=start, ended_at=utc_now()
    )


def row_count(con, suite: Suite, check: CheckDef) -> Outcome:
    start = utc_now()
    minimum = int(check.params["min_rows"])
    n = con.execute(f"select count(*) from {_relation(suite.asset)}").fetchall()[0][0]
    return Outcome(n >= minimum, f"{n} rows", f">= {minimum} rows", started_at=start, ended_at=utc_now())


def run_sql_check(con, suite: Suite, check: CheckDef, day: date | None) -> Outcome:
    """Run one SQL check; any exception makes it a crashed check ('error')."""
    start = utc_now()
    try:
        if check.kind == "volume_vs_trailing":
            return volume_vs_trailing(con, suite, check, day)
        if check.kind == "funnel_monotonic":
            return funnel_monotonic(con, suite, check)
        if check.kind == "day_over_day":
            return day_over_day(con, suite, check)
        if check.kind == "row_count":
            return row_count(con, suite, check)
        raise ValueError(f"{check.kind} is not a SQL kind")
    except Exception as exc:
        return crashed(exc, None, start)
