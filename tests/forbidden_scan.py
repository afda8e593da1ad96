"""Search an output folder for forbidden terms (clinicians' IDs and names), for the anonymisation tests.

Every file is searched, including inside compressed containers: xlsx members are unzipped, PNG text chunks
read by Pillow, images embedded as base64 data URIs decoded (their letters are not searched as text),
HTML/SVG entities decoded. Text drawn as pixels in a PNG cannot be searched (the chart tests use
:func:`capacity_planner.report.charts.figure_texts` for that). Moved here from
``capacity_planner/report/anonymise.py``: only the tests use it.
"""

from __future__ import annotations

import base64
import binascii
import html
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

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
    """Keywords and text of a PNG's tEXt, zTXt and iTXt chunks (pixels are not text), read by Pillow."""
    with Image.open(io.BytesIO(data)) as image:
        image.load()  # text chunks after the image data are read with it
        chunks = dict(getattr(image, "text", {}))
    return "\n".join(f"{key} {value}" for key, value in chunks.items())


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
