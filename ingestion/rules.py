"""The business rules as Python sees them: the `vars:` of dbt_project/dbt_project.yml.

That file is the one versioned configuration (MQL threshold, SLA hours, bands, ...); Python code
(generator realism bands, identity, reports, KPI recomputation tests) reads it here instead of
keeping its own numbers.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


@lru_cache(maxsize=1)
def business_rules() -> dict:
    doc = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    return dict(doc["vars"])


def rules_version() -> str:
    return str(business_rules()["ssot_rules_version"])
