"""Scenario-level allowances the allocation may use beyond contracted PAs.

These are plain frozen records with no solver import, so the scenarios package can build them (e.g. "allow
up to 1 additional PA per consultant, 4 in total, and buy up to 100 locum 2ww sessions at £950").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PurchasedSessions:
    """Locum or waiting-list-initiative (WLI) sessions of one activity that may be bought.

    Parameters
    ----------
    activity_id : str
        Activity the sessions deliver.
    max_sessions_per_year : float
        At most this many sessions a year may be bought (session-weeks a year; whole sessions).
    cost_per_session : float or None
        GBP per session; None reads the pack's ``costs`` table (item ``locum_session`` or
        ``wli_session``; the ``consultant`` row when several staff groups are given, else the first).
    kind : {"locum", "wli"}
        Which cost item to read when ``cost_per_session`` is None.

    Bought sessions are delivered outside the weekly grid (evenings, weekends, external staff): they use
    no clinician's PAs and no room in the grid.
    """

    activity_id: str
    max_sessions_per_year: float
    cost_per_session: float | None = None
    kind: str = "locum"


@dataclass(frozen=True, slots=True)
class Allowances:
    """What the plan may add beyond the team's contracted PAs.

    Parameters
    ----------
    additional_pas_per_clinician : float or None
        Additional PAs a week any one clinician may take (further capped by ``max_pas - contracted_pas``).
        None: additional PAs are allowed up to ``max_pas`` only when ``settings.allow_additional_pas``
        is true in pack.toml, and not at all otherwise. 0 forbids them even if the pack allows them.
    additional_pas_total : float or None
        Cap on the team's additional PAs a week in total (None: no total cap).
    clinicians : frozenset of str or None
        Only these clinicians may take additional PAs (None: everyone whose contract allows it).
    purchased_sessions : tuple of PurchasedSessions
        Locum/WLI sessions that may be bought, per activity.
    max_extra_cost : float or None
        Budget: the annual cost of additional PAs and bought sessions together may not exceed this, GBP a
        year (None: no cap). The cost is priced exactly as the ``cost`` objective level prices it (whole
        pounds per PA a year and per session), so with a cap the solver finds the least unmet demand the
        budget can buy, not a guess at which levers to fund.
    clinician_caps : tuple of (str, float) or None
        Additional PAs a week each named clinician may take, as ``(clinician_id, PAs)`` pairs (the team
        meeting allows them one by one); a clinician not named takes none. Combined with the other caps:
        the smallest applies. None: no per-clinician caps.
    """

    additional_pas_per_clinician: float | None = None
    additional_pas_total: float | None = None
    clinicians: frozenset[str] | None = None
    purchased_sessions: tuple[PurchasedSessions, ...] = ()
    max_extra_cost: float | None = None
    clinician_caps: tuple[tuple[str, float], ...] | None = None


@dataclass(frozen=True, slots=True)
class Baseline:
    """A plan the ``changes`` objective level counts against, instead of the pack's current job plans.

    The team meeting re-plans from the plan on its screen: the solver should move as little *of that
    plan* as it can, while every reported figure (``changes.csv``, ``changed_sessions``, supply, the
    routine floor, the weeks a cell runs) stays measured against the current job plans.

    Parameters
    ----------
    cells : tuple of (str, str, str, str)
        ``(clinician_id, day, period, activity_id)`` of every cell of the baseline plan (one activity per
        cell, every week). Cells of clinicians or slots not in the pack (another part of a split pack) are
        ignored.
    fixed : frozenset of (str, str, str)
        ``(clinician_id, day, period)`` cells that must keep their baseline activity (the meeting's locks
        and pins); each must be a cell of ``cells``.

    Notes
    -----
    The ``changes`` level then counts, per clinician, the larger of baseline cells not kept and cells
    given another activity than the baseline's (the same rule as against the current job plans), and its
    search starts from the baseline. Everything else in the model is unchanged.
    """

    cells: tuple[tuple[str, str, str, str], ...]
    fixed: frozenset[tuple[str, str, str]] = frozenset()
