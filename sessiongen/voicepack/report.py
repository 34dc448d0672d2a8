"""The import report: each phrase with where it was found, and every problem pointing at the
phrase and the time in the take. As terminal lines, JSON (report.json) and a page (report.html).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment

from sessiongen.output.files import write_text_atomic
from sessiongen.output.jsontext import json_text
from sessiongen.output.markup import document
from sessiongen.timefmt import clock
from sessiongen.voicepack.phrases import Phrase

SHORT_RATIO, LONG_RATIO = 0.6, 1.6  # of the expected length at the reader's pace
QUIET_DB = -40.0  # speech quieter than this (RMS, dBFS): move closer or turn the input up
NOISY_SNR_DB = 20.0  # speech less than this above the room: find a quieter room or move closer
CLIPPED_HOPS = 1  # any 10 ms with a sample at full scale


@dataclass
class Problem:
    kind: str  # missing, extra, retake, check, short, long, clipped, quiet, noisy, unknown, silent
    message: str
    phrase: int | None = None
    take: str = ""
    at_s: float | None = None

    def line(self) -> str:
        where = [
            f"phrase {self.phrase}" if self.phrase is not None else "",
            f"{self.take} at {clock(self.at_s)}" if self.at_s is not None else self.take,
        ]
        return f"{', '.join(w for w in where if w)}: {self.message}"


@dataclass
class Report:
    pack: str
    takes: list[str]
    pace: float
    problems: list[Problem] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)

    def add(self, problems: list[Problem]) -> None:
        self.problems += problems

    def missing(self, phrase: Phrase) -> None:
        self.problems.append(Problem("missing", f'not found: "{_short(phrase.text)}"', phrase.id))

    def extra(self, take: int, start_s: float, stop_s: float) -> None:
        self.problems.append(
            Problem("extra", f"{stop_s - start_s:.1f} s of sound that matches no phrase (left out)", None, self.takes[take], start_s)
        )

    def retake(self, phrase: Phrase, take: int, start_s: float, stop_s: float) -> None:
        self.problems.append(
            Problem(
                "retake",
                f"said again later: this earlier take ({stop_s - start_s:.1f} s) was left out, the last one kept",
                phrase.id,
                self.takes[take],
                start_s,
            )
        )

    def check(self, phrase: Phrase, take: int, start_s: float, confidence: float, rival: str) -> None:
        like = f", or it may be {rival}" if rival else ""
        self.problems.append(
            Problem(
                "check",
                f"not sure this is the phrase (confidence {confidence:.2f}{like}): listen; if it is right, "
                f"`sessiongen voice-pack accept {self.pack} {phrase.id}`, or record it again",
                phrase.id,
                self.takes[take],
                start_s,
            )
        )

    def unknown(self, take: int, number: int) -> None:
        self.problems.append(Problem("unknown", f"the sheet has no phrase {number} (file left out)", None, self.takes[take]))

    def silent(self, take: int, number: int) -> None:
        self.problems.append(Problem("silent", "no speech found in this file", number, self.takes[take]))

    def finish(self, pack) -> None:
        """One row per phrase of the pack, recorded or not, with its problems."""
        by_phrase: dict[int, list[Problem]] = {}
        for problem in self.problems:
            if problem.phrase is not None:
                by_phrase.setdefault(problem.phrase, []).append(problem)
        self.rows = [
            {
                "id": p.id,
                "text": p.text,
                "expected_s": p.expected_s,
                "recorded": pack.recorded.get(p.id),
                "problems": [x.kind for x in by_phrase.get(p.id, [])],
            }
            for p in pack.phrases
        ]
        self.problems.sort(key=lambda x: (x.phrase if x.phrase is not None else 10**9, x.take, x.at_s or 0.0))

    @property
    def matched(self) -> int:
        return sum(1 for r in self.rows if r["recorded"])

    def as_dict(self) -> dict:
        return {
            "pack": self.pack,
            "takes": self.takes,
            "pace": round(self.pace, 3),
            "phrases": self.rows,
            "problems": [
                {
                    "kind": p.kind,
                    "phrase": p.phrase,
                    "take": p.take,
                    "at_s": None if p.at_s is None else round(p.at_s, 3),
                    "message": p.message,
                }
                for p in self.problems
            ],
        }

    def lines(self) -> list[str]:
        out = [f"{self.matched} of {len(self.rows)} phrases recorded; {len(self.problems)} problem{'s' * (len(self.problems) != 1)}"]
        for row in self.rows:
            rec = row["recorded"]
            where = (
                f"{rec['take']} {clock(rec['start_s'])}-{clock(rec['stop_s'])}, SNR {rec['snr_db']:.0f} dB{sure(rec)}"
                if rec
                else "not recorded"
            )
            out.append(f"  {row['id']:3d}  {_short(row['text'], 48):48}  {where}")
        out += [f"problem: {p.line()}" for p in self.problems]
        return out


def sure(rec: dict) -> str:
    """', confidence 0.93' (', CHECK' when doubtful) for a phrase matched by content; '' otherwise."""
    match = rec.get("match")
    if not match:
        return ""
    mark = " accepted" if match.get("accepted") else " CHECK" if match.get("check") else ""
    return f", confidence {match['confidence']:.2f}{mark}"


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_phrase(phrase: Phrase, rec: dict, pace: float) -> list[Problem]:
    """What is wrong with one recorded phrase, each pointing at its time in the take."""
    at, take, out = rec["start_s"], rec["take"], []
    expected = phrase.expected_s * pace
    if expected > 0 and rec["duration_s"] < SHORT_RATIO * expected:
        out.append(
            Problem(
                "short",
                f"much shorter than expected ({rec['duration_s']:.1f} s, about {expected:.1f} s expected): a word missing?",
                phrase.id,
                take,
                at,
            )
        )
    if expected > 0 and rec["duration_s"] > LONG_RATIO * expected:
        out.append(
            Problem(
                "long",
                f"much longer than expected ({rec['duration_s']:.1f} s, about {expected:.1f} s expected): two phrases together, or a remark?",
                phrase.id,
                take,
                at,
            )
        )
    if rec["clipped_hops"] >= CLIPPED_HOPS:
        out.append(
            Problem("clipped", f"clipped (peak {rec['peak_db']:.1f} dBFS): record with the input a little lower", phrase.id, take, at)
        )
    if rec["speech_db"] < QUIET_DB:
        out.append(
            Problem(
                "quiet",
                f"too quiet (speech {rec['speech_db']:.0f} dBFS, peak {rec['peak_db']:.0f} dBFS): move closer or turn the input up",
                phrase.id,
                take,
                at,
            )
        )
    if rec["snr_db"] < NOISY_SNR_DB:
        out.append(
            Problem(
                "noisy",
                f"noisy (noise floor {rec['noise_db']:.0f} dBFS, speech {rec['snr_db']:.0f} dB above it): a quieter room helps most",
                phrase.id,
                take,
                at,
            )
        )
    return out


_PAGE = Environment(autoescape=True).from_string("""
<main id="main">
<style>
table.phrases { border-collapse: collapse; width: 100%; font-size: 0.95rem; }
table.phrases th, table.phrases td { border-bottom: 1px solid var(--line); padding: 0.35rem 0.5rem; text-align: left; vertical-align: top; }
td.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
table.phrases th:first-child { width: 2.5rem; }
.bad { color: var(--bad); font-weight: 600; } .ok { color: var(--ok); }
audio { height: 2rem; margin-top: 0.3rem; max-width: 100%; }
@media print { body { background: #fff; color: #000; } footer, .noprint { display: none; } }
</style>
<h1>Import report: {{ r.pack }}</h1>
<p>{{ r.matched }} of {{ r.rows|length }} phrases recorded, from {{ r.takes|join(", ") }}.
Your pace against the synthetic voice: {{ "%.2f"|format(r.pace) }}×.</p>
<p>Match: how sure sessiongen is that the audio is that phrase (0 to 1), from the words recognised in it (English: "heard" under the phrase)
or, in other languages, from comparing its sound with the synthetic voice's reading of it.
A phrase marked <strong>check</strong> is not used in a session until you listen to it and accept it
(<code>sessiongen voice-pack accept {{ r.pack }} N</code>) or record it again.</p>
<h2>Problems ({{ r.problems|length }})</h2>
{% if r.problems %}<ul>{% for p in r.problems %}<li class="bad">{{ p.line() }}</li>{% endfor %}</ul>
{% else %}<p class="ok">None. Every phrase was found, at a good level.</p>{% endif %}
<h2>Phrases</h2>
<table class="phrases"><thead><tr><th>#</th><th>Phrase</th><th>In the take</th><th>Length</th><th>Match</th><th>Peak</th><th>Noise floor</th><th>Signal to noise<br>before → after</th></tr></thead><tbody>
{% for row in r.rows %}{% set rec = row.recorded %}<tr>
<td class="num">{{ row.id }}</td><td>{{ row.text }}{% for k in row.problems %} <span class="bad">({{ k }})</span>{% endfor %}
{% if rec and rec.match and rec.match.heard %}<br><small>heard: {{ rec.match.heard }}</small>{% endif %}
{% if rec and clips %}<br><audio class="noprint" controls preload="none" src="{{ clips }}/{{ '%03d'|format(row.id) }}.wav" aria-label="Listen to phrase {{ row.id }} as cleaned"></audio>{% endif %}</td>
{% if rec %}<td class="num">{{ rec.take }} {{ clock(rec.start_s) }}</td><td class="num">{{ "%.1f"|format(rec.duration_s) }} s</td>
<td class="num{{ ' bad' if rec.match and rec.match.check and not rec.match.accepted }}">{% if rec.match %}{{ "%.2f"|format(rec.match.confidence) }}{{ " check" if rec.match.check and not rec.match.accepted }}{{ " accepted" if rec.match.accepted }}{% else %}by number{% endif %}</td>
<td class="num">{{ "%.1f"|format(rec.peak_db) }} dB</td><td class="num">{{ "%.0f"|format(rec.noise_db) }} dB</td>
<td class="num">{{ "%.0f"|format(rec.snr_db) }} → {{ "%.0f"|format(rec.snr_db_after) }} dB</td>
{% else %}<td colspan="6" class="bad">not recorded</td>{% endif %}</tr>
{% endfor %}</tbody></table>
</main>""")


def html(report: Report, clips: str = "") -> str:
    """The page; `clips`: the cleaned clips' folder relative to it, for a player per phrase."""
    return document(f"Import report: {report.pack}", _PAGE.render(r=report, clock=clock, clips=clips))


def write_report(folder: Path, report: Report, clips: str = "") -> None:
    write_text_atomic(folder / "report.json", json_text(report.as_dict(), "report.json", indent=1, ensure_ascii=False) + "\n")
    write_text_atomic(folder / "report.html", html(report, clips))
