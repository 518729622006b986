"""`ssot`: the command line of the warehouse.

    ssot generate --scale S --seed 42 --out DIR --truth DIR   sample extracts + ground truth
    ssot run [--landing DIR] [--warehouse FILE] [--start D --end D] [--full-refresh]   materialize every asset
    ssot demo                                                 generate S + run + summary
    ssot report [--run RUN_ID] [--out FILE]                   the auditor's HTML report
    ssot summary                                              KPI summary of the published marts
    ssot prepare                                              parse dbt (manifest) once, at install
    ssot contracts sync|check                                 dbt sources from the extract contract
    ssot bench --scale S|M|L [--seed N] [--out JSON] [--workdir DIR]   speed/memory vs pure DuckDB

Options that name paths override the environment variables of orchestration/settings.py, so
`ssot run` and `dagster dev -w workspace.yaml` see the same warehouse.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

# Defaults per scale: the generator's own default day counts; every scale ends on the same
# fixed date so files never depend on when they were generated.
GENERATOR_END_DATE = "2026-09-30"


def _apply_paths(args: argparse.Namespace) -> None:
    for attr, var in (("landing", "SSOT_LANDING"), ("warehouse", "SSOT_WAREHOUSE"), ("truth", "SSOT_TRUTH")):
        value = getattr(args, attr, None)
        if value:
            os.environ[var] = str(Path(value).expanduser().resolve())


def cmd_generate(args: argparse.Namespace) -> int:
    from ingestion.sample import generate

    start = _generator_start(args.scale, args.days)
    t0 = time.perf_counter()
    manifest = generate(
        scale=args.scale,
        seed=args.seed,
        out=Path(args.out),
        truth=Path(args.truth),
        days=args.days,
        start=start,
        progress=not args.quiet,
        overwrite=args.overwrite,
    )
    files = len(manifest.get("files", {})) if isinstance(manifest, dict) else 0
    print(f"generated scale {args.scale} seed {args.seed} ({files} files) in {time.perf_counter() - t0:.1f}s")
    print(f"  landing: {Path(args.out).resolve()}\n  truth:   {Path(args.truth).resolve()}")
    return 0


def _generator_start(scale: str, days: int | None):
    import datetime as dt

    from ingestion.sample.scales import get_scale

    n = days or get_scale(scale).days
    return dt.date.fromisoformat(GENERATOR_END_DATE) - dt.timedelta(days=n - 1)


def landing_dates(landing: Path) -> list[str]:
    from orchestration.automation import landing_fingerprints

    return sorted(landing_fingerprints(landing))


def run_pipeline(
    start: str | None = None, end: str | None = None, trigger: str = "manual", full_refresh: bool = False
):
    """Materialize every asset through the one Definitions, in this process, for a range of
    extract dates (default: every date folder in the landing zone). Returns the Dagster result.
    `full_refresh` rebuilds dbt's incremental models and identity from scratch (after a change to
    their SQL or code)."""
    from dagster import DagsterInstance

    from orchestration import triggers
    from orchestration.definitions import defs
    from orchestration.settings import export_environment

    # Re-export: the environment may have changed since Definitions were imported (dbt reads it).
    s = export_environment()
    dates = landing_dates(s.landing)
    if not dates and not (start and end):
        raise SystemExit(f"ssot run: no extract folders under {s.landing} (run `ssot generate` first)")
    start = start or dates[0]
    end = end or dates[-1]
    job = defs.resolve_job_def("ssot_pipeline")
    tags = {
        "dagster/asset_partition_range_start": start,
        "dagster/asset_partition_range_end": end,
        "ssot/trigger": trigger,
    }
    if full_refresh:
        tags[triggers.FULL_REFRESH_TAG] = "true"
    instance = DagsterInstance.get()
    return job.execute_in_process(instance=instance, tags=tags, raise_on_error=False)


def _print_run_outcome(result, t0: float) -> int:
    from orchestration.settings import settings

    s = settings()
    run_id = result.run_id
    print(f"\nrun {run_id}: {'SUCCESS' if result.success else 'FAILED'} in {time.perf_counter() - t0:.1f}s")
    if not result.success:
        for event in result.all_events:
            if event.is_step_failure:
                err = event.step_failure_data.error
                print(f"  step {event.step_key} failed: {err.message.strip() if err else ''}")
    print(f"  warehouse:      {s.warehouse}")
    print(f"  published KPIs: {s.export_dir} (Parquet) and schema kpi")
    print(f"  DQ report:      {s.report_dir / f'dq_report_{run_id}.html'}")
    print(
        f"  run logs:       {s.dagster_home / 'storage' / run_id} (Dagster) and {s.dbt_artifacts_dir / run_id} (dbt)"
    )
    return 0 if result.success else 1


def cmd_run(args: argparse.Namespace) -> int:
    _apply_paths(args)
    t0 = time.perf_counter()
    result = run_pipeline(args.start, args.end, trigger=args.trigger, full_refresh=args.full_refresh)
    code = _print_run_outcome(result, t0)
    if result.success:
        print_summary()
    return code


def cmd_demo(args: argparse.Namespace) -> int:
    from orchestration.settings import settings

    t0 = time.perf_counter()
    s = settings()
    marker = s.truth / "manifest.json"
    wanted = {"scale": "S", "seed": args.seed}
    cached = marker.exists() and all(json.loads(marker.read_text()).get(k) == v for k, v in wanted.items())
    if not cached:
        cmd_generate(
            argparse.Namespace(
                scale="S",
                seed=args.seed,
                days=None,
                out=s.landing,
                truth=s.truth,
                quiet=False,
                overwrite=True,
            )
        )
    else:
        print(f"sample extracts (scale S, seed {args.seed}) already in {s.landing}")
    result = run_pipeline(trigger="manual")
    code = _print_run_outcome(result, t0)
    if result.success:
        print_summary()
    print(f"\ndemo finished in {time.perf_counter() - t0:.1f}s")
    return code


def print_summary() -> None:
    from orchestration.settings import settings
    from orchestration.summary import kpi_summary

    print(kpi_summary(settings().warehouse))


def cmd_summary(args: argparse.Namespace) -> int:
    _apply_paths(args)
    print_summary()
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    import duckdb

    from expectations.report import build_report
    from orchestration.settings import settings

    _apply_paths(args)
    s = settings()
    out = Path(args.out) if args.out else s.report_dir / f"dq_report_{args.run or 'latest'}.html"
    con = duckdb.connect(str(s.warehouse), read_only=True)
    try:
        path = build_report(con, out, run_id=args.run)
    finally:
        con.close()
    print(path)
    return 0


def cmd_prepare(args: argparse.Namespace) -> int:
    """Parse the dbt project into target/manifest.json (what dagster-dbt loads the graph from)."""
    from ingestion.rules import DBT_PROJECT_DIR
    from orchestration.settings import export_environment

    export_environment()
    dbt = Path(sys.executable).with_name("dbt")
    cmd = [str(dbt), "parse", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    return subprocess.call(cmd, cwd=DBT_PROJECT_DIR)


def cmd_contracts(args: argparse.Namespace) -> int:
    from ingestion.contracts import SYSTEMS, dbt_sources_path, render_dbt_sources, sync_dbt_sources
    from orchestration.settings import PROJECT_ROOT

    if args.action == "sync":
        for path in sync_dbt_sources(PROJECT_ROOT):
            print(f"wrote {path.relative_to(PROJECT_ROOT)}")
        return 0
    stale = [
        str(dbt_sources_path(PROJECT_ROOT, s).relative_to(PROJECT_ROOT))
        for s in SYSTEMS
        if not dbt_sources_path(PROJECT_ROOT, s).exists()
        or dbt_sources_path(PROJECT_ROOT, s).read_text(encoding="utf-8") != render_dbt_sources(s)
    ]
    for path in stale:
        print(f"out of date: {path} (run `ssot contracts sync`)")
    return 1 if stale else 0


def cmd_bench(args: argparse.Namespace) -> int:
    from orchestration.bench import main_from_args

    return main_from_args(args)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ssot", description="ssot-warehouse command line")
    sub = p.add_subparsers(dest="command", required=True)

    g = sub.add_parser("generate", help="generate deterministic sample extracts and their truth")
    g.add_argument("--scale", choices=["T", "S", "M", "L"], default="S")
    g.add_argument("--seed", type=int, default=42)
    g.add_argument("--days", type=int, default=None)
    g.add_argument("--out", required=True, help="landing directory to write")
    g.add_argument("--truth", required=True, help="truth directory to write")
    g.add_argument("--quiet", action="store_true", help="no progress bar")
    g.add_argument("--overwrite", action="store_true", help="replace extracts already in --out")
    g.set_defaults(func=cmd_generate)

    r = sub.add_parser("run", help="materialize every asset through Dagster")
    r.add_argument("--landing")
    r.add_argument("--warehouse")
    r.add_argument("--start", help="first extract date (default: earliest landing folder)")
    r.add_argument("--end", help="last extract date (default: latest landing folder)")
    r.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild dbt's incremental tables and identity from scratch (after changing their code)",
    )
    r.add_argument("--trigger", default="manual", help=argparse.SUPPRESS)
    r.set_defaults(func=cmd_run)

    d = sub.add_parser("demo", help="generate the S-scale sample, run everything, print a summary")
    d.add_argument("--seed", type=int, default=42)
    d.set_defaults(func=cmd_demo)

    rep = sub.add_parser("report", help="write the data-quality HTML report")
    rep.add_argument("--run", help="Dagster run id (default: the latest run)")
    rep.add_argument("--out")
    rep.add_argument("--warehouse")
    rep.set_defaults(func=cmd_report)

    sm = sub.add_parser("summary", help="print the KPI summary of the published marts")
    sm.add_argument("--warehouse")
    sm.set_defaults(func=cmd_summary)

    pr = sub.add_parser("prepare", help="parse the dbt project (manifest for Dagster)")
    pr.set_defaults(func=cmd_prepare)

    c = sub.add_parser("contracts", help="dbt sources from ingestion/contracts.yaml")
    c.add_argument("action", choices=["sync", "check"])
    c.set_defaults(func=cmd_contracts)

    from orchestration.bench import add_arguments as bench_arguments

    b = sub.add_parser("bench", help="end-to-end speed and memory, side by side with pure DuckDB")
    bench_arguments(b)
    b.set_defaults(func=cmd_bench)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
