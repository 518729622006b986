"""Identity-resolution settings: where each value comes from, in one place.

Owns: the match thresholds (read from the business rules, i.e. the `vars:` of dbt_project.yml, with
the defaults below until the `identity_*` vars are added there), the paths of the versioned Splink
model and of the steward file, and the output table names.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from ingestion.rules import business_rules, rules_version

PACKAGE_DIR = Path(__file__).resolve().parent
MODEL_PATH = PACKAGE_DIR / "models" / "company_splink_model.json"
STEWARD_PATH = PACKAGE_DIR / "steward_links.csv"

# Used only while dbt_project.yml has no `identity_*` var of the same name (see module docstring).
DEFAULT_RULES = {
    # a Splink pair at or above this probability links two records
    "identity_match_probability": 0.90,
    # pairs in [low, match) are not linked and go to core.company_match_review
    "identity_review_probability": 0.50,
    # a cross-system id (sfa_account_id, converted_account_id, ...) is ignored as evidence when the
    # two names are this dissimilar (character-bigram Dice of the name keys, same script) and nothing else
    # (domain, phone, corporate number) agrees
    "identity_xref_min_name_similarity": 0.60,
}

SCHEMA = "core"
CROSSWALK = f"{SCHEMA}.company_crosswalk"
HISTORY = f"{SCHEMA}.company_id_history"
REDIRECTS = f"{SCHEMA}.company_id_redirects"
REVIEW = f"{SCHEMA}.company_match_review"
RECORD_STATE = f"{SCHEMA}.company_record_state"
EDGE_CACHE = f"{SCHEMA}.company_match_edges"
RULE_EDGES = f"{SCHEMA}.company_rule_edges"
REFUSED_EDGES = f"{SCHEMA}.company_refused_edges"
RUNS = f"{SCHEMA}.company_resolution_runs"


def _rule(name: str) -> float:
    return float(business_rules().get(name, DEFAULT_RULES[name]))


@dataclass(frozen=True)
class IdentitySettings:
    match_probability: float = field(default_factory=lambda: _rule("identity_match_probability"))
    review_probability: float = field(default_factory=lambda: _rule("identity_review_probability"))
    xref_min_name_similarity: float = field(
        default_factory=lambda: _rule("identity_xref_min_name_similarity")
    )
    rules_version: str = field(default_factory=rules_version)
    model_path: Path = MODEL_PATH
    steward_path: Path = STEWARD_PATH

    @property
    def model_version(self) -> str:
        """Content hash of the model file: cached scores are reused only under the same model."""
        return hashlib.sha256(Path(self.model_path).read_bytes()).hexdigest()[:12]
