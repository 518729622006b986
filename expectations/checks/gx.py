"""Row-wise checks through Great Expectations 1.x on a pandas frame read from DuckDB.

GX cannot validate DuckDB through its SQL datasource (ARCHITECTURE.md), so the runner reads the
rows to check into a frame and validates it with an ephemeral, offline context (no analytics,
no progress bars, nothing written to disk). Bounds on timestamp columns are `pd.Timestamp`s
(pandas 3 does not compare datetimes with date strings). `exception_info` tells a crashed
expectation (a missing column, a type error) from failing data.

validate.py sends here only the checks rowwise.py cannot evaluate in DuckDB with GX's results (a
missing column, a column type it does not cover); `expectation_spec`, `observed_text` and
`merge_outcomes` are shared by both, so the two engines cannot drift apart in what they report.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date
from typing import Any

from expectations.checks import Outcome, crashed, pct
from expectations.masking import mask_row, mask_value
from expectations.results import SAMPLE_LIMIT, utc_now
from expectations.suites import CheckDef, Suite


def new_context():
    """An ephemeral GX context that never phones home."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    config = DataContextConfig(
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
        store_backend_defaults=InMemoryStoreBackendDefaults(),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def _batch(context, name: str, frame):
    source = context.data_sources.add_pandas(f"src_{name}")
    asset = source.add_dataframe_asset(name=f"frame_{name}")
    definition = asset.add_batch_definition_whole_dataframe(f"whole_{name}")
    return definition.get_batch(batch_parameters={"dataframe": frame})


def expectation_spec(check: CheckDef, partition_end: date | None) -> tuple[str, dict[str, Any], str]:
    """The GX expectation of a check as (class name, arguments), and the threshold as text.

    One definition for both engines: GX gets these arguments, and rowwise.py evaluates the same
    ones in DuckDB (bounds of timestamp checks are `pd.Timestamp`s, see the module docstring).
    """
    import pandas as pd

    p = check.params
    col = check.column
    if check.kind == "not_null_share":
        mostly = 1.0 - float(p["max_null_share"])
        return (
            "ExpectColumnValuesToNotBeNull",
            {"column": col, "mostly": mostly},
            f"null share <= {pct(p['max_null_share'])}",
        )
    if check.kind == "in_set":
        mostly = 1.0 - float(p["max_unexpected_share"])
        return (
            "ExpectColumnValuesToBeInSet",
            {"column": col, "value_set": list(p["values"]), "mostly": mostly},
            f"<= {pct(p['max_unexpected_share'])} outside {len(p['values'])} values of {p['vocabulary']}",
        )
    if check.kind == "between":
        lo, hi = p.get("min"), p.get("max")
        text = f"[{'-inf' if lo is None else lo}, {'+inf' if hi is None else hi}]"
        return "ExpectColumnValuesToBeBetween", {"column": col, "min_value": lo, "max_value": hi}, text
    if check.kind == "timestamp_range":
        days = int(p["max_days_after_partition"])
        lo = pd.Timestamp(p["min"])
        hi = None if partition_end is None else pd.Timestamp(partition_end) + pd.Timedelta(days=days)
        text = f"[{lo:%Y-%m-%d}, extract date + {days} day" + (
            f" = {hi:%Y-%m-%d %H:%M}]" if hi is not None else "]"
        )
        return "ExpectColumnValuesToBeBetween", {"column": col, "min_value": lo, "max_value": hi}, text
    raise ValueError(f"{check.kind} is not a Great Expectations kind")


def _expectation(check: CheckDef, partition_end: date | None):
    """The GX expectation of a check, and the threshold as text."""
    import great_expectations as gx

    name, kwargs, threshold = expectation_spec(check, partition_end)
    return getattr(gx.expectations, name)(**kwargs), threshold


def _crash_message(result) -> str | None:
    """GX reports a crash either as one exception_info dict or as one per metric."""
    info = getattr(result, "exception_info", None) or {}
    if "raised_exception" in info:
        return info.get("exception_message") if info.get("raised_exception") else None
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return value.get("exception_message") or "expectation raised"
    return None


def _metrics(check: CheckDef, frame, res: dict[str, Any]) -> dict[str, Any]:
    """What a verdict and its observed text need, from GX's SUMMARY result (and the frame's span)."""
    metrics = {
        "element_count": int(res.get("element_count") or 0),
        "unexpected_count": int(res.get("unexpected_count") or 0),
        "missing_count": int(res.get("missing_count") or 0),
        "unexpected_values": {},
    }
    for c in res.get("partial_unexpected_counts") or []:
        metrics["unexpected_values"][c["value"]] = int(c["count"])
    if check.kind in ("between", "timestamp_range"):
        series = frame[check.column].dropna()
        metrics["min"], metrics["max"] = (series.min(), series.max()) if len(series) else (None, None)
    return metrics


def observed_text(check: CheckDef, m: dict[str, Any]) -> str:
    """The observed value of a row-wise check, from its metrics (also rowwise.py's)."""
    n, bad = m["element_count"], m["unexpected_count"]
    if check.kind == "not_null_share":
        return f"{bad} of {n} null ({pct(bad / n) if n else 'n/a'})"
    if check.kind == "in_set":
        top_values = sorted(m["unexpected_values"].items(), key=lambda kv: (-kv[1], str(kv[0])))[:5]
        top = ", ".join(f"{mask_value(check.column, value)!s} x{count}" for value, count in top_values)
        nonmissing = n - m["missing_count"]
        share_text = f"{100 * bad / nonmissing:.1f} %" if nonmissing else "n/a"
        return f"{bad} of {n} outside ({share_text})" + (f": {top}" if top else "")
    span = (
        f"; min {mask_value(check.column, m['min'])}, max {mask_value(check.column, m['max'])}"
        if m.get("min") is not None
        else ""
    )
    return f"{bad} of {n} out of range" + span


def merge_outcomes(check: CheckDef, parts: list[Outcome]) -> Outcome:
    """One check's verdict over several chunks of its rows (validate.py bounds frames by rows).

    Counts add up, so the verdict is the one GX gives on all rows at once: a share threshold
    (`mostly`) is judged on the summed counts, a check without one passes only with no bad row.
    Each chunk was judged against its own last extract date (timestamp upper bound), which is
    stricter than the range's last date and right: a row may not be later than its own extract.
    """
    if len(parts) == 1:
        return parts[0] if not parts[0].passed else replace(parts[0], sample=[])
    broken = next((o for o in parts if o.crashed), None)
    if broken is not None:
        return broken
    m: dict[str, Any] = {
        "element_count": 0,
        "unexpected_count": 0,
        "missing_count": 0,
        "unexpected_values": {},
    }
    for o in parts:
        for key in ("element_count", "unexpected_count", "missing_count"):
            m[key] += o.metrics[key]
        for value, count in o.metrics["unexpected_values"].items():
            m["unexpected_values"][value] = m["unexpected_values"].get(value, 0) + count
    spans = [o.metrics for o in parts if o.metrics.get("min") is not None]
    if spans:
        m["min"], m["max"] = min(x["min"] for x in spans), max(x["max"] for x in spans)
    n, bad = m["element_count"], m["unexpected_count"]
    if check.kind == "not_null_share":
        passed = n == 0 or bad / n <= float(check.params["max_null_share"])
    elif check.kind == "in_set":
        nonmissing = n - m["missing_count"]
        passed = nonmissing == 0 or bad / nonmissing <= float(check.params["max_unexpected_share"])
    else:
        passed = bad == 0
    sample = [row for o in parts for row in o.sample][:SAMPLE_LIMIT] if not passed else []
    return Outcome(
        passed=passed,
        observed=observed_text(check, m),
        threshold=parts[-1].threshold,
        failing_row_count=bad,
        sample=sample,
        started_at=parts[0].started_at,
        ended_at=parts[-1].ended_at,
        metrics=m,
    )


def _sample(check: CheckDef, suite: Suite, frame, res: dict[str, Any]) -> list[dict[str, Any]]:
    idx = list(res.get("partial_unexpected_index_list") or [])[:SAMPLE_LIMIT]
    if not idx:
        return []
    cols = [c for c in (*suite.sample_columns, check.column) if c in frame.columns]
    cols = list(dict.fromkeys(cols))
    return [mask_row(row) for row in frame.loc[idx, cols].to_dict(orient="records")]


def run_gx_checks(suite: Suite, checks: list[CheckDef], frame, partition_end: date | None) -> list[Outcome]:
    """Validate `frame` against each check; one Outcome per check, in order."""
    outcomes: list[Outcome] = []
    try:
        context = new_context()
        batch = _batch(context, suite.asset.replace(".", "_"), frame)
    except Exception as exc:  # GX itself is broken: every check of the suite crashed
        start = utc_now()
        return [crashed(exc, None, start) for _ in checks]
    for check in checks:
        start = utc_now()
        threshold = None
        try:
            expectation, threshold = _expectation(check, partition_end)
            result = batch.validate(expectation, result_format="SUMMARY")
            message = _crash_message(result)
            if message:
                outcomes.append(crashed(message, threshold, start))
                continue
            res = dict(result.result or {})
            metrics = _metrics(check, frame, res)
            outcomes.append(
                Outcome(
                    passed=bool(result.success),
                    observed=observed_text(check, metrics),
                    threshold=threshold,
                    failing_row_count=metrics["unexpected_count"],
                    # Samples of every chunk are kept: a merged verdict may fail on summed counts.
                    sample=_sample(check, suite, frame, res),
                    started_at=start,
                    ended_at=utc_now(),
                    metrics=metrics,
                )
            )
        except Exception as exc:
            outcomes.append(crashed(exc, threshold, start))
    return outcomes


def partition_bounds(partition: str | None) -> tuple[date, date] | None:
    """`2025-04-01` or `2025-04-01..2025-04-07` -> (first, last) extract date."""
    if not partition:
        return None
    first, _, last = partition.partition("..")
    start = date.fromisoformat(first.strip())
    end = date.fromisoformat(last.strip()) if last else start
    return (start, end) if start <= end else (end, start)
