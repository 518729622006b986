"""Edges sorted and streamed by DuckDB (`ordered_edges_sql`, `edge_chunks`) cluster exactly like the
edge frame sorted with numpy (`cluster_records`): same order, same clusters, same refusals."""

from __future__ import annotations

import random

import duckdb
import numpy as np
import pandas as pd
import pytest

from identity.clustering import _in_order, cluster_ordered, cluster_records, edge_chunks, ordered_edges_sql
from identity.edges import METHODS, PRIORITY


def _edges(seed: int, n: int, m: int) -> pd.DataFrame:
    rng = random.Random(seed)
    rows = []
    for _ in range(m):
        method = rng.choice(METHODS)
        # few distinct probabilities and repeated pairs: ties on every sort key but the last
        p = rng.choice([0.9, 0.93, 0.97, 0.999]) if method == "splink" else 1.0
        rows.append((rng.randrange(n), rng.randrange(n), method, p))
    for l_, r_, _, p in rows[: m // 10]:  # the same pair again under another method
        rows.append((l_, r_, rng.choice(METHODS), p))
    rng.shuffle(rows)
    df = pd.DataFrame(rows, columns=["l", "r", "method", "match_probability"])
    df["method"] = pd.Categorical(df["method"], categories=list(METHODS), ordered=True)
    df["priority"] = df["method"].map(PRIORITY).astype("int64")
    return df


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sql_order_and_clusters_equal_the_frame_path(seed):
    rng = random.Random(seed)
    n = 400
    edges = _edges(seed, n, 4000)
    corps = [rng.choice([None, None, "1111", "2222", "3333", ""]) for _ in range(n)]
    names = [rng.choice([None, "alpha", "alpha co", "beta", "gamma", "ガンマ"]) for _ in range(n)]
    cannot = [(rng.randrange(n), rng.randrange(n)) for _ in range(20)]

    con = duckdb.connect()
    frame = edges.assign(code=edges["method"].cat.codes.astype("int64"))
    con.register("frame", frame)
    sql = ordered_edges_sql(
        "select l, r, code as method, match_probability from frame", [PRIORITY[m] for m in METHODS]
    )

    def flat(chunks):
        return [tuple(row) for chunk in chunks for row in zip(*chunk, strict=True)]

    expected_order = flat(_in_order(edges, edges["method"].cat.codes.to_numpy()))
    assert flat(edge_chunks(con.execute(sql), rows=97)) == expected_order

    want = cluster_records(corps, edges, cannot, names)
    got = cluster_ordered(corps, edge_chunks(con.execute(sql), rows=97), list(METHODS), cannot, names)
    assert got.labels == want.labels
    assert got.method == want.method
    assert got.probability == want.probability
    pd.testing.assert_frame_equal(got.refused, want.refused)
    assert len(set(want.labels)) < n and len(want.refused)  # the data exercises merges and refusals
    assert np.array_equal(np.sort(np.unique(want.labels)), np.sort(np.unique(got.labels)))
