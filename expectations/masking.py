"""Personal data in data-quality output: masking of samples and detection of raw PII.

Owns the one definition of "looks like an e-mail / phone / person-name column" used by the
failing-row samples (masked before they reach audit.dq_results or the report) and by the
publication privacy gate (a KPI mart must never carry raw personal data to BI).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

EMAIL_RE = r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+"
# Phone numbers as Japanese and international exports write them: separated groups
# (03-1234-5678, 090 1234 5678, +81-3-1234-5678, (03)1234-5678) or 10-11 digits starting with 0.
# A date (2025-04-01) or a 13-digit corporate number does not match.
PHONE_RE = (
    r"(\+?[0-9]{1,4}[-\s.]?)?(\([0-9]{1,5}\)\s?|[0-9]{1,5}[-\s.])[0-9]{2,4}[-\s.][0-9]{3,4}|0[0-9]{9,10}"
)

_EMAIL = re.compile(rf"^\s*{EMAIL_RE}\s*$")
_EMAIL_ANYWHERE = re.compile(EMAIL_RE)
_PHONE = re.compile(rf"^\s*({PHONE_RE})\s*$")
_PHONE_ANYWHERE = re.compile(rf"(?<![0-9A-Za-z])({PHONE_RE})(?![0-9A-Za-z])")

# Column names that hold personal data. `name` alone is a person (SFA User.Name) but
# `campaign_name` / `company_name` are business attributes a KPI may slice by.
_PII_COLUMN = re.compile(
    r"(^|_)(e_?mail|mail_address|phone|mobile|tel|fax)(_|$)"
    r"|^(first_name|last_name|full_name|person_name|contact_name|lead_name|given_name|family_name|name)$",
    re.IGNORECASE,
)
_NAME_COLUMN = re.compile(
    r"(^|_)(first|last|full|person|contact|lead|given|family|user)?_?name$", re.IGNORECASE
)
_BUSINESS_NAME = re.compile(
    r"(company|account|campaign|opportunity|asset|stage|table|check)_name$", re.IGNORECASE
)


def is_pii_column(column: str) -> bool:
    """True for column names that carry personal data (email, phone, first/last name, name)."""
    return bool(_PII_COLUMN.search(column))


def looks_like_email(value: object) -> bool:
    return isinstance(value, str) and bool(_EMAIL.match(value))


def looks_like_phone(value: object) -> bool:
    return isinstance(value, str) and bool(_PHONE.match(value))


def mask_email(value: str) -> str:
    """`taro.yamada@example.co.jp` -> `t***@e***.jp`: enough to tell rows apart, not a person."""
    local, _, domain = value.strip().partition("@")
    tld = domain.rsplit(".", 1)[-1] if "." in domain else ""
    return f"{local[:1]}***@{domain[:1]}***.{tld}" if tld else f"{local[:1]}***@{domain[:1]}***"


def mask_phone(value: str) -> str:
    """Keep only the last two digits: `03-1234-5678` -> `***-**78`."""
    digits = re.sub(r"\D", "", value)
    return "***-**" + digits[-2:]


def mask_name(value: str) -> str:
    """`山田` -> `山***`, `Taro` -> `T***`."""
    value = value.strip()
    return (value[:1] + "***") if value else value


def _is_name_column(column: str) -> bool:
    return bool(_NAME_COLUMN.search(column)) and not _BUSINESS_NAME.search(column)


def mask_value(column: str, value: Any) -> Any:
    """Mask one sample value by its column name and by its content; make it JSON-safe."""
    value = json_safe(value)
    if not isinstance(value, str):
        if value is not None and is_pii_column(column):
            return "***"
        return value
    if looks_like_email(value) or re.search(r"(^|_)e_?mail", column, re.IGNORECASE):
        return mask_email(value) if "@" in value else mask_name(value)
    if looks_like_phone(value) or re.search(r"(^|_)(phone|mobile|tel|fax)(_|$)", column, re.IGNORECASE):
        return mask_phone(value)
    if _is_name_column(column):
        return mask_name(value)
    # E-mails and phone numbers inside free text (a subject, a JSON blob of extra columns) are
    # masked in place.
    value = _EMAIL_ANYWHERE.sub(lambda m: mask_email(m.group(0)), value)
    return _PHONE_ANYWHERE.sub(lambda m: mask_phone(m.group(0)), value)


def mask_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k): mask_value(str(k), v) for k, v in row.items()}


def json_safe(value: Any) -> Any:
    """Plain JSON types only (timestamps as ISO text, NaN/NaT as None, decimals as float)."""
    if value is None:
        return None
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    try:  # pandas NaT / NA and numpy scalars, without importing pandas here
        if value != value:  # noqa: PLR0124 - NaN-like
            return None
    except (TypeError, ValueError):
        return None
    if hasattr(value, "item"):
        return json_safe(value.item())
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
