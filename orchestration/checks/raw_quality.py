"""The raw-layer data-quality suites (expectations/suites/raw_*) as Dagster asset checks.

Owns the mapping suite -> raw asset and the Dagster verdict of a suite run; the checks
themselves, their thresholds and the DQ history belong to `expectations` (results are
recorded to `audit.dq_results` by `run_suite`, never here).

Every raw asset with a declared suite gets two checks, both run by ONE step (one DuckDB
connection, Great Expectations imported once, one writer-pool slot):
- `dq_suite` (blocking): fails with severity ERROR when a check of severity 'error' fails or
  crashes; the loaded day must not flow on to staging, identity and the KPIs.
- `dq_suite_warnings`: fails with severity WARN when an advisory check fails; nothing stops.

The checks are not partitioned (Dagster's partitioned checks are a preview feature and record no
partition for a range run). The extract dates validated are the run's partition or partition
range (`start..end` for a single-run backfill), else the latest loaded date.
"""

from collections.abc import Iterator

import dagster as dg

from expectations.suites import RAW_SCHEMAS, declared_suites
from ingestion.contracts import load_contracts
from orchestration.assets.quality import trigger_of
from orchestration.resources import WarehouseResource
from orchestration.settings import WRITER_POOL

BLOCKING_CHECK = "dq_suite"
WARNING_CHECK = "dq_suite_warnings"
# Lines of failing checks shown in the Dagster UI; the full list is in audit.dq_results.
MAX_LISTED = 20


def raw_suite_assets() -> dict[str, dg.AssetKey]:
    """Suite name (`raw_ma.leads`) -> the ingestion asset key (`ma/leads`) it validates."""
    contracts = load_contracts()
    mapping = {}
    for schema in RAW_SCHEMAS:
        system = schema.removeprefix("raw_")
        for suite in declared_suites(schema):
            entity = contracts.entity(system, suite.split(".", 1)[1])  # raises on a suite without a contract
            mapping[suite] = dg.AssetKey([entity.system, entity.name])
    return mapping


SUITE_ASSETS = raw_suite_assets()


def _specs() -> list[dg.AssetCheckSpec]:
    specs = []
    for suite, key in SUITE_ASSETS.items():
        schema, table = suite.split(".", 1)
        where = f"`expectations/suites/{schema}/{table}.py`"
        specs.append(
            dg.AssetCheckSpec(
                BLOCKING_CHECK,
                asset=key,
                blocking=True,
                description=(
                    f"Blocking checks of the {suite} suite ({where}) on the run's extract dates: any "
                    "error-severity check that fails or crashes stops everything downstream."
                ),
            )
        )
        specs.append(
            dg.AssetCheckSpec(
                WARNING_CHECK,
                asset=key,
                blocking=False,
                description=f"Advisory (warn-severity) checks of the {suite} suite ({where}).",
            )
        )
    return specs


def partition_of(context: dg.AssetCheckExecutionContext) -> str | None:
    """The extract dates of the run as the DQ API takes them: `2026-09-30`, or `start..end` for
    a single-run backfill; None when the run has no partition (the suite then takes the latest)."""
    op_context = context.op_execution_context
    try:
        keys = op_context.partition_key_range
    except Exception:  # an unpartitioned run (e.g. the checks launched alone from the UI)
        return None
    return keys.start if keys.start == keys.end else f"{keys.start}..{keys.end}"


def verdicts(key: dg.AssetKey, results: list, partition: str | None) -> Iterator[dg.AssetCheckResult]:
    """The two Dagster check results of one suite run (a list of expectations CheckResult)."""
    blocking = [r for r in results if r.severity == "error"]
    advisory = [r for r in results if r.severity != "error"]
    for name, members, severity in (
        (BLOCKING_CHECK, blocking, dg.AssetCheckSeverity.ERROR),
        (WARNING_CHECK, advisory, dg.AssetCheckSeverity.WARN),
    ):
        failed = [r for r in members if not r.passed]
        yield dg.AssetCheckResult(
            asset_key=key,
            check_name=name,
            passed=not failed,
            severity=severity,
            metadata={
                "extract_dates": partition or "latest loaded",
                "checks": len(members),
                "failed": len(failed),
                "statuses": dg.MetadataValue.json({r.check_name: r.status for r in members}),
                "failures": "\n".join(r.describe() for r in failed[:MAX_LISTED]) or "none",
            },
        )


@dg.multi_asset_check(
    name="raw_dq_suites",
    specs=_specs(),
    description="The raw-layer data-quality suites (Great Expectations + SQL), recorded to audit.dq_results.",
    can_subset=True,
    pool=WRITER_POOL,
)
def raw_dq_suites(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
) -> Iterator[dg.AssetCheckResult]:
    from expectations.validate import run_suite

    # A subset (one asset's checks picked in the UI) runs only the suites it needs.
    selected = set(context.selected_asset_check_keys)
    partition = partition_of(context)
    trigger = trigger_of(context)
    with warehouse.connect() as con:
        for suite, key in SUITE_ASSETS.items():
            if not any(k.asset_key == key for k in selected):
                continue
            results = run_suite(con, suite, run_id=context.run.run_id, trigger=trigger, partition=partition)
            failing = [r.describe() for r in results if not r.passed]
            if failing:
                context.log.warning(f"{suite} ({partition or 'latest'}):\n" + "\n".join(failing))
            for verdict in verdicts(key, results, partition):
                if dg.AssetCheckKey(key, verdict.check_name) in selected:
                    yield verdict
