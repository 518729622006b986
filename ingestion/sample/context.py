"""Everything the extract builders share for one generation run (read-only after construction)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .funnel import Funnel
from .people import People
from .scales import Scale
from .timeutil import DAY
from .world import Campaigns, Companies, Users


@dataclass
class Context:
    scale: Scale
    seed: int
    start_ts: int  # JST midnight of the first day
    days: int
    rules: dict  # dbt vars (ingestion.rules.business_rules())
    companies: Companies
    users: Users
    campaigns: Campaigns
    funnel: Funnel
    people: People
    installed: np.ndarray  # company indexes that were customers before the range

    @property
    def end_ts(self) -> int:
        return self.start_ts + self.days * DAY

    def day_of(self, ts: np.ndarray) -> np.ndarray:
        """Daily folder of a time (JST date); earlier history goes into the first folder."""
        return np.clip((np.asarray(ts, dtype=np.int64) - self.start_ts) // DAY, 0, self.days - 1)
