"""The ``capacity-planner`` command line: thin click commands, one library call each.

Exit codes: 0 done; 2 the input is wrong (every problem printed; also an ``--out`` folder the run may not
own); 3 the contract rules cannot all hold (explained in plain words); 4 a scenario sweep finished but some
scenarios failed; 130 interrupted by Ctrl-C or SIGTERM (nothing written); 1 anything else (one line; the
traceback only with ``--debug``).
"""

from __future__ import annotations

import errno
import itertools
import math
import re
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from capacity_planner._version import __version__
from capacity_planner.errors import CapacityPlannerError, PackValidationError

if TYPE_CHECKING:
    from capacity_planner.application import PlanRun
    from capacity_planner.pack.model import PlanningPack
    from capacity_planner.plan_summary import PartRecord

EXIT_SCENARIOS_FAILED = 4
PLANNED_STATUSES = ("optimal", "feasible")
OUT_HELP = "Folder to write: new, empty, or a previous run's outputs (replaced as a whole)."
PACK_HELP = "PACK is a folder of CSV/Parquet tables (+ pack.toml) or an .xlsx workbook; " \
            "omit it to use the embedded sample."


class _Group(click.Group):
    """Turns our exceptions into messages and exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        from capacity_planner.interrupts import EXIT_INTERRUPTED, handle_interrupts

        try:
            with handle_interrupts():
                return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt as exc:
            how = getattr(exc, "signal_name", "SIGINT")
            click.echo(f"\nInterrupted ({how}): stopped; nothing of this run was written (a scenario sweep "
                       "keeps the scenarios that had finished; run it again to resume).", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except PackValidationError as exc:
            _print_problems(exc)
            ctx.exit(exc.exit_code)
        except CapacityPlannerError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except Exception as exc:
            disk = _disk_problem(exc)
            if disk:
                click.echo(f"error: {disk}", err=True)
            elif ctx.obj and ctx.obj.get("debug"):
                traceback.print_exc()
            else:
                click.echo(f"error: {type(exc).__name__}: {exc} (run with --debug for the traceback)",
                           err=True)
            ctx.exit(1)


_DISK_ERRORS = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
                errno.EROFS: "the disk is read-only", errno.EACCES: "permission denied",
                errno.EPERM: "permission denied"}


def _disk_problem(exc: BaseException) -> str | None:
    """A plain message for a write that the disk refused (full, read-only, no permission), else None."""
    if not isinstance(exc, OSError) or exc.errno not in _DISK_ERRORS:
        return None
    return (f"cannot write {exc.filename or 'the outputs'}: {_DISK_ERRORS[exc.errno]}. Nothing was written; "
            "free some space (or choose another --out) and run again.")


def _print_problems(exc: PackValidationError) -> None:
    errors, warnings = exc.errors, exc.warnings
    click.echo(f"{exc.subject[0].upper()}{exc.subject[1:]} has {len(errors)} problem(s) to fix"
               + (f" and {len(warnings)} warning(s)" if warnings else "") + ":", err=True)
    for p in exc.ordered():  # errors, then warnings; each sorted by file or sheet and row
        click.echo(f"  - {p}", err=True)
    click.echo("Nothing was written.", err=True)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="capacity-planner")
@click.option("--debug", is_flag=True, help="Show the full traceback of unexpected errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Match NHS clinical workforce capacity to patient demand and propose team job plans.

    --out must be a new or empty folder, or one holding only a previous run's outputs (marked by
    capacity_planner_run.json), which the run replaces as a whole once it succeeds; the pack's own
    folder and folders with other files are refused (exit 2). Ctrl-C or SIGTERM stops a run: nothing
    is written and the exit code is 130.

    \b
    Example:
        capacity-planner validate my_service.xlsx
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def _stage(message: str) -> None:
    """What a command is doing, on stderr, so a long read or solve does not look stuck (issue 17)."""
    click.echo(message, err=True)


def _print_warnings(loaded: PlanningPack) -> None:
    """The pack's warnings (unknown settings and columns, defaulted DNA rates...), one a line as ``validate``
    prints them: a command that reads a pack and goes on says what it ignored or assumed (issue 12)."""
    for w in loaded.warnings:
        click.echo(f"  - {w}")


def _pack_argument(f: Any) -> Any:
    return click.argument("pack", required=False, type=click.Path(path_type=Path))(f)


@cli.command()
@click.option("--size", type=click.Choice(["small", "service", "large", "trust"]), default="small",
              show_default=True,
              help="small ≈ 8 clinicians; service ≈ 40; large = 160 in one service; trust ≈ 1,000 over "
                   "40 services.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed (same seed, same files).")
@click.option("--out", "out", type=click.Path(path_type=Path), required=True, help=OUT_HELP)
@click.option("--format", "table_format", type=click.Choice(["csv", "parquet"]), default=None,
              help="Table files (default: csv, parquet for trust).")
def sample(size: str, seed: int, out: Path, table_format: str | None) -> None:
    """Generate a realistic synthetic planning pack.

    \b
    Example:
        capacity-planner sample --size service --seed 1 --out packs/service
    """
    from capacity_planner.pack.samples import generate_sample

    path = generate_sample(size, seed, out, table_format)  # type: ignore[arg-type]
    click.echo(f"Wrote a {size} sample pack (seed {seed}) to {path}")


@cli.command()
@_pack_argument
@click.option("--for", "purpose", type=click.Choice(["demand", "plan"]), default="plan",
              show_default=True, help="Check the tables needed for demand sizing only, or for planning.")
def validate(pack: Path | None, purpose: str) -> None:
    """Check a planning pack and print every problem at once.

    Each problem names the file or sheet, the row as seen in Excel (header = row 1), the column, the
    value and what was expected. Exit code 2 when there are problems. PACK is a folder or .xlsx;
    omit it to check the embedded sample.

    \b
    Example:
        capacity-planner validate my_service.xlsx
        capacity-planner validate packs/derm --for demand
    """
    from capacity_planner.pack.read import read_pack
    from capacity_planner.pack.summary import summarise_pack

    _stage(f"Reading {pack or 'the embedded sample'}…")
    loaded = read_pack(pack, purpose=purpose)  # type: ignore[arg-type]
    _print_warnings(loaded)
    click.echo(f"OK: {loaded.source.path} is a valid planning pack"
               + (f" ({len(loaded.warnings)} warning(s) above)" if loaded.warnings else "") + ".")
    click.echo(summarise_pack(loaded))


@cli.command()
@_pack_argument
@click.option("--to", "dest", type=click.Path(path_type=Path), required=True,
              help="Destination: a folder, or a file ending in .xlsx.")
@click.option("--format", "table_format", type=click.Choice(["csv", "parquet"]), default="csv",
              show_default=True, help="Table files when writing a folder.")
def convert(pack: Path | None, dest: Path, table_format: str) -> None:
    """Convert a pack between a folder (CSV/Parquet + pack.toml) and one .xlsx workbook, losslessly.

    \b
    Example:
        capacity-planner convert packs/derm --to derm.xlsx
        capacity-planner convert derm.xlsx --to packs/derm --format parquet
    """
    from capacity_planner.pack.read import read_pack
    from capacity_planner.pack.write import write_pack

    _stage(f"Reading {pack or 'the embedded sample'}…")
    loaded = read_pack(pack)
    _print_warnings(loaded)
    _stage(f"Writing {dest}…")
    written = write_pack(loaded, dest, table_format)  # type: ignore[arg-type]
    click.echo(f"Wrote {written}")


@cli.command("import")
@click.argument("mappings", nargs=-1, type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(path_type=Path), required=True,
              help="The pack to write: a folder, or a file ending in .xlsx.")
@click.option("--base", type=click.Path(path_type=Path), default=None,
              help="A pack (folder or .xlsx) whose tables are kept unless imported: activities, job plans, "
                   "... (default: the mapping's [import] base; the embedded sample with the examples).")
@click.option("--for", "purpose", type=click.Choice(["any", "demand", "plan"]), default="any",
              show_default=True, help="Tables the imported pack must hold.")
@click.option("--format", "table_format", type=click.Choice(["csv", "parquet"]), default="csv",
              show_default=True, help="Table files when writing a folder.")
def import_(mappings: tuple[Path, ...], out: Path, base: Path | None, purpose: str,
            table_format: str) -> None:
    """Import an outpatient extract and a staff list into a pack, with column-mapping files (TOML).

    Each MAPPING file says which extract column (CSV, Parquet or .xlsx) fills which pack column;
    NHS Data Dictionary codes are read as they are, identical appointment rows are aggregated with a
    count, and a person with two posts becomes one clinician. Without MAPPING the shipped examples (a
    SUS-style outpatient extract and an ESR-style staff list) are imported onto the embedded sample.

    \b
    Example:
        capacity-planner import sus_outpatients.toml esr_staff.toml --base my_service.xlsx --out pack
        capacity-planner import --out example_pack                  # the shipped examples
    """
    from capacity_planner.intake import example_mapping_paths
    from capacity_planner.intake.importer import import_pack
    from capacity_planner.pack.read import sample_pack_path

    paths = list(mappings)
    if not paths:
        paths = example_mapping_paths()
        base = base or sample_pack_path()
    result = import_pack(paths, out, base=base, table_format=table_format,
                         purpose=purpose)  # type: ignore[arg-type]
    for w in result.warnings:
        click.echo(f"  - {w}")
    for note in result.notes:
        click.echo(f"note: {note}")
    read = ", ".join(f"{n} ({r:,} rows)" for n, r in result.source_rows.items())
    made = ", ".join(f"{n} {r:,}" for n, r in result.rows.items())
    click.echo(f"Read {read}.\nWrote {result.path}: {made} rows.")


@cli.command()
@_pack_argument
@click.option("--out", "out", type=click.Path(path_type=Path), required=True,
              help="The workbook to write (a file ending in .xlsx).")
@click.option("--empty", is_flag=True, help="Headers, drop-downs and instructions only, no rows.")
def template(pack: Path | None, out: Path, empty: bool) -> None:
    """Write an input workbook to fill in Excel: instructions, drop-downs and a job-plan grid.

    The workbook has an instructions sheet, the settings sheet, one sheet per table with frozen
    headers, sized columns and drop-downs (IDs, days, periods, labels), and the job plans as a grid
    (clinicians x weekly slots). It reads back as the same pack. PACK (default: the embedded sample)
    fills the rows; --empty leaves them for you.

    \b
    Example:
        capacity-planner template --empty --out my_service.xlsx
        capacity-planner template packs/derm --out derm_to_edit.xlsx
    """
    from capacity_planner.intake.template import write_template
    from capacity_planner.pack.read import read_pack

    loaded = None if empty else read_pack(pack)
    if loaded is not None:
        _print_warnings(loaded)
    written = write_template(loaded, out)
    click.echo(f"Wrote {written}: fill it in, then `capacity-planner validate {written}`")


@cli.command()
@_pack_argument
@click.option("--out", "out", type=click.Path(path_type=Path), required=True, help=OUT_HELP)
@click.option("--no-charts", is_flag=True, help="Skip the PNG charts.")
@click.option("--all-charts", is_flag=True,
              help="Draw both charts of every activity even when the pack has more than 40 activities.")
def demand(pack: Path | None, out: Path, no_charts: bool, all_charts: bool) -> None:
    """Size demand: weekly referrals -> forecast -> DNA-adjusted slots -> sessions and DCC hours.

    Needs only the activities and referrals tables. Writes requirements.csv, weekly_demand.csv
    (history and forecast, long format), charts/demand_<activity>.png and
    charts/spc_demand_<activity>.png (the XmR chart of weekly demand). Above 40 activities (a
    trust) it draws one overview chart instead, charts/demand_overview.png, unless --all-charts.

    \b
    Example:
        capacity-planner demand my_service.xlsx --out demand
    """
    from capacity_planner.demand.pipeline import fork_workers, format_requirements_table
    from capacity_planner.pack.read import read_pack
    from capacity_planner.workflow import run_demand

    loaded = read_pack(pack, purpose="demand", appointment_rows=False)  # counts suffice (issue 16)
    if no_charts and all_charts:
        raise click.UsageError("--no-charts and --all-charts contradict each other; give one")
    _print_warnings(loaded)
    run = run_demand(loaded, out, charts=False if no_charts else ("all" if all_charts else True),
                     workers=fork_workers())
    click.echo(format_requirements_table(run.demand))
    for note in run.notes[len(run.demand.notes):]:
        click.echo(f"note: {note}")
    click.echo(f"Wrote {len(run.files)} files to {out} (requirements.csv, weekly_demand.csv, charts/)")


@cli.command()
@_pack_argument
@click.option("--out", "out", type=click.Path(path_type=Path), required=True, help=OUT_HELP)
@click.option("--time-limit", "time_limit", type=click.FloatRange(0.1, 86400), default=None,
              help="Wall-clock seconds for the whole solve, all objective levels (default: pack.toml "
                   "solver.time_limit_s, 60).")
@click.option("--work-limit", "work_limit", type=click.FloatRange(0.01, 1e6), default=None,
              help="Stop on deterministic work instead (CP-SAT units, about a core-second each): the plan "
                   "is then the same on any machine (default: pack.toml solver.work_limit, none).")
@click.option("--seed", type=click.IntRange(0), default=None, help="Solver random seed (default 0).")
@click.option("--workers", type=click.IntRange(0, 256), default=None,
              help="Solver threads; 0 = all cores. Same inputs, seed and workers give the same plan.")
@click.option("--anonymise", is_flag=True,
              help="Replace clinicians by pseudonyms (Clinician A, B, ...) in every output.")
@click.option("--no-report", is_flag=True, help="Write the CSV/JSON outputs only (no HTML/Excel/charts).")
@click.option("--executor", type=click.Choice(["process", "dask"]), default="process", show_default=True,
              help="Where the independent parts of a split pack (e.g. the services of a trust) are solved: "
                   "local processes, or a Dask cluster. The plan is the same.")
@click.option("--scheduler", default=None, help="Dask scheduler address (tcp://host:8786); default: a local "
                                                "cluster of --workers processes. Only with --executor dask.")
def plan(pack: Path | None, out: Path, time_limit: float | None, work_limit: float | None, seed: int | None,
         workers: int | None, anonymise: bool, no_report: bool, executor: str, scheduler: str | None) -> None:
    """Size demand, allocate the team's weekly sessions within contract rules, and write the meeting pack.

    Writes requirements.csv, weekly_demand.csv, allocation.csv, gaps.csv, clinicians.csv,
    changes.csv, gap_reasons.csv, summary.json, report.html, plan.xlsx and charts/ (the forecast
    and XmR chart of weekly demand per activity and the report's charts). A plan that
    leaves a gap is still done (exit 0); rules that cannot all hold give exit 3 with the reasons.

    \b
    Example:
        capacity-planner plan my_service.xlsx --out plan --time-limit 30
        capacity-planner plan --out demo --anonymise
        capacity-planner plan trust --out plan --executor dask --scheduler tcp://10.0.0.5:8786
    """
    from capacity_planner.pack.read import read_pack
    from capacity_planner.workflow import run_plan

    if scheduler and executor != "dask":
        raise click.UsageError("--scheduler needs --executor dask")
    loaded = read_pack(pack, purpose="plan")
    _print_warnings(loaded)

    def progress(level: str, best: float, bound: float, elapsed: float) -> None:
        from capacity_planner.console import progress_words  # plain words (issue 17)

        click.echo(f"  {elapsed:6.1f} s  {progress_words(level, best, bound)}", err=True)

    def part_progress(done: int, total: int, part: PartRecord) -> None:
        click.echo(f"  part {done}/{total} {part['name']} ({part['clinicians']} clinicians): "
                   f"{part['status']} in {part['seconds']:.1f} s", err=True)

    click.echo(f"Planning {loaded.settings.name}: {len(loaded.clinicians)} clinicians, "
               f"{len(loaded.activities)} activities", err=True)
    run = run_plan(loaded, out, time_limit_s=time_limit, seed=seed, workers=workers, anonymise=anonymise,
                   report=not no_report, progress=progress, work_limit=work_limit,
                   part_progress=part_progress, executor=executor,  # type: ignore[arg-type]
                   scheduler=scheduler)
    for note in run.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(_gap_table(run))
    from capacity_planner.solver.proof import unproven_lines

    for line in unproven_lines(run.plan.summary):  # the gap of a level cut short (issue 16)
        click.echo(line)
    click.echo(f"Status: {run.plan.summary.status}; outputs in {out}")
    if not no_report:
        click.echo(f"Report for the team meeting: {Path(out) / 'report.html'} (and plan.xlsx)")


def _gap_table(run: PlanRun) -> str:
    gaps = run.plan.gaps
    lines = [f"{'activity':<14}{'required':>10}{'current':>10}{'planned':>10}{'gap/yr':>10}"
             "   (sessions a year)"]
    for r in gaps.itertuples(index=False):
        lines.append(f"{r.activity_id:<14}{r.required_sessions_per_year:>10.0f}"
                     f"{r.current_sessions_per_year:>10.0f}{r.planned_sessions_per_year:>10.0f}"
                     f"{r.gap_sessions_per_year:>10.0f}")
    return "\n".join(lines)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(path_type=Path), required=True, help=OUT_HELP)
@click.option("--executor", type=click.Choice(["serial", "process", "dask"]), default="serial",
              show_default=True, help="Where scenarios run; the results are identical.")
@click.option("--scheduler", default=None, help="Dask scheduler address (tcp://host:8786); default: a "
                                                "local cluster. Only with --executor dask.")
@click.option("--workers", "max_workers", type=click.IntRange(1, 1024), default=None,
              help="Processes or Dask workers (default: the number of cores).")
@click.option("--work-limit", "work_limit", type=click.FloatRange(0.01, 1e6), default=None,
              help="Solver work per scenario, CP-SAT deterministic units of about a core-second "
                   "(default: pack.toml solver.work_limit, else solver.time_limit_s). Work, not seconds, "
                   "so results do not depend on the executor or the machine's load.")
@click.option("--time-limit", "time_limit", type=click.FloatRange(0.1, 86400), default=None,
              help="Wall-clock safety net per scenario, seconds (default: 10 x the work limit, >= 60).")
@click.option("--anonymise", is_flag=True, help="Pseudonyms for clinicians in every output.")
@click.option("--no-resume", is_flag=True, help="Re-run scenarios that already finished in --out.")
@click.pass_context
def scenarios(ctx: click.Context, paths: tuple[Path, ...], out: Path, executor: str, scheduler: str | None,
              max_workers: int | None, work_limit: float | None, time_limit: float | None, anonymise: bool,
              no_resume: bool) -> None:
    """Costed what-if plans side by side: capacity-planner scenarios [PACK] [SCENARIOS.toml].

    Each scenario transforms the pack (demand growth, DNA rate, recruitment, additional PAs, locum
    or WLI sessions, locks, rooms...) and is planned like `plan`. Writes comparison.csv,
    comparison.html, charts/ and one folder per scenario. Finished scenarios are kept, so an
    interrupted sweep (Ctrl-C: exit 130) resumes. Without SCENARIOS.toml the shipped example file is
    used. A scenario that fails (rules that cannot hold, no plan in time, an error) does not stop the
    others; its reason is printed and the exit code is 4.

    \b
    Example:
        capacity-planner scenarios --out whatif                       # sample + example file
        capacity-planner scenarios my_service.xlsx options.toml --out whatif --executor process
    """
    from capacity_planner.console import console_table
    from capacity_planner.pack.read import read_pack
    from capacity_planner.scenarios import example_scenarios_path, run_scenarios, text_progress

    if len(paths) > 2:
        raise click.UsageError("give at most PACK and SCENARIOS.toml")
    toml = [p for p in paths if p.suffix.lower() == ".toml"]
    packs = [p for p in paths if p.suffix.lower() != ".toml"]
    if len(toml) > 1 or len(packs) > 1:
        raise click.UsageError("give at most one PACK (folder or .xlsx) and one SCENARIOS.toml")
    loaded = read_pack(packs[0] if packs else None, purpose="plan")
    _print_warnings(loaded)
    spec = toml[0] if toml else example_scenarios_path()
    table = run_scenarios(loaded, spec, out, executor=executor, scheduler=scheduler,  # type: ignore[arg-type]
                          max_workers=max_workers, time_limit_s=time_limit, anonymise=anonymise,
                          progress=text_progress(), resume=not no_resume, work_limit=work_limit)
    click.echo(console_table(table, {
        "scenario": ("scenario", "text"), "status": ("status", "text"),
        "unmet_sessions_per_year": ("unmet sessions a year", "count"),
        "unmet_rapid_access_sessions_per_year": ("of which rapid access", "count"),
        "annual_cost": ("cost a year", "money"), "annual_cost_delta": ("change in cost", "money")}))
    click.echo(f"Comparison: {Path(out) / 'comparison.csv'} and {Path(out) / 'comparison.html'}")
    failed = table.loc[~table["status"].isin(PLANNED_STATUSES)]
    for row in failed.itertuples(index=False):
        click.echo(f"error: scenario {row.scenario} failed ({row.status}): {row.reason}", err=True)
    if len(failed):
        click.echo(f"{len(failed)} of {len(table)} scenario(s) failed; the others are complete "
                   f"(exit code {EXIT_SCENARIOS_FAILED}).", err=True)
        ctx.exit(EXIT_SCENARIOS_FAILED)


_THOUSANDS_GROUP = re.compile(r"\d{3}")
_LEADING_GROUP = re.compile(r"£?\d{1,3}")


def parse_budgets(text: str) -> list[float]:
    """The ``--budgets`` list: GBP a year, comma-separated, ``£`` and ``_`` allowed.

    A comma is the list's separator, so ``£1,000`` would read as £1 and £0: a group of exactly three digits
    right after a number of one to three digits (``1,000``, ``£2,500``, ``0,500``) is refused as a likely
    thousands separator, with the two ways to say either meaning (``1000`` or ``1_000``; a space after the
    comma, ``0, 500``, for two budgets).

    Examples
    --------
    >>> parse_budgets("0, 500, £25_000,100000")
    [0.0, 500.0, 25000.0, 100000.0]
    """
    tokens = text.split(",")
    for before, after in itertools.pairwise(tokens):
        if _LEADING_GROUP.fullmatch(before.strip()) and _THOUSANDS_GROUP.fullmatch(after):
            raise click.BadParameter(
                f"{text!r}: '{before.strip()},{after}' looks like a number with a thousands separator, but "
                f"commas separate budgets; write {before.strip()}{after} or {before.strip()}_{after} for one "
                f"budget, or put a space after the comma ('{before.strip()}, {after}') for two")
    try:
        amounts = [float(b.replace("£", "").replace("_", "")) for b in tokens if b.strip()]
    except ValueError as exc:
        raise click.BadParameter(f"{text!r}: expected numbers such as 0,25000,50000") from exc
    if not amounts or not all(math.isfinite(a) and a >= 0 for a in amounts):  # nan, inf, 1e400 too
        raise click.BadParameter("expected one or more budgets >= 0, such as 0,25000,50000")
    return amounts


@cli.command()
@_pack_argument
@click.option("--out", "out", type=click.Path(path_type=Path), required=True, help=OUT_HELP)
@click.option("--budgets", required=True,
              help="Extra GBP a year, comma-separated, e.g. 0,25000,50000,100000 (no thousands "
                   "separators: 25_000 or 25000; 1,000 is refused as ambiguous).")
@click.option("--levers", default=None,
              help="Comma-separated: additional_pas, locum, wli, locum:<activity>, wli:<activity> "
                   "(default: additional_pas, locum, wli).")
@click.option("--work-limit", "work_limit", type=click.FloatRange(0.01, 1e6), default=None,
              help="Solver work per budget, CP-SAT deterministic units of about a core-second (default: "
                   "pack.toml solver.work_limit, else solver.time_limit_s).")
@click.option("--time-limit", "time_limit", type=click.FloatRange(0.1, 86400), default=None,
              help="Wall-clock safety net per budget, seconds (default: 10 x the work limit, >= 60).")
def frontier(pack: Path | None, out: Path, budgets: str, levers: str | None, work_limit: float | None,
             time_limit: float | None) -> None:
    """Budget frontier: the least unmet demand reachable for each extra budget, and what it buys.

    For each budget the solver is given every lever (additional PAs, locum and WLI sessions) with
    the budget as a constraint on their annual cost, so each point is the least unmet demand that
    money can buy (proven when its status is optimal). Writes frontier.csv, charts/frontier.png and
    frontier.html (what each budget buys, in words).

    \b
    Example:
        capacity-planner frontier --budgets 0,25000,50000,100000 --out frontier
    """
    from capacity_planner.console import budget_line, console_table
    from capacity_planner.pack.read import read_pack
    from capacity_planner.scenarios import run_frontier
    from capacity_planner.scenarios.frontier import lever_problems

    amounts = parse_budgets(budgets)
    loaded = read_pack(pack, purpose="plan")
    _print_warnings(loaded)
    lever_list = [x.strip() for x in levers.split(",") if x.strip()] if levers else None
    problems = lever_problems(loaded, lever_list or [])
    if problems:
        raise click.BadParameter("; ".join(problems), param_hint="--levers")
    _stage(f"Planning {len(amounts)} budget(s): one solve each…")
    table = run_frontier(loaded, amounts, out, levers=lever_list, work_limit=work_limit,
                         time_limit_s=time_limit, on_budget=lambda ev: _stage(budget_line(
                             ev.done, ev.total, ev.budget, ev.status, ev.unmet_sessions_per_year,
                             ev.cost_used, ev.seconds)))
    click.echo(console_table(table, {
        "budget": ("budget a year", "money"), "status": ("status", "text"),
        "unmet_sessions_per_year": ("unmet sessions a year", "count"),
        "unmet_sessions_rapid_access_per_year": ("of which rapid access", "count"),
        "cost_used": ("spent", "money"), "levers_bought": ("levers bought", "text")}))
    for budget, reason in zip(table["budget"], table["reason"], strict=True):
        if reason:
            click.echo(f"note: £{float(budget):,.0f}: {reason}")
    click.echo(f"Wrote {Path(out) / 'frontier.csv'}, {Path(out) / 'charts' / 'frontier.png'} and "
               f"{Path(out) / 'frontier.html'}")


@cli.command()
@_pack_argument
@click.option("--out", "out", type=click.Path(path_type=Path), required=True, help=OUT_HELP)
def backtest(pack: Path | None, out: Path) -> None:
    """Rolling-origin check that the demand sizing is calibrated, next to a naive baseline.

    For each origin: train on the years before it, test on the next year; report, per activity
    (backtest.csv) and pooled per origin, the coverage of the sized level (share of weeks it meets),
    the coverage of the 60-95 % central intervals, the pinball loss of the sized level (as a ratio
    to the naive one), the MAE and the MASE of the mean forecast, against a naive percentile of the
    previous 52 weeks and the seasonal naive forecast. Writes backtest.csv.

    \b
    Example:
        capacity-planner backtest my_service.xlsx --out backtest
    """
    from capacity_planner._csv import write_csv
    from capacity_planner._files import check_output_folder
    from capacity_planner.demand.backtest import backtest_pack, summarise_backtest
    from capacity_planner.demand.pipeline import history_before
    from capacity_planner.pack.read import read_pack
    from capacity_planner.workflow import pack_inputs, staged_output

    read = read_pack(pack, purpose="demand")
    _print_warnings(read)
    loaded, _ = history_before(read)
    check_output_folder(out, inputs=pack_inputs(loaded))
    table = backtest_pack(loaded)
    with staged_output(out, "backtest", pack_inputs(loaded)) as stage:
        write_csv(table, stage / "backtest.csv")
    click.echo(summarise_backtest(table).round(3).to_string())
    click.echo(f"Wrote {Path(out) / 'backtest.csv'}")


@cli.command()
@_pack_argument
@click.option("--out", "out", type=click.Path(path_type=Path), required=True, help=OUT_HELP)
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="First day of the review period (default: the delivered extract's first week).")
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Last day of the review period (default: the delivered extract's last week).")
@click.option("--plan", "plan_dir", type=click.Path(path_type=Path, exists=True, file_okay=False),
              default=None, help="A `plan` output folder whose allocation is the agreed plan "
                                 "(default: the pack's job plans).")
@click.option("--threshold", type=click.FloatRange(0, 1000), default=10.0, show_default=True,
              help="Flag variances beyond this many percent.")
@click.option("--anonymise", is_flag=True,
              help="Clinicians appear as the pseudonyms plan --anonymise gives them (Clinician A, B, ...).")
@click.option("--no-charts", is_flag=True, help="Skip the XmR charts of sessions delivered a week.")
def review(pack: Path | None, out: Path, date_from: Any, date_to: Any, plan_dir: Path | None,
           threshold: float, anonymise: bool, no_charts: bool) -> None:
    """Quarterly review: planned vs delivered sessions, expected vs actual demand, and the KPIs.

    Reads the pack's delivered (e-roster) extract and, optionally, leave rows; referrals in the
    review weeks are the actual demand. Writes review.csv, kpis.csv, review.html and
    charts/spc_delivered*.png (XmR charts of sessions delivered a week). A --plan folder
    must come from this pack (its clinicians and activities, or this pack's pseudonyms when it was
    anonymised); another pack's plan is refused (exit 2).

    \b
    Example:
        capacity-planner review my_service.xlsx --out review_q1
        capacity-planner review --from 2027-04-05 --to 2027-07-04 --out review_q1
    """
    from capacity_planner._files import check_output_folder
    from capacity_planner.pack.read import read_pack
    from capacity_planner.review import run_review, write_review
    from capacity_planner.workflow import pack_inputs

    loaded = read_pack(pack, purpose="plan")
    _print_warnings(loaded)
    inputs = (*pack_inputs(loaded), plan_dir)
    check_output_folder(out, inputs=inputs)
    result = run_review(loaded, date_from.date() if date_from else None, date_to.date() if date_to else None,
                        plan_dir, threshold)
    written = write_review(loaded, result, out, inputs=inputs, anonymise=anonymise, charts=not no_charts)
    from capacity_planner.review.html import console_summary, review_notes

    shown, names = result.review, {c.clinician_id: c.name for c in loaded.clinicians if c.name}
    notes = review_notes(result, names)
    if anonymise:  # pseudonyms (Clinician A, B, ...) in place of IDs, and no names
        from capacity_planner.report.anonymise import Pseudonyms, anonymise_frame

        pseudonyms = Pseudonyms.from_pack(loaded)
        shown, names = anonymise_frame(shown, pseudonyms), {}
        notes = review_notes(result, dict(pseudonyms.mapping))
    for line in console_summary(result.period, shown, clinician_names=names, notes=notes,
                                activity_names={a.activity_id: a.name for a in loaded.activities if a.name}):
        click.echo(line)
    click.echo(f"Wrote {', '.join(p.relative_to(out).as_posix() for p in written)} to {out}")


@cli.command()
@click.option("--out", "out", type=click.Path(path_type=Path), default=Path("out/demo"), show_default=True,
              help="Folder to write the sample's meeting pack to.")
@click.pass_context
def demo(ctx: click.Context, out: Path) -> None:
    """Plan the embedded sample end to end and say where its meeting pack is: the first thing to run.

    The same as ``validate`` then ``plan --out OUT --time-limit 30`` on the embedded 8-clinician sample.
    Works wherever Python does, with or without ``make`` (on Windows: ``py -m capacity_planner demo``).

    \b
    Example:
        capacity-planner demo
        python -m capacity_planner demo --out my_first_plan
    """
    ctx.invoke(validate)  # click fills every option left out with its default
    ctx.invoke(plan, out=out, time_limit=30.0)


@cli.command()
@_pack_argument
@click.option("--out", "out", type=click.Path(path_type=Path), default=Path("meeting"), show_default=True,
              help="Folder Agree writes to (agreed_pack/, meeting_pack/, the meeting record). " + OUT_HELP)
@click.option("--time-limit", "time_limit", type=click.FloatRange(0.5, 3600), default=8.0, show_default=True,
              help="Wall-clock seconds a re-plan may take; a re-plan cut short says so (solve: feasible).")
@click.option("--workers", type=click.IntRange(0, 256), default=1, show_default=True,
              help="Solver threads; 0 = all cores.")
@click.option("--port", type=click.IntRange(0, 65535), default=0,
              help="Port on 127.0.0.1 (default: a free one).")
@click.option("--no-browser", is_flag=True, help="Print the address only; do not open a browser.")
def serve(pack: Path | None, out: Path, time_limit: float, workers: int, port: int, no_browser: bool) -> None:
    """Plan live in the team meeting: a local web page to lock, pin, re-plan, compare and agree.

    Plans the proposal, then serves the meeting page on 127.0.0.1 only, at an address with a random
    token (printed, and opened in the browser). Ctrl-C stops it. Needs the web extra:
    pip install "capacity_planner[serve]". See docs/serve.md.

    \b
    Example:
        capacity-planner serve my_service.xlsx --out meeting_2027
        capacity-planner serve --no-browser
    """
    from capacity_planner._files import check_output_folder
    from capacity_planner.application import PlanOptions
    from capacity_planner.pack.read import read_pack
    from capacity_planner.workflow import pack_inputs

    try:
        from capacity_planner.serve import MeetingSession, run_server
    except ImportError as exc:  # the optional web extra is not installed
        raise click.ClickException(f"serve needs the web extra ({exc.name} is missing): "
                                   'pip install "capacity_planner[serve]"') from exc
    loaded = read_pack(pack, purpose="plan")
    _print_warnings(loaded)
    check_output_folder(out, inputs=pack_inputs(loaded))  # refuse before planning, not at Agree
    _stage(f"Planning the proposal for {loaded.settings.name}: {len(loaded.clinicians)} clinicians")
    from capacity_planner.application import plan_pack

    proposal = plan_pack(loaded, PlanOptions(seed=0, workers=workers))  # pack.toml's time limit
    session = MeetingSession(loaded, PlanOptions(time_limit_s=time_limit, seed=0, workers=workers), proposal)
    run_server(session, out, port=port, open_browser=not no_browser,
               announce=lambda url: click.echo(f"Meeting page (this computer only; Ctrl-C stops it): {url}"))


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="capacity-planner")


if __name__ == "__main__":  # pragma: no cover
    main()
