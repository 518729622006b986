"""Staging models agree with the extract contract (ingestion/contracts.yaml), without running dbt.

Owns the static checks that keep the hand-written staging layer a faithful view of the one
contract: one model per entity under the contract's name, deduped on the contract key and
modified_at column, every contract column renamed to its `stg` name, the primary key declared in
the models YAML (read by the singular key test), and the list the singular staging tests loop over.
"""

from __future__ import annotations

import re

import pytest
import yaml

from ingestion.contracts import load_contracts
from ingestion.rules import DBT_PROJECT_DIR

STAGING = DBT_PROJECT_DIR / "models" / "staging"
ENTITIES = load_contracts().entities
LATEST_VERSION = re.compile(
    r"latest_version\(\s*source\('(?P<system>\w+)',\s*'(?P<entity>\w+)'\),\s*key=\[(?P<key>[^\]]*)\]"
    r"(?:,\s*modified_at='(?P<modified_at>\w+)')?(?:,\s*where=\w+)?\s*\)"
)


def _models_yaml(system: str) -> dict[str, dict]:
    doc = yaml.safe_load((STAGING / system / f"_{system}__models.yml").read_text(encoding="utf-8"))
    return {m["name"]: m for m in doc["models"]}


@pytest.mark.parametrize("ent", ENTITIES, ids=lambda e: e.staging_model)
def test_staging_model_dedupes_on_the_contract_key(ent):
    sql = (STAGING / ent.system / f"{ent.staging_model}.sql").read_text(encoding="utf-8")
    m = LATEST_VERSION.search(sql)
    assert m, f"{ent.staging_model} does not dedupe with latest_version(source(...), key=[...])"
    assert (m["system"], m["entity"]) == (ent.system, ent.name)
    assert [k.strip().strip("'") for k in m["key"].split(",")] == list(ent.key)
    assert m["modified_at"] == ent.modified_at


@pytest.mark.parametrize("ent", ENTITIES, ids=lambda e: e.staging_model)
def test_staging_model_renames_every_contract_column(ent):
    sql = (STAGING / ent.system / f"{ent.staging_model}.sql").read_text(encoding="utf-8")
    for col in ent.columns:
        if col.stg == col.name:
            pattern = rf"^\s*(?:\w+\.)?{col.name},?$|\bas {col.stg},?$"
        else:
            pattern = rf"\b{col.name}\b.*\bas {col.stg},?$"
        assert re.search(pattern, sql, re.MULTILINE), (
            f"{ent.staging_model}: {col.name} -> {col.stg} not selected"
        )
    for lineage in ("_batch_id", "_source_file"):
        assert re.search(rf"^\s*{lineage},?$", sql, re.MULTILINE), f"{ent.staging_model} drops {lineage}"


@pytest.mark.parametrize("ent", ENTITIES, ids=lambda e: e.staging_model)
def test_models_yaml_declares_the_primary_key_and_columns(ent):
    model = _models_yaml(ent.system).get(ent.staging_model)
    assert model, f"{ent.staging_model} has no entry in _{ent.system}__models.yml"
    key = [ent.column(k).stg for k in ent.key]
    assert model["config"]["meta"]["primary_key"] == key
    documented = {c["name"] for c in model["columns"]}
    assert {c.stg for c in ent.columns} | {"is_deleted", "_batch_id", "_source_file"} <= documented
    if len(key) == 1:
        (pk,) = [c for c in model["columns"] if c["name"] == key[0]]
        assert {"unique", "not_null"} <= set(pk.get("data_tests", []))


def test_singular_tests_loop_over_every_staging_model():
    macro = (DBT_PROJECT_DIR / "macros" / "staging" / "staging_models.sql").read_text(encoding="utf-8")
    body = macro[macro.index("staging_model_names") : macro.index("endmacro")]
    listed = re.findall(r"'(stg_\w+)'", body)
    assert sorted(listed) == sorted(e.staging_model for e in ENTITIES)
    files = {p.stem for p in STAGING.glob("*/stg_*.sql")}
    assert files == set(listed), "a staging model exists that the contract does not know (or vice versa)"
