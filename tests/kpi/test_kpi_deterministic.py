"""The KPI marts are deterministic: the same facts give bit-identical marts, floats included.

A double sum depends, in its last bits, on the order rows are added in, and a parallel
aggregation adds them in whatever order its threads finish: BI saw averages flicker between two
runs on identical input. The marts sum floats exactly (macros/kpi/kpi_shape.sql kpi_exact_sum_if),
so the order must not matter. This test feeds the same synthetic facts twice, once in generated
row order on 2 threads and once with every table's rows reversed on 1 thread, and requires every
mart to be equal row for row with exact float equality (no tolerance).
"""

from __future__ import annotations

import duckdb
import kpi_harness as harness
import kpi_reference as reference
import kpi_synthetic as synthetic


def _build(tmp_path, monkeypatch, name: str, reverse: bool, threads: int):
    work = tmp_path / name
    project = harness.make_kpi_project(work / "project")
    warehouse = work / "wh.duckdb"
    fixtures = {harness.fixture_name(k): v for k, v in synthetic.build_core().items()}
    with duckdb.connect(str(warehouse)) as con:
        synthetic.write_core(con, fixtures)
        if reverse:  # same rows, stored (and so scanned and summed) in the opposite order
            for table in fixtures:
                con.execute(f"create or replace table {table} as select * from {table} order by rowid desc")
    monkeypatch.setenv("SSOT_DUCKDB_THREADS", str(threads))
    result = harness.run_dbt(project, warehouse, work, "build")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return warehouse


def test_marts_identical_whatever_the_row_order_and_threads(tmp_path, monkeypatch):
    first = _build(tmp_path, monkeypatch, "forward", reverse=False, threads=2)
    second = _build(tmp_path, monkeypatch, "reversed", reverse=True, threads=1)
    with duckdb.connect() as con:
        con.execute(f"attach '{first}' as a (read_only)")
        con.execute(f"attach '{second}' as b (read_only)")
        compared_floats = 0
        for mart in sorted(reference.MARTS):
            types_a = con.sql(
                f"select column_name, data_type from duckdb_columns() where database_name = 'a'"
                f" and schema_name = 'kpi_build' and table_name = '{mart}' order by column_index"
            ).fetchall()
            assert types_a, f"{mart} not built"
            for a, b in (("a", "b"), ("b", "a")):
                extra = con.sql(
                    f"select count(*) from (select * from {a}.kpi_build.{mart}"
                    f" except all select * from {b}.kpi_build.{mart})"
                ).fetchone()[0]
                assert extra == 0, f"{mart}: {extra} rows of build {a} not in build {b}"
            for column, data_type in types_a:
                if data_type == "DOUBLE":
                    query = f"select count({column}) from a.kpi_build.{mart}"
                    compared_floats += con.sql(query).fetchone()[0]
        # the comparison covers real float values (averages, medians, rates), not only nulls
        assert compared_floats > 1000
