"""The package's import graph has no cycles (issue 14 item 8), function-level imports included.

Each module's imports are read with ``ast`` (an ``import`` anywhere in the module, inside functions too, but
not under ``if TYPE_CHECKING:``, which never runs); ``from pkg import name`` is an edge to ``pkg.name`` when
that is a module, else to ``pkg``. An edge to a package's ``__init__`` for a name it re-exports is not
counted: the package imports its submodules, so every re-export would otherwise look like a cycle. The
strongly connected components of that graph with more than one module are the cycles.
"""

from __future__ import annotations

import ast
from pathlib import Path

import capacity_planner

ROOT = Path(capacity_planner.__file__).parent


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = ("capacity_planner", *path.relative_to(ROOT).with_suffix("").parts)
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for n in ast.walk(node))
    return skip


def import_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports (see the module docstring for the rules)."""
    modules = _modules()
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        skip = _type_checking_nodes(tree)
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            if isinstance(node, ast.Import):
                edges[name].update(a.name for a in node.names if a.name in modules)
            elif isinstance(node, ast.ImportFrom):
                base = package
                for _ in range(max(node.level - 1, 0)):
                    base = base.rpartition(".")[0]
                target = (f"{base}.{node.module}" if node.module else base) if node.level else node.module or ""
                subs = {f"{target}.{a.name}" for a in node.names} & modules.keys()
                edges[name].update(subs)
                if target in modules and len(subs) < len(node.names) and modules[target].name != "__init__.py":
                    edges[name].add(target)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle_through_a_function_level_import() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(edges) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_graph_sees_imports_inside_functions_but_not_type_checking_blocks() -> None:
    edges = import_graph()
    # application imports the solver inside plan_pack (only solver/ loads ortools at import)
    assert "capacity_planner.solver.plan" in edges["capacity_planner.application"]
    assert "capacity_planner.scenarios.transforms" not in edges["capacity_planner.scenarios.costs"]


def test_no_import_cycle() -> None:
    """No cycles (issue 14 item 8: the last three were broken in session 10 by moving the shared records
    apart from the code that builds them: solver.records, solver.plan_result and solver.single, pack.grid)."""
    assert cycles(import_graph()) == []


# The flow of the computing, lowest first (DEVELOPMENT.md, "Layout"): a module may import its own layer or
# a lower one, never a higher one. pack and intake are one input layer (intake's suggestions and advice are
# shared by the pack reader and the extract importer); outputs, report and pages are the output layer.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"_csv", "_files", "_version", "calendar", "constants", "errors", "console", "interrupts",
               "progress", "output_schema", "plan_summary"}),
    frozenset({"pack", "intake"}),
    frozenset({"demand"}),
    frozenset({"solver"}),
    frozenset({"outputs", "report", "pages"}),
    frozenset({"application", "workflow", "scenarios", "review", "serve"}),
    frozenset({"cli", "__main__", "_docs", ""}),
)


def _layer(module: str) -> int:
    """Index in LAYERS of ``module``'s top-level module or package; -1 when no layer names it."""
    top = module.split(".")[1] if "." in module else ""
    return next((i for i, names in enumerate(LAYERS) if top in names), -1)


def test_every_module_is_in_a_layer() -> None:
    assert [m for m in import_graph() if _layer(m) < 0] == []
    assert _layer("capacity_planner.pack.read") < _layer("capacity_planner.solver.plan") < _layer(
        "capacity_planner.report.html") < _layer("capacity_planner.cli")


def test_no_import_against_the_flow() -> None:
    """Issue 14: the import graph has no edge against the flow (pack -> demand -> solver -> outputs ->
    the jobs that use them -> the command line)."""
    against = sorted((a, b) for a, bs in import_graph().items() for b in bs if _layer(b) > _layer(a))
    assert against == []
