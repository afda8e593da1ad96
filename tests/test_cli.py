"""End-to-end tests of the command line with click's CliRunner."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from capacity_planner import __version__
from capacity_planner.cli import cli
from capacity_planner.pack.read import read_pack


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_every_command_has_help_with_an_example() -> None:
    runner = CliRunner()
    for name, command in cli.commands.items():
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, name
        assert "Example:" in result.output, f"{name} --help has no example"
        assert f"capacity-planner {name}" in result.output, name
        assert command.help


def test_validate_tiny_pack_prints_summary(tiny_path: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", str(tiny_path)])
    assert result.exit_code == 0, result.output
    assert "is a valid planning pack" in result.output
    assert "team: 4 clinicians" in result.output
    assert "planning year from 2026-04-06" in result.output


def test_validate_embedded_sample_without_arguments() -> None:
    result = CliRunner().invoke(cli, ["validate"])
    assert result.exit_code == 0, result.output
    assert "is a valid planning pack" in result.output


def test_convert_folder_to_workbook_and_back(tmp_path: Path, tiny_path: Path) -> None:
    runner = CliRunner()
    xlsx = tmp_path / "tiny.xlsx"
    result = runner.invoke(cli, ["convert", str(tiny_path), "--to", str(xlsx)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["convert", str(xlsx), "--to", str(tmp_path / "back"), "--format", "parquet"])
    assert result.exit_code == 0, result.output
    assert read_pack(tmp_path / "back").differences(read_pack(tiny_path)) == []


def test_convert_bad_pack_writes_nothing(tmp_path: Path) -> None:
    bad = Path(__file__).parent / "data" / "bad" / "wrong_type"
    result = CliRunner().invoke(cli, ["convert", str(bad), "--to", str(tmp_path / "out.xlsx")])
    assert result.exit_code == 2
    assert not (tmp_path / "out.xlsx").exists()
    assert list(tmp_path.iterdir()) == []


def test_unexpected_error_is_one_line_exit_1_and_traceback_with_debug(tmp_path: Path, tiny_path: Path,
                                                                       monkeypatch: object) -> None:
    import capacity_planner.pack.write as write_mod

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(write_mod, "write_pack", boom)  # type: ignore[attr-defined]
    runner = CliRunner()
    result = runner.invoke(cli, ["convert", str(tiny_path), "--to", str(tmp_path / "x")])
    assert result.exit_code == 1
    assert "error: RuntimeError: disk on fire (run with --debug for the traceback)" in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(cli, ["--debug", "convert", str(tiny_path), "--to", str(tmp_path / "x")])
    assert result.exit_code == 1
    assert "Traceback" in result.output
