"""The row-wise check kinds (suites.GX_KINDS) evaluated in DuckDB, with Great Expectations' results.

A first L build validates 28.8M raw rows; reading them into pandas frames for GX's pandas engine
took 154 s of the build (docs/performance.md). Each of these kinds is a predicate on one column,
so one DuckDB scan per suite computes what gx.py takes from GX's SUMMARY result, per chunk window
of validate._chunks, and `merge_outcomes` turns the windows into one verdict as before. The
expectation's arguments come from gx.expectation_spec, the one definition both engines use.

GX 1.x's pandas semantics reproduced here (each compared with GX itself on messy data in
tests/expectations/test_rowwise.py):
- null is SQL NULL, and NaN in a DOUBLE column (pandas' isnull);
- not_null_share counts nulls among all rows; in_set / between / timestamp_range skip nulls
  (GX's missing_count) and count unexpected values among the rest; bounds are inclusive;
- the verdict of one window is GX's `mostly` rule (true on a window without rows to judge);
- DECIMAL values are compared and shown as the doubles DuckDB hands pandas (unscaled integer /
  10^scale, which is not always CAST(x AS DOUBLE));
- GX's SUMMARY counts the values of only the first 20 unexpected rows of a frame (the top values
  in an in_set observed text), and the sample is the first 5 unexpected rows of each window in
  table order (rowid = the order of the rows in the frame GX saw).
Checks on a missing column or a column type outside `_TYPES` (DATE, TIMESTAMPTZ, REAL, HUGEINT,
wide DECIMAL, lists, ...), and timestamp checks that meet an infinite timestamp, stay with GX.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any

from expectations.checks import Outcome, crashed
from expectations.checks.gx import expectation_spec, merge_outcomes, observed_text
from expectations.masking import mask_row
from expectations.results import SAMPLE_LIMIT, utc_now
from expectations.suites import CheckDef, Suite
from ingestion.contracts import quote_ident

# GX's SUMMARY result_format: partial_unexpected_count (values counted per frame).
PARTIAL_UNEXPECTED_COUNT = 20

_INTEGERS = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER")
# DECIMAL(p, s) with p <= 18: pandas gets int64 unscaled / 10^s (DuckDB's numpy conversion).
_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")
# Column types per kind whose pandas values this module reproduces exactly.
_TYPES = {
    "not_null_share": ("numeric", "VARCHAR", "TIMESTAMP"),
    "in_set": ("VARCHAR",),
    "between": ("numeric",),
    "timestamp_range": ("TIMESTAMP",),
}

Window = tuple[date, date] | None


def _decimal(type_: str) -> tuple[int, int] | None:
    m = _DECIMAL.fullmatch(type_)
    return (int(m.group(1)), int(m.group(2))) if m and int(m.group(1)) <= 18 else None


def _type_class(type_: str) -> str:
    return "numeric" if type_ in (*_INTEGERS, "DOUBLE") or _decimal(type_) else type_


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def sql_eligible(check: CheckDef, type_: str | None) -> bool:
    """True when this module gives GX's result for `check` on a column of `type_` (None: the
    column does not exist, and GX's own 'column does not exist' crash is the right answer)."""
    if type_ is None or _type_class(type_) not in _TYPES.get(check.kind, ()):
        return False
    try:
        _, kwargs, _ = expectation_spec(check, None)
    except Exception:  # a malformed definition crashes in GX, with GX's message
        return False
    if check.kind == "in_set":
        return all(isinstance(v, str) for v in kwargs["value_set"])
    if check.kind == "between":
        lo, hi = kwargs["min_value"], kwargs["max_value"]
        bounds = [b for b in (lo, hi) if b is not None]
        return bool(bounds) and all(_is_number(b) for b in bounds) and (len(bounds) < 2 or lo <= hi)
    return True


def _value(col: str, type_: str) -> str:
    """The column as the value pandas holds (DECIMAL -> the double of DuckDB's numpy conversion)."""
    dec = _decimal(type_)
    if dec is None:
        return col
    scale = 10 ** dec[1]
    return f"(cast(cast(cast({col} as decimal(38, {dec[1]})) * {scale} as bigint) as double) / {scale}.0::double)"


def _null(col: str, type_: str) -> str:
    return f"({col} is null or isnan({col}))" if type_ == "DOUBLE" else f"({col} is null)"


def _literal(value: Any) -> str:
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):  # parsed as a double (a decimal literal would be cast inexactly)
        return f"cast('{value!r}' as double)"
    return f"timestamp '{value.isoformat(sep=' ')}'"  # a pd.Timestamp bound


class _Plan:
    """The SQL of one check: its unexpected-row predicate (timestamp bounds by window)."""

    def __init__(self, index: int, check: CheckDef, type_: str, windows: list[Window], window: str) -> None:
        self.index, self.check, self.type = index, check, type_
        col = quote_ident(check.column or "")
        self.col, self.value, self.null = col, _value(col, type_), _null(col, type_)
        self.specs = [expectation_spec(check, w[1] if w else None) for w in windows]
        kwargs = self.specs[0][1]
        if check.kind == "not_null_share":
            self.unexpected = self.null
        elif check.kind == "in_set":
            values = ", ".join("'" + v.replace("'", "''") + "'" for v in kwargs["value_set"])
            # nothing is in an empty set (and `x not in ()` is no SQL)
            self.unexpected = (
                f"(not {self.null} and {col} not in ({values}))" if values else f"(not {self.null})"
            )
        else:
            lo = kwargs["min_value"]
            his = [spec[1]["max_value"] for spec in self.specs]
            terms = [] if lo is None else [f"{self.value} < {_literal(lo)}"]
            if len({str(hi) for hi in his}) == 1:
                if his[0] is not None:
                    terms.append(f"{self.value} > {_literal(his[0])}")
            else:  # timestamp_range: each window is judged against its own last extract date
                cases = " ".join(f"when {i} then {_literal(hi)}" for i, hi in enumerate(his))
                terms.append(f"{self.value} > (case {window} {cases} end)")
            self.unexpected = f"(not {self.null} and ({' or '.join(terms)}))"

    def aggregates(self) -> list[str]:
        i = self.index
        exprs = [
            f"count(*) filter (where {self.null}) as null_{i}",
            f"count(*) filter (where {self.unexpected}) as bad_{i}",
        ]
        if self.check.kind in ("between", "timestamp_range"):
            exprs += [
                f"min({self.value}) filter (where not {self.null}) as min_{i}",
                f"max({self.value}) filter (where not {self.null}) as max_{i}",
            ]
        if self.type == "TIMESTAMP":
            exprs.append(f"count(*) filter (where isinf({self.col})) as inf_{i}")
        return exprs


def _scope_sql(suite: Suite, windows: list[Window]) -> tuple[str, str, str]:
    """(the table, the scope's where condition, the window number of a row), as SQL."""
    table = f"{quote_ident(suite.schema)}.{quote_ident(suite.table)}"
    if suite.partition_column is None:
        return table, "true", "0"
    if windows == [None]:
        return table, "false", "0"
    col = quote_ident(suite.partition_column)
    scope = f"{col} between date '{windows[0][0]}' and date '{windows[-1][1]}'"
    if len(windows) == 1:
        return table, scope, "0"
    cases = " ".join(f"when {col} <= date '{w[1]}' then {i}" for i, w in enumerate(windows[:-1]))
    return table, scope, f"(case {cases} else {len(windows) - 1} end)"


def _part(plan: _Plan, window: int, row: dict[str, Any], values: dict[Any, int], start) -> Outcome:
    """One window's Outcome as gx.run_gx_checks builds it from GX's result, without the sample
    (read once the merged verdict is known: `_sample`)."""
    i = plan.index
    n, nulls, bad = int(row["n"]), int(row[f"null_{i}"]), int(row[f"bad_{i}"])
    _, kwargs, threshold = plan.specs[window]
    mostly = kwargs.get("mostly", 1.0)
    if plan.check.kind == "not_null_share":
        passed = n == 0 or (n - bad) / n >= mostly  # ExpectColumnValuesToNotBeNull._validate
        metrics: dict[str, Any] = {"element_count": n, "unexpected_count": bad, "missing_count": 0}
    else:  # ColumnMapExpectation._validate with _mostly_success
        nonnull = n - nulls
        passed = n == 0 or nonnull == 0 or (float(nonnull) - float(bad)) / float(nonnull) >= mostly
        metrics = {"element_count": n, "unexpected_count": bad, "missing_count": nulls}
    metrics["unexpected_values"] = values
    if plan.check.kind in ("between", "timestamp_range"):
        metrics["min"], metrics["max"] = row[f"min_{i}"], row[f"max_{i}"]
    return Outcome(
        passed=passed,
        observed=observed_text(plan.check, metrics),
        threshold=threshold,
        failing_row_count=bad,
        started_at=start,
        ended_at=utc_now(),
        metrics=metrics,
    )


def _top_values(con, plan: _Plan, sql: tuple[str, str, str], windows: int) -> list[dict[Any, int]]:
    """Per window, the counts of the values of its first 20 unexpected rows (GX's SUMMARY)."""
    table, scope, window = sql
    rows = con.execute(
        f"""
        select w, v, count(*) from (
            select {window} as w, {plan.col} as v, row_number() over (partition by {window} order by rowid) as k
            from {table} where {scope} and {plan.unexpected}
        ) where k <= {PARTIAL_UNEXPECTED_COUNT} group by all
        """
    ).fetchall()
    per_window: dict[int, dict[Any, int]] = {}
    for w, v, count in rows:
        per_window.setdefault(int(w), {})[v] = int(count)
    return [per_window.get(w, {}) for w in range(windows)]


def _sample(con, suite: Suite, plan: _Plan, sql: tuple[str, str, str], types: dict[str, str]) -> list[dict]:
    """The first 5 unexpected rows by (window, rowid), the rows of GX's partial_unexpected_index_list,
    read through pandas like GX's frame so that values look the same."""
    table, scope, window = sql
    cols = [c for c in dict.fromkeys((*suite.sample_columns, plan.check.column)) if c in types]
    select = ", ".join(f"{_value(quote_ident(c), types[c])} as {quote_ident(c)}" for c in cols)
    frame = con.execute(
        f"select {select} from {table} where {scope} and {plan.unexpected} "
        f"order by {'' if window == '0' else window + ', '}rowid limit {SAMPLE_LIMIT}"  # `0` is a position
    ).df()
    return [mask_row(row) for row in frame.to_dict(orient="records")]


def run_rowwise_checks(
    con, suite: Suite, checks: list[CheckDef], windows: list[Window], types: dict[str, str]
) -> dict[str, Outcome]:
    """Outcomes of `checks` (each `sql_eligible`) on the scope split into `windows`: what
    gx.run_gx_checks on each window's frame and merge_outcomes give. By check name; a timestamp
    check that meets an infinite timestamp is left out (the caller runs it through GX)."""
    start = utc_now()
    sql = table, scope, window = _scope_sql(suite, windows)
    plans = [_Plan(i, c, types[c.column or ""], windows, window) for i, c in enumerate(checks)]
    try:
        aggregates = ", ".join(a for p in plans for a in p.aggregates())
        cursor = con.execute(
            f"select {window} as w, count(*) as n, {aggregates} from {table} where {scope} group by all"
        )
        names = [d[0] for d in cursor.description]
        found = {int(r[0]): dict(zip(names, r, strict=True)) for r in cursor.fetchall()}
    except Exception as exc:  # the rows could not be read: each check crashed
        return {c.name: crashed(exc, None, start) for c in checks}
    outcomes: dict[str, Outcome] = {}
    for plan in plans:
        i = plan.index
        if any(row.get(f"inf_{i}") for row in found.values()):
            continue  # pandas shows infinite timestamps as far-off dates: GX says what it sees
        try:
            empty = {"n": 0, f"null_{i}": 0, f"bad_{i}": 0, f"min_{i}": None, f"max_{i}": None}
            rows = [found.get(w, empty) for w in range(len(windows))]
            bad = any(row[f"bad_{i}"] for row in rows)
            values = (
                _top_values(con, plan, sql, len(windows))
                if bad and plan.check.kind == "in_set"  # the only kind whose observed text shows values
                else [{} for _ in windows]
            )
            merged = merge_outcomes(
                plan.check, [_part(plan, w, row, values[w], start) for w, row in enumerate(rows)]
            )
            if not merged.passed and bad:
                merged.sample = _sample(con, suite, plan, sql, types)
            outcomes[plan.check.name] = merged
        except Exception as exc:
            outcomes[plan.check.name] = crashed(exc, None, start)
    return outcomes
