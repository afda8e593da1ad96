"""Scenario files: parsing, grid sweeps, and precise errors for bad files."""

from __future__ import annotations

import tomllib
from typing import TYPE_CHECKING

import pytest

from capacity_planner.errors import PackValidationError
from capacity_planner.scenarios.parse import load_scenarios, parse_scenarios
from capacity_planner.scenarios.spec import (
    AddClinician,
    AllowAdditionalPas,
    BuySessions,
    CapExtraCost,
    ChangeActivityField,
    CloseActivities,
    LockCells,
    SetContractedPas,
    SetGrowth,
    example_scenarios_path,
)

if TYPE_CHECKING:
    from pathlib import Path


def _parse(text: str) -> list:
    return parse_scenarios(tomllib.loads(text), "s.toml")


def _problems(text: str) -> list:
    with pytest.raises(PackValidationError) as info:
        _parse(text)
    return list(info.value.problems)


def test_every_key_becomes_a_transform_in_application_order() -> None:
    [s] = _parse("""
[[scenario]]
name = "all"
description = "d"
wli = { new = { sessions = 80, cost_per_session = 650 } }
locum = { fu = 100 }
additional_pas = { per_clinician = 1, total = 4 }
dna_rate = { points = -0.02, activities = ["2ww"] }
percentile = 0.9
growth = 0.03
lock = { C02 = "all", C05 = ["Mon-AM"] }
recruit = { consultant = 2 }
contracted_pas = { C01 = 8 }
close_activities = ["minor_ops"]
""")
    assert s.name == "all" and s.description == "d"
    assert s.transforms == (
        CloseActivities(("minor_ops",)),
        SetContractedPas((("C01", 8.0),)),
        AddClinician(staff_group="consultant", count=2),
        LockCells(True, (("C02", None, None), ("C05", "Mon", "AM"))),
        SetGrowth(0.03),
        ChangeActivityField("dna_rate", "points", -0.02, ("2ww",)),
        ChangeActivityField("percentile", "set", 0.9),
        AllowAdditionalPas(1.0, 4.0, None),
        BuySessions("fu", "locum", 100.0),
        BuySessions("new", "wli", 80.0, 650.0),
    )


def test_sweep_expands_to_the_cartesian_product_with_readable_names() -> None:
    scenarios = _parse("""
[sweep]
dna_rate = { points = [0.0, -0.05] }
locum = { fu = [0, 100, 200] }
additional_pas = { total = 4 }
""")
    assert [s.name for s in scenarios] == [
        "dna-0_locum-0", "dna-0_locum-100", "dna-0_locum-200",
        "dna--0.05_locum-0", "dna--0.05_locum-100", "dna--0.05_locum-200"]
    s = scenarios[4]
    assert ChangeActivityField("dna_rate", "points", -0.05) in s.transforms
    assert BuySessions("fu", "locum", 100.0) in s.transforms
    assert AllowAdditionalPas(None, 4.0, None) in s.transforms  # fixed keys are copied to every scenario
    assert s.description == "dna_rate.points = -0.05, locum.fu = 100"


def test_sweep_labels_disambiguate_prefix_and_list_valued_keys() -> None:
    scenarios = _parse("""
[sweep]
name = "grid"
locum = { fu = [50], new = [0, 10] }
remove_clinicians = [[], ["C03", "C05"]]
close_activities = ["ext"]
[sweep.labels]
"locum.new" = "ln"
""")
    assert len(scenarios) == 1 * 2 * 2
    assert [s.name for s in scenarios] == [
        "grid_locum_fu-50_ln-0_remove-none", "grid_locum_fu-50_ln-0_remove-C03+C05",
        "grid_locum_fu-50_ln-10_remove-none", "grid_locum_fu-50_ln-10_remove-C03+C05"]
    assert all(CloseActivities(("ext",)) in s.transforms for s in scenarios)


def test_scenarios_and_sweep_together_keep_file_order() -> None:
    scenarios = _parse("""
[[scenario]]
name = "a"
growth = "auto"
[[scenario]]
name = "b"
[sweep]
growth = [0.01, 0.02]
""")
    assert [s.name for s in scenarios] == ["a", "b", "growth-0.01", "growth-0.02"]
    assert scenarios[0].transforms == (SetGrowth(None),)


def test_example_file_is_valid_and_shipped() -> None:
    path = example_scenarios_path()
    assert path.name == "scenarios.toml" and path.is_file()
    scenarios = load_scenarios(path)
    names = [s.name for s in scenarios]
    assert len(names) == len(set(names)) == 11 + 6
    assert "dna-reminders" in names and "budget-50k" in names and "dna--0.03_locum-200" in names


@pytest.mark.parametrize(("text", "source", "column", "value", "message"), [
    ('[[scenario]]\nname = "x"\ndna_rate = { points = "a lot" }', "s.toml, scenario 'x'", "dna_rate.points",
     "a lot", "expected a number"),
    ('[[scenario]]\nname = "x"\ndna_rate = 1.5', "s.toml, scenario 'x'", "dna_rate", "1.5", ">= 0 and < 1"),
    ('[[scenario]]\nname = "x"\ndna_rate = { points = -0.02, set = 0.1 }', "s.toml, scenario 'x'", "dna_rate",
     None, "exactly one of set"),
    ('[[scenario]]\nname = "x"\npercentile = { set = 1 }', "s.toml, scenario 'x'", "percentile.set", "1",
     "> 0 and < 1"),
    ('[[scenario]]\nname = "x"\nlocum = { fu = -3 }', "s.toml, scenario 'x'", "locum.fu", "-3", ">= 0"),
    ('[[scenario]]\nname = "x"\nlocum = { fu = 3 }\nwli = { fu = 2 }', "s.toml, scenario 'x'", "wli.fu", "2",
     "one kind of bought session"),
    ('[[scenario]]\nname = "x"\nrecruit = { surgeon = 1 }', "s.toml, scenario 'x'", "recruit.surgeon", "1",
     "unknown staff group"),
    ('[[scenario]]\nname = "x"\nrecruit = { consultant = 1.5 }', "s.toml, scenario 'x'",
     "recruit.consultant", "1.5", "whole number"),
    ('[[scenario]]\nname = "x"\nlock = { C01 = ["Mon-XX"] }', "s.toml, scenario 'x'", "lock.C01", "Mon-XX",
     "Mon-AM"),
    ('[[scenario]]\nname = "x"\ncontracted_pas = { C01 = 0 }', "s.toml, scenario 'x'", "contracted_pas.C01",
     "0", "> 0"),
    ('[[scenario]]\nname = "x"\nextra_rooms = { clinic_room = 0.5 }', "s.toml, scenario 'x'",
     "extra_rooms.clinic_room", "0.5", "whole number"),
    ('[[scenario]]\nname = "x"\ndna = 0.1', "s.toml, scenario 'x'", "dna", "0.1", "unknown key"),
    ('[[scenario]]\nname = "x"\n[[scenario.add_clinician]]\npas = 8', "s.toml, scenario 'x'",
     "add_clinician.staff_group", None, "expected text"),
    ('[[scenario]]\nname = "x"\n[[scenario.add_activity]]\nactivity_id = "y"\ncategory = "DCX"',
     "s.toml, scenario 'x'", "add_activity.category", "DCX", "expected one of DCC"),
    ('[[scenario]]\nname = "bad name!"', "s.toml, scenario 'bad name!'", "name", "bad name!", "letters"),
    ('[[scenario]]\nname = "baseline"', "s.toml, scenario 'baseline'", "name", "baseline", "reserved"),
    ('[[scenario]]\nname = "a"\n[[scenario]]\nname = "A"', "s.toml, scenario 'A'", "name", "A", "unique"),
    ('[sweep]\ngrowth = 0.02', "s.toml, scenario 'sweep'", "sweep", "", "at least one list"),
    ('[sweep]\ndna_rate = { points = [0, 2] }', "s.toml, scenario 'dna-2'", "dna_rate.points", None, None),
    ('[sweep]\ndna_rate = [0.1, 2]', "s.toml, scenario 'dna-2'", "dna_rate", "2", ">= 0 and < 1"),
    ("[[scenario]]\nname = 'x'\n[other]\na = 1", "s.toml", "other", None, "unknown top-level key"),
])
def test_bad_files_name_scenario_key_and_value(text: str, source: str, column: str, value: str | None,
                                               message: str | None) -> None:
    if text.startswith("[sweep]\ndna_rate = { points = [0, 2] }"):
        assert len(_parse(text)) == 2  # points may be any number: the range is checked once applied
        return
    problems = _problems(text)
    hits = [p for p in problems if p.source == source and p.column == column]
    assert hits, [str(p) for p in problems]
    p = hits[0]
    if value is not None:
        assert p.value == value
    if message is not None:
        assert message in p.message
    assert source in str(p) and column in str(p)


def test_all_problems_are_reported_at_once() -> None:
    problems = _problems('[[scenario]]\nname = "x"\ngrowth = "fast"\nlocum = { fu = "many" }\n'
                         '[[scenario]]\nname = "y"\nremove_clinicians = "C01"\n')
    assert {(p.source, p.column) for p in problems} == {
        ("s.toml, scenario 'x'", "growth"), ("s.toml, scenario 'x'", "locum.fu"),
        ("s.toml, scenario 'y'", "remove_clinicians")}


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[scenario]]\nname = "x"\ngrowth = \n', encoding="utf-8")
    with pytest.raises(PackValidationError) as info:
        load_scenarios(bad)
    [p] = info.value.problems
    assert p.source == "bad.toml" and p.row == 3 and "not valid TOML" in p.message
    with pytest.raises(PackValidationError, match="cannot read"):
        load_scenarios(tmp_path / "missing.toml")
    empty = tmp_path / "empty.toml"
    empty.write_text("# nothing\n", encoding="utf-8")
    with pytest.raises(PackValidationError, match="no scenarios"):
        load_scenarios(empty)
    assert PackValidationError.exit_code == 2


def test_sweep_keeps_lists_of_slots_fixed() -> None:
    scenarios = _parse('[sweep]\nlock = { C01 = ["Mon-AM", "Tue-PM"] }\ngrowth = [0.01, 0.02]\n')
    assert [s.name for s in scenarios] == ["growth-0.01", "growth-0.02"]
    assert all(LockCells(True, (("C01", "Mon", "AM"), ("C01", "Tue", "PM"))) in s.transforms for s in scenarios)


def test_extra_budget_sweeps_with_a_short_label() -> None:
    scenarios = _parse("""
[sweep]
extra_budget = [0, 25000]
locum = { fu = 400 }
""")
    assert [s.name for s in scenarios] == ["budget-0", "budget-25000"]
    assert CapExtraCost(25000.0) in scenarios[1].transforms
