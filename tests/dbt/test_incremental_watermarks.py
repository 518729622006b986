"""Every model that reads an incremental change set is built before the watermark that marks the
change set as consumed.

The incremental models recompute the keys of a change set (`int_lead_changes`,
`int_contact_changes`) derived from a watermark model (`int_lifecycle_watermark`,
`int_contacts_watermark`) that is built after them: if one of them fails, dbt skips the watermark
and the next run recomputes the failed run's keys too. A consumer that is NOT upstream of its
watermark would silently miss those keys after a failure. Six models read `int_lead_changes` today; a
new one must reach its watermark through `depends_on` (directly or through a model that does).
The consumers are found from the SQL (models and the macros they call, transitively),
the order from dbt's own parse of the project.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from dbt_harness import run_dbt

from ingestion.rules import DBT_PROJECT_DIR

# watermark model -> the change-set model it closes
WATERMARKS = {
    "int_lifecycle_watermark": "int_lead_changes",
    "int_contacts_watermark": "int_contact_changes",
}

MACRO = re.compile(r"{%-?\s*macro\s+(\w+)\s*\((.*?){%-?\s*endmacro", re.DOTALL)


def _macros() -> dict[str, str]:
    """Every macro of the project: name -> body."""
    found = {}
    for path in (DBT_PROJECT_DIR / "macros").rglob("*.sql"):
        for m in MACRO.finditer(path.read_text(encoding="utf-8")):
            found[m.group(1)] = m.group(2)
    return found


def _readers(change_set: str, macros: dict[str, str]) -> set[str]:
    """Names (the change-set model and every macro reading it, transitively) whose use means
    reading the change set."""
    names = {change_set}
    while True:
        more = {name for name, body in macros.items()
                if name not in names and any(re.search(rf"\b{n}\b", body) for n in names)}  # fmt: skip
        if not more:
            return names
        names |= more


def _consumers(change_set: str, watermark: str, macros: dict[str, str]) -> set[str]:
    readers = _readers(change_set, macros)
    found = set()
    for path in (DBT_PROJECT_DIR / "models").rglob("*.sql"):
        if path.stem in (change_set, watermark):
            continue
        sql = path.read_text(encoding="utf-8")
        if any(re.search(rf"\b{name}\b", sql) for name in readers):
            found.add(path.stem)
    return found


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("watermarks")
    result = run_dbt(work, work / "warehouse.duckdb", "parse")
    assert result.returncode == 0, result.stdout[-4000:]
    return json.loads(Path(work / "target" / "manifest.json").read_text(encoding="utf-8"))


def _ancestors(manifest: dict, model: str) -> set[str]:
    nodes = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    by_id = {n["unique_id"]: n for n in nodes.values()}
    seen: set[str] = set()
    todo = [nodes[model]]
    while todo:
        for uid in todo.pop()["depends_on"]["nodes"]:
            if uid in by_id and by_id[uid]["name"] not in seen:
                seen.add(by_id[uid]["name"])
                todo.append(by_id[uid])
    return seen


@pytest.mark.parametrize("watermark", sorted(WATERMARKS))
def test_every_change_set_consumer_is_built_before_its_watermark(manifest, watermark):
    change_set = WATERMARKS[watermark]
    consumers = _consumers(change_set, watermark, _macros())
    assert consumers, f"no model reads {change_set}: the watermark {watermark} closes nothing"
    missing = consumers - _ancestors(manifest, watermark)
    assert not missing, (
        f"{sorted(missing)} read {change_set} but are not upstream of {watermark}: after a failure "
        f"of one of them the watermark would still move and the failed run's keys be lost "
        f"(add `-- depends_on: {{{{ ref('...') }}}}` to {watermark})"
    )


def test_the_known_consumers_are_found():
    """The detection itself: these models are known to read the change sets."""
    macros = _macros()
    assert {"fct_lead_funnel", "fct_opportunities", "fct_lifecycle_events", "int_lead_cycles_bounded"} <= (
        _consumers("int_lead_changes", "int_lifecycle_watermark", macros)
    )
    assert {"int_contact_records", "dim_contacts"} <= _consumers(
        "int_contact_changes", "int_contacts_watermark", macros
    )
