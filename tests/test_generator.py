"""The sample generator: determinism, landing layout vs the contract, funnel realism from the truth
folder, the lifecycle evidence re-derived from the extracts, check digits and injected messiness."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingestion.contracts import load_contracts, normalise_column_name
from ingestion.rules import business_rules
from ingestion.sample import check_digit, generate, is_valid
from ingestion.sample.corporate_number import corrupt, random_numbers

LAYOUT = re.compile(r"^(ma|sfa|cs)/(\d{4}-\d{2}-\d{2})/([A-Za-z_]+)\.(csv|csv\.gz|jsonl|jsonl\.gz|parquet)$")
CHANNELS = {
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
}


def _run(base: Path, scale: str = "T", seed: int = 7, **kw) -> tuple[Path, Path, dict]:
    out, truth = base / "landing", base / "truth"
    manifest = generate(scale, seed, out, truth, progress=False, **kw)
    return out, truth, manifest


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """Scale S: only the realism bands need this many leads."""
    return _run(tmp_path_factory.mktemp("demo"), scale="S", seed=3)


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _decode(raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp932")


def _records(path: Path) -> tuple[list[str], list[dict]]:
    """(header, records) of any landing file, the way a lenient reader sees it."""
    name = path.name
    if name.endswith(".parquet"):
        table = pq.read_table(path)
        return table.column_names, table.to_pylist()
    raw = path.read_bytes()
    if name.endswith(".gz"):
        raw = gzip.decompress(raw)
    text = _decode(raw)
    if ".jsonl" in name:
        rows = [json.loads(line) for line in text.splitlines() if line]
        return list(rows[0]), rows
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


# --- determinism ---------------------------------------------------------------------------------


def test_same_arguments_give_identical_bytes(tmp_path, tiny):
    out, truth, _ = tiny
    out2, truth2, _ = _run(tmp_path / "again")
    assert _digests(out) == _digests(out2)
    assert _digests(truth) == _digests(truth2)


def test_other_seed_gives_other_data(tmp_path, tiny):
    out, _, _ = tiny
    out2, _, _ = _run(tmp_path / "other", seed=8)
    a, b = _digests(out), _digests(out2)
    common = set(a) & set(b)
    assert common and sum(a[k] != b[k] for k in common) > 0.9 * len(common)


def test_refuses_to_mix_runs(tiny):
    out, truth, _ = tiny
    with pytest.raises(FileExistsError):
        generate("T", 7, out, truth, progress=False)


# --- layout and contract --------------------------------------------------------------------------


def test_every_file_matches_layout_and_contract(tiny):
    out, _, manifest = tiny
    contracts = load_contracts()
    files = sorted(p for p in out.rglob("*") if p.is_file())
    assert len(files) == len(manifest["files"])
    seen = set()
    for path in files:
        rel = str(path.relative_to(out))
        m = LAYOUT.match(rel)
        assert m, rel
        entity = contracts.match_file_stem(m.group(1), m.group(3))
        assert entity is not None, rel
        seen.add((entity.system, entity.name))
        header, rows = _records(path)
        cols = {normalise_column_name(c) for c in header}
        required = {c.name for c in entity.required_columns}
        assert required <= cols, (rel, required - cols)
        known = {c.name for c in entity.columns}
        extra = cols - known
        assert all(c.endswith("__c") for c in extra), (rel, extra)  # only custom fields are extra
        assert len(rows) == manifest["files"][rel], rel
    every = {(e.system, e.name) for e in contracts.entities}
    assert every == seen  # every contract entity is delivered at least once


def test_leads_arrive_all_along_and_pipeline_is_open_at_the_end(tiny):
    _, truth, manifest = tiny
    cycles = pd.read_csv(truth / "lead_cycles.csv", dtype=str)
    first = cycles[cycles.cycle_number == "1"]
    days = pd.to_datetime(first.lead_at).dt.tz_convert("Asia/Tokyo").dt.date
    assert days.nunique() == manifest["arguments"]["days"]  # at least one new lead every day
    opps = cycles[cycles.opportunity_id.notna()]
    assert (opps.won_at.isna() & opps.lost_at.isna()).any()


# --- realism (bands computed from the truth files) ------------------------------------------------


def _ts(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, utc=True)


def test_funnel_rates_are_realistic(demo):
    _, truth, manifest = demo
    c = pd.read_csv(truth / "lead_cycles.csv", dtype=str)
    end = pd.Timestamp(manifest["arguments"]["start"], tz="Asia/Tokyo") + pd.Timedelta(
        days=manifest["arguments"]["days"]
    )
    leads = c[c.cycle_number == "1"]
    assert 0.15 <= leads.lead_id.isin(c[c.mql_at.notna()].lead_id).mean() <= 0.35  # MQL rate
    # Judge conversion on matured cohorts so truncation at the end does not bias the rates.
    mql = c[c.mql_at.notna() & (_ts(c.mql_at) < end - pd.Timedelta(days=21))]
    assert 0.15 <= mql.sql_at.notna().mean() <= 0.30  # MQL -> SQL
    contact_h = (_ts(mql.first_is_contact_at) - _ts(mql.mql_at)).dt.total_seconds() / 3600
    sla = business_rules()["is_first_contact_sla_hours"]
    assert 0.72 <= (contact_h <= sla).mean() <= 0.88  # first contact inside the SLA
    assert (contact_h > sla).any() and contact_h.isna().any()  # late and never both happen
    sql = c[c.sql_at.notna() & (_ts(c.sql_at) < end - pd.Timedelta(days=21))]
    assert 0.30 <= sql.appointment_set_at.notna().mean() <= 0.50
    assert 0.40 <= sql.opportunity_at.notna().mean() <= 0.70
    closed = c[c.won_at.notna() | c.lost_at.notna()]
    assert len(closed) > 30
    assert 0.15 <= closed.won_at.notna().mean() <= 0.40
    assert set(closed.loss_reason.dropna()) == {
        "price",
        "competitor",
        "timing",
        "no_budget",
        "no_decision",
        "feature_gap",
    }
    assert c.cycle_number.astype(int).max() == 3 and (c.cycle_number == "2").sum() > 50  # recycles
    assert 0.1 <= mql.recycled_at.notna().mean() <= 0.55


def test_campaigns_customers_and_users_are_plausible(demo):
    out, truth, _ = demo
    camp = pd.concat(pd.read_csv(p, dtype=str) for p in sorted(out.glob("ma/*/campaigns.csv")))
    assert set(camp.channel) <= CHANNELS and {"paid_ads", "webinar", "event"} <= set(camp.channel)
    latest = camp.drop_duplicates("campaign_id", keep="last").astype({"cost": float})
    assert (latest[latest.channel == "organic"].cost == 0).all() and (
        latest[latest.channel == "event"].cost > 0
    ).all()
    leads = pd.concat(pd.read_csv(p, dtype=str) for p in sorted(out.glob("ma/2026-06-0*/leads.csv")))
    leads = leads[leads.campaign_id.notna()]
    chan = dict(zip(latest.campaign_id, latest.channel, strict=True))
    assert (leads.lead_source == leads.campaign_id.map(chan)).mean() > 0.99
    cust = pd.read_csv(truth / "customers.csv", dtype=str)
    assert len(cust) > 50 and cust.churned_at.notna().any() and (cust.mrr_jpy.astype(int) > 0).all()
    users = pd.concat(
        pd.read_csv(p, dtype=str, encoding="cp932")
        if b"\xef\xbb\xbf" not in p.read_bytes()[:3]
        else pd.read_csv(p, dtype=str, encoding="utf-8-sig")
        for p in out.glob("sfa/*/User.csv")
    )
    users.columns = [normalise_column_name(c) for c in users.columns]
    assert set(users.department) == {"Marketing", "Inside Sales", "Field Sales", "Customer Success"}


# --- the evidence in the extracts reproduces the truth --------------------------------------------


def _load(out: Path, system: str, stem: str, bad: pd.DataFrame) -> pd.DataFrame:
    frames = []
    skip = bad.groupby("source_file").row_number.apply(set).to_dict()
    for path in sorted(out.glob(f"{system}/*/{stem}.*")):
        rel = str(path.relative_to(out))
        _, rows = _records(path)
        drop = skip.get(rel, set())
        keep = [r for i, r in enumerate(rows, start=1) if i not in drop]
        df = pd.DataFrame(keep, dtype=object)
        df.columns = [normalise_column_name(c) for c in df.columns]
        frames.append(df.assign(_day=rel.split("/")[1]))
    return pd.concat(frames, ignore_index=True)


def _utc(series: pd.Series) -> pd.Series:
    """Any of the extract timestamp spellings -> naive UTC (no offset = Asia/Tokyo)."""
    out = []
    for v in series:
        t = pd.Timestamp(v.replace("/", "-"))
        out.append(t.tz_convert("UTC").tz_localize(None) if t.tzinfo else t - pd.Timedelta(hours=9))
    return pd.Series(out, index=series.index)


def test_mql_and_status_evidence_reproduce_truth(tiny):
    out, truth, _ = tiny
    rules = business_rules()
    bad = pd.read_csv(truth / "bad_rows.csv")
    act = _load(out, "ma", "activities", bad)
    act["t"] = _utc(act.occurred_at)
    act["d"] = act.score_delta.astype(int)
    act = act.sort_values(["lead_id", "t", "activity_id"])
    act["score"] = act.groupby("lead_id").d.cumsum()
    act["before"] = act.score - act.d
    th = rules["mql_score_threshold"]
    crossings = act[(act.before < th) & (act.score >= th)]
    derived = sorted(zip(crossings.lead_id, crossings.t.dt.strftime("%Y-%m-%dT%H:%M:%SZ"), strict=True))
    cycles = pd.read_csv(truth / "lead_cycles.csv", dtype=str)
    expected = sorted(zip(cycles[cycles.mql_at.notna()].lead_id, cycles.mql_at.dropna(), strict=True))
    assert derived == expected and len(expected) > 20
    resets = act[act.activity_type == "score_change"]
    assert (resets.score == rules["recycle_score_reset"]).all() and len(resets) > 0

    # SFA status history -> SAL / SQL / recycle / conversion, linked back to the MA lead
    leads = _load(out, "sfa", "Lead", bad)
    hist = _load(out, "sfa", "LeadHistory", bad)
    ma = _load(out, "ma", "leads", bad)
    link = {}
    for r in ma.dropna(subset=["sfa_lead_id"]).itertuples():
        link.setdefault(r.sfa_lead_id, r.lead_id)
    email_to_ma = dict(zip(ma.email.str.lower(), ma.lead_id, strict=False))
    for r in leads.itertuples():
        if isinstance(r.ma_lead_id__c, str) and r.ma_lead_id__c in set(ma.lead_id):
            link.setdefault(r.id, r.ma_lead_id__c)
    for r in leads[leads.is_deleted.str.lower().isin(["false", "0"])].itertuples():
        link.setdefault(r.id, email_to_ma.get(str(r.email).lower()))
    status = hist[hist.field == "Status"].copy()
    status["ma"] = status.lead_id.map(link)
    status["t"] = _utc(status.created_date).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    for value, column in (
        (rules["lead_status_sal"], "sal_at"),
        (rules["lead_status_sql"], "sql_at"),
        (rules["lead_status_recycled"], "recycled_at"),
        (rules["lead_status_converted"], "opportunity_at"),
    ):
        got = sorted(
            zip(status[status.new_value == value].ma, status[status.new_value == value].t, strict=True)
        )
        want = sorted(zip(cycles[cycles[column].notna()].lead_id, cycles[column].dropna(), strict=True))
        assert got == want, column


def test_first_contact_evidence_reproduces_truth(tiny):
    out, truth, _ = tiny
    rules = business_rules()
    bad = pd.read_csv(truth / "bad_rows.csv")
    users = _load(out, "sfa", "User", bad).drop_duplicates("id", keep="last")
    is_users = set(users[users.department == "Inside Sales"].id)
    tasks = _load(out, "sfa", "Task", bad)
    tasks = tasks[tasks.type.isin(rules["is_contact_task_types"]) & tasks.owner_id.isin(is_users)]
    tasks = tasks.assign(t=_utc(tasks.created_date))
    leads = _load(out, "sfa", "Lead", bad)
    ma = _load(out, "ma", "leads", bad)
    by_email = dict(zip(ma.email.str.lower(), ma.lead_id, strict=False))
    deleted = set(leads[leads.is_deleted.str.lower().isin(["true", "1"])].id)
    sfa_of = {by_email[e.lower()]: i for i, e in zip(leads.id, leads.email, strict=True) if i not in deleted}
    cycles = pd.read_csv(truth / "lead_cycles.csv", dtype=str)
    cycles = cycles[cycles.mql_at.notna()]
    checked = 0
    for r in cycles.itertuples():
        mql = pd.Timestamp(r.mql_at).tz_localize(None)
        ends = [
            pd.Timestamp(x).tz_localize(None)
            for x in (r.recycled_at, r.disqualified_at)
            if isinstance(x, str)
        ]
        mine = tasks[(tasks.who_id == sfa_of.get(r.lead_id)) & (tasks.t >= mql)]
        if ends:
            mine = mine[mine.t < min(ends)]
        got = mine.t.min().strftime("%Y-%m-%dT%H:%M:%SZ") if len(mine) else np.nan
        want = r.first_is_contact_at if isinstance(r.first_is_contact_at, str) else np.nan
        assert got == want or (pd.isna(got) and pd.isna(want)), r.lead_id
        checked += 1
    assert checked > 20


# --- corporate numbers --------------------------------------------------------------------------


def test_check_digit_known_numbers():
    assert check_digit("180301018771") == 1  # Toyota Motor Corporation 1180301018771
    assert is_valid("1180301018771")
    assert not is_valid("2180301018771")
    assert not is_valid("118030101877")  # 12 digits
    with pytest.raises(ValueError):
        check_digit("12345")


@given(st.integers(min_value=0, max_value=10**12 - 1))
def test_check_digit_formula(base):
    digits = f"{base:012d}"
    total = sum(int(d) * (1 if pos % 2 else 2) for pos, d in enumerate(reversed(digits), start=1))
    assert check_digit(digits) == 9 - total % 9
    number = f"{check_digit(digits)}{digits}"
    assert is_valid(number) and not is_valid(corrupt(number, np.random.default_rng(base)))


def test_vectorised_numbers_are_valid_and_distinct():
    nums = random_numbers(np.random.default_rng(1), 500)
    assert len(set(nums)) == 500 and all(is_valid(n) for n in nums)


# --- messiness ------------------------------------------------------------------------------------


def test_encodings_column_styles_and_formats_are_mixed(tiny):
    out, _, _ = tiny
    sfa = sorted(out.glob("sfa/*/*.csv"))
    boms = [p for p in sfa if p.read_bytes()[:3] == b"\xef\xbb\xbf"]
    cp932 = [p for p in sfa if p.read_bytes()[:3] != b"\xef\xbb\xbf"]
    assert boms and cp932
    not_utf8 = 0
    for p in cp932:  # Japanese text in CP932 is not valid UTF-8; pure-ASCII files decode either way
        raw = p.read_bytes()
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            not_utf8 += 1
        raw.decode("cp932")
    assert not_utf8 > 0
    headers = {tuple(_records(p)[0]) for p in out.glob("sfa/*/Account.csv")}
    assert any("AccountId" in h or "OwnerId" in h for h in headers)
    assert any("owner_id" in h for h in headers)
    assert list(out.glob("ma/*/activities.csv.gz")) and list(out.glob("cs/*/health_scores.jsonl"))
    assert list(out.glob("cs/*/subscriptions.parquet")) and list(out.glob("cs/*/subscriptions.csv"))
    variants = " ".join(
        pd.concat(pd.read_csv(p, dtype=str) for p in out.glob("ma/*/leads.csv")).company_name.dropna()
    )
    assert "(株)" in variants or "㈱" in variants
    assert re.search(r"[\uff66-\uff9f]", variants)  # half-width katakana
    assert re.search(r"(Inc\.|CO\., LTD\.|Co\., Ltd\.|K\.K\.)", variants)
    subjects = "".join(
        _load(out, "sfa", "Task", pd.DataFrame(columns=["source_file", "row_number"])).subject.dropna()
    )
    assert "\n" in subjects and '"' in subjects


def test_duplicate_late_and_bad_rows_are_real(tiny):
    out, truth, _ = tiny
    deliveries = pd.read_csv(truth / "deliveries.csv")
    dups = deliveries[deliveries.kind == "duplicate"]
    assert len(dups) >= 1
    for r in dups.itertuples():
        original = re.search(r"of (\S+) re-delivered", r.note).group(1)
        assert (out / r.source_file).read_bytes() == (out / original).read_bytes()
        same_day = list((out / r.source_file).parent.glob(Path(r.source_file).stem + ".*"))
        assert len(same_day) == 1
    late = deliveries[deliveries.kind == "late"]
    assert len(late) >= 1
    found = 0
    for r in late.itertuples():
        folder = pd.Timestamp(r.source_file.split("/")[1]).date()
        _, rows = _records(out / r.source_file)
        for row in rows:
            row = {normalise_column_name(k): v for k, v in row.items()}
            created = row.get("created_at") or row.get("created_date")
            try:
                at = _utc(pd.Series([created]))[0]
            except (ValueError, AttributeError):  # an injected bad row, listed in bad_rows.csv
                continue
            if at.tz_localize("UTC").tz_convert("Asia/Tokyo").date() < folder:
                found += 1
    assert found >= len(late)
    bad = pd.read_csv(truth / "bad_rows.csv", dtype={"key": str})
    assert len(bad) > 0 and set(bad.reason_class) >= {"bad_timestamp", "missing_key"}
    contracts = load_contracts()
    for r in bad.itertuples():
        header, rows = _records(out / r.source_file)
        n = len(rows)
        assert (bad.source_file == r.source_file).sum() <= 0.02 * n
        row = {normalise_column_name(k): v for k, v in rows[r.row_number - 1].items()}
        entity = contracts.entity(r.system, r.entity)
        key = row[entity.key[0]]
        if r.reason_class == "missing_key":
            assert not key
        else:
            assert key == r.key
            values = list(row.values())
            if r.reason_class == "bad_timestamp":
                assert any(
                    v in ("2026-13-45 25:61:00", "不明", "31/31/2026", "0000-00-00T00:00:00") for v in values
                )
            else:
                assert any(v in ("TBD", "要確認", "N/A", "1.2.3") for v in values)
