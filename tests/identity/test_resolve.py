"""End-to-end identity runs on hand-made staging tables: evidence, constraints, steward overrides."""

from __future__ import annotations

from conftest import crosswalk, load

from identity.normalize import corporate_number_check_digit
from identity.resolve import resolve_companies


def corp(base: str) -> str:
    return f"{corporate_number_check_digit(base)}{base}"


CORP_A, CORP_B = corp("123456789012"), corp("210987654321")


def test_name_variants_resolve_to_one_company(warehouse, settings):
    load(
        warehouse,
        stg_sfa__accounts=[
            {"account_id": "001A", "account_name": "株式会社サンプル", "website": "https://www.sample.co.jp"}
        ],
        stg_ma__leads=[
            {"lead_id": "L1", "company_name": "(株)サンプル", "email": "a@sample.co.jp"},
            {"lead_id": "L2", "company_name": "㈱サンプル", "email": "b@sample.co.jp"},
            {"lead_id": "L3", "company_name": "ｻﾝﾌﾟﾙ", "email": "c@sample.co.jp"},
        ],
        stg_cs__customers=[
            {"customer_id": "C1", "company_name": "サンプル株式会社", "sfa_account_id": "001A"}
        ],
        stg_sfa__leads=[{"sfa_lead_id": "00Q1", "company_name": "Other KK", "email": "x@gmail.com"}],
    )
    stats = resolve_companies(warehouse, settings=settings)
    ids = crosswalk(warehouse)
    sample = {
        ids[k] for k in ("sfa|account|001A", "ma|leads|L1", "ma|leads|L2", "ma|leads|L3", "cs|customers|C1")
    }
    assert len(sample) == 1
    assert ids["sfa|lead|00Q1"] not in sample
    assert stats["companies"] == 2
    assert all(i.startswith("CO-") and len(i) == 13 for i in ids.values())
    methods = dict(
        warehouse.execute(
            "select source_record_id, match_method from core.company_crosswalk where source_entity = 'customers'"
        ).fetchall()
    )
    assert methods["C1"] == "xref"


def test_free_mail_domain_is_no_evidence(warehouse, settings):
    load(
        warehouse,
        stg_ma__leads=[
            {"lead_id": "L1", "company_name": "アルファ", "email": "a@gmail.com", "prefecture": "東京都"},
            {"lead_id": "L2", "company_name": "ベータ", "email": "b@gmail.com", "prefecture": "大阪府"},
        ],
    )
    resolve_companies(warehouse, settings=settings)
    ids = crosswalk(warehouse)
    assert ids["ma|leads|L1"] != ids["ma|leads|L2"]


def test_two_valid_corporate_numbers_never_merge(warehouse, settings):
    # same name, same domain, same phone, even an explicit cross-system id: still two companies
    load(
        warehouse,
        stg_sfa__accounts=[
            {
                "account_id": "001A",
                "account_name": "株式会社サンプル",
                "website": "sample.co.jp",
                "phone": "03-1111-2222",
                "corporate_number": CORP_A,
            },
            {
                "account_id": "001B",
                "account_name": "サンプル株式会社",
                "website": "sample.co.jp",
                "phone": "03-1111-2222",
                "corporate_number": CORP_B,
            },
        ],
        stg_cs__customers=[
            {
                "customer_id": "C1",
                "company_name": "サンプル",
                "domain": "sample.co.jp",
                "corporate_number": CORP_A,
                "sfa_account_id": "001B",
            },
        ],
        stg_ma__leads=[
            {
                "lead_id": f"L{i}",
                "company_name": "㈱サンプル",
                "email": f"p{i}@sample.co.jp",
                "phone": "0311112222",
            }
            for i in range(5)
        ],
    )
    resolve_companies(warehouse, settings=settings)
    ids = crosswalk(warehouse)
    assert ids["sfa|account|001A"] != ids["sfa|account|001B"]
    # the CS record carries CORP_A: its wrong sfa_account_id must not pull it to 001B
    assert ids["cs|customers|C1"] == ids["sfa|account|001A"]
    numbers = warehouse.execute(
        """select c.company_id, count(distinct s.corporate_number)
        from core.company_crosswalk c
        join staging.stg_sfa__accounts s on c.source_entity = 'account' and s.account_id = c.source_record_id
        group by 1 having count(distinct s.corporate_number) > 1"""
    ).fetchall()
    assert numbers == []
    reasons = {r[0] for r in warehouse.execute("select reason from core.company_match_review").fetchall()}
    assert "corporate_number_conflict" in reasons


def test_invalid_corporate_number_is_no_constraint(warehouse, settings):
    bad = CORP_B[:-1] + str((int(CORP_B[-1]) + 1) % 10)  # mistyped: check digit fails
    load(
        warehouse,
        stg_sfa__accounts=[
            {
                "account_id": "001A",
                "account_name": "株式会社サンプル",
                "website": "sample.co.jp",
                "corporate_number": CORP_A,
            },
            {
                "account_id": "001B",
                "account_name": "サンプル株式会社",
                "website": "sample.co.jp",
                "corporate_number": bad,
            },
        ],
    )
    resolve_companies(warehouse, settings=settings)
    ids = crosswalk(warehouse)
    assert ids["sfa|account|001A"] == ids["sfa|account|001B"]


def _steward(settings, *rows: str) -> None:
    with settings.steward_path.open("a", encoding="utf-8") as fh:
        for row in rows:
            fh.write(row + ",test,steward,2026-01-01\n")


def test_steward_cannot_link_overrides_deterministic_evidence(warehouse, settings):
    load(
        warehouse,
        stg_sfa__accounts=[
            {"account_id": "001A", "account_name": "株式会社サンプル", "website": "sample.co.jp"},
            {"account_id": "001B", "account_name": "サンプル株式会社", "website": "sample.co.jp"},
        ],
    )
    _steward(settings, "cannot_link,sfa,account,001A,sfa,account,001B")
    resolve_companies(warehouse, settings=settings)
    ids = crosswalk(warehouse)
    assert ids["sfa|account|001A"] != ids["sfa|account|001B"]


def test_steward_must_link_joins_what_nothing_else_would(warehouse, settings):
    load(
        warehouse,
        stg_sfa__accounts=[
            {"account_id": "001A", "account_name": "株式会社サンプル", "website": "sample.co.jp"}
        ],
        stg_ma__leads=[{"lead_id": "L1", "company_name": "Sample Japan", "email": "x@gmail.com"}],
    )
    resolve_companies(warehouse, settings=settings)
    assert len(set(crosswalk(warehouse).values())) == 2
    _steward(settings, "must_link,ma,leads,L1,sfa,account,001A")
    resolve_companies(warehouse, settings=settings)
    ids = crosswalk(warehouse)
    assert ids["ma|leads|L1"] == ids["sfa|account|001A"]
    method = warehouse.execute(
        "select match_method from core.company_crosswalk where source_record_id = 'L1'"
    ).fetchall()[0][0]
    assert method == "steward"


def test_steward_must_link_cannot_break_the_corporate_number_constraint(warehouse, settings):
    load(
        warehouse,
        stg_sfa__accounts=[
            {"account_id": "001A", "account_name": "アルファ", "corporate_number": CORP_A},
            {"account_id": "001B", "account_name": "ベータ", "corporate_number": CORP_B},
        ],
    )
    _steward(settings, "must_link,sfa,account,001A,sfa,account,001B")
    resolve_companies(warehouse, settings=settings)
    ids = crosswalk(warehouse)
    assert ids["sfa|account|001A"] != ids["sfa|account|001B"]
    review = warehouse.execute("select match_method, reason from core.company_match_review").fetchall()
    assert ("steward", "corporate_number_conflict") in review


def test_contradicted_cross_reference_goes_to_review(warehouse, settings):
    load(
        warehouse,
        stg_sfa__accounts=[
            {"account_id": "001A", "account_name": "株式会社アルファ", "website": "alpha.co.jp"}
        ],
        stg_cs__customers=[
            {
                "customer_id": "C1",
                "company_name": "ゼットワイ",
                "domain": "zy.co.jp",
                "sfa_account_id": "001A",
            }
        ],
    )
    resolve_companies(warehouse, settings=settings)
    ids = crosswalk(warehouse)
    assert ids["cs|customers|C1"] != ids["sfa|account|001A"]
    reasons = [r[0] for r in warehouse.execute("select reason from core.company_match_review").fetchall()]
    assert "xref_contradicted_by_name" in reasons


def test_a_run_leaves_no_per_value_caches_behind(warehouse, settings):
    """The Dagster run process lives on after identity (dbt steps, publish): the normalisation and
    name-ratio caches a run fills must be emptied, or they ride along as resident memory."""
    from identity import clustering, normalize

    load(
        warehouse,
        stg_sfa__accounts=[
            {"account_id": "001A", "account_name": "株式会社サンプル", "website": "sample.co.jp"}
        ],
        stg_ma__leads=[
            {
                "lead_id": "L1",
                "company_name": "(株)サンプル",
                "email": "a@sample.co.jp",
                "phone": "03-1234-5678",
            },
            {"lead_id": "L2", "company_name": "サンプル商事", "email": "b@sample.co.jp"},
        ],
    )
    cached = [normalize.normalise_company_name, normalize.normalise_domain, normalize.normalise_phone,
              normalize.normalise_corporate_number]  # fmt: skip
    for fn in cached:
        fn("株式会社テスト")  # an entry from before the run: it must be gone too
    clustering._name_ratio("テスト", "サンプル")
    assert all(fn.cache_info().currsize == 1 for fn in [*cached, clustering._name_ratio])
    resolve_companies(warehouse, settings=settings)
    assert all(fn.cache_info().currsize == 0 for fn in [*cached, clustering._name_ratio])
