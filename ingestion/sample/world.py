"""The static world: real companies (the truth), the seller's users, and marketing campaigns.

Owns who exists: companies with canonical names, spellings, corporate numbers, domains, groups
(group companies share one mail domain) and same-name-different-company pairs; SFA users by
department; campaigns with channel, dates and cost. Nothing here is an extract row yet.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import corporate_number, names
from .scales import Scale
from .timeutil import DAY, HOUR, rng_for

N_VARIANTS = 9


@dataclass
class Companies:
    ids: list[str]  # TC-000001 (truth only)
    canonical: list[str]
    variants: np.ndarray  # object (n, N_VARIANTS): spellings, column 0 canonical
    corporate_number: list[str]
    domain: list[str]
    romaji: list[str]
    employees: np.ndarray
    industry: list[str]
    prefecture: list[str]
    group_id: list[str]
    phone: list[str]
    weight: np.ndarray  # probability a lead comes from this company (bigger -> more leads)

    def __len__(self) -> int:
        return len(self.ids)


def build_companies(scale: Scale, seed: int) -> Companies:
    rng = rng_for(seed, "companies")
    n = scale.companies
    stems: list[tuple[str, str]] = []
    used: set[str] = set()
    while len(stems) < n:
        if rng.random() < 0.3:
            a = names.KANJI_STEMS[int(rng.integers(0, len(names.KANJI_STEMS)))]
            b = names.KANJI_SUFFIXES[int(rng.integers(0, len(names.KANJI_SUFFIXES)))]
            stem = (a[0] + b[0], f"{a[1].title()} {b[2]}", a[1] + b[1])
        else:
            word, roma = names.kana_word(rng)
            suf = names.KANA_SUFFIXES[int(rng.integers(0, len(names.KANA_SUFFIXES)))]
            if rng.random() < 0.08:  # latin in the name -> full-width variants exist
                lat = names.LATIN_PREFIXES[int(rng.integers(0, len(names.LATIN_PREFIXES)))]
                word, roma = lat + word, lat.lower() + roma
            stem = (word + suf[0], f"{roma.title()} {suf[2]}".strip(), roma + suf[1])
        if stem[0] in used:  # duplicates are injected on purpose below, not by chance
            continue
        used.add(stem[0])
        stems.append(stem)

    forms = rng.choice(len(names.LEGAL_FORMS), size=n, p=names.LEGAL_FORM_WEIGHTS)
    prefix = rng.random(n) < 0.6
    variants = np.empty((n, N_VARIANTS), dtype=object)
    for i, (stem, stem_en, _) in enumerate(stems):
        variants[i, :] = names.company_variants(stem, stem_en, int(forms[i]), bool(prefix[i]), rng)

    # Domains: unique per company, except group members who share the parent's.
    domains, romaji, seen = [], [], set()
    for _, _, roma in stems:
        base = roma.replace(" ", "")[:20] or "corp"
        tld = names.TLDS[int(rng.integers(0, len(names.TLDS)))]
        dom, k = base + tld, 2
        while dom in seen:
            dom, k = f"{base}{k}{tld}", k + 1
        seen.add(dom)
        domains.append(dom)
        romaji.append(base)
    group_id = [""] * n
    n_groups = max(1, n // 50)
    members = rng.permutation(n)[: n_groups * 3]
    for g in range(n_groups):
        parent, *children = (int(x) for x in members[g * 3 : g * 3 + 3])
        for m in (parent, *children):
            group_id[m] = f"G-{g + 1:04d}"
        for c in children:
            domains[c] = domains[parent]

    # Same name, different company: copy spellings of an unrelated company (different number/domain).
    n_same = max(1, n // 200)
    pool = [i for i in rng.permutation(n).tolist() if not group_id[i]]
    for j in range(n_same):
        src, dst = pool[2 * j], pool[2 * j + 1]
        variants[dst, :] = variants[src, :]

    employees = np.clip(np.round(rng.lognormal(np.log(80), 1.3, n)), 3, 50_000).astype(np.int64)
    industry = [names.INDUSTRIES[int(i)] for i in rng.integers(0, len(names.INDUSTRIES), n)]
    prefecture = [
        names.PREFECTURES[int(i)] for i in rng.choice(len(names.PREFECTURES), n, p=names.PREFECTURE_WEIGHTS)
    ]
    phone = [
        f"0{a}-{b:04d}-{c:04d}"
        for a, b, c in zip(
            rng.integers(3, 99, n), rng.integers(0, 10000, n), rng.integers(0, 10000, n), strict=True
        )
    ]
    weight = np.sqrt(employees.astype(float))
    return Companies(
        ids=[f"TC-{i + 1:06d}" for i in range(n)],
        canonical=[str(v) for v in variants[:, 0]],
        variants=variants,
        corporate_number=corporate_number.random_numbers(rng, n),
        domain=domains,
        romaji=romaji,
        employees=employees,
        industry=industry,
        prefecture=prefecture,
        group_id=group_id,
        phone=phone,
        weight=weight / weight.sum(),
    )


DEPARTMENTS = ("Marketing", "Inside Sales", "Field Sales", "Customer Success")
ROLES = {
    "Marketing": ("Marketing Ops", "Marketing Manager"),
    "Inside Sales": ("IS Rep", "IS Manager"),
    "Field Sales": ("Account Executive", "FS Manager"),
    "Customer Success": ("CSM", "CS Manager"),
}


@dataclass
class Users:
    ids: list[str]
    name: list[str]
    email: list[str]
    department: list[str]
    role: list[str]
    hired_at: np.ndarray  # epoch s; users hired mid-range appear in a later User snapshot
    left_at: np.ndarray  # epoch s or NEVER-like large; IsActive=false from then on
    change_ts: int  # the one time the user list changes (hire + leave)

    def active(self, department: str, at: int) -> np.ndarray:
        """Indexes of the department's users active at time `at`."""
        return np.array(
            [
                i
                for i, d in enumerate(self.department)
                if d == department and self.hired_at[i] <= at < self.left_at[i]
            ]
        )

    def pick(self, department: str, at: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A random user of the department active at each time in `at` (the list changes once)."""
        before, after = self.active(department, self.change_ts - 1), self.active(department, self.change_ts)
        u = rng.random(len(at))
        return np.where(
            at < self.change_ts,
            before[(u * len(before)).astype(np.int64)],
            after[(u * len(after)).astype(np.int64)],
        )


def build_users(scale: Scale, seed: int, start_ts: int, days: int, sf_id) -> Users:
    rng = rng_for(seed, "users")
    rows = []
    for dep, count in zip(DEPARTMENTS, scale.users, strict=True):
        for k in range(count):
            rows.append((dep, ROLES[dep][1] if k == 0 else ROLES[dep][0]))
    change_ts = start_ts + max(1, days // 2) * DAY + 9 * HOUR
    rows.append(("Inside Sales", "IS Rep"))  # the mid-range hire
    n = len(rows)
    hired = np.full(n, start_ts - 400 * DAY, dtype=np.int64)
    hired[-1] = change_ts
    left = np.full(n, np.int64(2**62), dtype=np.int64)
    is_reps = [i for i, (d, r) in enumerate(rows) if d == "Inside Sales" and r == "IS Rep" and i != n - 1]
    left[is_reps[-1]] = change_ts  # one IS rep leaves when the new one starts
    fam = rng.integers(0, len(names.FAMILY_NAMES), n)
    giv = rng.integers(0, len(names.GIVEN_NAMES), n)
    user_names = [
        f"{names.FAMILY_NAMES[f][0]} {names.GIVEN_NAMES[g][0]}" for f, g in zip(fam, giv, strict=True)
    ]
    emails = [
        f"{names.GIVEN_NAMES[g][1]}.{names.FAMILY_NAMES[f][1]}{i + 1}@ssot-saas.co.jp"
        for i, (f, g) in enumerate(zip(fam, giv, strict=True))
    ]
    return Users(
        ids=[sf_id("005", i + 1) for i in range(n)],
        name=user_names,
        email=emails,
        department=[d for d, _ in rows],
        role=[r for _, r in rows],
        hired_at=hired,
        left_at=left,
        change_ts=change_ts,
    )


CHANNELS = (
    "paid_ads",
    "event",
    "webinar",
    "seminar",
    "email",
    "content",
    "referral",
    "organic",
    "partner",
    "other",
)
# Share of new leads by channel; always-on campaigns keep every channel available every day.
CHANNEL_LEAD_WEIGHT = {
    "paid_ads": 0.25,
    "event": 0.12,
    "webinar": 0.15,
    "seminar": 0.06,
    "email": 0.06,
    "content": 0.12,
    "referral": 0.04,
    "organic": 0.15,
    "partner": 0.04,
    "other": 0.01,
}
ALWAYS_ON = ("paid_ads", "content", "referral", "organic", "partner", "other")
# (min, max) budget in JPY per campaign; referral/organic cost nothing.
CHANNEL_COST = {
    "paid_ads": (300_000, 3_000_000),
    "event": (500_000, 5_000_000),
    "webinar": (50_000, 400_000),
    "seminar": (100_000, 800_000),
    "email": (10_000, 100_000),
    "content": (100_000, 1_000_000),
    "referral": (0, 0),
    "organic": (0, 0),
    "partner": (200_000, 600_000),
    "other": (0, 50_000),
}
CHANNEL_LABEL = {
    "paid_ads": "リスティング広告",
    "event": "展示会",
    "webinar": "ウェビナー",
    "seminar": "セミナー",
    "email": "メルマガ",
    "content": "ホワイトペーパー",
    "referral": "紹介",
    "organic": "自然検索",
    "partner": "パートナー",
    "other": "その他",
}
THEMES = [
    "営業DX入門",
    "SFA活用術",
    "MA×SFA連携",
    "データドリブン経営",
    "インサイドセールス立ち上げ",
    "カスタマーサクセス最前線",
    "ABM実践",
    "KPI設計",
]


@dataclass
class Campaigns:
    ids: list[str]
    name: list[str]
    channel: list[str]
    start: np.ndarray  # epoch s (JST midnight of start_date)
    end: np.ndarray  # epoch s (JST midnight of end_date)
    budget: np.ndarray  # planned cost (JPY)
    actual: np.ndarray  # final cost, known a few days after the end
    created_at: np.ndarray  # when it appears in the MA campaign list
    finalised_at: np.ndarray  # when cost switches from budget to actual

    def __len__(self) -> int:
        return len(self.ids)


def build_campaigns(scale: Scale, seed: int, start_ts: int, days: int) -> Campaigns:
    rng = rng_for(seed, "campaigns")
    chans: list[str] = list(ALWAYS_ON)  # one always-on campaign per always-on channel
    starts = [start_ts - 90 * DAY] * len(chans)
    ends = [start_ts + (days + 90) * DAY] * len(chans)
    timed = ["event", "webinar", "seminar", "email", "paid_ads"]
    tw = np.array([0.2, 0.35, 0.15, 0.2, 0.1])
    for _ in range(max(0, scale.campaigns - len(chans))):
        ch = timed[int(rng.choice(len(timed), p=tw))]
        s = start_ts + int(rng.integers(-30, max(days - 3, 1))) * DAY
        length = {
            "event": (1, 3),
            "webinar": (1, 1),
            "seminar": (1, 1),
            "email": (1, 1),
            "paid_ads": (14, 60),
        }[ch]
        chans.append(ch)
        starts.append(s)
        ends.append(s + (int(rng.integers(length[0], length[1] + 1)) - 1) * DAY)
    n = len(chans)
    start = np.array(starts, dtype=np.int64)
    end = np.array(ends, dtype=np.int64)
    order = np.lexsort((np.arange(n), start))
    chans = [chans[i] for i in order]
    start, end = start[order], end[order]
    lo = np.array([CHANNEL_COST[c][0] for c in chans], dtype=float)
    hi = np.array([CHANNEL_COST[c][1] for c in chans], dtype=float)
    budget = np.round(rng.uniform(lo, hi + 1) / 10_000) * 10_000
    actual = np.round(budget * rng.uniform(0.85, 1.1, n) / 1_000) * 1_000
    created = start - 14 * DAY + 10 * HOUR
    finalised = end + int(3.5 * DAY) + 11 * HOUR
    ids = [f"CMP-{i + 1:04d}" for i in range(n)]
    month = [
        f"{(np.datetime64(int(s), 's') + np.timedelta64(9, 'h')).astype('datetime64[M]')}" for s in start
    ]
    cname = []
    for i, c in enumerate(chans):
        theme = THEMES[int(rng.integers(0, len(THEMES)))]
        cname.append(
            f"{month[i]} {CHANNEL_LABEL[c]} {theme}" if c not in ALWAYS_ON else f"常設 {CHANNEL_LABEL[c]}"
        )
    return Campaigns(
        ids, cname, chans, start, end, budget.astype(np.int64), actual.astype(np.int64), created, finalised
    )
