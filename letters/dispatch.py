"""E-mail dispatch: one message per recipient, each sent once, every outcome told as it happens.

``send_all`` walks the recipients not yet sent, hands each to a ``Mailer`` (``letters.mailer``)
and passes every ``Outcome`` to a callback the moment it is known (the outgoing register
records it there, so a run killed after the fifth message keeps the first five). A recipient
whose code is already sent is skipped: however often the clerk runs the command, each
district gets one copy. ``send_built`` is ``letters send`` once the build is found: the dry
run listing, or the run, recorded in the register; ``letters.message`` writes each message.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from letters import thai
from letters.errors import DispatchError
from letters.mailer import Mailer, Outcome
from letters.manifest import pending
from letters.message import Outgoing, outgoing, plain_address, visible

if TYPE_CHECKING:
    from letters.config import Email
    from letters.directive import Letter
    from letters.manifest import Built
    from letters.register import Register


def send_all(
    items: Sequence[Outgoing],
    mailer: Mailer,
    *,
    already_sent: set[str],
    on_outcome: Callable[[Outcome], None],
    progress: Callable[[int, int, str], None] | None = None,
) -> list[Outcome]:
    """Send every item whose code is not in ``already_sent``; each outcome as it happens.

    ``on_outcome`` is called before the next message goes, and also, before any reconnect,
    with the uncertain outcome of a message whose connection dropped after its body (the
    returned list holds each item's final outcome only). If it raises (the register cannot be
    written), the run stops there. A missing or malformed address fails its item alone. The
    connection is closed at the end, whatever happens.
    """
    todo = pending(items, already_sent)
    missing = [str(i.attachment) for i in todo if not i.attachment.is_file()]
    if missing:
        raise DispatchError(
            "ไม่พบไฟล์แนบ (missing attachment): "
            + ", ".join(missing)
            + "; สร้างชุดเอกสารใหม่ด้วย letters build แล้วส่งอีกครั้ง ยังไม่ได้ส่งฉบับใด"
        )
    outcomes: list[Outcome] = []
    try:
        for n, item in enumerate(todo, 1):
            if not item.to.strip():
                outcome = Outcome(
                    item.code,
                    False,
                    None,
                    f"ไม่มีที่อยู่อีเมล (no e-mail address) ของ {item.code} {item.name} "
                    "ใน config.yaml: เพิ่ม email แล้วรันคำสั่งเดิมอีกครั้ง หรือพิมพ์ส่งทางไปรษณีย์",
                    mailer.now(),
                    0,
                )
            elif not plain_address(item.to):
                outcome = Outcome(
                    item.code,
                    False,
                    None,
                    f"ที่อยู่อีเมลไม่ถูกต้อง (invalid e-mail address) ของ {item.code} {item.name} "
                    f"ใน config.yaml: '{visible(item.to)}' ไม่ใช่ที่อยู่เดียว; แก้ email ให้เป็น "
                    "ที่อยู่เดียว เช่น saraban@amphoe.go.th แล้วรันคำสั่งเดิมอีกครั้ง",
                    mailer.now(),
                    0,
                )
            else:
                outcome = mailer.send(item, on_uncertain=on_outcome)
            on_outcome(outcome)
            outcomes.append(outcome)
            if progress is not None:
                progress(n, len(todo), item.name)
    finally:
        mailer.close()
    return outcomes


def exit_status(outcomes: Sequence[Outcome]) -> int:
    """0 when every message went, 1 when any failed."""
    return 0 if all(o.ok for o in outcomes) else 1


def summary(
    outcomes: Sequence[Outcome],
    skipped: int = 0,
    *,
    held: Sequence[Outgoing] = (),
    command: str = "letters send DIRECTIVE --yes",
) -> str:
    """The run's last words: how many went, which failed and why, which are uncertain.

    ``held``: recipients not sent because an earlier run left them uncertain; ``command``
    the command that sends, for the ``--resend`` it tells the clerk to add.
    """
    sent = [o for o in outcomes if o.ok]
    failed = [o for o in outcomes if not o.ok and not o.uncertain]
    uncertain = [o for o in outcomes if o.uncertain]
    counts = f"ส่งแล้ว (sent) {len(sent)} ฉบับ, ไม่สำเร็จ (failed) {len(failed)} ฉบับ, "
    if uncertain:
        counts += f"ไม่แน่ใจว่าได้รับ (uncertain) {len(uncertain)} ฉบับ, "
    lines = [counts + f"ข้ามเพราะส่งไปแล้ว (already sent) {skipped} ฉบับ"]
    lines += [f"  {o.code}: {visible(o.detail, 2000)}" for o in failed + uncertain]
    if failed:
        lines.append("รันคำสั่งเดิมอีกครั้งเพื่อส่งเฉพาะฉบับที่ยังไม่สำเร็จ")
    if held:
        lines.append(_held_lines(held))
    if uncertain or held:
        codes = sorted({o.code for o in uncertain} | {i.code for i in held})
        lines.append(_resend_hint(codes, command))
    return "\n".join(lines)


def _held_lines(held: Sequence[Outgoing]) -> str:
    lines = [
        f"ไม่ได้ส่ง (not sent) {len(held)} ฉบับ: ครั้งก่อนการเชื่อมต่อหลุดหลังส่งเนื้อความ "
        "ไม่แน่ใจว่าผู้รับได้รับแล้วหรือไม่ (uncertain)"
    ]
    lines += [f"  {i.code} {i.name}: Message-ID {i.message_id}" for i in held]
    return "\n".join(lines)


def _resend_hint(codes: Sequence[str], command: str) -> str:
    resend = "".join(f" --resend {code}" for code in codes)
    return (
        "สอบถามผู้รับว่าได้รับหนังสือแล้วหรือไม่; ถ้ายังไม่ได้รับ ส่งอีกครั้ง (ด้วย Message-ID เดิม "
        f"ระบบของผู้รับจึงตัดฉบับซ้ำได้): {command}{resend}"
    )


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} ไบต์ (bytes)"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} กิโลไบต์ (KB)"
    return f"{n / (1024 * 1024):.1f} เมกะไบต์ (MB)"


def dry_run(
    items: Sequence[Outgoing],
    already_sent: set[str],
    command: str,
    held: AbstractSet[str] = frozenset(),
) -> str:
    """What ``--yes`` would send, recipient by recipient, and the command that sends it.

    ``held``: codes an earlier run left uncertain, which ``--yes`` does not send.
    """
    to_send = [i for i in items if i.code not in already_sent and i.code not in held]
    done = sum(1 for i in items if i.code in already_sent)
    waiting = [i for i in items if i.code in held and i.code not in already_sent]
    head = f"ยังไม่ได้ส่ง (dry run): จะส่งอีเมล {len(to_send)} ฉบับ, ส่งไปแล้ว {done} ฉบับ (already sent)"
    if waiting:
        head += f", ไม่แน่ใจว่าได้รับ {len(waiting)} ฉบับ (uncertain): ไม่ส่ง"
    lines = [head]
    for item in items:
        if item.code in already_sent:
            mark = "  [ส่งแล้ว (already sent): ไม่ส่งซ้ำ]"
        elif item.code in held:
            mark = f"  [ไม่แน่ใจว่าได้รับ (uncertain): ไม่ส่ง เว้นแต่ --resend {item.code}]"
        elif item.message_id:
            mark = "  [ส่งอีกครั้งด้วย Message-ID เดิม (resend, same Message-ID)]"
        else:
            mark = ""
        try:
            size = _size(item.attachment.stat().st_size)
        except OSError:
            size = "ไม่พบไฟล์ (missing): สร้างใหม่ด้วย letters build"
        if not item.to.strip():
            to = "ไม่มีที่อยู่อีเมล (no e-mail address) ใน config.yaml"
        elif not plain_address(item.to):
            to = f"'{visible(item.to)}' ที่อยู่ไม่ถูกต้อง (invalid e-mail address): แก้ใน config.yaml"
        else:
            to = item.to
        lines += [
            f"{item.code} {item.name}{mark}",
            f"    ถึง (to): {to}",
            f"    เรื่อง (subject): {item.subject}",
            f"    แนบ (attachment): {item.attachment_name}, {size}",
        ]
    if waiting:
        lines.append(_held_lines(waiting))
        lines.append(_resend_hint([i.code for i in waiting], command))
    lines.append(f"ส่งจริง (to send): {command}")
    return "\n".join(lines)


# -- letters send ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SendResult:
    text: str
    exit_code: int


def email_settings(letter: Letter) -> Email:
    """``dispatch.email`` of the letter's config.yaml, or ``DispatchError`` saying to add it."""
    settings = letter.config.model.dispatch.email
    if settings is None:
        raise DispatchError(
            f"{letter.config.path}: ไม่มี dispatch.email (no e-mail settings): "
            "เพิ่ม host, port, security, sender ใน config.yaml"
        )
    return settings


def send_built(
    letter: Letter,
    built: Built,
    register: Register,
    directive_id: str,
    *,
    command: str,
    yes: bool = False,
    resend: Sequence[str] = (),
    environ: Mapping[str, str],
    smtp_factory: Callable[..., smtplib.SMTP] | None = None,
    ssl_context: ssl.SSLContext | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> SendResult:
    """A dry run listing, or (``yes``) each recipient's bundle of ``built`` by e-mail.

    Every outcome goes to ``register`` as it happens; recipients the register says were sent
    are skipped, so each district gets exactly one copy however often the clerk runs this.
    Recipients the register says are uncertain (the connection dropped after the body) are
    listed and not sent. ``resend`` names recipients to send again on purpose: an uncertain
    one under the Message-ID it had, one already sent under a new one. ``command`` is the
    command that sends (``letters send DIRECTIVE --yes``), for the texts that name it.
    """
    from letters.register import EMAIL

    settings = email_settings(letter)
    members = {m.code: m for m in letter.recipients}
    wanted = {thai.arabic_digits(c) for c in resend}
    unknown = sorted(wanted - set(built.bundles))
    if unknown:
        raise DispatchError(
            f"--resend: ไม่มีผู้รับรหัส {', '.join(unknown)} ในหนังสือนี้ (unknown recipient)"
        )
    sent = register.sent(directive_id, EMAIL)
    doubtful = {c: m for c, m in register.uncertain(directive_id, EMAIL).items() if c not in sent}
    items = [
        replace(outgoing(letter, members[code], number, path), message_id=doubtful.get(code))
        for code, (path, _sha, number) in built.bundles.items()
        if code in members and (not wanted or code in wanted)
    ]
    already = sent - wanted
    held = {code for code in doubtful if code not in wanted}
    if not yes:
        named = command + "".join(f" --resend {c}" for c in sorted(wanted))
        return SendResult(dry_run(items, already, named, held), 0)
    skipped = sum(1 for item in items if item.code in already)
    waiting = [item for item in items if item.code in held]

    def record(outcome: Outcome) -> None:
        register.record_action(
            directive_id,
            outcome.code,
            EMAIL,
            outcome.at,
            outcome.message_id,
            outcome.ok,
            detail=None if outcome.ok else outcome.detail,
            uncertain=outcome.uncertain,
        )

    mailer = Mailer(settings, environ=environ, smtp_factory=smtp_factory, ssl_context=ssl_context)
    outcomes = send_all(
        items, mailer, already_sent=already | held, on_outcome=record, progress=progress
    )
    text = summary(outcomes, skipped, held=waiting, command=command)
    return SendResult(text, 1 if waiting else exit_status(outcomes))
