"""Normaliser cases: name variants, domains, phones, corporate-number check digit."""

from __future__ import annotations

import pytest

from identity import normalize as nz

SAMPLE_VARIANTS = [
    "株式会社サンプル",
    "(株)サンプル",
    "㈱サンプル",
    "（株）サンプル",
    "( 株 ) サンプル",
    "サンプル株式会社",
    "ｻﾝﾌﾟﾙ",
    "サンプル",
    "さんぷる",
    "ｻﾝﾌﾟﾙ株式会社",
]


@pytest.mark.parametrize("name", SAMPLE_VARIANTS)
def test_japanese_variants_share_one_key(name):
    assert nz.normalise_company_name(name) == "サンプル"


@pytest.mark.parametrize(
    "name", ["Sample Inc.", "SAMPLE CO., LTD.", "Sample K.K.", "Ｓａｍｐｌｅ　Ｃｏｒｐ．", "sample"]
)
def test_latin_variants_share_one_key(name):
    assert nz.normalise_company_name(name) == "sample"


@pytest.mark.parametrize("name", ["テックー", "テック－", "テック―", "テック‐", "ﾃｯｸｰ", "テック-"])
def test_long_vowel_marks_unified(name):
    assert nz.normalise_company_name(name) == "テックー"


def test_group_company_names_stay_apart():
    assert nz.normalise_company_name("サンプルホールディングス株式会社") == "サンプルホールディングス"
    assert nz.normalise_company_name("Sample Holdings Co., Ltd.") == "sampleholdings"


def test_only_trailing_latin_legal_tokens_are_removed():
    assert nz.normalise_company_name("Co-op Japan") == "coopjapan"
    assert nz.normalise_company_name("有限会社 テスト") == nz.normalise_company_name("テスト(有)") == "テスト"


@pytest.mark.parametrize("empty", [None, "", "株式会社", "  ", "(株)"])
def test_nothing_left_is_none(empty):
    assert nz.normalise_company_name(empty) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://www.Sample.co.jp/about?x=1", "sample.co.jp"),
        ("sample.co.jp", "sample.co.jp"),
        ("@sample.co.jp", "sample.co.jp"),
        ("taro.yamada@Sample.CO.JP", "sample.co.jp"),
        ("ｓａｍｐｌｅ．ｃｏ．ｊｐ", "sample.co.jp"),
        ("taro@gmail.com", None),
        ("hanako@yahoo.co.jp", None),
        ("x@mail.yahoo.co.jp", None),
        ("not a domain", None),
    ],
)
def test_company_domain(value, expected):
    assert nz.company_domain(value) == expected


def test_phone_and_prefecture():
    assert (
        nz.normalise_phone("+81 3-1234-5678")
        == nz.normalise_phone("０３－１２３４－５６７８")
        == "0312345678"
    )
    assert nz.normalise_phone("123") is None
    assert nz.normalise_prefecture("東京都") == nz.normalise_prefecture("東京") == "東京"
    assert nz.normalise_prefecture("北海道") == "北海道"


def test_check_digit_known_number():
    # 国税庁 (National Tax Agency) corporate number
    assert nz.corporate_number_check_digit("000012050002") == 7
    assert nz.normalise_corporate_number("7000012050002") == "7000012050002"
    assert nz.normalise_corporate_number("７０００－０１２０－５０００２") == "7000012050002"


@pytest.mark.parametrize(
    "bad", ["8000012050002", "700001205000", "70000120500021", "700001205000X", None, ""]
)
def test_invalid_corporate_numbers_are_dropped(bad):
    assert nz.normalise_corporate_number(bad) is None


def test_check_digit_matches_the_formula():
    # independent restatement: weights 1,2,1,2,... from the rightmost base digit
    import random

    rng = random.Random(3)
    for _ in range(200):
        base = "".join(rng.choice("0123456789") for _ in range(12))
        weights = [1 if i % 2 == 0 else 2 for i in range(12)]
        expected = 9 - sum(int(d) * w for d, w in zip(reversed(base), weights, strict=True)) % 9
        assert nz.corporate_number_check_digit(base) == expected
        assert nz.is_valid_corporate_number(f"{expected}{base}")
        assert not nz.is_valid_corporate_number(f"{(expected + 1) % 10}{base}")
