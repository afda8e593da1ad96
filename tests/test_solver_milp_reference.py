"""The vectorised :func:`capacity_planner.solver.milp.to_milp` writes exactly the mixed-integer program the
session-9 loop wrote (kept below as the reference): same rows in the same order, same entries, bounds,
column bounds and objective, on random small models of every covered kind and on a real plan's levels."""

from __future__ import annotations

import importlib
import random
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from ortools.sat.python import cp_model
from test_solver_helpers import reqs, run
from test_solver_large import TINY_DEMAND
from test_solver_milp import _random_model

import capacity_planner as cp
from capacity_planner.solver import SolveStatus
from capacity_planner.solver.milp import _kind, to_milp

if TYPE_CHECKING:
    from pathlib import Path

milp_module = importlib.import_module("capacity_planner.solver.milp")
solve_module = importlib.import_module("capacity_planner.solver.solve")


def _literal(lit: int) -> tuple[int, float, float]:
    return (lit, 1.0, 0.0) if lit >= 0 else (-lit - 1, -1.0, 1.0)


def reference_to_milp(proto: Any) -> tuple[Any, ...] | None:  # noqa: C901 - the old loop, kept as it was
    """The translation as written in session 9 (a Python loop, row by row): (c, offset, rows, cols, vals,
    lower, upper, lb, ub) or None."""
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
        if lo > least:
            big, rhs, row = lo - least, lo, list(terms)
            for e in enforced:
                col, coef, const = _literal(e)
                row.append((col, -big * coef))
                rhs -= big * (1 - const)
            add(row, rhs, np.inf)
        if hi < most:
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
            lo = -np.inf if dom[0] <= -(2**62) else float(dom[0])
            hi = np.inf if dom[1] >= 2**62 else float(dom[1])
            linear([(int(j), float(a)) for j, a in zip(ct.linear.vars, ct.linear.coeffs, strict=True)],
                   lo, hi, enforced)
        elif kind in ("at_most_one", "exactly_one", "bool_or") and not (enforced and kind != "bool_or"):
            lits = list(getattr(ct, kind).literals)
            if kind == "bool_or":
                lits += [-e - 1 for e in enforced]
            terms, const = literal_sum(lits)
            lo = 1 - const if kind in ("exactly_one", "bool_or") else -np.inf
            hi = np.inf if kind == "bool_or" else 1 - const
            add(terms, lo, hi)
        elif kind == "bool_and":
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
    return c, float(proto.objective.offset), rows, cols, vals, lower, upper, lb, ub


def assert_same_as_reference(proto: Any) -> None:
    """``to_milp(proto)`` equals the reference field by field, exactly (entries in the same order)."""
    want = reference_to_milp(proto)
    got = to_milp(proto)
    if want is None:
        assert got is None
        return
    assert got is not None
    c, offset, rows, cols, vals, lower, upper, lb, ub = want
    assert got.c.tolist() == c.tolist() and got.offset == offset
    assert got.rows.tolist() == rows and got.cols.tolist() == cols and got.vals.tolist() == vals
    assert got.lower.tolist() == lower and got.upper.tolist() == upper
    assert got.lb.tolist() == lb.tolist() and got.ub.tolist() == ub.tolist()


def _varied_model(seed: int) -> cp_model.CpModel:
    """Random sizes and kinds: enforced bool_or, bool_and with several literals and enforcement literals
    (some negated), enforced linear rows whose side cannot bind (dropped), unbounded sides, repeated
    objective variables, empty constraints."""
    rnd = random.Random(seed)
    m = cp_model.CpModel()
    b = [m.new_bool_var(f"b{i}") for i in range(rnd.randint(3, 12))]
    x = [m.new_int_var(rnd.randint(-4, 0), rnd.randint(0, 7), f"x{i}") for i in range(rnd.randint(1, 5))]

    def lits(k: int) -> list[Any]:
        return [v if rnd.random() < 0.5 else v.negated() for v in rnd.sample(b, min(k, len(b)))]

    for _ in range(rnd.randint(5, 25)):
        kind = rnd.choice(["lin", "amo", "eo", "or", "and", "wide"])
        ct: Any
        if kind == "amo":
            ct = m.add_at_most_one(lits(rnd.randint(0, 4)))
        elif kind == "eo":
            ct = m.add_exactly_one(lits(rnd.randint(1, 4)))
        elif kind == "or":
            ct = m.add_bool_or(lits(rnd.randint(1, 4)))
        elif kind == "and":
            ct = m.add_bool_and(lits(rnd.randint(1, 4)))
        else:
            terms = rnd.sample([*x, *b], rnd.randint(1, min(4, len(x) + len(b))))
            expr = sum(rnd.randint(-3, 3) * v for v in terms)
            ct = m.add_linear_constraint(expr, rnd.randint(-30, 2), rnd.randint(-2, 30)) if kind == "lin" \
                else m.add(expr <= rnd.randint(-2, 40))
        if kind in ("lin", "or", "and", "wide") and rnd.random() < 0.6:
            ct.only_enforce_if(lits(rnd.randint(1, 3)))
    pool = [*b, *x]
    m.minimize(sum(rnd.randint(-5, 5) * rnd.choice(pool) for _ in range(rnd.randint(0, 10))) + rnd.randint(-3, 3))
    return m


@pytest.mark.parametrize("seed", range(60))
def test_random_models_translate_exactly_as_before(seed: int) -> None:
    assert_same_as_reference(_random_model(seed).proto)
    assert_same_as_reference(_varied_model(seed).proto)


def test_uncovered_models_are_still_refused() -> None:
    m = cp_model.CpModel()
    x, y = m.new_int_var(0, 5, "x"), m.new_int_var(0, 5, "y")
    m.add_max_equality(y, [x, 2])
    assert_same_as_reference(m.proto)
    m2 = cp_model.CpModel()
    z = m2.new_int_var(0, 5, "z")
    m2.add_linear_expression_in_domain(z, cp_model.Domain.from_values([0, 2, 5]))
    assert_same_as_reference(m2.proto)


def test_every_level_of_a_plan_translates_exactly_as_before(tiny_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Every level of the tiny pack's plan handed to HiGHS (HiGHS asked on all of them) translates to the
    same program as before; the plan is still proven optimal."""
    seen: list[int] = []
    real = milp_module.to_milp

    def checked(proto: Any) -> Any:
        assert_same_as_reference(proto)
        seen.append(len(proto.constraints))
        return real(proto)

    monkeypatch.setattr(milp_module, "to_milp", checked)
    monkeypatch.setattr(solve_module, "HIGHS_LEVELS", frozenset({"changes", "unmet_routine", "fairness"}))
    result = run(cp.read_pack(tiny_path), reqs(TINY_DEMAND, rapid=["2ww"]))
    assert seen and all(n > 0 for n in seen)
    assert result.status is SolveStatus.OPTIMAL
