"""What became of each row of a batch: its status, its output and its error (no imports of the
pipeline, so the review page's batch index can read statuses without a cycle)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Status(StrEnum):
    """A row's status. A str Enum: reports, the index and comparisons keep the same text."""

    PENDING = "pending"
    RENDERED = "rendered"
    UP_TO_DATE = "up to date"
    VALID = "valid"  # a dry run found nothing wrong
    FAILED = "failed"
    INVALID = "invalid"
    INTERRUPTED = "interrupted"


SUCCEEDED = (Status.RENDERED, Status.UP_TO_DATE, Status.VALID)
WITH_AUDIO = (Status.RENDERED, Status.UP_TO_DATE)  # a recording exists for the row
REPORTED = (Status.RENDERED, Status.UP_TO_DATE, Status.VALID, Status.FAILED, Status.INVALID, Status.INTERRUPTED)


@dataclass
class Outcome:
    row: int
    client_id: str
    technique: str
    output: str = ""
    status: Status = Status.PENDING
    error: str = ""
    seconds: float = 0.0
    duration_s: float = 0.0
    trace: str = field(default="", repr=False)  # an internal error's traceback, for the run's log file only
    warnings: tuple[str, ...] = ()  # the render's warnings (a name the voice says otherwise, a loud bed), for the run's log file

    def __post_init__(self) -> None:
        self.status = Status(self.status)  # "rendered" is Status.RENDERED; an unknown status fails here

    @property
    def ok(self) -> bool:
        return self.status in SUCCEEDED
