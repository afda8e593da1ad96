"""The one output-folder writer: every command that writes files goes through it.

Ownership rule (DESIGN.md section 2; issue 15). A run writes into ``--out`` only when that folder

* does not exist yet, or is empty, or
* holds nothing but a previous capacity-planner run's outputs, as listed in its manifest
  (:data:`MANIFEST_NAME`, written last by every run).

It refuses (exit 2, saying why and what to do) the pack's own folder, a folder that contains the pack, a
file, and any folder holding files the manifest does not list (a user's own work is never deleted or
overwritten). A run replaces a previous run's outputs **as a whole**: the new outputs are built in a
staging folder next to ``--out`` and swapped in by renames only when everything succeeded, so nothing
stale survives (an anonymised rerun leaves no earlier ``report.html`` with real names) and an error or
an interrupt leaves the previous outputs untouched and nothing half-written.

Incremental writers (a scenario sweep keeps each scenario as it finishes, so an interrupted sweep can
resume) use :class:`OwnedFolder`: the folder is claimed under the same rule, every file written is
recorded in the manifest as it appears, and :meth:`OwnedFolder.finish` removes whatever the run did not
write.

The manifest is deterministic (no times, no version): a rerun on the same inputs gives identical
folders.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from capacity_planner.errors import CapacityPlannerError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence

MANIFEST_NAME = "capacity_planner_run.json"
WRITER = "capacity-planner"
# Files an operating system drops into any folder; never counted as the user's work.
_SYSTEM_FILES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})


class OutputFolderError(CapacityPlannerError):
    """``--out`` is not a folder this run may write (exit code 2: the input is wrong)."""

    exit_code = 2


# ---- the ownership rule -----------------------------------------------------------------------------
def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The manifest of a previous run in ``folder``, or None when there is none (or it is not ours)."""
    path = folder / MANIFEST_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("written_by") != WRITER or \
            not isinstance(data.get("files"), list):
        return None
    return data


def _files_in(folder: Path) -> list[str]:
    """Files under ``folder`` (relative, POSIX), leaving out system files and the hidden staging folders
    of an interrupted write of ours."""
    found = []
    for p in folder.rglob("*"):
        rel = p.relative_to(folder)
        if not (p.is_file() or p.is_symlink()) or p.name in _SYSTEM_FILES or \
                any(part.startswith(".") and ".staging-" in part for part in rel.parts[:-1]):
            continue
        found.append(rel.as_posix())
    return sorted(found)


def _contains(parent: Path, child: Path) -> bool:
    try:
        child.relative_to(parent)
    except ValueError:
        return False
    return True


def check_output_folder(out: str | Path, *, inputs: Iterable[str | Path | None] = ()) -> None:
    """Refuse ``out`` unless this run may own it (module docstring); ``inputs`` are the pack and other
    files the run reads.

    Raises
    ------
    OutputFolderError
        Naming the folder, why it is refused and what to do instead.
    """
    out = Path(out)
    target = out.resolve()
    for item in inputs:
        if item is None:
            continue
        source = Path(item).resolve()
        pack_folder = source if source.is_dir() else source.parent
        if target in (pack_folder, source):
            raise OutputFolderError(
                f"--out {out} is the folder holding the input {Path(item)}; writing there would overwrite "
                "or delete the pack. Choose a new folder for the outputs, e.g. --out "
                f"{out.parent / (out.name + '_outputs')}")
        if _contains(target, source):
            raise OutputFolderError(
                f"--out {out} contains the input {Path(item)}; a run replaces its output folder as a "
                "whole, so it would delete it. Choose a new folder for the outputs")
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise OutputFolderError(f"--out {out} exists and is not a folder; choose a new folder name")
    if not out.exists():
        return
    present = _files_in(out)
    if not present:
        return
    manifest = read_manifest(out)
    if manifest is None:
        shown = ", ".join(present[:5]) + (", ..." if len(present) > 5 else "")
        raise OutputFolderError(
            f"--out {out} already holds files that capacity-planner did not write ({shown}); it writes "
            "only into a new or empty folder, or one holding a previous run's outputs (marked by "
            f"{MANIFEST_NAME}), which it replaces as a whole. Choose a new folder, or move those files")
    listed = set(manifest["files"]) | {MANIFEST_NAME}
    foreign = [f for f in present if f not in listed]
    if foreign:
        shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
        raise OutputFolderError(
            f"--out {out} holds a previous run's outputs and also other files ({shown}); a run replaces "
            "its folder as a whole, so it would delete them. Move those files out, or choose a new folder")


def manifest_text(command: str, files: Sequence[str], *, complete: bool = True) -> str:
    """The manifest of a run: who wrote the folder, with which command, and every file it holds."""
    body = {"written_by": WRITER, "command": command, "complete": complete,
            "files": sorted(f for f in files if f != MANIFEST_NAME)}
    return json.dumps(body, indent=2) + "\n"


# ---- all-or-nothing folders -------------------------------------------------------------------------
@contextmanager
def output_folder(out: str | Path, command: str, *,
                  inputs: Iterable[str | Path | None] = ()) -> Iterator[Path]:
    """Stage a run's outputs and put them in place as ``out`` only if the block completes.

    Yields a staging folder (a hidden sibling of ``out``). On success the manifest is added and the
    staging folder replaces ``out`` (a previous run's folder is renamed aside, then deleted). On any
    exception, including an interrupt, the staging folder is deleted and ``out`` is left as it was.

    Raises
    ------
    OutputFolderError
        When ``out`` may not be written (:func:`check_output_folder`), checked before and again just
        before the swap.
    """
    out = Path(out)
    inputs = tuple(inputs)
    check_output_folder(out, inputs=inputs)
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.staging-", dir=out.parent))
    try:
        yield stage
        (stage / MANIFEST_NAME).write_text(manifest_text(command, _files_in(stage)), encoding="utf-8")
        check_output_folder(out, inputs=inputs)  # the user may have added files during a long run
        _swap_in(stage, out)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _swap_in(stage: Path, out: Path) -> None:
    if not out.exists():
        os.replace(stage, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    os.rmdir(old)
    os.replace(out, old)
    try:
        os.replace(stage, out)
    except BaseException:
        os.replace(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


@contextmanager
def output_file(dest: str | Path) -> Iterator[Path]:
    """A temporary path beside ``dest`` that replaces it only if the block completes (single files,
    e.g. ``convert --to pack.xlsx``)."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        yield workdir / dest.name
        os.replace(workdir / dest.name, dest)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def write_file_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` via a temporary sibling and a rename, so the file appears complete or
    not at all (the file gets the usual permissions of the user's umask)."""
    with output_file(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


@contextmanager
def replace_files(folder: str | Path, owned: Iterable[str] = ()) -> Iterator[Path]:
    """Stage files for ``folder`` (a hidden sibling folder) and move them in only if the block completes.

    For a folder inside a run's output that is rewritten as a whole (a scenario's folder in a sweep):
    each staged file replaces its namesake by a rename, and every file named in ``owned`` that the block
    did not write is removed, so nothing stale survives. On any exception the staging folder is deleted
    and ``folder`` is left as it was.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{folder.name}.staging-", dir=folder.parent))
    try:
        yield stage
        for stale in owned:
            if not (stage / stale).exists():
                (folder / stale).unlink(missing_ok=True)
        for path in sorted(p for p in stage.iterdir() if p.is_file() and not p.name.startswith(".")):
            os.replace(path, folder / path.name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


# ---- file names from user IDs ------------------------------------------------------------------------
_PLAIN_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,59}")


def file_stem(identifier: str) -> str:
    """A safe, unique file-name stem for a user's ID (an activity ID for its chart).

    An ID that is already a plain name (lower-case letters, digits, ``.``, ``_``, ``-``; at most 60
    characters) is used as it is. Any other ID (``a/b``, ``2WW``, spaces, a very long name) gets its
    characters made safe, is cut to 40 characters, and carries the first 8 hex digits of the SHA-256 of
    the ID: ``a/b`` -> ``a_b-c9ad3b8f`` never collides with ``a_b``, nor ``2WW`` with ``2ww`` on a file
    system that ignores case. The name depends on the ID alone, so every writer and reader agrees.
    """
    if _PLAIN_NAME.fullmatch(identifier):
        return identifier
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", identifier).strip("._-")[:40] or "id"
    digest = hashlib.sha256(identifier.encode("utf-8", errors="surrogatepass")).hexdigest()[:8]
    return f"{safe}-{digest}"


# ---- incremental writers ----------------------------------------------------------------------------
class OwnedFolder:
    """A folder claimed for a run that writes as it goes (a scenario sweep), under the ownership rule.

    Parameters
    ----------
    out : path
        The folder.
    command : str
        The command writing it (recorded in the manifest).
    inputs : iterable of path
        Files the run reads (refused as ``out``).
    keep_previous : bool
        Keep a previous run of the same command's files for now (they may be resumed); otherwise the
        folder is emptied before the run starts.
    """

    def __init__(self, out: str | Path, command: str, *, inputs: Iterable[str | Path | None] = (),
                 keep_previous: bool = True):
        self.path = Path(out)
        self.command = command
        check_output_folder(self.path, inputs=tuple(inputs))
        previous = read_manifest(self.path) if self.path.exists() else None
        same_command = previous is not None and previous.get("command") == command
        if self.path.exists() and (not keep_previous or not same_command):
            for name in _files_in(self.path):
                (self.path / name).unlink()
            _remove_empty_dirs(self.path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.files: set[str] = set(_files_in(self.path)) - {MANIFEST_NAME}
        self._write_manifest(complete=False)

    def record(self, paths: Iterable[Path]) -> None:
        """Record files written into the folder (absolute or relative to it) in the manifest."""
        for p in paths:
            p = Path(p)
            self.files.add((p.relative_to(self.path) if p.is_absolute() else p).as_posix())
        self._write_manifest(complete=False)

    def prune(self, keep: Iterable[Path], *, complete: bool = False) -> None:
        """Remove every file but ``keep`` (absolute or relative to the folder)."""
        wanted = {(Path(p).relative_to(self.path) if Path(p).is_absolute() else Path(p)).as_posix()
                  for p in keep}
        for name in _files_in(self.path):
            if name not in wanted and name != MANIFEST_NAME:
                (self.path / name).unlink()
        _remove_empty_dirs(self.path)
        self.files = wanted & set(_files_in(self.path))
        self._write_manifest(complete=complete)

    def finish(self, keep: Iterable[Path]) -> None:
        """Remove every file but ``keep`` (this run's outputs) and mark the folder complete."""
        self.prune(keep, complete=True)

    def _write_manifest(self, complete: bool) -> None:
        path = self.path / MANIFEST_NAME
        tmp = path.with_name(f".{MANIFEST_NAME}.tmp")
        tmp.write_text(manifest_text(self.command, sorted(self.files), complete=complete), encoding="utf-8")
        os.replace(tmp, path)


def _remove_empty_dirs(folder: Path) -> None:
    for d in sorted((p for p in folder.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        with suppress(OSError):
            d.rmdir()


__all__ = ["MANIFEST_NAME", "OutputFolderError", "OwnedFolder", "check_output_folder", "file_stem",
           "manifest_text", "output_file", "output_folder", "read_manifest", "replace_files",
           "write_file_atomic"]
