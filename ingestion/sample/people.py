"""The people behind MA leads and how (badly) MA and SFA know they are the same person.

Owns person attributes (names, unique e-mails, titles, phones), the MA -> SFA sync time of every
lead and the state of its cross-system ids (both ids, one side only, a wrong id, or only the
e-mail). Source ids (`L-...`, `00Q...`) are formatted here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import names
from .funnel import Funnel
from .timeutil import NEVER, rng_for, uniform_secs
from .world import Companies

# Link states of a synced lead (MA `sfa_lead_id` / SFA `MA_Lead_Id__c`).
BOTH, SFA_SIDE_ONLY, MA_SIDE_ONLY, MA_WRONG, SFA_WRONG, EMAIL_ONLY = range(6)
LINK_P = (0.80, 0.07, 0.05, 0.02, 0.01, 0.05)
P_SYNC_AT_CREATION = 0.4  # the rest sync to SFA when they become MQL


def sf_id(prefix: str, number: int) -> str:
    """A 15-character Salesforce-style id (`00Q5g0000000123`)."""
    return f"{prefix}5g0{number:09d}"


def ma_lead_id(number: int) -> str:
    return f"L-{number:07d}"


def id_array(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    """Vectorised `f"{prefix}{n:0{width}d}"` as an object array; numbers <= 0 give None."""
    numbers = np.asarray(numbers, dtype=np.int64)
    digits = pc.utf8_lpad(pa.array(numbers).cast(pa.string()), width=width, padding="0")
    ids = pc.binary_join_element_wise(pa.scalar(prefix), digits, "")
    ids = pc.if_else(pa.array(numbers > 0), ids, pa.scalar(None, pa.string()))
    return ids.to_numpy(zero_copy_only=False)


def sf_ids(prefix: str, numbers: np.ndarray) -> np.ndarray:
    return id_array(f"{prefix}5g0", numbers, 9)


def ma_lead_ids(numbers: np.ndarray) -> np.ndarray:
    return id_array("L-", numbers, 7)


@dataclass
class People:
    family: np.ndarray
    given: np.ndarray
    email: np.ndarray  # object, unique per lead
    title: np.ndarray  # object
    phone: np.ndarray  # object
    sync_at: np.ndarray  # when the SFA lead is created, NEVER when never synced
    sfa_number: np.ndarray  # SFA lead number (for `00Q...`), 0 when never synced
    link: np.ndarray  # link state


def build_people(f: Funnel, companies: Companies, seed: int, end_ts: int) -> People:
    rng = rng_for(seed, "people")
    n = f.n
    fam = rng.integers(0, len(names.FAMILY_NAMES), n)
    giv = rng.integers(0, len(names.GIVEN_NAMES), n)
    free = rng.random(n) < 0.15
    pattern = rng.integers(0, 4, n)
    emails = np.empty(n, dtype=object)
    seen: dict[str, int] = {}
    for i in range(n):
        fr, gr = names.FAMILY_NAMES[fam[i]][1], names.GIVEN_NAMES[giv[i]][1]
        local = (f"{gr}.{fr}", f"{gr[0]}.{fr}", f"{fr}.{gr}", f"{fr}{gr[0]}")[pattern[i]]
        if free[i]:
            domain = names.FREE_MAIL_DOMAINS[i % len(names.FREE_MAIL_DOMAINS)]
            local = f"{local.replace('.', '_')}{(i * 7919) % 1000}"
        else:
            domain = companies.domain[f.company[i]]
        addr = f"{local}@{domain}"
        dup = seen.get(addr, 0)
        seen[addr] = dup + 1
        if dup:  # two people with the same name at one company get a numbered address
            addr = f"{local}{dup + 1}@{domain}"
            if addr in seen:
                addr = f"{local}.{i}@{domain}"
            seen[addr] = 1
        emails[i] = addr
    title = np.array(names.JOB_TITLES, dtype=object)[rng.integers(0, len(names.JOB_TITLES), n)]
    mobile = rng.random(n) < 0.3
    phone = np.where(
        mobile,
        np.array(
            [
                f"090-{a:04d}-{b:04d}"
                for a, b in zip(rng.integers(0, 10000, n), rng.integers(0, 10000, n), strict=True)
            ],
            dtype=object,
        ),
        np.array(companies.phone, dtype=object)[f.company],
    )
    phone = np.where(rng.random(n) < 0.2, None, phone)

    at_creation = rng.random(n) < P_SYNC_AT_CREATION
    sync = np.where(at_creation, f.created + uniform_secs(rng, 5 * 60, 30 * 60, n), NEVER)
    first_mql = f.stage["mql"][0]
    sync = np.where(~at_creation & (first_mql < NEVER), first_mql + uniform_secs(rng, 60, 10 * 60, n), sync)
    synced = np.flatnonzero(sync < end_ts)
    order = synced[np.lexsort((synced, sync[synced]))]
    number = np.zeros(n, dtype=np.int64)
    number[order] = np.arange(1, len(order) + 1)
    link = rng.choice(len(LINK_P), size=n, p=LINK_P)
    return People(fam, giv, emails, title, phone, sync, number, link)
