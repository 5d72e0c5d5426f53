"""A clerk's whole cycle in an office outside Nong Khai, from nothing: ``letters init``, the
placeholders filled, an external letter to five districts dated in the Buddhist era, then
check, build, send, track, remind, the follow-up letters sent, status and the register's PDF.
Every step is the real command; the mail goes to a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import email
import email.policy
import re
import subprocess
from pathlib import Path

from conftest import Runner
from smtpserver import Mailbox, smtp_server
from test_office import fill_placeholders

from letters.thai import thai_digits

DIRECTIVE = Path("office/survey/directive.yaml")
CHOSEN = ("4101", "4102", "4104", "4110", "4117")  # five districts of Udon Thani
DONE = ("4101", "4104")  # they report every task done before the follow-up


def _address(code: str) -> str:
    return f"saraban{code}@amphoe.udon.example"


def _write_directive(folder: Path) -> None:
    folder.mkdir(parents=True)
    only = ", ".join(f'"{code}"' for code in CHOSEN)
    (folder / "directive.yaml").write_text(
        "kind: external\n"
        "date: 2569-11-20\n"
        "speed: ด่วนที่สุด\n"
        "subject: ขอให้สำรวจข้อมูลกลุ่มอาชีพในพื้นที่\n"
        "to:\n"
        "  group: amphoe\n"
        f"  only: [{only}]\n"
        "  address: each\n"
        "body:\n"
        "  - ด้วยจังหวัดอุดรธานีจะจัดทำฐานข้อมูลกลุ่มอาชีพของทุกอำเภอ\n"
        "  - text: จึงขอให้ดำเนินการดังนี้\n"
        "    items:\n"
        "      - สำรวจกลุ่มอาชีพในพื้นที่\n"
        "      - รายงานผลตามแบบที่แนบ\n"
        "closing: จึงเรียนมาเพื่อโปรดดำเนินการ\n"
        "signer: head\n"
        "owner: main\n"
        "follow_up:\n"
        "  due: 2569-11-30\n"
        "  tasks:\n"
        "    - สำรวจกลุ่มอาชีพ\n"
        "    - รายงานผล\n",
        encoding="utf-8",
    )


def _give_addresses_and_mail(config: Path, port: int) -> None:
    """What the clerk adds to config.yaml: each chosen district's e-mail address, and the
    office's mail server (here the test's, plain on loopback, no login)."""
    text = config.read_text(encoding="utf-8")
    for code in CHOSEN:
        text = text.replace(f'{{code: "{code}",', f'{{code: "{code}", email: "{_address(code)}",')
    text = text.replace(
        "dispatch:\n",
        "dispatch:\n"
        "  email:\n"
        "    host: 127.0.0.1\n"
        f"    port: {port}\n"
        "    security: none\n"
        "    sender: สำนักงานจังหวัดอุดรธานี <saraban@udon.example>\n"
        "    per_minute: 6000\n",
    )
    config.write_text(text, encoding="utf-8")


def _subjects(mailbox: Mailbox) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for received in mailbox.received:
        message = email.message_from_bytes(received.raw, policy=email.policy.default)
        for code in CHOSEN:
            if _address(code) in str(message["To"]):
                found.setdefault(code, []).append(str(message["Subject"]))
    return found


def test_a_new_office_goes_round_the_whole_cycle(tmp_path: Path, letters: Runner) -> None:
    def run(*args: str | Path) -> str:
        result = letters(*args, cwd=tmp_path)
        assert result.code == 0, (args, result.text)
        return result.out

    run("init", "office", "--province", "อุดรธานี")
    fill_placeholders(tmp_path / "office" / "config.yaml")
    _write_directive(tmp_path / "office" / "survey")
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        _give_addresses_and_mail(tmp_path / "office" / "config.yaml", port)

        checked = run("check", DIRECTIVE)
        assert "๒๐ พฤศจิกายน ๒๕๖๙" in checked and "Buddhist-era year" in checked
        assert "ผู้รับ (recipients): ๕ ราย" in checked

        built = run("build", DIRECTIVE)
        assert "ออกเลขแล้ว (numbered)" in built

        run("send", DIRECTIVE, "--yes")
        first = _subjects(mailbox)
        assert {code: len(subjects) for code, subjects in first.items()} == dict.fromkeys(CHOSEN, 1)
        assert all(s[0].startswith("ด่วนที่สุด ที่ อด ๐๐๑๙.๔/") for s in first.values())

        for code in DONE:
            for task in ("1", "2"):
                run("track", DIRECTIVE, "--recipient", code, "--task", task, "--on", "2569-11-28")

        reminded = run("remind", DIRECTIVE, "--on", "2569-12-05", "--yes")
        assert "remind" in reminded
        run("send", DIRECTIVE, "--remind", "1", "--yes")
        second = _subjects(mailbox)
        late = [code for code in CHOSEN if code not in DONE]
        assert {code: len(subjects) for code, subjects in second.items()} == {
            code: 2 if code in late else 1 for code in CHOSEN
        }

        status = run("status", DIRECTIVE, "--on", "2569-12-05")
        assert all(thai_digits(code) in status or code in status for code in CHOSEN)

        run(
            "register",
            "export",
            "--format",
            "pdf",
            "--out",
            "register.pdf",
            "--config",
            "office/config.yaml",
        )

    # Each letter and each follow-up letter went under a number of its own (an external
    # letter: one a district), and the register's form ๑๔ lists them all.
    numbers = [n for ss in second.values() for s in ss for n in re.findall(r"ที่ (\S+ \S+)", s)]
    assert len(numbers) == len(set(numbers)) == len(CHOSEN) + len(late)
    text = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "register.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert all(number.split("/")[-1] in text for number in numbers)
    assert text.count("อด ๐๐๑๙.๔/") >= len(numbers)
