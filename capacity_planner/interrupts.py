"""Ctrl-C and SIGTERM stop a run cleanly: the solver stops, nothing is written, the exit code is 130.

CP-SAT runs its search in C++ and, left to itself, catches SIGINT to end the search early and return the
best plan so far as if the time limit had been reached: a plan cut short by the user would be written
as "feasible" (issue 15, finding 3). Instead:

* CP-SAT's own SIGINT handler is switched off (``catch_sigint_signal = False``,
  :func:`capacity_planner.solver.solve.configure`);
* each solve runs in a helper thread (:func:`run_stoppable`) while the main thread waits in short joins,
  so Python's signal handlers run promptly during a long solve (CP-SAT releases the GIL);
* while :func:`handle_interrupts` is active (the command line), SIGINT and SIGTERM call ``stop_search``
  on every solve in progress, mark the run interrupted and raise :class:`RunInterrupted` in the main
  thread. It derives from :class:`KeyboardInterrupt`, so no ``except Exception`` (a failing scenario is
  recorded and the sweep goes on) can take it for an ordinary failure.

The output writer (:mod:`capacity_planner._files`) discards a staging folder on any exception, so an
interrupted ``plan`` writes nothing; a sweep keeps only the scenarios that finished before the signal.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

EXIT_INTERRUPTED = 130  # 128 + SIGINT, the shell's convention for a run stopped by Ctrl-C
T = TypeVar("T")


class RunInterrupted(KeyboardInterrupt):
    """The run was stopped by Ctrl-C or SIGTERM (exit code 130; nothing half-written)."""

    def __init__(self, signal_name: str = "SIGINT"):
        super().__init__(signal_name)
        self.signal_name = signal_name


class _Stoppable(Protocol):
    def stop_search(self) -> None: ...


_active: set[Any] = set()
_lock = threading.Lock()
_interrupted = threading.Event()


def interrupted() -> bool:
    """True once a signal has asked the run to stop."""
    return _interrupted.is_set()


def request_stop(signal_name: str = "SIGINT") -> None:
    """Ask the run to stop: stop every solve in progress and remember the request (also the test hook)."""
    _interrupted.set()
    with _lock:
        solvers = list(_active)
    for solver in solvers:
        solver.stop_search()


def _handler(signum: int, frame: Any) -> None:
    name = signal.Signals(signum).name
    request_stop(name)
    raise RunInterrupted(name)


@contextmanager
def handle_interrupts() -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM stop the run (module docstring); handlers are restored after.

    Only the main thread may install signal handlers; elsewhere (a worker thread) this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _interrupted.clear()
    previous = {sig: signal.signal(sig, _handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
        _interrupted.clear()


def run_stoppable(solver: _Stoppable, solve: Callable[[], T], poll_s: float = 0.05) -> T:
    """Run ``solve()`` (a blocking CP-SAT solve on ``solver``) so that a signal can stop it.

    Raises
    ------
    RunInterrupted
        When a stop was requested before or during the solve (its cut-short result is never used).
    """
    if _interrupted.is_set():
        raise RunInterrupted()
    box: dict[str, Any] = {}
    done = threading.Event()

    def target() -> None:
        try:
            box["value"] = solve()
        except BaseException as exc:  # handed to the calling thread
            box["error"] = exc
        finally:
            done.set()

    with _lock:
        _active.add(solver)
    # Wait on an Event, not Thread.join: a KeyboardInterrupt raised inside join() can leave the thread
    # marked finished while CP-SAT still runs, and the interpreter then aborts at exit.
    worker = threading.Thread(target=target, name="cp-sat-solve", daemon=True)
    try:
        worker.start()
        while not done.wait(poll_s):
            pass
    except BaseException:
        solver.stop_search()
        _wait_out(done, solver)
        raise
    finally:
        with _lock:
            _active.discard(solver)
    if "error" in box:
        raise box["error"]
    if _interrupted.is_set():
        raise RunInterrupted()
    return box["value"]


def _wait_out(done: threading.Event, solver: _Stoppable) -> None:
    """Wait until a stopped solve has returned, even through further Ctrl-C presses."""
    while True:
        try:
            if done.wait(0.05):
                return
        except KeyboardInterrupt:
            solver.stop_search()


__all__ = ["EXIT_INTERRUPTED", "RunInterrupted", "handle_interrupts", "interrupted", "request_stop",
           "run_stoppable"]
