"""Company identity resolution: one stable company_id per real company across MA, SFA and CS.

Public entry points (heavy imports stay inside them):
- `resolve_companies(con, log=None)`: the pipeline step (identity/resolve.py)
- `identity.evaluate.evaluate(con, truth_dir)`: precision / recall / F1 against generator truth
  (no wrapper here: importing the submodule `identity.evaluate` would shadow it)
- `python -m identity.train`: offline training of the versioned Splink model
"""

from __future__ import annotations


def resolve_companies(con, log=None, **kwargs) -> dict:
    from identity.resolve import resolve_companies as _resolve

    return _resolve(con, log=log, **kwargs)


__all__ = ["resolve_companies"]
