"""The large extracts (appointments, referrals) are read as categoricals (issue 16: memory at trust scale)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

import capacity_planner as cp
from capacity_planner.pack.parse import CATEGORICAL_TABLES, _on_distinct, _text
from capacity_planner.pack.samples import generate_sample

if TYPE_CHECKING:
    from pathlib import Path


def test_values_equal_after_trimming_share_one_category() -> None:
    # " A" and "A" trim to the same text: one category; None stays missing, or becomes "" as text.
    raw = pd.Series([" A", "A", None, "B", "A "], dtype=object)
    out = _on_distinct(raw, lambda u: u.str.strip(), categorical=True)
    assert list(out.cat.categories) == ["A", "B"]
    assert out.cat.codes.tolist() == [0, 0, -1, 1, 0]
    text = _text(raw, categorical=True)
    assert text.tolist() == ["A", "A", "", "B", "A"] and set(text.cat.categories) == {"A", "B", ""}
    assert _text(raw).tolist() == text.tolist()  # same cells as the str path


def test_sample_extracts_are_categorical_with_the_files_values(tmp_path: Path) -> None:
    folder = generate_sample("small", 0, tmp_path / "s")
    pack = cp.read_pack(folder)
    assert {"appointments", "referrals"} == CATEGORICAL_TABLES
    files = {"appointments": pd.read_csv(folder / "appointments.csv", dtype=str, keep_default_na=False),
             "referrals": pd.read_csv(folder / "referrals.csv", dtype=str, keep_default_na=False)}
    for name, column in (("appointments", "activity_id"), ("appointments", "clinician_id"),
                         ("appointments", "outcome"), ("referrals", "priority")):
        series = getattr(pack, name)[column]
        assert isinstance(series.dtype, pd.CategoricalDtype), (name, column)
        read = series.astype("str").fillna("").to_numpy(dtype=object)
        np.testing.assert_array_equal(np.sort(read), np.sort(files[name][column].str.strip().to_numpy()))
    assert not isinstance(pack.delivered["clinician_id"].dtype, pd.CategoricalDtype)  # small tables: str
