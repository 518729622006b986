"""Incremental runs: after new, changed and deleted records, the result equals a full refresh."""

from __future__ import annotations

import random
import shutil

import duckdb
import pandas as pd
import pytest

from identity import records
from identity.evaluate import _subset
from identity.normalize import corporate_number_check_digit
from identity.resolve import resolve_companies
from identity.synthetic import make_staging_frames, write_staging

_KEY = "source_system || '|' || source_entity || '|' || source_record_id"


def _corp(base: str) -> str:
    return f"{corporate_number_check_digit(base)}{base}"


CORP_A, CORP_B = _corp("555555555555"), _corp("666666666666")
OTHER_CORPS = [_corp(f"7{i:011d}") for i in range(6)]

# Hand-made records next to the synthetic ones, each for one way a change reaches old evidence.
UNIQUE_NAME = [  # one name, one domain: linked by `name_unique` only (no prefecture, no phone)
    {"lead_id": "U1", "company_name": "株式会社ユニクネム", "email": "a@uniq-name.co.jp"},
    {"lead_id": "U2", "company_name": "ユニクネム", "email": "b@gmail.com"},
]
# another domain for the same name: the name is no longer unique, and U1-U2 loses its edge
BREAKS_UNIQUE_NAME = {"lead_id": "U3", "company_name": "(株)ユニクネム", "email": "c@other-uniq.co.jp"}
CORPORATE = [
    {
        "account_id": "A1",
        "account_name": "アルファベット商事",
        "corporate_number": CORP_A,
        "website": "alfa.co.jp",
    },
    {
        "account_id": "A2",
        "account_name": "ブラボー工業",
        "corporate_number": CORP_B,
        "website": "bravo.co.jp",
    },
]
# a lead with A1's number, renumbered to A2's in the second run (the name says neither)
MOVES = {"lead_id": "N1", "company_name": "ジーエヌ", "email": "n@gmail.com"}
# Two name + domain groups of three companies (three numbers: every rule edge is a conflict). The
# second run adds a first record to G (its edges now start there) and deletes the first of H (its
# edges now start at H2): rule edges between unchanged records come and go.
GROUPS = [
    {"account_id": f"{g}{i}", "account_name": name, "website": site, "corporate_number": OTHER_CORPS[n]}
    for n, (g, i, name, site) in enumerate(
        (g, i, name, site)
        for g, name, site in (
            ("G", "ジーグループ商事", "g-group.co.jp"),
            ("H", "エイチ物産", "h-group.co.jp"),
        )
        for i in (1, 2, 3)
    )
]
NEW_FIRST = {"account_id": "G0", "account_name": "ジーグループ商事", "website": "g-group.co.jp"}
# One name + domain group whose records disagree on everything else (no Splink pair): L1-L2 is a
# conflict, so L2 stands alone. Deleting L1 moves the group's edges to L2: L2-L3 now joins two
# components that no changed record belongs to.
_L = {"account_name": "エルグループ", "website": "l-group.co.jp"}
RECENTRED = [
    _L | {"account_id": "L1", "corporate_number": _corp("888888888888"), "prefecture": "北海道"},
    _L
    | {
        "account_id": "L2",
        "corporate_number": _corp("999999999999"),
        "prefecture": "沖縄県",
        "phone": "0988888888",
    },
    _L | {"account_id": "L3", "prefecture": "東京都", "phone": "0355555555", "industry": "it"},
]
# Two companies sharing domain, phone and more, with dissimilar names: each lead joins its account
# by name, and Splink links across. The first run refuses the cross links for the two numbers;
# after R1 loses its number the second refuses them for the names: same companies, other reason.
_SHARED = {"phone": "0311112222", "prefecture": "東京都", "industry": "it", "employees": "100"}
REASONS = {
    "stg_sfa__accounts": [
        {"account_id": "R1", "account_name": "アルファベータ", "website": "shared.co.jp", **_SHARED},
        {"account_id": "S1", "account_name": "ゼットワイ", "website": "shared.co.jp", **_SHARED}
        | {"corporate_number": _corp("121212121212")},
    ],
    "stg_ma__leads": [
        {"lead_id": "RU1", "company_name": "アルファベータ", "email": "u@shared.co.jp", **_SHARED},
        {"lead_id": "SW1", "company_name": "ゼットワイ", "email": "w@shared.co.jp", **_SHARED},
    ],
}


def _first_and_second(frames: dict[str, pd.DataFrame]) -> tuple[dict, dict]:
    """Staging for the first run (99 % of the records) and the second (all + changes - deletions)."""
    rng = random.Random(5)
    first = _subset(frames, 0.01)
    first["stg_ma__leads"] = pd.concat(
        [
            first["stg_ma__leads"],
            pd.DataFrame([*UNIQUE_NAME, MOVES | {"corporate_number": CORP_A}, *REASONS["stg_ma__leads"]]),
        ],
        ignore_index=True,
    )
    numbered = [
        REASONS["stg_sfa__accounts"][0] | {"corporate_number": CORP_A},
        REASONS["stg_sfa__accounts"][1],
    ]
    first["stg_sfa__accounts"] = pd.concat(
        [first["stg_sfa__accounts"], pd.DataFrame(CORPORATE + GROUPS + numbered + RECENTRED)],
        ignore_index=True,
    )

    second = {name: frame.copy() for name, frame in frames.items()}
    leads = second["stg_ma__leads"]
    names = leads["company_name"].dropna().tolist()
    moved = rng.sample(range(len(leads)), len(leads) // 100)  # 1 % get another company's name
    leads.loc[moved, "company_name"] = [rng.choice(names) for _ in moved]
    gone = rng.sample(range(len(leads)), len(leads) // 200)  # 0.5 % deleted
    leads = leads.drop(index=gone)
    extra = [
        *UNIQUE_NAME,
        BREAKS_UNIQUE_NAME,
        MOVES | {"corporate_number": CORP_B},
        *REASONS["stg_ma__leads"],
    ]
    second["stg_ma__leads"] = pd.concat([leads, pd.DataFrame(extra)], ignore_index=True)

    accounts = second["stg_sfa__accounts"]
    phones = rng.sample(range(len(accounts)), max(2, len(accounts) // 100))
    accounts.loc[phones, "phone"] = [f"03{rng.randint(10000000, 99999999)}" for _ in phones]
    flipped = rng.sample(range(len(accounts)), 3)  # raw change that matching does not see
    accounts.loc[flipped, "is_deleted"] = ~accounts.loc[flipped, "is_deleted"].astype(bool)
    # deleted accounts are the targets of cross-references (CS, SFA leads): those edges go too
    accounts = accounts.drop(index=rng.sample(range(len(accounts)), max(2, len(accounts) // 200)))
    groups = [g for g in GROUPS if g["account_id"] != "H1"] + [NEW_FIRST, *REASONS["stg_sfa__accounts"]]
    groups += RECENTRED[1:]
    second["stg_sfa__accounts"] = pd.concat([accounts, pd.DataFrame(CORPORATE + groups)], ignore_index=True)
    return first, second


def _crosswalk(con) -> dict[str, tuple]:
    rows = con.execute(
        f"select {_KEY}, company_id, match_method, match_probability from core.company_crosswalk"
    ).fetchall()
    return {k: (c, m, None if p is None else round(p, 9)) for k, c, m, p in rows}


def _partition(crosswalk: dict[str, tuple]) -> set[frozenset]:
    members: dict[str, set] = {}
    for key, (company, *_) in crosswalk.items():
        members.setdefault(company, set()).add(key)
    return {frozenset(m) for m in members.values()}


def _review(con) -> list[tuple]:
    rows = con.execute(
        """select left_source_system, left_source_entity, left_source_record_id, left_company_name,
            right_source_system, right_source_entity, right_source_record_id, right_company_name,
            round(match_probability, 9), match_method, reason
        from core.company_match_review"""
    ).fetchall()
    return sorted(rows, key=repr)


def _refused(con) -> list[tuple]:
    # records are named by their state ids, which a full refresh gives out anew: compare keys
    rows = con.execute(
        """select a.record_key, b.record_key, e.method, round(e.match_probability, 9), e.reason, e.conflict
        from core.company_refused_edges e
        join core.company_record_state a on a.record_id = e.record_id_l
        join core.company_record_state b on b.record_id = e.record_id_r"""
    ).fetchall()
    return sorted(rows, key=repr)


def _last_events(con) -> list[tuple]:
    return sorted(
        con.execute(
            """select event, record_count from core.company_id_history
            where run_id = (select run_id from core.company_resolution_runs order by resolved_at desc limit 1)"""
        ).fetchall()
    )


def test_incremental_run_equals_full_refresh(tmp_path, settings):
    frames, _ = make_staging_frames(300, seed=13)
    first, second = _first_and_second(frames)
    inc_path, full_path = tmp_path / "incremental.duckdb", tmp_path / "full.duckdb"
    con = duckdb.connect(str(inc_path))
    write_staging(con, first)
    initial = resolve_companies(con, settings=settings)
    assert not initial["incremental"]
    before = _crosswalk(con)
    assert before["ma|leads|U1"][0] == before["ma|leads|U2"][0]
    assert before["ma|leads|N1"][0] == before["sfa|account|A1"][0]
    write_staging(con, second)
    con.close()
    shutil.copy(inc_path, full_path)

    con = duckdb.connect(str(inc_path))
    stats = resolve_companies(con, settings=settings)
    ref = duckdb.connect(str(full_path))
    reference = resolve_companies(ref, settings=settings, full_refresh=True)
    try:
        assert stats["incremental"] and not reference["incremental"]
        assert stats["records"] == reference["records"]
        assert stats["records_gone"] > 0 and stats["records_changed"] > 0.01 * stats["records"]
        assert stats["records_normalised"] < 0.05 * stats["records"]
        assert stats["records_reclustered"] < 0.5 * stats["records"]

        got, want = _crosswalk(con), _crosswalk(ref)
        assert got.keys() == want.keys()
        assert _partition(got) == _partition(want)
        assert {k: v[1:] for k, v in got.items()} == {k: v[1:] for k, v in want.items()}
        # IDs issued before this run are the same; this run's new IDs are random on both sides
        fresh = {c for (c,) in con.execute("select company_id from core.company_id_history").fetchall()}
        fresh -= {c for c, *_ in before.values()}
        assert all(got[k][0] == want[k][0] for k in got if got[k][0] not in fresh)
        assert _review(con) == _review(ref)
        assert _refused(con) == _refused(ref)
        assert _last_events(con) == _last_events(ref)
        same = ("companies", "review_pairs", "edges_refused", "ids_issued", "ids_merged", "ids_split")
        for key in (*same, "previous_records", "previous_records_kept_id_share"):
            assert stats[key] == reference[key], key
        assert {k: v for k, v in stats.items() if k.startswith("edges_")} == {
            k: v for k, v in reference.items() if k.startswith("edges_")
        }

        # the evidence the hand-made changes were about
        assert got["ma|leads|N1"][0] == got["sfa|account|A2"][0] != got["sfa|account|A1"][0]
        unique = con.execute(
            """select count(*) from core.company_rule_edges e
            join core.company_record_state s on s.record_id = e.record_id_l
            where e.method = 'name_unique' and s.record_key like 'ma|leads|U%'"""
        ).fetchall()[0][0]
        assert unique == 0
        conflicts = {(a, b) for a, b, m, *_ in _refused(con) if m == "name_domain"}
        assert ("sfa|account|H2", "sfa|account|H3") in conflicts
        assert not {("sfa|account|G1", "sfa|account|G2"), ("sfa|account|H1", "sfa|account|H2")} & conflicts
        refusal = {(a, b): reason for a, b, _, _, reason, _ in _refused(con)}
        assert refusal[("ma|leads|RU1", "ma|leads|SW1")] == "names_dissimilar"
        assert got["ma|leads|RU1"][0] == before["ma|leads|RU1"][0] != before["ma|leads|SW1"][0]
        assert before["sfa|account|L2"][0] != before["sfa|account|L3"][0]
        assert got["sfa|account|L2"][0] == got["sfa|account|L3"][0]

        # a run with nothing new carries everything over
        again = resolve_companies(con, settings=settings)
        assert again["incremental"] and again["records_normalised"] == 0 and again["records_reclustered"] == 0
        assert _crosswalk(con) == got and _review(con) == _review(ref)
    finally:
        con.close()
        ref.close()


def test_normalisation_change_normalises_everything_again(tmp_path, settings, monkeypatch):
    frames, _ = make_staging_frames(40, seed=3)
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    try:
        write_staging(con, frames)
        first = resolve_companies(con, settings=settings)
        again = resolve_companies(con, settings=settings)
        assert again["incremental"] and again["records_normalised"] == 0
        monkeypatch.setattr(records, "NORMALISATION_VERSION", records.NORMALISATION_VERSION + "-next")
        changed = resolve_companies(con, settings=settings)
        assert not changed["incremental"]
        assert changed["records_normalised"] == first["records"]
        assert changed["ids_issued"] == 0 and changed["previous_records_kept_id_share"] == 1.0
    finally:
        con.close()


@pytest.mark.parametrize("full_refresh", [False, True])
def test_full_refresh_recomputes_everything(tmp_path, settings, full_refresh):
    frames, _ = make_staging_frames(40, seed=4)
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    try:
        write_staging(con, frames)
        resolve_companies(con, settings=settings)
        stats = resolve_companies(con, settings=settings, full_refresh=full_refresh)
        assert stats["incremental"] is not full_refresh
        assert stats["records_normalised"] == (stats["records"] if full_refresh else 0)
        assert stats["records_scored"] == (stats["records"] if full_refresh else 0)
    finally:
        con.close()
