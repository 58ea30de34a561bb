"""feedback.html: a student's feedback.md as a page like a run's report (same
styles, self-contained, no network), written beside it by `kspec grade`.

The page is made from feedback.md itself, so it shows exactly what the Markdown
shows: whatever the rubric hides (hidden checks, expected values, feedback held
back until its release) is already left out there. Only the Markdown that
feedback.md uses is understood: headings, **bold**, lists, quotes (the hints) and
fenced blocks (an error message)."""
from __future__ import annotations

import html
import re
from pathlib import Path

from .report import STYLE

EXTRA_STYLE = """
blockquote{margin:6px 0;padding:6px 12px;border-left:4px solid #e0a030;background:#fff8ea}
h2.passed{color:#2d7a36} h2.failed{color:#b03a2e} h2.partial{color:#a86b00}
"""


def _inline(text: str) -> str:
    text = html.escape(text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", text)


def markdown_body(md: str) -> str:
    out, items, quote = [], [], []
    lines = md.splitlines()

    def flush():
        if items:
            out.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + "</ul>")
            items.clear()
        if quote:
            out.append("<blockquote>" + "<br>".join(_inline(q) for q in quote) + "</blockquote>")
            quote.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            flush()
            end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith("```")),
                       len(lines))
            out.append("<pre>" + html.escape("\n".join(lines[i + 1:end])) + "</pre>")
            i = end + 1
            continue
        if line.startswith("- "):
            if quote:
                flush()
            items.append(line[2:])
        elif line.startswith("> "):
            if items:
                flush()
            quote.append(line[2:])
        else:
            flush()
            if line.startswith("## "):
                head = line[3:]
                mark = ("passed" if head.endswith("(passed)") else "partial"
                        if head.endswith("(partial credit)") else "failed"
                        if head.endswith("(not passed)") else "")
                out.append(f'<h2 class="{mark}">{_inline(head)}</h2>')
            elif line.startswith("# "):
                out.append(f"<h1>{_inline(line[2:])}</h1>")
            elif line.strip():
                out.append(f"<p>{_inline(line)}</p>")
        i += 1
    flush()
    return "\n".join(out)


def feedback_html(md: str) -> str:
    title = next((ln[2:] for ln in md.splitlines() if ln.startswith("# ")), "Feedback")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title>"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "img-src data:; style-src 'unsafe-inline'\">"
            f"<style>{STYLE}{EXTRA_STYLE}</style></head><body>\n<main><section id=\"feedback\">\n"
            + markdown_body(md) + "\n</section></main></body></html>\n")


def write_feedback_page(folder: Path) -> Path:
    """folder/feedback.html from folder/feedback.md (written just before)."""
    from ..core.atomic import write_text
    folder = Path(folder)
    md = (folder / "feedback.md").read_text(encoding="utf-8")
    return write_text(folder / "feedback.html", feedback_html(md))
