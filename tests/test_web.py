"""The office's web page (``letters serve``): routes through Flask's test client on a real
office folder and register, a real server bound to 127.0.0.2 (a stand-in for a LAN address),
and the whole cycle in a real browser (Playwright driving Debian's chromium) with a real SMTP
server, its screenshots saved for people to look at."""

from __future__ import annotations

import contextlib
import html
import io
import os
import re
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import make_office
from flask.testing import FlaskClient
from pageform import editor_fields
from PIL import Image
from smtpserver import Mailbox, smtp_server
from werkzeug.datastructures import MultiDict

from letters import commands
from letters.errors import InputError
from letters.webform import form_values, load

LETTERS = (sys.executable, "-m", "letters")
CLERK_PASSWORD = "clerk-pass-1"
SIGNER_PASSWORD = "signer-pass-1"


def _users() -> str:
    clerk = commands.hash_password(CLERK_PASSWORD)
    signer = commands.hash_password(SIGNER_PASSWORD)
    return (
        "web:\n  users:\n"
        f"    somsri: {{name: นางสมศรี ใจดี, role: clerk, password_hash: '{clerk}'}}\n"
        f"    wichai: {{name: นายวิชัย ลงนาม, role: signer, password_hash: '{signer}',"
        " signer: provincial-cd-officer}\n"
        f"    other: {{name: นายอื่น ลงนาม, role: signer, password_hash: '{signer}',"
        " signer: deputy-governor}\n"
        "dispatch:\n"
    )


def _office(folder: Path, *, users: bool = False, smtp_port: int | None = None) -> Path:
    edits = {"per_minute: 30": "per_minute: 6000"}
    if users:
        edits["dispatch:\n"] = _users()
    if smtp_port is not None:
        edits.update(
            {
                "port: 587": f"port: {smtp_port}",
                "security: starttls": "security: none",
                "username_env: LETTERS_SMTP_USER": "username_env: null",
                "password_env: LETTERS_SMTP_PASSWORD": "password_env: null",
            }
        )
    make_office(folder, config_edits=edits)
    return folder


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)


def _editor_form(page: str) -> MultiDict[str, str]:
    """The editor's fields as a browser posts them (checked boxes, selected options)."""
    return MultiDict(editor_fields(page))


@pytest.fixture
def local_app(tmp_path: Path) -> Iterator[tuple[FlaskClient, Path]]:
    office = _office(tmp_path / "office")
    app = commands.web_app(office, "127.0.0.1")
    app.config["TESTING"] = True
    yield app.test_client(), office


def _save(client: FlaskClient, name: str, **changes: str) -> str:
    page = client.get(f"/directives/{name}").get_data(as_text=True)
    form = _editor_form(page)
    for key, value in changes.items():
        form[key.replace("__", ".")] = value
    response = client.post(f"/directives/{name}/save", data=form, headers={"HX-Request": "true"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


# --- the editor --------------------------------------------------------------------------------


def test_the_form_shows_every_field_and_saving_it_unchanged_keeps_the_file(
    local_app: tuple[FlaskClient, Path],
) -> None:
    client, office = local_app
    directive = office / "line-at" / "directive.yaml"
    before = directive.read_bytes()
    page = client.get("/directives/line-at").get_data(as_text=True)
    form = _editor_form(page)
    names = set(form)
    for field in ("kind", "number", "date", "speed", "secrecy", "subject", "to.group"):
        assert field in names
    for field in ("to.address", "references", "body", "closing", "signer", "owner", "copies"):
        assert field in names
    assert {"follow_up.due", "follow_up.tasks", "enc-title-0", "enc-file-1"} <= names
    assert form["body"].startswith("ด้วยจังหวัดหนองคาย")
    assert "\n- เน้นย้ำการปฏิบัติ" in form["body"]
    _save(client, "line-at")
    assert directive.read_bytes() == before


def test_a_changed_field_is_written_in_its_place_with_its_comment_and_the_rest_kept(
    local_app: tuple[FlaskClient, Path],
) -> None:
    client, office = local_app
    directive = office / "line-at" / "directive.yaml"
    before = directive.read_text(encoding="utf-8").splitlines()
    _save(client, "line-at", subject="เรื่องที่แก้แล้ว", date="2561-12-12", speed="ด่วน")
    after = directive.read_text(encoding="utf-8").splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert changed == [
        (before[5], f"date: '2561-12-12'{' ' * 13}# ISO date in the file; printed ๑๑ ธันวาคม ๒๕๖๑"),
        (before[6], "speed: ด่วน                    # ปกติ | ด่วน | ด่วนมาก | ด่วนที่สุด"),
        (before[8], "subject: เรื่องที่แก้แล้ว"),
    ]
    assert form_values(load(directive))["date"] == "2561-12-12"


def test_check_messages_are_shown_beside_their_fields_in_the_words_of_letters_check(
    local_app: tuple[FlaskClient, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, office = local_app
    shown = _save(client, "line-at", date="2561-13-45", signer="")
    monkeypatch.chdir(office)
    with pytest.raises(InputError) as checked:
        commands.check(Path("line-at/directive.yaml"), None)
    words = {p.field: str(p) for p in checked.value.problems}
    assert set(words) == {"date", "signer"}
    date = re.search(r'id="msg-date"[^>]*>(.*?)</div>', shown, re.S)
    signer = re.search(r'id="msg-signer"[^>]*>(.*?)</div>', shown, re.S)
    assert date and html.unescape(date.group(1)).strip() == words["date"]
    assert signer and html.unescape(signer.group(1)).strip() == words["signer"]
    assert "ไม่มีวันที่นี้ในปฏิทิน" in words["date"]
    assert "<img" not in shown.split('id="preview-pages"')[1].split("</div>")[0]


def test_the_preview_is_the_letter_as_png_pages(local_app: tuple[FlaskClient, Path]) -> None:
    client, _ = local_app
    shown = _save(client, "line-at", subject="เรื่องสั้น")
    images = re.findall(r'src="(/directives/line-at/preview/4301/(\d)\.png\?v=\d+)"', shown)
    assert [page for _, page in images] == ["1", "2"]
    response = client.get(html.unescape(images[0][0]))
    assert response.mimetype == "image/png"
    picture = Image.open(io.BytesIO(response.data))
    assert abs(picture.height / picture.width - 297 / 210) < 0.01
    # The same page asked by its address alone is drawn from the saved letter.
    again = client.get("/directives/line-at/preview/4301/1.png")
    assert again.mimetype == "image/png"
    assert client.get("/directives/line-at/preview/4301/9.png").status_code == 404


def test_a_new_letter_is_made_from_the_list_and_its_empty_fields_are_shown(
    local_app: tuple[FlaskClient, Path],
) -> None:
    client, office = local_app
    page = client.get("/").get_data(as_text=True)
    assert "line-at" in page and "ร่าง (draft)" in page
    made = client.post("/directives", data={"name": "training", "csrf": _csrf(page)})
    assert made.headers["Location"] == "/directives/training"
    editor = client.get("/directives/training").get_data(as_text=True)
    assert "training/directive.yaml:7:10: subject: ต้องไม่ว่าง (must not be empty)" in editor
    assert (office / "training" / "directive.yaml").is_file()
    refused = client.post("/directives", data={"name": "../up", "csrf": _csrf(page)})
    assert refused.status_code == 400
    assert not (office / "up").exists()


# --- security ------------------------------------------------------------------------------------


def test_a_post_without_its_csrf_token_is_refused(local_app: tuple[FlaskClient, Path]) -> None:
    client, office = local_app
    before = (office / "line-at" / "directive.yaml").read_bytes()
    page = client.get("/directives/line-at").get_data(as_text=True)
    form = _editor_form(page)
    form["subject"] = "ปลอม"
    del form["csrf"]
    refused = client.post("/directives/line-at/save", data=form)
    assert refused.status_code == 400
    assert "CSRF" in refused.get_data(as_text=True)
    form["csrf"] = "not-the-token"
    assert client.post("/directives/line-at/save", data=form).status_code == 400
    assert (office / "line-at" / "directive.yaml").read_bytes() == before


def test_uploads_stay_in_the_letters_folder_and_are_limited_in_size(tmp_path: Path) -> None:
    office = _office(tmp_path / "office")
    with (office / "config.yaml").open("a", encoding="utf-8") as config:
        config.write("limits:\n  enclosure_max_mb: 0.2\n")
    client = commands.web_app(office, "127.0.0.1").test_client()
    page = client.get("/directives/line-at").get_data(as_text=True)
    png = (office / "line-at" / "pr" / "line-at-card.png").read_bytes()
    form = _editor_form(page)
    form["enc-title-2"], form["enc-quantity-2"] = "แผนที่", "1 แผ่น"
    data = {**form.to_dict(flat=False), "enc-upload-2": (io.BytesIO(png), "../../map.png")}
    saved = client.post("/directives/line-at/save", data=data, headers={"HX-Request": "true"})
    assert saved.headers["HX-Redirect"] == "/directives/line-at?code=4301"
    assert (office / "line-at" / "map.png").read_bytes() == png
    assert not (office / "map.png").exists() and not (tmp_path / "map.png").exists()
    assert form_values(load(office / "line-at" / "directive.yaml"))["enclosures"][2] == {
        "title": "แผนที่",
        "quantity": "1 แผ่น",
        "file": "map.png",
    }
    for name in (".hidden.png", "run.sh"):
        bad = {**form.to_dict(flat=False), "enc-upload-2": (io.BytesIO(b"x"), name)}
        assert client.post("/directives/line-at/save", data=bad).status_code == 400
        assert not (office / "line-at" / name).exists()
    big = {**form.to_dict(flat=False), "enc-upload-2": (io.BytesIO(b"0" * 400_000), "big.pdf")}
    assert client.post("/directives/line-at/save", data=big).status_code == 413
    assert not (office / "line-at" / "big.pdf").exists()


def test_bound_beyond_this_machine_it_will_not_start_without_users(tmp_path: Path) -> None:
    office = _office(tmp_path / "office")
    with pytest.raises(InputError, match=r"web\.users"):
        commands.web_app(office, "127.0.0.2")
    commands.web_app(office, "127.0.0.1")  # on this machine alone no login is needed


def test_a_password_must_be_stored_hashed(tmp_path: Path) -> None:
    office = tmp_path / "office"
    make_office(
        office,
        config_edits={
            "dispatch:\n": "web:\n  users:\n    a: {name: ก, role: clerk, password_hash: secret}\n"
            "dispatch:\n"
        },
    )
    with pytest.raises(InputError, match=r"password_hash: .*letters serve --hash-password"):
        commands.web_app(office, "127.0.0.2")


def _login(client: FlaskClient, login: str, password: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    done = client.post("/login", data={"login": login, "password": password, "csrf": _csrf(page)})
    assert done.status_code == 302, done.get_data(as_text=True)


def test_on_a_lan_address_pages_need_a_session_and_each_role_its_own_actions(
    tmp_path: Path,
) -> None:
    office = _office(tmp_path / "office", users=True)
    app = commands.web_app(office, "127.0.0.2")
    anonymous = app.test_client()
    assert anonymous.get("/").headers["Location"].startswith("/login")
    assert anonymous.get("/directives/line-at/preview/4301/1.png").status_code == 302
    assert anonymous.post("/directives/line-at/approve").status_code == 403
    page = anonymous.get("/login").get_data(as_text=True)
    wrong = anonymous.post(
        "/login", data={"login": "wichai", "password": "guess", "csrf": _csrf(page)}
    )
    assert "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง" in wrong.get_data(as_text=True)

    clerk = app.test_client()
    _login(clerk, "somsri", CLERK_PASSWORD)
    editor = clerk.get("/directives/line-at").get_data(as_text=True)
    assert "นางสมศรี ใจดี" in editor and 'id="approve"' not in editor
    token = _csrf(editor)
    assert clerk.post("/directives/line-at/approve", data={"csrf": token}).status_code == 403
    refused = clerk.post("/directives/line-at/build", data={"csrf": token})
    assert refused.status_code == 409
    assert "ยังไม่ได้เสนอลงนาม (not approved)" in refused.get_data(as_text=True)

    other = app.test_client()
    _login(other, "other", SIGNER_PASSWORD)
    token = _csrf(other.get("/").get_data(as_text=True))
    not_theirs = other.post("/directives/line-at/approve", data={"csrf": token})
    assert not_theirs.status_code == 403
    assert "ผู้ลงนามหนังสือนี้คือ นายวิฑูรย์ แสนใจวุฒิ" in not_theirs.get_data(as_text=True)

    signer = app.test_client()
    _login(signer, "wichai", SIGNER_PASSWORD)
    token = _csrf(signer.get("/").get_data(as_text=True))
    assert signer.post("/directives/line-at/build", data={"csrf": token}).status_code == 403
    assert signer.post("/directives/line-at/approve").status_code == 400  # no token
    approved = signer.post("/directives/line-at/approve", data={"csrf": token})
    assert approved.status_code == 302
    with sqlite3.connect(office / "register.sqlite3") as register:
        rows = register.execute("SELECT directive_id, approved_by, at FROM approval").fetchall()
    assert [(d, who) for d, who, _ in rows] == [("line-at/directive.yaml", "นายวิชัย ลงนาม")]
    assert "ลงนามอนุมัติแล้ว (approved): นายวิชัย ลงนาม" in clerk.get("/directives/line-at").get_data(
        as_text=True
    )
    # An edit after the approval needs a new one.
    _save(clerk, "line-at", subject="แก้หลังอนุมัติ")
    again = clerk.post("/directives/line-at/build", data={"csrf": _csrf(editor)})
    assert again.status_code == 409


@contextlib.contextmanager
def _serve(office: Path, host: str) -> Iterator[str]:
    """``letters serve OFFICE --host HOST`` in a process of its own; yields its address."""
    process = subprocess.Popen(
        [*LETTERS, "serve", str(office), "--host", host, "--port", "0", "--no-browser"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = re.search(r"http://\S+/", line)
        assert found, line + (process.stderr.read() if process.stderr else "")
        yield found.group()
    finally:
        process.terminate()
        process.wait(timeout=10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def test_a_real_server_on_127_0_0_2_refuses_requests_without_a_session(tmp_path: Path) -> None:
    office = _office(tmp_path / "office", users=True)
    with _serve(office, "127.0.0.2") as address:
        assert address.startswith("http://127.0.0.2:")

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args: object, **kwargs: object) -> None:
                return None

        opener = urllib.request.build_opener(NoRedirect)
        with pytest.raises(urllib.error.HTTPError) as page:
            opener.open(address + "directives/line-at")
        assert page.value.code == 302
        assert page.value.headers["Location"].startswith("/login")
        page.value.close()
        posted = urllib.request.Request(
            address + "directives/line-at/save", data=b"subject=x", method="POST"
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            opener.open(posted)
        assert refused.value.code == 403
        refused.value.close()
        with opener.open(address + "login") as login:
            assert "เข้าสู่ระบบ" in login.read().decode()


def test_a_password_hash_for_config_yaml_is_printed_and_checks_the_password() -> None:
    from click.testing import CliRunner
    from werkzeug.security import check_password_hash

    from letters.cli import cli

    done = CliRunner().invoke(cli, ["serve", "--hash-password"], input="ลับมาก 1\nลับมาก 1\n")
    assert done.exit_code == 0, done.output
    printed = done.output.strip().splitlines()[-1]
    assert printed.startswith("scrypt:") and "ลับมาก" not in printed
    assert check_password_hash(printed, "ลับมาก 1")
    assert not check_password_hash(printed, "ลับมาก 2")


def test_bound_beyond_this_machine_without_users_the_command_says_what_to_do(
    tmp_path: Path,
) -> None:
    office = _office(tmp_path / "office")
    done = subprocess.run(
        [*LETTERS, "serve", str(office), "--host", "127.0.0.2", "--no-browser"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "web.users" in done.stderr and "--host 127.0.0.1" in done.stderr


# --- the cycle -----------------------------------------------------------------------------------


def test_build_send_track_and_the_register_through_the_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        office = _office(tmp_path / "office", smtp_port=port)
        client = commands.web_app(office, "127.0.0.1").test_client()
        page = client.get("/directives/line-at").get_data(as_text=True)
        token = _csrf(page)
        assert client.get("/directives/line-at/send").status_code == 409  # not approved
        client.post("/directives/line-at/approve", data={"csrf": token})
        started = client.post("/directives/line-at/build", data={"csrf": token})
        assert started.status_code == 200
        job = commands_job(client, "line-at")
        assert "เสร็จ (done): หนังสือ 9 ฉบับ" in job
        assert "bundles/4301-เมืองหนองคาย.pdf" in job
        listed = client.get("/directives/line-at/send").get_data(as_text=True)
        assert "confirm-send" in listed and not mailbox.received
        sent = client.post("/directives/line-at/send", data={"csrf": token})
        assert sent.status_code == 200
        assert len(mailbox.received) == 9
        ticked = client.post(
            "/directives/line-at/track",
            data={"csrf": token, "code": "4302", "task": "2", "done": "1"},
            headers={"HX-Request": "true"},
        ).get_data(as_text=True)
        assert "บันทึกแล้ว (recorded): 4302 ทำงานที่ ๒ แล้ว" in ticked
        assert 'aria-label="4302 งานที่ 2">✔' in ticked
    printed = client.post("/directives/line-at/print", data={"csrf": token})
    assert f"เขียนแล้ว (written): {office}/out/line-at/print/bundles.pdf (9 ชุด)" in (
        printed.get_data(as_text=True)
    )
    with client.get("/directives/line-at/files/print/envelopes.pdf") as envelopes:
        made = office / "out" / "line-at" / "print" / "envelopes.pdf"
        assert envelopes.data == made.read_bytes()
    assert client.get("/directives/line-at/files/../../config.yaml").status_code == 404
    monkeypatch.chdir(office)  # follow-up letters go to out/ of the working folder
    reminded = client.post("/directives/line-at/remind", data={"csrf": token})
    words = html.unescape(reminded.get_data(as_text=True))
    assert "หนังสือติดตามฉบับร่าง ยังไม่ได้ออกเลข (drafts, not numbered): ผู้รับที่เกินกำหนด 9 ราย" in words
    assert "ยืนยัน ออกเลขหนังสือติดตาม" in words
    states = client.get("/").get_data(as_text=True)
    assert "ออกเลขแล้ว (numbered)" in states and "ส่งแล้ว 9/9 (sent)" in states
    register = client.get("/register").get_data(as_text=True)
    assert register.count("ที่ นค ๐๐๑๙.๔/ว ๑") == 9
    assert register.count("ส่งทางไปรษณีย์อิเล็กทรอนิกส์") == 9
    user = os.environ.get("LETTERS_WEB_USER") or commands_user()
    assert f"<td>line-at/directive.yaml</td><td>{user}</td>" in register
    with client.get("/register/export/csv") as csv:
        assert csv.status_code == 200 and "นค ๐๐๑๙.๔/ว ๑".encode() in csv.data


def commands_job(client: FlaskClient, name: str) -> str:
    """The build's fragment once it is finished (the page polls the same address)."""
    import time

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        fragment = client.get(f"/directives/{name}/build").get_data(as_text=True)
        if 'id="build-text"' in fragment:
            return html.unescape(fragment)
        time.sleep(0.2)
    raise AssertionError("the build did not finish in 120 s")


def commands_user() -> str:
    import getpass

    return getpass.getuser()


# --- in a real browser ---------------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")  # Debian's (tools/setup-system.sh --test)


def test_the_whole_cycle_in_a_real_browser(tmp_path: Path) -> None:
    """The acceptance of issue 19: a clerk writes a new letter in the form and sees its
    preview, fixes the error shown beside its field; the signer approves; the clerk builds
    and sends it to a real SMTP server, ticks a task in the checklist grid; the register
    shows all of it. Screenshots in ``$LETTERS_WEB_SCREENSHOTS`` (else the test's folder)."""
    from playwright.sync_api import Page, expect, sync_playwright

    shots = Path(os.environ.get("LETTERS_WEB_SCREENSHOTS") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    mailbox = Mailbox()

    def shot(page: Page, name: str) -> None:
        page.screenshot(path=str(shots / f"{name}.png"), full_page=False)

    with smtp_server(mailbox) as port, sync_playwright() as playwright:
        office = _office(tmp_path / "office", users=True, smtp_port=port)
        with _serve(office, "127.0.0.2") as address:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
            try:
                viewport = {"width": 1366, "height": 768}
                clerk = browser.new_context(viewport=viewport, locale="th-TH").new_page()
                signer = browser.new_context(viewport=viewport, locale="th-TH").new_page()
                for page, login, password in (
                    (clerk, "somsri", CLERK_PASSWORD),
                    (signer, "wichai", SIGNER_PASSWORD),
                ):
                    page.goto(address)
                    page.fill("#login", login)
                    page.fill("#password", password)
                    page.keyboard.press("Enter")
                    expect(page.locator("h1")).to_have_text("หนังสือของสำนักงาน (letters)")

                # 1. A new letter written through the form, and its preview.
                clerk.fill("#new-name", "training")
                clerk.keyboard.press("Enter")
                expect(clerk.locator("#msg-subject")).to_contain_text("subject: ต้องไม่ว่าง")
                shot(clerk, "1-new-letter-with-its-problems")
                clerk.fill("#subject", "การฝึกอบรมการใช้ระบบสารบรรณอิเล็กทรอนิกส์")
                clerk.fill(
                    "#body",
                    "ด้วยจังหวัดหนองคายจะจัดการฝึกอบรมการใช้ระบบสารบรรณอิเล็กทรอนิกส์ "
                    "ให้แก่เจ้าหน้าที่ของอำเภอ\n- ส่งรายชื่อผู้เข้ารับการอบรม\n- จัดเตรียมคอมพิวเตอร์",
                )
                clerk.fill("#follow-due", "2570-01-15")
                clerk.fill("#follow-tasks", "ส่งรายชื่อผู้เข้ารับการอบรม\nจัดเตรียมคอมพิวเตอร์")
                expect(clerk.locator("#check-ok")).to_be_visible(timeout=20_000)
                expect(clerk.locator("#preview-pages img.page").first).to_be_visible()
                assert clerk.locator("#msg-subject").inner_text() == ""
                shot(clerk, "2-preview")

                # 2. An error shown beside its field, fixed.
                clerk.fill("#date", "2569-02-30")
                expect(clerk.locator("#msg-date")).to_contain_text(
                    "training/directive.yaml:4:7: date: ไม่มีวันที่นี้ในปฏิทิน", timeout=20_000
                )
                shot(clerk, "3-error-beside-its-field")
                clerk.fill("#date", "2569-12-20")
                expect(clerk.locator("#check-ok")).to_be_visible(timeout=20_000)
                expect(clerk.locator("#msg-date")).to_have_text("")
                expect(clerk.locator("#preview-pages img.page").first).to_be_visible()

                # 3. The signer approves it.
                signer.goto(address + "directives/training")
                signer.click("#approve")
                expect(signer.locator("#approval")).to_contain_text(
                    "ลงนามอนุมัติแล้ว (approved): นายวิชัย ลงนาม"
                )
                shot(signer, "4-approved-by-the-signer")

                # 4. The clerk builds it and sends it.
                clerk.reload()
                clerk.click("#build-button")
                expect(clerk.locator("#build-text")).to_contain_text(
                    "เสร็จ (done): หนังสือ 9 ฉบับ", timeout=120_000
                )
                shot(clerk, "5-built")
                clerk.click("#send-link")
                expect(clerk.locator("#confirm-send")).to_be_visible()
                shot(clerk, "6-send-dry-run")
                assert not mailbox.received
                clerk.click("#confirm-send")
                expect(clerk.locator("h1")).to_contain_text("ผลการส่ง (sent)", timeout=60_000)
                shot(clerk, "7-sent")
                assert len(mailbox.received) == 9

                # 5. A task ticked in the checklist grid.
                clerk.goto(address + "directives/training/checklist")
                clerk.click("#task-4305-1")
                expect(clerk.locator("#track-message")).to_contain_text(
                    "บันทึกแล้ว (recorded): 4305 ทำงานที่ ๑ แล้ว"
                )
                expect(clerk.locator("#task-4305-1")).to_have_attribute("aria-pressed", "true")
                shot(clerk, "8-checklist")

                # 6. The register records all of it.
                clerk.goto(address + "register")
                rows = clerk.locator("#register tbody tr")
                expect(rows).to_have_count(9)
                expect(rows.first).to_contain_text("การฝึกอบรมการใช้ระบบสารบรรณอิเล็กทรอนิกส์")
                expect(rows.first).to_contain_text("ส่งทางไปรษณีย์อิเล็กทรอนิกส์")
                expect(clerk.locator("#approvals")).to_contain_text("นายวิชัย ลงนาม")
                shot(clerk, "9-register")
                clerk.goto(address)
                expect(clerk.locator("body")).to_contain_text("ส่งแล้ว 9/9 (sent)")
                shot(clerk, "10-letters")
            finally:
                browser.close()
    with sqlite3.connect(office / "register.sqlite3") as register:
        done = register.execute("SELECT code, task FROM task").fetchall()
        approvals = register.execute("SELECT directive_id, approved_by FROM approval").fetchall()
    assert done == [("4305", 1)]
    assert approvals == [("training/directive.yaml", "นายวิชัย ลงนาม")]
    assert {p.stem for p in shots.glob("*.png")} >= {
        "1-new-letter-with-its-problems",
        "2-preview",
        "3-error-beside-its-field",
        "4-approved-by-the-signer",
        "5-built",
        "6-send-dry-run",
        "7-sent",
        "8-checklist",
        "9-register",
        "10-letters",
    }


def _certificate(path: Path, password: bytes) -> None:
    """A signer's PKCS#12 file: a self-made certificate for signing, valid for a month."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "นายวิฑูรย์ แสนใจวุฒิ")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"signer", key, certificate, None, serialization.BestAvailableEncryption(password)
        )
    )


def test_a_letter_with_a_certificate_is_signed_at_approval_with_the_password_typed(
    tmp_path: Path,
) -> None:
    variable = "LETTERS_WEB_TEST_CERT_PASSWORD"
    assert variable not in os.environ
    office = tmp_path / "office"
    _certificate(office / "certs" / "signer.p12", b"cert-pass")
    make_office(
        office,
        config_edits={
            "    name: นายวิฑูรย์ แสนใจวุฒิ\n": "    name: นายวิฑูรย์ แสนใจวุฒิ\n"
            f"    certificate: certs/signer.p12\n    certificate_password_env: {variable}\n"
        },
    )
    client = commands.web_app(office, "127.0.0.1").test_client()
    page = client.get("/directives/line-at").get_data(as_text=True)
    assert 'id="certificate-password"' in page
    token = _csrf(page)
    wrong = client.post(
        "/directives/line-at/approve", data={"csrf": token, "certificate_password": "guess"}
    )
    assert wrong.status_code == 409
    assert not (office / "register.sqlite3").exists()  # nothing approved, nothing numbered
    refused = client.post("/directives/line-at/build", data={"csrf": token})
    assert refused.status_code == 409  # not approved
    approved = client.post(
        "/directives/line-at/approve", data={"csrf": token, "certificate_password": "cert-pass"}
    )
    assert approved.status_code == 302
    job = commands_job(client, "line-at")
    assert "เสร็จ (done): หนังสือ 9 ฉบับ" in job, job
    letter = (office / "out" / "line-at" / "letters" / "4301-เมืองหนองคาย.pdf").read_bytes()
    assert b"/ByteRange" in letter
    assert variable not in os.environ
    stored = b"".join(p.read_bytes() for p in office.rglob("*") if p.is_file())
    assert b"cert-pass" not in stored
    # The clerk cannot build it again without the signer: the password is not kept.
    again = client.post("/directives/line-at/build", data={"csrf": token})
    assert again.status_code == 409
    assert "ผู้ลงนามสร้างและลงนามเมื่อกดอนุมัติ" in again.get_data(as_text=True)
