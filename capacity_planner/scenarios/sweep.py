"""Grid sweeps: a ``[sweep]`` table expands to the cartesian product of its lists.

Every list given to a key that takes a single value (``dna_rate = { points = [0, -0.02] }``,
``locum = { fu = [0, 100, 200] }``) is an axis; a key whose value is naturally a list
(``remove_clinicians``, ``activities``…) is an axis only when given a list of lists. Other keys are copied
into every generated scenario. Generated names join ``<label>-<value>`` per axis with ``_``
(``dna-0.05_locum-100``); labels are short forms of the keys (:data:`SHORT_LABELS`), disambiguated with the
activity or staff group when two axes would share one, and ``[sweep.labels]`` can rename them.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from capacity_planner.scenarios.keys import Reader, parse_scenario
from capacity_planner.scenarios.spec import MAX_SCENARIOS, NAME_PATTERN, Scenario

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence

    from capacity_planner.errors import Problem

# Keys whose natural value is a list: in a sweep they are swept only when given a list of lists.
LIST_KEYS = frozenset({"remove_clinicians", "close_activities", "activities", "clinicians", "skills", "days",
                       "periods"})
SHORT_LABELS: dict[str, str] = {
    "growth": "growth", "dna_rate": "dna", "percentile": "pct", "patients_per_session": "pps",
    "follow_up_ratio": "fu_ratio", "additional_pas": "apa", "locum": "locum", "wli": "wli",
    "recruit": "recruit", "contracted_pas": "pas", "extra_rooms": "rooms", "remove_clinicians": "remove",
    "close_activities": "close", "lock": "lock", "unlock": "unlock", "extra_budget": "budget",
}
_MODE_SUFFIX = {"set": "", "points": "", "relative": "_rel", "per_clinician": "", "total": "_total",
                "sessions": "", "rooms": "", "cost_per_session": "_cost"}


@dataclass(frozen=True)
class _Axis:
    path: tuple[str, ...]
    values: tuple[Any, ...]
    label: str


def _axes(table: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    for k, v in table.items():
        path = (*prefix, str(k))
        if isinstance(v, dict):
            yield from _axes(v, path)
        elif isinstance(v, list) and path[0] not in ("add_clinician", "add_activity"):
            natural = path[-1] in LIST_KEYS or path[0] in ("lock", "unlock")  # lock = { C01 = ["Mon-AM"] }
            if not natural or (v and all(isinstance(x, list) for x in v)):
                yield path, v


def _base_label(path: tuple[str, ...]) -> str:
    head = SHORT_LABELS.get(path[0], path[0])
    if len(path) == 1:
        return head
    last = path[-1]
    if last in _MODE_SUFFIX:
        middle = path[1:-1]
        return head + "".join(f"_{m}" for m in middle) + _MODE_SUFFIX[last]
    return head


def _labels(paths: Sequence[tuple[str, ...]]) -> list[str]:
    base = [_base_label(p) for p in paths]
    out = []
    for p, b in zip(paths, base, strict=True):
        if base.count(b) > 1 and len(p) > 1:  # disambiguate locum.fu / locum.new
            b = SHORT_LABELS.get(p[0], p[0]) + "_" + "_".join(x for x in p[1:] if x not in _MODE_SUFFIX) \
                + _MODE_SUFFIX.get(p[-1], "")
        out.append(b)
    return out


def format_value(value: Any) -> str:
    """A value as it appears in a generated scenario name: 0.05, 100, yes/no, a+b for lists."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float | int):
        return f"{value:g}"
    if isinstance(value, list):
        return "+".join(format_value(v) for v in value) or "none"
    return str(value)


def _set_path(table: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for k in path[:-1]:
        table = table.setdefault(k, {})
    table[path[-1]] = value


def expand_sweep(sweep: Mapping[str, Any], source: str, problems: list[Problem]) -> list[Scenario]:
    """The scenarios of a ``[sweep]`` table: every list (of a key that takes a single value) is an axis,
    and the sweep is the cartesian product of its axes, named ``<label>-<value>_<label>-<value>``
    (prefixed by ``name`` when given). ``[sweep.labels]`` may rename an axis (dotted key -> label)."""
    table = dict(sweep)
    prefix = table.pop("name", None)
    labels_override = table.pop("labels", {})
    description = table.get("description", "")
    r = Reader(source, "sweep", problems)
    if prefix is not None and (not isinstance(prefix, str) or not NAME_PATTERN.match(prefix)):
        r.bad("name", prefix, "expected a name prefix of letters, digits and . _ + -")
        return []
    if not isinstance(labels_override, dict):
        r.bad("labels", labels_override, "expected a table of dotted key = label")
        return []
    found = list(_axes({k: v for k, v in table.items() if k != "description"}))
    if not found:
        r.bad("sweep", "", "a sweep needs at least one list of values to sweep, e.g. dna_rate = { points = "
                           "[0, -0.02] }")
        return []
    for path, values in found:
        if not values:
            r.bad(".".join(path), values, "a swept list needs at least one value")
            return []
    auto = _labels([p for p, _ in found])
    axes = [_Axis(p, tuple(v), str(labels_override.get(".".join(p), lab))) for (p, v), lab in
            zip(found, auto, strict=True)]
    total = math.prod(len(a.values) for a in axes)
    if total > MAX_SCENARIOS:
        r.bad("sweep", total, f"the sweep expands to {total:,} scenarios; at most {MAX_SCENARIOS:,}")
        return []
    out = []
    for combo in itertools.product(*(a.values for a in axes)):
        t: dict[str, Any] = json.loads(json.dumps(table, default=str))
        parts = []
        for axis, v in zip(axes, combo, strict=True):
            _set_path(t, axis.path, v)
            parts.append(f"{axis.label}-{format_value(v)}")
        name = re.sub(r"[^A-Za-z0-9._+-]", "_", "_".join(parts))
        if prefix:
            name = f"{prefix}_{name}"
        if not isinstance(description, str) or not description:
            t["description"] = ", ".join(f"{'.'.join(a.path)} = {format_value(v)}" for a, v in
                                         zip(axes, combo, strict=True))
        scenario = parse_scenario(t, source, problems, name=name[:120])
        if scenario is not None:
            out.append(scenario)
        if len(problems) > 20:  # the same mistake repeats in every combination
            break
    return out


