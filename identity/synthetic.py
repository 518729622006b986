"""Synthetic company records with known truth, for identity tests and for training when the
project generator (`ingestion.sample`) is not available.

Owns: `make_staging_frames(n_companies, seed)` -> the four staging relations identity reads
(`stg_ma__leads`, `stg_sfa__accounts`, `stg_sfa__leads`, `stg_cs__customers`, same column names)
plus a truth frame (source_system, source_entity, source_record_id, true_company_id), and
`write_staging(con, frames)`. It reproduces the traps named in DOMAIN.md: spelling variants of one
name, free-mail addresses, group companies sharing a domain, same-name companies in different
prefectures, corporate numbers that are missing or mistyped, cross-system ids that are missing or wrong.
"""

from __future__ import annotations

import random
import unicodedata

import pandas as pd

from identity.normalize import corporate_number_check_digit

_KANA = list("アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン")
_KANA_TAIL = ["ー", "ン", "ル", "ト", "ス", "ク"]
_SUFFIXES = [
    "",
    "",
    "システムズ",
    "テクノロジー",
    "商事",
    "工業",
    "ソリューションズ",
    "ラボ",
    "製作所",
    "物産",
]
_LATIN = ["alpha", "nova", "blue", "sky", "pine", "delta", "orbit", "zen", "terra", "lumen", "apex", "kite"]
_PREFS = [
    "東京都",
    "大阪府",
    "愛知県",
    "福岡県",
    "北海道",
    "神奈川県",
    "京都府",
    "宮城県",
    "広島県",
    "埼玉県",
]
_INDUSTRIES = ["manufacturing", "it", "retail", "finance", "logistics", "healthcare"]
_FREE = ["gmail.com", "yahoo.co.jp", "outlook.jp", "icloud.com", "docomo.ne.jp"]


def _corporate_number(rng: random.Random) -> str:
    base = "".join(rng.choice("0123456789") for _ in range(12))
    return f"{corporate_number_check_digit(base)}{base}"


def _spell(name: str, rng: random.Random) -> str:
    """One of the ways a system spells a company called `name` (its bare trade name)."""
    style = rng.random()
    if name.isascii():
        return rng.choice(
            [f"{name.title()} Inc.", f"{name.upper()} CO., LTD.", f"{name.title()} K.K.", name.title()]
        )
    if style < 0.30:
        text = f"株式会社{name}"
    elif style < 0.45:
        text = f"{name}株式会社"
    elif style < 0.55:
        text = f"(株){name}"
    elif style < 0.62:
        text = f"㈱{name}"
    elif style < 0.70:
        text = unicodedata.normalize("NFKC", name).translate(_HALF_WIDTH)  # half-width katakana
    elif style < 0.78:
        text = f"（株） {name}"
    else:
        text = name
    if rng.random() < 0.06 and len(name) > 4:  # a typo: one character dropped
        i = rng.randrange(1, len(name) - 1)
        text = text.replace(name, name[:i] + name[i + 1 :])
    if rng.random() < 0.05:
        text = text.replace("ー", "－")
    return text


# Full-width -> half-width katakana for the common characters (the reverse of NFKC).
_HALF_WIDTH = str.maketrans(
    {
        unicodedata.normalize("NFKC", chr(c)): chr(c)
        for c in range(0xFF66, 0xFF9E)
        if len(unicodedata.normalize("NFKC", chr(c))) == 1
    }
)


def _companies(n: int, rng: random.Random) -> list[dict]:
    out: list[dict] = []
    names_used: set[str] = set()
    while len(out) < n:
        if rng.random() < 0.1:
            base = rng.choice(_LATIN) + rng.choice(_LATIN)
        else:
            base = "".join(rng.choice(_KANA) for _ in range(rng.randint(2, 4))) + rng.choice(_KANA_TAIL)
        domain = (base if base.isascii() else f"co{len(out):05d}{rng.randrange(100)}") + rng.choice(
            [".co.jp", ".jp", ".com"]
        )
        group = len(out)
        members = [base + rng.choice(_SUFFIXES[2:]) if not base.isascii() else base]
        if rng.random() < 0.08 and not base.isascii():  # a group: several companies, one domain
            members += [base + s for s in ("ホールディングス", "テクノロジー") if base + s not in members]
        for name in members:
            if len(out) >= n:
                break
            if name in names_used and rng.random() < 0.7:
                continue
            names_used.add(name)
            out.append(
                {
                    "true_company_id": f"T{len(out):06d}",
                    "name": name,
                    "domain": domain,
                    "corporate_number": _corporate_number(rng),
                    "phone": f"0{rng.randint(3, 99)}{rng.randint(1000000, 9999999)}",
                    "prefecture": rng.choice(_PREFS),
                    "employees": rng.choice([8, 30, 80, 250, 700, 3000]),
                    "industry": rng.choice(_INDUSTRIES),
                    "group": group,
                }
            )
        # a different company with the very same name elsewhere (同名異社)
        if rng.random() < 0.03 and len(out) < n:
            twin = dict(out[-1])
            twin |= {
                "true_company_id": f"T{len(out):06d}",
                "corporate_number": _corporate_number(rng),
                "domain": f"tw{len(out):05d}.co.jp",
                "phone": f"0{rng.randint(3, 99)}{rng.randint(1000000, 9999999)}",
                "prefecture": rng.choice([p for p in _PREFS if p != twin["prefecture"]]),
            }
            out.append(twin)
    return out


def make_staging_frames(
    n_companies: int = 200, seed: int = 7
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    rng = random.Random(seed)
    ma, accounts, sfa_leads, customers, truth = [], [], [], [], []

    def corp(c: dict, share: float) -> str | None:
        if rng.random() >= share:
            return None
        number = c["corporate_number"]
        if rng.random() < 0.03:  # mistyped: the check digit no longer fits
            number = number[:-1] + str((int(number[-1]) + 1) % 10)
        return number

    def employees(c: dict) -> int | None:
        return None if rng.random() < 0.3 else int(c["employees"] * rng.uniform(0.9, 1.1))

    for c in _companies(n_companies, rng):
        account_id = None
        if rng.random() < 0.7:
            account_id = f"001{len(accounts):012d}"
            accounts.append(
                {
                    "account_id": account_id,
                    "account_name": _spell(c["name"], rng),
                    "website": rng.choice([f"https://www.{c['domain']}/", c["domain"], None]),
                    "phone": c["phone"] if rng.random() < 0.7 else None,
                    "corporate_number": corp(c, 0.6),
                    "employees": employees(c),
                    "industry": c["industry"],
                    "prefecture": c["prefecture"],
                    "is_deleted": rng.random() < 0.02,
                }
            )
            truth.append(("sfa", "account", account_id, c["true_company_id"]))
        lead_ids = []
        for _ in range(rng.choice([1, 1, 2, 3, 5, 8])):
            lead_id = f"L{len(ma):07d}"
            lead_ids.append(lead_id)
            person = f"p{len(ma)}"
            mail_domain = c["domain"] if rng.random() < 0.7 else rng.choice(_FREE)
            ma.append(
                {
                    "lead_id": lead_id,
                    "email": f"{person}@{mail_domain}",
                    "company_name": _spell(c["name"], rng) if rng.random() < 0.95 else None,
                    "corporate_number": corp(c, 0.2),
                    "employees": employees(c),
                    "industry": c["industry"] if rng.random() < 0.5 else None,
                    "prefecture": c["prefecture"] if rng.random() < 0.6 else None,
                    "phone": c["phone"] if rng.random() < 0.3 else f"090{rng.randint(10000000, 99999999)}",
                    "sfa_lead_id": None,
                }
            )
            truth.append(("ma", "leads", lead_id, c["true_company_id"]))
        for lead_id in lead_ids[: rng.choice([0, 1, 1, 2])]:
            sfa_id = f"00Q{len(sfa_leads):012d}"
            row = ma[int(lead_id[1:])]
            synced = rng.random() < 0.7
            if synced:
                row["sfa_lead_id"] = sfa_id
            sfa_leads.append(
                {
                    "sfa_lead_id": sfa_id,
                    "company_name": _spell(c["name"], rng),
                    "email": row["email"],
                    "website": c["domain"] if rng.random() < 0.4 else None,
                    "corporate_number": corp(c, 0.3),
                    "employees": employees(c),
                    "converted_account_id": account_id if account_id and rng.random() < 0.5 else None,
                    "ma_lead_id": lead_id if synced and rng.random() < 0.8 else None,
                }
            )
            truth.append(("sfa", "lead", sfa_id, c["true_company_id"]))
        if rng.random() < 0.3:
            customer_id = f"C{len(customers):06d}"
            wrong = rng.random() < 0.02 and accounts
            customers.append(
                {
                    "customer_id": customer_id,
                    "company_name": _spell(c["name"], rng),
                    "domain": c["domain"] if rng.random() < 0.8 else None,
                    "corporate_number": corp(c, 0.5),
                    "sfa_account_id": rng.choice(accounts)["account_id"] if wrong else account_id,
                    "employees": employees(c),
                    "prefecture": c["prefecture"],
                }
            )
            truth.append(("cs", "customers", customer_id, c["true_company_id"]))
    frames = {
        "stg_ma__leads": pd.DataFrame(ma),
        "stg_sfa__accounts": pd.DataFrame(accounts),
        "stg_sfa__leads": pd.DataFrame(sfa_leads),
        "stg_cs__customers": pd.DataFrame(customers),
    }
    frames["stg_ma__leads"]["email_normalized"] = frames["stg_ma__leads"]["email"].str.lower()
    frames["stg_sfa__leads"]["email_normalized"] = frames["stg_sfa__leads"]["email"].str.lower()
    cols = ["source_system", "source_entity", "source_record_id", "true_company_id"]
    return frames, pd.DataFrame(truth, columns=cols)


def write_staging(con, frames: dict[str, pd.DataFrame]) -> None:
    """Create (or replace) `staging.<name>` tables from the frames."""
    con.execute("create schema if not exists staging")
    for name, frame in frames.items():
        con.register("_frame", frame)
        con.execute(f"create or replace table staging.{name} as select * from _frame")
        con.unregister("_frame")
