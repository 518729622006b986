"""What stewards look at: core.company_refused_edges and core.company_match_review.

Owns: the refused edges (every edge the clustering constraints refused; `conflict` marks an edge
between two records whose own valid corporate numbers differ: it is refused whatever happens, so
runs keep it out of the clustering and refuse it here, see clustering.conflict_sql) and the review
rows made from the refused links, from Splink pairs between the review and the match probability
that ended in two companies, and from cross-references the names contradict.
An incremental run writes only what can have changed: the refusals of the components it
clustered again, the conflicts of edges it changed, and the review rows of the pairs of affected
records and of the refusals that changed (`review_rows`). Rows it writes carry its `resolved_at`;
the others keep theirs.
"""

from __future__ import annotations

from datetime import datetime

from identity import config as cfg
from identity import incremental as inc
from identity.clustering import conflict_sql

CONFLICTS = "_identity_conflicts"
_KEY = ("source_system", "source_entity", "source_record_id")
_KEY_COLS = ", ".join(_KEY)
_REFUSED_COLUMNS = ["record_id_l", "record_id_r", "method", "match_probability", "reason", "conflict"]
_REVIEWED_REFUSALS = "'steward', 'xref', 'splink'"  # refused rule edges of other kinds are no news
_AFFECTED = "_identity_affected"


def _key_order(a: str, b: str) -> tuple[str, str]:
    """SQL of (left, right) record ids of the edge between ends `a` and `b` (aliases with
    `record_id`, `record_key`): a Splink pair is stored by id, but shown and refused in key order
    like every other order; other edges have their own direction (a group's first record, the
    record naming the other, the steward's left)."""
    swap = f"e.method = 'splink' and {a}.record_key > {b}.record_key"
    return (
        f"case when {swap} then {b}.record_id else {a}.record_id end",
        f"case when {swap} then {a}.record_id else {b}.record_id end",
    )


def mark_conflicts(con, incremental: bool) -> None:
    """CONFLICTS: the links between two different valid corporate numbers (a full run: all of them;
    an incremental one: those of changed records and of rule edges it added; nothing else changed)."""
    if incremental:
        dirty = inc.ids_in(inc.DIRTY)
        con.execute(f"""
            create or replace temp table _identity_candidates as
            select record_id_l, record_id_r, method, match_probability
            from ({inc.touching(f"(select * from {inc.EDGES} where link)", dirty)})
            union select record_id_l, record_id_r, method, 1.0 from {inc.RULES_ADD} where accepted""")
        links = "_identity_candidates"
        # the numbers of their records, read in one pass
        con.execute(f"""
            create or replace temp table _identity_numbers as
            select record_id, record_key, corporate_number from {inc.RECORDS} where record_id in (
                select record_id_l from {links} union all select record_id_r from {links})""")
        ends = "_identity_numbers"
    else:
        links = f"(select record_id_l, record_id_r, method, match_probability from {inc.EDGES} where link)"
        ends = inc.RECLUSTER
    left, right = _key_order("a", "b")
    con.execute(f"""
        create or replace temp table {CONFLICTS} as
        select {left} as record_id_l, {right} as record_id_r, e.method, e.match_probability,
            'corporate_number_conflict' as reason, true as conflict
        from {links} e
        join {ends} a on a.record_id = e.record_id_l join {ends} b on b.record_id = e.record_id_r
        where {conflict_sql("a.corporate_number", "b.corporate_number")}""")


def refused_changes(con, incremental: bool, refused: str) -> None:
    """`_identity_refused_del` / `_add`: the refused edges to remove and to add (a full run adds
    them all): `refused` (this run's clustering refusals) and CONFLICTS against what was there."""
    new = f"select * from {refused} union all select * from {CONFLICTS}"
    if not incremental:
        con.execute(f"create or replace temp view _identity_refused_add as {new}")
        return
    redone = f"(select record_id from {inc.RECLUSTER} union all select record_id from {inc.GONE})"
    dirty = inc.ids_in(inc.DIRTY)
    rule_diff = f"(select * from {inc.RULES_DEL} union all select * from {inc.RULES_ADD})"
    old = f"""
        select * from {cfg.REFUSED_EDGES}
        where not conflict and (record_id_l in {redone} or record_id_r in {redone})
        union all
        select * from {cfg.REFUSED_EDGES} where conflict and (record_id_l in {dirty} or record_id_r in {dirty})
        union all
        select c.* from {cfg.REFUSED_EDGES} c semi join {rule_diff} d using (record_id_l, record_id_r, method)
        where c.conflict"""
    # Rows compared by pair and a hash of the whole row: the re-clustered components of a million
    # records refuse ~900k links, and comparing every column of them took a second per direction.
    cols = ", ".join(_REFUSED_COLUMNS)
    for name, rows in (("old", old), ("new", new)):
        con.execute(f"""
            create or replace temp table _identity_refused_{name} as
            select {cols}, hash({cols}) as row_hash from ({rows})""")
    for name, a, b in (("del", "old", "new"), ("add", "new", "old")):
        con.execute(f"""
            create or replace temp table _identity_refused_{name} as
            select {cols} from _identity_refused_{a}
            anti join _identity_refused_{b} using (record_id_l, record_id_r, row_hash)""")


def _refused_now(incremental: bool, where: str) -> str:
    """SQL of this run's refused edges (`where` applied)."""
    if not incremental:
        return f"select * from _identity_refused_add where {where}"
    return f"""
        select * from (select * from {cfg.REFUSED_EDGES} where {where}) anti join _identity_refused_del
            using ({", ".join(_REFUSED_COLUMNS)})
        union all select * from _identity_refused_add where {where}"""


def review_rows(con, incremental: bool, match_probability: float, assigned: str, moved: str) -> None:
    """`_identity_review_rows`: the review rows to write. A full run: all. An incremental run: those
    of the pairs with an affected record (normalised again: its pairs were rebuilt and its name may
    differ; gone; or in `moved`, a table of the records whose company changed) and those of the
    reviewed refusals that changed (`_identity_review_gone`: the rows they replace). Nothing else
    can differ: a conflict with a reviewed method always has a changed record. `assigned` holds
    this run's company of each re-clustered record."""
    affected = "true"
    if incremental:
        con.execute(f"""
            create or replace temp table {_AFFECTED} as
            select record_id, {_KEY_COLS} from {inc.RECORDS}
            where record_id in (select record_id from {inc.NORMALISED} union select record_id from {moved})
            union all select record_id, {_KEY_COLS} from {inc.GONE}""")
        affected = f"(record_id_l in {inc.ids_in(_AFFECTED)} or record_id_r in {inc.ids_in(_AFFECTED)})"
    reviewed = f"method in ({_REVIEWED_REFUSALS})"
    pairs = f"""
        select record_id_l, record_id_r, match_probability, 'splink' as method,
            'probability_band' as reason
        from {inc.EDGES} where method = 'splink' and not link and {affected}
        union all
        select record_id_l, record_id_r, cast(null as double), 'xref', 'xref_contradicted_by_name'
        from {inc.EDGES} where method = 'xref' and not link and {affected}
        union all
        select record_id_l, record_id_r, match_probability, method, reason
        from ({_refused_now(incremental, f"{reviewed} and {affected}")})"""
    if incremental:
        pairs += f"""
        union all
        select record_id_l, record_id_r, match_probability, method, reason
        from _identity_refused_add where {reviewed} and not {affected}"""
    con.execute(f"create or replace temp table _identity_pairs as {pairs}")
    # company of every pair end: this run's for re-clustered records, the crosswalk's for the others
    company, crosswalk = "a.company_id", ""
    if incremental:
        company = "coalesce(a.company_id, c.company_id)"
        crosswalk = f"left join {cfg.CROSSWALK} c using ({_KEY_COLS})"
    ends = "(select record_id_l from _identity_pairs union all select record_id_r from _identity_pairs)"
    con.execute(f"""
        create or replace temp table _identity_ends as
        select r.record_id, r.record_key, {", ".join(f"r.{c}" for c in _KEY)}, r.company_name,
            {company} as company_id
        from (select * from {inc.RECORDS} where record_id in {ends}) r
        left join {assigned} a using (record_id) {crosswalk}""")
    sides = [
        f"{side}.{c} as {prefix}_{c}"
        for side, prefix in (("a", "left"), ("b", "right"))
        for c in (*_KEY, "company_name", "company_id")
    ]
    left, right = _key_order("x", "y")
    con.execute(f"""
        create or replace temp table _identity_review_rows as
        select {", ".join(sides)}, e.match_probability, e.method as match_method, e.reason
        from (
            select {left} as record_id_l, {right} as record_id_r, e.* exclude (record_id_l, record_id_r)
            from _identity_pairs e
            join _identity_ends x on x.record_id = e.record_id_l join _identity_ends y on y.record_id = e.record_id_r
        ) e
        join _identity_ends a on a.record_id = e.record_id_l
        join _identity_ends b on b.record_id = e.record_id_r
        where e.reason <> 'probability_band' or a.company_id <> b.company_id""")
    if incremental:
        left, right = (
            ", ".join(f"{t}.{c} as {side}_{c}" for c in _KEY) for t, side in (("a", "left"), ("b", "right"))
        )
        con.execute(f"""
            create or replace temp table _identity_review_gone as
            select {left}, {right}, d.method, d.reason from _identity_refused_del d
            join {inc.RECORDS} a on a.record_id = d.record_id_l
            join {inc.RECORDS} b on b.record_id = d.record_id_r
            where d.{reviewed}
                and d.record_id_l not in {inc.ids_in(_AFFECTED)} and d.record_id_r not in {inc.ids_in(_AFFECTED)}""")


def write(con, incremental: bool, settings, resolved_at: datetime) -> None:
    """Refused edges and review rows (inside the run's transaction)."""
    stamp = f"'{settings.model_version}' as model_version, '{settings.rules_version}' as rules_version"
    stamp += ", ?::timestamp as resolved_at"
    if not incremental:
        con.execute(f"create or replace table {cfg.REFUSED_EDGES} as select * from _identity_refused_add")
        con.execute(
            f"create or replace table {cfg.REVIEW} as select *, {stamp} from _identity_review_rows",
            [resolved_at],
        )
        return
    same = " and ".join(f"t.{c} is not distinct from d.{c}" for c in _REFUSED_COLUMNS)
    con.execute(f"delete from {cfg.REFUSED_EDGES} t using _identity_refused_del d where {same}")
    con.execute(f"insert into {cfg.REFUSED_EDGES} by name select * from _identity_refused_add")
    for side in ("left", "right"):  # one delete per side: an OR of the two would be a nested loop
        same = " and ".join(f"t.{side}_{c} = d.{c}" for c in _KEY)
        con.execute(f"delete from {cfg.REVIEW} t using {_AFFECTED} d where {same}")
    same = " and ".join(f"t.{side}_{c} = d.{side}_{c}" for side in ("left", "right") for c in _KEY)
    con.execute(f"""
        delete from {cfg.REVIEW} t using _identity_review_gone d
        where {same} and t.match_method = d.method and t.reason = d.reason""")
    con.execute(
        f"insert into {cfg.REVIEW} by name select *, {stamp} from _identity_review_rows", [resolved_at]
    )
