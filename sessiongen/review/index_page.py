"""The batch index: OUT_DIR/index.html, one row per recording of a batch, linking each review page."""

from __future__ import annotations

from pathlib import Path

from sessiongen.model.outcome import WITH_AUDIO
from sessiongen.output.files import write_text_atomic
from sessiongen.output.markup import document, escape, href
from sessiongen.review.report_page import review_paths
from sessiongen.timefmt import clock

OK_STATUSES = WITH_AUDIO  # the rows that have a recording (batch.outcome.Status)


def _duration(value) -> str:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return "—"
    return clock(seconds) if seconds > 0 else "—"


def _row_links(out_dir: Path, row: dict) -> tuple[str, str]:
    """Links to a row's report page and its audio (empty where there is none)."""
    output = str(row.get("output") or "")
    if not output or row.get("status") not in OK_STATUSES:
        return "", ""
    audio = Path(output)
    page = Path(row["report"]) if row.get("report") else review_paths(audio)[0]
    audio_link = f'<a href="{escape(href(audio, out_dir))}">{escape(audio.name)}</a>'
    page_link = (
        f'<a href="{escape(href(page, out_dir))}">Review<span class="vh"> {escape(row.get("client_id", ""))}</span></a>'
        if page.is_file()
        else ""
    )
    return page_link, audio_link


def _index_row(out_dir: Path, row: dict) -> str:
    status = str(row.get("status") or "")
    page_link, audio_link = _row_links(out_dir, row)
    cells = [
        escape(row.get("row", "")),
        escape(row.get("client_id", "")),
        escape(row.get("technique", "")),
        f'<span class="status {"ok" if status in OK_STATUSES else "bad"}">{escape(status or "—")}</span>',
        _duration(row.get("duration_s")),
        page_link,
        audio_link,
        escape(row.get("error", "")),
    ]
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells[:-1]) + f'<td class="note">{cells[-1]}</td></tr>'


def batch_index(out_dir: Path, rows: list[dict]) -> Path:
    """OUT_DIR/index.html: every recording of a batch (client id, technique, status, length,
    links to its review page and its audio), self-contained. Rows as batch.Outcome fields, with
    an optional 'report' (the page's path; by default NAME.html beside the audio, if it exists)."""
    out_dir = Path(out_dir)
    rows = sorted(rows, key=lambda r: int(r.get("row") or 0))
    counts = {}
    for row in rows:
        counts[row.get("status") or "—"] = counts.get(row.get("status") or "—", 0) + 1
    summary = ", ".join(f"{n} {escape(s)}" for s, n in counts.items()) or "no recordings"
    head = "".join(f'<th scope="col">{h}</th>' for h in ("Row", "Client", "Technique", "Status", "Length", "Review", "Audio", "Note"))
    reports = [f'<a href="{name}">{name}</a>' for name in ("report.csv", "report.json") if (out_dir / name).is_file()]
    body = (
        '<main>\n<header>\n<p class="kicker">Review before sending</p>\n<h1>Batch recordings</h1>\n'
        f'<p class="summary">{len(rows)} row{"s" * (len(rows) != 1)}: {summary}.'
        + (f" Reports: {' '.join(reports)}." if reports else "")
        + "</p>\n</header>\n"
        f'<div class="scroll wide" tabindex="0" role="region" aria-label="Recordings">\n<table class="index">\n<thead><tr>{head}</tr></thead>\n'
        f"<tbody>\n{chr(10).join(_index_row(out_dir, r) for r in rows)}\n</tbody>\n</table>\n</div>\n</main>"
    )
    path = out_dir / "index.html"
    write_text_atomic(path, document("Batch recordings — review", body))
    return path
