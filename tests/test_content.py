"""The words of each copy: what copies of one letter share, and what is each one's own."""

from __future__ import annotations

from pathlib import Path

from conftest import make_office

from letters import thai
from letters.content import copy_for, plain
from letters.directive import load_letter


def _office(folder: Path, subject: str | None = None, each: bool = True) -> Path:
    directive = make_office(
        folder,
        emblem=False,
        config_edits={"title: นายอำเภอสังคม,": "title: นายอำเภอสังคม (เขต 2),"},
    )
    text = directive.read_text(encoding="utf-8")
    if each:
        text = text.replace("address: collective", "address: each")
    if subject:
        start = text.index("subject:")
        end = text.index("\n", start)
        text = text[:start] + f"subject: {subject}" + text[end:]
    directive.write_text(text, encoding="utf-8")
    return directive


def test_copies_differ_in_the_addressee_only(tmp_path: Path) -> None:
    letter = load_letter(_office(tmp_path))
    copies = [copy_for(letter, member, "193") for member in letter.recipients]
    assert len({copy.form_key() for copy in copies}) == 1
    by_code = {copy.recipient.code: copy for copy in copies}
    assert plain(by_code["4308"].addressee) == thai.thai_digits("นายอำเภอสังคม (เขต 2)")
    assert plain(by_code["4301"].addressee) == "นายอำเภอเมืองหนองคาย"
    assert [copy.recipient.code for copy in copies] == [m.code for m in letter.recipients]
    assert by_code["4301"].number.endswith("/ว ๑๙๓")


def test_each_letter_and_number_gets_its_own_words(tmp_path: Path) -> None:
    first = load_letter(_office(tmp_path / "a", subject="ขอเชิญประชุมครั้งที่ 1"))
    second = load_letter(_office(tmp_path / "b", subject="ขอเชิญประชุมครั้งที่ 2"))
    member = first.recipients[0]
    one, two = copy_for(first, member, "5"), copy_for(second, member, "5")
    assert plain(one.subject).endswith("๑") and plain(two.subject).endswith("๒")
    assert copy_for(first, member, "6").number.endswith("๖")
    assert copy_for(first, member, None).number.endswith("/ว")
    assert copy_for(first, member, "5", draft=True).draft
    assert not copy_for(first, member, "5").draft


def test_collective_copies_are_identical(tmp_path: Path) -> None:
    letter = load_letter(_office(tmp_path, each=False))
    copies = [copy_for(letter, member, "193") for member in letter.recipients]
    assert len({copy.identity() for copy in copies}) == 1
    assert plain(copies[0].addressee) == "นายอำเภอทุกอำเภอ"
