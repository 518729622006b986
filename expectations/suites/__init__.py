"""Versioned data-quality suites: what a suite is, and where a suite for an asset comes from.

A suite is the set of checks for one asset (`<schema>.<table>`), written as Python in
`expectations/suites/<schema>/<table>.py` (a module-level `SUITE`), or built at run time for an
asset whose columns are not known in advance by `expectations/suites/<schema>/_default.py`
(`build_suite(con, asset)`; the KPI marts use this, selecting columns by naming convention).

Each suite has a hand-bumped `version` and every check a content hash of its definition, both
stamped on every result: an auditor can tell which definition produced which result.
Thresholds and vocabularies come from the one business configuration where it has them
(`ingestion.rules.business_rules()`, dbt seeds) and otherwise are declared in the suite.
"""

from __future__ import annotations

import csv
import hashlib
import importlib
import json
import pkgutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingestion.rules import DBT_PROJECT_DIR, business_rules

SUITES_DIR = Path(__file__).parent
RAW_SCHEMAS = ("raw_ma", "raw_sfa", "raw_cs")

# How each check kind runs. Column-wise row checks go through Great Expectations on a pandas
# frame read from DuckDB (GX 1.x cannot validate DuckDB through SQL); set-based checks that
# compare days or columns are plain SQL.
GX_KINDS = ("not_null_share", "in_set", "between", "timestamp_range")
SQL_KINDS = ("volume_vs_trailing", "funnel_monotonic", "day_over_day", "row_count")


@dataclass(frozen=True)
class CheckDef:
    name: str
    kind: str
    column: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    severity: str = "error"
    description: str = ""

    def __post_init__(self) -> None:
        if self.kind not in GX_KINDS + SQL_KINDS:
            raise ValueError(f"unknown check kind {self.kind!r}")
        if self.severity not in ("error", "warn"):
            raise ValueError(f"unknown severity {self.severity!r}")

    @property
    def source(self) -> str:
        return "great_expectations" if self.kind in GX_KINDS else "sql"

    def definition(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "column": self.column,
            "params": self.params,
            "severity": self.severity,
        }

    @property
    def definition_hash(self) -> str:
        return _hash(self.definition())


@dataclass(frozen=True)
class Suite:
    asset: str  # `<schema>.<table>`
    version: str
    checks: tuple[CheckDef, ...]
    description: str = ""
    # Raw suites validate one extract date (`_extract_date`); None = the whole table.
    partition_column: str | None = None
    # Columns shown beside a failing value in a sample (keys and lineage: file and line).
    sample_columns: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        names = [c.name for c in self.checks]
        if len(names) != len(set(names)):
            raise ValueError(f"{self.asset}: duplicate check names in {names}")

    @property
    def schema(self) -> str:
        return self.asset.split(".", 1)[0]

    @property
    def table(self) -> str:
        return self.asset.split(".", 1)[1]

    @property
    def definition_hash(self) -> str:
        return _hash({"asset": self.asset, "checks": [c.definition() for c in self.checks]})


def _hash(obj: Any) -> str:
    text = json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def vocabulary(name: str, fallback: list[str]) -> tuple[list[str], str]:
    """A reference list by name: the dbt var `<name>`, else the seed `seeds/<name>.csv` (first
    column), else the suite's declared fallback. Returns the values and where they came from."""
    rules = business_rules()
    if isinstance(rules.get(name), list):
        return [str(v) for v in rules[name]], f"dbt_project.yml vars.{name}"
    seed = DBT_PROJECT_DIR / "seeds" / f"{name}.csv"
    if seed.exists():
        with seed.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        return [r[0] for r in rows[1:] if r and r[0]], f"seeds/{name}.csv"
    return list(fallback), "suite fallback (EXTRACTS.md)"


def _module(schema: str, name: str):
    try:
        return importlib.import_module(f"expectations.suites.{schema}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("expectations.suites"):
            return None
        raise


def load_suite(con, asset: str) -> Suite:
    """The suite of `asset`: its own module, else its schema's `_default.build_suite`."""
    schema, _, table = asset.partition(".")
    if not table:
        raise ValueError(f"suite name must be '<schema>.<table>', got {asset!r}")
    mod = _module(schema, table)
    if mod is not None:
        return mod.build_suite(con, asset) if hasattr(mod, "build_suite") else mod.SUITE
    default = _module(schema, "_default")
    if default is None:
        raise KeyError(f"no suite for {asset} (expectations/suites/{schema}/{table}.py)")
    return default.build_suite(con, asset)


def declared_suites(schema: str) -> list[str]:
    """Assets with their own suite module under `suites/<schema>/`."""
    folder = SUITES_DIR / schema
    if not folder.is_dir():
        return []
    return sorted(
        f"{schema}.{m.name}" for m in pkgutil.iter_modules([str(folder)]) if not m.name.startswith("_")
    )


def suites_for_layer(con, layer: str) -> list[str]:
    """Suite names of a layer: 'raw' (all raw schemas), 'raw_ma', ..., 'kpi_build' (every table
    in the schema, so a new KPI mart is checked by convention the day it appears)."""
    schemas = RAW_SCHEMAS if layer == "raw" else (layer,)
    names: set[str] = set()
    for schema in schemas:
        names.update(declared_suites(schema))
        if (SUITES_DIR / schema / "_default.py").exists():
            rows = con.execute(
                "select table_name from information_schema.tables where table_schema = ? order by 1",
                [schema],
            ).fetchall()
            names.update(f"{schema}.{r[0]}" for r in rows)
    return sorted(names)
