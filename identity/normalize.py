"""Normalisation of the attributes identity resolution compares: the ONE place for it.

Owns: company-name keys (NFKC, legal-entity tokens, case, punctuation, spaces, long-vowel marks,
hiragana -> katakana), domains (from a website, an e-mail or a bare domain; free-mail excluded),
phone numbers, prefectures and the corporate-number (法人番号) check digit. DuckDB has no NFKC, so
this runs in Python; `normalise_column` applies a function once per distinct value, which keeps
100k records well under a second.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache

import pandas as pd

from identity.reference import load_reference

# Every dash-like character: after a kana it is the long-vowel mark, elsewhere punctuation.
# (NFKC already maps `－` to `-` and half-width `ｰ` to `ー`; the others survive NFKC.)
_DASHES = "ー-‐‑‒–—―−─━ｰ~〜～"
_DASH_AFTER_KANA = re.compile(r"(?<=[\u3041-\u30ff])[" + re.escape(_DASHES) + r"]+")
_DASH_ANY = re.compile("[" + re.escape(_DASHES.replace("ー", "")) + "]")
_SEPARATORS = re.compile(r"[^\w]+|_+")
_PAREN_TOKEN = re.compile(r"^\((.+)\)$")
_NON_DIGIT = re.compile(r"\D")
_DOMAIN_OK = re.compile(r"^[a-z0-9][a-z0-9.-]*\.[a-z0-9-]+$")
_PREF_SUFFIX = re.compile(r"(?<=.{2})[都府県]$")


def _hira_to_kata(text: str) -> str:
    # Hiragana and katakana spell the same sound; company names use both for the same brand.
    return "".join(chr(ord(c) + 0x60) if "\u3041" <= c <= "\u3096" else c for c in text)


@lru_cache(maxsize=8)
def _ja_token_pattern() -> re.Pattern:
    """One alternation of every Japanese legal token (longest first), compiled once."""
    parts = []
    for token in load_reference().ja_legal_tokens:
        m = _PAREN_TOKEN.match(token)
        if m:  # `(株)` also written `( 株 )`, `（株）`, `㈱` (the last two become `(株)` under NFKC)
            parts.append(r"\(\s*" + re.escape(m.group(1)) + r"\s*\)")
        else:
            parts.append(re.escape(token))
    return re.compile("|".join(parts))


def _strip_latin_tokens(tokens: list[str]) -> list[str]:
    legal = load_reference().latin_legal_tokens
    changed = True
    while changed and tokens:
        changed = False
        for tok in legal:
            n = len(tok)
            # Only at the end: a leading `co` is part of a name (`Co-op Japan`), and Latin
            # spellings put the legal form last (`Sample Co., Ltd.`, `Sample K.K.`).
            if len(tokens) > n and tuple(tokens[-n:]) == tok:
                tokens, changed = tokens[:-n], True
    return tokens


@lru_cache(maxsize=200_000)
def normalise_company_name(name: str | None) -> str | None:
    """The comparison key of a company name: `株式会社サンプル`, `(株)サンプル`, `㈱サンプル`,
    `サンプル株式会社` and `ｻﾝﾌﾟﾙ` all give `サンプル`; `Sample Inc.` and `SAMPLE CO., LTD.` give
    `sample`. None when nothing but legal form or punctuation is left."""
    if name is None or not isinstance(name, str):
        return None
    text = unicodedata.normalize("NFKC", name).lower().strip()
    if not text:
        return None
    text = _ja_token_pattern().sub(" ", text)
    text = _hira_to_kata(text)
    text = _DASH_AFTER_KANA.sub("ー", text)
    text = _DASH_ANY.sub(" ", text)
    # `K.K.`, `Co.` and `Inc.` keep their letters together: drop dots before splitting words.
    text = text.replace(".", "").replace("'", "")
    tokens = [t for t in _SEPARATORS.split(text) if t]
    tokens = _strip_latin_tokens(tokens)
    key = "".join(tokens)
    return key or None


def name_grams_sql(key: str) -> str:
    """SQL: the distinct character bigrams of a name key (a 1-character key is its own gram).

    Why: DuckDB's jaro_winkler/jaccard compare UTF-8 BYTES, and all katakana share their leading
    bytes (`アルファ` vs `ゼットワイ` scores 0.69). Set overlap of whole-character grams is
    Unicode-correct and stays in vectorised SQL (`list_intersect`). Computed where compared, not
    stored: a list per record is the most expensive column to keep and to scan."""
    return f"""(case when length({key}) = 1 then [{key}]
        else list_distinct([substring({key}, i, 2) for i in range(1, length({key}))]) end)"""


def bigram_dice_sql(left: str, right: str) -> str:
    """SQL Dice coefficient of two gram lists made by `name_grams_sql` (0..1)."""
    return f"(2.0 * len(list_intersect({left}, {right})) / (len({left}) + len({right})))"


@lru_cache(maxsize=200_000)
def normalise_domain(value: str | None) -> str | None:
    """`https://www.Sample.co.jp/about`, `sample.co.jp`, `@sample.co.jp`, `taro@sample.co.jp` ->
    `sample.co.jp`. None when the value does not look like a domain."""
    if value is None or not isinstance(value, str):
        return None
    text = unicodedata.normalize("NFKC", value).strip().lower()
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text)
    text = text.removeprefix("mailto:")
    if "@" in text:
        text = text.rsplit("@", 1)[1]
    text = re.split(r"[/?#:\s]", text, maxsplit=1)[0].strip(".")
    text = re.sub(r"^www\d*\.", "", text)
    return text if _DOMAIN_OK.match(text) else None


def is_free_mail(domain: str | None) -> bool:
    if not domain:
        return False
    free = load_reference().free_mail_domains
    # A subdomain of a free-mail provider (`mail.yahoo.co.jp`) is still the provider.
    parts = domain.split(".")
    return any(".".join(parts[i:]) in free for i in range(len(parts) - 1))


def company_domain(value: str | None) -> str | None:
    """The domain that identifies a company: normalised, and None for free-mail providers."""
    domain = normalise_domain(value)
    return None if is_free_mail(domain) else domain


@lru_cache(maxsize=200_000)
def normalise_phone(value: str | None) -> str | None:
    """Digits only, Japanese national form (`+81 3-1234-5678` -> `0312345678`)."""
    if value is None or not isinstance(value, str):
        return None
    digits = _NON_DIGIT.sub("", unicodedata.normalize("NFKC", value))
    if digits.startswith("81") and len(digits) in (11, 12) and not value.strip().startswith("0"):
        digits = "0" + digits[2:]
    return digits if len(digits) >= 9 else None


@lru_cache(maxsize=1_000)
def normalise_prefecture(value: str | None) -> str | None:
    """`東京都` / `東京` -> `東京`; `大阪府` -> `大阪`; `北海道` stays; Latin names lower-cased."""
    if value is None or not isinstance(value, str):
        return None
    text = unicodedata.normalize("NFKC", value).strip().lower()
    text = re.sub(r"[\s-]+(to|fu|ken|prefecture)$", "", text)
    text = _PREF_SUFFIX.sub("", text)
    return text or None


def corporate_number_check_digit(base12: str) -> int:
    """Check digit of a corporate number from its 12 base digits (National Tax Agency rule):
    9 - (sum of digit * (1 if position odd else 2), positions counted from the right) mod 9."""
    if len(base12) != 12 or not base12.isdigit():
        raise ValueError(f"need 12 digits, got {base12!r}")
    total = sum(int(d) * (1 if pos % 2 == 1 else 2) for pos, d in enumerate(reversed(base12), start=1))
    return 9 - total % 9


def is_valid_corporate_number(value: str | None) -> bool:
    return normalise_corporate_number(value) is not None


@lru_cache(maxsize=200_000)
def normalise_corporate_number(value: str | None) -> str | None:
    """The 13-digit corporate number when it is well formed and its check digit (the FIRST digit)
    is right; None otherwise (an invalid number is no evidence and no constraint)."""
    if value is None:
        return None
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if text.endswith(".0"):  # a spreadsheet turned it into a float
        text = text[:-2]
    text = re.sub(r"[\s-]", "", text)
    if len(text) != 13 or not text.isdigit():
        return None
    return text if int(text[0]) == corporate_number_check_digit(text[1:]) else None


def clear_caches() -> None:
    """Empty the per-value caches of this module. They hold up to 200k strings each for the run that
    filled them; a long-lived process (the Dagster run) would otherwise carry ~0.3 GiB of them into
    every later step, the dbt builds included."""
    for fn in (normalise_company_name, normalise_domain, normalise_phone, normalise_corporate_number):
        fn.cache_clear()


def normalise_column(values: Iterable, fn: Callable[[str | None], str | None]) -> list[str | None]:
    """Apply `fn` once per distinct value (a column has far fewer distinct values than rows)."""
    cache: dict = {}
    out = []
    for v in values:
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            out.append(None)
            continue
        if v not in cache:
            cache[v] = fn(v)
        out.append(cache[v])
    return out
