"""Stable company IDs across runs: carry-forward, merge redirects, splits, never reused."""

from __future__ import annotations

from conftest import crosswalk, load

from identity.registry import assign_company_ids, flatten_redirects
from identity.resolve import resolve_companies


def test_merge_keeps_the_id_with_most_records_and_redirects_the_other():
    previous = {"a1": "CO-A", "a2": "CO-A", "a3": "CO-A", "b1": "CO-B"}
    ids, events = assign_company_ids({"a1": 0, "a2": 0, "a3": 0, "b1": 0}, previous, {"CO-A": 2, "CO-B": 1})
    assert ids == {0: "CO-A"}
    assert [(e.company_id, e.event, e.merged_into) for e in events] == [("CO-B", "merged", "CO-A")]


def test_merge_tie_keeps_the_oldest_id():
    previous = {"a1": "CO-NEW", "b1": "CO-OLD"}
    ids, events = assign_company_ids(
        {"a1": 0, "b1": 0}, previous, {"CO-NEW": "2026-02-01", "CO-OLD": "2026-01-01"}
    )
    assert ids == {0: "CO-OLD"}
    assert events[0].company_id == "CO-NEW" and events[0].merged_into == "CO-OLD"


def test_split_keeps_the_id_on_the_largest_fragment():
    previous = {k: "CO-A" for k in ("a1", "a2", "a3", "a4", "a5")}
    ids, events = assign_company_ids({"a1": 1, "a2": 0, "a3": 0, "a4": 0, "a5": 1}, previous, {"CO-A": 1})
    assert ids[0] == "CO-A"
    assert ids[1] != "CO-A" and ids[1].startswith("CO-")
    kinds = sorted((e.company_id, e.event, e.related_company_id) for e in events)
    assert kinds == sorted([(ids[1], "issued", None), ("CO-A", "split", ids[1])])


def test_new_ids_never_reuse_an_issued_id(monkeypatch):
    import identity.registry as registry

    draws = iter("AAAAAAAAAA" + "BBBBBBBBBB")  # the first draw collides with the registry
    monkeypatch.setattr(registry.secrets, "choice", lambda _alphabet: next(draws))
    ids, _ = assign_company_ids({"x": 0}, {}, {"CO-AAAAAAAAAA": 1})
    assert ids == {0: "CO-BBBBBBBBBB"}


def test_redirect_chains_are_flattened():
    assert flatten_redirects([("A", "B"), ("B", "C"), ("D", "C")]) == {"A": "C", "B": "C", "D": "C"}


ACME = [
    {"account_id": "001A", "account_name": "株式会社アクメ", "website": "acme.co.jp", "phone": "03-1111-1111"}
]
ACME_LEADS = [{"lead_id": f"L{i}", "company_name": "アクメ", "email": f"p{i}@acme.co.jp"} for i in range(3)]
BETA = [
    {
        "account_id": "001B",
        "account_name": "ベータ工業株式会社",
        "website": "beta.co.jp",
        "phone": "06-2222-2222",
    }
]


def _history(con) -> list[tuple]:
    return con.execute(
        "select company_id, event, merged_into, related_company_id from core.company_id_history"
    ).fetchall()


def test_ids_survive_reruns_and_new_records(warehouse, settings):
    load(warehouse, stg_sfa__accounts=ACME + BETA, stg_ma__leads=ACME_LEADS)
    resolve_companies(warehouse, settings=settings)
    first = crosswalk(warehouse)
    again = resolve_companies(warehouse, settings=settings)
    assert crosswalk(warehouse) == first
    assert again["ids_issued"] == 0 and again["incremental"] and again["records_scored"] == 0
    more = [{"lead_id": "L9", "company_name": "(株)アクメ", "email": "z@acme.co.jp"}]
    load(warehouse, stg_sfa__accounts=ACME + BETA, stg_ma__leads=ACME_LEADS + more)
    third = resolve_companies(warehouse, settings=settings)
    now = crosswalk(warehouse)
    assert {k: now[k] for k in first} == first
    assert now["ma|leads|L9"] == first["sfa|account|001A"]
    assert third["records_scored"] == 1 and third["previous_records_kept_id_share"] == 1.0


def test_merge_redirect_and_split_across_runs(warehouse, settings):
    # run 1: ACME (4 records) and a lone lead whose company is unknown (different name, free mail)
    lone = [{"lead_id": "X1", "company_name": "アクメ・ジャパン", "email": "x@gmail.com"}]
    load(warehouse, stg_sfa__accounts=ACME, stg_ma__leads=ACME_LEADS + lone)
    resolve_companies(warehouse, settings=settings)
    run1 = crosswalk(warehouse)
    acme, lone_id = run1["sfa|account|001A"], run1["ma|leads|X1"]
    assert acme != lone_id

    # run 2: a steward says they are one company: the bigger keeps its ID, the other redirects
    with settings.steward_path.open("a", encoding="utf-8") as fh:
        fh.write("must_link,ma,leads,X1,sfa,account,001A,same company,steward,2026-01-02\n")
    resolve_companies(warehouse, settings=settings)
    run2 = crosswalk(warehouse)
    assert set(run2.values()) == {acme}
    assert (lone_id, "merged", acme, None) in _history(warehouse)
    redirects = dict(
        warehouse.execute("select company_id, current_company_id from core.company_id_redirects").fetchall()
    )
    assert redirects == {lone_id: acme}

    # run 3: the steward separates the account from the leads: 4 leads vs 1 account
    settings.steward_path.write_text(
        settings.steward_path.read_text(encoding="utf-8").splitlines()[0]
        + "\n"
        + "".join(
            f"cannot_link,ma,leads,{k},sfa,account,001A,not them,steward,2026-01-03\n"
            for k in ("L0", "L1", "L2", "X1")
        ),
        encoding="utf-8",
    )
    resolve_companies(warehouse, settings=settings)
    run3 = crosswalk(warehouse)
    assert run3["ma|leads|L0"] == acme  # the largest fragment keeps the ID
    fragment = run3["sfa|account|001A"]
    assert fragment != acme and fragment != lone_id  # a new ID, never the retired one
    assert (acme, "split", None, fragment) in _history(warehouse)
    issued = [r[0] for r in _history(warehouse) if r[1] == "issued"]
    assert len(issued) == len(set(issued))
