"""Units of the data-quality package: masking, suite versioning, crash vs fail, drift warnings,
samples, the append-only history and dbt results in the same history."""

from __future__ import annotations

import json
from datetime import date

import pytest
from dq_warehouse import build_warehouse

from expectations.history import load_results, record_dbt_results, record_results
from expectations.masking import is_pii_column, mask_email, mask_row, mask_value
from expectations.suites import CheckDef, Suite, declared_suites, load_suite
from expectations.validate import run_suite


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    con = build_warehouse(tmp_path_factory.mktemp("dq_units") / "w.duckdb")
    yield con
    con.close()


def test_masking_hides_people_but_keeps_rows_distinguishable():
    assert mask_email("taro.yamada@example.com") == "t***@e***.com"
    assert mask_value("phone", "03-1234-5678") == "***-**78"
    assert mask_value("subject", "call 090-1111-2222 today") == "call ***-**22 today"
    assert mask_value("subject", "renewal 2025-04-01") == "renewal 2025-04-01"
    assert mask_value("last_name", "山田") == "山***"
    assert mask_value("campaign_name", "Spring Webinar") == "Spring Webinar"
    masked = mask_row(
        {"lead_id": "L1", "email": "a.b@corp.co.jp", "first_name": "Taro", "extra": "cc x@y.com"}
    )
    assert masked == {
        "lead_id": "L1",
        "email": "a***@c***.jp",
        "first_name": "T***",
        "extra": "cc x***@y***.com",
    }
    assert is_pii_column("requester_email") and is_pii_column("name") and not is_pii_column("company_name")


def test_every_declared_suite_loads_with_a_version_and_distinct_check_hashes(con):
    for schema in ("raw_ma", "raw_sfa", "raw_cs"):
        for name in declared_suites(schema):
            suite = load_suite(con, name)
            assert suite.version and suite.partition_column == "_extract_date"
            hashes = [c.definition_hash for c in suite.checks]
            assert len(set(hashes)) == len(hashes), name
    assert "raw_ma.leads" in declared_suites("raw_ma")


def test_definition_hash_changes_with_the_definition():
    base = CheckDef(name="x_not_negative", kind="between", column="x", params={"min": 0})
    assert (
        base.definition_hash
        == CheckDef(name="x_not_negative", kind="between", column="x", params={"min": 0}).definition_hash
    )
    assert (
        base.definition_hash
        != CheckDef(name="x_not_negative", kind="between", column="x", params={"min": 1}).definition_hash
    )
    assert (
        base.definition_hash
        != CheckDef(
            name="x_not_negative", kind="between", column="x", params={"min": 0}, severity="warn"
        ).definition_hash
    )


def test_missing_column_is_an_error_not_a_failure_and_other_checks_still_run(con):
    suite = Suite(
        asset="raw_ma.leads",
        version="test-1",
        partition_column="_extract_date",
        checks=(
            CheckDef(name="ghost_not_negative", kind="between", column="ghost_column", params={"min": 0}),
            CheckDef(name="score_not_negative", kind="between", column="score", params={"min": 0}),
            CheckDef(name="ghost_funnel", kind="funnel_monotonic", params={"stages": ["ghost_a", "ghost_b"]}),
        ),
    )
    ghost, score, funnel = run_suite(con, suite, run_id="u-crash", trigger="test", record=False)
    assert (ghost.status, ghost.blocks_publication) == ("error", True)
    assert "ghost_column" in ghost.message
    assert score.status == "pass"
    assert funnel.status == "error" and "ghost_a" in funnel.message


def test_unknown_suite_is_one_error_result(con):
    (result,) = run_suite(con, "nowhere.nothing", run_id="u", trigger="test", record=False)
    assert result.status == "error" and result.check_name == "suite_loads"


def test_future_timestamps_fail_with_masked_lineage_sample(con):
    con.execute(
        "update raw_ma.leads set created_at = timestamp '2025-04-12 00:00:00' "
        "where _extract_date = '2025-04-07' and _row_number <= 3"
    )
    results = run_suite(
        con, "raw_ma.leads", run_id="u-future", trigger="test", partition="2025-04-07", record=False
    )
    created = next(r for r in results if r.check_name == "created_at_in_range")
    assert created.status == "fail" and created.failing_row_count == 3
    assert "2025-04-08 00:00" in created.threshold  # extract date + 1 day
    assert {"lead_id", "_source_file", "_row_number", "created_at"} <= set(created.sample[0])
    assert created.sample[0]["_source_file"] == "ma/2025-04-07/leads.csv"
    # the day before is untouched and passes
    earlier = run_suite(con, "raw_ma.leads", run_id="u", trigger="test", partition="2025-04-06", record=False)
    assert all(r.status == "pass" for r in earlier)


def test_sample_of_a_personal_column_is_masked(con):
    suite = Suite(
        asset="raw_ma.leads",
        version="test-1",
        partition_column="_extract_date",
        sample_columns=("lead_id", "first_name", "phone"),
        checks=(
            CheckDef(
                name="email_domain",
                kind="in_set",
                column="email",
                params={
                    "values": ["nobody@nowhere.example"],
                    "vocabulary": "test",
                    "max_unexpected_share": 0,
                },
            ),
        ),
    )
    (result,) = run_suite(con, suite, run_id="u", trigger="test", partition="2025-04-01", record=False)
    assert result.status == "fail" and len(result.sample) == 5
    row = result.sample[0]
    assert row["email"].endswith("@e***.jp") and "example" not in json.dumps(result.sample)
    assert row["first_name"] == "T***" and row["phone"] == "***-**78"
    assert "example" not in result.observed_value


def test_value_set_drift_warns_without_blocking(con):
    con.execute(
        "update raw_ma.activities set activity_type = 'hologram_view' where cast(substr(activity_id, 2) as integer) < 5"
    )
    results = run_suite(con, "raw_ma.activities", run_id="u", trigger="test", record=False)
    drift = next(r for r in results if r.check_name == "activity_type_in_ma_activity_types")
    assert (drift.status, drift.severity, drift.blocks_publication) == ("warn", "warn", False)
    assert "hologram_view x5" in drift.observed_value and "10.0 %" in drift.observed_value


def test_results_are_appended_never_replaced(con):
    results = run_suite(con, "kpi_build.rpt_sales_period", run_id="u-hist", trigger="test")
    record_results(con, results)  # a retried step records the same checks again
    n = con.execute("select count(*) from audit.dq_results where run_id = 'u-hist'").fetchall()[0][0]
    assert n == 2 * len(results)
    assert len(load_results(con, "u-hist")) == len(results)
    row = con.execute(
        "select rules_version, definition_version, code_version, check_source, trigger from audit.dq_results "
        "where run_id = 'u-hist' limit 1"
    ).fetchall()[0]
    from expectations.suites.kpi_build import _default as kpi_suite
    from ingestion.rules import rules_version

    assert row[0] == rules_version() and row[1] == kpi_suite.VERSION
    assert row[2].startswith("expectations") and row[4] == "test"
    with pytest.raises(ValueError, match="trigger"):
        run_suite(con, "kpi_build.rpt_sales_period", run_id="u", trigger="cron", record=False)


def _dbt_artifacts(tmp_path):
    def test_node(name, severity="ERROR", model="rpt_sales_period"):
        return {
            "name": name,
            "attached_node": f"model.ssot_warehouse.{model}",
            "checksum": {"name": "none", "checksum": ""},
            "test_metadata": {"name": name.split("_")[0], "kwargs": {"column_name": "won_count"}},
            "config": {"severity": severity, "warn_if": "!= 0", "error_if": "!= 0"},
            "depends_on": {"nodes": [f"model.ssot_warehouse.{model}"]},
        }

    manifest = {
        "nodes": {
            "model.ssot_warehouse.rpt_sales_period": {
                "schema": "kpi_build",
                "alias": "rpt_sales_period",
                "name": "rpt_sales_period",
            },
            "test.ssot_warehouse.not_null_won.1": test_node("not_null_won"),
            "test.ssot_warehouse.accepted_range_won.2": test_node("accepted_range_won", severity="WARN"),
            "test.ssot_warehouse.unique_period.3": test_node("unique_period"),
            "test.ssot_warehouse.relationships_x.4": test_node("relationships_x"),
        }
    }
    timing = [
        {
            "name": "execute",
            "started_at": "2025-04-08T01:00:00.000000Z",
            "completed_at": "2025-04-08T01:00:01.500000Z",
        }
    ]
    run_results = {
        "metadata": {"invocation_id": "inv-1"},
        "results": [
            {"unique_id": "model.ssot_warehouse.rpt_sales_period", "status": "success", "timing": timing},
            {
                "unique_id": "test.ssot_warehouse.not_null_won.1",
                "status": "pass",
                "failures": 0,
                "timing": timing,
            },
            {
                "unique_id": "test.ssot_warehouse.accepted_range_won.2",
                "status": "warn",
                "failures": 3,
                "timing": timing,
            },
            {
                "unique_id": "test.ssot_warehouse.unique_period.3",
                "status": "fail",
                "failures": 2,
                "timing": timing,
            },
            {
                "unique_id": "test.ssot_warehouse.relationships_x.4",
                "status": "error",
                "failures": None,
                "message": "Binder Error: column x not found",
                "timing": timing,
            },  # fmt: skip
        ],
    }
    (tmp_path / "run_results.json").write_text(json.dumps(run_results))
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    return tmp_path / "run_results.json", tmp_path / "manifest.json"


def test_dbt_tests_join_the_same_history(con, tmp_path):
    rr, manifest = _dbt_artifacts(tmp_path)
    results = record_dbt_results(con, rr, manifest, run_id="u-dbt", trigger="schedule")
    assert len(results) == 4  # the model node is not a test
    rows = con.execute(
        "select check_name, asset, status, severity, failing_row_count, blocked_publication, check_source, "
        "started_at, definition_hash from audit.dq_results where run_id = 'u-dbt' order by check_name"
    ).fetchall()
    by_name = {r[0]: r for r in rows}
    assert by_name["not_null_won"][1:7] == ("kpi_build.rpt_sales_period", "pass", "error", 0, False, "dbt")
    assert by_name["accepted_range_won"][2:6] == ("warn", "warn", 3, False)
    assert by_name["unique_period"][2:6] == ("fail", "error", 2, True)
    assert by_name["relationships_x"][2] == "error"
    assert str(by_name["not_null_won"][7]) == "2025-04-08 01:00:00"
    assert len({r[8] for r in rows}) == 4 and all(r[8] for r in rows)


def test_day_over_day_collapse_warns_and_sparse_days_are_not_judged(con):
    con.execute(
        "create or replace table kpi_build.rpt_daily_probe as "
        "select 'day' as grain, date '2025-04-01' + cast(i as integer) as period_start, 'all' as slice_name, "
        "cast(case when i = 7 then 2 else 100 end as bigint) as lead_count from range(8) t(i)"
    )
    results = run_suite(con, "kpi_build.rpt_daily_probe", run_id="u", trigger="test", record=False)
    dod = next(r for r in results if r.check_name == "day_over_day_change")
    assert (dod.status, dod.blocks_publication) == ("warn", False)
    assert "lead_count 100 -> 2 (x0.02)" in dod.observed_value
    con.execute("delete from kpi_build.rpt_daily_probe where period_start = '2025-04-07'")
    results = run_suite(con, "kpi_build.rpt_daily_probe", run_id="u", trigger="test", record=False)
    dod = next(r for r in results if r.check_name == "day_over_day_change")
    assert dod.status == "pass" and "not consecutive" in dod.observed_value
    con.execute("drop table kpi_build.rpt_daily_probe")


def test_volume_knows_quiet_weekdays_but_still_catches_a_collapse(con):
    from expectations.suites._raw import volume

    # 2025-03-02 is a Sunday: 100 rows on weekdays, 30 on Sundays, for four weeks.
    con.execute(
        "create or replace table raw_ma.volume_probe as "
        "select d::date as _extract_date from ("
        "  select date '2025-03-02' + cast(i as integer) as d from range(28) t(i)) days, "
        "  range(100) r(j) where j < case when dayofweek(d) = 0 then 30 else 100 end"
    )
    suite = Suite(
        asset="raw_ma.volume_probe", version="t", checks=(volume(),), partition_column="_extract_date"
    )

    def judge(day: str):
        (result,) = run_suite(con, suite, run_id="u", trigger="test", partition=day, record=False)
        return result

    sunday = judge("2025-03-23")
    assert sunday.status == "pass" and "same-weekday median 30" in sunday.observed_value
    con.execute("delete from raw_ma.volume_probe where _extract_date = '2025-03-28'")
    con.execute(
        "insert into raw_ma.volume_probe select date '2025-03-28' from range(10)"
    )  # Friday: 90 % fewer
    friday = judge("2025-03-28")
    assert (friday.status, friday.blocks_publication) == ("fail", True)
    assert "10 rows on 2025-03-28 = 10.0 % of trailing median 100" in friday.observed_value
    con.execute("drop table raw_ma.volume_probe")


def test_raw_layer_runs_every_declared_suite_on_empty_and_loaded_tables(con):
    from expectations.validate import run_layer

    results = run_layer(con, "raw", run_id="u", trigger="test", record=False)
    assets = {r.asset for r in results}
    assert assets == {s for schema in ("raw_ma", "raw_sfa", "raw_cs") for s in declared_suites(schema)}
    # tables with no delivery yet are not an error (EXTRACTS.md): nothing crashes, nothing blocks
    assert [r.describe() for r in results if r.status == "error"] == []
    empty = [r for r in results if r.asset == "raw_sfa.lead"]
    assert empty and all(r.status == "pass" for r in empty)


def test_chunked_gx_validation_gives_the_one_frame_verdict(tmp_path, monkeypatch):
    """A year-long first load is validated in chunks of days (bounded memory); summed counts must
    give exactly the verdicts, counts and observed values of one frame."""
    import duckdb

    from expectations import validate

    con = duckdb.connect(str(tmp_path / "chunks.duckdb"))
    con.execute("create schema raw_x")
    # 6 days x 40 rows; day 3 has 12 unknown types (5 % of all rows, 30 % of its day), day 5 nulls.
    con.execute(
        """
        create table raw_x.events as
        select 'E' || d || '-' || i as event_id,
               case when d = 3 and i < 12 then 'mystery' || (i % 3) else 'web_visit' end as event_type,
               case when d = 5 and i < 4 then null else i end as score,
               date '2026-09-01' + cast(d as integer) as _extract_date, 'x/' || d || '.csv' as _source_file, i + 1 as _row_number
        from range(6) a(d), range(40) b(i)
        """
    )
    suite = Suite(
        asset="raw_x.events",
        version="t",
        partition_column="_extract_date",
        sample_columns=("event_id", "_source_file", "_row_number"),
        checks=(
            CheckDef(name="types_strict", kind="in_set", column="event_type",
                     params={"values": ["web_visit"], "vocabulary": "t", "max_unexpected_share": 0.02}),
            CheckDef(name="types_loose", kind="in_set", column="event_type",
                     params={"values": ["web_visit"], "vocabulary": "t", "max_unexpected_share": 0.10}),
            CheckDef(name="score_nulls", kind="not_null_share", column="score", params={"max_null_share": 0.05}),
            CheckDef(name="score_positive", kind="between", column="score", params={"min": 1}),
        ),
    )  # fmt: skip

    def judge(chunk_rows: int):
        monkeypatch.setattr(validate, "GX_CHUNK_ROWS", chunk_rows)
        results = run_suite(
            con, suite, run_id="u", trigger="test", partition="2026-09-01..2026-09-06", record=False
        )
        return [
            (r.check_name, r.status, r.failing_row_count, r.observed_value, len(r.sample)) for r in results
        ]

    assert len(validate._chunks(con, suite, (date(2026, 9, 1), date(2026, 9, 6)))) == 1
    one_frame = judge(10_000)
    monkeypatch.setattr(validate, "GX_CHUNK_ROWS", 80)
    assert len(validate._chunks(con, suite, (date(2026, 9, 1), date(2026, 9, 6)))) == 3
    assert judge(80) == one_frame
    statuses = {name: (status, bad) for name, status, bad, _, _ in one_frame}
    assert statuses["types_strict"][0] != "pass" and statuses["types_loose"] == ("pass", 12)
    assert statuses["score_nulls"] == ("pass", 4)
    # score 0 on every day but day 5, where it is null
    assert statuses["score_positive"][0] != "pass" and statuses["score_positive"][1] == 5
