"""The extract contract is the only copy: dbt sources are generated from it and must agree."""

from __future__ import annotations

import duckdb
import pytest

from ingestion.contracts import (
    SYSTEMS,
    dbt_sources_path,
    load_contracts,
    normalise_column_name,
    raw_table_ddl,
    render_dbt_sources,
)
from ingestion.rules import business_rules
from orchestration.settings import PROJECT_ROOT


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("AccountId", "account_id"),
        ("account_id", "account_id"),
        ("ACCOUNT_ID", "account_id"),
        ("Account Id", "account_id"),
        ("ＡｃｃｏｕｎｔＩｄ", "account_id"),
        ("\ufeffId", "id"),
        ("MA_Lead_Id__c", "ma_lead_id__c"),
        ("CorporateNumber__c", "corporate_number__c"),
        ("NumberOfEmployees", "number_of_employees"),
        ("StartDateTime", "start_date_time"),
        ("  created-at ", "created_at"),
    ],
)
def test_column_names_match_in_any_style(raw, expected):
    assert normalise_column_name(raw) == expected


@pytest.mark.parametrize("system", SYSTEMS)
def test_dbt_sources_are_generated_from_the_contract(system):
    path = dbt_sources_path(PROJECT_ROOT, system)
    assert path.read_text(encoding="utf-8") == render_dbt_sources(system), (
        f"{path} is out of date: run `ssot contracts sync`"
    )


def test_every_entity_of_extracts_md_is_in_the_contract():
    contracts = load_contracts()
    names = {(e.system, e.name) for e in contracts.entities}
    assert names == {
        ("ma", "leads"), ("ma", "activities"), ("ma", "campaigns"), ("ma", "campaign_members"),
        ("sfa", "account"), ("sfa", "contact"), ("sfa", "lead"), ("sfa", "lead_history"), ("sfa", "task"),
        ("sfa", "event"), ("sfa", "opportunity"), ("sfa", "opportunity_history"), ("sfa", "user"),
        ("cs", "customers"), ("cs", "subscriptions"), ("cs", "health_scores"), ("cs", "tickets"),
    }  # fmt: skip
    for entity in contracts.entities:
        assert entity.key, entity
        assert all(entity.column(k).not_null for k in entity.key), f"{entity.name}: keys must be not_null"


def test_raw_tables_can_be_created_for_every_entity(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    for entity in load_contracts().entities:
        con.execute(raw_table_ddl(entity))
        cols = [r[0] for r in con.execute(f"describe {entity.raw_table}").fetchall()]
        assert cols[: len(entity.columns)] == [c.name for c in entity.columns]
        assert "_batch_id" in cols and "_extra" in cols


def test_business_rules_are_versioned():
    rules = business_rules()
    assert rules["ssot_rules_version"]
    assert rules["mql_score_threshold"] == 80 and rules["is_first_contact_sla_hours"] == 24
