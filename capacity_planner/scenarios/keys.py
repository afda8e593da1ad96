"""Reading the keys of a ``[[scenario]]`` table into transform records, collecting every problem.

Each problem names the scenario (in ``source``), the key as a dotted path (``column``, e.g.
``dna_rate.points`` or ``locum.fu``) and the value as written (``value``). What each key means is in
:mod:`capacity_planner.scenarios.spec` and the example file ``data/samples/scenarios.toml``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from capacity_planner import constants as C
from capacity_planner.errors import Problem
from capacity_planner.scenarios.spec import (
    KEYS,
    MODES,
    NAME_PATTERN,
    ORDER,
    RESERVED_NAMES,
    SIZING_FIELDS,
    AddActivity,
    AddClinician,
    AllowAdditionalPas,
    BuySessions,
    CapExtraCost,
    ChangeActivityField,
    CloseActivities,
    ExtraRooms,
    LockCells,
    RemoveClinicians,
    Scenario,
    SetContractedPas,
    SetGrowth,
    Transform,
)


class Reader:
    """Collects problems while converting one scenario table into transform records."""

    def __init__(self, source: str, scenario: str, problems: list[Problem]):
        self.source = f"{source}, scenario {scenario!r}"
        self.problems = problems

    def bad(self, key: str, value: Any, message: str) -> None:
        self.problems.append(Problem(self.source, message, column=key, value=_show(value)))

    def number(self, key: str, value: Any, *, lo: float | None = None, hi: float | None = None,
               lo_open: bool = False, hi_open: bool = False, integer: bool = False) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            self.bad(key, value, "expected a whole number" if integer else "expected a number")
            return None
        if integer and value != int(value):
            self.bad(key, value, "expected a whole number")
            return None
        if (lo is not None and (value < lo or (lo_open and value == lo))) or \
                (hi is not None and (value > hi or (hi_open and value == hi))):
            self.bad(key, value, f"expected a number {_range(lo, hi, lo_open, hi_open)}")
            return None
        return float(value)

    def text(self, key: str, value: Any, choices: Sequence[str] = ()) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.bad(key, value, "expected text")
            return None
        if choices and value not in choices:
            self.bad(key, value, f"expected one of {', '.join(choices)}")
            return None
        return value.strip()

    def flag(self, key: str, value: Any) -> bool | None:
        if not isinstance(value, bool):
            self.bad(key, value, "expected true or false")
            return None
        return value

    def texts(self, key: str, value: Any, choices: Sequence[str] = ()) -> tuple[str, ...] | None:
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.bad(key, value, "expected a list of text values, e.g. [\"2ww\", \"fu\"]")
            return None
        bad = [v for v in value if choices and v not in choices]
        if bad:
            self.bad(key, value, f"{', '.join(map(repr, bad))} not one of {', '.join(choices)}")
            return None
        return tuple(v.strip() for v in value)

    def table(self, key: str, value: Any) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.bad(key, value, "expected a table, e.g. { key = value }")
            return None
        return value

    def unknown(self, key: str, table: Mapping[str, Any], allowed: Sequence[str]) -> None:
        for k in table:
            if k not in allowed:
                self.bad(f"{key}.{k}" if key else k, table[k],
                         f"unknown key; expected one of {', '.join(sorted(allowed))}")


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return json.dumps(value, default=str) if isinstance(value, list | dict) else str(value)


def _range(lo: float | None, hi: float | None, lo_open: bool, hi_open: bool) -> str:
    if lo is not None and hi is not None:
        return f"{'>' if lo_open else '>='} {lo:g} and {'<' if hi_open else '<='} {hi:g}"
    if lo is not None:
        return f"{'>' if lo_open else '>='} {lo:g}"
    return f"{'<' if hi_open else '<='} {hi:g}" if hi is not None else ""


# Limits of the value a sizing field may be set to.
_FIELD_LIMITS: dict[str, tuple[float, float | None, bool, bool]] = {
    "dna_rate": (0.0, 1.0, False, True),
    "percentile": (0.0, 1.0, True, True),
    "patients_per_session": (0.0, None, True, False),
    "follow_up_ratio": (0.0, None, False, False),
}


def _sizing_field(r: Reader, key: str, value: Any) -> ChangeActivityField | None:
    if not isinstance(value, dict):  # a bare number sets the value
        lo, hi, lo_open, hi_open = _FIELD_LIMITS[key]
        v = r.number(key, value, lo=lo, hi=hi, lo_open=lo_open, hi_open=hi_open)
        return None if v is None else ChangeActivityField(key, "set", v)
    r.unknown(key, value, (*MODES, "activities"))
    modes = [m for m in MODES if m in value]
    if len(modes) != 1:
        r.bad(key, value, "give exactly one of set (new value), points (absolute change) or relative "
                          "(change as a share of the value, e.g. -0.25)")
        return None
    mode = modes[0]
    if mode == "set":
        lo, hi, lo_open, hi_open = _FIELD_LIMITS[key]
        v = r.number(f"{key}.set", value["set"], lo=lo, hi=hi, lo_open=lo_open, hi_open=hi_open)
    elif mode == "relative":
        v = r.number(f"{key}.relative", value["relative"], lo=-1.0, lo_open=True)
    else:
        v = r.number(f"{key}.points", value["points"])
    acts = r.texts(f"{key}.activities", value["activities"]) if "activities" in value else None
    if v is None or ("activities" in value and acts is None):
        return None
    return ChangeActivityField(key, mode, v, acts)


_ADD_CLINICIAN_KEYS = ("clinician_id", "name", "staff_group", "contract", "pas", "max_pas", "min_spa_pas",
                       "working_weeks", "session_hours", "skills", "like", "count", "annual_cost",
                       "out_of_hours_opt_in")


def _add_clinician(r: Reader, key: str, value: Any) -> AddClinician | None:
    t = r.table(key, value)
    if t is None:
        return None
    r.unknown(key, t, _ADD_CLINICIAN_KEYS)
    ok = True
    group = r.text(f"{key}.staff_group", t.get("staff_group"), C.STAFF_GROUPS)
    kwargs: dict[str, Any] = {}
    for k, target, lo, lo_open in (("pas", "contracted_pas", 0.0, True), ("max_pas", "max_pas", 0.0, True),
                                   ("min_spa_pas", "min_spa_pas", 0.0, False),
                                   ("working_weeks", "working_weeks", 0.0, True),
                                   ("session_hours", "session_hours", 0.0, True),
                                   ("annual_cost", "annual_cost", 0.0, False)):
        if k in t:
            hi = 52.0 if k == "working_weeks" else None
            v = r.number(f"{key}.{k}", t[k], lo=lo, lo_open=lo_open, hi=hi)
            ok &= v is not None
            kwargs[target] = v
    if "count" in t:
        n = r.number(f"{key}.count", t["count"], lo=1, hi=100, integer=True)
        ok &= n is not None
        kwargs["count"] = int(n or 1)
    for k, target in (("clinician_id", "clinician_id"), ("name", "name"), ("like", "like")):
        if k in t:
            s = r.text(f"{key}.{k}", t[k])
            ok &= s is not None
            kwargs[target] = s
    if "contract" in t:
        s = r.text(f"{key}.contract", t["contract"], C.CONTRACTS)
        ok &= s is not None
        kwargs["contract"] = s
    if "skills" in t:
        s2 = r.texts(f"{key}.skills", t["skills"])
        ok &= s2 is not None
        kwargs["skills"] = s2
    if "out_of_hours_opt_in" in t:
        b = r.flag(f"{key}.out_of_hours_opt_in", t["out_of_hours_opt_in"])
        ok &= b is not None
        kwargs["out_of_hours_opt_in"] = bool(b)
    if "skills" in t and "like" in t:
        r.bad(f"{key}.like", t["like"], "give skills or like, not both")
        ok = False
    if group is None or not ok:
        return None
    return AddClinician(staff_group=group, **kwargs)


def _slot_cells(r: Reader, key: str, value: Any) -> LockCells | None:
    locked = key == "lock"
    if value == "all":
        return LockCells(locked, None)
    t = r.table(key, value)
    if t is None:
        return None
    cells: list[tuple[str, str | None, str | None]] = []
    ok = True
    for cid, spec in t.items():
        if spec == "all":
            cells.append((cid, None, None))
            continue
        items = r.texts(f"{key}.{cid}", spec)
        if items is None:
            ok = False
            continue
        for item in items:
            day, _, period = item.partition("-")
            if day not in C.DAYS or period not in C.PERIODS:
                r.bad(f"{key}.{cid}", item, "expected \"all\" or slots such as \"Mon-AM\", \"Tue-PM\", "
                                            "\"Wed-EVE\"")
                ok = False
            else:
                cells.append((cid, day, period))
    return LockCells(locked, tuple(cells)) if ok else None


def _buy(r: Reader, key: str, value: Any) -> list[BuySessions] | None:
    t = r.table(key, value)
    if t is None:
        return None
    out = []
    ok = True
    for aid, spec in t.items():
        k = f"{key}.{aid}"
        cost = None
        if isinstance(spec, dict):
            r.unknown(k, spec, ("sessions", "cost_per_session"))
            n = r.number(f"{k}.sessions", spec.get("sessions"), lo=0)
            if "cost_per_session" in spec:
                cost = r.number(f"{k}.cost_per_session", spec["cost_per_session"], lo=0)
                ok &= cost is not None
        else:
            n = r.number(k, spec, lo=0)
        if n is None:
            ok = False
            continue
        out.append(BuySessions(aid, "wli" if key == "wli" else "locum", n, cost))
    return out if ok else None


def _extra_rooms(r: Reader, key: str, value: Any) -> list[ExtraRooms] | None:
    t = r.table(key, value)
    if t is None:
        return None
    out = []
    ok = True
    for room, spec in t.items():
        k = f"{key}.{room}"
        days = periods = None
        if isinstance(spec, dict):
            r.unknown(k, spec, ("rooms", "days", "periods"))
            n = r.number(f"{k}.rooms", spec.get("rooms"), integer=True)
            if "days" in spec:
                days = r.texts(f"{k}.days", spec["days"], C.DAYS)
                ok &= days is not None
            if "periods" in spec:
                periods = r.texts(f"{k}.periods", spec["periods"], C.PERIODS)
                ok &= periods is not None
        else:
            n = r.number(k, spec, integer=True)
        if n is None:
            ok = False
            continue
        out.append(ExtraRooms(room, int(n), days, periods))
    return out if ok else None


_ADD_ACTIVITY_KEYS = ("activity_id", "category", "name", "patients_per_session", "minutes_per_patient",
                      "pa_value", "rapid_access", "room_type", "priority", "sessions_per_week", "day",
                      "period", "min_clinicians", "clinicians")


def _add_activity(r: Reader, key: str, value: Any) -> AddActivity | None:
    t = r.table(key, value)
    if t is None:
        return None
    r.unknown(key, t, _ADD_ACTIVITY_KEYS)
    aid = r.text(f"{key}.activity_id", t.get("activity_id"))
    cat = r.text(f"{key}.category", t.get("category"), C.CATEGORIES)
    ok = aid is not None and cat is not None
    kw: dict[str, Any] = {}
    limits = (("patients_per_session", 0.0, True, None), ("minutes_per_patient", 0.0, True, None),
              ("pa_value", 0.0, True, 3.0), ("sessions_per_week", 0.0, False, None))
    for k, lo, lo_open, hi in limits:
        if k in t:
            v = r.number(f"{key}.{k}", t[k], lo=lo, lo_open=lo_open, hi=hi)
            ok &= v is not None
            kw[k] = v
    for k, lo in (("priority", 0), ("min_clinicians", 1)):
        if k in t:
            v = r.number(f"{key}.{k}", t[k], lo=lo, integer=True)
            ok &= v is not None
            kw[k] = int(v or 0)
    if "rapid_access" in t:
        b = r.flag(f"{key}.rapid_access", t["rapid_access"])
        ok &= b is not None
        kw["rapid_access"] = bool(b)
    for k, choices in (("name", ()), ("room_type", ()), ("day", C.DAYS), ("period", C.PERIODS)):
        if k in t:
            s = r.text(f"{key}.{k}", t[k], choices)
            ok &= s is not None
            kw[k] = s
    if "clinicians" in t:
        cl = r.texts(f"{key}.clinicians", t["clinicians"])
        ok &= cl is not None
        kw["clinicians"] = cl or ()
    if ("day" in t) != ("period" in t):
        r.bad(key, t, "give both day and period for a fixed slot, or neither")
        ok = False
    if not ok or aid is None or cat is None:
        return None
    return AddActivity(aid, cat, **kw)


def _growth(r: Reader, key: str, value: Any) -> list[Transform]:
    if value == "auto":
        return [SetGrowth(None)]
    g = r.number(key, value, lo=-0.5, hi=1.0)
    return [] if g is None else [SetGrowth(g)]


def _sizing(r: Reader, key: str, value: Any) -> list[Transform]:
    ch = _sizing_field(r, key, value)
    return [] if ch is None else [ch]


def _additions(r: Reader, key: str, value: Any) -> list[Transform]:
    """``add_clinician`` / ``add_activity``: one table or a list of them (``key[i]`` names the i-th)."""
    items = value if isinstance(value, list) else [value]
    out: list[Transform] = []
    for i, item in enumerate(items):
        k = f"{key}[{i + 1}]" if isinstance(value, list) and len(value) > 1 else key
        rec = _add_clinician(r, k, item) if key == "add_clinician" else _add_activity(r, k, item)
        if rec is not None:
            out.append(rec)
    return out


def _recruit(r: Reader, key: str, value: Any) -> list[Transform]:
    out: list[Transform] = []
    for group, n in (r.table(key, value) or {}).items():
        if group not in C.STAFF_GROUPS:
            r.bad(f"{key}.{group}", n, f"unknown staff group; expected one of {', '.join(C.STAFF_GROUPS)}")
            continue
        v = r.number(f"{key}.{group}", n, lo=0, hi=100, integer=True)
        if v:
            out.append(AddClinician(staff_group=group, count=int(v)))
    return out


def _id_list(r: Reader, key: str, value: Any) -> list[Transform]:
    """``remove_clinicians`` / ``close_activities``: a list of IDs."""
    ids = r.texts(key, value)
    if ids is None:
        return []
    return [RemoveClinicians(ids) if key == "remove_clinicians" else CloseActivities(ids)]


def _contracted_pas(r: Reader, key: str, value: Any) -> list[Transform]:
    t = r.table(key, value)
    pairs = []
    for cid, pas in (t or {}).items():
        v = r.number(f"{key}.{cid}", pas, lo=0, lo_open=True, hi=20)
        if v is not None:
            pairs.append((cid, v))
    return [SetContractedPas(tuple(pairs))] if t is not None and len(pairs) == len(t) else []


def _additional_pas(r: Reader, key: str, value: Any) -> list[Transform]:
    t = r.table(key, value)
    if t is None:
        return []
    r.unknown(key, t, ("per_clinician", "total", "clinicians"))
    per = r.number(f"{key}.per_clinician", t["per_clinician"], lo=0, hi=10) if "per_clinician" in t else None
    tot = r.number(f"{key}.total", t["total"], lo=0) if "total" in t else None
    who = r.texts(f"{key}.clinicians", t["clinicians"]) if "clinicians" in t else None
    given = (("per_clinician", per), ("total", tot), ("clinicians", who))
    return [AllowAdditionalPas(per, tot, who)] if all(k not in t or v is not None for k, v in given) else []


def _bought(r: Reader, key: str, value: Any) -> list[Transform]:
    return list(_buy(r, key, value) or [])


def _extra_budget(r: Reader, key: str, value: Any) -> list[Transform]:
    gbp = r.number(key, value, lo=0)
    return [] if gbp is None else [CapExtraCost(gbp)]


def _locks(r: Reader, key: str, value: Any) -> list[Transform]:
    cells = _slot_cells(r, key, value)
    return [] if cells is None else [cells]


def _rooms(r: Reader, key: str, value: Any) -> list[Transform]:
    return list(_extra_rooms(r, key, value) or [])


#: The reader of each scenario key: (reader, key, value) -> its transforms (problems go to the reader).
_READERS: dict[str, Callable[[Reader, str, Any], list[Transform]]] = {
    "growth": _growth, **{k: _sizing for k in SIZING_FIELDS}, "add_clinician": _additions,
    "add_activity": _additions, "recruit": _recruit, "remove_clinicians": _id_list,
    "close_activities": _id_list, "contracted_pas": _contracted_pas, "additional_pas": _additional_pas,
    "locum": _bought, "wli": _bought, "extra_budget": _extra_budget, "lock": _locks, "unlock": _locks,
    "extra_rooms": _rooms,
}


def transforms_of(r: Reader, table: Mapping[str, Any]) -> list[Transform]:
    """The transforms of a scenario table in application order (:data:`~.spec.ORDER`); problems go to
    ``r``."""
    out: list[Transform] = []
    for key in ORDER:
        if key in table:
            out.extend(_READERS[key](r, key, table[key]))
    seen: dict[str, str] = {}
    for b in (t for t in out if isinstance(t, BuySessions)):
        if b.activity_id in seen:
            r.bad(f"{b.kind}.{b.activity_id}", b.max_sessions_per_year,
                  f"{b.activity_id} already buys {seen[b.activity_id]} sessions: one kind of bought session "
                  "(locum or wli) per activity")
        seen[b.activity_id] = b.kind
    return out


# ---- one [[scenario]] table -----------------------------------------------------------------------
def parse_scenario(table: Mapping[str, Any], source: str, problems: list[Problem],
                   name: str | None = None) -> Scenario | None:
    """One ``[[scenario]]`` table as a :class:`Scenario` (None, with problems added, when invalid)."""
    name = name if name is not None else table.get("name")
    label = name if isinstance(name, str) else "?"
    r = Reader(source, label, problems)
    n0 = len(problems)
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        r.bad("name", name, "expected a scenario name of letters, digits and . _ + - (starting with a letter "
                            "or digit, at most 120 characters)")
    elif name.casefold() in RESERVED_NAMES:
        r.bad("name", name, f"{name!r} is reserved ({', '.join(sorted(RESERVED_NAMES))})")
    description = table.get("description", "")
    if not isinstance(description, str):
        r.bad("description", description, "expected text")
        description = ""
    r.unknown("", table, sorted(KEYS))
    transforms = transforms_of(r, table)
    if len(problems) > n0 or not isinstance(name, str):
        return None
    spec = {k: v for k, v in table.items() if k not in ("name", "description")}
    return Scenario(name, description, tuple(transforms), _jsonable(spec))


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)
