"""The raw loader: the only writer of `raw_<system>.*`, `audit.load_ledger` and `audit.quarantine`.

Owns (docs/design.md "Landing -> raw"): discovery of `<landing>/<system>/<YYYY-MM-DD>/<entity>.<ext>`,
the contract checks (required columns, types, not-null), casting, quarantine, the bad-row
threshold, idempotency and the load ledger. Reading bytes into text fields is `readers.py`;
value parsing is `timeparse.py`; the contract itself is `contracts.py` (never copied here).

Decisions (documented because auditors and operators depend on them):
- A file's raw rows, quarantine rows and ledger row commit together. CSV and JSONL files of one
  entity, header (JSONL: key list) and compression are loaded in batches (one multi-file DuckDB
  scan and one transaction for up to BATCH_BYTES of files): per-file statements and commits, not
  rows, were the cost of a daily landing. A file the batch scan cannot vouch for, and every file
  of a batch that raises (rolled back whole), is then loaded alone in its own transaction; there
  an exception rolls the file back and a `failed` ledger row is written afterwards.
- Idempotency key: the sha256 of the file bytes per (system, entity). Content already `loaded`
  arriving under another path (another day's folder, another file name) gets ONE
  `skipped_duplicate` ledger row for that path. A path whose current content already has a
  ledger outcome (`loaded`, `skipped_duplicate`, `rejected`) is not touched again and writes no
  ledger row (status `unchanged` in the returned summary only), so re-running on an unchanged
  landing changes no table. `failed` attempts are retried on the next run. Rejected files are
  retried only with `retry_rejected=True` (e.g. after a contract or threshold change).
- A file whose bad-row share exceeds `bad_row_threshold` is `rejected`: no raw rows, but its bad
  rows ARE written to quarantine (same batch id, `quarantined_at` = the attempt time) so an
  auditor can see why; the ledger row carries `rows_quarantined` and the reason.
- Ledger/quarantine times: `attempt_at` of a ledger row = `_loaded_at` of its raw rows =
  `quarantined_at` of its quarantine rows, so one attempt's rows can always be found together.
"""

from __future__ import annotations

import contextlib
import logging
import re
import shutil
import tempfile
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from ingestion import readers
from ingestion.contracts import (
    LINEAGE_COLUMNS,
    SYSTEMS,
    Contracts,
    Entity,
    load_contracts,
    normalise_column_name,
    quote_ident,
    raw_table_ddl,
)
from ingestion.timeparse import clean_sql, parse_sql, sql_literal, varchar_sql

_log = logging.getLogger(__name__)

LEDGER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("batch_id", "varchar"),
    ("system", "varchar"),
    ("entity", "varchar"),
    ("source_file", "varchar"),
    ("file_hash", "varchar"),
    ("extract_date", "date"),
    ("attempt_at", "timestamp"),
    ("status", "varchar"),
    ("rows_read", "bigint"),
    ("rows_loaded", "bigint"),
    ("rows_quarantined", "bigint"),
    ("reason", "varchar"),
    ("duration_ms", "bigint"),
    ("encoding", "varchar"),
    ("column_style", "varchar"),
)
QUARANTINE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("batch_id", "varchar"),
    ("system", "varchar"),
    ("entity", "varchar"),
    ("source_file", "varchar"),
    ("extract_date", "date"),
    ("row_number", "bigint"),
    ("raw_values", "json"),
    ("reason", "varchar"),
    ("quarantined_at", "timestamp"),
)
# Ledger outcomes after which the same bytes at the same path are not attempted again.
_FINAL = ("loaded", "skipped_duplicate", "rejected")
_CONTRACT_FILE = "ingestion/contracts.yaml"
_REASON_EXAMPLES = 3
# Batches: at most this many bytes of files (gzip counted x4) per multi-file scan and transaction.
# Big enough to amortise the ~20 statements a file costs alone, small enough that a batch's temp
# tables stay well inside the DuckDB memory limit at scale L (365 daily activity files ~ 2 GB).
BATCH_BYTES = 192 << 20
_GZIP_RATIO = 4


def ensure_warehouse(con: duckdb.DuckDBPyConnection, contracts: Contracts | None = None) -> None:
    """Create the raw schemas, every contract's raw table, the ledger and quarantine (idempotent)."""
    contracts = contracts or load_contracts()
    for system in SYSTEMS:
        con.execute(f"create schema if not exists raw_{system}")
    for entity in contracts.entities:
        con.execute(raw_table_ddl(entity))
    con.execute("create schema if not exists audit")
    for name, cols in (("load_ledger", LEDGER_COLUMNS), ("quarantine", QUARANTINE_COLUMNS)):
        body = ",\n    ".join(f"{c} {t}" for c, t in cols)
        con.execute(f"create table if not exists audit.{name} (\n    {body}\n)")


@dataclass
class LandingFile:
    """One file under the landing root and what its path says about it."""

    path: Path
    source_file: str  # relative to the landing root, `/`-separated
    system: str | None
    extract_date: str | None
    stem: str
    fmt: str | None
    compression: str | None
    entity: Entity | None
    problem: str | None  # why it cannot be loaded, from its path alone

    @property
    def entity_name(self) -> str:
        return self.entity.name if self.entity else normalise_column_name(self.stem)

    @property
    def sort_key(self) -> tuple[str, str, str, str]:
        return (self.system or "", self.extract_date or "", self.entity_name, self.source_file)


@dataclass
class FileResult:
    """The outcome of one file (one ledger row, except for status `unchanged`)."""

    source_file: str
    system: str | None
    entity: str | None
    extract_date: str | None
    status: str  # loaded | skipped_duplicate | rejected | failed | unchanged
    batch_id: str | None = None
    file_hash: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    reason: str | None = None
    duration_ms: int = 0
    encoding: str | None = None
    column_style: str | None = None
    read_path: str | None = None  # fast | exact | parquet (readers.StagedFile.path_used)


@dataclass
class LoadSummary:
    files: list[FileResult] = field(default_factory=list)

    def by_status(self) -> dict[str, int]:
        return dict(Counter(f.status for f in self.files))

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "failed"]

    def as_rows(self) -> list[dict]:
        """Plain dicts (for Dagster metadata tables, logs, JSON)."""
        return [asdict(f) for f in self.files]


def describe_landing_file(landing: Path, path: Path, contracts: Contracts | None = None) -> LandingFile:
    contracts = contracts or load_contracts()
    rel = path.relative_to(landing)
    parts = rel.parts
    split = readers.split_extension(path.name)
    stem, fmt, compression = split if split else (path.name.split(".")[0], None, None)
    system = parts[0] if len(parts) == 3 and parts[0] in SYSTEMS else None
    extract_date = parts[1] if len(parts) == 3 and _is_iso_date(parts[1]) else None
    problem = None
    entity = None
    if len(parts) != 3 or system is None or extract_date is None:
        problem = f"not in the <system>/<YYYY-MM-DD>/<entity>.<ext> layout (systems: {', '.join(SYSTEMS)})"
    elif split is None:
        problem = f"unsupported file type (expected {', '.join(e for e, _, _ in readers.EXTENSIONS)})"
    else:
        entity = contracts.match_file_stem(system, stem)
        if entity is None:
            known = ", ".join(e.name for e in contracts.for_system(system))
            problem = (
                f"no {system} contract entity matches file name {stem!r} (known: {known}; {_CONTRACT_FILE})"
            )
    return LandingFile(path, rel.as_posix(), system, extract_date, stem, fmt, compression, entity, problem)


def _is_iso_date(text: str) -> bool:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def discover_files(
    landing: Path, extract_dates: list[str] | None = None, contracts: Contracts | None = None
) -> list[LandingFile]:
    """Every non-hidden file under `landing`, in load order (system, extract date, entity, path).

    With `extract_dates`, only files in those date folders (files outside the layout are then
    left alone: they belong to no partition).
    """
    landing = Path(landing)
    wanted = set(extract_dates) if extract_dates is not None else None
    found = []
    for path in _candidates(landing, wanted):
        rel = path.relative_to(landing)
        # Hidden files and folders are exporters' partial uploads and OS litter, not extracts.
        if not path.is_file() or any(p.startswith(".") for p in rel.parts):
            continue
        if wanted is not None and (len(rel.parts) != 3 or rel.parts[1] not in wanted):
            continue
        found.append(describe_landing_file(landing, path, contracts))
    return sorted(found, key=lambda f: f.sort_key)


def _candidates(landing: Path, wanted: set[str] | None):
    """The paths `discover_files` filters: everything under `landing` (`rglob`), or with `wanted`
    dates only the entries of `<top>/<date>/` folders, the only place a wanted file can be:
    walking a year of daily folders (~6,500 files at L) for one day's 14 cost ~0.2 s CPU. Like
    `rglob`, it does not descend into symlinked folders."""
    if wanted is None:
        yield from landing.rglob("*")
        return
    for top in landing.iterdir():
        if not top.is_dir() or top.is_symlink():
            continue
        for day in sorted(wanted):
            if day in ("", ".", "..") or Path(day).name != day:
                continue  # not one folder name: no file of the layout can be in it
            folder = top / day
            if folder.is_dir() and not folder.is_symlink():
                yield from folder.iterdir()


def load_landing(
    con: duckdb.DuckDBPyConnection,
    landing: Path,
    extract_dates: list[str] | None = None,
    bad_row_threshold: float = 0.05,
    log=None,
    retry_rejected: bool = False,
    batch_bytes: int = BATCH_BYTES,
) -> LoadSummary:
    """Load every (or every given date's) landing file into raw; see the module docstring.

    CSV and JSONL files are loaded in batches (`_load_text_batches`, `batch_bytes=0` turns that
    off); Parquet files, and every file a batch could not vouch for, one by one with `_load`.
    """
    log = log or _log
    ensure_warehouse(con)
    files = discover_files(Path(landing), extract_dates)
    # Two threads: hashlib releases the GIL, and nothing else runs yet.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="ssot_sha") as pool:
        shas = list(pool.map(readers.file_sha256, [lf.path for lf in files]))
    hashes = {lf.source_file: sha for lf, sha in zip(files, shas, strict=True)}
    done = _load_text_batches(con, files, hashes, bad_row_threshold, log, retry_rejected, batch_bytes)
    summary = LoadSummary()
    for lf in files:
        result = done.get(lf.source_file)
        if result is None:
            result = _load(con, lf, bad_row_threshold, log, retry_rejected, sha=hashes[lf.source_file])
        summary.files.append(result)
    log.info(f"load_landing {landing}: {summary.by_status()}, rows loaded {summary.rows_loaded}")
    return summary


def load_file(
    con: duckdb.DuckDBPyConnection,
    landing: Path,
    path: Path,
    bad_row_threshold: float = 0.05,
    log=None,
    retry_rejected: bool = False,
) -> FileResult:
    """Load one landing file (its path must be under `landing`)."""
    ensure_warehouse(con)
    lf = describe_landing_file(Path(landing), Path(path))
    return _load(con, lf, bad_row_threshold, log or _log, retry_rejected)


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _new_result(lf: LandingFile, sha: str) -> FileResult:
    return FileResult(
        source_file=lf.source_file,
        system=lf.system,
        entity=lf.entity_name,
        extract_date=lf.extract_date,
        status="failed",
        batch_id=f"{lf.system or '-'}/{lf.entity_name}/{lf.extract_date or '-'}/{sha[:12]}",
        file_hash=sha,
    )


def _load(
    con, lf: LandingFile, threshold: float, log, retry_rejected: bool, sha: str | None = None
) -> FileResult:
    started = time.perf_counter()
    sha = sha or readers.file_sha256(lf.path)
    result = _new_result(lf, sha)
    previous = {
        r[0]
        for r in con.execute(
            "select status from audit.load_ledger where source_file = ? and file_hash = ?",
            [lf.source_file, sha],
        ).fetchall()
    }
    final = set(_FINAL) - ({"rejected"} if retry_rejected else set())
    if previous & final:
        result.status = "unchanged"
        result.reason = f"already processed ({', '.join(sorted(previous))})"
        return result
    if lf.problem:
        return _finish(con, result, "rejected", f"{lf.source_file}: {lf.problem}", started, log)
    dup = con.execute(
        "select batch_id, source_file from audit.load_ledger where system = ? and entity = ? "
        "and file_hash = ? and status = 'loaded' order by attempt_at limit 1",
        [lf.system, lf.entity_name, sha],
    ).fetchall()
    if dup:
        reason = f"same content already loaded as batch {dup[0][0]} from {dup[0][1]}"
        return _finish(con, result, "skipped_duplicate", reason, started, log)

    prefix = f"_ld_{uuid.uuid4().hex[:12]}"
    tmp_dir = Path(tempfile.mkdtemp(prefix="ssot_load_"))
    saved_order = con.execute("select current_setting('preserve_insertion_order')").fetchall()[0][0]
    in_tx = False
    try:
        try:
            staged = readers.stage_file(con, lf.path, lf.fmt, lf.compression, prefix, tmp_dir)
        except readers.UnreadableFile as exc:
            return _finish(con, result, "rejected", f"{lf.source_file}: {exc}", started, log)
        result.encoding, result.read_path = staged.encoding, staged.path_used
        result.column_style = column_style(staged.fields)
        result.rows_read = staged.rows_read
        typed, problem = _build_typed(con, lf, staged, prefix)
        if problem:
            result.rows_read = 0
            return _finish(con, result, "rejected", problem, started, log)
        counts = con.execute(
            f"select count(*) filter (where _reason is null), count(*) filter (where _reason is not null) "
            f"from {typed}"
        ).fetchall()[0]
        pre_rejected = readers._count(con, staged.rejected)
        loaded, quarantined = int(counts[0]), int(counts[1]) + pre_rejected
        if loaded + quarantined != staged.rows_read:
            raise RuntimeError(
                f"record count mismatch: read {staged.rows_read}, loaded {loaded} + quarantined {quarantined}"
            )
        attempt_at = _utc_now()
        # Order inside the file is carried by _row_number; letting DuckDB reorder saves ~20 %.
        con.execute("set preserve_insertion_order = false")
        con.begin()
        in_tx = True
        _insert_quarantine(con, lf, result, typed, staged.rejected, attempt_at)
        examples = _example_reasons(con, typed, staged.rejected) if quarantined else ""
        _judge(result, lf.source_file, loaded, quarantined, threshold, examples)
        if result.status == "loaded":
            _insert_raw(con, lf, result, typed, attempt_at)
        result.duration_ms = int((time.perf_counter() - started) * 1000)
        _insert_ledger(con, result, attempt_at)
        con.commit()
        in_tx = False
        _log_result(log, result)
        return result
    except Exception as exc:  # noqa: BLE001 - any failure must end as a ledger row, not a partial load
        if in_tx:
            con.rollback()
        result.rows_loaded = result.rows_quarantined = 0
        log.error(f"load of {lf.source_file} failed: {exc!r}")
        return _finish(con, result, "failed", f"{type(exc).__name__}: {exc}", started, log)
    finally:
        readers.drop_staged(con, prefix, tmp_dir)
        shutil.rmtree(tmp_dir, ignore_errors=True)
        con.execute(f"set preserve_insertion_order = {'true' if saved_order else 'false'}")


def _judge(r: FileResult, source_file: str, loaded: int, quarantined: int, threshold: float, examples: str):
    """The bad-row threshold verdict for a file read in full: status, reason and row counts."""
    read = loaded + quarantined
    r.rows_read, r.rows_quarantined = read, quarantined
    if read and quarantined / read > threshold:
        r.status, r.rows_loaded = "rejected", 0
        r.reason = (
            f"{source_file}: {quarantined} of {read} rows bad "
            f"({quarantined / read:.1%} > threshold {threshold:.1%}); nothing loaded, "
            f"bad rows in audit.quarantine; e.g. {examples}"
        )
    else:
        r.status, r.rows_loaded = "loaded", loaded
        r.reason = f"{quarantined} rows quarantined, e.g. {examples}" if quarantined else None


def _load_text_batches(
    con,
    files: list[LandingFile],
    hashes: dict[str, str],
    threshold: float,
    log,
    retry_rejected: bool,
    batch_bytes: int,
) -> dict[str, FileResult]:
    """Load the CSV files that can go in batches; returns their results by source_file.

    A file is batched only when loading it alone would certainly read it: a CSV of a known
    entity whose content has no final outcome at its path, is not loaded elsewhere, and does
    not repeat an earlier file of this run (the earlier one decides whether it is a duplicate).
    Files left out, excluded by a batch scan, or in a batch that fails are not in the result:
    the caller loads them one by one after the batches, so every verdict and `failed` row is
    still per file. A batch is one transaction: its files commit together.
    """
    if batch_bytes <= 0:
        return {}
    final = tuple(set(_FINAL) - ({"rejected"} if retry_rejected else set()))
    marks = ", ".join("?" for _ in final)
    settled = set(
        con.execute(
            f"select source_file, file_hash from audit.load_ledger where status in ({marks})", list(final)
        ).fetchall()
    )
    loaded = set(
        con.execute(
            "select system, entity, file_hash from audit.load_ledger where status = 'loaded'"
        ).fetchall()
    )
    seen: set[tuple] = set()
    groups: dict[tuple, list[LandingFile]] = {}
    for lf in files:
        if lf.entity is None or lf.problem or lf.fmt not in ("csv", "jsonl"):
            continue
        sha = hashes[lf.source_file]
        content = (lf.system, lf.entity_name, sha)
        if (lf.source_file, sha) not in settled and content not in loaded and content not in seen:
            groups.setdefault((lf.system, lf.entity_name, lf.compression), []).append(lf)
        seen.add(content)
    chunks: list[list[LandingFile]] = []
    for group in groups.values():
        chunk: list[LandingFile] = []
        size = 0
        for lf in group:
            n = lf.path.stat().st_size * (_GZIP_RATIO if lf.compression else 1)
            if chunk and size + n > batch_bytes:
                chunks.append(chunk)
                chunk, size = [], 0
            chunk.append(lf)
            size += n
        if chunk:
            chunks.append(chunk)
    results: dict[str, FileResult] = {}
    # The Python pass over a chunk's bytes (decode, count, gunzip) runs in a thread while DuckDB
    # loads the chunk before it: it was ~15 % of the step, serial, while DuckDB rarely keeps
    # both cores busy. zlib, numpy and DuckDB release the GIL.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ssot_scan") as pool:
        ahead = pool.submit(_scan_chunk, chunks[0]) if chunks else None
        try:
            for k in range(len(chunks)):
                tmp_dir, scanned = ahead.result()
                ahead = pool.submit(_scan_chunk, chunks[k + 1]) if k + 1 < len(chunks) else None
                try:
                    for (fmt, header, _), members in scanned.items():
                        results |= _load_batch(con, fmt, list(header), members, hashes, threshold, log)
                finally:
                    shutil.rmtree(tmp_dir, ignore_errors=True)
        finally:
            if ahead is not None:  # an exception above: the scan ahead's temp files go too
                with contextlib.suppress(Exception):
                    shutil.rmtree(ahead.result()[0], ignore_errors=True)
    return results


def _scan_chunk(
    chunk: list[LandingFile],
) -> tuple[Path, dict[tuple, list[tuple[LandingFile, readers.ScannedFile]]]]:
    """Scan each file (encoding, count, CSV header) and group them: CSV files with one header and
    text compression, JSONL files with one text compression. Returns (its temp folder, groups)."""
    tmp_dir = Path(tempfile.mkdtemp(prefix="ssot_batch_"))
    try:
        groups: dict[tuple, list[tuple[LandingFile, readers.ScannedFile]]] = {}
        for lf in chunk:
            try:
                scan = readers.scan_text_file(lf.path, lf.fmt, lf.compression, tmp_dir)
                header = readers.read_header(scan) if lf.fmt == "csv" else ()
            except readers.UnreadableFile:
                continue  # loaded alone, the file is rejected with the reason
            if header is not None:
                groups.setdefault((lf.fmt, tuple(header), scan.text_compression), []).append((lf, scan))
        return tmp_dir, groups
    except BaseException:
        shutil.rmtree(tmp_dir, ignore_errors=True)
        raise


def _load_batch(
    con, fmt: str, header: list[str], members, hashes, threshold: float, log
) -> dict[str, FileResult]:
    """Stage a group's files in one scan and commit each resulting batch."""
    started = time.perf_counter()
    lfs = [lf for lf, _ in members]
    prefix = f"_lb_{uuid.uuid4().hex[:12]}"
    saved_order = con.execute("select current_setting('preserve_insertion_order')").fetchall()[0][0]
    project = None
    if fmt == "csv":
        # The header is known before the scan: parse the values in it (`stage_csv_batch`).
        if _typed_select(lfs[0], header, "", ["_file_idx"])[1]:
            return {}  # a header problem: each file gets its own rejection, loaded alone

        def project(relation: str) -> str:
            return _typed_select(lfs[0], header, relation, ["_file_idx"])[0]

    try:
        try:
            batches, excluded = readers.stage_batch(
                con, fmt, [scan for _, scan in members], header, prefix, project
            )
        except Exception as exc:  # noqa: BLE001 - e.g. a scan DuckDB aborts: the files load one by one
            log.info(f"batch scan of {len(lfs)} {lfs[0].entity.raw_table} files failed ({exc!r}); one by one")
            return {}
        for i, why in excluded.items():
            log.info(f"{lfs[i].source_file}: not batched ({why}); loading it alone")
        stage_ms = (time.perf_counter() - started) * 1000
        total = sum(sum(b.rows_read.values()) for b in batches) or 1
        results: dict[str, FileResult] = {}
        for g, staged in enumerate(batches):
            if staged.rows_read:
                share = stage_ms * sum(staged.rows_read.values()) / total
                results |= _commit_batch(con, members, staged, f"{prefix}_{g}", hashes, threshold, log, share)
        return results
    finally:
        readers.drop_staged(con, prefix)
        con.execute(f"set preserve_insertion_order = {'true' if saved_order else 'false'}")


def _commit_batch(
    con, members, staged: readers.StagedBatch, prefix: str, hashes, threshold: float, log, stage_ms: float
) -> dict[str, FileResult]:
    """Type, judge and insert one staged batch in one transaction; {} when it fails (rolled back)."""
    started = time.perf_counter()
    lfs = [lf for lf, _ in members]
    scans = [scan for _, scan in members]
    entity = lfs[0].entity
    in_tx = False
    try:
        if staged.projected:
            typed = staged.relation  # parsed and checked in the scan
        else:
            typed, problem = _build_typed(con, lfs[0], staged, prefix)
            if problem:
                return {}  # a header problem: each file gets its own rejection, loaded alone
        counts = {
            int(i): (int(ok), int(bad))
            for i, ok, bad in con.execute(
                f"select _file_idx, count(*) filter (where _reason is null), "
                f"count(*) filter (where _reason is not null) from {typed} group by 1"
            ).fetchall()
        }
        examples: dict[int, list[str]] = {}
        for i, n, text in con.execute(
            f"select _file_idx, _row_number, _reason from (select _file_idx, _row_number, _reason, "
            f"row_number() over (partition by _file_idx order by _row_number) as k from {typed} "
            f"where _reason is not null) where k <= {_REASON_EXAMPLES} order by 1, 2"
        ).fetchall():
            examples.setdefault(int(i), []).append(f"row {n}: {text}")
        style = column_style(staged.fields)
        results: dict[int, FileResult] = {}
        for i, read in staged.rows_read.items():
            ok, bad = counts.get(i, (0, 0))
            if ok + bad != read:
                raise RuntimeError(
                    f"{lfs[i].source_file}: record count mismatch: read {read}, typed {ok + bad}"
                )
            r = _new_result(lfs[i], hashes[lfs[i].source_file])
            r.encoding, r.column_style, r.read_path = scans[i].encoding, style, "batch"
            _judge(r, lfs[i].source_file, ok, bad, threshold, "; ".join(examples.get(i, [])))
            results[i] = r
        files = f"{prefix}_ledger"
        con.execute(
            f"create temp table {files} (_file_idx integer, batch_id varchar, system varchar, entity varchar, "
            "source_file varchar, file_hash varchar, extract_date date, status varchar)"
        )
        readers.insert_rows(
            con,
            files,
            [
                "_file_idx",
                "batch_id",
                "system",
                "entity",
                "source_file",
                "file_hash",
                "extract_date",
                "status",
            ],
            [
                [i, r.batch_id, r.system, r.entity, r.source_file, r.file_hash, r.extract_date, r.status]
                for i, r in results.items()
            ],
        )
        attempt_at = _utc_now()
        con.execute("set preserve_insertion_order = false")
        con.begin()
        in_tx = True
        con.execute(
            "insert into audit.quarantine select f.batch_id, f.system, f.entity, f.source_file, f.extract_date, "
            f"t._row_number, cast(t._raw_values as json), t._reason, ? from {typed} t join {files} f "
            "on t._file_idx = f._file_idx where t._reason is not null",
            [attempt_at],
        )
        cols = [quote_ident(c.name) for c in entity.columns]
        con.execute(
            f"insert into {entity.raw_table} ({', '.join(cols)}, {', '.join(n for n, _ in LINEAGE_COLUMNS)}) "
            f"select {', '.join('t.' + c for c in cols)}, t._extra, f.batch_id, f.source_file, f.file_hash, "
            f"t._row_number, f.extract_date, ? from {typed} t join {files} f on t._file_idx = f._file_idx "
            "where t._reason is null and f.status = 'loaded'",
            [attempt_at],
        )
        # One batch, one elapsed time: each file's duration_ms is its share by rows read.
        elapsed_ms = stage_ms + (time.perf_counter() - started) * 1000
        total = sum(staged.rows_read.values()) or 1
        for r in results.values():
            r.duration_ms = int(elapsed_ms * max(r.rows_read, 1) / max(total, len(results)))
        readers.insert_rows(
            con,
            "audit.load_ledger",
            [name for name, _ in LEDGER_COLUMNS],
            [_ledger_values(r, attempt_at) for r in results.values()],
        )
        con.commit()
        in_tx = False
        for r in results.values():
            _log_result(log, r)
        return {lfs[i].source_file: r for i, r in results.items()}
    except Exception as exc:  # noqa: BLE001 - the files are retried one by one, each with its own verdict
        if in_tx:
            con.rollback()
        log.warning(
            f"batch of {len(staged.rows_read)} {entity.raw_table} files not loaded ({exc!r}); one by one"
        )
        return {}


def _finish(con, result: FileResult, status: str, reason: str | None, started: float, log) -> FileResult:
    """Write a ledger row for an outcome that loads nothing."""
    result.status, result.reason = status, reason
    result.duration_ms = int((time.perf_counter() - started) * 1000)
    _insert_ledger(con, result, _utc_now())
    _log_result(log, result)
    return result


def _log_result(log, r: FileResult) -> None:
    text = (
        f"{r.source_file}: {r.status} (read {r.rows_read}, loaded {r.rows_loaded}, "
        f"quarantined {r.rows_quarantined}){' - ' + r.reason if r.reason else ''}"
    )
    (log.warning if r.status in ("rejected", "failed") else log.info)(text)


_LEDGER_INSERT = f"insert into audit.load_ledger values ({', '.join('?' for _ in LEDGER_COLUMNS)})"


def _ledger_values(r: FileResult, attempt_at: datetime) -> list:
    return [
        r.batch_id,
        r.system,
        r.entity,
        r.source_file,
        r.file_hash,
        r.extract_date,
        attempt_at,
        r.status,
        r.rows_read,
        r.rows_loaded,
        r.rows_quarantined,
        r.reason,
        r.duration_ms,
        r.encoding,
        r.column_style,
    ]


def _insert_ledger(con, r: FileResult, attempt_at: datetime) -> None:
    con.execute(_LEDGER_INSERT, _ledger_values(r, attempt_at))


def _build_typed(
    con, lf: LandingFile, staged: readers.StagedFile | readers.StagedBatch, prefix: str
) -> tuple[str, str | None]:
    """Map fields to contract columns, parse every value, give each bad row its reason.

    Returns (temp table, None) or (None-ish, why the file is rejected as a whole). A batch's
    `_file_idx` is carried through so each row stays attributable to its file.
    """
    keep = ["_file_idx", "_row_number"] if isinstance(staged, readers.StagedBatch) else ["_row_number"]
    select, problem = _typed_select(lf, staged.fields, staged.relation, keep)
    if problem:
        return "", problem
    table = f"{prefix}_typed"
    con.execute(f"create or replace temp table {table} as\n{select}")
    return table, None


def _typed_select(
    lf: LandingFile, fields: list[str], relation: str, keep: list[str]
) -> tuple[str, str | None]:
    """The `select` behind `_build_typed` over `relation` (columns `f0..fN`, JSONL also `_raw`),
    passing the `keep` columns through; or ("", why the file is rejected as a whole)."""
    entity = lf.entity
    tz = load_contracts().timezone_without_offset
    by_name: dict[str, list[int]] = {}
    for i, name in enumerate(fields):
        by_name.setdefault(normalise_column_name(name), []).append(i)
    if lf.fmt != "jsonl":
        # In CSV/Parquet two header cells for one column are ambiguous; in JSONL key spellings
        # may vary between records (mixed exporters), so spellings are coalesced instead.
        dupes = {n: idx for n, idx in by_name.items() if len(idx) > 1}
        if dupes:
            shown = "; ".join(f"{', '.join(repr(fields[i]) for i in idx)} -> {n}" for n, idx in dupes.items())
            return "", f"{lf.source_file}: duplicate columns after name normalisation: {shown}"
    has_columns = bool(fields) or lf.fmt != "jsonl"
    if has_columns:
        for col in entity.required_columns:
            if col.name not in by_name:
                return "", (
                    f"{lf.source_file}: missing required column {col.source_name!r} "
                    f"(contract {entity.system}.{entity.name}, {_CONTRACT_FILE})"
                )

    def source(idx: list[int]) -> str:
        refs = [f"f{i}" for i in idx]
        return refs[0] if len(refs) == 1 else f"coalesce({', '.join(refs)})"

    # parsed: `_c<k>` = the column's text (trimmed for typed columns, NULL when blank);
    # typed: `_v<k>` = its value. Two steps so each parser appears once per column in the SQL:
    # binding these expressions costs more than running them on a small file.
    parsed, typed, checks, out = [], [], [], []
    for k, col in enumerate(entity.columns):
        src = source(by_name[col.name]) if col.name in by_name else "cast(null as varchar)"
        text = varchar_sql(src) if col.type == "varchar" else clean_sql(src)
        parsed.append(f"{text} as _c{k}")
        typed.append(f"{parse_sql(f'_c{k}', col.type, tz)} as _v{k}")
        if col.not_null:
            empty = sql_literal("empty not_null column " + col.name)
            checks.append(f"case when _c{k} is null then {empty} end")
        if col.type != "varchar":
            label = sql_literal(f"bad {col.type} in {col.name}: '")
            checks.append(
                f"case when _v{k} is null and _c{k} is not null then {label} || left(_c{k}, 80) || '''' end"
            )
        out.append(f"cast(_v{k} as {col.duckdb_type}) as {quote_ident(col.name)}")
    contract_names = {c.name for c in entity.columns}
    extras = [(n, idx) for n, idx in by_name.items() if n not in contract_names]
    if extras:
        obj = ", ".join(f"{sql_literal(n)}, {source(idx)}" for n, idx in extras)
        all_null = " and ".join(f"{source(idx)} is null" for _, idx in extras)
        out.append(f"case when {all_null} then null else json_object({obj}) end as _extra")
    else:
        out.append("cast(null as json) as _extra")
    if lf.fmt == "jsonl":
        raw_json = "_raw"
    else:
        raw_json = (
            "json_object(" + ", ".join(f"{sql_literal(name)}, f{i}" for i, name in enumerate(fields)) + ")"
        )
    reason = f"nullif(concat_ws('; ', {', '.join(checks)}), '')" if checks else "cast(null as varchar)"
    return (
        f"with parsed as (select *, {', '.join(parsed)} from {relation}),\n"
        f"typed as (select *, {', '.join(typed)} from parsed),\n"
        f"checked as (select *, {reason} as _reason from typed)\n"
        f"select {''.join(k + ', ' for k in keep)}_reason, "
        f"case when _reason is not null then {raw_json} end as _raw_values, "
        f"{', '.join(out)} from checked"
    ), None


def _insert_raw(con, lf: LandingFile, r: FileResult, typed: str, attempt_at: datetime) -> None:
    entity = lf.entity
    cols = [quote_ident(c.name) for c in entity.columns] + [name for name, _ in LINEAGE_COLUMNS]
    con.execute(
        f"insert into {entity.raw_table} ({', '.join(cols)}) select "
        + ", ".join(quote_ident(c.name) for c in entity.columns)
        + ", _extra, ?, ?, ?, _row_number, cast(? as date), ? "
        + f"from {typed} where _reason is null",
        [r.batch_id, r.source_file, r.file_hash, r.extract_date, attempt_at],
    )


def _insert_quarantine(con, lf: LandingFile, r: FileResult, typed: str, rejected: str, at: datetime) -> None:
    params = [r.batch_id, r.system, r.entity, r.source_file, r.extract_date]
    head = "select ?, ?, ?, ?, cast(? as date), "
    con.execute(
        "insert into audit.quarantine "
        + head
        + f"_row_number, cast(_raw_values as json), _reason, ? from {typed} where _reason is not null "
        + "union all "
        + head
        + f"_row_number, cast(raw_values as json), reason, ? from {rejected}",
        [*params, at, *params, at],
    )


def _example_reasons(con, typed: str, rejected: str) -> str:
    rows = con.execute(
        f"select _row_number, _reason from (select _row_number, _reason from {typed} where _reason is not null "
        f"union all select _row_number, reason from {rejected}) order by _row_number limit {_REASON_EXAMPLES}"
    ).fetchall()
    return "; ".join(f"row {n}: {text}" for n, text in rows)


_STYLES = (
    ("snake_case", re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")),
    ("UPPER_SNAKE", re.compile(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)*")),
    ("PascalCase", re.compile(r"([A-Z][a-z0-9]*)+(_[A-Za-z0-9]+)*(__c)?")),
    ("camelCase", re.compile(r"[a-z][a-z0-9]*([A-Z][a-z0-9]*)+")),
    ("spaced", re.compile(r".* .*")),
)


def column_style(names: list[str]) -> str | None:
    """How the header spells its columns (`snake_case`, `PascalCase`, ... or `mixed: a+b`)."""
    styles = set()
    for name in names:
        clean = name.lstrip("\ufeff").strip()
        styles.add(next((s for s, pat in _STYLES if pat.fullmatch(clean)), "other"))
    if not styles:
        return None
    return styles.pop() if len(styles) == 1 else "mixed: " + "+".join(sorted(styles))


def ledger_reconciliation_problems(
    con: duckdb.DuckDBPyConnection, contracts: Contracts | None = None
) -> list[str]:
    """Every way the ledger disagrees with itself or with the raw and quarantine tables.

    For `loaded` files: rows_read = rows_loaded + rows_quarantined; the raw tables hold exactly
    rows_loaded rows of the batch; quarantine holds rows_quarantined rows of that attempt. For
    every file: quarantine rows of an attempt match its ledger row. Raw rows without a loaded
    ledger row are orphans. Empty list = reconciled.
    """
    contracts = contracts or load_contracts()
    problems = [
        f"{src} ({batch}): rows_read {read} != rows_loaded {loaded} + rows_quarantined {quar}"
        for src, batch, read, loaded, quar in con.execute(
            "select source_file, batch_id, rows_read, rows_loaded, rows_quarantined from audit.load_ledger "
            "where status = 'loaded' and rows_read != rows_loaded + rows_quarantined order by source_file"
        ).fetchall()
    ]
    raw_counts = " union all ".join(
        f"select _batch_id, _loaded_at, count(*) as n from {e.raw_table} group by all"
        for e in contracts.entities
    )
    # One statement, so the raw tables (28M rows at L) are scanned once: the per-batch counts
    # serve both the ledger comparison (kind 0) and the orphan search (kind 1).
    rows = con.execute(
        f"with raw as materialized ({raw_counts}), "
        "q as (select batch_id, quarantined_at, count(*) as n from audit.quarantine group by all), "
        "l as (select * from audit.load_ledger where status in ('loaded', 'rejected')), "
        "mismatch as (select l.source_file, l.batch_id, l.status, l.rows_loaded, coalesce(raw.n, 0) as raw_n, "
        "l.rows_quarantined, coalesce(q.n, 0) as q_n from l "
        "left join raw on raw._batch_id = l.batch_id and raw._loaded_at = l.attempt_at "
        "left join q on q.batch_id = l.batch_id and q.quarantined_at = l.attempt_at "
        "where coalesce(raw.n, 0) != l.rows_loaded or coalesce(q.n, 0) != l.rows_quarantined), "
        "orphan as (select raw._batch_id, sum(raw.n) as n from raw "
        "anti join (select * from audit.load_ledger where status = 'loaded') l "
        "on l.batch_id = raw._batch_id and l.attempt_at = raw._loaded_at group by 1) "
        "select 0 as kind, source_file as k, batch_id, status, rows_loaded, raw_n, rows_quarantined, q_n "
        "from mismatch union all "
        "select 1, _batch_id, _batch_id, null, null, n, null, null from orphan order by kind, k"
    ).fetchall()
    for kind, src, batch, status, loaded, raw_n, quar, q_n in rows:
        if kind == 0:
            problems.append(
                f"{src} ({batch}, {status}): ledger rows_loaded {loaded} / rows_quarantined {quar}, "
                f"but raw holds {raw_n} and quarantine {q_n}"
            )
        else:
            problems.append(f"raw batch {batch} ({raw_n} rows) has no loaded ledger row")
    return problems
