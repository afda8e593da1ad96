"""Issue 15, findings 1-3: output folders have one owner, and an interrupt writes nothing (exit 130).

Each test here failed on the code before issue 15: ``plan PACK --out PACK`` overwrote the pack's
clinicians.csv and requirements.csv (finding 1); an anonymised rerun left the first run's report.html
with every real name (finding 2); CP-SAT swallowed Ctrl-C and a cut-short plan was written with exit 0,
and an interrupted sweep saved the interrupted scenario as done (finding 3).
"""

from __future__ import annotations

import hashlib
import importlib
import os
import shutil
import signal
import subprocess
import sys
import time
from functools import partial
from typing import TYPE_CHECKING, Any

import pandas as pd
import pytest
from click.testing import CliRunner

from capacity_planner._files import MANIFEST_NAME, OwnedFolder, check_output_folder, output_folder
from capacity_planner.cli import cli

if TYPE_CHECKING:
    from pathlib import Path


def _hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _all_text(folder: Path) -> str:
    return "\n".join(p.read_bytes().decode("utf-8", errors="replace") for p in folder.rglob("*") if p.is_file())


@pytest.fixture()
def pack_copy(tmp_path: Path, tiny_path: Path) -> Path:
    dest = tmp_path / "pack"
    shutil.copytree(tiny_path, dest)
    return dest


# ---- finding 1: the pack's own folder -----------------------------------------------------------------
@pytest.mark.parametrize("command", [["plan", "--no-report"], ["demand", "--no-charts"], ["backtest"],
                                     ["review"]])
def test_out_pointing_at_the_pack_folder_is_refused_and_the_pack_is_untouched(
        pack_copy: Path, command: list[str]) -> None:
    before = _hashes(pack_copy)
    result = CliRunner().invoke(cli, [command[0], str(pack_copy), "--out", str(pack_copy), *command[1:]])
    assert result.exit_code == 2, result.output
    assert "is the folder holding the input" in result.output and "Choose a new folder" in result.output
    assert _hashes(pack_copy) == before


def test_out_containing_the_pack_or_the_workbook_folder_is_refused(tmp_path: Path, pack_copy: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["plan", str(pack_copy), "--out", str(tmp_path), "--no-report"])
    assert result.exit_code == 2 and "contains the input" in result.output
    book = tmp_path / "book" / "pack.xlsx"
    assert runner.invoke(cli, ["convert", str(pack_copy), "--to", str(book)]).exit_code == 0
    result = runner.invoke(cli, ["plan", str(book), "--out", str(book.parent), "--no-report"])
    assert result.exit_code == 2 and "is the folder holding the input" in result.output
    result = runner.invoke(cli, ["convert", str(pack_copy), "--to", str(book)])
    assert result.exit_code == 2 and "does not overwrite a workbook" in result.output


def test_convert_and_sample_refuse_a_folder_with_the_users_files(tmp_path: Path, pack_copy: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "clinicians.csv").write_text("my own list\n")  # same name as an output: still the user's
    runner = CliRunner()
    for args in (["convert", str(pack_copy), "--to", str(mine)], ["sample", "--out", str(mine)]):
        result = runner.invoke(cli, args)
        assert result.exit_code == 2, result.output
        assert "did not write (clinicians.csv)" in result.output
    assert (mine / "clinicians.csv").read_text() == "my own list\n"
    assert runner.invoke(cli, ["convert", str(pack_copy), "--to", str(pack_copy)]).exit_code == 2


# ---- finding 2: nothing stale survives -----------------------------------------------------------------
def test_anonymised_rerun_replaces_the_whole_folder_leaving_no_real_name(tmp_path: Path, pack_copy: Path) -> None:
    out = tmp_path / "out"
    runner = CliRunner()
    first = runner.invoke(cli, ["plan", str(pack_copy), "--out", str(out), "--work-limit", "5"])
    assert first.exit_code == 0, first.output
    assert (out / "report.html").exists() and "Ada Ames" in _all_text(out)
    second = runner.invoke(cli, ["plan", str(pack_copy), "--out", str(out), "--anonymise", "--no-report",
                                 "--work-limit", "5"])
    assert second.exit_code == 0, second.output
    assert not (out / "report.html").exists() and not (out / "plan.xlsx").exists()
    assert not (out / "charts").exists()  # --no-report writes no charts either (finding 11)
    text = _all_text(out)
    for real in ("Ada Ames", "Ben Bell", "Sam Shaw", "Nia Nash"):
        assert real not in text
    manifest = pd.read_json(out / MANIFEST_NAME, typ="series")
    assert sorted(manifest["files"]) == sorted(p for p in _hashes(out) if p != MANIFEST_NAME)


def test_a_file_added_to_an_output_folder_is_never_deleted(tmp_path: Path, pack_copy: Path) -> None:
    out = tmp_path / "out"
    runner = CliRunner()
    assert runner.invoke(cli, ["demand", str(pack_copy), "--out", str(out), "--no-charts"]).exit_code == 0
    (out / "my_notes.txt").write_text("keep me")
    result = runner.invoke(cli, ["demand", str(pack_copy), "--out", str(out), "--no-charts"])
    assert result.exit_code == 2 and "also other files (my_notes.txt)" in result.output
    assert (out / "my_notes.txt").read_text() == "keep me"


def test_output_folder_swaps_only_on_success(tmp_path: Path) -> None:
    out = tmp_path / "o"
    with output_folder(out, "test") as stage:
        (stage / "a.csv").write_text("1\n")
        (stage / "old.csv").write_text("stale\n")
    with pytest.raises(RuntimeError), output_folder(out, "test") as stage:
        (stage / "a.csv").write_text("2\n")
        raise RuntimeError("failed half-way")
    assert (out / "a.csv").read_text() == "1\n" and (out / "old.csv").exists()  # untouched
    with output_folder(out, "test") as stage:
        (stage / "a.csv").write_text("3\n")
    assert sorted(_hashes(out)) == ["a.csv", MANIFEST_NAME]  # old.csv went with the previous run
    assert [p.name for p in tmp_path.iterdir()] == ["o"]  # no staging folder left behind
    check_output_folder(tmp_path / "new")  # a new folder is fine


def test_owned_folder_keeps_a_resumable_run_and_prunes_the_rest(tmp_path: Path) -> None:
    out = tmp_path / "s"
    first = OwnedFolder(out, "scenarios")
    (out / "a").mkdir()
    (out / "a" / "row.json").write_text("{}")
    (out / "comparison.csv").write_text("x\n")
    first.record([out / "a" / "row.json", out / "comparison.csv"])
    second = OwnedFolder(out, "scenarios", keep_previous=True)
    second.prune([out / "a" / "row.json"])
    assert sorted(_hashes(out)) == ["a/row.json", MANIFEST_NAME]
    OwnedFolder(out, "scenarios", keep_previous=False)
    assert sorted(_hashes(out)) == [MANIFEST_NAME]


# ---- finding 3: interrupts ---------------------------------------------------------------------------
class _SignalOnFirstSolution:
    """Wraps run_stoppable so that, on the chosen solve, the solver's first solution sends ``signum`` to
    this process from the solver thread: a real signal arriving mid-search, deterministically."""

    def __init__(self, signum: int, when: Any = lambda: True):
        from capacity_planner.interrupts import run_stoppable

        self.real, self.signum, self.when, self.sent = run_stoppable, signum, when, 0

    def __call__(self, solver: Any, solve: Any, **kw: Any) -> Any:
        from ortools.sat.python import cp_model

        if not self.when() or self.sent or not isinstance(solve, partial):
            return self.real(solver, solve, **kw)
        outer = self

        class Kill(cp_model.CpSolverSolutionCallback):
            def on_solution_callback(self) -> None:
                if not outer.sent:
                    outer.sent += 1
                    os.kill(os.getpid(), outer.signum)

        model = solve.args[0]
        solver.parameters.max_time_in_seconds = 600.0  # only the signal can end this solve early
        return self.real(solver, partial(solve.func, model, Kill()), **kw)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_plan_writes_nothing_and_exits_130(
        tmp_path: Path, pack_copy: Path, monkeypatch: pytest.MonkeyPatch, signum: int) -> None:
    S = importlib.import_module("capacity_planner.solver.solve")

    hook = _SignalOnFirstSolution(signum)
    monkeypatch.setattr(S, "run_stoppable", hook)
    out = tmp_path / "out"
    sigint_before = signal.getsignal(signal.SIGINT)  # default_int_handler, or SIG_IGN in a pytest-xdist worker
    t0 = time.perf_counter()
    result = CliRunner().invoke(cli, ["plan", str(pack_copy), "--out", str(out), "--time-limit", "600"])
    assert hook.sent == 1
    assert result.exit_code == 130, result.output
    assert "Interrupted" in result.output and "nothing of this run was written" in result.output
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["pack"]
    assert time.perf_counter() - t0 < 120  # stopped, not run to the 600 s limit
    assert signal.getsignal(signal.SIGINT) is sigint_before  # handlers restored


def _comparison(folder: Path) -> pd.DataFrame:
    frame = pd.read_csv(folder / "comparison.csv")
    return frame.drop(columns=[c for c in frame.columns if "seconds" in c])


def test_interrupted_sweep_keeps_only_finished_scenarios_and_resume_equals_an_uninterrupted_run(
        tmp_path: Path, pack_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import capacity_planner.scenarios as SC
    S = importlib.import_module("capacity_planner.solver.solve")

    spec = tmp_path / "options.toml"
    spec.write_text('[[scenario]]\nname = "locum-2ww"\nlocum = { "2ww" = 20 }\n\n'
                    '[[scenario]]\nname = "growth"\ngrowth = 0.1\n')
    args = ["scenarios", str(pack_copy), str(spec), "--work-limit", "5"]
    runner = CliRunner()
    whole = runner.invoke(cli, [*args, "--out", str(tmp_path / "whole")])
    assert whole.exit_code == 0, whole.output

    finished: list[str] = []
    real_progress = SC.text_progress

    def progress(*a: Any, **k: Any) -> Any:
        show = real_progress(*a, **k)
        return lambda ev: (finished.append(ev.scenario), show(ev))

    monkeypatch.setattr(SC, "text_progress", progress)
    hook = _SignalOnFirstSolution(signal.SIGINT, when=lambda: finished == ["baseline"])
    monkeypatch.setattr(S, "run_stoppable", hook)
    out = tmp_path / "sweep"
    cut = runner.invoke(cli, [*args, "--out", str(out)])
    assert hook.sent == 1 and cut.exit_code == 130, cut.output
    assert finished == ["baseline"]
    assert (out / "baseline" / "row.json").exists()
    assert not (out / "locum-2ww").exists() and not (out / "comparison.csv").exists()

    monkeypatch.setattr(S, "run_stoppable", hook.real)
    resumed = runner.invoke(cli, [*args, "--out", str(out)])
    assert resumed.exit_code == 0, resumed.output
    assert "baseline: optimal (resumed)" in resumed.output
    pd.testing.assert_frame_equal(_comparison(out), _comparison(tmp_path / "whole"))


EXE = [sys.executable, "-m", "capacity_planner.cli"]


@pytest.fixture(scope="module")
def service_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pack = tmp_path_factory.mktemp("svc") / "pack"
    subprocess.run([*EXE, "sample", "--size", "service", "--out", str(pack)], check=True, capture_output=True)
    return pack


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_a_real_solve_in_a_subprocess_stops_it(tmp_path: Path, service_pack: Path,
                                                                signum: int) -> None:
    """The real thing: the command in its own process, a signal while CP-SAT searches (service pack,
    one worker: about 16 s of search uninterrupted). Before the fix the search was cut short and the plan
    written with exit 0; an early version of the fix aborted at exit (a thread join interrupted)."""
    exe, pack = EXE, service_pack
    out = tmp_path / "out"
    proc = subprocess.Popen([*exe, "plan", str(pack), "--out", str(out), "--workers", "1", "--time-limit",
                             "600", "--no-report"], stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    for line in proc.stderr:
        if "routine demand:" in line:  # the routine level has started (console words, issue 17)
            break
    t0 = time.perf_counter()
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert f"Interrupted ({signal.Signals(signum).name})" in err
    assert time.perf_counter() - t0 < 10
    assert not out.exists()
