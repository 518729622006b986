"""Probabilistic company matching with Splink (DuckDB backend): the model and its use.

Owns: the model definition (comparisons, blocking rules; `model_settings()`, used by training),
the Splink input frame built from the normalised records, and scoring at run time with the
versioned model file, which is only loaded here, never retrained. Splink always gets its OWN
in-memory DuckDB connection: it never shares statement state with the warehouse connection.
Incremental scoring compares only new/changed records: against each other (`predict_within`) and
against the unchanged ones that share a blocking key with one of them (`predict_between`; the
others could not be paired, and handing Splink a million of them costs more than the scoring).
Pairs come back by record id, `record_id_l` < `record_id_r` (orders that matter follow the keys).
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa

from identity.normalize import bigram_dice_sql, name_grams_sql
from identity.records import arrow


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


def splink_frame_sql(records: str, id_: str = "record_id", grams: bool = True) -> str:
    """What Splink sees of the records of table `records` (unique_id = its column `id_`); without
    `grams` the columns blocking needs, cheap to compute for every record."""
    # `name_prefix` only serves blocking (typos after the 3rd character)
    name_grams = f"{name_grams_sql('name_key')} as name_grams," if grams else ""
    return f"""
        select {id_} as unique_id, name_key, {name_grams}
            case when length(name_key) >= 3 then left(name_key, 3) end as name_prefix,
            domain, corporate_number, phone, prefecture, cast(employees_log as double) as employees_log,
            industry
        from {records}"""


def splink_frame(records: pd.DataFrame) -> pd.DataFrame:
    """`splink_frame_sql` over a record frame with `rid` (offline use: training)."""
    import duckdb

    con = duckdb.connect()
    try:
        con.register("records", records)
        return con.execute(splink_frame_sql("records", "rid")).df()
    finally:
        con.close()


_UNITS = {"bytes": 1, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}
_UNITS |= {"kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12}


def _splink_config(con) -> dict:
    """Splink's own DuckDB gets half the warehouse connection's memory limit and spills to a folder
    of its own in the warehouse's temp directory (delete it after closing): scoring a million
    records at once would otherwise take what it likes (chunked scoring bounds memory too, but
    took 2.5 times as long). Not the temp directory itself: two DuckDB instances spilling into one
    folder use the same file names, and the one closing first deletes the other's (the warehouse
    connection then fails with "Corrupt temporary file")."""
    limit, temp = con.execute(
        "select current_setting('memory_limit'), current_setting('temp_directory')"
    ).fetchall()[0]
    config = {}
    if temp:
        Path(temp).mkdir(parents=True, exist_ok=True)
        config["temp_directory"] = tempfile.mkdtemp(prefix="identity_splink_", dir=temp)
    try:
        number, unit = limit.split()
        return config | {"memory_limit": f"{int(float(number) * _UNITS[unit.lower()] / 2)}B"}
    except (ValueError, KeyError):  # a format this code does not know: DuckDB's default
        return config


_EQUALITY = re.compile(r'^l\."(\w+)"\s*=\s*r\."\1"$')


def _shares_block(rule: str, new: str) -> str:
    """SQL: a record (alias `r`) meets a record of table `new` under one blocking rule.
    A rule of plain equalities (`l."a" = r."a" AND ...`) becomes `(a, ...) in (select a, ... from
    new)`, one hash probe per record; any other rule an EXISTS over `new` with the rule's own SQL."""
    terms = [t.strip().strip("()").strip() for t in re.split(r"\band\b", rule, flags=re.IGNORECASE)]
    columns = [m.group(1) for t in terms if (m := _EQUALITY.match(t))]
    if len(columns) != len(terms):
        return f"exists (select 1 from {new} l where {rule})"
    cols = ", ".join(columns)
    return f"({cols}) in (select {cols} from {new})"


def _changed_and_candidates(con, records: str, changed: str, model_path: Path) -> tuple[pa.Table, pa.Table]:
    """Splink frames of the changed records and of the unchanged ones that share a blocking key
    with one of them under the model's own blocking rules (`predict_between` can pair no others)."""
    rules = json.loads(Path(model_path).read_text(encoding="utf-8"))["blocking_rules_to_generate_predictions"]
    # the changed records first, then their frame: name grams for a million records are not free
    changed_records = f"(select * from {records} where record_id in (select record_id from {changed}))"
    con.execute(f"create or replace temp table _identity_splink_new as {splink_frame_sql(changed_records)}")
    shared = " or ".join(_shares_block(rule["blocking_rule"], "_identity_splink_new") for rule in rules)
    unchanged = f"(select * from {records} where record_id not in (select record_id from {changed}))"
    found = f"select * from ({splink_frame_sql(unchanged, grams=False)}) r where {shared}"
    # the frame of the records found, in `splink_frame_sql`'s column order: one pass over `records`
    candidates = f"""
        select unique_id, name_key, {name_grams_sql("name_key")} as name_grams, * exclude (unique_id, name_key)
        from ({found})"""
    return arrow(con.execute("select * from _identity_splink_new")), arrow(con.execute(candidates))


def score_pairs(
    con, records: str, out: str, model_path: Path, threshold: float, changed: str | None = None
) -> tuple[int, int]:
    """Score record pairs with Splink into the temp table `out` (`record_id_l` < `record_id_r`,
    `match_probability` >= threshold); returns (pairs, records scored).

    con: the connection holding table `records`; `changed`: a table of the `record_id`s of new or
    changed records (only pairs with at least one of them are scored), None scores all records."""
    import duckdb
    from splink import DuckDBAPI, Linker

    if changed is None:
        new, old = arrow(con.execute(splink_frame_sql(records))), None
    else:
        new, old = _changed_and_candidates(con, records, changed, model_path)
    pairs = [
        pa.table(
            {
                "l": pa.array([], pa.int64()),
                "r": pa.array([], pa.int64()),
                "match_probability": pa.array([], pa.float64()),
            }
        )
    ]
    config = _splink_config(con)
    splink_con = duckdb.connect(config=config)
    try:
        splink_con.execute("set enable_progress_bar = false")  # a pipeline log, not a terminal
        db_api = DuckDBAPI(connection=splink_con)
        if new.num_rows and old is None:
            linker = Linker(
                db_api.register(new, dataset_display_name="records"), str(model_path), log_level=None
            )
            result = linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
            pairs.append(_pairs(result))
        elif new.num_rows:
            new_df = db_api.register(new, dataset_display_name="changed")
            linker = Linker(new_df, str(model_path), log_level=None)
            within = linker.inference.predict_within(
                new_df, threshold_match_probability=threshold, warning_mode="never"
            )
            pairs.append(_pairs(within))
            if old.num_rows:
                old_df = db_api.register(old, dataset_display_name="unchanged")
                between = linker.inference.predict_between(
                    new_df, old_df, threshold_match_probability=threshold, warning_mode="never"
                )
                pairs.append(_pairs(between))
    finally:
        splink_con.close()
        if "temp_directory" in config:
            shutil.rmtree(config["temp_directory"], ignore_errors=True)
    con.register("_identity_pairs", pa.concat_tables(pairs, promote_options="permissive"))
    con.execute(f"""
        create or replace temp table {out} as
        select distinct least(l, r) as record_id_l, greatest(l, r) as record_id_r, match_probability
        from _identity_pairs""")
    con.unregister("_identity_pairs")
    return con.execute(f"select count(*) from {out}").fetchall()[0][0], new.num_rows


def _pairs(result) -> pa.Table:
    return arrow(
        result.as_duckdbpyrelation().project("unique_id_l as l, unique_id_r as r, match_probability")
    )
