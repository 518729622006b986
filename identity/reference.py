"""The identity reference lists, read from the dbt seeds (the ONE copy of each list).

Owns: loading `dbt_project/seeds/free_mail_domains.csv` and `legal_entity_tokens.csv`. dbt loads the
same files as `reference.free_mail_domains` / `reference.legal_entity_tokens`, so SQL models and
this Python step never disagree about what is a free-mail domain or a legal-entity token.
"""

from __future__ import annotations

import csv
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ingestion.rules import DBT_PROJECT_DIR

SEEDS_DIR = DBT_PROJECT_DIR / "seeds"
FREE_MAIL_SEED = SEEDS_DIR / "free_mail_domains.csv"
LEGAL_TOKENS_SEED = SEEDS_DIR / "legal_entity_tokens.csv"


@dataclass(frozen=True)
class ReferenceLists:
    free_mail_domains: frozenset[str]
    # Japanese tokens are removed wherever they occur (they never occur inside a trade name);
    # Latin tokens only as whole trailing words.
    ja_legal_tokens: tuple[str, ...]
    latin_legal_tokens: tuple[tuple[str, ...], ...]


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@lru_cache(maxsize=4)
def load_reference(seeds_dir: Path = SEEDS_DIR) -> ReferenceLists:
    free = frozenset(
        r["domain"].strip().lower() for r in _rows(seeds_dir / FREE_MAIL_SEED.name) if r["domain"].strip()
    )
    ja: list[str] = []
    latin: list[tuple[str, ...]] = []
    for row in _rows(seeds_dir / LEGAL_TOKENS_SEED.name):
        token = unicodedata.normalize("NFKC", row["token"]).strip().lower()
        if not token:
            continue
        if row["script"].strip() == "latin":
            latin.append(tuple(token.replace(".", "").split()))
        else:
            ja.append(token)
    # Longest first so `特定非営利活動法人` wins over any shorter token it contains.
    ja.sort(key=len, reverse=True)
    latin.sort(key=len, reverse=True)
    return ReferenceLists(free, tuple(ja), tuple(latin))
