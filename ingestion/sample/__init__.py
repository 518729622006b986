"""Deterministic sample-extract generator: MA, SFA and CS daily extracts plus the truth folder.

`generate(scale, seed, out, truth, days=None, start=date(2026, 6, 1), progress=True)` is the only
entry point (the `ssot generate` CLI wraps it). Module map: scales (sizes), world (companies,
users, campaigns), funnel (stage times), activities (MA scoring evidence), people (persons and
cross-system ids), ma / sfa / cs (extract rows), frames + writer (files), truth (what happened).
"""

from .corporate_number import check_digit, is_valid
from .generator import GENERATOR_VERSION, generate
from .scales import SCALES, Scale

__all__ = ["GENERATOR_VERSION", "SCALES", "Scale", "check_digit", "generate", "is_valid"]
