"""Parsing of extract text values into contract types, as DuckDB SQL expressions.

Owns the accepted spellings of every contract type (docs: ingestion/contracts.yaml header and
../shared/docs/EXTRACTS.md) and how a value that does not parse is recognised, so the loader can
send the row to quarantine instead of storing a silently wrong value. Each parser is a whitelist
(regex, then a cast): DuckDB's own casts are too lenient for an audit trail (`'12.5'::integer` is
13, `'1e3'::integer` is 1000, a timestamp cast drops an offset it does not understand).

Accepted spellings (empty or blank text is NULL for every type):
- timestamp: `YYYY-MM-DD` or `YYYY/MM/DD`, optionally `T` or space + `H:MM[:SS[.fraction]]`, then
  optionally an offset `Z`, `+09`, `+0900` or `+09:00`. Without an offset the value is local time of
  the contract's `timezone_without_offset` (Asia/Tokyo). Stored as naive UTC. A date alone is
  midnight local time.
- date: `YYYY-MM-DD` or `YYYY/MM/DD` (one- or two-digit month and day).
- boolean: `true`/`false`/`1`/`0`, any letter case.
- integer/bigint: optional sign, digits, optionally grouped with thousands commas (`1,200,000`,
  Japanese Excel exports do this) and an all-zero fraction (`12.0`, written by tools that store
  integers as floats). `12.5` is bad, never rounded.
- decimal (18, 2): as integer, with at most two significant fraction digits (`1.50000` is fine,
  `1.005` is bad: money is never rounded silently).
- double: as decimal with any fraction and an optional exponent; `nan`/`inf` are bad.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

# Characters treated as blank around a value: ASCII whitespace and the ideographic space that
# Japanese spreadsheets leave in "empty" cells.
_BLANKS = " \t\r\n\u3000"

_INT_RE = r"[+-]?(\d+|\d{1,3}(,\d{3})+)(\.0+)?"
_DEC_RE = r"[+-]?(\d+|\d{1,3}(,\d{3})+)(\.\d{0,2}0*)?"
_DOUBLE_RE = r"[+-]?((\d+|\d{1,3}(,\d{3})+)(\.\d*)?|\.\d+)([eE][+-]?\d+)?"
_DATE_PART = r"\d{4}[-/]\d{1,2}[-/]\d{1,2}"
_TIME_PART = r"[T ]\d{1,2}:\d{2}(:\d{2}(\.\d{1,9})?)?"
_NAIVE_TS_RE = _DATE_PART + "(" + _TIME_PART + ")?"
_OFFSET_TS_RE = _DATE_PART + _TIME_PART + r"(Z|[+-]\d{2}(:?\d{2})?)"
_DATE_FORMATS = "['%Y-%m-%d', '%Y/%m/%d']"
_FIXED_YEARS = range(1970, 2100)


def sql_literal(text: str) -> str:
    """A SQL string literal (single quotes doubled)."""
    return "'" + text.replace("'", "''") + "'"


def _blanks_sql() -> str:
    return sql_literal(_BLANKS)


def trim_sql(expr: str) -> str:
    return f"trim({expr}, {_blanks_sql()})"


def is_blank_sql(expr: str) -> str:
    """True when a non-NULL text is empty after trimming (cheap to call only on suspects)."""
    return f"{trim_sql(expr)} = ''"


def varchar_sql(expr: str) -> str:
    """Text columns keep their original spelling (no trimming); only blank becomes NULL.

    trim() costs as much as the CSV scan itself, so it only runs on values that start with a
    blank character (CASE evaluates its branches lazily).
    """
    # Blank characters are all <= 32 or U+3000; comparisons, not IN (...), because binding an
    # IN list per column costs milliseconds in every load statement.
    return (
        f"(case when ascii({expr}) > 32 and ascii({expr}) != 12288 then {expr} "
        f"when {is_blank_sql(expr)} then null else {expr} end)"
    )


def clean_sql(expr: str) -> str:
    """Trimmed text, NULL when blank: the input of every typed parser.

    The trim only runs (lazily, in a CASE branch) when the first or last character may be blank.
    """
    first, last = f"ascii({expr})", f"ascii(right({expr}, 1))"
    return (
        f"(case when {first} > 32 and {first} != 12288 and {last} > 32 and {last} != 12288 then {expr} "
        f"else nullif({trim_sql(expr)}, '') end)"
    )


def typed_sql(expr: str, contract_type: str, timezone: str) -> str:
    """The typed value of a raw text: NULL when blank or bad (the loader splits the two steps)."""
    if contract_type == "varchar":
        return varchar_sql(expr)
    return parse_sql(clean_sql(expr), contract_type, timezone)


@lru_cache(maxsize=8)
def fixed_offset_seconds(timezone: str) -> int | None:
    """The zone's UTC offset if it is the same all over 1970-2099 (Asia/Tokyo: +9 h), else None.

    Lets the loader convert local times with plain arithmetic instead of an ICU call per value;
    times outside that window (and zones with DST) still go through ICU.
    """
    zone = ZoneInfo(timezone)
    offsets = {
        datetime(year, month, 1, 12, tzinfo=zone).utcoffset()
        for year in _FIXED_YEARS
        for month in (1, 4, 7, 10)
    }
    if len(offsets) != 1:
        return None
    return int(offsets.pop().total_seconds())


def _local_to_utc_sql(ts: str, timezone: str) -> str:
    icu = f"timezone('UTC', timezone({sql_literal(timezone)}, {ts}))"
    offset = fixed_offset_seconds(timezone)
    if offset is None:
        return icu
    lo, hi = _FIXED_YEARS.start, _FIXED_YEARS.stop
    return (
        f"(case when {ts} >= timestamp '{lo}-01-01' and {ts} < timestamp '{hi}-01-01' "
        f"then {ts} - to_seconds({offset}) else {icu} end)"
    )


def parse_sql(text: str, contract_type: str, timezone: str) -> str:
    """SQL for the typed value of `text` (already cleaned): NULL when the text does not parse.

    `text` must be a column reference or another cheap expression: it is repeated.
    """
    if contract_type == "varchar":
        return text
    if contract_type in ("integer", "bigint"):
        return (
            f"(case when regexp_full_match({text}, '{_INT_RE}') then try_cast("
            f"regexp_replace(replace({text}, ',', ''), '\\.0+$', '') as {contract_type}) end)"
        )
    if contract_type == "decimal":
        return (
            f"(case when regexp_full_match({text}, '{_DEC_RE}') then "
            f"try_cast(replace({text}, ',', '') as decimal(18, 2)) end)"
        )
    if contract_type == "double":
        return (
            f"(case when regexp_full_match({text}, '{_DOUBLE_RE}') then "
            f"try_cast(replace({text}, ',', '') as double) end)"
        )
    if contract_type == "boolean":
        return (
            f"(case when lower({text}) in ('true', '1') then true "
            f"when lower({text}) in ('false', '0') then false end)"
        )
    if contract_type == "date":
        return f"cast(try_strptime({text}, {_DATE_FORMATS}) as date)"
    if contract_type == "timestamp":
        local = f"try_cast(replace({text}, '/', '-') as timestamp)"
        return (
            f"(case when regexp_full_match({text}, '{_NAIVE_TS_RE}') then {_local_to_utc_sql(local, timezone)} "
            f"when regexp_full_match({text}, '{_OFFSET_TS_RE}') "
            f"then timezone('UTC', try_cast({text} as timestamptz)) end)"
        )
    raise ValueError(f"unknown contract type {contract_type!r}")
