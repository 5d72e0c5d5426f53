"""The pages of ``letters serve`` (see ``letters.web``): the letters, the editor with its live
preview, approval, build, send, print, the checklist grid, remind and the register. Every
action calls the command function the command line calls, with the same words back."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, abort, g, redirect, render_template, request, url_for

from letters import webform
from letters.errors import InputError, LettersError
from letters.webstate import CLERK, SIGNER, Job, State, now, preview_png, requires, save_upload

if TYPE_CHECKING:
    from letters.directive import Letter
    from letters.register import Register


def _register(letter: Letter, *, create: bool = False) -> Register | None:
    from letters.register import Register, register_file

    if not create and not register_file(letter.config).is_file():
        return None
    return Register.for_office(letter.config, create=create)


def _letter(path: Path) -> tuple[Letter | None, InputError | None]:
    from letters.directive import load_letter

    try:
        return load_letter(path), None
    except InputError as exc:
        return None, exc


def letter_state(path: Path, today: dt.date) -> dict[str, Any]:
    """What the list shows of a letter: subject and state words, from the register."""
    letter, error = _letter(path)
    data = webform.load(path)
    found: dict[str, Any] = {
        "name": path.parent.name,
        "subject": str(data.get("subject") or "(ไม่มีเรื่อง)"),
        "states": [],
    }
    if letter is None:
        count = len(error.problems) if error else 0
        found["states"].append(("draft", f"ร่าง: มี {count} จุดต้องแก้ (draft, problems)"))
        return found
    register = _register(letter)
    if register is None:
        found["states"].append(("draft", "ร่าง (draft)"))
        return found
    with register:
        directive_id = register.identity(letter.path)
        numbers = register.numbers(letter, directive_id)
        if register.approval(letter, directive_id) is not None:
            found["states"].append(("approved", "ลงนามอนุมัติแล้ว (approved)"))
        if numbers is None:
            found["states"].insert(0, ("draft", "ร่าง (draft)"))
            return found
        found["states"].append(("numbered", "ออกเลขแล้ว (numbered)"))
        sent = register.sent(directive_id)
        if sent:
            found["states"].append(("sent", f"ส่งแล้ว {len(sent)}/{len(numbers.numbers)} (sent)"))
        due, tasks = register.follow_up(directive_id)
        statuses = register.status(directive_id, tasks, due, today)
        replied = sum(1 for s in statuses if s.replied_on is not None)
        if replied:
            found["states"].append(("replies", f"ตอบแล้ว {replied} ราย (replies)"))
        late = register.overdue(directive_id, today)
        if late:
            found["states"].append(("overdue", f"เกินกำหนด {len(late)} ราย (overdue)"))
    return found


def _approval(state: State, letter: Letter) -> Any:
    register = _register(letter)
    if register is None:
        return None
    with register:
        return register.approval(letter, register.identity(letter.path))


def _needs_approval(state: State, path: Path) -> Letter:
    """The letter, approved as it reads now; else 409 saying so."""
    letter, error = _letter(path)
    if letter is None:
        abort(409, str(error))
    if _approval(state, letter) is None:
        abort(
            409,
            "ยังไม่ได้เสนอลงนาม (not approved): ผู้ลงนามต้องอนุมัติหนังสือฉบับนี้ก่อนออกเลขและส่ง",
        )
    return letter


def register(app: Flask, state: State) -> None:
    commands = state.commands
    config = state.config

    def editor_context(path: Path, code: str | None = None) -> dict[str, Any]:
        letter, error = _letter(path)
        values = webform.form_values(webform.load(path))
        office = _office()
        group = office.recipients.get(values["to.group"]) if office else None
        members = list(group.members) if group else []
        chosen = code or request.args.get("code") or (members[0].code if members else "")
        context: dict[str, Any] = {
            "name": path.parent.name,
            "values": values,
            "messages": webform.Messages.of(error, path, state.shown(path)),
            "office_model": office,
            "members": members,
            "code": chosen,
            "summary": "",
            "preview": None,
            "approval": None,
            "job": state.jobs.get(path.parent.name),
            "fields": webform.FIELDS,
        }
        if letter is not None:
            from letters.directive import summary

            context["summary"] = summary(letter)
            context["approval"] = _approval(state, letter)
            context["certificate"] = bool(letter.signer.certificate)
            context["preview"] = _render(path.parent.name, letter, chosen)
        return context

    def _office() -> Any:
        from letters.config import load_config

        try:
            return load_config(config).model
        except InputError:
            return None

    def _render(name: str, letter: Letter, code: str) -> Any:
        number = None
        register = _register(letter)
        if register is not None:
            with register:
                numbering = register.numbers(letter)
            if numbering is not None:
                number = numbering.numbers.get(code) or next(iter(numbering.numbers.values()))
        return state.previews.render(name, letter, code, number)

    @app.get("/fonts/<int:weight>.ttf")
    def font(weight: int) -> Any:
        """The letters' own font for the page: Thai reads the same on any machine."""
        from flask import send_file

        from letters.fonts import letter_fonts

        if weight not in (400, 700):
            abort(404)
        found = letter_fonts(state.folder).file(weight)
        return send_file(found.path, mimetype="font/ttf", max_age=86400)

    @app.get("/")
    def index() -> str:
        today = dt.date.today()
        found = [letter_state(p, today) for p in webform.directives(state.folder)]
        return render_template("index.html", letters=found)

    @app.post("/directives")
    def new() -> Any:
        requires(CLERK)
        office = _office()
        if office is None:
            abort(409, "config.yaml มีจุดต้องแก้ (config has problems): letters check ก่อน")
        try:
            webform.new_directive(
                state.folder,
                request.form.get("name", "").strip(),
                today=dt.date.today(),
                group=next(iter(office.recipients)),
                signer=next(iter(office.signers)),
                owner=next(iter(office.units)),
            )
        except ValueError as exc:
            abort(400, str(exc))
        return redirect(url_for("edit", name=request.form["name"].strip()))

    @app.get("/directives/<name>")
    def edit(name: str) -> str:
        path = state.directive(name)
        return render_template("editor.html", **editor_context(path))

    @app.post("/directives/<name>/save")
    def save(name: str) -> Any:
        requires(CLERK)
        path = state.directive(name)
        values = request.form.copy()
        uploaded = False
        for key, storage in request.files.items():
            if key.startswith("enc-upload-") and storage.filename:
                try:
                    values[f"enc-file-{key.removeprefix('enc-upload-')}"] = save_upload(
                        path, storage
                    )
                except ValueError as exc:
                    abort(400, str(exc))
                uploaded = True
        webform.save(path, webform.Form(values))
        if uploaded or not request.headers.get("HX-Request"):
            target = url_for("edit", name=name, code=request.form.get("code") or None)
            if request.headers.get("HX-Request"):
                return Response("", headers={"HX-Redirect": target})
            return redirect(target)
        context = editor_context(path, request.form.get("code") or None)
        return render_template("_checked.html", **context)

    @app.get("/directives/<name>/preview/<code>/<int:page>.png")
    def preview(name: str, code: str, page: int) -> Response:
        version = request.args.get("v", type=int)
        png = preview_png(state, name, code, page, version)
        return Response(png, mimetype="image/png", headers={"Cache-Control": "no-store"})

    @app.post("/directives/<name>/approve")
    def approve(name: str) -> Any:
        """The signer's approval, recorded; a letter signed with a certificate is built and
        signed now, with the password typed here (held for this build only, never stored)."""
        requires(SIGNER)
        path = state.directive(name)
        letter, error = _letter(path)
        if letter is None:
            abort(409, str(error))
        if g.user.signer is not None and g.user.signer != letter.directive.signer:
            abort(403, f"ผู้ลงนามหนังสือนี้คือ {letter.signer.name} (not this letter's signer)")
        environ: Mapping[str, str] = os.environ
        if letter.signer.certificate:
            from letters.signing import letter_signer

            variable = letter.signer.certificate_password_env or ""
            environ = {**os.environ, variable: request.form.get("certificate_password", "")}
            try:
                letter_signer(letter, environ)  # the password opens the certificate
            except LettersError as exc:
                abort(409, str(exc))
        register = _register(letter, create=True)
        assert register is not None
        with register:
            register.approve(letter, register.identity(letter.path), g.user.name, now())
        if letter.signer.certificate:
            start_build(name, path, letter, draft=False, environ=environ)
        return redirect(url_for("edit", name=name))

    @app.post("/directives/<name>/build")
    def build(name: str) -> Any:
        requires(CLERK)
        path = state.directive(name)
        draft = request.form.get("draft") == "1"
        if draft:
            letter, error = _letter(path)
            if letter is None:
                abort(409, str(error))
        else:
            letter = _needs_approval(state, path)
            variable = letter.signer.certificate_password_env or ""
            if letter.signer.certificate and variable not in os.environ:
                abort(
                    409,
                    "หนังสือนี้ลงนามด้วยใบรับรองดิจิทัล (digitally signed): ผู้ลงนามสร้างและลงนาม"
                    "เมื่อกดอนุมัติพร้อมรหัสผ่านใบรับรอง; กดอนุมัติอีกครั้งเพื่อสร้างใหม่",
                )
        return render_template("_build.html", name=name, job=start_build(name, path, letter, draft))

    def start_build(
        name: str,
        path: Path,
        letter: Letter,
        draft: bool,
        environ: Mapping[str, str] = os.environ,
    ) -> Job:
        """The build of ``letter`` in the background (one at a time a letter): its job."""
        from letters.build import default_out

        out = default_out(letter, draft=draft, cwd=state.folder)  # as built in the office folder
        with state.lock:
            running = state.jobs.get(name)
            if running is not None and not running.finished:
                return running
            job = state.jobs[name] = Job()

        def progress(done: int, total: int, current: str) -> None:
            job.done, job.total, job.current = done, total, current

        def work() -> None:
            try:
                result = commands.build(
                    path, config, out=out, draft=draft, progress=progress, environ=environ
                )
                job.text = "\n".join([*result.warnings, result.summary()])
                job.files = sorted(
                    p.relative_to(result.folder).as_posix()
                    for p in result.folder.rglob("*")
                    if p.is_file() and p.name != "manifest.json"
                )
                job.folder = result.folder
            except LettersError as exc:
                job.text, job.failed = str(exc), True
            except Exception as exc:  # shown to the clerk as the command line says it
                job.text = f"เกิดข้อผิดพลาดภายในโปรแกรม (internal error): {type(exc).__name__}: {exc}"
                job.failed = True
            finally:
                job.finished = True

        threading.Thread(target=work, name=f"build-{name}", daemon=True).start()
        return job

    @app.get("/directives/<name>/build")
    def build_state(name: str) -> str:
        state.directive(name)
        return render_template("_build.html", name=name, job=state.jobs.get(name))

    @app.get("/directives/<name>/files/<path:relative>")
    def download(name: str, relative: str) -> Any:
        from flask import send_file

        job = state.jobs.get(name)
        folder = job.folder if job is not None else None
        if folder is None:
            letter, _ = _letter(state.directive(name))
            register = _register(letter) if letter else None
            if register is not None:
                with register:
                    folder = register.last_build(register.identity(letter.path))  # type: ignore[union-attr]
        if folder is None:
            abort(404)
        target = (folder / relative).resolve()
        if not target.is_relative_to(folder.resolve()) or not target.is_file():
            abort(404)
        return send_file(target, as_attachment=True, download_name=target.name)

    def _send(name: str, yes: bool) -> str:
        requires(CLERK)
        path = state.directive(name)
        _needs_approval(state, path)
        try:
            result = commands.send(
                path,
                config,
                register=None,
                out=None,
                yes=yes,
                resend=(),
                environ=os.environ,
                progress=None,
            )
            text, ok = result.text, result.exit_code == 0
        except LettersError as exc:
            text, ok = str(exc), False
        return render_template("send.html", name=name, text=text, ok=ok, sent=yes)

    @app.get("/directives/<name>/send")
    def send_list(name: str) -> str:
        return _send(name, yes=False)

    @app.post("/directives/<name>/send")
    def send(name: str) -> str:
        return _send(name, yes=True)

    @app.post("/directives/<name>/print")
    def print_file(name: str) -> str:
        requires(CLERK)
        path = state.directive(name)
        try:
            text = commands.print_bundles(
                path,
                config,
                register=None,
                out=None,
                printer=None,
                copies=1,
                duplex=request.form.get("duplex") == "1",
                file_only=True,
                style="dl",
                progress=None,
            )
        except LettersError as exc:
            text = str(exc)
        letter, _ = _letter(path)
        register = _register(letter) if letter else None
        files: list[str] = []
        if letter is not None and register is not None:
            with register:
                folder = register.last_build(register.identity(letter.path))
            if folder is not None and (folder / "print").is_dir():
                files = sorted(f"print/{p.name}" for p in (folder / "print").iterdir())
        return render_template(
            "message.html", name=name, title="พิมพ์ (print)", text=text, files=files
        )

    @app.post("/directives/<name>/remind")
    def remind(name: str) -> str:
        requires(CLERK)
        path = state.directive(name)
        yes = request.form.get("yes") == "1"
        try:
            result = commands.remind(
                path,
                config,
                register=None,
                on=None,
                days=7,
                out=None,
                formats=("pdf", "docx"),
                progress=None,
                yes=yes,
                environ=os.environ,
            )
            text = result.summary()
        except LettersError as exc:
            text = str(exc)
        return render_template(
            "message.html", name=name, title="หนังสือติดตาม (remind)", text=text, remind=not yes
        )

    def grid_context(name: str, message: str = "") -> dict[str, Any]:
        path = state.directive(name)
        letter, _ = _letter(path)
        register = _register(letter) if letter else None
        if letter is None or register is None:
            abort(409, "ยังไม่ได้ออกเลข (not numbered): สร้างหนังสือก่อน")
        with register:
            directive_id = register.identity(letter.path)
            if register.numbers(letter, directive_id) is None:
                abort(409, "ยังไม่ได้ออกเลข (not numbered): สร้างหนังสือก่อน")
            due, tasks = register.follow_up(directive_id)
            rows = register.status(directive_id, tasks, due, dt.date.today())
        names = {m.code: m.name for m in letter.group.members}
        return {
            "name": name,
            "rows": rows,
            "tasks": tasks,
            "due": due,
            "names": names,
            "message": message,
        }

    @app.get("/directives/<name>/checklist")
    def checklist(name: str) -> str:
        return render_template("checklist.html", **grid_context(name))

    @app.post("/directives/<name>/track")
    def track(name: str) -> str:
        requires(CLERK)
        path = state.directive(name)
        task = request.form.get("task", type=int)
        try:
            message = commands.track(
                path,
                config,
                register=None,
                recipient=request.form.get("code"),
                task=task,
                done=request.form.get("done") == "1",
                replied=request.form.get("replied") == "1",
                on=None,
                note=None,
                checklist=None,
            )
        except LettersError as exc:
            message = str(exc)
        template = "_grid.html" if request.headers.get("HX-Request") else "checklist.html"
        return render_template(template, **grid_context(name, message))

    @app.get("/register")
    def register_page() -> str:
        from letters.config import load_config
        from letters.register import Register, register_file

        office = load_config(config)
        rows: list[Any] = []
        approvals: list[Any] = []
        if register_file(office).is_file():
            with Register.for_office(office, create=False) as opened:
                rows, approvals = opened.rows(), opened.approvals()
        return render_template("register.html", rows=rows, approvals=approvals)

    @app.get("/register/export/<fmt>")
    def register_export(fmt: str) -> Any:
        from flask import send_file

        if fmt not in ("csv", "xlsx", "pdf"):
            abort(404)
        with tempfile.TemporaryDirectory() as scratch:
            try:
                written = commands.export_register(
                    config, None, None, fmt, Path(scratch) / f"ทะเบียนหนังสือส่ง.{fmt}"
                )
            except LettersError as exc:
                abort(409, str(exc))
            data = written.read_bytes()
        import io

        return send_file(io.BytesIO(data), as_attachment=True, download_name=f"ทะเบียนหนังสือส่ง.{fmt}")

    @app.errorhandler(409)
    @app.errorhandler(400)
    @app.errorhandler(403)
    def refused(exc: Any) -> tuple[str, int]:
        return render_template(
            "message.html", title="ทำไม่ได้ (refused)", text=exc.description, name=None
        ), exc.code
