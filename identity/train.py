"""Offline training of the company Splink model: `python -m identity.train`.

Owns: estimating the parameters of `identity.scoring.model_settings()` and writing the versioned
model file `identity/models/company_splink_model.json` (commit it; runs only load it).
Data: a warehouse with staging views (`--warehouse`), a landing folder produced by the project
generator (`--landing`, loaded into a temporary DuckDB), or synthetic records (`--synthetic N`).
The committed model was trained on the project generator's scale S, seed 5:
  ssot generate (or ingestion.sample.generate(scale="S", seed=5, out=L, truth=T)), then
  python -m identity.train --landing L
Traps handled (measured, ARCHITECTURE.md): u-probabilities are estimated on ONE representative
per deterministic cluster (raw records over-count companies with many records and inflate u);
term-frequency adjustments are off; Splink works on its own DuckDB connection.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import pandas as pd

from identity.clustering import cluster_records
from identity.config import MODEL_PATH, IdentitySettings
from identity.edges import deterministic_edges
from identity.records import load_records
from identity.scoring import model_settings, splink_frame

# Deterministic rules for estimating the prior (probability two random records match) and the
# share of true matches they are believed to find.
_PRIOR_RULES = (
    "l.corporate_number = r.corporate_number",
    "l.name_key = r.name_key and l.domain = r.domain",
    "l.name_key = r.name_key and l.phone = r.phone",
)
_PRIOR_RECALL = 0.7


def train_model(records: pd.DataFrame, out: Path = MODEL_PATH, seed: int = 42) -> dict:
    """Estimate the model on normalised records and write it to `out`; returns a summary."""
    import duckdb
    from splink import DuckDBAPI, Linker, block_on

    settings = IdentitySettings()
    det, _ = deterministic_edges(records, settings.xref_min_name_similarity)
    labels = cluster_records(list(records.corporate_number), det).labels
    reps_mask = pd.Series(labels) == pd.Series(range(len(records)))  # the root of each cluster
    frame = splink_frame(records)
    reps = frame[reps_mask.to_numpy()].reset_index(drop=True)

    con = duckdb.connect()
    try:
        con.execute("set enable_progress_bar = false")  # a pipeline log, not a terminal
        db_api = DuckDBAPI(connection=con)
        rep_linker = Linker(
            db_api.register(reps, dataset_display_name="reps"), model_settings(), log_level=None
        )
        rep_linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=seed)
        with_u = rep_linker.misc.save_model_to_json()

        linker = Linker(db_api.register(frame, dataset_display_name="records"), with_u, log_level=None)
        linker.training.estimate_probability_two_random_records_match(
            list(_PRIOR_RULES), recall=_PRIOR_RECALL
        )
        # Each session trains the comparisons its blocking rule does not fix; u stays as estimated.
        for rule in (block_on("name_key"), block_on("domain"), block_on("phone")):
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True, record_sample_proportion=1.0
            )
        model = linker.misc.save_model_to_json()
    finally:
        con.close()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(model, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return {
        "records": len(records),
        "deterministic_clusters": int(reps_mask.sum()),
        "probability_two_random_records_match": model["probability_two_random_records_match"],
        "model_path": str(out),
    }


def _records_from_args(args) -> pd.DataFrame:
    import duckdb

    if args.warehouse:
        con = duckdb.connect(str(args.warehouse), read_only=True)
        try:
            return load_records(con)
        finally:
            con.close()
    con = duckdb.connect()
    try:
        if args.landing:
            from identity.sources import staging_views_from_raw
            from ingestion.loader import load_landing

            load_landing(con, Path(args.landing))
            staging_views_from_raw(con)
        else:
            from identity.synthetic import make_staging_frames, write_staging

            frames, _ = make_staging_frames(args.synthetic, seed=args.seed)
            write_staging(con, frames)
        return load_records(con)
    finally:
        con.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--warehouse", type=Path, help="DuckDB file with staging.stg_* views")
    source.add_argument("--landing", type=Path, help="landing folder written by the project generator")
    source.add_argument("--synthetic", type=int, default=3000, help="synthetic companies (default)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    summary = train_model(_records_from_args(args), args.out, args.seed)
    summary["seconds"] = round(time.perf_counter() - started, 1)
    print(
        json.dumps(summary, indent=2, default=lambda v: None if isinstance(v, float) and math.isnan(v) else v)
    )


if __name__ == "__main__":
    main()
