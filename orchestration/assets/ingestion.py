"""Ingestion assets.

- `landing/extract_files`, partitioned by extract date (one partition per `<YYYY-MM-DD>` landing
  folder): loading a day's files into the raw tables. Backfills and the daily schedule select
  its partitions; a range runs as one run.
- one asset per extract entity, keyed `[system, entity]` like the dbt sources so the graph
  connects without glue: the append-only raw table `raw_<system>.<entity>`. These are not
  partitioned: a raw table holds every extract date, and Dagster records two events per asset
  partition in SQLite (~20 ms each), which made a 90-day first load spend a minute on 3,400
  bookkeeping events. The ledger says which file of which day each row came from.
"""

import datetime as dt
import time
import warnings

import dagster as dg

from ingestion.contracts import load_contracts
from orchestration import triggers
from orchestration.partitions import extract_date_partitions
from orchestration.resources import WarehouseResource
from orchestration.settings import WRITER_POOL, settings

OWNERS = ["team:data-engineering"]
EXTRACT_FILES_KEY = dg.AssetKey(["landing", "extract_files"])
LEDGER_KEY = dg.AssetKey(["audit", "load_ledger"])
QUARANTINE_KEY = dg.AssetKey(["audit", "quarantine"])

# Extracts arrive daily and the schedule runs at 06:00 Asia/Tokyo: a source not refreshed for
# 30 hours is worth a look (warning), two days is a missed delivery or run (failure). An entity
# with no file on a given day is normal (EXTRACTS.md): the raw table is still refreshed by the run.
SOURCE_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=dt.timedelta(hours=48), warn_window=dt.timedelta(hours=30)
)

# Single-run backfills are a deliberate choice: a range of extract dates loads in one run with one
# DuckDB writer. Dagster flags the parameter as beta at every code-location load; the UI should
# not show users a warning about our own design decision.
warnings.filterwarnings("ignore", message=".*backfill_policy.*", category=dg.BetaWarning)


@dg.asset(
    key=EXTRACT_FILES_KEY,
    group_name="ingestion",
    owners=OWNERS,
    description=(
        "The extract files of one landing date folder (MA, SFA, CS), contract-checked and loaded "
        "into the raw tables, a file's rows and its ledger row in one transaction (files of one "
        "entity in batches): idempotent (same content never twice), bad rows quarantined, every "
        "attempt in audit.load_ledger."
    ),
    partitions_def=extract_date_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    kinds={"python", "duckdb"},
    freshness_policy=SOURCE_FRESHNESS,
    pool=WRITER_POOL,
    # Files can be mid-copy or briefly locked by the exporter: a short retry fixes that; a
    # contract violation is recorded in the ledger and does not raise, so it is never retried.
    retry_policy=dg.RetryPolicy(max_retries=2, delay=10, backoff=dg.Backoff.EXPONENTIAL),
    code_version="ingestion-v3",
)
def extract_files(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from ingestion.loader import ensure_warehouse, load_landing

    s = settings()
    dates = sorted(context.partition_keys)
    context.log.info(f"loading extract dates {dates[0]}..{dates[-1]} ({len(dates)}) from {s.landing}")
    started = time.perf_counter()
    with warehouse.connect() as con:
        ensure_warehouse(con)
        # Per-file lines go to the Python logger (the ledger holds every file's outcome): one
        # Dagster log event per file costs a SQLite commit each, seconds per hundred files.
        summary = load_landing(con, s.landing, extract_dates=dates, bad_row_threshold=s.bad_row_threshold)
    for f in summary.files:
        if f.status == "rejected":
            context.log.warning(f"rejected {f.source_file}: {f.reason}")
    if summary.failed:
        # A file that crashed mid-load was rolled back and recorded as `failed`; raising lets the
        # retry policy try again (a rejected file is a verdict on its content and is not retried).
        raise dg.Failure(
            description="extract files failed to load (rolled back): "
            + "; ".join(f"{f.source_file}: {f.reason}" for f in summary.failed[:10]),
        )
    context.log.info(
        f"load_landing: {summary.by_status()}, rows read {summary.rows_read}, loaded "
        f"{summary.rows_loaded}, quarantined {summary.rows_quarantined}"
    )
    return dg.MaterializeResult(
        metadata={
            **{f"files_{status}": n for status, n in summary.by_status().items()},
            "rows_read": summary.rows_read,
            "rows_loaded": summary.rows_loaded,
            "rows_quarantined": summary.rows_quarantined,
            "load_seconds": round(time.perf_counter() - started, 2),
        }
    )


def _raw_table_specs() -> list[dg.AssetSpec]:
    specs = []
    for ent in load_contracts().entities:
        required = ", ".join(c.source_name for c in ent.required_columns)
        specs.append(
            dg.AssetSpec(
                key=dg.AssetKey([ent.system, ent.name]),
                deps=[EXTRACT_FILES_KEY],
                group_name="ingestion",
                owners=OWNERS,
                description=(
                    f"Raw {ent.system.upper()} `{ent.name}` extract rows in `{ent.raw_table}`: append-only, "
                    f"contract-checked (required: {required}), with lineage columns. Key: "
                    f"{', '.join(ent.key)}."
                ),
                kinds={"duckdb"},
                tags={"layer": "raw", "system": ent.system},
                freshness_policy=SOURCE_FRESHNESS,
                skippable=True,
            )
        )
    for key, text in (
        (LEDGER_KEY, "One row per extract file and load attempt: rows read / loaded / quarantined, status."),
        (QUARANTINE_KEY, "Every unparseable source row with its file, record number, raw values and reason."),
    ):
        specs.append(
            dg.AssetSpec(
                key=key,
                deps=[EXTRACT_FILES_KEY],
                group_name="ingestion",
                owners=OWNERS,
                description=text,
                kinds={"duckdb"},
                skippable=True,
            )
        )
    return specs


@dg.multi_asset(
    name="raw_tables",
    specs=_raw_table_specs(),
    can_subset=True,
    pool=WRITER_POOL,
    code_version="ingestion-v2",
)
def raw_tables(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Record what the load of this run added to each raw table (rows and files, from the ledger)."""
    tags = context.run.tags
    label = triggers.partition_label(tags)
    start = tags.get("dagster/asset_partition_range_start", tags.get("dagster/partition"))
    end = tags.get("dagster/asset_partition_range_end", start)
    with warehouse.connect() as con:
        where = "where extract_date between ? and ?" if start else ""
        params = [start, end] if start else []
        per_entity = {
            (r[0], r[1]): r[2:]
            for r in con.execute(
                f"""
                select system, entity, count(*), sum(rows_read), sum(rows_loaded), sum(rows_quarantined),
                       count(*) filter (where status = 'rejected')
                from audit.load_ledger {where}
                group by system, entity
                """,
                params,
            ).fetchall()
        }
        totals = {}
        for ent in load_contracts().entities:
            totals[(ent.system, ent.name)] = con.execute(f"select count(*) from {ent.raw_table}").fetchall()[
                0
            ][0]
    for key in context.selected_asset_keys:
        if key in (LEDGER_KEY, QUARANTINE_KEY):
            yield dg.MaterializeResult(asset_key=key, metadata={"extract_dates": label or "all"})
            continue
        files, read, loaded, quarantined, rejected = per_entity.get(tuple(key.path), (0, 0, 0, 0, 0))
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={
                "extract_dates": label or "all",
                "files": int(files or 0),
                "rows_read": int(read or 0),
                "rows_loaded": int(loaded or 0),
                "rows_quarantined": int(quarantined or 0),
                "files_rejected": int(rejected or 0),
                "rows_in_table": int(totals.get(tuple(key.path), 0)),
            },
        )


@dg.asset_check(
    asset=LEDGER_KEY,
    name="rows_read_equal_loaded_plus_quarantined",
    description="Nothing is lost: for every file, rows read = rows loaded + rows quarantined.",
    blocking=True,
    pool=WRITER_POOL,
)
def ledger_reconciles(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    from ingestion.loader import ledger_reconciliation_problems

    with warehouse.connect() as con:
        problems = ledger_reconciliation_problems(con)
    return dg.AssetCheckResult(
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"files_not_reconciling": len(problems), "examples": "\n".join(problems[:10]) or "none"},
    )
