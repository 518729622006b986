"""A 3-day backfill runs as ONE run of `ssot_pipeline` (partition-range tags, as `ssot run --start
--end` does) and touches only those extract dates; the raw DQ suites validate exactly that range."""

from __future__ import annotations

import dagster as dg
import pytest
from orch_helpers import generate_landing, pointed_at, step_failures

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def backfill(tmp_path_factory):
    with pointed_at(tmp_path_factory.mktemp("orch_backfill")):
        from orchestration.cli import run_pipeline
        from orchestration.settings import settings

        days = generate_landing(days=5)
        # The first three of five days: masters (campaigns, CS customers) arrive on day one, and a
        # range without them legitimately has no unit economics, which the KPI gate refuses.
        chosen = days[:3]
        result = run_pipeline(chosen[0], chosen[-1], trigger="backfill")
        yield {"result": result, "days": days, "chosen": chosen, "settings": settings()}


def _query(backfill, sql: str, params=None) -> list[tuple]:
    import duckdb

    con = duckdb.connect(str(backfill["settings"].warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_backfill_is_one_successful_run(backfill):
    result = backfill["result"]
    assert result.success, step_failures(result)
    tags = result.dagster_run.tags
    assert tags["dagster/asset_partition_range_start"] == backfill["chosen"][0]
    assert tags["dagster/asset_partition_range_end"] == backfill["chosen"][-1]
    instance = dg.DagsterInstance.get()
    assert len(instance.get_runs()) == 1


def test_only_the_backfilled_extract_dates_are_loaded(backfill):
    loaded = _query(
        backfill, "select distinct cast(extract_date as varchar) from audit.load_ledger order by 1"
    )
    assert [r[0] for r in loaded] == backfill["chosen"]
    raw_dates = _query(
        backfill, "select distinct cast(_extract_date as varchar) from raw_ma.leads order by 1"
    )
    assert [r[0] for r in raw_dates] == backfill["chosen"]


def test_raw_asset_partitions_are_materialized_in_the_instance(backfill):
    from ingestion.contracts import load_contracts

    instance = dg.DagsterInstance.get()
    for entity in load_contracts().entities:
        key = dg.AssetKey([entity.system, entity.name])
        assert sorted(instance.get_materialized_partitions(key)) == backfill["chosen"], key


def test_raw_dq_checks_judged_the_backfilled_range(backfill):
    from orchestration.checks.raw_quality import BLOCKING_CHECK, SUITE_ASSETS, WARNING_CHECK

    result = backfill["result"]
    label = f"{backfill['chosen'][0]}..{backfill['chosen'][-1]}"
    evaluations = {(e.asset_key, e.check_name): e for e in result.get_asset_check_evaluations()}
    for key in SUITE_ASSETS.values():
        for name in (BLOCKING_CHECK, WARNING_CHECK):
            evaluation = evaluations[(key, name)]
            assert evaluation.passed, (key, name, evaluation.metadata)
            assert evaluation.metadata["extract_dates"].value == label
    # Recorded once, by the DQ API, under this run and the range it validated.
    rows = _query(
        backfill,
        """
        select asset, partition, trigger, count(*) as n, count(distinct check_name) as distinct_checks
        from audit.dq_results
        where run_id = ? and asset like 'raw\\_%' escape '\\' and check_source <> 'dbt'
        group by asset, partition, trigger order by asset
        """,
        [result.run_id],
    )
    assert {r[0] for r in rows} == set(SUITE_ASSETS)
    assert all(r[1] == label and r[2] == "backfill" and r[3] == r[4] for r in rows), rows


def test_backfill_publishes_the_kpis(backfill):
    published = _query(
        backfill,
        "select count(*) from audit.publications where status = 'published' and run_id = ?",
        [backfill["result"].run_id],
    )
    assert published == [(1,)]
