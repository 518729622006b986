"""The SQL shortcuts of an incremental run give what the plain form gives: `touching` (edges with a
record in a set) and the raw rows read on their source ids only (`raw_rows_sql(few=True)`), and
the Splink frame of the unchanged candidates (built in one pass) equals `splink_frame_sql`'s."""

from __future__ import annotations

import random
from pathlib import Path

import duckdb
from conftest import load

from identity import incremental as inc
from identity import scoring
from identity.config import MODEL_PATH
from identity.records import raw_rows_sql, record_versions_sql


def _sorted(rows) -> list:
    return sorted(rows, key=repr)


def test_touching_keeps_each_edge_with_a_record_in_ids_once():
    con = duckdb.connect()
    rng = random.Random(7)
    ends = [None, *range(40)]
    rows = [(rng.choice(ends), rng.choice(ends), i % 3) for i in range(3000)]
    rows += rows[:200]  # a repeated row stays repeated
    con.execute("create table e (record_id_l bigint, record_id_r bigint, w int)")
    con.executemany("insert into e values (?, ?, ?)", rows)
    con.execute("create table ids as select * from range(0, 40, 5) t(record_id) union all select null")
    for columns in ("*", "record_id_r, w"):
        want = con.execute(f"""
            select {columns} from e
            where record_id_l in (select record_id from ids) or record_id_r in (select record_id from ids)""")
        want = _sorted(want.fetchall())
        got = _sorted(con.execute(inc.touching("e", inc.ids_in("ids"), columns)).fetchall())
        assert got == want
        assert 0 < len(want) < len(rows)
        # a query in parentheses is an edge table too
        query = "(select * from e where w <> 1)"
        want = con.execute(f"""
            select * from {query} q
            where record_id_l in (select record_id from ids) or record_id_r in (select record_id from ids)""")
        want = _sorted(want.fetchall())
        assert _sorted(con.execute(inc.touching(query, inc.ids_in("ids"))).fetchall()) == want


def test_raw_rows_of_a_few_keys_are_those_of_all_rows(warehouse):
    con = warehouse
    load(
        con,
        stg_ma__leads=[
            {"lead_id": "L1", "company_name": "サンプル"},
            {"lead_id": "L10", "company_name": "Sample 10"},  # L1 is a prefix of its id
            {"lead_id": "L|2", "company_name": "Pipe"},  # a separator inside an id
            {"lead_id": "L3", "company_name": "Repeated"},
            {"lead_id": "L3", "company_name": "Repeated"},  # repeated verbatim: one row
            {"lead_id": "L4", "company_name": "Twice a"},
            {"lead_id": "L4", "company_name": "Twice b"},  # one key, two versions
        ],
        stg_sfa__leads=[{"sfa_lead_id": "L1", "company_name": "SFA lead"}],  # same id, other source
        stg_sfa__accounts=[{"account_id": "A1", "account_name": "Account"}],
        stg_cs__customers=[{"customer_id": "C|1", "company_name": "Customer"}],
    )
    con.execute(f"create table all_versions as {record_versions_sql(con)}")
    con.execute("""
        create table versions as select * from all_versions
        where record_key not in ('ma|leads|L10', 'sfa|account|A1')
        union all select 'ma|leads|L99', 0""")  # a key not (or no longer) in staging
    want = _sorted(con.execute(raw_rows_sql(con, "versions")).fetchall())
    got = _sorted(con.execute(raw_rows_sql(con, "versions", few=True)).fetchall())
    assert got == want
    assert {r[0] for r in got} == {
        "ma|leads|L1",
        "ma|leads|L|2",
        "ma|leads|L3",
        "ma|leads|L4",
        "sfa|lead|L1",
        "cs|customers|C|1",
    }


def test_candidates_frame_is_splink_frame_of_the_records_sharing_a_block(warehouse):
    con = warehouse
    con.execute("""
        create table records as select * from (values
            (0, 'sample', 'sample.co.jp', null, '0311112222', '東京都', 4.6, 'it'),
            (1, 'sample', null, null, null, null, null, null),
            (2, 'samplex', 'other.jp', null, null, '東京都', null, null),
            (3, 'unrelated', 'sample.co.jp', '1234567890123', null, null, 2.0, null),
            (4, 'nobody', 'nobody.jp', null, null, null, null, null),
            (5, null, null, null, '0311112222', null, null, null)
        ) t(record_id, name_key, domain, corporate_number, phone, prefecture, employees_log, industry)""")
    con.execute("create table changed as select 0 as record_id")
    new, old = scoring._changed_and_candidates(con, "records", "changed", Path(MODEL_PATH))
    want = con.execute(f"""
        select * from ({scoring.splink_frame_sql("records")}) where unique_id in (1, 2, 3, 5)""")
    frame = want.fetchall()
    assert old.column_names == [d[0] for d in want.description]
    assert new.column_names == old.column_names
    assert _sorted(tuple(r.values()) for r in old.to_pylist()) == _sorted(frame)
