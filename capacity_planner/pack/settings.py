"""Parse pack.toml (or the ``settings`` sheet) into :class:`~capacity_planner.pack.model.Settings`."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pandas as pd

from capacity_planner.errors import Problem
from capacity_planner.intake.advice import share_hint
from capacity_planner.intake.suggest import did_you_mean
from capacity_planner.pack.model import Settings
from capacity_planner.pack.schema import SETTINGS, SETTINGS_BY_KEY, SettingSpec

if TYPE_CHECKING:
    from collections.abc import Callable

# Settings field name for each "section.key".
FIELD_BY_KEY = {s.key: s.key.split(".", 1)[1] for s in SETTINGS}


def parse_settings(values: dict[str, Any], source: str) -> tuple[Settings, list[Problem]]:
    """Resolve settings from ``{"section.key": value}`` (Excel values may be ``(value, row)`` pairs).

    Unknown keys are warnings; wrong values are errors naming the key, the value and what is expected.
    """
    problems: list[Problem] = []
    resolved: dict[str, Any] = {}
    explicit: set[str] = set()
    for key, raw_value in values.items():
        row = None
        if isinstance(raw_value, tuple):
            raw_value, row = raw_value
        spec = SETTINGS_BY_KEY.get(key)
        if spec is None:
            hint = did_you_mean(key, list(SETTINGS_BY_KEY))
            problems.append(Problem(source, "unknown setting: ignored" + (hint or " (known: "
                                    + ", ".join(SETTINGS_BY_KEY) + ")"), row, key, _show(raw_value),
                                    "warning"))
            continue
        if raw_value is None or (isinstance(raw_value, str) and not raw_value.strip()):
            continue
        value, message = _coerce(spec, raw_value)
        if message:
            problems.append(Problem(source, message, row, key, _show(raw_value)))
            continue
        resolved[FIELD_BY_KEY[key]] = value
        explicit.add(key)
    start = resolved.get("start")
    if isinstance(start, dt.date) and start.weekday() != 0:
        problems.append(Problem(source, "the planning year must start on a Monday; "
                                f"{start.isoformat()} is a {start:%A}", None, "planning.start",
                                start.isoformat()))
        del resolved["start"]  # not used further, so later checks do not repeat the mistake
        explicit.discard("planning.start")
    return Settings(**resolved, explicit=frozenset(explicit)), problems


def _show(value: Any) -> str:
    return "" if value is None else str(value)


def _coerce(spec: SettingSpec, value: Any) -> tuple[Any, str | None]:
    """``value`` as the setting's kind, or (None, what was expected)."""
    kind = spec.kind
    if kind in _COERCE:
        return _COERCE[kind](value, spec)
    return _number_setting(value, spec)


def _as_text(value: Any, spec: SettingSpec) -> tuple[Any, str | None]:
    return str(value), None


def _as_date(value: Any, spec: SettingSpec) -> tuple[Any, str | None]:
    if isinstance(value, dt.datetime):
        return value.date(), None
    if isinstance(value, dt.date):
        return value, None
    try:
        return dt.date.fromisoformat(str(value).strip()[:10]), None
    except ValueError:
        return None, "not a real date: expected a date such as 2027-04-05"


def _as_bool(value: Any, spec: SettingSpec) -> tuple[Any, str | None]:
    if isinstance(value, bool):
        return value, None
    text = str(value).strip().lower()
    if text in ("true", "yes", "1"):
        return True, None
    if text in ("false", "no", "0"):
        return False, None
    return None, "expected true or false"


def _as_label(value: Any, spec: SettingSpec) -> tuple[Any, str | None]:
    text = str(value).strip()
    for choice in spec.choices:
        if text.lower() == choice.lower():
            return choice, None
    return None, "unknown value: expected one of " + ", ".join(spec.choices)


def _as_growth(value: Any, spec: SettingSpec) -> tuple[Any, str | None]:
    if isinstance(value, str) and value.strip().lower() == "auto":
        return None, None
    number, message = _number(value, float)
    if message:
        return None, 'expected "auto" or an annual growth rate such as 0.03'
    if not -0.5 < number < 1.0:
        return None, "expected an annual growth rate between -0.5 and 1 (0.03 = 3 % a year)"
    return number, None


def _as_list(value: Any, spec: SettingSpec) -> tuple[Any, str | None]:
    items = value if isinstance(value, list) else [v.strip() for v in str(value).split(",")]
    bad = [i for i in items if i not in spec.list_choices]
    if bad or len(set(items)) != len(items):
        return None, "expected a list of distinct levels from " + ", ".join(spec.list_choices)
    return tuple(items), None


def _number_setting(value: Any, spec: SettingSpec) -> tuple[Any, str | None]:
    """An ``int`` or ``float`` setting within its range (a share may be written as a percentage)."""
    caster = int if spec.kind == "int" else float
    share = spec.max is not None and spec.max <= 1
    if share and isinstance(value, str) and value.strip().endswith("%"):
        value = _percent(value)  # "80%" for a share is 0.8 (issue 17)
    number, message = _number(value, caster)
    if message:
        return None, message
    if (spec.min is not None and number < spec.min) or (spec.max is not None and number > spec.max):
        hint = f"; {share_hint(number)}" if share and number > 1 else ""
        return None, f"out of range: expected a number from {spec.min:g} to {spec.max:g}{hint}"
    return number, None


ALL_CHARTS = "all"
_REBASE_HELP = ("expected dates such as [2027-06-07, 2027-09-06] for every chart, or per chart (team or an "
                "activity ID) such as team: 2027-06-07; 2ww: 2027-09-06")
_TARGETS_HELP = "expected targets per chart (team or an activity ID) such as team=40; 2ww=6"


def _pairs(text: str) -> list[tuple[str, str]] | None:
    """``"team: 2027-06-07; 2ww=6"`` as [(key, value), …]; None when a part has no ``=`` or ``:``."""
    out = []
    for part in (p.strip() for p in text.replace("\n", ";").split(";")):
        if not part:
            continue
        key, sep, rest = part.partition("=") if "=" in part else part.partition(":")
        if not sep or not key.strip():
            return None
        out.append((key.strip(), rest.strip()))
    return out


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        return None


def _dates(value: Any) -> tuple[dt.date, ...] | None:
    items = value if isinstance(value, list | tuple) else [v for v in str(value).split(",") if v.strip()]
    dates = [_date(v) for v in items]
    if any(d is None for d in dates):
        return None
    return tuple(sorted(set(d for d in dates if d is not None)))


def _rebase(value: Any) -> tuple[Any, str | None]:
    """``review.spc_rebase``: a list of dates (every chart, key ``all``) or a table chart -> dates, as
    ``((chart, (date, …)), …)`` sorted by chart."""
    if isinstance(value, dict):
        pairs: list[tuple[str, Any]] | None = [(str(k), v) for k, v in value.items()]
    elif isinstance(value, str) and any(c in value for c in ":=;") and not _looks_like_dates(value):
        pairs = _pairs(value)
    else:
        pairs = [(ALL_CHARTS, value)]
    if pairs is None:
        return None, _REBASE_HELP
    out = []
    for key, raw in pairs:
        got = _dates([raw] if isinstance(raw, dt.date) else raw)
        if not got:
            return None, f"not a real date for chart {key!r}: {_REBASE_HELP}"
        out.append((key, got))
    return tuple(sorted(out)), None


def _looks_like_dates(text: str) -> bool:
    return all(_date(v) is not None for v in text.split(",") if v.strip())


def _targets(value: Any, spec: SettingSpec) -> tuple[Any, str | None]:
    """``review.spc_targets``: a table chart -> sessions a week, as ``((chart, target), …)`` sorted."""
    if isinstance(value, dict):
        pairs: list[tuple[str, Any]] | None = [(str(k), v) for k, v in value.items()]
    else:
        pairs = _pairs(str(value).replace(",", ";"))
    if not pairs:
        return None, _TARGETS_HELP
    out = []
    for key, raw in pairs:
        number, message = _number(raw, float)
        if message or (spec.min is not None and number < spec.min):
            return None, f"target for chart {key!r} is not a number of sessions a week (0 or more): " \
                         f"{_TARGETS_HELP}"
        out.append((key, float(number)))
    return tuple(sorted(out)), None


def _percent(text: str) -> Any:
    try:
        return float(text.strip().rstrip("%").strip()) / 100.0
    except ValueError:
        return text


def _number(value: Any, caster: type) -> tuple[Any, str | None]:
    if isinstance(value, bool):
        return None, "expected a number"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None, "expected a number" if caster is float else "expected a whole number"
    if not pd.notna(number) or number in (float("inf"), float("-inf")):
        return None, "expected a finite number"
    if caster is int:
        if not number.is_integer():
            return None, "expected a whole number"
        return int(number), None
    return number, None


def settings_to_values(settings: Settings) -> dict[str, Any]:
    """The settings to write as ``{"section.key": value}``: those set explicitly, and any other whose value
    differs from its default (a setting changed in memory, e.g. by ``dataclasses.replace``, is not lost
    when the pack is written; found when a meeting's agreed pack dropped ``weekday_true_supply = false``).
    Defaults stay implicit; the plan start is written only when it was given."""
    out: dict[str, Any] = {}
    defaults = Settings()
    for key in SETTINGS_BY_KEY:
        value = getattr(settings, FIELD_BY_KEY[key])
        changed = key != "planning.start" and value != getattr(defaults, FIELD_BY_KEY[key])
        if key not in settings.explicit and not changed:
            continue
        if key == "demand.growth" and value is None:
            value = "auto"
        if key == "review.spc_rebase":
            table = {chart: list(dates) for chart, dates in value}
            value = table[ALL_CHARTS] if list(table) == [ALL_CHARTS] else table
        elif key == "review.spc_targets":
            value = dict(value)
        if isinstance(value, tuple):
            value = list(value)
        out[key] = value
    return out


SPC_TEAM_CHART = "team"


def spc_chart_problems(settings: Settings, activity_ids: set[str], source: str) -> list[Problem]:
    """``review.spc_rebase`` / ``review.spc_targets`` naming a chart that does not exist: each must be
    ``team`` (the whole team's chart), an activity ID of the activities table, or (rebase only) ``all``."""
    problems = []
    for key, pairs, extra in (("review.spc_rebase", settings.spc_rebase, {ALL_CHARTS}),
                              ("review.spc_targets", settings.spc_targets, set())):
        allowed = {SPC_TEAM_CHART, *extra, *activity_ids}
        for chart, _ in pairs:
            if chart not in allowed:
                hint = did_you_mean(chart, sorted(allowed))
                problems.append(Problem(source, f"no XmR chart {chart!r}: expected {SPC_TEAM_CHART}"
                                        + (f", {ALL_CHARTS}" if extra else "") + " or an activity ID"
                                        + (hint or ""), None, key, chart))
    return problems


def sheet_text(value: Any) -> Any:
    """A setting's value as the ``settings`` sheet holds it: a list as ``a, b``, a table (per-chart
    ``review.spc_*``) as ``key: a, b; key2: c``; other values unchanged. :func:`parse_settings` reads
    each back."""
    if isinstance(value, dict):
        return "; ".join(f"{k}: {sheet_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return value


#: The reader of each setting kind but the numbers: (value, spec) -> (typed value, problem or None).
_COERCE: dict[str, Callable[[Any, SettingSpec], tuple[Any, str | None]]] = {
    "text": _as_text, "date": _as_date, "bool": _as_bool, "label": _as_label, "growth": _as_growth,
    "list": _as_list,
    "rebase": lambda value, spec: _rebase(value), "targets": _targets,
}
