"""NHS Data Model and Dictionary codes in the appointments table, turned into the pack's labels.

Outpatient extracts (SUS, HES, local PAS reports) carry Data Dictionary codes rather than our labels.
The appointments table accepts both; this module rewrites the codes as labels before the cells are
typed, so everything downstream sees one vocabulary. Sources (NHS Data Model and Dictionary, "ATTENDED
OR DID NOT ATTEND", "FIRST ATTENDANCE", "OUTCOME OF ATTENDANCE"):

=====================  ====  ==========================================================  =================
column                 code  Data Dictionary meaning                                      label
=====================  ====  ==========================================================  =================
outcome                5     attended on time, or arrived late but could be seen         attended
                       6     arrived late but was seen                                   attended
                       7     arrived late and could not be seen                          dna
                       3     did not attend, no advance warning                          dna
                       2     appointment cancelled by, or postponed at the request of,   cancelled_patient
                             the patient
                       4     appointment cancelled or postponed by the health care       cancelled_hospital
                             provider
                       0     not applicable: appointment occurs in the future            (row not counted)
is_new                 1     first attendance, face to face                              true
                       3     first attendance, telephone or telemedicine                 true
                       2     follow-up attendance, face to face                          false
                       4     follow-up attendance, telephone or telemedicine             false
                       5     referral to treatment clock stop administrative event       (row not counted)
outcome_of_attendance  1     discharged from consultant's care (last attendance)          discharged
                       2     another appointment given                                   another_appointment
                       3     appointment to be made at a later date                      appointment_later
=====================  ====  ==========================================================  =================

Code 7 counts with 3 as a DNA, as in the national outpatient activity returns. Rows with outcome 0 (an
appointment not yet held) and rows with FIRST ATTENDANCE 5 (an administrative event, not demand for an
appointment) are dropped on reading, with one warning per kind saying how many. Codes written as
numbers (Excel, Parquet) or with a leading zero (``05``) are read the same.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from capacity_planner.errors import Problem
from capacity_planner.pack.distinct import distinct
from capacity_planner.pack.raw import RawTable

ATTENDANCE_CODES: dict[str, str] = {
    "5": "attended", "6": "attended", "7": "dna", "3": "dna", "2": "cancelled_patient",
    "4": "cancelled_hospital",
}
FUTURE_CODE = "0"
FIRST_ATTENDANCE_CODES: dict[str, str] = {"1": "true", "3": "true", "2": "false", "4": "false"}
RTT_EVENT_CODE = "5"
OUTCOME_OF_ATTENDANCE_CODES: dict[str, str] = {
    "1": "discharged", "2": "another_appointment", "3": "appointment_later",
}

# Common NHS treatment function codes (NHS Data Model and Dictionary, TREATMENT FUNCTION CODE), used to
# name a service when an extract gives only the code.
TREATMENT_FUNCTIONS: dict[str, str] = {
    "100": "General Surgery", "101": "Urology", "110": "Trauma and Orthopaedics",
    "120": "Ear Nose and Throat", "130": "Ophthalmology", "140": "Oral Surgery",
    "160": "Plastic Surgery", "300": "General Internal Medicine", "301": "Gastroenterology",
    "302": "Endocrinology", "303": "Clinical Haematology", "320": "Cardiology", "330": "Dermatology",
    "340": "Respiratory Medicine", "361": "Nephrology", "370": "Medical Oncology", "400": "Neurology",
    "410": "Rheumatology", "420": "Paediatrics", "430": "Geriatric Medicine", "502": "Gynaecology",
    "800": "Clinical Oncology",
}


def treatment_function_name(code: object) -> str:
    """The name of a treatment function code (``"330"`` -> ``"Dermatology"``); unknown codes are named
    ``"treatment function <code>"``."""
    text = code_text(pd.Series([code])).iloc[0]
    return TREATMENT_FUNCTIONS.get(text, f"treatment function {text}")


def code_text(series: pd.Series) -> pd.Series:
    """Cells as code text: trimmed, whole numbers without ``.0``, leading zeros dropped (``"05"`` ->
    ``"5"``); missing cells become ``""``. Computed on the distinct values only."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    text = [_one_code(v) for v in uniques] + [""]
    return pd.Series(np.asarray(text, dtype=object)[codes], index=series.index, dtype=object)


def _one_code(value: object) -> str:
    if isinstance(value, bool | np.bool_):
        return str(value).lower()
    if isinstance(value, float | np.floating) and float(value).is_integer():
        value = int(value)
    text = str(value).strip()
    if text.isdigit():
        text = text.lstrip("0") or "0"
    return text


def translate_appointment_codes(table: RawTable, problems: list[Problem]) -> RawTable:
    """Rewrite Data Dictionary codes in an appointments table as labels; drop rows that are not counted.

    Parameters
    ----------
    table : RawTable
        The appointments table as read (cells not yet typed).
    problems : list of Problem
        Receives one warning per kind of dropped row (future appointments, RTT administrative events).

    Returns
    -------
    RawTable
        The same table with codes replaced by labels (other cells untouched, so the parser still reports
        anything it cannot read) and without the rows that are not appointments to count. Work is done on
        the distinct values of each column, so a 10-million-row extract costs one ``factorize`` a column.
    """
    frame = table.frame
    drop = np.zeros(len(frame), dtype=bool)
    replaced: dict[str, pd.Series] = {}
    rules = (("outcome", ATTENDANCE_CODES, FUTURE_CODE, "ATTENDED OR DID NOT ATTEND code 0: appointments "
              "not yet held, so they have no outcome to count"),
             ("is_new", FIRST_ATTENDANCE_CODES, RTT_EVENT_CODE, "FIRST ATTENDANCE code 5: "
              "referral-to-treatment administrative events, not appointments (not demand)"),
             ("outcome_of_attendance", OUTCOME_OF_ATTENDANCE_CODES, None, ""))
    for column, mapping, dropped_code, what in rules:
        if column not in frame.columns:
            continue
        d = distinct(frame[column])  # codes into the distinct cells (a categorical's own codes)
        uniques = list(d.values.iloc[: len(d.values) - int(d.has_missing)])
        text = [_one_code(v) for v in uniques]
        if dropped_code is not None and dropped_code in text:
            hit = d.expand_mask(np.arange(len(d.values)) == text.index(dropped_code))
            _warn_dropped(table, hit & ~drop, column, what, problems)
            drop |= hit
        if not any(t in mapping for t in text) and not all(isinstance(u, str) for u in uniques):
            continue  # typed cells (Excel/Parquet booleans) without codes: left as they are
        if all(t not in mapping for t in text) and isinstance(frame[column].dtype, pd.CategoricalDtype):
            continue  # labels already, as a categorical: nothing to rewrite
        labels = [mapping.get(t, u) for t, u in zip(text, uniques, strict=True)]
        # Handed on as a categorical: the parser's own pass over distinct values then costs nothing.
        category_codes, categories = pd.factorize(pd.Series(labels, dtype=object))
        lookup = pd.Series(pd.Categorical.from_codes(np.append(category_codes, -1), categories=categories))
        replaced[column] = d.expand(lookup).set_axis(frame.index)  # missing cells (last code) stay missing
    frame = frame.assign(**replaced) if replaced else frame
    if not drop.any():
        return RawTable(table.name, table.source, frame, table.rows, table.typed)
    frame = frame.loc[~drop].reset_index(drop=True)
    return RawTable(table.name, table.source, frame, table.rows[~drop], table.typed)


def _warn_dropped(table: RawTable, mask: np.ndarray, column: str, what: str,
                  problems: list[Problem]) -> None:
    n = int(mask.sum())
    if n:
        first = int(table.rows[np.flatnonzero(mask)[0]])
        problems.append(Problem(table.source, f"{n:,} row(s) with {what}; not counted (first on row "
                                f"{first})", None, column, None, "warning"))
