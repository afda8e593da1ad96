"""Settings survive a written pack (found in session 7: a meeting's agreed pack dropped
``planning.weekday_true_supply = false`` set in memory, because only explicitly set keys were written)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import capacity_planner as cp
from capacity_planner.pack.settings import settings_to_values

if TYPE_CHECKING:
    from pathlib import Path


def test_a_setting_changed_in_memory_is_written_and_read_back(tmp_path: Path) -> None:
    pack = cp.sample_pack()
    changed = pack.replace(settings=dataclasses.replace(pack.settings, weekday_true_supply=False,
                                                        alternate_weeks=False))
    assert "planning.weekday_true_supply" not in changed.settings.explicit  # replaced, not read
    cp.write_pack(changed, tmp_path / "p")
    again = cp.read_pack(tmp_path / "p").settings
    assert again.weekday_true_supply is False and again.alternate_weeks is False


def test_defaults_stay_implicit() -> None:
    values = settings_to_values(dataclasses.replace(cp.sample_pack().settings, explicit=frozenset()))
    # only what differs from its default: the sample's name (the plan start is written only when given)
    assert values == {"planning.name": "Dermatology 2027/28 (synthetic sample)"}
