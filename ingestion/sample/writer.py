"""Deterministic extract files: formats, encodings, column styles, injected bad rows.

Owns the bytes on disk. Same inputs give the same bytes: gzip with mtime=0 and no file name,
Parquet without wall-clock metadata, JSON with fixed separators, no dict/hash ordering. Bad rows
are extra rows (own ids, nothing references them) inserted at recorded record numbers.
"""

from __future__ import annotations

import gzip
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ingestion.contracts import normalise_column_name

from .frames import Style, render_strings, render_typed


@dataclass(frozen=True)
class FileSpec:
    fmt: str  # csv | csv.gz | jsonl | parquet
    encoding: str = "utf-8"  # utf-8 | utf-8-sig | cp932 (CSV only)
    style: Style = Style()


@dataclass(frozen=True)
class BadRowSpec:
    """Where a file may receive bad rows: its key column and the column to spoil per reason."""

    key: str
    spoil: tuple[tuple[str, str, tuple[str, ...]], ...]  # (reason_class, column, bad values)
    fresh: tuple[tuple[str, str], ...] = ()  # columns overwritten with a unique value (format, `{k}`)
    zero: tuple[str, ...] = ()  # columns set to "0" so a wrongly accepted row changes no total


BAD_TS = ("2026-13-45 25:61:00", "不明", "31/31/2026", "0000-00-00T00:00:00")
BAD_NUM = ("TBD", "要確認", "N/A", "1.2.3")


class Writer:
    def __init__(self, out: Path, rng: np.random.Generator):
        self.out = out
        self.rng = rng
        self.counts: dict[str, int] = {}
        self.bad_rows: list[dict] = []
        self.deliveries: list[dict] = []
        self._bad_seq = 0

    def write(
        self,
        system: str,
        day: str,
        stem: str,
        table: pa.Table,
        kinds: dict[str, str],
        spec: FileSpec,
        bad: BadRowSpec | None = None,
        contract_entity: str = "",
    ) -> str:
        rel = f"{system}/{day}/{stem}.{spec.fmt}"
        path = self.out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if spec.fmt == "parquet":
            typed = render_typed(table, kinds)
            if spec.style.columns == "snake":
                typed = typed.rename_columns([normalise_column_name(c) for c in typed.column_names])
            pq.write_table(typed, path, compression="zstd", write_statistics=False, store_schema=True)
            self.counts[rel] = typed.num_rows
            return rel
        text = render_strings(table, kinds, spec.style)
        if bad is not None and text.num_rows >= 100 and self.rng.random() < 0.6:
            text = self._inject(text, bad, system, rel, contract_entity or stem)
        header = list(text.column_names)
        if spec.style.columns == "snake":
            header = [normalise_column_name(c) for c in header]
        if spec.fmt.startswith("jsonl"):
            payload = self._jsonl(text, kinds, header)
        else:
            text = text.rename_columns(header)
            buf = io.BytesIO()
            pacsv.write_csv(text, buf, pacsv.WriteOptions(include_header=True))
            payload = buf.getvalue()
            if spec.encoding == "cp932":
                payload = payload.decode("utf-8").encode("cp932")
            elif spec.encoding == "utf-8-sig":
                payload = b"\xef\xbb\xbf" + payload
        if spec.fmt.endswith(".gz"):
            raw = io.BytesIO()
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=3) as gz:
                gz.write(payload)
            payload = raw.getvalue()
        path.write_bytes(payload)
        self.counts[rel] = text.num_rows
        return rel

    @staticmethod
    def _jsonl(text: pa.Table, kinds: dict[str, str], names: list[str]) -> bytes:
        """One JSON object per line, built column-wise with Arrow string kernels (no per-row Python).

        Numbers stay JSON numbers unless spoiled (a broken exporter writes a string), booleans are
        JSON booleans, everything else a JSON string; nulls are `null`.
        """
        parts = []
        for i, (src, name) in enumerate(zip(text.column_names, names, strict=True)):
            arr = text.column(src).combine_chunks()
            kind = kinds.get(src, "str")
            esc = arr
            for old, new in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")):
                esc = pc.replace_substring(esc, old, new)
            quoted = pc.binary_join_element_wise('"', esc, '"', "")
            if kind in ("int", "float"):
                numeric = pc.match_substring_regex(arr, r"^-?[0-9]+(\.[0-9]+)?$")
                value = pc.if_else(numeric, arr, quoted)
            elif kind == "bool":
                value = pc.if_else(pc.is_in(arr, pa.array(["true", "TRUE", "1"])), "true", "false")
            else:
                value = quoted
            value = pc.fill_null(value, "null")
            key = json.dumps(name, ensure_ascii=False) + ":"
            parts.append(("{" if i == 0 else ",") + key)
            parts.append(value)
        if not parts:
            return b""
        lines = pc.binary_join_element_wise(*parts, "}\n", "")
        return "".join(lines.to_pylist()).encode("utf-8")

    def _inject(self, text: pa.Table, bad: BadRowSpec, system: str, rel: str, entity: str) -> pa.Table:
        n = text.num_rows
        k = max(1, int(round(n * self.rng.uniform(0.001, 0.005))))
        k = min(k, int(0.02 * (n + k)))
        if k < 1:
            return text
        rows = []
        for _ in range(k):
            self._bad_seq += 1
            src = text.slice(int(self.rng.integers(0, n)), 1).to_pylist()[0]
            reason, column, values = bad.spoil[int(self.rng.integers(0, len(bad.spoil)))]
            key = f"BAD{self._bad_seq:06d}"
            for col, fmt in bad.fresh:  # an empty format clears the column
                src[col] = fmt.format(k=key) if fmt else None
            for col in bad.zero:
                src[col] = "0"
            if reason == "missing_key":
                src[bad.key], key = None, ""
            else:
                src[bad.key] = src[bad.key][:3] + key if src[bad.key] else key
                key = src[bad.key]
                src[column] = values[int(self.rng.integers(0, len(values)))]
            rows.append((src, key, reason))
        positions = np.sort(self.rng.choice(n + k, size=k, replace=False))
        is_bad = np.zeros(n + k, dtype=bool)
        is_bad[positions] = True
        good_idx = np.cumsum(~is_bad) - 1
        bad_tbl = pa.Table.from_pylist([r for r, _, _ in rows], schema=text.schema)
        combined = pa.concat_tables([text, bad_tbl])
        take = np.where(is_bad, n + np.cumsum(is_bad) - 1, good_idx)
        for pos, (_, key, reason) in zip(positions.tolist(), rows, strict=True):
            self.bad_rows.append(
                {
                    "system": system,
                    "entity": entity,
                    "source_file": rel,
                    "row_number": pos + 1,
                    "key": key,
                    "reason_class": reason,
                }
            )
        return combined.take(pa.array(take))

    def duplicate(self, src_rel: str, dst_rel: str) -> None:
        dst = self.out / dst_rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_bytes((self.out / src_rel).read_bytes())
        self.counts[dst_rel] = self.counts[src_rel]
        self.deliveries.append(
            {
                "source_file": dst_rel,
                "kind": "duplicate",
                "note": f"identical bytes of {src_rel} re-delivered",
            }
        )
