"""The auditor's data-quality report: one static, offline HTML file per run.

Owns the report's content and layout: the run (ids, trigger, times in UTC and in the reporting
time zone), every check with its status, observed value against threshold, definition version and
hash, code and rules version; the failures with their masked samples; the row-count
reconciliation files -> raw -> quarantine -> staging -> core -> KPI marts; and what was published
when. Inline CSS only: no script, stylesheet, font or image from any URL (the report must open
offline and leak nothing).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from zoneinfo import ZoneInfo

from expectations.history import COLUMNS
from expectations.publish import BUILD_SCHEMA, PUBLISH_SCHEMA
from ingestion.contracts import load_contracts, quote_ident
from ingestion.rules import business_rules, rules_version

# Core facts fed (mostly) by one source entity, for the reconciliation table. Candidates in
# order; the first that exists is shown. Facts are not 1:1 with raw rows (cycles, dedupes), so
# the report shows their counts beside the chain rather than asserting equality.
CORE_FACTS = {
    ("ma", "leads"): ("core.fct_lead_funnel", "core.fct_lead_cycles", "core.dim_contacts"),
    ("ma", "activities"): ("core.fct_lifecycle_events",),
    ("sfa", "account"): ("core.dim_companies",),
    ("sfa", "opportunity"): ("core.fct_opportunities",),
    ("cs", "subscriptions"): ("core.fct_subscriptions",),
    ("cs", "customers"): ("core.dim_customers", "core.dim_companies"),
}

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem;color:#1d2430;font-size:14px}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ccd;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.5rem 0;width:100%}th,td{border:1px solid #d5d9e0;padding:.25rem .45rem;
text-align:left;vertical-align:top}th{background:#f1f3f7}td.num{text-align:right;font-variant-numeric:tabular-nums}
.status{font-weight:600;padding:0 .35rem;border-radius:3px}.s-pass{background:#dff3e4;color:#17622e}
.s-warn{background:#fff3cd;color:#7a5a00}.s-fail{background:#f8d7da;color:#8a1c25}.s-error{background:#e2d9f3;color:#4a2a86}
.ok{color:#17622e}.bad{color:#8a1c25;font-weight:600}.muted{color:#677}code{font-size:.85em}
.banner{padding:.6rem 1rem;border-radius:4px;margin:1rem 0;font-weight:600}
.banner.blocked{background:#f8d7da}.banner.clear{background:#dff3e4}
.checks td:nth-child(6),.checks td:nth-child(7){min-width:16rem}.checks td:nth-child(2){min-width:13rem;overflow-wrap:anywhere}
"""


def _q(con, sql: str, params=None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _exists(con, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchall()[0][0]
    )


def _relations(con) -> set[tuple[str, str]]:
    """(schema, table) of every table and view: one catalog read for the reconciliation's ~90
    existence checks (~3 ms each at L)."""
    return set(con.execute("select table_schema, table_name from information_schema.tables").fetchall())


def _count(con, relations: set, schema: str, table: str, where: str = "", params=None) -> int | None:
    """Rows of `schema.table`, None when it is not in `relations` (`_relations`)."""
    if (schema, table) not in relations:
        return None
    sql = f"select count(*) from {quote_ident(schema)}.{quote_ident(table)} {where}"
    return con.execute(sql, params or []).fetchall()[0][0]


def _e(value) -> str:
    return "" if value is None else escape(str(value))


def _when(ts: datetime | None, tz: ZoneInfo) -> str:
    if ts is None:
        return "—"
    utc = ts.replace(tzinfo=UTC)
    local = utc.astimezone(tz)
    return f"{utc:%Y-%m-%d %H:%M:%S} UTC ({local:%Y-%m-%d %H:%M:%S} {tz.key})"


def _status(s: str) -> str:
    return f'<span class="status s-{_e(s)}">{_e(s)}</span>'


def _pub_status(s: str) -> str:
    css = {"published": "pass", "blocked": "fail"}.get(s, "error")
    return f'<span class="status s-{css}">{_e(s)}</span>'


def _table(headers: list[str], rows: list[list[str]], num: set[int] = frozenset(), css: str = "") -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    thead = f"<thead><tr>{head}</tr></thead>" if any(headers) else ""
    body = "".join(
        "<tr>"
        + "".join(f'<td class="num">{c}</td>' if i in num else f"<td>{c}</td>" for i, c in enumerate(r))
        + "</tr>"
        for r in rows
    )
    empty = "<tr><td colspan=99 class=muted>none</td></tr>"
    return f'<table class="{css}">{thead}<tbody>{body or empty}</tbody></table>'


def latest_run_id(con) -> str | None:
    if not _exists(con, "audit", "dq_results"):
        return None
    rows = con.execute(
        "select run_id from audit.dq_results order by recorded_at desc, ended_at desc limit 1"
    ).fetchall()
    return rows[0][0] if rows else None


def _summary(con, run_id: str | None, results: list[dict], tz: ZoneInfo) -> str:
    if not results:
        return f"<p class=muted>No data-quality results recorded{' for run ' + _e(run_id) if run_id else ''}.</p>"
    starts = [r["started_at"] for r in results if r["started_at"]]
    ends = [r["ended_at"] for r in results if r["ended_at"]]
    by_status = {s: sum(r["status"] == s for r in results) for s in ("pass", "warn", "fail", "error")}
    blocking = [r for r in results if r["blocked_publication"]]
    pubs = (
        _q(
            con,
            "select status from audit.publications where run_id = ? order by published_at desc limit 1",
            [run_id],
        )
        if _exists(con, "audit", "publications")
        else []
    )
    outcome = pubs[0]["status"] if pubs else "not attempted in this run"
    banner = (
        f'<div class="banner blocked">{len(blocking)} blocking check(s) did not pass: publication {_e(outcome)}.</div>'
        if blocking
        else f'<div class="banner clear">No blocking check failed. Publication: {_e(outcome)}.</div>'
    )
    rows = [
        ["Run id", f"<code>{_e(run_id)}</code>"],
        ["Trigger", _e(", ".join(sorted({r["trigger"] for r in results})))],
        ["Started", _e(_when(min(starts) if starts else None, tz))],
        ["Ended", _e(_when(max(ends) if ends else None, tz))],
        [
            "Partition(s)",
            _e(", ".join(sorted({str(r["partition"]) for r in results if r["partition"]})) or "—"),
        ],
        ["Checks", " · ".join(f"{_status(s)} {n}" for s, n in by_status.items())],
        [
            "Code version",
            _e(", ".join(sorted({str(r["code_version"]) for r in results if r["code_version"]}))),
        ],
        [
            "Rules version",
            _e(", ".join(sorted({str(r["rules_version"]) for r in results if r["rules_version"]}))),
        ],
    ]
    return banner + _table(["", ""], rows)


def _checks(results: list[dict]) -> str:
    order = {"error": 0, "fail": 1, "warn": 2, "pass": 3}
    rows = [
        [
            _e(r["asset"]),
            f"<code>{_e(r['check_name'])}</code>",
            _e(r["check_source"]),
            _e(r["severity"]),
            _status(r["status"]),
            _e(r["observed_value"]),
            _e(r["threshold"]),
            _e(r["failing_row_count"]),
            _e(r["definition_version"]),
            f"<code title='{_e(r['definition_hash'])}'>{_e((r['definition_hash'] or '')[:12])}</code>",
            _e(r["partition"]),
        ]
        for r in sorted(results, key=lambda r: (order[r["status"]], r["asset"], r["check_name"]))
    ]
    headers = ["asset", "check", "source", "severity", "status", "observed", "threshold", "failing rows",
               "definition version", "definition hash", "partition"]  # fmt: skip
    return _table(headers, rows, num={7}, css="checks")


def _failures(results: list[dict]) -> str:
    bad = [r for r in results if r["status"] != "pass"]
    if not bad:
        return "<p>All checks passed.</p>"
    parts = []
    for r in bad:
        sample = json.loads(r["sample_json"]) if r["sample_json"] else []
        head = (
            f"<h3>{_status(r['status'])} {_e(r['asset'])} / <code>{_e(r['check_name'])}</code>"
            f"{' — blocks publication' if r['blocked_publication'] else ''}</h3>"
            f"<p>Observed <b>{_e(r['observed_value'])}</b> vs threshold <b>{_e(r['threshold'])}</b>; "
            f"failing rows: {_e(r['failing_row_count'])}.</p>"
        )
        if r["message"]:
            head += f"<p class=muted>Message: <code>{_e(r['message'][:500])}</code></p>"
        if sample:
            cols = list(dict.fromkeys(k for row in sample for k in row))
            head += "<p>Sample (masked, at most 5 rows):</p>" + _table(
                cols, [[_e(row.get(c)) for c in cols] for row in sample]
            )
        parts.append(head)
    return "".join(parts)


def _reconciliation(con) -> str:
    from expectations.staging_keys import verified_raw_keys

    # The distinct raw keys the last passing staging reconciliation test proved, for the raw
    # tables unchanged since (every one, right after a run): counting them again over every raw
    # table took seconds at L.
    proven = verified_raw_keys(con)
    relations = _relations(con)  # the reconciliation reads, and creates nothing
    has_ledger = ("audit", "load_ledger") in relations
    has_quarantine = ("audit", "quarantine") in relations
    rows = []
    for ent in load_contracts().entities:
        ledger = (
            _q(
                con,
                "select coalesce(sum(rows_read), 0) as read, coalesce(sum(rows_loaded), 0) as loaded, "
                "coalesce(sum(rows_quarantined), 0) as quarantined from audit.load_ledger "
                "where system = ? and entity = ? and status = 'loaded'",
                [ent.system, ent.name],
            )[0]
            if has_ledger
            else None
        )
        raw = _count(con, relations, f"raw_{ent.system}", ent.name)
        quarantined = (
            _count(
                con,
                relations,
                "audit",
                "quarantine",
                "where system = ? and entity = ?",
                [ent.system, ent.name],
            )
            if has_quarantine
            else None
        )
        keys = proven.get(ent.staging_model)
        if raw is not None and keys is None:
            cols = ", ".join(quote_ident(k) for k in ent.key)
            keys = con.execute(
                f"select count(*) from (select distinct {cols} from {ent.raw_table})"
            ).fetchall()[0][0]
        staging = _count(con, relations, "staging", ent.staging_model)
        core = next(
            (
                f"{c}: {_count(con, relations, *c.split('.'))}"
                for c in CORE_FACTS.get((ent.system, ent.name), ())
                if tuple(c.split(".")) in relations
            ),
            "—",
        )
        broken = []  # the invariants this entity breaks, in words
        if ledger is not None:
            if ledger["read"] != ledger["loaded"] + ledger["quarantined"]:
                broken.append("file rows read ≠ loaded + quarantined")
            if raw is not None and raw != ledger["loaded"]:
                broken.append("raw rows ≠ rows loaded")
            if quarantined is not None and quarantined != ledger["quarantined"]:
                broken.append("quarantine rows ≠ ledger's quarantined")
        if staging is not None and keys is not None and staging > keys:
            broken.append("staging rows > raw distinct keys")
        if not any(v for v in (raw, ledger and ledger["read"], staging)):
            continue  # nothing delivered for this entity yet
        if ledger is None:
            verdict = '<span class="muted">no load ledger</span>'
        elif broken:
            verdict = '<span class="bad">✗ ' + _e("; ".join(broken)) + "</span>"
        else:
            verdict = '<span class="ok">✓ reconciles</span>'
        rows.append(
            [
                _e(f"{ent.system}.{ent.name}"),
                _e(ledger["read"] if ledger else "—"),
                _e(ledger["loaded"] if ledger else "—"),
                _e(raw if raw is not None else "—"),
                _e(quarantined if quarantined is not None else "—"),
                _e(keys if keys is not None else "—"),
                _e(staging if staging is not None else "—"),
                _e(core),
                verdict,
            ]
        )
    table = _table(
        [
            "entity",
            "file rows read",
            "rows loaded (ledger)",
            "raw rows",
            "quarantined",
            "raw distinct keys",
            "staging rows",
            "core",
            "check",
        ],  # fmt: skip
        rows,
        num={1, 2, 3, 4, 5, 6},
    )
    note = (
        "<p class=muted>Reconciles when: file rows read = loaded + quarantined (ledger), raw rows = rows "
        "loaded, quarantine rows = ledger's quarantined, staging rows ≤ raw distinct keys (staging keeps the "
        "latest version per key; the difference is re-sent versions).</p>"
    )
    marts = []
    names = sorted(
        {r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema in (?, ?)", [BUILD_SCHEMA, PUBLISH_SCHEMA]
        ).fetchall()}
    )  # fmt: skip
    for t in names:
        built = _count(con, relations, BUILD_SCHEMA, t)
        published = _count(con, relations, PUBLISH_SCHEMA, t)
        marts.append(
            [_e(t), _e("—" if built is None else built), _e("—" if published is None else published)]
        )
    return (
        note
        + table
        + "<h3>KPI marts</h3>"
        + _table(["mart", f"{BUILD_SCHEMA} rows", f"{PUBLISH_SCHEMA} rows (published)"], marts, {1, 2})
    )


def _publications(con, tz: ZoneInfo) -> str:
    if not _exists(con, "audit", "publications"):
        return "<p class=muted>No publication recorded yet.</p>"
    rows = _q(con, "select * from audit.publications order by published_at desc limit 20")
    return _table(
        ["when", "run id", "status", "row counts", "export", "gate checks (blocking)", "reason"],
        [
            [
                _e(_when(r["published_at"], tz)),
                f"<code>{_e(r['run_id'])}</code>",
                _pub_status(r["status"]),
                _e(r["row_counts"]),
                _e(r["export_dir"]),
                _e(f"{r['gate_checks']} ({r['gate_blocking']})"),
                f"<pre style='white-space:pre-wrap;margin:0'>{_e(r['reason'])}</pre>" if r["reason"] else "",
            ]
            for r in rows
        ],
    )


def _rules() -> str:
    rules = business_rules()
    return _table(
        ["rule", "value"],
        [[f"<code>{_e(k)}</code>", _e(json.dumps(v, ensure_ascii=False))] for k, v in rules.items()],
    )


def build_report(con, out_path: Path, run_id: str | None = None) -> Path:
    """Write the report of `run_id` (default: the latest run in audit.dq_results) to `out_path`."""
    out_path = Path(out_path)
    tz = ZoneInfo(str(business_rules().get("reporting_timezone", "Asia/Tokyo")))
    # Read-only: the report runs on a read-only connection (`ssot report`) and creates nothing.
    run_id = run_id or latest_run_id(con)
    results = (
        _q(
            con,
            f"select {', '.join(COLUMNS)} from audit.dq_results where run_id = ? order by recorded_at",
            [run_id],
        )
        if _exists(con, "audit", "dq_results")
        else []
    )
    generated = datetime.now(UTC).replace(tzinfo=None)
    html = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Data-quality report {_e(run_id)}</title><style>{CSS}</style></head>
<body>
<h1>Data-quality report</h1>
<p class=muted>Generated {_e(_when(generated, tz))}. Times are shown in UTC and in {_e(tz.key)}. Rules version
{_e(rules_version())}. Samples are masked (e-mails, phones and person names).</p>
<h2 id="run">Run</h2>{_summary(con, run_id, results, tz)}
<h2 id="checks">Checks ({len(results)})</h2>{_checks(results)}
<h2 id="failures">Failures and warnings</h2>{_failures(results)}
<h2 id="reconciliation">Row-count reconciliation</h2>{_reconciliation(con)}
<h2 id="publications">Publications</h2>{_publications(con, tz)}
<h2 id="rules">Business rules in force (dbt_project.yml vars)</h2>{_rules()}
</body></html>
"""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(out_path)
    return out_path
