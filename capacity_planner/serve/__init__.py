"""``capacity-planner serve``: plan live in the team job-planning meeting (issue 20).

A local web page shows the proposed timetable beside the current job plans with the report's numbers;
the meeting locks cells, pins activities, marks clinicians unavailable, changes an activity's demand or
priority and re-plans in seconds from the plan on screen (:mod:`.replan`); every re-plan is a numbered
version (undo, compare); **Agree** writes the agreed planning pack, its meeting pack and the meeting
record (:mod:`.session`). The state lives in plain Python (:class:`~.session.MeetingSession`); the web app
(:mod:`.app`, Starlette served by uvicorn on 127.0.0.1 with a random token in the URL) only renders it.
The web dependencies are the optional extra ``serve`` (``pip install capacity_planner[serve]``).
"""

from __future__ import annotations

import socket
import threading
import webbrowser
from typing import TYPE_CHECKING

from capacity_planner.serve.session import MeetingError, MeetingSession, Version

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

__all__ = ["MeetingError", "MeetingSession", "Version", "run_server"]


def run_server(session: MeetingSession, out_dir: str | Path, *, port: int = 0, open_browser: bool = True,
               announce: Callable[[str], None] = print) -> None:
    """Serve the meeting page on 127.0.0.1 until interrupted (Ctrl+C).

    Parameters
    ----------
    session : MeetingSession
        The meeting (its proposal already planned).
    out_dir : str or Path
        Where **Agree** writes (the output-folder rule applies).
    port : int
        TCP port on 127.0.0.1; 0 picks a free one.
    open_browser : bool
        Open the page in the default browser once the server listens.
    announce : callable
        Called with the page's address (printed by default).
    """
    import uvicorn

    from capacity_planner.serve.app import create_app, new_token

    token = new_token()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))  # loopback only: nothing outside this computer can connect
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/{token}/"
    app = create_app(session, token, out_dir)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    announce(url)
    if open_browser:
        threading.Timer(0.5, webbrowser.open, args=(url,)).start()
    server.run(sockets=[sock])
