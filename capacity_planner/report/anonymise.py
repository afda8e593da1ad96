"""Hide clinicians' identities in every output of a plan: CSV, JSON, HTML, Excel, charts and file names.

NHS guidance for team e-job-planning meetings (Appendix 4) asks that individually identifiable information
is not shared without permission. With ``--anonymise`` each clinician becomes a stable pseudonym —
``Clinician A``, ``Clinician B`` … ``Clinician Z``, ``Clinician AA`` … — assigned in sorted order of
``clinician_id``, so the same pack always gives the same pseudonyms.

What is replaced:

* ID columns (``clinician_id`` and any ``*_clinician_id``) are mapped; a name column next to them
  (``name``, ``clinician_name``, ``label``) becomes the pseudonym.
* Free text (gap reasons, explanations, JSON strings, activity names) is scrubbed in one pass: full
  names and name parts of three letters or more (titles such as "Dr" excepted) case-insensitively, IDs as
  whole tokens and case-sensitively. Scrubbing errs on the side of hiding: a surname that is also a word
  ("Ward") is replaced wherever it stands as a word, and a one-letter ID such as ``A`` is replaced
  wherever it stands alone, which can make a sentence read oddly but never leaks.
* :func:`anonymise_pack` gives a pack whose clinicians carry the pseudonyms, so reports built from it
  cannot show a name; unknown columns and warnings (which may quote names) are dropped.

What stays: staff group, contract, PAs and the timetable itself, which the meeting needs. In a small team
these can still point to a person (the only nurse, the only 6-PA consultant); the report says so, and the
chair decides what to share.

Checking (``scan_for_forbidden`` in the test suite, ``tests/forbidden_scan.py``): every file of an output
folder is searched for the IDs and names,
including inside compressed containers: xlsx members are unzipped, PNG text chunks decompressed, images
embedded as base64 data URIs decoded (their letters are not searched as text), HTML/SVG entities decoded.
Text drawn as pixels in a PNG cannot be searched; the charts are therefore also tested
through the label strings given to matplotlib (:func:`capacity_planner.report.charts.figure_texts`) and an
SVG twin with text kept as text. Very short IDs ("A") occur by chance in any file, so a meaningful byte
search needs IDs and names that are unlikely elsewhere (the tests use IDs such as ``C-ames-01``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from capacity_planner._csv import csv_text, read_text_csv
from capacity_planner._files import write_file_atomic
from capacity_planner.pack import model as M
from capacity_planner.plan_summary import PlanSummary

if TYPE_CHECKING:
    from capacity_planner.demand.pipeline import DemandResult
    from capacity_planner.report.tables import PlanOutputs
    from capacity_planner.solver.plan_result import PlanResult

ID_COLUMNS: frozenset[str] = frozenset({"clinician_id", "clinician"})
NAME_COLUMNS: frozenset[str] = frozenset({"name", "clinician_name", "label"})
# Columns holding codes, never free text: left alone so an activity ID equal to a clinician ID survives.
STRUCTURAL_COLUMNS: frozenset[str] = frozenset({
    "activity_id", "activity_before", "activity_after", "day", "period", "category", "staff_group",
    "contract", "kind", "sizing_method", "week_start", "rapid_access", "room_type", "outcome",
    "new_or_follow_up", "priority", "item",
})
TITLES: frozenset[str] = frozenset({"dr", "mr", "mrs", "ms", "miss", "mx", "prof", "professor", "sir",
                                    "dame", "rev", "nurse", "sister"})
TEXT_SUFFIXES: frozenset[str] = frozenset({".txt", ".md", ".log"})
PREFIX = "Clinician"


def letters(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA, 27 -> AB … (bijective base 26, like spreadsheet columns)."""
    if index < 0:
        raise ValueError("index must be >= 0")
    out = ""
    n = index + 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(ord("A") + r) + out
    return out


def _is_id_column(name: str) -> bool:
    return name in ID_COLUMNS or name.endswith("_clinician_id")


@dataclass(frozen=True)
class Pseudonyms:
    """Clinician ID -> pseudonym, and the names to scrub from free text."""

    mapping: Mapping[str, str]
    names: Mapping[str, str] = field(default_factory=dict)  # clinician_id -> name

    @classmethod
    def from_ids(cls, ids: Iterable[str], names: Mapping[str, str] | None = None) -> Pseudonyms:
        """Pseudonyms in sorted order of the IDs."""
        unique = sorted(set(ids))
        return cls({cid: f"{PREFIX} {letters(i)}" for i, cid in enumerate(unique)}, dict(names or {}))

    @classmethod
    def from_pack(cls, pack: M.PlanningPack) -> Pseudonyms:
        """Pseudonyms for every clinician of the pack (active or not)."""
        names = {c.clinician_id: c.name for c in pack.clinicians if c.name and c.name.strip()}
        return cls.from_ids(pack.clinician_ids, names)

    @property
    def values(self) -> frozenset[str]:
        """The pseudonyms."""
        return frozenset(self.mapping.values())

    def map_id(self, clinician_id: str) -> str:
        """The pseudonym of an ID; a pseudonym maps to itself (so anonymising twice is harmless).

        Raises KeyError for an ID the pack does not know: passing it through would leak it."""
        if clinician_id in self.mapping:
            return self.mapping[clinician_id]
        if clinician_id in self.values:
            return clinician_id
        raise KeyError(f"clinician ID not in the pack (cannot be given a pseudonym): {clinician_id!r}")

    def slug(self, clinician_id: str) -> str:
        """File-name form of the pseudonym: ``clinician_a``."""
        return self.map_id(clinician_id).lower().replace(" ", "_")

    def forbidden_terms(self, *, name_parts: bool = True) -> tuple[str, ...]:
        """IDs, full names and (optionally) name parts of three letters or more, longest first."""
        terms = set(self.mapping) | {n.strip() for n in self.names.values()}
        if name_parts:
            terms |= set(self._name_parts())
        return tuple(sorted((t for t in terms if t), key=lambda t: (-len(t), t)))

    def _name_parts(self) -> Iterator[str]:
        for name in self.names.values():
            for part in re.split(r"[^\w'-]+", name):
                part = part.strip("'-")
                if len(part) >= 3 and part.casefold() not in TITLES:
                    yield part

    # ---- free text ------------------------------------------------------------------------------
    @cached_property
    def _pattern(self) -> tuple[re.Pattern[str], dict[str, str]]:
        repl: dict[str, str] = {}
        alts: list[tuple[str, str]] = []
        for pseudo in self.values:  # already anonymised text stays as it is
            repl[pseudo] = pseudo
            alts.append((pseudo, r"(?<![\w-])" + re.escape(pseudo) + r"(?![\w-])"))
        for cid, name in self.names.items():
            words = name.split()
            untitled = " ".join(w for w in words if w.strip(".").casefold() not in TITLES)
            for full in dict.fromkeys((name.strip(), untitled)):
                if full and full.casefold() not in repl:
                    repl[full.casefold()] = self.mapping[cid]
                    alts.append((full, "(?i:" + re.escape(full) + ")"))
        for cid, name in self.names.items():
            for part in re.split(r"[^\w'-]+", name):
                part = part.strip("'-")
                if len(part) >= 3 and part.casefold() not in TITLES and part.casefold() not in repl:
                    repl[part.casefold()] = self.mapping[cid]
                    alts.append((part, r"(?i:(?<![\w-])" + re.escape(part) + r"(?![\w-]))"))
        for cid, pseudo in self.mapping.items():
            repl.setdefault(cid, pseudo)
            repl[cid] = pseudo  # IDs are case-sensitive and win over a name part spelt the same
            alts.append((cid, r"(?<![\w-])" + re.escape(cid) + r"(?![\w-])"))
        alts.sort(key=lambda a: -len(a[0]))
        if not alts:
            return re.compile(r"(?!x)x"), repl
        return re.compile("|".join(a for _, a in alts)), repl

    def scrub_text(self, text: str) -> str:
        """Replace names, name parts and IDs in free text by pseudonyms (one pass, longest first)."""
        if not text:
            return text
        pattern, repl = self._pattern

        def sub(m: re.Match[str]) -> str:
            s = m.group(0)
            return repl.get(s, repl.get(s.casefold(), f"{PREFIX} ?"))

        return pattern.sub(sub, text)


# ---- tables ---------------------------------------------------------------------------------------
def _map_series(s: pd.Series, fn: Any) -> pd.Series:
    return s.map(lambda v: fn(v) if isinstance(v, str) and v != "" else v)


def anonymise_frame(frame: pd.DataFrame, pseudonyms: Pseudonyms) -> pd.DataFrame:
    """A copy of ``frame`` with clinician IDs and names replaced and free text scrubbed."""
    out = frame.copy()
    id_cols = [c for c in out.columns if _is_id_column(str(c))]
    for col in id_cols:
        out[col] = _map_series(out[col], pseudonyms.map_id)
    for col in out.columns:
        name = str(col)
        if col in id_cols or name in STRUCTURAL_COLUMNS:
            continue
        if name in NAME_COLUMNS and "clinician_id" in out.columns:
            out[col] = out["clinician_id"]
        elif out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = _map_series(out[col], pseudonyms.scrub_text)
    out.columns = [pseudonyms.scrub_text(str(c)) for c in out.columns]
    return out


def anonymise_tables(tables: Mapping[str, pd.DataFrame], pseudonyms: Pseudonyms) -> dict[str, pd.DataFrame]:
    """Apply :func:`anonymise_frame` to every table (keys are scrubbed too)."""
    return {pseudonyms.scrub_text(k): anonymise_frame(v, pseudonyms) for k, v in tables.items()}


def anonymise_outputs(outputs: PlanOutputs, pseudonyms: Pseudonyms) -> PlanOutputs:
    """The plan tables and summary of ``outputs`` anonymised in memory (numbers untouched)."""
    def frame(f: pd.DataFrame | None) -> pd.DataFrame | None:
        return None if f is None else anonymise_frame(f, pseudonyms)

    return replace(
        outputs, allocation=anonymise_frame(outputs.allocation, pseudonyms),
        gaps=anonymise_frame(outputs.gaps, pseudonyms),
        clinicians=anonymise_frame(outputs.clinicians, pseudonyms),
        changes=anonymise_frame(outputs.changes, pseudonyms),
        summary=anonymise_summary(outputs.summary, pseudonyms),
        gap_reasons=frame(outputs.gap_reasons), weekly_demand=frame(outputs.weekly_demand))


def anonymise_summary(summary: PlanSummary, pseudonyms: Pseudonyms) -> PlanSummary:
    """summary.json's record with every string scrubbed (:func:`anonymise_json`)."""
    return PlanSummary.from_dict(anonymise_json(summary.to_dict(), pseudonyms))


def anonymise_plan(plan: PlanResult, pseudonyms: Pseudonyms) -> PlanResult:
    """A copy of ``plan`` whose written parts (its four tables, gap reasons and summary) carry pseudonyms,
    numbers untouched: what ``plan --anonymise`` writes. The solver's own records (``problem``,
    ``result``) are left as they are and must not be written."""
    return replace(plan, tables={k: anonymise_frame(v, pseudonyms) for k, v in plan.tables.items()},
                   gap_reasons=anonymise_frame(plan.gap_reasons, pseudonyms),
                   summary=anonymise_summary(plan.summary, pseudonyms))


def anonymise_demand(demand: DemandResult, pseudonyms: Pseudonyms) -> DemandResult:
    """A copy of a demand sizing whose requirements and weekly tables have free text scrubbed (activity
    and service names may hold a clinician's name)."""
    from capacity_planner.demand.requirements import Requirements

    return replace(demand, requirements=Requirements(anonymise_frame(demand.requirements.table, pseudonyms)),
                   weekly=anonymise_frame(demand.weekly, pseudonyms))


def anonymise_json(value: Any, pseudonyms: Pseudonyms, key: str = "") -> Any:
    """Scrub every string (keys too) of a JSON-like value; ``clinician_id`` values are mapped."""
    if isinstance(value, Mapping):
        return {pseudonyms.scrub_text(str(k)): anonymise_json(v, pseudonyms, str(k))
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [anonymise_json(v, pseudonyms, key) for v in value]
    if isinstance(value, str):
        return pseudonyms.map_id(value) if _is_id_column(key) and value else pseudonyms.scrub_text(value)
    return value


def anonymise_plan_dir(plan_dir: str | Path, pseudonyms: Pseudonyms) -> list[Path]:
    """Rewrite the CSV, JSON and text files of a plan folder with pseudonyms, in place.

    Text columns are read and written verbatim (numbers keep their exact text); files whose names hold a
    name or ID are renamed. Returns the files rewritten.
    """
    folder = Path(plan_dir)
    written: list[Path] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".tmp-")):
        suffix = path.suffix.lower()
        if suffix == ".csv":
            frame = read_text_csv(path)
            data = csv_text(anonymise_frame(frame, pseudonyms)).encode("utf-8")
        elif suffix == ".json":
            value = json.loads(path.read_text(encoding="utf-8"))
            text = json.dumps(anonymise_json(value, pseudonyms), indent=2, ensure_ascii=False)
            data = (text + "\n").encode("utf-8")
        elif suffix in TEXT_SUFFIXES:
            data = pseudonyms.scrub_text(path.read_text(encoding="utf-8", errors="replace")).encode("utf-8")
        else:
            continue
        target = path.with_name(pseudonyms.scrub_text(path.name))
        write_file_atomic(target, data)
        if target != path:
            path.unlink()
        written.append(target)
    return written


def anonymise_pack(pack: M.PlanningPack, pseudonyms: Pseudonyms) -> M.PlanningPack:
    """The pack with clinicians' IDs and names replaced by pseudonyms everywhere a report could read them.

    History tables keep their rows with ``clinician_id`` mapped (IDs the pack does not know become
    ``Clinician ?``); unknown columns, warnings and the source path are dropped; activity and plan names
    are scrubbed."""
    m = pseudonyms.map_id
    scrub = pseudonyms.scrub_text

    def hist(frame: pd.DataFrame) -> pd.DataFrame:
        if "clinician_id" not in frame.columns:
            return frame
        out = frame.copy()
        known = {**pseudonyms.mapping, **{v: v for v in pseudonyms.values}}
        out["clinician_id"] = out["clinician_id"].map(
            lambda v: known.get(v, f"{PREFIX} ?") if isinstance(v, str) else v)
        return out

    def key(table: str, k: str) -> str:
        return "|".join(pseudonyms.mapping.get(p, p) if table != "activities" else p for p in k.split("|"))

    clinicians = tuple(replace(c, clinician_id=m(c.clinician_id), name=m(c.clinician_id))
                       for c in pack.clinicians)
    return pack.replace(
        settings=replace(pack.settings, name=scrub(pack.settings.name)),
        activities=tuple(replace(a, name=scrub(a.name) if a.name else a.name,
                                 service=scrub(a.service) if a.service else a.service)
                         for a in pack.activities),
        clinicians=clinicians,
        skills=tuple(replace(s, clinician_id=m(s.clinician_id)) for s in pack.skills),
        availability=tuple(replace(a, clinician_id=m(a.clinician_id)) for a in pack.availability),
        job_plans=tuple(replace(j, clinician_id=m(j.clinician_id)) for j in pack.job_plans),
        appointments=hist(pack.appointments),
        delivered=hist(pack.delivered),
        defaults_applied=tuple(replace(d, key=key(d.table, d.key), reason=scrub(d.reason))
                               for d in pack.defaults_applied),
        extra_columns={},
        warnings=(),
        source=M.PackSource("", pack.source.format, dict(pack.source.file_hashes)),
    )
