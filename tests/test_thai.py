from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys

import pytest

from letters import thai


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2561", "๒๕๖๑"),
        ("ข้อ 1 และข้อ 23", "ข้อ ๑ และข้อ ๒๓"),
        ("นค 0019.4/ว 193", "นค ๐๐๑๙.๔/ว ๑๙๓"),
        ("โทร. 0-4241-1182", "โทร. ๐-๔๒๔๑-๑๑๘๒"),
        ("ร้อยละ 12.75 ของ 1,234 คน", "ร้อยละ ๑๒.๗๕ ของ ๑,๒๓๔ คน"),
        ("Line@ 3 version 2", "Line@ ๓ version ๒"),
        ("ดาวน์โหลดได้ที่ www.pr.moi.go.th", "ดาวน์โหลดได้ที่ www.pr.moi.go.th"),
        (
            "ที่ https://example.go.th/a/2561/1.pdf ครับ 5",
            "ที่ https://example.go.th/a/2561/1.pdf ครับ ๕",
        ),
        ("ดูที่ www.site2.example.com/page3.", "ดูที่ www.site2.example.com/page3."),
        (
            "อีเมล saraban4301@amphoe4301.nongkhai.example โทร 2",
            "อีเมล saraban4301@amphoe4301.nongkhai.example โทร ๒",
        ),
        ("host4.example.org ข้อ 4", "host4.example.org ข้อ ๔"),
        ("(url: https://a.b/c1) 1", "(url: https://a.b/c1) ๑"),
        ("ไลน์แอด @มหาดไทย 2", "ไลน์แอด @มหาดไทย ๒"),
        ("๑๒ and 12", "๑๒ and ๑๒"),
        ("", ""),
    ],
)
def test_thai_digits(text: str, expected: str) -> None:
    assert thai.thai_digits(text) == expected


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("ข้อ ๑", False),
        ("ข้อ 1", True),
        ("www.pr2.moi.go.th", False),
        ("saraban@amphoe4301.example", False),
        ("saraban@amphoe4301.example 9", True),
    ],
)
def test_ascii_digit_detection(text: str, found: bool) -> None:
    assert thai.has_ascii_digit_outside_links(text) is found


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2018, 12, 11), "๑๑ ธันวาคม ๒๕๖๑"),
        (dt.date(2026, 1, 1), "๑ มกราคม ๒๕๖๙"),
        (dt.date(2024, 2, 29), "๒๙ กุมภาพันธ์ ๒๕๖๗"),
        (dt.date(2000, 7, 31), "๓๑ กรกฎาคม ๒๕๔๓"),
    ],
)
def test_thai_date(day: dt.date, expected: str) -> None:
    assert thai.thai_date(day) == expected


def test_thai_date_agrees_with_pythainlp() -> None:
    from pythainlp.util import thai_strftime

    for month in range(1, 13):
        day = dt.date(2019, month, 15)
        assert thai.thai_date(day) == thai_strftime(day, "%-d %B %Y", thaidigit=True)


@pytest.mark.parametrize(("index", "expected"), [(1, "๑."), (2, "๒."), (10, "๑๐."), (123, "๑๒๓.")])
def test_item_number(index: int, expected: str) -> None:
    assert thai.item_number(index) == expected


def test_item_number_rejects_zero() -> None:
    with pytest.raises(ValueError):
        thai.item_number(0)


@pytest.mark.parametrize(
    ("text", "names", "expected"),
    [
        (
            "เรียน นายอำเภอเมืองหนองคาย และนายอำเภอท่าบ่อ",
            ["นายอำเภอเมืองหนองคาย", "เมืองหนองคาย", "นายอำเภอท่าบ่อ"],
            [
                ("เรียน ", False),
                ("นายอำเภอเมืองหนองคาย", True),
                (" และ", False),
                ("นายอำเภอท่าบ่อ", True),
            ],
        ),
        ("ไม่มีชื่อ", ["หนองคาย"], [("ไม่มีชื่อ", False)]),
        (
            "สมาชิกไลน์แอด @มหาดไทย เพื่อรับ",
            [],
            [("สมาชิกไลน์แอด ", False), ("@มหาดไทย", True), (" เพื่อรับ", False)],
        ),
        ("(Line@) ภายใต้", [], [("(Line@) ภายใต้", False)]),
        (
            "เรียน นายอำเภอท่าบ่อ ในฐานะประธานคณะกรรมการ",
            ["นายอำเภอท่าบ่อ ในฐานะประธานคณะกรรมการ", "ท่าบ่อ"],
            [
                ("เรียน ", False),
                ("นายอำเภอท่าบ่อ", True),
                (" ", False),
                ("ในฐานะประธานคณะกรรมการ", True),
            ],
        ),
        ("", ["หนองคาย"], []),
    ],
)
def test_split_names(text: str, names: list[str], expected: list[tuple[str, bool]]) -> None:
    assert thai.split_names(text, names) == expected


@pytest.mark.parametrize(
    ("text", "keep", "first"),
    [
        ("ด้วยจังหวัดหนองคาย ได้รับแจ้ง", [], "ด้วย"),
        (
            "สำนักงานพัฒนาชุมชนจังหวัดหนองคาย แจ้งว่า",
            ["สำนักงานพัฒนาชุมชนจังหวัดหนองคาย"],
            "สำนักงานพัฒนาชุมชนจังหวัดหนองคาย",
        ),
        # libthai's word boundary: the first word of a compound, as a line may break there
        ("  ๒. เน้นย้ำการปฏิบัติ", [], "๒. เน้น"),
        ("กระทรวงมหาดไทย ได้ผลิตสื่อ", [], "กระทรวง"),
        ("๑๐.ทดสอบระบบ", [], "๑๐. ทดสอบ"),
        # a handle is one word, and an opening quote or bracket goes with its word
        ('"@มหาดไทย" เพื่อรับข่าวสาร', [], '"@มหาดไทย"'),
        ("(Line@) ภายใต้", [], "(Line@)"),
        ("www.pr.moi.go.th ได้", [], "www.pr.moi.go.th"),
        ("นายอำเภอเมืองหนองคาย เพื่อทราบ", ["นายอำเภอเมืองหนองคาย"], "นายอำเภอเมืองหนองคาย"),
        ("", [], ""),
    ],
)
def test_first_word(text: str, keep: list[str], first: str) -> None:
    assert thai.first_word(text, keep) == first


def test_catch_words_load_no_dictionary() -> None:
    """The word boundary comes from the layout's own line breaking: pythainlp's 62,000-word
    dictionary is not loaded for it."""
    code = (
        "import sys; from letters import thai; "
        "thai.first_word('กระทรวงมหาดไทย ได้ผลิตสื่อ'); "
        "print(sorted(m for m in sys.modules if m.startswith('pythainlp.corpus')))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("typed", "day", "buddhist"),
    [
        ("2018-12-11", dt.date(2018, 12, 11), False),
        ("2561-12-11", dt.date(2018, 12, 11), True),  # 2400 or more: พ.ศ.
        ("๒๕๖๑-๑๒-๑๑", dt.date(2018, 12, 11), True),
        ("๒๐๑๘-๑๒-๑๑", dt.date(2018, 12, 11), False),
        ("2561-1-5", dt.date(2018, 1, 5), True),
        ("๑๑ ธันวาคม ๒๕๖๑", dt.date(2018, 12, 11), True),
        ("11 ธันวาคม 2561", dt.date(2018, 12, 11), True),
        ("11 ธ.ค. 2561", dt.date(2018, 12, 11), True),
        ("๑๑ ธันวาคม พ.ศ. ๒๕๖๑", dt.date(2018, 12, 11), True),
        ("11 ธันวาคม 2018", dt.date(2018, 12, 11), False),
        ("11 ธันวาคม ค.ศ. 2018", dt.date(2018, 12, 11), False),
        ("  11  ธันวาคม  2561 ", dt.date(2018, 12, 11), True),
        ("2563-02-29", dt.date(2020, 2, 29), True),  # 2020 is a leap year
        ("2099-12-31", dt.date(2099, 12, 31), False),  # the last year a letter may have
        ("2484-01-01", dt.date(1941, 1, 1), True),  # the first
    ],
)
def test_typed_date(typed: str, day: dt.date, buddhist: bool) -> None:
    read = thai.typed_date(typed)
    assert (read.day, read.buddhist) == (day, buddhist)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("2019-02-29", "no such date"),
        ("2562-02-29", "no such date"),  # ค.ศ. 2019: no 29 February
        ("2018-13-01", "no such date"),
        ("0000-01-01", "no such date"),
        ("๓๒ ธันวาคม ๒๕๖๑", "no such date"),
        ("11 ธันวาคม พ.ศ. 2018", "impossible year"),
        ("11 ธันวาคม ค.ศ. 2561", "impossible year"),
        ("11 12 2561", "invalid date"),
        ("2018-12-11T00:00", "invalid date"),
        ("20181211", "invalid date"),
        ("11 ธันวาคม", "invalid date"),
        ("11 ธันวาคม 2561 ครับ", "invalid date"),
        # a DOCX (a zip file) records no year after 2107: build refused such a date
        ("2399-12-31", "year out of range"),
        ("2943-01-01", "year out of range"),  # พ.ศ. 2943 = ค.ศ. 2400
        ("1900-01-01", "year out of range"),
        ("พรุ่งนี้", "invalid date"),
        ("", "invalid date"),
    ],
)
def test_typed_date_refuses(typed: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        thai.typed_date(typed)


def test_what_was_understood() -> None:
    assert thai.typed_date("2561-12-11").understood == "พ.ศ. ๒๕๖๑ = ค.ศ. 2018"
    assert thai.typed_date("2018-12-11").understood == "ค.ศ. 2018 = พ.ศ. ๒๕๖๑"


def test_short_month_names_agree_with_pythainlp() -> None:
    from pythainlp.util.date import thai_abbr_months

    assert list(thai.THAI_MONTHS_SHORT) == list(thai_abbr_months)


@pytest.mark.parametrize(
    ("day", "far"),
    [
        (dt.date(2025, 3, 1), False),
        (dt.date(2024, 3, 1), False),  # a year before, to the day
        (dt.date(2024, 2, 29), True),
        (dt.date(2026, 3, 1), False),
        (dt.date(2026, 3, 2), True),
        (dt.date(2018, 12, 11), True),
    ],
)
def test_years_apart(day: dt.date, far: bool) -> None:
    assert thai.years_apart(day, dt.date(2025, 3, 1)) is far


@pytest.mark.parametrize(
    ("name", "title", "office"),
    [
        ("ท่าบ่อ", "นายอำเภอท่าบ่อ", "อำเภอท่าบ่อ"),
        ("เมืองหนองคาย", "นายอำเภอเมืองหนองคาย", "อำเภอเมืองหนองคาย"),
        ("อำเภอสังคม", "นายอำเภอสังคม", "อำเภอสังคม"),  # already the office's name
        ("พระนคร", "ผู้อำนวยการเขตพระนคร", "เขตพระนคร"),
        ("สำนักงานจังหวัด", "หัวหน้าสำนักงานจังหวัด", "สำนักงานจังหวัด"),
    ],
)
def test_office_name(name: str, title: str, office: str) -> None:
    assert thai.office_name(name, title) == office
