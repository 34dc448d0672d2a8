"""Review before sending: the timeline image, the review page beside a recording, the batch index.

- `timeline_image`: NAME.timeline.png, the session at a glance over its loudness curve
  (matplotlib is imported only when an image is drawn).
- `report_page`: NAME.html, a self-contained page (player, chapters, transcript, image,
  parameters); `write_review` writes the image and the page beside a delivered recording.
- `index_page`: OUT_DIR/index.html for a batch, linking every recording and its page.
- `markup`: what the pages share (escaping, relative links, the page shell and its policy).
"""

from sessiongen.review.index_page import batch_index
from sessiongen.review.report_page import report_html, review_paths, write_review
from sessiongen.review.timeline_image import timeline_png

__all__ = ["batch_index", "report_html", "review_paths", "timeline_png", "write_review"]
