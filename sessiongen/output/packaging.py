"""How a render is delivered: tags, cover, sidecars, stems and format (the output stage's options)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sessiongen.output.sidecars import DEFAULT_KINDS


@dataclass(frozen=True)
class Packaging:
    """How a render is delivered: tags, cover, sidecars, stems and format."""

    artist: str = ""
    album: str = ""
    cover: Path | None = None
    sidecars: tuple[str, ...] = DEFAULT_KINDS
    tag_names: bool = False  # put the listener's name into the title tag
    stems: Path | None = None
    format: str | None = None
    review: bool = False  # also write NAME.html and NAME.timeline.png for a clinician to check
    client_id: str = ""  # shown on the review page

    def hashable(self) -> dict:
        return {
            "artist": self.artist,
            "album": self.album,
            "tag_names": self.tag_names,
            "format": self.format,
            "sidecars": list(self.sidecars),
            "review": self.review,
            "client_id": self.client_id,
        }
