"""Clock and randomness shared by the generator modules.

Owns: the time axis (epoch seconds, UTC, whole minutes so every export format is lossless), the
`NEVER` sentinel for stages that did not happen, day indexing in Asia/Tokyo, and the per-component
random streams (named sub-seeds, so adding a component never shifts another's numbers).
"""

from __future__ import annotations

import datetime as dt
import zlib

import numpy as np

JST = dt.timezone(dt.timedelta(hours=9))
HOUR = 3600
DAY = 86400
# Stages that never happened carry NEVER; adding any delay to it still compares > every real time.
NEVER = np.int64(2**62)


def rng_for(seed: int, name: str) -> np.random.Generator:
    """An independent, reproducible stream per component (crc32 is stable across runs/platforms)."""
    return np.random.default_rng([int(seed), zlib.crc32(name.encode("utf-8"))])


def jst_midnight(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=JST).timestamp())


def to_minute(ts: np.ndarray) -> np.ndarray:
    """Round down to whole minutes (NEVER stays NEVER: it is a multiple of 64, not of 60, so guard)."""
    out = ts - ts % 60
    return np.where(ts >= NEVER, NEVER, out)


def uniform_secs(rng: np.random.Generator, lo: float, hi: float, n: int) -> np.ndarray:
    """n uniform delays in [lo, hi) seconds, as int64 whole minutes (at least one minute)."""
    secs = rng.uniform(lo, hi, size=n).astype(np.int64)
    return np.maximum(secs - secs % 60, 60)


def business_time_of_day(rng: np.random.Generator, n: int) -> np.ndarray:
    """Seconds after JST midnight, mostly office hours (people fill forms at work)."""
    office = rng.random(n) < 0.8
    hours = np.where(office, rng.uniform(8.5, 19.0, n), rng.uniform(0.0, 24.0, n))
    secs = (hours * HOUR).astype(np.int64)
    return secs - secs % 60


def iso_utc(ts: int) -> str:
    return dt.datetime.fromtimestamp(int(ts), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
