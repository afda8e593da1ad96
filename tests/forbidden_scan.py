"""Search an output folder for forbidden terms (clinicians' IDs and names), for the anonymisation tests.

Every file is searched, including inside compressed containers: xlsx members are unzipped, PNG text chunks
decompressed, images embedded as base64 data URIs decoded (their letters are not searched as text),
HTML/SVG entities decoded. Text drawn as pixels in a PNG cannot be searched (the chart tests use
:func:`capacity_planner.report.charts.figure_texts` for that). Moved here from
``capacity_planner/report/anonymise.py``: only the tests use it.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

__all__ = ["Finding", "scan_for_forbidden"]


@dataclass(frozen=True)
class Finding:
    """A forbidden term found in a file (``where``: ``name``, ``content`` or a container member)."""

    path: Path
    where: str
    term: str

    def __str__(self) -> str:
        return f"{self.path} [{self.where}]: {self.term!r}"


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_DATA_URI = re.compile(r"data:[\w/+.-]+;base64,([A-Za-z0-9+/=\s]+)")


def _png_text(data: bytes) -> str:
    """Decoded text of a PNG's tEXt, zTXt and iTXt chunks (pixels are not text)."""
    out: list[str] = []
    pos = len(_PNG_SIGNATURE)
    while pos + 8 <= len(data):
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if ctype == b"tEXt":
            out.append(body.decode("latin-1"))
        elif ctype == b"zTXt":
            k, _, rest = body.partition(b"\0")
            out.append(k.decode("latin-1") + " " + zlib.decompress(rest[1:]).decode("latin-1"))
        elif ctype == b"iTXt":
            k, _, rest = body.partition(b"\0")
            compressed = rest[:1] == b"\1"
            _, _, rest = rest[2:].partition(b"\0")  # language tag
            _, _, text = rest.partition(b"\0")  # translated keyword
            raw = zlib.decompress(text) if compressed else text
            out.append(k.decode("latin-1") + " " + raw.decode("utf-8", "replace"))
    return "\n".join(out)


def _texts(path: Path, data: bytes) -> Iterator[tuple[str, str]]:
    """(where, text) pairs to search in one file's bytes."""
    if data.startswith(_PNG_SIGNATURE):
        yield "png text chunks", _png_text(data)
        return
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(path) as z:
                for info in z.infolist():
                    yield f"member {info.filename} (name)", info.filename
                    member = z.read(info)
                    for where, text in _texts(path, member):
                        yield f"member {info.filename} {where}", text
            return
        except zipfile.BadZipFile:
            pass
    text = data.decode("utf-8", errors="replace")
    if "base64," in text:  # embedded images: search their decoded content, not the base64 letters
        for k, m in enumerate(_DATA_URI.finditer(text)):
            try:
                payload = base64.b64decode(m.group(1), validate=False)
            except (ValueError, binascii.Error):
                continue
            for where, inner in _texts(path, payload):
                yield f"data URI {k + 1} {where}", inner
        text = _DATA_URI.sub("data:", text)
    yield "content", text
    if "&" in text:
        yield "content (entities decoded)", html.unescape(text)


def scan_for_forbidden(folder: str | Path, terms: Iterable[str], *,
                       whole_words: bool = False) -> list[Finding]:
    """Every occurrence of ``terms`` (case-insensitive) in the file names and contents under ``folder``,
    looking inside xlsx/zip members, PNG text chunks and HTML/XML entities.

    ``whole_words`` matches a term only where it is not part of a longer alphanumeric word (use it for
    name parts such as surnames, which are substrings of ordinary words)."""
    root = Path(folder)
    wanted = [t for t in dict.fromkeys(terms) if t]
    if whole_words:
        patterns = [(t, re.compile(r"(?<![0-9a-z])" + re.escape(t.casefold()) + r"(?![0-9a-z])"))
                    for t in wanted]
    else:
        patterns = [(t, re.compile(re.escape(t.casefold()))) for t in wanted]
    findings: list[Finding] = []
    for path in sorted(p for p in root.rglob("*")):
        rel = str(path.relative_to(root)).casefold()
        findings += [Finding(path, "name", t) for t, p in patterns if p.search(rel)]
        if not path.is_file():
            continue
        for where, text in _texts(path, path.read_bytes()):
            folded = text.casefold()
            findings += [Finding(path, where, t) for t, p in patterns if p.search(folded)]
    return findings
