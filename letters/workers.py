"""Writing a build's files into its staging folder, recipient by recipient.

A build of a few letters writes them in this process while one side process makes the DOCX
letters and the checklist (``write_here``); from ``PARALLEL_FROM`` letters on, a pool of
``WORKERS`` processes renders them (``write_parallel``). Either way each renderer is set up
once per process and the files are the same bytes. Processes are forked: the letter and its
loaded enclosures are inherited, not sent, and every process ends with the build.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from letters.config import Member
from letters.content import Copy, copy_for
from letters.directive import FollowUp, Letter
from letters.fonts import FontSet, letter_fonts
from letters.manifest import BuiltLetter

if TYPE_CHECKING:
    from letters.checklist import RecipientProgress

Progress = Callable[[int, int, str], None]  # (done, total, the recipient just done)

PARALLEL_FROM = 12  # builds of fewer letters stay in this process: no pool to start
WORKERS = 2  # the machines this runs on have two cores
CHUNK = 4  # recipients per task sent to a worker
IN_FLIGHT = 2  # tasks waiting or running per worker: bounds the bytes held in memory


def safe_name(text: str) -> str:
    """A file name part: no path separators or characters file systems refuse."""
    return "".join("_" if ch in '/\\:*?"<>|' or ord(ch) < 32 else ch for ch in text).strip()


def file_stem(member: Member) -> str:
    return f"{member.code}-{safe_name(member.name)}"


@dataclass(frozen=True)
class Item:
    """One copy to write: the letter it belongs to, its recipient, its number."""

    letter: Letter
    member: Member
    number: str | None  # as printed after the series; None leaves it blank
    draft: bool = False

    def copy(self) -> Copy:
        return copy_for(self.letter, self.member, self.number, draft=self.draft)


class _Renderers:
    """Everything that renders, set up once for a folder: fonts, templates, enclosure pages."""

    def __init__(self, letter: Letter, fonts: FontSet, formats: Sequence[str]) -> None:
        from letters.bundle import EnclosurePages, ReplyFormRenderer
        from letters.render import DeclaredFiles, PdfRenderer

        layout = letter.config.model.layout
        author = letter.config.model.office.name
        self.fonts = fonts
        # The one URL fetcher of the build's documents: the files the letter declares.
        fetcher = DeclaredFiles.for_letter(letter, fonts)
        pdf = letter.config.model.pdf  # config.yaml's pdf: text layer, archive, tags
        self.pdf = PdfRenderer(
            layout,
            fonts,
            author=author,
            keep_whole=letter.directory_names,
            url_fetcher=fetcher,
            pdf=pdf,
        )
        self.reply = ReplyFormRenderer(
            layout, fonts, font_config=self.pdf.font_config, url_fetcher=fetcher, pdf=pdf
        )
        self.enclosures = EnclosurePages(letter.enclosures, layout)
        self.docx: Any = None
        if "docx" in formats:
            from letters.word import DocxRenderer

            self.docx = DocxRenderer(layout, fonts, author=author, url_fetcher=fetcher)


@dataclass(frozen=True)
class _LetterFiles:
    """One copy's letter, rendered: shared by every recipient whose copy is identical."""

    pdf: bytes
    pages: int
    docx: bytes | None


@dataclass(frozen=True)
class _Task:
    index: int
    copy: Copy | None  # None: the worker makes it from member and number
    member: Member | None = None
    number: str | None = None
    draft: bool = False
    shared: _LetterFiles | None = None  # the letter of copies whose identity is ``key``
    key: tuple[object, ...] | None = None
    # The copy's own follow-up when its letter's differs from the whole letter's (a follow-up
    # letter lists each recipient's open tasks): its reply form lists these.
    follow_up: FollowUp | None = None


@dataclass
class _Done:
    """One recipient's files, ready to write, and what the manifest says of them."""

    index: int
    built: BuiltLetter
    data: dict[Path, bytes]


class _Job:
    """Renders recipients' files: letter (PDF, DOCX), reply form and bundle.

    One per build in this process, or one per worker process (made once by its
    initializer). A few identical copies are kept (a collective circular is the same letter
    for everyone), never every letter of the build: memory stays flat.
    """

    KEEP = 4

    def __init__(
        self,
        letter: Letter,
        formats: Sequence[str],
        renderers: _Renderers,
        *,
        bundles: bool = True,
    ) -> None:
        self.letter = letter
        self.bundles = bundles
        self.formats = tuple(formats)
        self.renderers = renderers
        self._kept: dict[tuple[object, ...], _LetterFiles] = {}

    def letter_files(self, copy: Copy, *, first: bool = False) -> _LetterFiles:
        """The copy's letter; ``first``: the build's first copy, laid out whole (whichever
        process makes it: the files do not depend on how the build is shared out)."""
        key = copy.identity()
        files = self._kept.pop(key, None)
        if files is None:
            date = self.letter.directive.date
            rendered = self.renderers.pdf.render(copy, date, whole=first)
            docx = self.renderers.docx.render(copy, date) if "docx" in self.formats else None
            files = _LetterFiles(rendered.pdf, rendered.pages, docx)
        self._kept[key] = files  # the most recent last
        while len(self._kept) > self.KEEP:
            del self._kept[next(iter(self._kept))]
        return files

    def recipient(self, task: _Task) -> _Done:
        from letters.bundle import make_bundle

        letter, copy = self.letter, task.copy
        if copy is None:
            assert task.member is not None
            copy = copy_for(letter, task.member, task.number, draft=task.draft)
        files = task.shared if task.shared and copy.identity() == task.key else None
        files = files or self.letter_files(copy, first=task.index == 0)
        stem = file_stem(copy.recipient)
        data: dict[Path, bytes] = {}
        paths: dict[str, Path] = {}
        if "pdf" in self.formats:
            paths["pdf"] = Path("letters") / f"{stem}.pdf"
            data[paths["pdf"]] = files.pdf
        if "docx" in self.formats:
            assert files.docx is not None
            paths["docx"] = Path("letters") / f"{stem}.docx"
            data[paths["docx"]] = files.docx
        bundle_pages = 0
        if self.bundles:
            reply = None
            if letter.directive.follow_up is not None:
                reply = self.renderers.reply.render(_with_follow_up(letter, task.follow_up), copy)
            enclosures = self.renderers.enclosures
            paths["bundle"] = Path("bundles") / f"{stem}.pdf"
            data[paths["bundle"]] = make_bundle(files.pdf, enclosures, reply)
            bundle_pages = files.pages + enclosures.pages + (1 if reply else 0)
        member = copy.recipient
        built = BuiltLetter(member.code, member.name, copy.number, paths, files.pages, bundle_pages)
        return _Done(task.index, built, data)


def write_here(
    letter: Letter,
    items: Sequence[Item],
    formats: Sequence[str],
    staging: Path,
    progress: Progress | None,
    checklist: tuple[Mapping[str, RecipientProgress] | None, dt.date | None] | None,
    bundles: bool,
) -> tuple[list[BuiltLetter], list[Path]]:
    """Every recipient's files, one after the other in this process: the PDF letters, reply
    forms and bundles. The DOCX letters and the checklist, which need none of them, are made
    at the same time by one more process (``_side``) that sets up only their renderers; each
    renderer is set up once, in one process."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _SIDE
    (staging / "letters").mkdir()
    (staging / "bundles").mkdir()
    aside = ("docx",) if "docx" in formats else ()
    pool = None
    if aside or checklist is not None:
        _SIDE = (letter, tuple(items), aside, staging, checklist)
        pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
    try:
        # Both processes lay out with WeasyPrint: it is imported (0.4 s) once, before the fork.
        import weasyprint  # noqa: F401

        side = pool.submit(_side) if pool is not None else None
        here = tuple(f for f in formats if f not in aside)
        renderers = _Renderers(letter, letter_fonts(letter.config.folder), here)
        job = _Job(letter, here, renderers, bundles=bundles)
        built: list[BuiltLetter] = []
        for i, item in enumerate(items, 1):
            done = job.recipient(_Task(i - 1, item.copy(), follow_up=_own_follow_up(letter, item)))
            _write_done(staging, done)
            built.append(done.built)
            if progress:
                progress(i, len(items), done.built.name)
        documents, written = side.result() if side is not None else ([], [])
    except BaseException:
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        _SIDE = None
    if pool is not None:
        pool.shutdown(wait=True)
    for letter_built, document in zip(built, documents, strict=False):
        files = {"pdf": letter_built.files.get("pdf"), "docx": document}
        files.update(letter_built.files)
        letter_built.files = {k: v for k, v in files.items() if v is not None}
    return built, written


# What the side process of a build in this process makes, inherited by fork (not sent):
# the letter, its recipients, the formats it makes, the staging folder, the checklist's data.
_SIDE: (
    tuple[
        Letter,
        tuple[Item, ...],
        tuple[str, ...],
        Path,
        tuple[Mapping[str, RecipientProgress] | None, dt.date | None] | None,
    ]
    | None
) = None


def _side() -> tuple[list[Path], list[Path]]:
    """The DOCX letters and the checklist, written into the staging folder; returns their
    paths inside it (the DOCX in the order of the recipients)."""
    _die_with_parent()
    assert _SIDE is not None
    letter, items, formats, staging, checklist = _SIDE
    fonts = letter_fonts(letter.config.folder)
    documents: list[Path] = []
    if "docx" in formats:
        from letters.render import DeclaredFiles
        from letters.word import DocxRenderer

        model = letter.config.model
        fetcher = DeclaredFiles.for_letter(letter, fonts)
        renderer = DocxRenderer(model.layout, fonts, author=model.office.name, url_fetcher=fetcher)
        last: tuple[tuple[object, ...], bytes] | None = None
        for item in items:
            copy = item.copy()
            if last is None or last[0] != copy.identity():  # a circular: one letter for all
                last = (copy.identity(), renderer.render(copy, letter.directive.date))
            documents.append(
                _put(staging, Path("letters") / f"{file_stem(copy.recipient)}.docx", last[1])
            )
    written = _checklist(letter, fonts, staging, *checklist) if checklist is not None else []
    return documents, written


def _own_follow_up(letter: Letter, item: Item) -> FollowUp | None:
    """The follow-up of the item's own letter when it is not the whole ``letter``."""
    return item.letter.directive.follow_up if item.letter is not letter else None


def _with_follow_up(letter: Letter, follow_up: FollowUp | None) -> Letter:
    """``letter`` asking for ``follow_up`` (None: as it is)."""
    if follow_up is None or follow_up == letter.directive.follow_up:
        return letter
    directive = letter.directive.model_copy(update={"follow_up": follow_up})
    return replace(letter, directive=directive)


def _write_done(staging: Path, done: _Done) -> None:
    for relative, data in done.data.items():
        _put(staging, relative, data)


# The worker processes' own job, made once by ``_start_worker``. With the fork start method
# the letter and its loaded enclosures are inherited, not sent.
_WORKER: _Job | None = None
_FORKED: tuple[Letter, tuple[str, ...], bool] | None = None


def _start_worker() -> None:
    global _WORKER
    _die_with_parent()
    assert _FORKED is not None
    letter, formats, bundles = _FORKED
    renderers = _Renderers(letter, letter_fonts(letter.config.folder), formats)
    _WORKER = _Job(letter, formats, renderers, bundles=bundles)


def _die_with_parent() -> None:
    """A worker ends when the build that started it is killed (Linux)."""
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _work(tasks: list[_Task]) -> list[_Done]:
    assert _WORKER is not None
    return [_WORKER.recipient(task) for task in tasks]


def _work_letter(copy: Copy) -> _LetterFiles:
    assert _WORKER is not None
    return _WORKER.letter_files(copy, first=True)  # the build's first copy


def _work_checklist(
    progress: Mapping[str, RecipientProgress] | None, today: dt.date | None
) -> tuple[bytes, bytes]:
    from letters.checklist import checklist_pdf
    from letters.workbook import checklist_xlsx

    assert _WORKER is not None
    letter, fonts = _WORKER.letter, _WORKER.renderers.fonts
    pdf = checklist_pdf(letter, fonts, progress, today)
    return pdf, checklist_xlsx(letter, progress, today, fonts=fonts)


def write_parallel(
    letter: Letter,
    items: Sequence[Item],
    formats: Sequence[str],
    staging: Path,
    progress: Progress | None,
    workers: int,
    checklist: tuple[Mapping[str, RecipientProgress] | None, dt.date | None] | None,
    bundles: bool,
) -> tuple[list[BuiltLetter], list[Path]]:
    """Every recipient's files, rendered by ``workers`` processes.

    This process sends chunks of recipients to the workers, which make each copy and its
    files, and writes each file as it comes back; at most ``IN_FLIGHT`` chunks per worker
    are out at once. When the first two copies are identical (a collective circular), their
    letter is rendered once and sent along for every copy identical to it. The checklist is
    made by a worker at the same time as the letters.
    """
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

    global _FORKED
    (staging / "letters").mkdir()
    (staging / "bundles").mkdir()
    _FORKED = (letter, tuple(formats), bundles)
    built: list[BuiltLetter | None] = [None] * len(items)
    written: list[Path] = []
    count = 0
    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker)
    try:
        listed: Future[tuple[bytes, bytes]] | None = None
        if checklist is not None:
            listed = pool.submit(_work_checklist, *checklist)
        first = [item.copy() for item in items[:2]]
        shared: _LetterFiles | None = None
        key: tuple[object, ...] | None = None
        if len(first) == 2 and first[0].identity() == first[1].identity():
            key = first[0].identity()
            shared = pool.submit(_work_letter, first[0]).result()
        pending: set[Future[list[_Done]]] = set()

        def collect(block: bool) -> None:
            nonlocal count
            if not pending:
                return
            done, _ = wait(pending, timeout=None if block else 0, return_when=FIRST_COMPLETED)
            for future in done:
                pending.discard(future)
                for result in future.result():
                    _write_done(staging, result)
                    built[result.index] = result.built
                    count += 1
                    if progress:
                        progress(count, len(items), result.built.name)

        chunk: list[_Task] = []
        for index, item in enumerate(items):
            copy = first[index] if index < len(first) else None
            if copy is None and item.letter is not letter:
                copy = item.copy()  # a copy of its own letter: the workers know the whole one
            own = _own_follow_up(letter, item)
            task = _Task(index, copy, item.member, item.number, item.draft, shared, key, own)
            chunk.append(task)
            if len(chunk) == CHUNK or index == len(items) - 1:
                while len(pending) >= IN_FLIGHT * workers:
                    collect(block=True)
                pending.add(pool.submit(_work, chunk))
                chunk = []
                collect(block=False)
        while pending:
            collect(block=True)
        if listed is not None:
            pdf, xlsx = listed.result()
            written = [
                _put(staging, Path("checklist.pdf"), pdf),
                _put(staging, Path("checklist.xlsx"), xlsx),
            ]
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        _FORKED = None
    pool.shutdown(wait=True)
    return [b for b in built if b is not None], written


def _put(staging: Path, relative: Path, data: bytes) -> Path:
    (staging / relative).write_bytes(data)
    return relative


def _checklist(
    letter: Letter,
    fonts: FontSet,
    staging: Path,
    progress: Mapping[str, RecipientProgress] | None,
    today: dt.date | None,
) -> list[Path]:
    from letters.checklist import checklist_pdf
    from letters.workbook import checklist_xlsx

    pdf = _put(staging, Path("checklist.pdf"), checklist_pdf(letter, fonts, progress, today))
    xlsx = _put(
        staging,
        Path("checklist.xlsx"),
        checklist_xlsx(letter, progress, today, fonts=fonts),
    )
    return [pdf, xlsx]


def write_files(
    letter: Letter,
    items: Sequence[Item],
    formats: Sequence[str],
    staging: Path,
    *,
    progress: Progress | None,
    workers: int | None,
    checklist: tuple[Mapping[str, RecipientProgress] | None, dt.date | None] | None,
    bundles: bool,
) -> tuple[list[BuiltLetter], list[Path]]:
    """Every recipient's files (and the checklist, when ``checklist`` gives its data) into
    ``staging``: the letters built, in the recipients' order, and the checklist's paths.

    ``workers``: processes that render; None chooses (``WORKERS`` from ``PARALLEL_FROM``
    letters on, else this process alone), 1 renders here. The files are the same bytes.
    """
    if workers is None:
        workers = min(WORKERS, os.cpu_count() or 1) if len(items) >= PARALLEL_FROM else 1
    if workers > 1:
        return write_parallel(
            letter, items, formats, staging, progress, workers, checklist, bundles
        )
    return write_here(letter, items, formats, staging, progress, checklist, bundles)
