"""The letter editor's form (``letters serve``) read from its HTML as a browser posts it: the
named inputs (checked boxes only, no file inputs), the textareas and the selected options.
Shared by tests/test_web.py and benchmarks/preview.py."""

from __future__ import annotations

import html
import re


def editor_fields(page: str) -> list[tuple[str, str]]:
    """The editor form's fields as a browser posts them."""
    start = page.index('<form id="editor"')
    form = page[start : page.index("</form>", start)]
    fields: list[tuple[str, str]] = []
    for tag in re.finditer(r"<input ([^>]*)>", form):
        attrs = dict(re.findall(r'([\w.-]+)="([^"]*)"', tag.group(1)))
        kind = attrs.get("type")
        if (
            "name" in attrs
            and kind != "file"
            and (kind != "checkbox" or " checked" in tag.group(1))
        ):
            fields.append((attrs["name"], html.unescape(attrs.get("value", ""))))
    textareas = r'<textarea id="[^"]*" name="([^"]+)">(.*?)</textarea>'
    for name, text in re.findall(textareas, form, re.S):
        fields.append((name, html.unescape(text)))
    selects = r'<select id="[^"]*" name="([^"]+)">(.*?)</select>'
    for name, options in re.findall(selects, form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected|<option selected>([^<]*)<', options)
        if chosen:
            fields.append((name, html.unescape(chosen.group(1) or chosen.group(2))))
    return fields
