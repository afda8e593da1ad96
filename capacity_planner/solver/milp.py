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

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

_SUPPORTED = ("linear", "at_most_one", "exactly_one", "bool_or", "bool_and")


@dataclass(frozen=True)
class Milp:
    """A CP-SAT model as a mixed-integer program: :math:`\\min c^\\top y + c_0`, :math:`l \\le A y \\le u`,
    :math:`\\underline y \\le y \\le \\overline y`, y integer (one column per CP-SAT variable, same index).
    :math:`A` is in coordinate form: entry k is ``vals[k]`` at (``rows[k]``, ``cols[k]``)."""

    c: np.ndarray
    offset: float
    rows: np.ndarray
    cols: np.ndarray
    vals: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    lb: np.ndarray
    ub: np.ndarray

    @property
    def n_rows(self) -> int:
        """Number of rows of :math:`A`."""
        return len(self.lower)


@dataclass(frozen=True)
class MilpAnswer:
    """HiGHS's answer: ``optimal`` True when it proved ``value`` optimal; ``values`` one integer per CP-SAT
    variable (None without a solution); ``bound`` its proven lower bound (objective units); seconds used;
    ``time_stopped`` True when its wall-clock time limit stopped it (not its node limit nor a proof): its
    plan and bound then depend on the machine's speed."""

    optimal: bool
    value: float | None
    bound: float | None
    values: list[int] | None
    seconds: float
    time_stopped: bool = False


def _kind(ct: Any) -> str | None:
    """The constraint's kind (``linear``, ``bool_or``, ...), for both OR-Tools proto flavours: the protobuf
    message (OR-Tools <= 9.14) and the pybind11 one (9.15)."""
    if hasattr(ct, "WhichOneof"):
        return ct.WhichOneof("constraint")
    for name in _SUPPORTED:
        if getattr(ct, f"has_{name}")():
            return name
    return "other"


# Row kinds of a candidate row: a plain row (linear or a literal sum), the lower or upper side of an
# enforced linear row (kept only when that side can bind), one literal of an enforced bool_and.
_PLAIN, _ENFORCED_LOW, _ENFORCED_HIGH, _AND = 0, 1, 2, 3


@dataclass
class _Gathered:
    """The proto's constraints read in one pass, before any arithmetic.

    Linear terms are flat in ``vars``/``coefs``, literal terms (``at_most_one`` .. ``bool_and``) in
    ``lits``, enforcement literals in ``enf``. Each candidate row in ``rows`` is a tuple (constraint
    index, place in the constraint: together the row's order in :math:`A`; kind; body start and length,
    in ``lits`` when the literal flag is 1 else in ``vars``; literal flag; enforcement start and length in
    ``enf``; the bounds before the body's and enforcement's constants)."""

    vars: list[int] = field(default_factory=list)
    coefs: list[int] = field(default_factory=list)
    lits: list[int] = field(default_factory=list)
    enf: list[int] = field(default_factory=list)
    rows: list[tuple[int, int, int, int, int, int, int, int, float, float]] = field(default_factory=list)


def _gather_linear(g: _Gathered, ci: int, lin: Any, enforced: list[int]) -> bool:
    """A linear constraint :math:`l \\le \\sum a_j y_j \\le u`: one plain row, or, enforced, a candidate
    row per side. False for a domain with holes."""
    dom = list(lin.domain)
    if len(dom) != 2:
        return False
    lo = -np.inf if dom[0] <= -(2**62) else float(dom[0])
    hi = np.inf if dom[1] >= 2**62 else float(dom[1])
    terms = list(lin.vars)
    start = len(g.vars)
    g.vars.extend(terms)
    g.coefs.extend(lin.coeffs)
    if not enforced:
        g.rows.append((ci, 0, _PLAIN, start, len(terms), 0, 0, 0, lo, hi))
        return True
    es = len(g.enf)
    g.enf.extend(enforced)
    g.rows.append((ci, 0, _ENFORCED_LOW, start, len(terms), 0, es, len(enforced), lo, np.inf))
    g.rows.append((ci, 1, _ENFORCED_HIGH, start, len(terms), 0, es, len(enforced), -np.inf, hi))
    return True


def _gather_literals(g: _Gathered, ci: int, kind: str, lits: list[int], enforced: list[int]) -> None:
    """``at_most_one`` :math:`\\sum \\ell \\le 1`, ``exactly_one`` (:math:`= 1`), ``bool_or``
    :math:`\\sum \\ell + \\sum (1 - e) \\ge 1`; ``bool_and``: each :math:`\\ell \\ge \\sum e - (k - 1)`."""
    start = len(g.lits)
    if kind == "bool_and":
        es = len(g.enf)
        g.enf.extend(enforced)
        g.lits.extend(lits)
        n = len(enforced)
        g.rows.extend((ci, i, _AND, start + i, 1, 1, es, n, 1.0, np.inf) for i in range(len(lits)))
        return
    if kind == "bool_or":
        lits = lits + [-e - 1 for e in enforced]
    g.lits.extend(lits)
    lo = -np.inf if kind == "at_most_one" else 1.0
    hi = np.inf if kind == "bool_or" else 1.0
    g.rows.append((ci, 0, _PLAIN, start, len(lits), 1, 0, 0, lo, hi))


def _message(proto: Any) -> Any:
    """``proto`` as a protobuf message. OR-Tools 9.15's pybind11 proto costs microseconds per field read
    from Python (~0.1 s for a service-pack level); its binary form, written by OR-Tools' C++ and parsed by
    protobuf's C parser, reads 2-3 times faster all told (docs/benchmarks.md, "Session 10 round 2")."""
    if hasattr(proto, "WhichOneof"):
        return proto
    from ortools.sat import cp_model_pb2
    from ortools.sat.python import cp_model_helper

    message = cp_model_pb2.CpModelProto()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.pb"
        if not cp_model_helper.CpSatHelper.write_model_to_file(proto, str(path)):
            return proto
        message.ParseFromString(path.read_bytes())
    return message


def _gather(proto: Any) -> _Gathered | None:
    """Read every constraint of ``proto`` (None at a kind or domain the translation does not cover)."""
    g = _Gathered()
    for ci, ct in enumerate(proto.constraints):
        kind = _kind(ct)
        enforced = list(ct.enforcement_literal)
        if kind == "linear":
            if not _gather_linear(g, ci, ct.linear, enforced):
                return None
        elif kind == "bool_and" or (kind in _SUPPORTED[1:] and not (enforced and kind != "bool_or")):
            _gather_literals(g, ci, kind, list(getattr(ct, kind).literals), enforced)
        else:
            return None
    return g


def _literals(lits: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CP-SAT literals as (columns, coefficients, constants): :math:`y_v` is (v, 1, 0), its negation
    :math:`1 - y_v` (v, -1, 1)."""
    neg = lits < 0
    return np.where(neg, -lits - 1, lits), np.where(neg, -1.0, 1.0), neg.astype(float)


def _ragged(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(s, s + n)`` over starts s and lengths n (indices into a flat array)."""
    ends = np.cumsum(lengths)
    return np.arange(int(ends[-1]) if len(ends) else 0, dtype=np.int64) - np.repeat(ends - lengths - starts,
                                                                                      lengths)


def _terms(g: _Gathered) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every body term as (column, coefficient, constant) arrays: the linear terms, then the literals."""
    lcol, lcoef, lconst = _literals(np.asarray(g.lits, dtype=np.int64))
    return (np.concatenate([np.asarray(g.vars, dtype=np.int64), lcol]),
            np.concatenate([np.asarray(g.coefs, dtype=float), lcoef]),
            np.concatenate([np.zeros(len(g.vars)), lconst]))


def _weights(kind: np.ndarray, lo: np.ndarray, hi: np.ndarray, least: np.ndarray,
             most: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each candidate row's enforcement weight and whether it is kept. Enforced linear, by big-M over the
    body's range [L, U]: the lower side :math:`-M = -(l - L)`, kept when :math:`l > L`; the upper side
    :math:`M = U - u`, kept when :math:`u < U`. A bool_and literal: -1. Plain rows: 0, kept."""
    with np.errstate(invalid="ignore"):
        weight = np.select([kind == _ENFORCED_LOW, kind == _ENFORCED_HIGH, kind == _AND],
                           [-(lo - least), most - hi, -1.0], 0.0)
    keep = np.select([kind == _ENFORCED_LOW, kind == _ENFORCED_HIGH], [lo > least, hi < most], True)
    return np.where(keep, weight, 0.0), keep


def _assemble(g: _Gathered, lb: np.ndarray, ub: np.ndarray) -> tuple[np.ndarray, ...]:
    """The rows of :math:`A` in constraint order, entries row by row (body, then enforcement terms), with
    bounds :math:`l - C + w P` and :math:`u - C + w P`: C the body's constant (negated literals), w the
    row's weight and P the number of positive enforcement literals (:math:`\\sum (1 - \\text{const})`)."""
    col, coef, const = _terms(g)
    ecol, ecoef, econst = _literals(np.asarray(g.enf, dtype=np.int64))
    table = np.array(g.rows, dtype=float).reshape(-1, 10)
    order = np.lexsort((table[:, 1], table[:, 0]))
    table = table[order]
    kind, lo, hi = table[:, 2], table[:, 8], table[:, 9]
    bstart = table[:, 3].astype(np.int64) + len(g.vars) * table[:, 5].astype(np.int64)
    blen = table[:, 4].astype(np.int64)
    n = len(order)
    bidx = _ragged(bstart, blen)
    brow = np.repeat(np.arange(n), blen)
    bvals = coef[bidx]
    least = np.bincount(brow, np.minimum(bvals * lb[col[bidx]], bvals * ub[col[bidx]]), minlength=n)
    most = np.bincount(brow, np.maximum(bvals * lb[col[bidx]], bvals * ub[col[bidx]]), minlength=n)
    weight, keep = _weights(kind, lo, hi, least, most)
    elen = table[:, 7].astype(np.int64)
    eidx = _ragged(table[:, 6].astype(np.int64), elen)
    erow = np.repeat(np.arange(n), elen)
    shift = -np.bincount(brow, const[bidx], minlength=n) + weight * np.bincount(erow, 1.0 - econst[eidx],
                                                                                 minlength=n)
    rows = np.concatenate([brow, erow])
    cols = np.concatenate([col[bidx], ecol[eidx]])
    vals = np.concatenate([bvals, np.repeat(weight, elen) * ecoef[eidx]])
    new_row = np.cumsum(keep) - 1
    entry_kept = keep[rows]
    by_row = np.argsort(rows[entry_kept], kind="stable")
    return (new_row[rows[entry_kept]][by_row], cols[entry_kept][by_row], vals[entry_kept][by_row],
            (lo + shift)[keep], (hi + shift)[keep])


def to_milp(proto: Any) -> Milp | None:
    """The CP-SAT model ``proto`` (``CpModel.proto``) as a :class:`Milp`; None when it uses a constraint
    or domain this translation does not cover (see the module docstring). One pass in Python reads the
    proto; the matrix is then built with array operations."""
    proto = _message(proto)
    domains = [list(v.domain) for v in proto.variables]
    if any(len(d) != 2 for d in domains):
        return None
    lb = np.array([d[0] for d in domains], dtype=float).reshape(-1)
    ub = np.array([d[1] for d in domains], dtype=float).reshape(-1)
    g = _gather(proto)
    if g is None:
        return None
    rows, cols, vals, lower, upper = _assemble(g, lb, ub)
    c = np.zeros(len(domains))
    np.add.at(c, np.asarray(list(proto.objective.vars), dtype=np.int64),
              np.asarray(list(proto.objective.coeffs), dtype=float))
    return Milp(c, float(proto.objective.offset), rows, cols, vals, lower, upper, lb, ub)


def solve_milp(milp_model: Milp, *, cutoff: float | None, time_limit_s: float,
               node_limit: int | None = None, start: list[int] | None = None) -> MilpAnswer:
    """Minimise ``milp_model`` with HiGHS (relative gap 0), with the row :math:`c^\\top y + c_0 \\le
    \\text{cutoff}` when given; stops after ``time_limit_s`` seconds or ``node_limit`` branch-and-bound nodes
    (a count: the same on any machine).

    ``start`` (one integer per column, a plan known to meet every row: the previous level's plan) is given
    to HiGHS as its first incumbent (a MIP start) through :mod:`highspy` when it is installed; otherwise,
    and without a start, HiGHS is run through ``scipy.optimize.milp``, which takes none. The solver passes a
    start only when :data:`capacity_planner.solver.solve.HIGHS_MIP_START` is set: on the service sample's
    ``changes`` level it cut HiGHS's nodes from 103-281 to 19-35, but on two trust services it made HiGHS
    slower (docs/benchmarks.md, "Session 11").
    """
    m = milp_model
    matrix = cutoff_rows(m, cutoff)
    if start is not None:
        try:
            import highspy  # noqa: F401
        except ImportError:
            start = None
    if start is None:
        return _solve_scipy(m, matrix, time_limit_s, node_limit)
    return _solve_highspy(m, matrix, time_limit_s, node_limit, start)


_Rows = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def cutoff_rows(m: Milp, cutoff: float | None) -> _Rows:
    """The model's rows (row index, column, value, lower, upper) and, with ``cutoff``, the row
    :math:`c^\\top y \\le \\text{cutoff} - c_0` (a value a known plan reaches)."""
    rows, cols, vals, lower, upper = m.rows, m.cols, m.vals, m.lower, m.upper
    if cutoff is not None:
        nz = np.flatnonzero(m.c)
        rows = np.concatenate([rows, np.full(len(nz), len(lower), dtype=rows.dtype)])
        cols = np.concatenate([cols, nz])
        vals = np.concatenate([vals, m.c[nz]])
        lower = np.append(lower, -np.inf)
        upper = np.append(upper, cutoff - m.offset + 1e-6)
    return rows, cols, vals, lower, upper


def _solve_scipy(m: Milp, matrix: _Rows, time_limit_s: float, node_limit: int | None) -> MilpAnswer:
    """HiGHS through ``scipy.optimize.milp`` (no MIP start)."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix

    rows, cols, vals, lower, upper = matrix
    a = coo_matrix((vals, (rows, cols)), shape=(len(lower), len(m.c))).tocsr()
    start = time.perf_counter()
    res = milp(m.c, constraints=LinearConstraint(a, lower, upper), integrality=np.ones(len(m.c)),
               bounds=Bounds(m.lb, m.ub),
               options={"time_limit": max(0.1, float(time_limit_s)), "mip_rel_gap": 0.0, "disp": False,
                        **({} if node_limit is None else {"node_limit": int(node_limit)})})
    seconds = time.perf_counter() - start
    bound = getattr(res, "mip_dual_bound", None)
    bound = None if bound is None or not np.isfinite(bound) else float(bound) + m.offset
    # scipy's status 1 is HiGHS's time or iteration limit; its message names which (a node limit is HiGHS's
    # "solution limit", status 4)
    timed_out = res.status == 1 and str(res.message).startswith("Time limit")
    if res.x is None:
        return MilpAnswer(False, None, bound, None, seconds, timed_out)
    value = float(res.fun) + m.offset
    return MilpAnswer(res.status == 0, value, bound, [round(float(v)) for v in res.x], seconds, timed_out)


def highspy_model(m: Milp, matrix: _Rows, start: list[int] | None = None, *, log: bool = False) -> Any:
    """A :mod:`highspy` solver holding ``m`` with the rows ``matrix`` (:func:`cutoff_rows`), every column
    integer, and ``start`` (one value per column) as its MIP start; options are the caller's."""
    import highspy
    from scipy.sparse import coo_matrix

    rows, cols, vals, lower, upper = matrix
    a = coo_matrix((vals, (rows, cols)), shape=(len(lower), len(m.c))).tocsc()
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = len(m.c), len(lower)
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = m.c, m.lb, m.ub
    lp.row_lower_ = np.where(np.isfinite(lower), lower, -inf)
    lp.row_upper_ = np.where(np.isfinite(upper), upper, inf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = a.indptr, a.indices, a.data
    lp.integrality_ = [highspy.HighsVarType.kInteger] * len(m.c)
    # highspy.Highs prints HiGHS's banner to stdout when built (its Python callbacks); the bound core class
    # it extends does not, and has every method used here.
    h = getattr(getattr(highspy, "_core", None), "_Highs", highspy.Highs)()
    h.setOptionValue("output_flag", log)
    h.passModel(lp)
    if start is not None and len(start) == len(m.c):
        solution = highspy.HighsSolution()
        solution.col_value = [float(v) for v in start]
        solution.value_valid = True
        h.setSolution(solution)
    return h


def _solve_highspy(m: Milp, matrix: _Rows, time_limit_s: float, node_limit: int | None,
                   start: list[int] | None) -> MilpAnswer:
    """HiGHS through :mod:`highspy`, with ``start`` as a MIP start (the same model and options as
    :func:`_solve_scipy`, whose HiGHS ``random_seed`` is also 0)."""
    import highspy

    inf = highspy.kHighsInf
    h = highspy_model(m, matrix, start)
    h.setOptionValue("time_limit", max(0.1, float(time_limit_s)))
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("random_seed", 0)
    if node_limit is not None:
        h.setOptionValue("mip_max_nodes", int(node_limit))
    began = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - began
    info = h.getInfo()
    bound = float(info.mip_dual_bound)
    bound_out = float(bound) + m.offset if np.isfinite(bound) and abs(bound) < inf else None
    timed_out = h.getModelStatus() == highspy.HighsModelStatus.kTimeLimit
    if info.primal_solution_status != 2:  # kSolutionStatusFeasible: HiGHS holds a plan
        return MilpAnswer(False, None, bound_out, None, seconds, timed_out)
    value = float(info.objective_function_value) + m.offset
    optimal = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    values = [round(float(v)) for v in h.getSolution().col_value]
    return MilpAnswer(optimal, value, bound_out, values, seconds, timed_out)
