"""`readers.scan_text_file` decides a file's encoding by strict UTF-8 decoding of the WHOLE file,
chunk by chunk; ASCII chunks skip the decode. Property: whatever the bytes and wherever the chunk
boundaries fall (inside a multi-byte character, just before an ASCII chunk), the verdict is the
one `bytes.decode("utf-8")` of the whole file gives."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingestion import readers

_pieces = st.lists(
    st.one_of(
        st.text(alphabet='ab,\n"', max_size=6).map(str.encode),
        st.text(alphabet="日本語ｶﾅé①", max_size=3).map(str.encode),
        st.text(alphabet="日本語ｶﾅ", max_size=3).map(lambda t: t.encode("cp932")),
        st.binary(max_size=3),
    ),
    min_size=1,
    max_size=8,
)


def _verdict(path: Path) -> str:
    try:
        return readers.scan_text_file(path, "csv", None, path.parent).encoding
    except readers.UnreadableFile:
        return "unreadable"


@settings(max_examples=300, deadline=None)
@given(pieces=_pieces, chunk=st.integers(min_value=1, max_value=7))
def test_encoding_verdict_is_the_whole_file_strict_decode(pieces, chunk):
    data = b"".join(pieces)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.csv"
        path.write_bytes(data)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(readers, "CHUNK", chunk)
            got = _verdict(path)
    try:
        data.decode("utf-8")
        utf8 = True
    except UnicodeDecodeError:
        utf8 = False
    if not data:
        assert got == "unreadable"
    elif utf8:
        assert got == ("utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8")
    else:
        assert got in ("cp932", "unreadable")


@pytest.mark.parametrize(
    "data, expected",
    [
        (b"ab\xe6\x97\xa5cd", "utf-8"),  # chunks: b"ab\xe6", b"\x97\xa5c", b"d" (split character)
        (b"abc\xe6defg", "cp932"),  # a partial sequence, then ASCII in its chunk: not UTF-8
        # chunks b"ab\xe6", b"def", b"\x97\xa5g": the ASCII chunk breaks the pending character
        # even though the next chunk would complete it
        (b"ab\xe6def\x97\xa5g", "cp932"),
        (b"abcdef\xe6", "unreadable"),  # a partial sequence at the end (not CP932 either)
    ],
)
def test_ascii_chunk_after_a_partial_character(tmp_path, monkeypatch, data, expected):
    monkeypatch.setattr(readers, "CHUNK", 3)
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    assert _verdict(path) == expected
