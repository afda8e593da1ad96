"""Seeded generator of realistic synthetic planning packs (DESIGN.md sections 3 and 6).

``generate_sample("small", 0, Path("out"))`` writes a dermatology service of eight clinicians that
an NHS team would recognise: a two-week-wait suspected skin cancer clinic, routine new and follow-up
clinics, a minor operations list, the skin cancer MDT on Tuesday afternoons, specialist clinics,
ward referrals, clinical administration, SPA and management roles; three years of daily referrals
(growth, yearly seasonality, weekday pattern, English bank holidays, over-dispersed noise) and the
appointments they led to; the current job plans, rooms, costs and a waiting-list snapshot. The
current plans cover mean rapid-access demand but not its 80th centile, and leave follow-ups
backlogged, as many real services do.

The first quarter of the planning year (``delivered_weeks``, 13) is what the quarterly review
reads: an e-roster extract of delivered sessions by type (substantive; ``additional`` 2WW lists;
``locum`` 2WW lists by ``LOC01``…, who is not in the clinicians table; ``wli`` follow-up clinics for
the backlog), ``leave`` rows (whole weeks of annual and study leave, in which nothing is delivered,
and each bank holiday's share of a clinician's week), and the quarter's actual referrals and
appointments. They continue the same processes, except that 2WW demand runs 18 % ahead of its trend
(``review_demand_factor``), answered with additional lists, and the hospital cancels 13 % of
minor-operations bookings and a matching share of their lists
(``review_hospital_cancellation_rate``). Planning reads only the history before the plan start
(:func:`capacity_planner.workflow.history_only`); the quarter is drawn from its own random stream,
so the history is the same with or without it.

Sizes: ``small`` (8 clinicians, ~35 k appointment rows, CSV), ``service`` (40 clinicians, ~300 k
rows, CSV), ``large`` (one service of 160 clinicians, ~1.2 M rows, CSV) and ``trust`` (1,000
clinicians in 40 services, ~10 M rows, Parquet streamed service by service so memory stays bounded).
The same seed gives byte-identical files.

Parameters live in :class:`~capacity_planner.pack.samples_spec.ServiceSpec` and
:class:`~capacity_planner.pack.samples_spec.SampleSpec`; :func:`generate` writes any spec.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from capacity_planner._csv import safe_frame
from capacity_planner._files import check_output_folder, output_folder
from capacity_planner.pack import samples_history as H
from capacity_planner.pack.samples_spec import (
    COMMUNITY_SITE,
    MAIN_SITE,
    SIZES,
    TRAVEL_MINUTES,
    SampleSize,
    SampleSpec,
    ServiceSpec,
    sample_spec,
)
from capacity_planner.pack.samples_team import build_team, costs_table, slots_table
from capacity_planner.pack.write import write_table_files

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["SIZES", "SampleSize", "SampleSpec", "ServiceSpec", "generate", "generate_sample",
           "sample_spec"]

TableFormat = Literal["csv", "parquet"]
_SMALL_TABLES = ("clinicians", "activities", "skills", "slots", "rooms", "availability",
                 "job_plans", "requirements", "waiting_list", "costs", "delivered", "leave")


def generate_sample(size: SampleSize, seed: int, out: str | Path,
                    table_format: TableFormat | None = None) -> Path:
    """Write the standard sample pack of ``size`` drawn with ``seed`` to folder ``out``.

    Parameters
    ----------
    size : {"small", "service", "large", "trust"}
        See :func:`~capacity_planner.pack.samples_spec.sample_spec`.
    seed : int
        Seed of :func:`numpy.random.default_rng`; the same seed gives byte-identical files.
    out : path
        Folder to create, or replace as a whole when it holds a previous run's outputs
        (:mod:`capacity_planner._files`).
    table_format : {"csv", "parquet"} or None
        None: CSV for small and service, Parquet for trust.

    Returns
    -------
    Path
        ``out``.
    """
    if table_format is None:
        table_format = "parquet" if size == "trust" else "csv"
    return generate(sample_spec(size, seed), seed, out, table_format)


def generate(sample: SampleSpec, seed: int, out: str | Path,
             table_format: TableFormat = "csv") -> Path:
    """Write the pack described by ``sample`` with random seed ``seed`` to folder ``out``.

    Services are generated one after another and their referrals and appointments streamed to disk,
    so memory is bounded by the largest service. The folder appears complete or not at all.
    """
    if table_format not in ("csv", "parquet"):
        raise ValueError(f"table_format must be 'csv' or 'parquet', not {table_format!r}")
    out = Path(out)
    check_output_folder(out)
    days = H.Days.of(sample)
    children = np.random.SeedSequence(seed).spawn(len(sample.services))
    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in _SMALL_TABLES}
    with output_folder(out, "sample") as work:
        history_dir = work
        with _HistoryWriter(history_dir, table_format) as writer:
            for spec, child in zip(sample.services, children, strict=True):
                # The fourth stream (the review quarter) leaves the first three unchanged.
                team_rng, history_rng, roster_rng, quarter_rng = (np.random.default_rng(s)
                                                                  for s in child.spawn(4))
                team = build_team(spec, team_rng, sample.start)
                history = H.simulate(spec, team, days, history_rng, quarter_rng)
                writer.write(history, team.clinicians["clinician_id"].to_numpy(dtype=object))
                parts["clinicians"].append(team.clinicians)
                parts["activities"].append(team.activities)
                parts["skills"].append(team.skills)
                parts["rooms"].append(team.rooms)
                parts["availability"].append(team.availability)
                parts["job_plans"].append(team.job_plans)
                parts["requirements"].append(team.requirements)
                parts["waiting_list"].append(history.waiting_list)
                roster = H.roster(team, spec, sample.start, sample.delivered_weeks, roster_rng)
                parts["delivered"].append(roster.delivered)
                parts["leave"].append(roster.leave)
        parts["slots"].append(slots_table())
        parts["costs"].append(costs_table())
        tables = {name: pd.concat(frames, ignore_index=True) for name, frames in parts.items()}
        links = [{"activity_id": spec.activity_id("minor_ops"), "performer_group": "nurse",
                  "linked_group": "consultant"} for spec in sample.services if spec.supervised_nurse_lists]
        if links:  # a nurse-run minor-ops list needs a consultant on site (issue 19 item 3)
            tables["links"] = pd.DataFrame(links)
        if any(spec.two_sites for spec in sample.services):  # the main and community hospitals (item 4)
            tables["travel"] = pd.DataFrame([{"from_site": MAIN_SITE, "to_site": COMMUNITY_SITE,
                                              "minutes": TRAVEL_MINUTES}])
        write_table_files(tables, dict(sample.settings()), work, table_format)
    return out


class _HistoryWriter:
    """Streams the referrals and appointments of each service to CSV or Parquet."""

    def __init__(self, folder: Path, table_format: TableFormat) -> None:
        self.folder = folder
        self.format = table_format
        self._parquet: dict[str, Any] = {}
        self._csv_started: set[str] = set()

    def __enter__(self) -> _HistoryWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        for writer in self._parquet.values():
            writer.close()

    def write(self, history: H.History, clinician_ids: np.ndarray) -> None:
        """Append one service's referrals and appointments."""
        acts = np.asarray(history.activity_ids, dtype=object)
        r, a = history.referrals, history.appointments
        self._write("referrals", {
            "referral_date": ("date", r["day"]),
            "activity_id": ("dict", r["activity"], acts),
            "priority": ("dict", r["priority"], np.asarray(H.PRIORITIES, dtype=object)),
            "count": ("int", r["count"]),
        })
        self._write("appointments", {
            "appointment_date": ("date", a["day"]),
            "activity_id": ("dict", a["activity"], acts),
            "outcome": ("dict", a["outcome"], np.asarray(H.OUTCOMES, dtype=object)),
            "clinician_id": ("dict", a["clinician"], clinician_ids),
            "is_new": ("bool", a["is_new"]),
        })

    def _write(self, name: str, columns: Mapping[str, tuple[Any, ...]]) -> None:
        if self.format == "parquet":
            self._write_parquet(name, columns)
        else:
            self._write_csv(name, columns)

    def _write_parquet(self, name: str, columns: Mapping[str, tuple[Any, ...]]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        arrays = {}
        for col, (kind, values, *rest) in columns.items():
            if kind == "date":
                arrays[col] = pa.array(values.astype("datetime64[D]").astype("datetime64[ms]"))
            elif kind == "dict":
                arrays[col] = pa.DictionaryArray.from_arrays(
                    pa.array(values.astype(np.int32)), pa.array(rest[0].tolist(), type=pa.string()))
            else:
                arrays[col] = pa.array(values)
        table = pa.table(arrays)
        if name not in self._parquet:
            self._parquet[name] = pq.ParquetWriter(self.folder / f"{name}.parquet", table.schema,
                                                   compression="zstd")
        self._parquet[name].write_table(table)

    def _write_csv(self, name: str, columns: Mapping[str, tuple[Any, ...]]) -> None:
        data = {}
        for col, (kind, values, *rest) in columns.items():
            if kind == "date":
                data[col] = np.datetime_as_string(values.astype("datetime64[D]"), unit="D")
            elif kind == "dict":
                data[col] = rest[0][values]
            elif kind == "bool":
                data[col] = np.where(values, "true", "false")
            else:
                data[col] = values
        first = name not in self._csv_started
        self._csv_started.add(name)
        safe_frame(pd.DataFrame(data)).to_csv(self.folder / f"{name}.csv", mode="w" if first else "a",
                                  header=first, index=False, lineterminator="\n")
