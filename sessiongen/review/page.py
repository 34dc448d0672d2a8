"""The review's old single module, kept so `from sessiongen.review import page` goes on working
until its callers (pipeline.py, cli/) import `sessiongen.review` itself. Delete it then."""

from sessiongen.review import batch_index, report_html, review_paths, timeline_png, write_review

__all__ = ["batch_index", "report_html", "review_paths", "timeline_png", "write_review"]
