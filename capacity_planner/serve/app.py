"""The meeting web app: Starlette routes over one :class:`~capacity_planner.serve.session.MeetingSession`,
pages rendered on the server from the shared page templates, served by uvicorn on 127.0.0.1 only.

Safety model (docs/serve.md): the server listens on the loopback interface only and answers only requests
whose Host is ``127.0.0.1`` or ``localhost`` (no DNS rebinding); every route sits under a random token
printed at start (``secrets.token_urlsafe``, compared in constant time), so another local user or a web
page cannot drive it; the browser never names a file (the pack and the output folder are the command's
arguments); every form value is checked like pack input (a clear message, nothing changed); pages forbid
framing, external resources and caching, and send no referrer.
"""

from __future__ import annotations

import dataclasses
import hmac
import re
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import ClientDisconnect
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from capacity_planner._files import OutputFolderError
from capacity_planner.errors import Problem
from capacity_planner.pages import render_page
from capacity_planner.report.anonymise import Pseudonyms
from capacity_planner.serve import actions as A
from capacity_planner.serve.replan import why_moved
from capacity_planner.serve.session import MeetingError, MeetingSession
from capacity_planner.serve.view import compare_context, headline_items, meeting_data, timetable

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from starlette.requests import Request

TEMPLATES = Path(__file__).with_name("templates")
SCRIPT = (Path(__file__).with_name("static") / "meeting.js").read_text(encoding="utf-8")
LOCAL_HOSTS = ("127.0.0.1", "localhost")
MAX_FORM_BYTES = 10_000


def new_token() -> str:
    """A random URL token (32 bytes of entropy)."""
    return secrets.token_urlsafe(32)


class MeetingApp:
    """The routes of one meeting. ``out_dir`` is where **Agree** writes (set by the command, never by the
    browser)."""

    def __init__(self, session: MeetingSession, token: str, out_dir: Path):
        self.session = session
        self.token = token
        self.out_dir = out_dir
        self.agreed: list[str] = []

    # ---- plumbing -------------------------------------------------------------------------------
    def _allowed(self, request: Request) -> bool:
        return hmac.compare_digest(str(request.path_params.get("token", "")).encode(), self.token.encode())

    @staticmethod
    def _headers(nonce: str = "") -> dict[str, str]:
        script = f"'nonce-{nonce}'" if nonce else "'none'"
        return {
            "Content-Security-Policy": f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                                       f"script-src {script}; form-action 'self'; frame-ancestors 'none'; "
                                       "base-uri 'none'",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        }

    def _forbidden(self) -> Response:
        return HTMLResponse("<!DOCTYPE html><title>Not this address</title><p>This meeting page needs the "
                            "address that <code>capacity-planner serve</code> printed when it started.</p>",
                            status_code=403, headers=self._headers())

    async def _form(self, request: Request) -> dict[str, str]:
        # Read at most MAX_FORM_BYTES + 1 bytes, refusing a larger declared length unread: a form is a few
        # hundred bytes, and a body read whole before its size was checked could fill the memory.
        too_large = MeetingError([f"the form sent is too large (at most {MAX_FORM_BYTES:,} bytes)"])
        declared = request.headers.get("content-length", "").strip()
        if declared.isascii() and declared.isdigit() and int(declared) > MAX_FORM_BYTES:
            raise too_large
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_FORM_BYTES:
                raise too_large
        try:
            return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20))
        except (UnicodeDecodeError, ValueError) as exc:
            raise MeetingError([f"the form could not be read ({exc})"]) from exc

    def _home(self) -> Response:
        return RedirectResponse(f"/{self.token}/", status_code=303)

    def _guarded(self, handler: Callable[[Request], Any]) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            if not self._allowed(request):
                return self._forbidden()
            try:
                response: Response = await handler(request)
                return response
            except MeetingError as exc:
                return self._page(exc.problems, status=400)
            except OutputFolderError as exc:
                return self._page([Problem("output folder", str(exc))], status=409)
            except ClientDisconnect:  # the browser went away mid-request: no one to answer, nothing done
                return Response(status_code=400)
        return endpoint

    # ---- pages ----------------------------------------------------------------------------------
    def _ids(self) -> tuple[dict[str, str], dict[str, str]]:
        """(clinician ID -> ID shown, ID shown -> clinician ID): pseudonyms on the privacy screen."""
        if not self.session.pseudonyms:
            ids = {c: c for c in self.session.pack.clinician_ids}
        else:
            ids = dict(Pseudonyms.from_pack(self.session.pack).mapping)
        return ids, {v: k for k, v in ids.items()}

    def _page(self, problems: list[Problem] | None = None, status: int = 200) -> Response:
        s = self.session
        shown = s.shown
        d = meeting_data(shown.run, anonymise=s.pseudonyms)
        current = meeting_data(s.versions[0].run, anonymise=s.pseudonyms)
        ids, _ = self._ids()
        pack = s.pack
        labels = {cid: d.label(cid) for cid in d.clinician_order}
        versions = []
        for v in s.versions:
            summary = v.run.summary
            versions.append({"number": v.number, "moved": len(v.moved),
                             "solver": "" if v.changes_from_shown is None else f"{v.changes_from_shown:,}",
                             "changed": summary.changed_sessions,
                             "unmet": summary.unmet_sessions_per_year, "cost": summary.annual_cost or 0.0,
                             "seconds": v.seconds, "status": v.solve_status,
                             "actions": [self._words(a, ids, labels) for a in v.new_actions]})
        previous = s.versions[-2].cells if len(s.versions) > 1 else {}
        now = shown.cells
        gaps = s.versions[-2].run.plan.tables["gaps"] if len(s.versions) > 1 else None
        previous_gaps = ({} if gaps is None else dict(zip(gaps["activity_id"].astype(str),
                                                          gaps["gap_sessions_per_year"], strict=True)))
        names = {a.activity_id: a.name or a.activity_id for a in pack.activities}
        if s.pseudonyms:  # an activity's name may hold a clinician's
            scrub = Pseudonyms.from_pack(pack).scrub_text
            names = {k: scrub(v) for k, v in names.items()}
        moved = [{"clinician": labels.get(ids.get(k.clinician_id, k.clinician_id), k.clinician_id),
                  "slot": f"{k.day} {k.period}", "before": previous.get(k, "free"),
                  "after": now.get(k, "free"),
                  "why": why_moved(k, previous.get(k), now.get(k), shown.new_actions, previous_gaps, names)}
                 for k in shown.moved]
        nonce = secrets.token_urlsafe(16)
        html = render_page(
            "meeting.html.j2", extra_folders=[TEMPLATES],
            title=f"Team meeting: {d.title}", subtitle=f"Version {shown.number} on screen "
            f"({shown.solve_status}); changes are counted against the current job plans",
            solve_note=shown.solve_note,
            sections=[("plan", "Timetable"), ("act", "Actions"), ("gaps", "Gaps"), ("pas", "PAs"),
                      ("versions", "Versions"), ("agree", "Agree")],
            token=self.token, nonce=nonce, script=SCRIPT, problems=problems or [], version=shown.number,
            cards=headline_items(d), pseudonyms=s.pseudonyms,
            proposed=timetable(d, proposed=True, fixed=shown.fixed, moved=shown.moved, ids=ids,
                               pinned=[c for c, a in shown.fixed.items()
                                       if any(isinstance(x, A.Pin) and x.cell == c for x in shown.actions)]),
            current=timetable(current, proposed=False, ids=ids),
            demand=d.demand.to_dict("records"),
            reasons={k: list(v) for k, v in d.reasons.items()},
            clinicians=d.clinicians.to_dict("records"),
            clinician_options=[(cid, d.label(cid)) for cid in d.clinician_order],
            slot_options=[f"{s_.day}-{s_.period}" for s_ in pack.slots],
            activity_options=[(a.activity_id, a.name or a.activity_id) for a in pack.activities],
            in_force=[self._words(a, ids, labels) for a in shown.actions], moved=moved,
            pending=[self._words(a, ids, labels) for a in s.pending],
            versions=versions, out_dir=str(self.out_dir), agreed=self.agreed,
            record=list(s.record) if not s.pseudonyms else
            [Pseudonyms.from_pack(pack).scrub_text(r) for r in s.record])
        return HTMLResponse(html, status_code=status, headers=self._headers(nonce))

    @staticmethod
    def _words(action: A.Action, ids: Mapping[str, str], labels: Mapping[str, str]) -> str:
        text = action.describe()
        cell = getattr(action, "cell", None)
        clinician = cell.clinician_id if cell is not None else getattr(action, "clinician_id", None)
        if clinician is not None:
            shown_id = ids.get(clinician, clinician)
            text = text.replace(clinician, labels.get(shown_id, shown_id), 1)
        return text

    # ---- routes ---------------------------------------------------------------------------------
    async def index(self, request: Request) -> Response:
        return await run_in_threadpool(self._locked, self._page)

    def _locked(self, fn: Callable[..., Any], *args: Any) -> Any:
        with self.session.lock:
            return fn(*args)

    async def action(self, request: Request) -> Response:
        form = await self._form(request)
        _, back = self._ids()
        typed = form.get("clinician", "").strip()
        if "clinician" in form:
            # An ID not shown on the page (a real ID behind a pseudonym) must not match: a NUL in front
            # makes it unknown to the check, and the message names the ID as typed (session 17 fuzz).
            form["clinician"] = back.get(typed, "\0" + typed)
        try:
            await run_in_threadpool(self._locked, self.session.add, form)
        except MeetingError as exc:
            exc.problems = [dataclasses.replace(p, value=typed)
                            if p.column == "clinician" and (p.value or "").startswith("\0") else p
                            for p in exc.problems]
            raise
        return self._home()

    async def drop(self, request: Request) -> Response:
        form = await self._form(request)
        try:
            index = int(form.get("index", ""))
        except ValueError as exc:
            raise MeetingError([Problem(A.SOURCE, "not a whole number", None, "index", form.get("index"))]) \
                from exc
        await run_in_threadpool(self._locked, self.session.drop, index)
        return self._home()

    async def replan(self, request: Request) -> Response:
        await run_in_threadpool(self._locked, self.session.replan)
        return self._home()

    async def undo(self, request: Request) -> Response:
        await run_in_threadpool(self._locked, self.session.undo)
        return self._home()

    async def privacy(self, request: Request) -> Response:
        form = await self._form(request)
        self.session.pseudonyms = form.get("pseudonyms", "") == "on"
        return self._home()

    async def agree(self, request: Request) -> Response:
        files = await run_in_threadpool(self._locked, self.session.agree, self.out_dir)
        self.agreed = [str(f) for f in files if f.name in ("report.html", "plan.xlsx", "pack.toml",
                                                          "meeting_record.md")]
        return RedirectResponse(f"/{self.token}/#agree", status_code=303)

    async def compare(self, request: Request) -> Response:
        return await run_in_threadpool(self._locked, self._compare, dict(request.query_params))

    def _compare(self, query: Mapping[str, str]) -> Response:
        s = self.session
        numbers = []
        problems = []
        for key in ("a", "b"):
            text = query.get(key, "").strip()
            # ASCII digits only, a few of them: str.isdigit also passes "²" (int() refuses it) and int()
            # refuses more than 4,300 digits (both were a 500; session 17 fuzz).
            if not re.fullmatch(r"[0-9]{1,9}", text) or not any(v.number == int(text) for v in s.versions):
                problems.append(Problem(A.SOURCE, f"not a version of this meeting; expected one of "
                                        f"{', '.join(str(v.number) for v in s.versions)}", None, key, text))
            else:
                numbers.append(int(text))
        if problems:
            return self._page(problems, status=400)
        va, vb = (s.version(n) for n in numbers)
        da = meeting_data(va.run, anonymise=s.pseudonyms)
        db = meeting_data(vb.run, anonymise=s.pseudonyms)
        ids, _ = self._ids()
        labels = {cid: da.label(cid) for cid in da.clinician_order}
        context = compare_context(da, db, va.cells, vb.cells, ids, labels)
        html = render_page("compare.html.j2", extra_folders=[TEMPLATES],
                           title=f"Version {va.number} against version {vb.number}", subtitle=da.title,
                           sections=[("numbers", "Numbers"), ("cells", "Cells"), ("gaps", "Gaps")],
                           token=self.token, a=va.number, b=vb.number, **context)
        return HTMLResponse(html, headers=self._headers())

    def routes(self) -> list[Route]:
        """Every route, each behind the token."""
        g = self._guarded
        return [
            Route("/{token}/", g(self.index), methods=["GET"]),
            Route("/{token}/compare", g(self.compare), methods=["GET"]),
            Route("/{token}/action", g(self.action), methods=["POST"]),
            Route("/{token}/drop", g(self.drop), methods=["POST"]),
            Route("/{token}/replan", g(self.replan), methods=["POST"]),
            Route("/{token}/undo", g(self.undo), methods=["POST"]),
            Route("/{token}/privacy", g(self.privacy), methods=["POST"]),
            Route("/{token}/agree", g(self.agree), methods=["POST"]),
        ]


def create_app(session: MeetingSession, token: str, out_dir: str | Path,
               allowed_hosts: tuple[str, ...] = LOCAL_HOSTS) -> Starlette:
    """The Starlette app of one meeting (routes under ``/{token}/``; other hosts refused)."""
    meeting = MeetingApp(session, token, Path(out_dir))
    app = Starlette(routes=meeting.routes(),
                    middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))])
    app.state.meeting = meeting
    return app
