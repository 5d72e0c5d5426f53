"""The office's follow-up checklist: who was sent the letter, who did which task, who replied.

Two files with the same table, one row per recipient (in the directive's order):

``checklist.pdf``
    A4 landscape to print and tick by hand: a column for the date sent, one column per
    follow-up task, a column for the date replied and one for notes; the due date in the
    heading; every digit Thai.

``checklist.xlsx``
    The same table to keep on screen, and to fill in and read back: ``letters.workbook``
    (built from ``checklist_table``, as the PDF is).

When the outgoing register knows what happened (``RecipientProgress``), both files show it:
sent dates, done tasks (a tick and the date), and what is overdue against ``today``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from letters import thai
from letters.content import Run, number_line, rich
from letters.directive import Letter
from letters.fonts import FAMILY, FontSet
from letters.render import DeclaredFiles, Output, compose_pages, join, template_environment
from letters.resources import resource_dir

TITLE = "แบบติดตามผลการดำเนินการ"
DONE = "ดำเนินการแล้ว"
OVERDUE = "เกินกำหนด"
COMPLETE = "ครบแล้ว"
NOT_SENT = "ยังไม่ส่ง"


@dataclass(frozen=True)
class RecipientProgress:
    """What the register knows of one recipient."""

    sent_on: dt.date | None = None
    done: Mapping[int, dt.date] = field(default_factory=dict)  # task index (0-based) -> date
    replied_on: dt.date | None = None
    number: str | None = None  # the copy's ที่ line as the register numbered it
    note: str = ""  # หมายเหตุ, as the filled-in checklist last gave it


@dataclass(frozen=True)
class _Cell:
    text: str = ""
    done: bool = False
    overdue: bool = False


@dataclass(frozen=True)
class _Row:
    code: str
    name: str
    number: str  # the copy's ที่ (an external letter's own; empty when not numbered)
    sent: _Cell
    tasks: tuple[_Cell, ...]
    replied: _Cell
    status: str
    overdue: bool
    note: str = ""


@dataclass(frozen=True)
class ChecklistTable:
    title: str
    subject: str
    number: str  # the ที่ line of the heading: a circular's one number; empty when none
    date: str
    due: str | None
    tasks: tuple[str, ...]
    rows: tuple[_Row, ...]
    as_of: str | None  # the day the progress is from; None when nothing is known
    counts: Mapping[str, int]
    numbered: bool  # each row has its own number (an external letter): a column ที่


def _number_text(line: str) -> str:
    """A ที่ line as a cell shows it, without the ``ที่`` the column's header says."""
    return line.strip().removeprefix("ที่").strip()


def checklist_table(
    letter: Letter, progress: Mapping[str, RecipientProgress] | None, today: dt.date | None
) -> ChecklistTable:
    d = letter.directive
    follow = d.follow_up
    tasks = tuple(thai.thai_digits(t) for t in follow.tasks) if follow else ()
    known = progress is not None
    external = d.kind == "external"
    literal = None if d.auto_number else number_line(letter, thai.thai_digits(d.number))
    day = (today or dt.date.today()) if known else None
    late = bool(follow and day and day > follow.due)
    rows = []
    for member in letter.recipients:
        state = (progress or {}).get(member.code, RecipientProgress())
        sent = state.sent_on is not None
        cells = []
        for i in range(len(tasks)):
            when = state.done.get(i)
            if when is not None:
                cells.append(_Cell(thai.thai_date_short(when), done=True))
            else:
                cells.append(_Cell(OVERDUE if sent and late else "", overdue=sent and late))
        if state.replied_on is not None:
            replied = _Cell(thai.thai_date_short(state.replied_on), done=True)
        else:
            replied = _Cell(OVERDUE if sent and late else "", overdue=sent and late)
        if state.sent_on is not None:
            sent_cell = _Cell(thai.thai_date_short(state.sent_on), done=True)
        else:
            sent_cell = _Cell(NOT_SENT if known else "")
        overdue = replied.overdue or any(c.overdue for c in cells)
        complete = state.replied_on is not None and all(c.done for c in cells)
        status = OVERDUE if overdue else COMPLETE if complete else ""
        if known and not sent:
            status = NOT_SENT
        line = state.number or literal or ""
        rows.append(
            _Row(
                thai.thai_digits(member.code),
                thai.thai_digits(member.name),
                _number_text(line) if external else "",
                sent_cell,
                tuple(cells),
                replied,
                status,
                overdue,
                state.note,
            )
        )
    # A circular's copies share one number: the heading's. An external letter's copies each
    # have their own, in their rows; its heading has none (a ที่ line without its number).
    shared = next((p.number for p in (progress or {}).values() if p.number), None) or literal
    counts = {
        "all": len(rows),
        "sent": sum(r.sent.done for r in rows),
        "replied": sum(r.replied.done for r in rows),
        "overdue": sum(r.overdue for r in rows),
    }
    return ChecklistTable(
        title=TITLE,
        subject=thai.thai_digits(d.subject),
        number=shared if shared and not external else "",
        date=thai.thai_date(d.date),
        due=thai.thai_date(follow.due) if follow else None,
        tasks=tasks,
        rows=tuple(rows),
        as_of=thai.thai_date(day) if day else None,
        counts=counts,
        numbered=external,
    )


def checklist_summary(table: ChecklistTable) -> str | None:
    if table.as_of is None:
        return None
    n = {k: thai.thai_number(v) for k, v in table.counts.items()}
    return (
        f"ข้อมูล ณ วันที่ {table.as_of}: ส่งแล้ว {n['sent']} จาก {n['all']} ราย "
        f"ตอบแล้ว {n['replied']} ราย {OVERDUE} {n['overdue']} ราย"
    )


PIECE_ROWS = 100  # a longer checklist is laid out in pieces of about this many rows

# A piece prints nothing in the page margins (the page number: the joined pages get theirs at
# the end); a piece after the first is the table alone, as it continues on a page of its own.
_MARGIN_BOXES = (
    *(f"top-{p}" for p in ("left-corner", "left", "center", "right", "right-corner")),
    *(f"bottom-{p}" for p in ("left-corner", "left", "center", "right", "right-corner")),
    *(f"{side}-{p}" for side in ("left", "right") for p in ("top", "middle", "bottom")),
)
_NO_MARGINS = (
    "@page { " + " ".join(f"@{b} {{ content: none !important }}" for b in _MARGIN_BOXES) + " }"
)
_CONTINUED = (
    "h1, .heading { display: none !important } table.checklist { margin-top: 0 !important }"
)
_MARGINS_ONLY = "@page { background: none !important } html { background: none !important }"


def checklist_pdf(
    letter: Letter,
    fonts: FontSet,
    progress: Mapping[str, RecipientProgress] | None = None,
    today: dt.date | None = None,
    *,
    piece_rows: int = PIECE_ROWS,
) -> bytes:
    """The checklist as an A4 landscape PDF (see the module's description).

    A checklist of more than ``piece_rows`` rows is laid out in pieces of about that many
    rows, one after the other, so that the memory it takes does not grow with the number of
    recipients (a layout of the whole table holds about 0.15 MB a row). The pages are the
    same as those of one layout: each piece starts with the row that begins the page after
    the previous piece's last full page, every page has the header row, and the page numbers
    (``หน้า n / N``) are drawn over the joined pages once their number is known.
    """
    table = checklist_table(letter, progress, today)
    pages = _Pages(letter, fonts, table)
    if len(table.rows) <= piece_rows:
        return pages.whole()
    return pages.in_pieces(piece_rows)


class _Pages:
    """Lays out the checklist's HTML, whole or a few rows at a time."""

    def __init__(self, letter: Letter, fonts: FontSet, table: ChecklistTable) -> None:
        from weasyprint.text.fonts import FontConfiguration

        names = letter.directory_names

        def text(value: str) -> tuple[Run, ...]:
            return rich(value, names)

        self.table = table
        self.created = letter.directive.date
        # The checklist is a working paper: its text layer, neither archive nor tags.
        self.output = Output(letter.config.model.pdf.text_layer)
        self.base = str(resource_dir("templates"))
        self.font_config = FontConfiguration()
        self.url_fetcher = DeclaredFiles.of_fonts(fonts)  # the fonts, nothing else
        self.template = template_environment().get_template("checklist.html.j2")
        self.context = {
            "subject": text(table.subject),
            "task_texts": [(thai.item_number(i), text(t)) for i, t in enumerate(table.tasks, 1)],
            "summary": checklist_summary(table),
            "office": thai.thai_digits(letter.config.model.office.name),
            "L": letter.config.model.layout,
            "fonts": fonts.faces,
            "family": FAMILY,
            "author": letter.config.model.office.name,
            "created": self.created.isoformat(),
            "done_word": DONE,
        }

    def html(self, rows: Sequence[_Row]) -> str:
        t = replace(self.table, rows=tuple(rows))
        return str(self.template.render(t=t, **self.context))

    def _layout(self, html: str, css: str = "") -> Any:
        from weasyprint import CSS, HTML

        fetcher = self.url_fetcher
        sheets = [CSS(string=css, font_config=self.font_config, url_fetcher=fetcher)] if css else []
        document = HTML(string=html, base_url=self.base, url_fetcher=fetcher)
        return document.render(font_config=self.font_config, stylesheets=sheets)

    def whole(self) -> bytes:
        from letters.render import write_pdf

        return write_pdf(self._layout(self.html(self.table.rows)), self.created, self.output)

    def in_pieces(self, piece_rows: int) -> bytes:
        from letters.render import write_pdf

        rows = self.table.rows
        pieces: list[bytes] = []
        count = 0  # pages so far
        start = 0
        size = max(1, piece_rows)
        while start < len(rows):
            end = min(len(rows), start + size)
            css = _NO_MARGINS if start == 0 else _NO_MARGINS + _CONTINUED
            document = self._layout(self.html(rows[start:end]), css)
            kept = document.pages
            if end < len(rows):
                # The last page may have room for more rows: the next piece starts with it.
                first = _first_row(document.pages)
                if first is None:
                    size *= 2  # not even two pages: a bigger piece
                    continue
                kept = document.pages[:-1]
                end = start + first
            pieces.append(write_pdf(document.copy(kept), self.created, self.output))
            count += len(kept)
            start = end
            del document, kept
        return compose_pages(join(pieces), self._numbers(count))

    def _numbers(self, count: int) -> bytes:
        """``count`` pages that print nothing but what the checklist's pages print in their
        margins (the page number), as they print it."""
        from letters.render import write_pdf

        head, body, _ = self.html(()).partition("<body>")
        assert body, "checklist.html.j2 has a <body>"
        pages = "<div></div>" + '<div style="break-before: page"></div>' * (count - 1)
        document = self._layout(f"{head}{body}{pages}</body></html>", _MARGINS_ONLY)
        assert len(document.pages) == count
        return write_pdf(document, self.created, self.output)


def _first_row(pages: Sequence[Any]) -> int | None:
    """Of the table rows laid out on ``pages`` (the header rows left out), the number of
    those before the last page's first; None when the last page is the only one with rows."""
    order: dict[int, int] = {}  # id of a row's element -> its place in the piece
    firsts = []
    for page in pages:
        on_page = [row.element for row in _body_rows(page._page_box)]
        for element in on_page:
            order.setdefault(id(element), len(order))
        firsts.append(order[id(on_page[0])] if on_page else None)
    last = firsts[-1]
    return last if last else None


def _body_rows(box: Any) -> Iterator[Any]:
    from weasyprint.formatting_structure import boxes

    if isinstance(box, boxes.TableRowGroupBox):
        if not (box.is_header or box.is_footer):
            yield from (row for row in box.children if isinstance(row, boxes.TableRowBox))
        return
    for child in getattr(box, "children", ()):
        yield from _body_rows(child)
