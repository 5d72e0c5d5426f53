"""The office's web page (``letters serve``): Flask pages over the same command functions
the command line calls (``letters.commands``, handed in by ``commands.web_app``).

Bound to 127.0.0.1 (or ::1, localhost) the page needs no login: the one at the machine is
clerk and signer. Bound to any other address every request but the login page needs a
session of one of ``web.users`` in config.yaml (roles ``clerk`` and ``signer``, passwords
stored hashed). Sessions are signed with a key made at start; every POST carries the
session's CSRF token (a form field or the ``X-CSRF-Token`` header HTMX sends); uploads are
written only into the directive's own folder and are limited in size.

A letter is built (numbered) and sent from the page only after a signer approved it as it
reads now: the approval (who, when, the content's hash) is in the register.
"""

from __future__ import annotations

import getpass
import hmac
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from flask import Flask, Response, abort, g, redirect, render_template, request, session, url_for
from werkzeug.security import check_password_hash, generate_password_hash

from letters import webviews
from letters.errors import InputError, Problem
from letters.resources import resource_dir
from letters.webstate import CLERK, ROLE_NAMES, SIGNER, State, User

LOCAL_HOSTS = ("127.0.0.1", "::1", "localhost")


def local(host: str) -> bool:
    """No login for these: only the machine itself can reach them."""
    return host in LOCAL_HOSTS


def create_app(folder: Path, *, host: str, commands: ModuleType) -> Flask:
    """The app serving the office ``folder`` (its config.yaml, register and directives)."""
    from letters.config import find_config, load_config

    folder = folder.resolve()
    office = load_config(find_config(folder / "directive.yaml", None))
    users = office.model.web.users
    if not local(host) and not users:
        raise InputError(
            [
                Problem(
                    str(office.path),
                    0,
                    0,
                    "web.users",
                    f"เปิดหน้าเว็บที่ {host} ต้องมีผู้ใช้ (no users): เพิ่ม web.users ใน "
                    "config.yaml (role: clerk หรือ signer, password_hash จาก "
                    "letters serve --hash-password) หรือใช้ --host 127.0.0.1",
                )
            ]
        )
    templates = resource_dir("templates") / "web"
    app = Flask(
        __name__,
        template_folder=str(templates),
        static_folder=str(templates / "static"),
        static_url_path="/static",
    )
    app.secret_key = secrets.token_bytes(32)
    limit = office.model.limits.enclosure_max_mb
    app.config.update(
        MAX_CONTENT_LENGTH=int(limit * 1_000_000) + 100_000,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
    )
    from letters.thai import thai_date_short

    app.add_template_filter(thai_date_short, "thai_date")
    state = State(folder, office.path, host, commands)
    app.extensions["letters"] = state

    @app.before_request
    def guard() -> Any:
        g.user = _user(state, users)
        if request.endpoint in ("static", "login", "font"):
            pass
        elif g.user is None:
            if request.method != "GET":
                abort(403)
            return redirect(url_for("login", next=request.full_path))
        if request.method == "POST":
            sent = request.form.get("csrf") or request.headers.get("X-CSRF-Token", "")
            if not hmac.compare_digest(sent, _csrf()):
                return Response(
                    "คำขอไม่มีรหัสป้องกัน (CSRF token missing or wrong): โหลดหน้าใหม่แล้วลองอีกครั้ง",
                    status=400,
                    mimetype="text/plain",
                )
        return None

    @app.context_processor
    def everywhere() -> dict[str, Any]:
        return {
            "csrf": _csrf(),
            "user": g.get("user"),
            "roles": ROLE_NAMES,
            "local_mode": local(host),
            "office": office.model.office.name,
        }

    @app.errorhandler(413)
    def too_large(_: Any) -> tuple[str, int]:
        return f"ไฟล์ใหญ่เกิน {limit:g} MB (upload too large): ย่อไฟล์แล้วลองใหม่", 413

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        error = ""
        if request.method == "POST":
            found = users.get(request.form.get("login", ""))
            if found and check_password_hash(found.password_hash, request.form.get("password", "")):
                session.clear()
                session["login"] = request.form["login"]
                session["csrf"] = secrets.token_urlsafe(32)
                target = request.args.get("next", "/")
                safe = target.startswith("/") and not target.startswith(("//", "/\\"))
                return redirect(target if safe else "/")
            error = "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง (wrong login or password)"
        return render_template("login.html", error=error)

    @app.post("/logout")
    def logout() -> Any:
        session.clear()
        return redirect(url_for("login"))

    webviews.register(app, state)
    return app


def _user(state: State, users: Any) -> User | None:
    if local(state.host):
        session.setdefault("csrf", secrets.token_urlsafe(32))
        name = os.environ.get("LETTERS_WEB_USER") or _login_name()
        return User("local", name, frozenset({CLERK, SIGNER}))
    login = session.get("login")
    found = users.get(login) if login else None
    if found is None:
        return None
    return User(str(login), found.name, frozenset({found.role}), found.signer)


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "ผู้ใช้เครื่องนี้"


def _csrf() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


def run(
    app: Flask,
    folder: Path,
    host: str,
    port: int,
    *,
    open_browser: bool,
    announce: Callable[[str], None],
) -> None:
    """Serve ``app`` with waitress until interrupted; the browser opened on it unless not
    ``open_browser``. Paths are said from the office ``folder`` (the working folder from
    here on), as a clerk types them there, and ``out/`` is there."""
    import webbrowser

    from waitress.server import BaseWSGIServer, create_server

    os.chdir(folder)
    server = create_server(app, host=host, port=port, threads=4)
    assert isinstance(server, BaseWSGIServer)  # one address: one socket
    shown = f"[{host}]" if ":" in host else host
    address = f"http://{shown}:{server.getsockname()[1]}/"  # --port 0: the port it got
    announce(f"หน้าเว็บของสำนักงาน (web page): {address}  (Ctrl+C หยุด)")
    if open_browser:
        webbrowser.open(address)
    try:
        server.run()
    finally:
        server.close()


def hash_password(password: str) -> str:
    """What ``web.users.<login>.password_hash`` holds: scrypt, never the password."""
    return generate_password_hash(password, method="scrypt")
