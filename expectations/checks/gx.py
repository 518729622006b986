"""Row-wise checks through Great Expectations 1.x on a pandas frame read from DuckDB.

GX cannot validate DuckDB through its SQL datasource (ARCHITECTURE.md), so the runner reads the
rows to check into a frame and validates it with an ephemeral, offline context (no analytics,
no progress bars, nothing written to disk). Bounds on timestamp columns are `pd.Timestamp`s
(pandas 3 does not compare datetimes with date strings). `exception_info` tells a crashed
expectation (a missing column, a type error) from failing data.
"""

from __future__ import annotations

import os
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


def _expectation(check: CheckDef, partition_end: date | None):
    """The GX expectation of a check, and the threshold as text."""
    import great_expectations as gx
    import pandas as pd

    p = check.params
    col = check.column
    if check.kind == "not_null_share":
        mostly = 1.0 - float(p["max_null_share"])
        return (
            gx.expectations.ExpectColumnValuesToNotBeNull(column=col, mostly=mostly),
            f"null share <= {pct(p['max_null_share'])}",
        )
    if check.kind == "in_set":
        mostly = 1.0 - float(p["max_unexpected_share"])
        return (
            gx.expectations.ExpectColumnValuesToBeInSet(
                column=col, value_set=list(p["values"]), mostly=mostly
            ),
            f"<= {pct(p['max_unexpected_share'])} outside {len(p['values'])} values of {p['vocabulary']}",
        )
    if check.kind == "between":
        lo, hi = p.get("min"), p.get("max")
        text = f"[{'-inf' if lo is None else lo}, {'+inf' if hi is None else hi}]"
        return gx.expectations.ExpectColumnValuesToBeBetween(column=col, min_value=lo, max_value=hi), text
    if check.kind == "timestamp_range":
        days = int(p["max_days_after_partition"])
        lo = pd.Timestamp(p["min"])
        hi = None if partition_end is None else pd.Timestamp(partition_end) + pd.Timedelta(days=days)
        text = f"[{lo:%Y-%m-%d}, extract date + {days} day" + (
            f" = {hi:%Y-%m-%d %H:%M}]" if hi is not None else "]"
        )
        return gx.expectations.ExpectColumnValuesToBeBetween(column=col, min_value=lo, max_value=hi), text
    raise ValueError(f"{check.kind} is not a Great Expectations kind")


def _crash_message(result) -> str | None:
    """GX reports a crash either as one exception_info dict or as one per metric."""
    info = getattr(result, "exception_info", None) or {}
    if "raised_exception" in info:
        return info.get("exception_message") if info.get("raised_exception") else None
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return value.get("exception_message") or "expectation raised"
    return None


def _observed(check: CheckDef, frame, res: dict[str, Any]) -> str:
    n = res.get("element_count", 0)
    bad = res.get("unexpected_count", 0) or 0
    if check.kind == "not_null_share":
        return f"{bad} of {n} null ({pct(bad / n) if n else 'n/a'})"
    if check.kind == "in_set":
        counts = res.get("partial_unexpected_counts") or []
        top = ", ".join(f"{mask_value(check.column, c['value'])!s} x{c['count']}" for c in counts[:5])
        share = res.get("unexpected_percent_nonmissing")
        share_text = f"{share:.1f} %" if share is not None else "n/a"
        return f"{bad} of {n} outside ({share_text})" + (f": {top}" if top else "")
    series = frame[check.column].dropna()
    span = (
        f"; min {mask_value(check.column, series.min())}, max {mask_value(check.column, series.max())}"
        if len(series)
        else ""
    )
    return f"{bad} of {n} out of range" + span


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
            outcomes.append(
                Outcome(
                    passed=bool(result.success),
                    observed=_observed(check, frame, res),
                    threshold=threshold,
                    failing_row_count=int(res.get("unexpected_count") or 0),
                    sample=[] if result.success else _sample(check, suite, frame, res),
                    started_at=start,
                    ended_at=utc_now(),
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
