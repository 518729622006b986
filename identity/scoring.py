"""Probabilistic company matching with Splink (DuckDB backend): the model and its use.

Owns: the model definition (comparisons, blocking rules; `model_settings()`, used by training),
the Splink input frame built from the normalised records, and scoring at run time with the
versioned model file, which is only loaded here, never retrained. Splink always gets its OWN
in-memory DuckDB connection: it never shares statement state with the warehouse connection.
Incremental scoring compares only new/changed records: against each other (`predict_within`) and
against the unchanged ones (`predict_between`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from identity.normalize import bigram_dice_sql

# What Splink sees of a record. `name_prefix` only serves blocking (typos after the 3rd character).
SPLINK_COLUMNS = [
    "unique_id",
    "name_key",
    "name_grams",
    "name_prefix",
    "domain",
    "corporate_number",
    "phone",
    "prefecture",
    "employees_log",
    "industry",
]


def model_settings() -> dict:
    """The Splink model definition; its parameters are estimated by `python -m identity.train`."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    dice = bigram_dice_sql("name_grams_l", "name_grams_r")
    creator = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            # bigram Dice, not Jaro-Winkler: DuckDB's string similarities compare UTF-8 bytes
            cl.CustomComparison(
                [
                    cll.NullLevel("name_key"),
                    cll.ExactMatchLevel("name_key"),
                    cll.CustomLevel(f"{dice} >= 0.8", "name bigram dice >= 0.8"),
                    cll.CustomLevel(f"{dice} >= 0.6", "name bigram dice >= 0.6"),
                    cll.ElseLevel(),
                ],
                output_column_name="name_key",
            ),
            cl.ExactMatch("domain"),
            cl.ExactMatch("corporate_number"),
            cl.ExactMatch("phone"),
            cl.ExactMatch("prefecture"),
            # log scale: 100 vs 120 employees agree, 10 vs 1000 do not
            cl.CustomComparison(
                [
                    cll.NullLevel("employees_log"),
                    cll.AbsoluteDifferenceLevel("employees_log", 0.15),
                    cll.AbsoluteDifferenceLevel("employees_log", 0.5),
                    cll.ElseLevel(),
                ],
                output_column_name="employees_log",
            ),
            cl.ExactMatch("industry"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("name_key"),
            block_on("domain"),
            block_on("phone"),
            block_on("corporate_number"),
            block_on("name_prefix", "prefecture"),
        ],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )
    return creator.get_settings("duckdb").as_dict()


def splink_frame(records: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "unique_id": records["rid"].astype("int64"),
            "name_key": records["name_key"],
            "name_grams": records["name_grams"],
            "name_prefix": [
                k[:3] if isinstance(k, str) and len(k) >= 3 else None for k in records["name_key"]
            ],
            "domain": records["domain"],
            "corporate_number": records["corporate_number"],
            "phone": records["phone"],
            "prefecture": records["prefecture"],
            "employees_log": records["employees_log"].astype("float64"),
            "industry": records["industry"],
        }
    )
    for col in SPLINK_COLUMNS:
        if col not in ("unique_id", "employees_log", "name_grams"):
            frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    return frame[SPLINK_COLUMNS]


def _pairs(result, db_api) -> pd.DataFrame:
    df = result.as_pandas_dataframe()
    out = pd.DataFrame(
        {
            "l": df["unique_id_l"].astype("int64"),
            "r": df["unique_id_r"].astype("int64"),
            "match_probability": df["match_probability"].astype("float64"),
        }
    )
    # predict_between yields (changed, unchanged) pairs in either order: keep l < r, one row each
    lo = out[["l", "r"]].min(axis=1)
    hi = out[["l", "r"]].max(axis=1)
    out["l"], out["r"] = lo, hi
    return out[out["l"] != out["r"]].drop_duplicates(["l", "r"])


def score_pairs(
    records: pd.DataFrame,
    model_path: Path,
    threshold: float,
    changed: pd.Series | None = None,
) -> tuple[pd.DataFrame, int]:
    """Scored pairs (`l`, `r`, `match_probability` >= threshold) and the number of records scored.

    `changed`: boolean mask of new/changed records; None scores everything (full run)."""
    import duckdb
    from splink import DuckDBAPI, Linker

    frame = splink_frame(records)
    if changed is not None and not changed.any():
        empty = {"l": pd.Series(dtype="int64"), "r": pd.Series(dtype="int64")}
        return pd.DataFrame(empty | {"match_probability": pd.Series(dtype="float64")}), 0
    con = duckdb.connect()
    try:
        con.execute("set enable_progress_bar = false")  # a pipeline log, not a terminal
        db_api = DuckDBAPI(connection=con)
        if changed is None:
            linker = Linker(
                db_api.register(frame, dataset_display_name="records"), str(model_path), log_level=None
            )
            result = linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
            return _pairs(result, db_api), len(frame)
        mask = changed.to_numpy()
        new = db_api.register(frame[mask].reset_index(drop=True), dataset_display_name="changed")
        old = db_api.register(frame[~mask].reset_index(drop=True), dataset_display_name="unchanged")
        linker = Linker(new, str(model_path), log_level=None)
        parts = [
            _pairs(
                linker.inference.predict_within(
                    new, threshold_match_probability=threshold, warning_mode="never"
                ),
                db_api,
            )
        ]
        if (~mask).any():
            between = linker.inference.predict_between(
                new, old, threshold_match_probability=threshold, warning_mode="never"
            )
            parts.append(_pairs(between, db_api))
        return pd.concat(parts, ignore_index=True).drop_duplicates(["l", "r"]), int(mask.sum())
    finally:
        con.close()
