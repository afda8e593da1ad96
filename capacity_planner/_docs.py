"""Render reference docs from the code, so they cannot drift: ``docs/data-pack.md`` tables from the
schema and ``docs/cli.md`` from the click help. ``tests/test_docs.py`` checks the committed files match;
regenerate with ``python -m capacity_planner._docs``.
"""

from __future__ import annotations

from pathlib import Path

import click

from capacity_planner.pack.build import __doc__ as DEFAULTS_DOC
from capacity_planner.pack.schema import SETTINGS, TABLES, ColumnSpec

DOCS = Path(__file__).resolve().parents[1] / "docs"

_KIND = {"id": "text (ID)", "text": "text", "float": "number", "int": "whole number", "bool": "true/false",
         "date": "date", "label": "label"}

DATA_PACK_INTRO = """# The planning pack

A planning pack is everything capacity_planner needs to know about one service for one planning year:
a **folder** holding the tables below as `NAME.csv` (UTF-8, as Excel's "CSV UTF-8" writes it; a
byte-order mark and Windows line endings are fine) or `NAME.parquet`, plus an optional `pack.toml`;
or **one Excel workbook** with a sheet per table (sheet name = table name) and a sheet `settings` with
`key` / `value` columns (`planning.start`, `demand.percentile`, ...).

* Column names are case-insensitive and trimmed; columns in any order; unknown columns are kept, ignored
  and reported as a warning.
* Dates: ISO `2026-04-01`, UK `01/04/2026` (also `01-04-2026`, `01.04.2026`, `01-Apr-2026` or `1 April 2026`:
  always day first), or an Excel date. IDs are text (`007` stays `007`).
* Booleans: `true`/`false`, `yes`/`no`, `y`/`n`, `1`/`0`, any case. Days accept `Mon` or `Monday`.
* A blank cell takes the default listed below; every default applied is recorded, and reports list them.
* Required for `demand`: `activities`, `referrals`. Required for `plan`: also `clinicians`, `skills`.
* `capacity-planner validate PACK` lists every problem at once, each with the file or sheet, the row as
  Excel shows it (header = row 1), the column, the value and what was expected.
* `capacity-planner convert PACK --to FILE.xlsx` (or `--to DIR`) converts losslessly: blank cells stay
  blank, unknown columns are kept.

Tables marked *(extension)* are not in DESIGN.md section 3; they were added where planning needed them and
are optional.

This file is generated from `capacity_planner/pack/schema.py` by `python -m capacity_planner._docs`.
"""


def _limits(c: ColumnSpec) -> str:
    if c.kind == "label":
        return ", ".join(c.choices)
    if c.kind in ("float", "int"):
        return c.expected().replace("a number ", "").replace("a whole number ", "").replace("a number", "")
    return ""


def render_data_pack() -> str:
    """Markdown reference of every table and column, generated from the schema."""
    out = [DATA_PACK_INTRO]
    for spec in TABLES.values():
        title = f"## `{spec.name}`" + (" *(extension)*" if spec.extension else "")
        out.append("\n" + title + "\n\n")
        out.append(spec.description[0].upper() + spec.description[1:] + ".")
        if spec.key:
            out.append(f" Each row is identified by {' + '.join(spec.key)} (no repeats).")
        out.append("\n\n| column | required | type | allowed | meaning |\n|---|---|---|---|---|\n")
        for c in spec.columns:
            out.append(f"| `{c.name}` | {'**yes**' if c.required else ''} | {_KIND[c.kind]} | {_limits(c)} | "
                       f"{c.description} |\n")
        out.append("\n")
    out.append("## `pack.toml` (or the `settings` sheet)\n\n| key | type | default | meaning |\n"
               "|---|---|---|---|\n")
    for s in SETTINGS:
        default = "none" if s.default is None else (", ".join(s.default) if isinstance(s.default, list)
                                                    else str(s.default))
        kind = s.kind if not s.choices else "one of " + ", ".join(s.choices)
        out.append(f"| `{s.key}` | {kind} | `{default}` | {s.description} |\n")
    out.append("\n## Defaults applied to blank cells\n\n")
    body = (DEFAULTS_DOC or "").split("\n\n", 1)[1].strip()
    out.append(body + "\n")
    return "".join(out)


def render_cli() -> str:
    """Markdown of every command's ``--help``."""
    from capacity_planner.cli import cli

    lines = [
        "# Command-line reference\n",
        "Generated from the click help by `python -m capacity_planner._docs`; a test keeps it in sync.\n",
        "Exit codes: 0 done (a plan that leaves a gap is still done); 2 the input is wrong (every "
        "problem printed), or `--out` is a folder the run may not own; 3 the contract rules cannot all "
        "hold (explained); 4 `scenarios` finished but at least one scenario failed (its reason printed); "
        "130 interrupted by Ctrl-C or SIGTERM (the solver is stopped and nothing of the run is written; a "
        "scenario sweep keeps the scenarios that had finished, and a rerun resumes); 1 anything else "
        "(`--debug` shows the traceback).\n",
        "Output folders (`--out`, and `convert --to` a folder): a command writes only into a new or empty "
        "folder, or one holding a previous capacity-planner run's outputs, marked by its manifest "
        "`capacity_planner_run.json`. It refuses the pack's own folder, a folder containing the pack and "
        "a folder holding any other files (exit 2, saying why). A run replaces a previous run's outputs "
        "as a whole, only once it has succeeded: nothing stale survives (an anonymised rerun leaves no "
        "earlier report with real names), and a failed or interrupted run leaves the folder as it was. "
        "Every CSV written is safe to open in Excel: text starting with `=`, `+`, `-`, `@`, tab or CR "
        "gets an apostrophe in front (Excel's text mark; the tool's readers remove it).\n",
    ]
    # The same help options as the real command line (click caches them per command).
    ctx = click.Context(cli, info_name="capacity-planner", max_content_width=100, terminal_width=100,
                        help_option_names=["-h", "--help"])
    lines.append("## capacity-planner\n\n```text\n" + cli.get_help(ctx) + "\n```\n")
    for name in sorted(cli.commands):
        cmd = cli.commands[name]
        sub = click.Context(cmd, info_name=f"capacity-planner {name}", parent=ctx, max_content_width=100,
                            terminal_width=100)
        lines.append(f"## capacity-planner {name}\n\n```text\n{cmd.get_help(sub)}\n```\n")
    return "\n".join(lines)


def main() -> None:
    """Write docs/data-pack.md and docs/cli.md."""
    DOCS.mkdir(exist_ok=True)
    (DOCS / "data-pack.md").write_text(render_data_pack(), encoding="utf-8")
    (DOCS / "cli.md").write_text(render_cli(), encoding="utf-8")


if __name__ == "__main__":
    main()
