"""The extract contract, loaded from `contracts.yaml` (the only copy), and what derives from it.

Owns: column-name normalisation (any style -> snake_case), the typed view of every entity, the DDL
of the raw tables, and the dbt source YAML rendered from the contract (so dbt never keeps a
second copy). The loader, the generator, dbt sources and the docs all read this module.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

CONTRACTS_PATH = Path(__file__).with_name("contracts.yaml")
SYSTEMS = ("ma", "sfa", "cs")

# DuckDB type of each contract type. Money is decimal(18, 2): JPY has no minor unit, but some
# exports carry other currencies (see the `currency` column) and ratios must not round early.
DUCKDB_TYPES = {
    "varchar": "varchar",
    "integer": "integer",
    "bigint": "bigint",
    "double": "double",
    "decimal": "decimal(18, 2)",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp",
}

# Lineage columns appended to every raw table, in this order (see docs/design.md).
LINEAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_extra", "json"),
    ("_batch_id", "varchar"),
    ("_source_file", "varchar"),
    ("_file_hash", "varchar"),
    ("_row_number", "bigint"),
    ("_extract_date", "date"),
    ("_loaded_at", "timestamp"),
)

_CUSTOM_SUFFIX = re.compile(r"__c$", re.IGNORECASE)
_CAMEL_1 = re.compile(r"([A-Z]+)([A-Z][a-z])")
_CAMEL_2 = re.compile(r"([a-z0-9])([A-Z])")
_NON_WORD = re.compile(r"[^0-9a-zA-Z]+")


def normalise_column_name(name: str) -> str:
    """`AccountId`, `account_id`, `ACCOUNT_ID`, `Account Id`, `ＡｃｃｏｕｎｔＩｄ` -> `account_id`.

    Salesforce custom-field suffixes survive as `__c` (`CorporateNumber__c` -> `corporate_number__c`)
    so a custom field never collides with a standard one of the same stem.
    """
    text = unicodedata.normalize("NFKC", name).strip().lstrip("\ufeff")
    suffix = ""
    if _CUSTOM_SUFFIX.search(text):
        text, suffix = _CUSTOM_SUFFIX.sub("", text), "__c"
    text = _CAMEL_1.sub(r"\1_\2", text)
    text = _CAMEL_2.sub(r"\1_\2", text)
    text = _NON_WORD.sub("_", text).strip("_").lower()
    text = re.sub(r"_+", "_", text)
    return (text or "unnamed") + suffix


@dataclass(frozen=True)
class Column:
    source_name: str  # as the source tool spells it (`CorporateNumber__c`)
    name: str  # snake_case, the raw column name (`corporate_number__c`)
    type: str  # contract type (`varchar`, `timestamp`, ...)
    required: bool  # must be in the file header
    not_null: bool  # an empty value sends the row to quarantine
    stg: str  # column name in staging

    @property
    def duckdb_type(self) -> str:
        return DUCKDB_TYPES[self.type]


@dataclass(frozen=True)
class Entity:
    system: str
    name: str  # snake_case entity (`lead_history`): raw table name and Dagster key part
    key: tuple[str, ...]
    modified_at: str | None
    columns: tuple[Column, ...]

    @property
    def raw_table(self) -> str:
        return f"raw_{self.system}.{quote_ident(self.name)}"

    @property
    def staging_model(self) -> str:
        """`stg_<system>__<entity>s` per STYLE.md (`lead_history` -> `stg_sfa__lead_histories`)."""
        plural = self.name[:-1] + "ies" if self.name.endswith("y") else self.name
        if not plural.endswith("s"):
            plural += "s"
        return f"stg_{self.system}__{plural}"

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.system}.{self.name} has no contract column {name!r}")

    @property
    def required_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)


@dataclass(frozen=True)
class Contracts:
    version: int
    timezone_without_offset: str
    entities: tuple[Entity, ...]

    def entity(self, system: str, name: str) -> Entity:
        for ent in self.entities:
            if ent.system == system and ent.name == name:
                return ent
        raise KeyError(f"no contract for {system}/{name}")

    def for_system(self, system: str) -> tuple[Entity, ...]:
        return tuple(e for e in self.entities if e.system == system)

    def match_file_stem(self, system: str, stem: str) -> Entity | None:
        """`LeadHistory` / `lead_history` / `LEADHISTORY` -> the `lead_history` entity (or None)."""
        wanted = normalise_column_name(stem)
        squashed = wanted.replace("_", "")
        for ent in self.for_system(system):
            if wanted == ent.name or squashed == ent.name.replace("_", ""):
                return ent
        return None


@lru_cache(maxsize=4)
def load_contracts(path: Path = CONTRACTS_PATH) -> Contracts:
    doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    entities = []
    for system, ents in doc["systems"].items():
        for ent_name, spec in ents.items():
            cols = []
            for src_name, col in spec["columns"].items():
                snake = normalise_column_name(src_name)
                cols.append(
                    Column(
                        source_name=src_name,
                        name=snake,
                        type=col["type"],
                        required=bool(col.get("required", False)),
                        not_null=bool(col.get("not_null", False)),
                        stg=col.get("stg", snake),
                    )
                )
            entity = Entity(
                system=system,
                name=ent_name,
                key=tuple(spec["key"]),
                modified_at=spec.get("modified_at"),
                columns=tuple(cols),
            )
            for k in (*entity.key, *([entity.modified_at] if entity.modified_at else [])):
                entity.column(k)  # fail fast on a typo in the contract
            entities.append(entity)
    return Contracts(
        version=int(doc["version"]),
        timezone_without_offset=doc["timezone_without_offset"],
        entities=tuple(entities),
    )


def quote_ident(name: str) -> str:
    """Quote an identifier for DuckDB (entity `user` is a keyword in most SQL dialects)."""
    return '"' + name.replace('"', '""') + '"'


def raw_table_ddl(entity: Entity) -> str:
    cols = [f"{quote_ident(c.name)} {c.duckdb_type}" for c in entity.columns]
    cols += [f"{name} {typ}" for name, typ in LINEAGE_COLUMNS]
    return (
        f"create schema if not exists raw_{entity.system};\n"
        f"create table if not exists {entity.raw_table} (\n    " + ",\n    ".join(cols) + "\n);"
    )


def render_dbt_sources(system: str, contracts: Contracts | None = None) -> str:
    """The `_<system>__sources.yml` of dbt, rendered from the contract (never edited by hand)."""
    contracts = contracts or load_contracts()
    tables = []
    for ent in contracts.for_system(system):
        columns = []
        for c in ent.columns:
            col: dict = {
                "name": c.name,
                "description": f"`{c.source_name}` ({c.type})",
                "data_type": c.duckdb_type,
            }
            if c.not_null:
                col["data_tests"] = ["not_null"]
            columns.append(col)
        for name, typ in LINEAGE_COLUMNS:
            columns.append({"name": name, "description": "lineage (docs/design.md)", "data_type": typ})
        tables.append(
            {
                "name": ent.name,
                "identifier": ent.name,
                "description": (
                    f"Raw {system.upper()} `{ent.name}` extract rows, append-only. Key: "
                    f"{', '.join(ent.key)}; latest version by {ent.modified_at or '_extract_date'}."
                ),
                "meta": {"dagster": {"asset_key": [system, ent.name]}, "contract_key": list(ent.key)},
                "columns": columns,
            }
        )
    doc = {
        "version": 2,
        "sources": [
            {
                "name": system,
                "schema": f"raw_{system}",
                "description": f"{system.upper()} extracts as loaded by ingestion/loader.py.",
                "loaded_at_field": "_loaded_at",
                "tables": tables,
            }
        ],
    }
    header = (
        "# GENERATED from ingestion/contracts.yaml by `ssot contracts sync`. Do not edit by hand:\n"
        "# change the contract and re-run the command (tests/test_contracts.py checks they agree).\n"
    )
    return header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=110)


def dbt_sources_path(project_root: Path, system: str) -> Path:
    return project_root / "dbt_project" / "models" / "staging" / system / f"_{system}__sources.yml"


def sync_dbt_sources(project_root: Path) -> list[Path]:
    """Write every system's sources YAML; returns the paths written."""
    written = []
    for system in SYSTEMS:
        path = dbt_sources_path(project_root, system)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_dbt_sources(system), encoding="utf-8")
        written.append(path)
    return written
