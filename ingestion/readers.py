"""Extract file readers: bytes on disk -> a DuckDB temp table of text fields, one row per record.

Owns: file-name extensions, content hashing, gzip integrity, encoding detection (UTF-8, UTF-8 with
BOM, CP932 - decided per FILE by strict decoding of the whole file, never per row), CP932 ->
UTF-8 transcoding, CSV/JSONL/Parquet parsing, record numbering and the detection of records a
parser could not read. It knows nothing about contracts: the loader maps and casts the fields.

Why two CSV/JSONL paths:
- fast path: DuckDB's native reader (`read_csv` all-varchar with `store_rejects`,
  `read_json_objects`), numbered in file order. DuckDB reports most malformed records as rejects,
  but not all (an unterminated quote with `parallel=false`, a whitespace-only line are skipped
  without a trace), so every text file is also counted independently (a quote-aware newline count
  done with numpy in the same pass as the encoding check).
- exact path: when DuckDB rejected anything or its count disagrees with the independent count,
  Python's `csv` / line reader re-parses the file record by record, so every record gets its exact
  1-based number and every malformed one its raw text and reason. Malformed files are small or
  rare; the fast path carries the volume.
Record numbers are 1-based, header excluded, blank lines not counted (like DuckDB and `csv`).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import json
import shutil
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

CHUNK = 1 << 20
# Longest extension first so `x.csv.gz` is not taken for `x.csv`.
EXTENSIONS: tuple[tuple[str, str, str | None], ...] = (
    (".csv.gz", "csv", "gzip"),
    (".jsonl.gz", "jsonl", "gzip"),
    (".csv", "csv", None),
    (".jsonl", "jsonl", None),
    (".parquet", "parquet", None),
)

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


class UnreadableFile(Exception):
    """The file as a whole cannot be read (reason in the message): the loader rejects it."""


def split_extension(name: str) -> tuple[str, str, str | None] | None:
    """`Lead.csv.gz` -> (`Lead`, `csv`, `gzip`); None for an unsupported extension."""
    lower = name.lower()
    for ext, fmt, compression in EXTENSIONS:
        if lower.endswith(ext) and len(name) > len(ext):
            return name[: -len(ext)], fmt, compression
    return None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class _RecordCounter:
    """Counts non-blank records in a byte stream; newlines inside double quotes do not end one.

    Quote parity is exact for RFC 4180 files (`""` toggles twice). It overcounts or undercounts
    on malformed quoting, which is the point: any disagreement with the parser sends the file to
    the exact path.
    """

    def __init__(self, quoting: bool) -> None:
        import numpy as np  # only the loader's scan pass needs it

        self.np = np
        self.quoting = quoting
        self.offset = 0  # bytes seen before the current chunk
        self.last_term = -1  # position of the last record-ending newline
        self.quotes = 0  # quotes seen so far (parity = inside a quoted field)
        self.prev_byte = -1
        self.records = 0

    def feed(self, chunk: bytes) -> None:
        np = self.np
        if not chunk:
            return
        arr = np.frombuffer(chunk, dtype=np.uint8)
        pos = np.flatnonzero(arr == 10)
        if self.quoting:
            # Quotes are rare next to bytes: locate them, then give each newline the parity of
            # the quotes before it (searchsorted), instead of a cumulative sum over every byte.
            quotes = np.flatnonzero(arr == 34)
            if quotes.size or self.quotes & 1:
                before = np.searchsorted(quotes, pos) + self.quotes
                pos = pos[(before & 1) == 0]
            self.quotes += int(quotes.size)
        if pos.size:
            starts = np.empty_like(pos)
            starts[0] = self.last_term + 1 - self.offset
            starts[1:] = pos[:-1] + 1
            length = pos - starts
            prev = np.where(pos > 0, arr[np.maximum(pos - 1, 0)], self.prev_byte)
            blank = (length == 0) | ((length == 1) & (prev == 13))
            self.records += int(pos.size - np.count_nonzero(blank))
            self.last_term = self.offset + int(pos[-1])
        self.offset += len(chunk)
        self.prev_byte = int(arr[-1])

    def finish(self) -> int:
        tail = self.offset - self.last_term - 1
        if tail > 1 or (tail == 1 and self.prev_byte != 13):
            self.records += 1
        return self.records


@dataclass
class ScannedFile:
    """What one pass over a text file found out (parquet files are not scanned)."""

    path: Path
    fmt: str
    compression: str | None
    encoding: str  # utf-8 | utf-8-sig | cp932 | binary
    text_path: Path  # file DuckDB reads: the original, or a UTF-8 transcode of a CP932 file
    text_compression: str | None  # compression of text_path
    records: int | None  # independent count of non-blank records (CSV: header included)
    empty: bool = False


def _open_bytes(path: Path, compression: str | None):
    return gzip.open(path, "rb") if compression == "gzip" else open(path, "rb")


def _iter_decompressed(path: Path, compression: str | None):
    """Yield the file's content bytes; a corrupt or truncated gzip raises UnreadableFile."""
    try:
        with _open_bytes(path, compression) as fh:
            while chunk := fh.read(CHUNK):
                yield chunk
    except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as exc:
        raise UnreadableFile(f"corrupt or truncated gzip: {exc}") from exc


def scan_text_file(path: Path, fmt: str, compression: str | None, tmp_dir: Path) -> ScannedFile:
    """Decide the encoding of a CSV/JSONL file, transcode CP932, count its records.

    Raises UnreadableFile for an empty file, a corrupt gzip or bytes that are neither UTF-8
    nor CP932.
    """
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    counter = _RecordCounter(quoting=fmt == "csv")
    first = b""
    size = 0
    utf8_error: str | None = None
    for chunk in _iter_decompressed(path, compression):
        if size == 0:
            first = chunk[:3]
        size += len(chunk)
        # An ASCII chunk with no multi-byte sequence pending is valid UTF-8 as it stands:
        # isascii() is ~10x faster than decoding it into a str that is thrown away.
        if utf8_error is None and not (chunk.isascii() and not decoder.getstate()[0]):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                utf8_error = f"byte {size - len(chunk) + exc.start}"
        counter.feed(chunk)
    if utf8_error is None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8_error = "end of file"
    if size == 0:
        raise UnreadableFile("empty file (0 bytes)")
    if utf8_error is None:
        encoding = "utf-8-sig" if first == codecs.BOM_UTF8 else "utf-8"
        return ScannedFile(path, fmt, compression, encoding, path, compression, counter.finish())
    return _transcode_cp932(path, fmt, compression, tmp_dir, utf8_error)


def _transcode_cp932(
    path: Path, fmt: str, compression: str | None, tmp_dir: Path, utf8_error: str
) -> ScannedFile:
    """Stream a CP932 file into a UTF-8 temp file (DuckDB has no offline CP932 reader)."""
    decoder = codecs.getincrementaldecoder("cp932")("strict")
    counter = _RecordCounter(quoting=fmt == "csv")
    # Unique per source path: a batch transcodes many same-named files (sfa/<date>/Lead.csv).
    out_path = tmp_dir / f"{hashlib.sha1(str(path).encode()).hexdigest()[:12]}_{path.name}.utf8.{fmt}"
    done = 0
    try:
        with open(out_path, "wb") as out:
            for chunk in _iter_decompressed(path, compression):
                text = decoder.decode(chunk).encode("utf-8")
                done += len(chunk)
                counter.feed(text)
                out.write(text)
            tail = decoder.decode(b"", final=True).encode("utf-8")
            counter.feed(tail)
            out.write(tail)
    except UnicodeDecodeError as exc:
        out_path.unlink(missing_ok=True)
        raise UnreadableFile(
            f"not valid UTF-8 (first bad {utf8_error}) nor CP932 (first bad byte {done + exc.start})"
        ) from exc
    return ScannedFile(path, fmt, compression, "cp932", out_path, None, counter.finish())


@dataclass
class StagedFile:
    """A file's records in DuckDB temp tables, every field as text.

    `relation` (a table name or a subquery) has `_row_number` (1-based record number) and one
    varchar column per field, named `f0..fN` in `fields` order; JSONL adds `_raw` (the record's
    JSON text).
    `rejected` has `_row_number, raw_values, reason` for records no parser could split.
    """

    relation: str
    rejected: str
    fields: list[str]
    rows_read: int
    encoding: str
    path_used: str  # fast | exact | parquet


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return int(con.execute(f"select count(*) from {table}").fetchall()[0][0])


def insert_rows(
    con: duckdb.DuckDBPyConnection, table: str, names: list[str], rows: list[list], types: list | None = None
) -> None:
    """Insert Python rows in one statement (through Arrow): DuckDB's executemany costs ~30 ms a row.
    `types`: Arrow types per column (default: inferred from the values)."""
    if not rows:
        return
    import pyarrow as pa

    columns = list(zip(*rows, strict=True))
    types = types or [None] * len(names)
    arrays = {n: pa.array(c, type=t) for n, c, t in zip(names, columns, types, strict=True)}
    view = f"_rows_{table.replace('.', '_')}"
    con.register(view, pa.table(arrays))
    try:
        con.execute(f"insert into {table} ({', '.join(_q(n) for n in names)}) select * from {view}")
    finally:
        con.unregister(view)


def _create_rejected(con: duckdb.DuckDBPyConnection, name: str) -> None:
    con.execute(
        f"create or replace temp table {name} (_row_number bigint, raw_values varchar, reason varchar)"
    )


def read_header(scan: ScannedFile) -> list[str] | None:
    """First non-blank CSV record, parsed by `csv` (None when the file has only blank lines)."""
    opener = gzip.open if scan.text_compression == "gzip" else open
    with opener(scan.text_path, "rt", encoding="utf-8-sig", newline="") as fh:
        try:
            for row in csv.reader(fh, strict=True):
                if row:
                    return row
        except csv.Error as exc:
            raise UnreadableFile(f"unreadable CSV header: {exc}") from exc
    return None


def stage_file(
    con: duckdb.DuckDBPyConnection, path: Path, fmt: str, compression: str | None, prefix: str, tmp_dir: Path
) -> StagedFile:
    """Read one extract file into temp tables `<prefix>_stage` / `<prefix>_rej`.

    Raises UnreadableFile when the file as a whole cannot be read.
    """
    if fmt == "parquet":
        return _stage_parquet(con, path, prefix)
    scan = scan_text_file(path, fmt, compression, tmp_dir)
    if fmt == "csv":
        return _stage_csv(con, scan, prefix)
    return _stage_jsonl(con, scan, prefix)


def _stage_csv(con: duckdb.DuckDBPyConnection, scan: ScannedFile, prefix: str) -> StagedFile:
    header = read_header(scan)
    if header is None:
        raise UnreadableFile("empty file (no header line)")
    stage, rej = f"{prefix}_stage", f"{prefix}_rej"
    rj_table, rj_scan = f"{prefix}_rjt", f"{prefix}_rjs"
    columns = "{" + ", ".join(f"{_lit(f'f{i}')}: 'varchar'" for i in range(len(header))) + "}"
    compression = _lit(scan.text_compression or "none")
    # Insertion order is what numbers the records: keep it for this scan whatever the caller set.
    con.execute("set preserve_insertion_order = true")
    try:
        _fast_csv(con, scan, stage, columns, compression, rj_table, rj_scan)
    except duckdb.Error:
        # Some malformations (e.g. mixed line endings) abort DuckDB's whole scan even with
        # ignore_errors: the exact path reads such files record by record.
        _create_rejected(con, rej)
        rows_read = _stage_csv_exact(con, scan, header, stage, rej)
        return StagedFile(stage, rej, header, rows_read, scan.encoding, "exact")
    rejects = _count(con, rj_table)
    rows = _count(con, stage)
    _create_rejected(con, rej)
    expected = (scan.records or 0) - 1
    if rejects == 0 and rows == expected:
        # rowid is the insertion order, which the scan preserved: numbering it here instead of
        # with row_number() in the scan keeps the scan parallel (2-3x faster).
        relation = f"(select rowid + 1 as _row_number, * from {stage})"
        return StagedFile(relation, rej, header, rows, scan.encoding, "fast")
    rows_read = _stage_csv_exact(con, scan, header, stage, rej)
    return StagedFile(stage, rej, header, rows_read, scan.encoding, "exact")


def _fast_csv(
    con, scan: ScannedFile, stage: str, columns: str, compression: str, rj_table: str, rj_scan: str
):
    con.execute(
        f"create or replace temp table {stage} as "
        f"select * from read_csv({_lit(str(scan.text_path))}, "
        f"columns = {columns}, header = true, auto_detect = false, delim = ',', quote = '\"', "
        f"escape = '\"', compression = {compression}, strict_mode = true, ignore_errors = true, "
        f"store_rejects = true, rejects_table = {_lit(rj_table)}, rejects_scan = {_lit(rj_scan)})"
    )


@dataclass
class StagedBatch:
    """Several CSV files with one header, read by ONE DuckDB scan (`stage_csv_batch`).

    `relation` has `_file_idx` (index into the scans passed in), `_row_number` (1-based record
    number within its file), `f0..fN` (and `_raw` for JSONL) for the files in `rows_read` only;
    when `projected`, the caller's projection of those fields instead of `f0..fN`.
    """

    relation: str
    fields: list[str]
    rows_read: dict[int, int]
    projected: bool = False


def stage_batch(
    con: duckdb.DuckDBPyConnection,
    fmt: str,
    scans: list[ScannedFile],
    header: list[str],
    prefix: str,
    project: Callable[[str], str] | None = None,
) -> tuple[list[StagedBatch], dict[int, str]]:
    """Stage text files of one format and text compression (CSV: one header) in one scan.

    Returns the batches and the excluded files: index -> why the batch cannot vouch for its
    records (DuckDB rejected some, a malformed JSON line, a count that disagrees with the
    independent count). Excluded files go through the per-file path, like any file when this
    raises (duckdb.Error: the scan as a whole failed). `project`: see `stage_csv_batch` (CSV only).
    """
    if fmt == "csv":
        return stage_csv_batch(con, scans, header, prefix, project)
    return stage_jsonl_batch(con, scans, prefix)


def _batch_paths(scans: list[ScannedFile]) -> list[str]:
    paths = [str(s.text_path) for s in scans]
    if len(set(paths)) != len(paths) or len({s.text_compression for s in scans}) != 1:
        raise ValueError("a batch needs distinct paths and one compression")
    return paths


def _vouch(
    con, files: str, scans: list[ScannedFile], paths: list[str], found: dict, flaw: str, header_lines: int = 0
) -> tuple[dict[int, int], dict[int, str]]:
    """Which files of a batch scan are read exactly: (rows read, excluded file -> why).

    `found`: file index -> (records read, flawed, min rowid, max rowid). A file is vouched for
    when nothing in it was flawed, DuckDB read as many records as the independent count, and
    they are contiguous in the scan. Writes `files` (_file_idx, path, first_rowid) for those.
    """
    rows_read: dict[int, int] = {}
    excluded: dict[int, str] = {}
    kept: list[list] = []
    for i, scan in enumerate(scans):
        n, flawed, lo, hi = found.get(i, (0, False, 0, -1))
        expected = (scan.records or 0) - header_lines
        if flawed:
            excluded[i] = flaw
        elif n != expected:
            excluded[i] = f"DuckDB read {n} records, the independent count is {expected}"
        elif n and hi - lo + 1 != n:
            excluded[i] = "records not contiguous in the batch scan"
        else:
            rows_read[i] = n
            kept.append([i, paths[i], lo])
    con.execute(f"create or replace temp table {files} (_file_idx integer, path varchar, first_rowid bigint)")
    insert_rows(con, files, ["_file_idx", "path", "first_rowid"], kept)
    return rows_read, excluded


def stage_csv_batch(
    con: duckdb.DuckDBPyConnection,
    scans: list[ScannedFile],
    header: list[str],
    prefix: str,
    project: Callable[[str], str] | None = None,
) -> tuple[list[StagedBatch], dict[int, str]]:
    """Read CSV files that share a header and compression in one multi-file `read_csv`.

    Per-file cost (statements, temp tables, catalog churn) is what made small files slow: one scan
    for the batch leaves only the per-file encoding/count pass in Python. Record numbers come from
    the scan order (files in list order, records in file order, kept by preserve_insertion_order),
    checked per file: its rows must be contiguous and as many as the independent count.

    `project(relation) -> select`: what to store of each record instead of its text fields
    (`relation` has `_file_idx, f0..fN`; the select must keep `_file_idx` and the row order).
    The loader parses values in the scan this way: a text copy of the batch, written and read
    back once more, cost as much CPU as the parsing itself.
    """
    stage, files = f"{prefix}_stage", f"{prefix}_files"
    rj_table, rj_scan = f"{prefix}_rjt", f"{prefix}_rjs"
    columns = "{" + ", ".join(f"{_lit(f'f{i}')}: 'varchar'" for i in range(len(header))) + "}"
    paths = _batch_paths(scans)
    compression = _lit(scans[0].text_compression or "none")
    # `file_index` (DuckDB's virtual column: the position in the list) is `_file_idx`: an integer
    # to group and join on, instead of a file name string per record.
    scan = (
        f"(select file_index as _file_idx, {', '.join(f'f{i}' for i in range(len(header)))} from read_csv("
        f"[{', '.join(_lit(p) for p in paths)}], "
        f"columns = {columns}, header = true, auto_detect = false, delim = ',', quote = '\"', "
        f"escape = '\"', compression = {compression}, strict_mode = true, ignore_errors = true, "
        f"store_rejects = true, rejects_table = {_lit(rj_table)}, rejects_scan = {_lit(rj_scan)}))"
    )
    con.execute("set preserve_insertion_order = true")
    con.execute(
        f"create or replace temp table {stage} as {project(scan) if project else f'select * from {scan}'}"
    )
    index = {p: i for i, p in enumerate(paths)}
    with_rejects = {
        index[path]
        for (path,) in con.execute(
            f"select distinct s.file_path from {rj_scan} s join {rj_table} e using (scan_id, file_id)"
        ).fetchall()
    }
    found = {
        int(i): (int(n), int(i) in with_rejects, int(lo), int(hi))
        for i, n, lo, hi in con.execute(
            f"select _file_idx, count(*), min(rowid), max(rowid) from {stage} group by _file_idx"
        ).fetchall()
    }
    for i in with_rejects - set(found):
        found[i] = (0, True, 0, -1)
    # The CSV count includes the header line.
    rows_read, excluded = _vouch(con, files, scans, paths, found, "DuckDB rejected records", header_lines=1)
    relation = (
        f"(select s.*, s.rowid - f.first_rowid + 1 as _row_number "
        f"from {stage} s join {files} f on s._file_idx = f._file_idx)"
    )
    return [StagedBatch(relation, header, rows_read, projected=project is not None)], excluded


def stage_jsonl_batch(
    con: duckdb.DuckDBPyConnection, scans: list[ScannedFile], prefix: str
) -> tuple[list[StagedBatch], dict[int, str]]:
    """Read JSONL files (one compression) in one multi-file scan; one StagedBatch per key list.

    A file's fields are its keys in order of first appearance (as `_stage_jsonl`), so files are
    grouped by that list: extras and required-column checks stay exactly per file.
    """
    lines, files = f"{prefix}_lines", f"{prefix}_files"
    paths = _batch_paths(scans)
    compression = _lit(scans[0].text_compression or "uncompressed")
    con.execute("set preserve_insertion_order = true")
    con.execute(
        f"create or replace temp table {lines} as select json as _raw, filename from read_json_objects("
        f"[{', '.join(_lit(p) for p in paths)}], format = 'newline_delimited', ignore_errors = true, "
        f"compression = {compression}, filename = true)"
    )
    index = {p: i for i, p in enumerate(paths)}
    found = {
        index[path]: (int(n), bool(odd), int(lo), int(hi))
        for path, n, odd, lo, hi in con.execute(
            "select filename, count(*), count(*) filter (where _raw is null or not json_valid(_raw) "
            f"or json_type(_raw) != 'OBJECT'), min(rowid), max(rowid) from {lines} group by filename"
        ).fetchall()
    }
    rows_read, excluded = _vouch(con, files, scans, paths, found, "malformed or non-object JSON records")
    keys_of: dict[int, list[str]] = {}
    for i, key in con.execute(
        f"select f._file_idx, k from (select filename, rowid as r, unnest(json_keys(_raw)) as k from {lines}) "
        f"join {files} f on filename = f.path group by f._file_idx, k order by f._file_idx, min(r), k"
    ).fetchall():
        keys_of.setdefault(int(i), []).append(key)
    groups: dict[tuple[str, ...], list[int]] = {}
    for i in rows_read:
        groups.setdefault(tuple(keys_of.get(i, [])), []).append(i)
    batches = []
    for keys, members in groups.items():
        extracts = "".join(
            f", json_extract_string(l._raw, {_lit('$.' + json.dumps(k, ensure_ascii=False))}) as f{n}"
            for n, k in enumerate(keys)
        )
        member_list = ", ".join(str(i) for i in members)
        relation = (
            f"(select f._file_idx, l.rowid - f.first_rowid + 1 as _row_number, l._raw{extracts} "
            f"from {lines} l join {files} f on l.filename = f.path where f._file_idx in ({member_list}))"
        )
        batches.append(StagedBatch(relation, list(keys), {i: rows_read[i] for i in members}))
    return batches, excluded


class _TableAppender:
    """Appends Python rows to a DuckDB temp table through Arrow, in bounded batches.

    The exact paths must not re-serialise to CSV: DuckDB's new-line detection can trip on a
    quoted newline in the first line of such a temp file.
    """

    BATCH = 50_000

    def __init__(self, con: duckdb.DuckDBPyConnection, table: str, names: list[str]) -> None:
        self.con, self.table, self.names = con, table, names
        self.rows: list[list] = []

    def add(self, row: list) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        import pyarrow as pa

        # A record number, then text fields (explicit: a column of only NULLs stays text).
        types = [pa.int64()] + [pa.string()] * (len(self.names) - 1)
        insert_rows(self.con, self.table, self.names, self.rows, types)
        self.rows = []


def _stage_csv_exact(
    con: duckdb.DuckDBPyConnection, scan: ScannedFile, header: list[str], stage: str, rej: str
) -> int:
    """Re-parse with Python's csv module: exact numbers, raw text and reason for every bad record."""
    width = len(header)
    fields = [f"f{i}" for i in range(width)]
    con.execute(
        f"create or replace temp table {stage} (_row_number bigint"
        + "".join(f", {f} varchar" for f in fields)
        + ")"
    )
    good = _TableAppender(con, stage, ["_row_number", *fields])
    bad = _TableAppender(con, rej, ["_row_number", "raw_values", "reason"])
    opener = gzip.open if scan.text_compression == "gzip" else open
    record = 0
    seen_header = False
    with opener(scan.text_path, "rt", encoding="utf-8-sig", newline="") as src:
        reader = csv.reader(src, strict=True)
        while True:
            line_before = reader.line_num
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                record += 1
                raw = {"_physical_line": line_before + 1}
                bad.add([record, json.dumps(raw), f"malformed CSV record: {exc}"])
                continue
            if not row:
                continue
            if not seen_header:
                seen_header = True
                continue
            record += 1
            if len(row) != width:
                raw = {(header[i] if i < width else f"_field_{i + 1}"): v for i, v in enumerate(row)}
                reason = f"wrong number of fields: {len(row)} instead of {width}"
                bad.add([record, json.dumps(raw, ensure_ascii=False), reason])
            else:
                # Same convention as the fast path: an empty field is NULL.
                good.add([record, *(v if v != "" else None for v in row)])
    good.flush()
    bad.flush()
    return record


def _stage_jsonl(con: duckdb.DuckDBPyConnection, scan: ScannedFile, prefix: str) -> StagedFile:
    lines, stage, rej = f"{prefix}_lines", f"{prefix}_stage", f"{prefix}_rej"
    compression = _lit(scan.text_compression or "uncompressed")
    con.execute("set preserve_insertion_order = true")
    # ignore_errors turns a malformed line into NULL (it is not dropped); the count check below
    # catches anything the reader skipped.
    try:
        con.execute(
            f"create or replace temp table {lines} as select "
            f"json as _raw from read_json_objects({_lit(str(scan.text_path))}, "
            f"format = 'newline_delimited', ignore_errors = true, compression = {compression})"
        )
        rows = _count(con, lines)
        nulls = int(con.execute(f"select count(*) from {lines} where _raw is null").fetchall()[0][0])
    except duckdb.Error:
        rows, nulls = -1, 1  # the exact path below reads it line by line
    _create_rejected(con, rej)
    path_used, row_number = "fast", "rowid + 1"
    if nulls or rows != scan.records:
        path_used, row_number = "exact", "_row_number"
        rows = _stage_jsonl_exact(con, scan, lines)
    # DuckDB does not short-circuit `and`: classify each line once, before any JSON function
    # that would throw on malformed text runs on it.
    con.execute(
        f"create or replace temp table {lines} as select {row_number} as _row_number, _raw, "
        "case when json_valid(_raw) then json_type(_raw) = 'OBJECT' else false end as _is_object "
        f"from {lines}"
    )
    con.execute(
        f"insert into {rej} select _row_number, "
        "case when json_valid(_raw) then _raw else to_json(_raw) end, "
        "case when json_valid(_raw) then 'JSON record is not an object' else 'malformed JSON record' end "
        f"from {lines} where not _is_object"
    )
    keys = [
        r[0]
        for r in con.execute(
            f"select k from (select unnest(json_keys(_raw)) as k, _row_number from {lines} "
            "where _is_object) group by k order by min(_row_number), k"
        ).fetchall()
    ]
    # JSON path quoting: a key with a quote or backslash is escaped inside "...".
    extracts = [
        f"json_extract_string(_raw, {_lit('$.' + json.dumps(k, ensure_ascii=False))}) as f{i}"
        for i, k in enumerate(keys)
    ]
    con.execute(
        f"create or replace temp table {stage} as select _row_number, _raw"
        + "".join(f", {e}" for e in extracts)
        + f" from {lines} where _is_object"
    )
    return StagedFile(stage, rej, keys, rows, scan.encoding, path_used)


def _stage_jsonl_exact(con: duckdb.DuckDBPyConnection, scan: ScannedFile, lines: str) -> int:
    """Number non-blank lines in Python; DuckDB then validates each line's JSON."""
    con.execute(f"create or replace temp table {lines} (_row_number bigint, _raw varchar)")
    out = _TableAppender(con, lines, ["_row_number", "_raw"])
    opener = gzip.open if scan.text_compression == "gzip" else open
    record = 0
    with opener(scan.text_path, "rt", encoding="utf-8-sig", newline="") as src:
        for line in src:
            text = line.rstrip("\r\n")
            if not text.strip():
                continue
            record += 1
            out.add([record, text])
    out.flush()
    return record


def _stage_parquet(con: duckdb.DuckDBPyConnection, path: Path, prefix: str) -> StagedFile:
    stage, rej = f"{prefix}_stage", f"{prefix}_rej"
    src = f"read_parquet({_lit(str(path))}, file_row_number = true)"
    try:
        described = con.execute(f"describe select * from {src}").fetchall()
    except duckdb.Error as exc:
        raise UnreadableFile(f"unreadable parquet: {exc}".splitlines()[0]) from exc
    fields, exprs = [], []
    for name, typ, *_ in described:
        if name == "file_row_number":
            continue
        col = _q(name)
        if typ.startswith("TIMESTAMP WITH TIME ZONE"):
            # An instant: write it with an explicit UTC offset so the parser does not apply
            # the no-offset time zone to it.
            expr = f"strftime(timezone('UTC', {col}), '%Y-%m-%dT%H:%M:%S.%fZ')"
        else:
            expr = f"cast({col} as varchar)"
        exprs.append(f"{expr} as f{len(fields)}")
        fields.append(name)
    try:
        con.execute(
            f"create or replace temp table {stage} as select file_row_number + 1 as _row_number"
            + "".join(f", {e}" for e in exprs)
            + f" from {src}"
        )
    except duckdb.Error as exc:
        raise UnreadableFile(f"unreadable parquet: {exc}".splitlines()[0]) from exc
    _create_rejected(con, rej)
    return StagedFile(stage, rej, fields, _count(con, stage), "binary", "parquet")


def drop_staged(con: duckdb.DuckDBPyConnection, prefix: str, tmp_dir: Path | None = None) -> None:
    """Drop every temp table named `<prefix>_*` and the temp files (also after a failure)."""
    names = con.execute(
        "select table_name from duckdb_tables() where temporary and starts_with(table_name, ?)",
        [prefix + "_"],
    ).fetchall()
    for (name,) in names:
        con.execute(f"drop table if exists {_q(name)}")
    if tmp_dir is not None:
        shutil.rmtree(tmp_dir, ignore_errors=True)
