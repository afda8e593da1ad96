"""Running scenarios: outputs, failures that do not stop the others, identical results from the serial,
process and Dask executors, resuming an interrupted sweep, anonymisation."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest

import capacity_planner as cp
from capacity_planner.scenarios import ScenarioDone, parse_scenarios, run_scenarios
from capacity_planner.scenarios.runner import ROW_FILE

if TYPE_CHECKING:
    from capacity_planner.pack.model import PlanningPack

TINY = Path(__file__).parent / "data" / "tiny"
SCENARIOS = """
[[scenario]]
name = "busy-fu"
description = "Follow-up clinics see one patient every two sessions"
patients_per_session = { set = 0.5, activities = ["fu"] }

[[scenario]]
name = "busy-fu-locum"
patients_per_session = { set = 0.5, activities = ["fu"] }
locum = { fu = 100 }

[[scenario]]
name = "infeasible"
description = "A's locked MDT and SPA floor cannot fit in 2 PAs"
contracted_pas = { A = 2 }

[[scenario]]
name = "unknown-activity"
locum = { nope = 5 }

[[scenario]]
name = "recruit"
patients_per_session = { set = 0.5, activities = ["fu"] }
recruit = { sas = 1 }
"""
LIMIT = 5.0


@pytest.fixture(scope="module")
def tiny() -> PlanningPack:
    return cp.read_pack(TINY)


@pytest.fixture(scope="module")
def scenarios() -> list:
    return parse_scenarios(tomllib.loads(SCENARIOS), "t.toml")


@pytest.fixture(scope="module")
def serial(tiny: PlanningPack, scenarios: list, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("serial")
    run_scenarios(tiny, scenarios, out, work_limit=LIMIT)
    return out


def test_comparison_rows_figures_and_failures(serial: Path) -> None:
    df = pd.read_csv(serial / "comparison.csv").set_index("scenario")
    assert list(df.index) == ["baseline", "busy-fu", "busy-fu-locum", "infeasible", "unknown-activity", "recruit"]
    assert df["status"].to_dict() == {"baseline": "optimal", "busy-fu": "optimal", "busy-fu-locum": "optimal",
                                      "infeasible": "infeasible", "unknown-activity": "error",
                                      "recruit": "optimal"}
    assert "A: locked sessions" in df.loc["infeasible", "reason"]
    assert df.loc["unknown-activity", "reason"].startswith("locum = nope: not an activity of the pack")
    base, busy, locum = df.loc["baseline"], df.loc["busy-fu"], df.loc["busy-fu-locum"]
    assert base["unmet_sessions_per_year"] == 0 and base["annual_cost_delta"] == 0
    assert busy["unmet_sessions_per_year"] > 100
    # 100 locum sessions cut unmet demand by exactly 100 at the costs table's £950 a session
    assert locum["locum_sessions_per_year"] == 100
    assert locum["unmet_sessions_per_year"] == pytest.approx(busy["unmet_sessions_per_year"] - 100, abs=1e-3)
    assert locum["annual_cost_delta"] == pytest.approx(95_000)
    assert locum["cost_locum_sessions"] == pytest.approx(95_000)
    assert df.loc["recruit", "new_posts"] == 1 and df.loc["recruit", "new_post_pas"] == 10
    assert df.loc["recruit", "added_sessions_new_posts_per_year"] > 0
    # the added sessions by source add up to the fall in unmet demand from the current plan
    for name in ("busy-fu", "busy-fu-locum", "recruit"):
        r = df.loc[name]
        added = sum(r[f"added_sessions_{s}_per_year"] for s in
                    ("redistribution", "additional_pas", "locum", "wli", "new_posts"))
        assert added == pytest.approx(r["unmet_sessions_current_plan_per_year"] - r["unmet_sessions_per_year"],
                                      abs=1e-3)
    assert {"dcc_spa_ratio_consultant", "dcc_spa_ratio_sas", "dcc_spa_ratio_nurse"} <= set(df.columns)
    costs = pd.read_csv(serial / "costs.csv")
    assert costs.groupby("scenario")["annual_cost"].sum().round(2).to_dict() == \
        df["annual_cost"].dropna().to_dict()


def test_output_files(serial: Path) -> None:
    for name in ("comparison.csv", "comparison.html", "costs.csv", "gaps.csv", "charts/cost_vs_unmet.png",
                 "charts/gap_by_activity.png"):
        assert (serial / name).is_file(), name
    folder = serial / "busy-fu-locum"
    for name in ("allocation.csv", "gaps.csv", "clinicians.csv", "changes.csv", "summary.json",
                 "requirements.csv", "costs.csv", "scenario.json", ROW_FILE):
        assert (folder / name).is_file(), name
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["purchased_sessions"] == {"fu": 100}
    info = json.loads((folder / "scenario.json").read_text())
    assert info["spec"] == {"patients_per_session": {"set": 0.5, "activities": ["fu"]}, "locum": {"fu": 100}}
    assert any("locum" in n for n in info["notes"])
    assert not (serial / "unknown-activity" / "allocation.csv").exists()
    assert json.loads((serial / "infeasible" / "summary.json").read_text())["status"] == "infeasible"
    html = (serial / "comparison.html").read_text()
    assert "busy-fu-locum" in html and "data:image/png;base64," in html
    assert not list(serial.glob(".*"))  # no staging leftovers


@pytest.mark.slow
@pytest.mark.parametrize("executor", ["process", "dask"])
def test_executors_give_identical_results(executor: str, tiny: PlanningPack, scenarios: list, serial: Path,
                                          tmp_path: Path) -> None:
    df = run_scenarios(tiny, scenarios, tmp_path, executor=executor, max_workers=2, work_limit=LIMIT)  # type: ignore[arg-type]
    for name in ("comparison.csv", "costs.csv", "gaps.csv"):
        assert (tmp_path / name).read_bytes() == (serial / name).read_bytes(), name
    for name in ("allocation.csv", "gaps.csv", "clinicians.csv"):
        assert (tmp_path / "recruit" / name).read_bytes() == (serial / "recruit" / name).read_bytes()
    pd.testing.assert_frame_equal(df, run_scenarios(tiny, scenarios, tmp_path, work_limit=LIMIT))


@pytest.fixture(scope="module")
def cut_short(tmp_path_factory: pytest.TempPathFactory) -> tuple[PlanningPack, list, Path]:
    """Two scenarios on the embedded sample whose solves the work limit stops before every level is proven
    optimal (0.03 units; about 0.03 s on the benchmark machine), run serially."""
    pack = cp.sample_pack()
    specs = parse_scenarios(tomllib.loads('''
[[scenario]]
name = "growth"
growth = 0.1
[[scenario]]
name = "locum"
locum = { fu = 50 }
'''), "t.toml")
    out = tmp_path_factory.mktemp("cut-short-serial")
    run_scenarios(pack, specs, out, work_limit=0.03)
    return pack, specs, out


@pytest.mark.slow
@pytest.mark.parametrize("executor", ["process", "dask"])
def test_executors_agree_when_the_work_limit_stops_the_solver(
        executor: str, cut_short: tuple[PlanningPack, list, Path], tmp_path: Path) -> None:
    """Under a work limit the plan does not depend on the machine's load, so two solves at once in
    worker processes give the same bytes as one at a time, although no plan is proven optimal."""
    pack, specs, serial_out = cut_short
    df = run_scenarios(pack, specs, tmp_path, executor=executor, max_workers=2,  # type: ignore[arg-type]
                       work_limit=0.03)
    assert (df["status"] == "feasible").all()
    assert df["reason"].str.startswith("work limit reached before every level was proven optimal").all()
    for name in ("comparison.csv", "costs.csv", "gaps.csv"):
        assert (tmp_path / name).read_bytes() == (serial_out / name).read_bytes(), name
    for scenario in ("baseline", "growth", "locum"):
        for name in ("allocation.csv", "changes.csv"):
            assert (tmp_path / scenario / name).read_bytes() == (serial_out / scenario / name).read_bytes()


def test_resume_after_an_interruption(tiny: PlanningPack, scenarios: list, tmp_path: Path) -> None:
    events: list[ScenarioDone] = []

    def stop_after_three(ev: ScenarioDone) -> None:
        events.append(ev)
        if ev.done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_scenarios(tiny, scenarios, tmp_path, work_limit=LIMIT, progress=stop_after_three)
    finished = [e.scenario for e in events]
    assert finished == ["baseline", "busy-fu", "busy-fu-locum"]
    assert not (tmp_path / "comparison.csv").exists()
    stamps = {n: (tmp_path / n / ROW_FILE).stat().st_mtime_ns for n in finished}

    events.clear()
    df = run_scenarios(tiny, scenarios, tmp_path, work_limit=LIMIT, progress=events.append)
    assert [(e.scenario, e.resumed) for e in events] == [
        ("baseline", True), ("busy-fu", True), ("busy-fu-locum", True), ("infeasible", False),
        ("unknown-activity", False), ("recruit", False)]
    assert {n: (tmp_path / n / ROW_FILE).stat().st_mtime_ns for n in finished} == stamps  # not re-run
    assert len(df) == 6 and df["status"].tolist()[:3] == ["optimal"] * 3

    # a subset, then the full set with one scenario changed: only new or changed scenarios run
    events.clear()
    changed = parse_scenarios(tomllib.loads(SCENARIOS.replace("locum = { fu = 100 }", "locum = { fu = 50 }")),
                              "t.toml")
    run_scenarios(tiny, changed, tmp_path, work_limit=LIMIT, progress=events.append)
    assert [e.scenario for e in events if not e.resumed] == ["busy-fu-locum"]
    events.clear()
    run_scenarios(tiny, changed[:1], tmp_path, work_limit=LIMIT + 1, progress=events.append, resume=True)
    assert [e.resumed for e in events] == [False, False]  # another work limit: new inputs hash
    events.clear()
    run_scenarios(tiny, changed[:1], tmp_path, work_limit=LIMIT + 1, progress=events.append, resume=False)
    assert [e.resumed for e in events] == [False, False]


def test_bad_file_runs_nothing(tiny: PlanningPack, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[scenario]]\nname = "x"\ngrowth = "fast"\n', encoding="utf-8")
    with pytest.raises(cp.PackValidationError) as info:
        run_scenarios(tiny, bad, tmp_path / "out")
    [p] = info.value.problems
    assert (p.source, p.column, p.value) == ("bad.toml, scenario 'x'", "growth", "fast")
    assert not (tmp_path / "out").exists()


def test_anonymised_outputs_hold_no_identities(tmp_path: Path) -> None:
    from forbidden_scan import scan_for_forbidden

    from capacity_planner.report.anonymise import Pseudonyms

    pack = cp.read_pack()
    specs = parse_scenarios(tomllib.loads(
        '[[scenario]]\nname = "retire-C03"\ndescription = "Dr Sarah Okafor (C03) retires"\n'
        'remove_clinicians = ["C03"]\nadditional_pas = { per_clinician = 2, clinicians = ["C04"] }\n'), "t.toml")
    df = run_scenarios(pack, specs, tmp_path, work_limit=LIMIT, anonymise=True)
    assert df["scenario"].tolist() == ["baseline", "retire-clinician_c"]
    assert df.loc[1, "description"] == "Clinician C (Clinician C) retires"
    terms = Pseudonyms.from_pack(pack).forbidden_terms(name_parts=True)
    assert scan_for_forbidden(tmp_path, terms, whole_words=True) == []
    assert (tmp_path / "retire-clinician_c" / "clinicians.csv").read_text().count("Clinician ") == 7


def test_pack_digest_is_the_same_in_every_process(tmp_path: Path) -> None:
    """Resuming in a later run needs the same inputs hash, whatever the process's string hash seed (the
    pack's settings hold a frozenset)."""
    import os
    import subprocess
    import sys

    code = ("import capacity_planner as cp; from capacity_planner.scenarios.runner import pack_digest; "
            f"print(pack_digest(cp.read_pack({str(TINY)!r})))")
    digests = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              env={**os.environ, "PYTHONHASHSEED": seed}).stdout.strip() for seed in ("1", "2", "3")}
    assert len(digests) == 1


@pytest.mark.slow
def test_dask_scheduler_address(tiny: PlanningPack, scenarios: list, serial: Path, tmp_path: Path) -> None:
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        run_scenarios(tiny, scenarios[:2], tmp_path, executor="dask", scheduler=cluster.scheduler_address,
                      work_limit=LIMIT)
    got = (tmp_path / "comparison.csv").read_text().splitlines()
    assert got == (serial / "comparison.csv").read_text().splitlines()[:4]  # header, baseline, 2 scenarios
