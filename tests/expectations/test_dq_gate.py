"""Write–audit–publish end to end on a hand-made warehouse: a passing gate publishes; each way of
breaking the data blocks publication and leaves kpi.* and the Parquet export byte-identical,
with the failure in audit.dq_results, in the GateFailed message and in the report."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest
from dq_warehouse import add_leads, dir_digest, table_digest

from expectations.publish import GateFailed, gate_and_publish, publish_kpis
from expectations.report import build_report
from expectations.validate import run_layer

LAST_DAY = "2025-04-08"


def _gate(con, run_id: str, export_dir, partition: str = LAST_DAY):
    # The raw suites of the MA system (where this warehouse has data) plus the whole KPI gate;
    # test_dq_units covers the other raw schemas' suites.
    run_layer(con, "raw_ma", run_id=run_id, trigger="test", partition=partition)
    return gate_and_publish(con, run_id=run_id, trigger="test", export_dir=export_dir)


def test_passing_gate_publishes_tables_and_parquet(warehouse, tmp_path):
    export = tmp_path / "export"
    result = _gate(warehouse, "run-good", export)

    assert result.tables == ["rpt_funnel_cohort", "rpt_sales_period", "rpt_sla_breaches"]
    assert table_digest(warehouse, "kpi") == table_digest(warehouse, "kpi_build")
    for table in result.tables:
        build = warehouse.execute(f"select * from kpi_build.{table} order by all").fetchall()
        parquet = warehouse.execute(
            f"select * from read_parquet('{export / table}.parquet') order by all"
        ).fetchall()
        assert parquet == build, table
        assert result.row_counts[table] == len(build)
    pub = warehouse.execute(
        "select status, row_counts from audit.publications where run_id = 'run-good'"
    ).fetchall()
    assert pub[0][0] == "published" and '"rpt_sales_period": 8' in pub[0][1]
    statuses = dict(
        warehouse.execute(
            "select status, count(*) from audit.dq_results where run_id = 'run-good' group by 1"
        ).fetchall()
    )
    assert statuses.get("fail", 0) == 0 and statuses.get("error", 0) == 0 and statuses["pass"] > 20
    # Only the empty exception list warns; warnings do not block.
    assert statuses.get("warn") == 1
    assert not list(tmp_path.glob(".export.*")), "no temp or old export directory left behind"


def _negative_amount(con):
    con.execute(
        f"update kpi_build.rpt_sales_period set won_amount_jpy = -500 where period_start = '{LAST_DAY}'"
    )
    return LAST_DAY, ["kpi_build.rpt_sales_period", "won_amount_jpy_not_negative"]


def _volume_drop(con):
    add_leads(con, date(2025, 4, 9), 10, start=900)  # 90 % fewer than the 100 a day before
    return "2025-04-09", ["raw_ma.leads", "volume_vs_trailing_7d"]


def _funnel_increases(con):
    con.execute(
        "update kpi_build.rpt_funnel_cohort set sql_count = mql_count + 5 "
        "where grain = 'day' and period_start = '2025-04-03' and slice_name = 'all'"
    )
    return LAST_DAY, ["kpi_build.rpt_funnel_cohort", "funnel_non_increasing"]


def _crashed_check(con):
    # The suite of raw_ma.leads checks created_at, which this load no longer has: the check
    # crashes ('error', not 'fail') and, being blocking, stops publication.
    con.execute("alter table raw_ma.leads drop column created_at")
    return LAST_DAY, ["raw_ma.leads", "created_at_in_range"]


@pytest.mark.parametrize(
    ("breaker", "expected_status"),
    [
        (_negative_amount, "fail"),
        (_volume_drop, "fail"),
        (_funnel_increases, "fail"),
        (_crashed_check, "error"),
    ],
    ids=["negative_amount", "volume_drop_90pct", "funnel_increases", "crashed_check"],
)
def test_broken_data_blocks_and_keeps_last_publication(warehouse, tmp_path, breaker, expected_status):
    export = tmp_path / "export"
    _gate(warehouse, "run-good", export)
    published_before, export_before = table_digest(warehouse, "kpi"), dir_digest(export)
    assert export_before

    partition, (asset, check) = breaker(warehouse)
    with pytest.raises(GateFailed) as failed:
        _gate(warehouse, "run-bad", export, partition=partition)

    assert f"{asset} / {check}" in str(failed.value)
    assert any(check in f for f in failed.value.failures)
    assert table_digest(warehouse, "kpi") == published_before
    assert dir_digest(export) == export_before
    rows = warehouse.execute(
        "select status, severity, blocked_publication, observed_value from audit.dq_results "
        "where run_id = 'run-bad' and asset = ? and check_name = ?",
        [asset, check],
    ).fetchall()
    assert rows and rows[0][:3] == (expected_status, "error", True)
    pubs = warehouse.execute("select run_id, status from audit.publications order by published_at").fetchall()
    assert pubs == [("run-good", "published"), ("run-bad", "blocked")]

    html = build_report(warehouse, tmp_path / "report.html").read_text(encoding="utf-8")
    assert "run-bad" in html and check in html and f"s-{expected_status}" in html


def test_volume_drop_observed_value_is_explained(warehouse, tmp_path):
    add_leads(warehouse, date(2025, 4, 9), 10, start=900)
    results = run_layer(warehouse, "raw_ma", run_id="r", trigger="test", partition="2025-04-09", record=False)
    volume = next(r for r in results if r.asset == "raw_ma.leads" and r.check_name.startswith("volume"))
    assert volume.status == "fail"
    assert "10 rows on 2025-04-09 = 10.0 % of trailing median 100" in volume.observed_value
    assert ">= 50 rows" in volume.threshold


def test_email_column_in_kpi_build_blocks_publication(warehouse, tmp_path):
    export = tmp_path / "export"
    _gate(warehouse, "run-good", export)
    before, export_before = table_digest(warehouse, "kpi"), dir_digest(export)
    warehouse.execute("alter table kpi_build.rpt_sales_period add column owner_email varchar")
    warehouse.execute("update kpi_build.rpt_sales_period set owner_email = 'hanako.sato@example.co.jp'")

    with pytest.raises(GateFailed) as failed:
        _gate(warehouse, "run-pii", export)
    assert "privacy: kpi_build.rpt_sales_period.owner_email" in str(failed.value)
    assert table_digest(warehouse, "kpi") == before and dir_digest(export) == export_before


def test_email_values_under_an_innocent_name_block_publication(warehouse, tmp_path):
    warehouse.execute(
        "update kpi_build.rpt_funnel_cohort set lead_source = 'taro@example.com' where slice_name = 'lead_source'"
    )
    with pytest.raises(GateFailed, match=r"rpt_funnel_cohort\.lead_source: values look like e-mail"):
        _gate(warehouse, "run-pii", tmp_path / "export")
    assert not (tmp_path / "export").exists()


def test_unchecked_mart_is_not_published(warehouse, tmp_path):
    with pytest.raises(GateFailed, match="no data-quality result in this run"):
        publish_kpis(warehouse, run_id="r", export_dir=tmp_path / "export", gate_results=[])
    assert warehouse.execute(
        "select count(*) from information_schema.tables where table_schema = 'kpi'"
    ).fetchall() == [(0,)]


def test_publish_replaces_and_drops_stale_marts(warehouse, tmp_path):
    export = tmp_path / "export"
    _gate(warehouse, "run-1", export)
    warehouse.execute("drop table kpi_build.rpt_sla_breaches")
    warehouse.execute("update kpi_build.rpt_sales_period set won_count = won_count + 1")
    result = _gate(warehouse, "run-2", export)
    assert result.dropped_tables == ["rpt_sla_breaches"]
    assert table_digest(warehouse, "kpi") == table_digest(warehouse, "kpi_build")
    assert sorted(p.name for p in export.iterdir()) == [
        "rpt_funnel_cohort.parquet",
        "rpt_sales_period.parquet",
    ]


def test_published_file_opens_read_only_in_a_second_client(warehouse, tmp_path):
    _gate(warehouse, "run-1", tmp_path / "export")
    path = warehouse.execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchall()[0][0]
    warehouse.execute("checkpoint")
    warehouse.close()
    with duckdb.connect(path, read_only=True) as reader:
        assert reader.execute("select count(*) from kpi.rpt_sales_period").fetchall() == [(8,)]
