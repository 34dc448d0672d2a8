"""What a batch leaves beside its recordings: report.csv and report.json (one row per roster row),
a playlist per client with several recordings, and the review index."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from sessiongen.batch.outputs import REPORT_CSV, REPORT_JSON, playlist_names
from sessiongen.model.outcome import REPORTED, WITH_AUDIO, Outcome
from sessiongen.output.files import write_text_atomic
from sessiongen.output.jsontext import json_text

REPORT_COLUMNS = ("row", "client_id", "technique", "output", "status", "error", "seconds")


def write_all(out_dir: Path, outcomes: list[Outcome], index: bool = False, playlists: dict[str, Path] | None = None) -> None:
    """The reports and playlists, and with `index` the review index (OUT_DIR/index.html).
    `playlists`: each client's playlist as the batch decided it (outputs.plan)."""
    write_reports(out_dir, outcomes)
    write_playlists(out_dir, outcomes, playlists)
    if index:
        from sessiongen import review  # the review pages: only when they are wanted

        review.batch_index(out_dir, [asdict(o) for o in outcomes])


def write_reports(out_dir: Path, outcomes: list[Outcome]) -> list[Path]:
    ordered = sorted(outcomes, key=lambda o: o.row)
    rows = [{k: getattr(o, k) for k in REPORT_COLUMNS} for o in ordered]
    for row in rows:
        row["output"] = Path(row["output"]).name if row["output"] else ""
        row["status"] = str(row["status"])
    csv_path, json_path = out_dir / REPORT_CSV, out_dir / REPORT_JSON
    lines = [",".join(REPORT_COLUMNS)] + [",".join(_csv_cell(r[k]) for k in REPORT_COLUMNS) for r in rows]
    summary = {str(s): sum(o.status == s for o in ordered) for s in REPORTED}
    json_report = json_text(
        {"summary": summary, "rows": rows}, "the batch report", indent=2, ensure_ascii=False
    )  # checked before either is written
    write_text_atomic(csv_path, "\n".join(lines) + "\n")
    write_text_atomic(json_path, json_report + "\n")
    return [csv_path, json_path]


def _csv_cell(value) -> str:
    text = str(value)
    if text[:1] in ("=", "+", "-", "@"):  # no spreadsheet formulas from a roster's text
        text = "'" + text
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n') else text


def write_playlists(out_dir: Path, outcomes: list[Outcome], names: dict[str, Path] | None = None) -> list[Path]:
    """An M3U playlist for each client with more than one recording, in roster order, named as
    `names` says (by default, as outputs.playlist_names decides)."""
    by_client: dict[str, list[Outcome]] = {}
    for outcome in sorted(outcomes, key=lambda o: o.row):
        if outcome.status in WITH_AUDIO:
            by_client.setdefault(outcome.client_id, []).append(outcome)
    if names is None:
        names = playlist_names([o.client_id for o in sorted(outcomes, key=lambda o: o.row) if o.status in WITH_AUDIO], out_dir)
    written = []
    for client_id, items in by_client.items():
        if len(items) < 2:
            continue
        lines = ["#EXTM3U"]
        for item in items:
            lines += [f"#EXTINF:{round(item.duration_s) or -1},{item.technique}", Path(item.output).name]
        path = names.get(client_id)
        if path is None:  # not decided before rendering: no playlist rather than a guessed name
            continue
        write_text_atomic(path, "\n".join(lines) + "\n")
        written.append(path)
    return written
