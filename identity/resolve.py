"""`resolve_companies`: the identity step between dbt staging and the core facts.

Owns: the run itself (read staging -> normalise -> deterministic + steward + Splink edges ->
constrained clusters -> stable IDs) and the tables it writes in schema `core`:
  company_crosswalk       record -> company_id, match_method, match_probability (replaced per run)
  company_id_history      issued | merged | split events, append-only (also the ID registry)
  company_id_redirects    every retired ID -> the ID it now lives on (rebuilt from history)
  company_match_review    uncertain or contradicted pairs for stewards (replaced per run)
  company_record_state    each record's fingerprint, for incremental runs
  company_match_edges     cached Splink scores (>= review probability) of the current model
  company_resolution_runs one row of statistics per run, append-only
Incremental: when the model and rules version are unchanged, only records whose fingerprint is
new or changed are scored by Splink; cached scores between unchanged records are reused.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime

import pandas as pd

from identity import config as cfg
from identity.clustering import cluster_records
from identity.edges import PRIORITY, deterministic_edges
from identity.records import load_records
from identity.registry import assign_company_ids, flatten_redirects
from identity.scoring import score_pairs
from identity.steward import read_steward_links, steward_edges


def _table_exists(con, qualified: str) -> bool:
    schema, name = qualified.split(".")
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchall()[0][0]
    )


def _read(con, qualified: str, sql: str) -> pd.DataFrame | None:
    return con.cursor().execute(sql).df() if _table_exists(con, qualified) else None


def _previous_state(con) -> dict:
    key = "source_system || '|' || source_entity || '|' || source_record_id"
    crosswalk = _read(con, cfg.CROSSWALK, f"select {key} as record_key, company_id from {cfg.CROSSWALK}")
    registry = _read(
        con,
        cfg.HISTORY,
        f"select company_id, min(\"at\") as issued_at from {cfg.HISTORY} where event = 'issued' group by 1",
    )
    return {
        "previous": {}
        if crosswalk is None
        else dict(zip(crosswalk.record_key, crosswalk.company_id, strict=True)),
        "issued_at": {}
        if registry is None
        else dict(zip(registry.company_id, registry.issued_at, strict=True)),
        "state": _read(con, cfg.RECORD_STATE, f"select * from {cfg.RECORD_STATE}"),
        "edges": _read(con, cfg.EDGE_CACHE, f"select * from {cfg.EDGE_CACHE}"),
    }


def _probabilistic_edges(records, prev, settings, full_refresh, stats) -> pd.DataFrame:
    """All Splink pairs >= review probability: cached ones for unchanged records + fresh scores."""
    state = prev["state"]
    model_version = settings.model_version
    incremental = (
        not full_refresh
        and state is not None
        and len(state) > 0
        and set(state["model_version"]) == {model_version}
        and set(state["rules_version"]) == {settings.rules_version}
    )
    changed = None
    if incremental:
        old_fp = dict(zip(state["record_key"], state["fingerprint"], strict=True))
        changed = pd.Series(
            [old_fp.get(k) != fp for k, fp in zip(records.record_key, records.fingerprint, strict=True)]
        )
    scored, n_scored = score_pairs(records, settings.model_path, settings.review_probability, changed)
    stats["incremental"] = incremental
    stats["records_scored"] = n_scored
    stats["pairs_scored"] = len(scored)
    if incremental and prev["edges"] is not None and len(prev["edges"]):
        rid_of = dict(zip(records.record_key, records.rid, strict=True))
        unchanged = set(records.rid[~changed.to_numpy()])
        cached = prev["edges"]
        cached = pd.DataFrame(
            {
                "l": cached.record_key_l.map(rid_of),
                "r": cached.record_key_r.map(rid_of),
                "match_probability": cached.match_probability,
            }
        ).dropna()
        cached = cached.astype({"l": "int64", "r": "int64"})
        cached = cached[cached.l.isin(unchanged) & cached.r.isin(unchanged)]
        stats["pairs_reused"] = len(cached)
        scored = pd.concat([cached, scored], ignore_index=True).drop_duplicates(["l", "r"], keep="last")
    return scored.astype({"l": "int64", "r": "int64", "match_probability": "float64"}).reset_index(drop=True)


def _review(records, labels, ids, scored, settings, refused, rejected_xref) -> pd.DataFrame:
    band = scored[scored.match_probability < settings.match_probability].assign(
        match_method="splink", reason="probability_band"
    )
    band = band[[labels[a] != labels[b] for a, b in zip(band.l, band.r, strict=True)]]
    cut = refused[refused.method.isin(["steward", "xref", "splink"])].rename(
        columns={"method": "match_method"}
    )
    xref = rejected_xref.assign(
        match_method="xref", reason="xref_contradicted_by_name", match_probability=None
    )
    parts = [
        p[["l", "r", "match_probability", "match_method", "reason"]] for p in (band, cut, xref) if len(p)
    ]
    if not parts:
        review = pd.DataFrame(columns=["l", "r", "match_probability", "match_method", "reason"])
    else:
        review = pd.concat(parts, ignore_index=True)
    out = {}
    for side in ("l", "r"):
        rec = records.loc[review[side].astype("int64")]
        prefix = "left" if side == "l" else "right"
        out[f"{prefix}_source_system"] = rec.source_system.to_numpy()
        out[f"{prefix}_source_entity"] = rec.source_entity.to_numpy()
        out[f"{prefix}_source_record_id"] = rec.source_record_id.to_numpy()
        out[f"{prefix}_company_name"] = rec.company_name.to_numpy()
        out[f"{prefix}_company_id"] = [ids[labels[i]] for i in review[side].astype("int64")]
    out["match_probability"] = review.match_probability.astype("float64").to_numpy()
    out["match_method"] = review.match_method.to_numpy()
    out["reason"] = review.reason.to_numpy()
    return pd.DataFrame(out)


def _replace(con, table: str, df: pd.DataFrame) -> None:
    con.register("_identity_df", df)
    con.execute(f"create or replace table {table} as select * from _identity_df")
    con.unregister("_identity_df")


# Append-only tables get explicit types: a run without merges must not type merged_into as int.
_APPEND_DDL = {
    cfg.HISTORY: """company_id varchar not null, event varchar not null, merged_into varchar,
        related_company_id varchar, record_count bigint, "at" timestamp not null, run_id varchar not null,
        rules_version varchar not null, model_version varchar not null""",
    cfg.RUNS: """run_id varchar not null, rules_version varchar, model_version varchar, records bigint,
        companies bigint, seconds_total double, resolved_at timestamp not null, stats_json json""",
}


def _append(con, table: str, df: pd.DataFrame) -> None:
    con.execute(f"create table if not exists {table} ({_APPEND_DDL[table]})")
    con.register("_identity_df", df)
    con.execute(f"insert into {table} by name select * from _identity_df")
    con.unregister("_identity_df")


def resolve_companies(
    con, log=None, *, settings: cfg.IdentitySettings | None = None, full_refresh: bool = False
) -> dict:
    """Resolve every company record in staging to a stable company_id; write the `core` tables.

    con: the warehouse DuckDB connection (staging views readable, schema core writable).
    Returns run statistics (counts, seconds per phase, share of previous records keeping their ID)."""
    settings = settings or cfg.IdentitySettings()
    say = log.info if log is not None else (lambda *_: None)
    timings: dict[str, float] = {}
    t0 = t = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal t
        now = time.perf_counter()
        timings[f"seconds_{name}"] = round(now - t, 3)
        t = now

    resolved_at = datetime.now(UTC).replace(tzinfo=None)
    run_id = uuid.uuid4().hex[:12]
    stats: dict = {
        "run_id": run_id,
        "rules_version": settings.rules_version,
        "model_version": settings.model_version,
    }

    records = load_records(con)
    prev = _previous_state(con)
    stats["records"] = len(records)
    lap("read")
    say(f"identity: {len(records)} company records")

    det, rejected_xref = deterministic_edges(records, settings.xref_min_name_similarity)
    must, cannot, unknown = steward_edges(read_steward_links(settings.steward_path), records)
    stats["steward_rows_unknown_record"] = unknown
    lap("deterministic")

    scored = _probabilistic_edges(records, prev, settings, full_refresh, stats)
    lap("splink")

    splink_edges = scored[scored.match_probability >= settings.match_probability].assign(
        method="splink", priority=PRIORITY["splink"]
    )
    parts = [e for e in (must, det, splink_edges) if len(e)]
    edges = pd.concat(parts, ignore_index=True) if parts else det
    edges = edges.astype({"l": "int64", "r": "int64", "priority": "int64", "match_probability": "float64"})
    clusters = cluster_records(list(records.corporate_number), edges, cannot, list(records.name_key))
    labels = clusters.labels
    for method, n in edges.method.value_counts().items():
        stats[f"edges_{method}"] = int(n)
    stats["edges_refused"] = len(clusters.refused)
    lap("cluster")

    cluster_of = dict(zip(records.record_key, labels, strict=True))
    ids, events = assign_company_ids(cluster_of, prev["previous"], prev["issued_at"])
    company_ids = [ids[lb] for lb in labels]
    seen = [k for k in records.record_key if k in prev["previous"]]
    kept = sum(prev["previous"][k] == ids[cluster_of[k]] for k in seen)
    stats["companies"] = len(ids)
    stats["previous_records"] = len(seen)
    stats["previous_records_kept_id_share"] = round(kept / len(seen), 6) if seen else None
    for kind in ("issued", "merged", "split"):
        stats[f"ids_{kind}"] = sum(e.event == kind for e in events)
    review = _review(records, labels, ids, scored, settings, clusters.refused, rejected_xref)
    stats["review_pairs"] = len(review)
    lap("ids")

    stamp = {"rules_version": settings.rules_version, "resolved_at": resolved_at}
    crosswalk = pd.DataFrame(
        {
            "source_system": records.source_system,
            "source_entity": records.source_entity,
            "source_record_id": records.source_record_id,
            "company_id": company_ids,
            "match_method": clusters.method,
            "match_probability": pd.Series(clusters.probability, dtype="float64"),
        }
    ).assign(**stamp)
    history = pd.DataFrame(
        {
            "company_id": [e.company_id for e in events],
            "event": [e.event for e in events],
            "merged_into": [e.merged_into for e in events],
            "related_company_id": [e.related_company_id for e in events],
            "record_count": pd.Series([e.record_count for e in events], dtype="int64"),
        }
    ).assign(
        at=resolved_at,
        run_id=run_id,
        rules_version=settings.rules_version,
        model_version=settings.model_version,
    )
    state = pd.DataFrame({"record_key": records.record_key, "fingerprint": records.fingerprint}).assign(
        model_version=settings.model_version, rules_version=settings.rules_version, resolved_at=resolved_at
    )
    keys = records.record_key.to_numpy()
    edge_cache = pd.DataFrame(
        {
            "record_key_l": keys[scored.l.to_numpy(dtype="int64")],
            "record_key_r": keys[scored.r.to_numpy(dtype="int64")],
            "match_probability": scored.match_probability.astype("float64"),
        }
    ).assign(model_version=settings.model_version)
    review = review.assign(model_version=settings.model_version, **stamp)

    con.execute(f"create schema if not exists {cfg.SCHEMA}")
    con.execute("begin transaction")
    try:
        _replace(con, cfg.CROSSWALK, crosswalk)
        _append(con, cfg.HISTORY, history)
        merges = con.execute(
            f"select company_id, merged_into from {cfg.HISTORY} where event = 'merged' order by \"at\""
        ).fetchall()
        redirects = flatten_redirects(merges)
        _replace(
            con,
            cfg.REDIRECTS,
            pd.DataFrame(
                {"company_id": list(redirects), "current_company_id": list(redirects.values())},
                dtype="object",
            ),
        )
        _replace(con, cfg.REVIEW, review)
        _replace(con, cfg.RECORD_STATE, state)
        _replace(con, cfg.EDGE_CACHE, edge_cache)
        lap("write")
        stats.update(timings)
        stats["seconds_total"] = round(time.perf_counter() - t0, 3)
        # Fixed columns plus the full statistics as JSON: the set of counters may grow.
        run_row = {k: stats[k] for k in ("run_id", "rules_version", "model_version", "records")}
        run_row |= {"companies": stats["companies"], "seconds_total": stats["seconds_total"]}
        run_row |= {"resolved_at": resolved_at, "stats_json": json.dumps(stats, default=str)}
        _append(con, cfg.RUNS, pd.DataFrame([run_row]))
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    say(
        f"identity: {stats['companies']} companies from {stats['records']} records in {stats['seconds_total']} s "
        f"(scored {stats['records_scored']}, review {stats['review_pairs']})"
    )
    return stats
