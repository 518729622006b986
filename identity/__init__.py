"""Company identity resolution: one stable company_id per real company across MA, SFA and CS.

Public entry points (heavy imports stay inside them):
- `resolve_companies(con, log=None)`: the pipeline step (identity/resolve.py)
- `evaluate(con, truth_dir)`: precision / recall / F1 against generator truth (identity/evaluate.py)
- `python -m identity.train`: offline training of the versioned Splink model
"""

from __future__ import annotations


def resolve_companies(con, log=None, **kwargs) -> dict:
    from identity.resolve import resolve_companies as _resolve

    return _resolve(con, log=log, **kwargs)


def evaluate(con, truth_dir, **kwargs) -> dict:
    from identity.evaluate import evaluate as _evaluate

    return _evaluate(con, truth_dir, **kwargs)


__all__ = ["evaluate", "resolve_companies"]
