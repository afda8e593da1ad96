"""The notebooks in notebooks/ run from top to bottom without an error, and are committed without outputs.

Execution is slow-ish (a kernel per notebook; about a minute in all), so it is marked ``slow``: ``make test``
and CI run it, ``make test-fast`` does not.

Kernel: the notebooks name the ``python3`` kernel. ipykernel (a ``dev`` dependency) ships that kernelspec
and jupyter_client starts it with ``sys.executable``, so the kernel is this very interpreter (the venv that
``make`` built) with no ``ipykernel install`` step. :class:`VenvKernelManager` also ignores kernelspecs
installed elsewhere (user or system Jupyter folders, ``$JUPYTER_PATH``), so a ``python3`` kernel of another
Python can never stand in for the venv's.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient
from traitlets import default

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
EXPECTED = ("01_quick_start.ipynb", "02_demand_sizing.ipynb", "03_scenarios_and_budget.ipynb")
CELL_TIMEOUT_S = 300


class VenvKernelManager(KernelManager):
    """Starts the ``python3`` kernel bundled with ipykernel, i.e. ``sys.executable -m ipykernel_launcher``."""

    @default("kernel_spec_manager")
    def _kernel_spec_manager_default(self) -> KernelSpecManager:
        return KernelSpecManager(parent=self, kernel_dirs=[])


def notebook_paths() -> list[Path]:
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def test_expected_notebooks_exist() -> None:
    names = {p.name for p in notebook_paths()}
    assert set(EXPECTED) <= names, f"missing notebooks: {sorted(set(EXPECTED) - names)}"


@pytest.mark.parametrize("path", notebook_paths(), ids=lambda p: p.name)
def test_committed_notebook_has_no_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
             and (cell.get("outputs") or cell.get("execution_count") is not None)]
    assert not dirty, (f"{path.name}: code cells {dirty} have outputs or an execution count; clear them "
                       "before committing (e.g. jupyter nbconvert --clear-output --inplace)")
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"


def test_kernel_is_this_interpreter() -> None:
    spec = VenvKernelManager(kernel_name="python3").kernel_spec
    assert spec is not None
    assert Path(spec.argv[0]) == Path(sys.executable)
    assert "ipykernel_launcher" in spec.argv


@pytest.mark.slow
@pytest.mark.parametrize("path", notebook_paths(), ids=lambda p: p.name)
def test_notebook_runs_without_errors(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The kernel inherits these: temporary files the notebooks write go under tmp_path, and so do the
    # kernel's connection files.
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.delenv("AE_ATTENDANCES_CSV", raising=False)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name="python3",
        kernel_manager_class=VenvKernelManager,
        timeout=CELL_TIMEOUT_S,
        resources={"metadata": {"path": str(NOTEBOOKS)}},  # run from notebooks/, as a user would
    )
    started = time.perf_counter()
    client.execute()  # raises CellExecutionError, naming the cell, on the first error
    print(f"{path.name}: executed in {time.perf_counter() - started:.1f} s")
    errors = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", [])
              if out.get("output_type") == "error"]
    assert not errors
    # Nothing was written back: the committed file still has no outputs.
    assert not any(c.get("outputs") for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
