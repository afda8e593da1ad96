"""The built wheel installs into a clean virtual environment and finds the embedded sample pack.

Slow (builds a wheel and a venv), so marked ``slow``: ``make test`` and CI run it, ``make test-fast``
does not. The new venv borrows the already-installed third-party dependencies through a ``.pth`` path
line (not the project itself: the editable install's finder is not activated that way), so no network
is needed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_installs_and_validates_embedded_sample(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                            "-w", str(wheels), str(ROOT)], check=True, cwd=tmp_path, capture_output=True,
                           text=True)
    # No build warnings: a deprecation or "package would be ignored" line reads as "the sample is missing".
    assert "BuildBackendWarning" not in build.stderr + build.stdout, build.stderr
    (wheel,) = wheels.glob("capacity_planner-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        metadata = next(zf.read(n).decode() for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
    runtime = [line for line in metadata.splitlines()
               if line.startswith("Requires-Dist:") and "extra ==" not in line]
    names = {re.split(r"[<>=!~ ;\[]", line.split(":", 1)[1].strip())[0].lower() for line in runtime}
    # A plain `pip install capacity_planner` brings the runtime only; test and notebook tools are extras.
    assert names == {"ortools", "numpy", "scipy", "pandas", "pyarrow", "matplotlib", "click", "openpyxl", "holidays",
                     "python-calamine", "tqdm", "jinja2"}
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    (Path(site) / "borrowed_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                    "--target", site, str(wheel)], check=True)
    # Console script: pip --target does not write one, so call the entry point as pip would.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    code = ("import capacity_planner, sys; assert 'venv' in capacity_planner.__file__, capacity_planner.__file__;"
            "from capacity_planner.cli import main; sys.argv=['capacity-planner','validate']; main()")
    result = subprocess.run([str(py), "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid planning pack" in result.stdout
    assert str(ROOT) not in result.stdout  # the sample came from the installed copy

    # The route without make or console scripts (Windows: `py -m capacity_planner demo`).
    demo = subprocess.run([str(py), "-m", "capacity_planner", "demo", "--out", "first_plan"],
                          capture_output=True, text=True, cwd=tmp_path, env=env)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "is a valid planning pack" in demo.stdout
    assert (tmp_path / "first_plan" / "report.html").is_file()
    assert "first_plan" in demo.stdout and "report.html" in demo.stdout
