"""Reference docs generated from the code are committed up to date; public API has docstrings."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import capacity_planner
from capacity_planner import _docs

DOCS = Path(__file__).resolve().parents[1] / "docs"
REGENERATE = "run `python -m capacity_planner._docs` and commit the result"


def test_data_pack_reference_is_up_to_date() -> None:
    assert (DOCS / "data-pack.md").read_text(encoding="utf-8") == _docs.render_data_pack(), REGENERATE


def test_cli_reference_is_up_to_date() -> None:
    assert (DOCS / "cli.md").read_text(encoding="utf-8") == _docs.render_cli(), REGENERATE


def test_every_public_function_and_class_has_a_docstring() -> None:
    missing = []
    for info in pkgutil.walk_packages(capacity_planner.__path__, "capacity_planner."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and not inspect.getdoc(obj):
                missing.append(f"{info.name}.{name}")
    assert missing == []


def test_readme_links_every_document_and_notebook() -> None:
    """The README is the way in: every page of docs/ and every notebook is linked from it (issue 8)."""
    root = DOCS.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    wanted = [p.relative_to(root).as_posix() for p in sorted(DOCS.glob("*.md"))]
    wanted += [p.relative_to(root).as_posix() for p in sorted((root / "notebooks").glob("*.ipynb"))]
    wanted += ["notebooks/README.md", "DEVELOPMENT.md"]
    assert [w for w in wanted if f"]({w})" not in readme] == []
