"""Ingestion assets: one Dagster asset per extract entity, keyed `[system, entity]` like the dbt
sources, partitioned by extract date, all produced by one step that calls the raw loader.

One step, not seventeen: every entity of a day is loaded by the same DuckDB writer, and Dagster's
per-step overhead (seconds) would dominate a daily run of small files.
"""

import time

import dagster as dg

from ingestion.contracts import load_contracts
from orchestration.partitions import extract_date_partitions
from orchestration.resources import WarehouseResource
from orchestration.settings import WRITER_POOL, settings

OWNERS = ["team:data-engineering"]
LEDGER_KEY = dg.AssetKey(["audit", "load_ledger"])
QUARANTINE_KEY = dg.AssetKey(["audit", "quarantine"])


def _entity_specs() -> list[dg.AssetSpec]:
    specs = []
    for ent in load_contracts().entities:
        required = ", ".join(c.source_name for c in ent.required_columns)
        specs.append(
            dg.AssetSpec(
                key=dg.AssetKey([ent.system, ent.name]),
                group_name="ingestion",
                owners=OWNERS,
                description=(
                    f"Raw {ent.system.upper()} `{ent.name}` extract rows in `{ent.raw_table}`: append-only, "
                    f"contract-checked (required: {required}), with lineage columns. Key: "
                    f"{', '.join(ent.key)}."
                ),
                kinds={"duckdb", "python"},
                tags={"layer": "raw", "system": ent.system},
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
                group_name="ingestion",
                owners=OWNERS,
                description=text,
                kinds={"duckdb"},
                skippable=True,
            )
        )
    return specs


@dg.multi_asset(
    name="load_extracts",
    specs=_entity_specs(),
    partitions_def=extract_date_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    can_subset=True,
    pool=WRITER_POOL,
    # Files can be mid-copy or briefly locked by the exporter: a short retry fixes that; a
    # contract violation is recorded in the ledger and does not raise, so it is never retried.
    retry_policy=dg.RetryPolicy(max_retries=2, delay=10, backoff=dg.Backoff.EXPONENTIAL),
    code_version="ingestion-v1",
)
def load_extracts(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Load every extract file of the selected extract dates into raw tables (idempotent)."""
    from ingestion.loader import ensure_warehouse, load_landing

    s = settings()
    dates = sorted(context.partition_keys)
    context.log.info(f"loading extract dates {dates[0]}..{dates[-1]} ({len(dates)}) from {s.landing}")
    started = time.perf_counter()
    with warehouse.connect() as con:
        ensure_warehouse(con)
        summary = load_landing(
            con, s.landing, extract_dates=dates, bad_row_threshold=s.bad_row_threshold, log=context.log
        )
        per_entity = {
            (r[0], r[1]): r[2:]
            for r in con.execute(
                """
                select system, entity, count(*), sum(rows_read), sum(rows_loaded), sum(rows_quarantined),
                       count(*) filter (where status = 'rejected')
                from audit.load_ledger
                where cast(extract_date as varchar) in (select unnest(?::varchar[]))
                group by all
                """,
                [dates],
            ).fetchall()
        }
        rejected = con.execute(
            """
            select source_file, reason from audit.load_ledger
            where status = 'rejected' and cast(extract_date as varchar) in (select unnest(?::varchar[]))
            order by source_file
            """,
            [dates],
        ).fetchall()
    for source_file, reason in rejected:
        context.log.warning(f"rejected {source_file}: {reason}")
    if summary.failed:
        # A file that crashed mid-load was rolled back and recorded as `failed`; raising lets the
        # retry policy try again (a rejected file is a verdict on its content and is not retried).
        raise dg.Failure(
            description="extract files failed to load (rolled back): "
            + "; ".join(f"{f.source_file}: {f.reason}" for f in summary.failed[:10]),
        )
    elapsed = time.perf_counter() - started
    for key in context.selected_asset_keys:
        if key in (LEDGER_KEY, QUARANTINE_KEY):
            yield dg.MaterializeResult(asset_key=key, metadata={"load_seconds": round(elapsed, 2)})
            continue
        files, read, loaded, quarantined, n_rejected = per_entity.get(tuple(key.path), (0, 0, 0, 0, 0))
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={
                "files": int(files or 0),
                "rows_read": int(read or 0),
                "rows_loaded": int(loaded or 0),
                "rows_quarantined": int(quarantined or 0),
                "files_rejected": int(n_rejected or 0),
                "extract_dates": f"{dates[0]}..{dates[-1]}",
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
