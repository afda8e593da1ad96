r"""A second opinion on one objective level: the same CP-SAT model handed to HiGHS as a mixed-integer program.

Why. With weekday-true supply (issue 19) the ``changes`` level of a 40-clinician service has a thin optimal
face: the unmet-demand optimum it must keep is reached only by plans that put every clinic on the days that
deliver most sessions (38-44 a year by weekday), so CP-SAT takes ~10 work units to find a first plan and
its bound stays at the LP root (153 sessions) however long it runs; the optimum is 155. HiGHS's
branch-and-bound (strong branching, its own cuts) closes that gap in a few nodes once it is told the value
CP-SAT reached (docs/benchmarks.md, "Session 9"). CP-SAT stays the solver of every level; HiGHS is asked
only about a level CP-SAT stopped without proving, and its answer is used only when it *proves* an optimum.

How. :func:`to_milp` reads the CP-SAT model proto (the rules, the earlier levels' bounds
:math:`f_k(x) \le f_k^*`, the objective of the level being solved) and writes it as
:math:`\min c^\top y` subject to :math:`l \le A y \le u`, every variable integer within its domain:

* a linear constraint :math:`l \le \sum_j a_j y_j \le u` is a row as it stands;
* a literal :math:`\ell` is :math:`y_v` or, negated, :math:`1 - y_v`;
* ``at_most_one`` / ``exactly_one``: :math:`\sum \ell \le 1` (:math:`= 1`);
  ``bool_or``: :math:`\sum \ell \ge 1`; ``bool_and``: each :math:`\ell \ge 1`;
* enforcement literals :math:`e_1..e_k` (the rule holds when all are true) by big-M over the row's own
  range: :math:`\sum a_j y_j \ge l - (l - L)\sum_i (1 - e_i)` with :math:`L = \sum_j \min(a_j \underline y_j,
  a_j \overline y_j)`, and the same on the upper side with :math:`U` (exact: every variable is bounded).

Any other constraint kind, or a domain with holes, and :func:`to_milp` returns None (the level stays as
CP-SAT left it). A row :math:`c^\top y \le v` (the value CP-SAT reached) is added before solving: it cuts
nothing a better plan needs and prunes most of HiGHS's tree (on the service pack, 47 s without it, 24 s
with it on a loaded machine). HiGHS's values are then fixed as a hint and re-solved by CP-SAT
(:func:`capacity_planner.solver.solve._previous_plan`), so a plan is only ever taken from CP-SAT, which
checks every rule exactly; the independent checker (:mod:`capacity_planner.solver.checker`) runs on the
final plan as always.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

_SUPPORTED = ("linear", "at_most_one", "exactly_one", "bool_or", "bool_and")


@dataclass(frozen=True)
class Milp:
    """A CP-SAT model as a mixed-integer program: :math:`\\min c^\\top y + c_0`, :math:`l \\le A y \\le u`,
    :math:`\\underline y \\le y \\le \\overline y`, y integer (one column per CP-SAT variable, same index)."""

    c: np.ndarray
    offset: float
    rows: list[int]
    cols: list[int]
    vals: list[float]
    lower: list[float]
    upper: list[float]
    lb: np.ndarray
    ub: np.ndarray

    @property
    def n_rows(self) -> int:
        """Number of rows of :math:`A`."""
        return len(self.lower)


@dataclass(frozen=True)
class MilpAnswer:
    """HiGHS's answer: ``optimal`` True when it proved ``value`` optimal; ``values`` one integer per CP-SAT
    variable (None without a solution); ``bound`` its proven lower bound (objective units); seconds used."""

    optimal: bool
    value: float | None
    bound: float | None
    values: list[int] | None
    seconds: float


def _kind(ct: Any) -> str | None:
    """The constraint's kind (``linear``, ``bool_or``, ...), for both OR-Tools proto flavours: the protobuf
    message (OR-Tools <= 9.14) and the pybind11 one (9.15)."""
    if hasattr(ct, "WhichOneof"):
        return ct.WhichOneof("constraint")
    for name in _SUPPORTED:
        if getattr(ct, f"has_{name}")():
            return name
    return "other"


def _literal(lit: int) -> tuple[int, float, float]:
    """A CP-SAT literal as (column, coefficient, constant): :math:`y_v` or :math:`1 - y_v`."""
    return (lit, 1.0, 0.0) if lit >= 0 else (-lit - 1, -1.0, 1.0)


def to_milp(proto: Any) -> Milp | None:  # noqa: C901
    """The CP-SAT model ``proto`` (``CpModel.proto``) as a :class:`Milp`; None when it uses a constraint
    or domain this translation does not cover (see the module docstring)."""
    domains = [list(v.domain) for v in proto.variables]
    if any(len(d) != 2 for d in domains):
        return None
    lb = np.array([d[0] for d in domains], dtype=float)
    ub = np.array([d[1] for d in domains], dtype=float)
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    lower: list[float] = []
    upper: list[float] = []

    def add(terms: list[tuple[int, float]], lo: float, hi: float) -> None:
        r = len(lower)
        for col, coef in terms:
            rows.append(r)
            cols.append(col)
            vals.append(coef)
        lower.append(lo)
        upper.append(hi)

    def linear(terms: list[tuple[int, float]], lo: float, hi: float, enforced: list[int]) -> None:
        if not enforced:
            add(terms, lo, hi)
            return
        least = sum(min(a * lb[j], a * ub[j]) for j, a in terms)
        most = sum(max(a * lb[j], a * ub[j]) for j, a in terms)
        if lo > least:  # sum a y + M sum (1 - e) >= lo, M = lo - least
            big, rhs, row = lo - least, lo, list(terms)
            for e in enforced:
                col, coef, const = _literal(e)
                row.append((col, -big * coef))
                rhs -= big * (1 - const)
            add(row, rhs, np.inf)
        if hi < most:  # sum a y - M sum (1 - e) <= hi, M = most - hi
            big, rhs, row = most - hi, hi, list(terms)
            for e in enforced:
                col, coef, const = _literal(e)
                row.append((col, big * coef))
                rhs += big * (1 - const)
            add(row, -np.inf, rhs)

    def literal_sum(lits: list[int]) -> tuple[list[tuple[int, float]], float]:
        terms, const = [], 0.0
        for lit in lits:
            col, coef, k = _literal(lit)
            terms.append((col, coef))
            const += k
        return terms, const

    for ct in proto.constraints:
        kind = _kind(ct)
        enforced = list(ct.enforcement_literal)
        if kind == "linear":
            dom = list(ct.linear.domain)
            if len(dom) != 2:
                return None
            lo = -np.inf if dom[0] <= -(2 ** 62) else float(dom[0])
            hi = np.inf if dom[1] >= 2 ** 62 else float(dom[1])
            linear([(int(j), float(a)) for j, a in zip(ct.linear.vars, ct.linear.coeffs, strict=True)],
                   lo, hi, enforced)
        elif kind in ("at_most_one", "exactly_one", "bool_or") and not (enforced and kind != "bool_or"):
            lits = list(getattr(ct, kind).literals)
            if kind == "bool_or":  # sum lits + sum (1 - e) >= 1
                lits += [-e - 1 for e in enforced]
            terms, const = literal_sum(lits)
            lo = 1 - const if kind in ("exactly_one", "bool_or") else -np.inf
            hi = np.inf if kind == "bool_or" else 1 - const
            add(terms, lo, hi)
        elif kind == "bool_and":  # each lit >= sum(e) - (k - 1)
            for lit in ct.bool_and.literals:
                terms, const = literal_sum([lit])
                rhs = -(len(enforced) - 1) - const
                for e in enforced:
                    col, coef, k = _literal(e)
                    terms.append((col, -coef))
                    rhs += k
                add(terms, rhs, np.inf)
        else:
            return None
    c = np.zeros(len(domains))
    for j, a in zip(proto.objective.vars, proto.objective.coeffs, strict=True):
        c[int(j)] += float(a)
    return Milp(c, float(proto.objective.offset), rows, cols, vals, lower, upper, lb, ub)


def solve_milp(milp_model: Milp, *, cutoff: float | None, time_limit_s: float,
               node_limit: int | None = None) -> MilpAnswer:
    """Minimise ``milp_model`` with HiGHS (``scipy.optimize.milp``, relative gap 0), with the row
    :math:`c^\\top y + c_0 \\le \\text{cutoff}` when given; stops after ``time_limit_s`` seconds or
    ``node_limit`` branch-and-bound nodes (a count: the same on any machine)."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix

    m = milp_model
    rows, cols, vals, lower, upper = list(m.rows), list(m.cols), list(m.vals), list(m.lower), list(m.upper)
    if cutoff is not None:
        nz = np.flatnonzero(m.c)
        rows += [len(lower)] * len(nz)
        cols += nz.tolist()
        vals += m.c[nz].tolist()
        lower.append(-np.inf)
        upper.append(cutoff - m.offset + 1e-6)
    a = coo_matrix((vals, (rows, cols)), shape=(len(lower), len(m.c))).tocsr()
    start = time.perf_counter()
    res = milp(m.c, constraints=LinearConstraint(a, lower, upper), integrality=np.ones(len(m.c)),
               bounds=Bounds(m.lb, m.ub),
               options={"time_limit": max(0.1, float(time_limit_s)), "mip_rel_gap": 0.0, "disp": False,
                        **({} if node_limit is None else {"node_limit": int(node_limit)})})
    seconds = time.perf_counter() - start
    bound = getattr(res, "mip_dual_bound", None)
    bound = None if bound is None or not np.isfinite(bound) else float(bound) + m.offset
    if res.x is None:
        return MilpAnswer(False, None, bound, None, seconds)
    value = float(res.fun) + m.offset
    return MilpAnswer(res.status == 0, value, bound, [round(float(v)) for v in res.x], seconds)
