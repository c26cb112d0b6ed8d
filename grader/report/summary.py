"""`summary.html`: the class at a glance, in one self-contained file (no script, no
external style or image): the score histogram, each check's pass rate, the
slowest and the failed submissions, and the similarity flags with the code
the pairs share. Every text that comes from a submission is escaped.
"""

from __future__ import annotations

import os
import statistics
from collections import Counter
from pathlib import Path
from typing import Sequence

from grader.report import escape
from grader.report.gradebook import Row
from grader.results import Status
from grader.similarity import Flag, Passage

SLOWEST = 10
BINS = 10


def esc(text: object) -> str:
    """Text for HTML: markup and control characters escaped (`escape.html`)."""
    return escape.html(str(text))


def render(rows: Sequence[Row], flags: Sequence[Flag], title: str = "cnn-grader batch") -> str:
    graded = [r for r in rows if r.report is not None and r.state in ("graded", "reused")]
    states = Counter(r.state for r in rows)
    body = [
        f"<h1>{esc(title)}</h1>",
        "<p>" + ", ".join(f"{n} {esc(s)}" for s, n in sorted(states.items())) + f" ({len(rows)} entries)</p>",
        _scores(graded),
        _checks(graded),
        _slowest(graded),
        _failed(rows),
        _similarity(flags),
    ]
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def write(rows: Sequence[Row], flags: Sequence[Flag], path: Path, title: str = "cnn-grader batch") -> Path:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(render(rows, flags, title), encoding="utf-8")
    os.replace(tmp, path)
    return path


def _scores(graded: Sequence[Row]) -> str:
    if not graded:
        return "<h2>Scores</h2><p>No submission was graded.</p>"
    scores = [r.report.score for r in graded if r.report]
    top = max(r.report.max_score for r in graded if r.report) or 1.0
    width = top / BINS
    counts = [0] * BINS
    for score in scores:
        counts[min(int(score / width), BINS - 1)] += 1
    tallest = max(counts) or 1
    bars = []
    for i, count in enumerate(counts):
        height = 120 * count / tallest
        x = 10 + i * 44
        label = f"{i * width:g}–{(i + 1) * width:g}"
        bars.append(
            f'<rect x="{x}" y="{130 - height:.1f}" width="40" height="{height:.1f}" class="bar">'
            f"<title>{esc(label)}: {count}</title></rect>"
            f'<text x="{x + 20}" y="{125 - height:.1f}" text-anchor="middle">{count or ""}</text>'
            f'<text x="{x + 20}" y="146" text-anchor="middle" class="axis">{esc(f"{i * width:g}")}</text>'
        )
    svg = (f'<svg width="{20 + BINS * 44}" height="155" role="img" aria-label="score histogram">'
           + "".join(bars) + "</svg>")  # fmt: skip
    mean, median = statistics.fmean(scores), statistics.median(scores)
    return (f"<h2>Scores</h2><p>{len(scores)} graded; mean {mean:.2f}, median {median:g}, "
            f"out of {top:g}.</p>{svg}")  # fmt: skip


def _checks(graded: Sequence[Row]) -> str:
    results = [t for r in graded if r.report for t in r.report.tests]
    if not results:
        return ""
    names = list(dict.fromkeys(t.name for t in results))
    lines = ["<h2>Checks</h2><table><tr><th>check</th><th>points</th><th>passed</th><th>partial</th>"
             "<th>failed</th><th>error / timeout</th><th>mean score</th></tr>"]  # fmt: skip
    for name in names:
        of = [t for t in results if t.name == name]
        count = Counter(t.status for t in of)
        share = {s: count[s] / len(of) for s in Status}
        broken = share[Status.ERROR] + share[Status.TIMEOUT]
        mean = statistics.fmean(t.score for t in of)
        lines.append(
            f"<tr><td><code>{esc(name)}</code></td><td>{of[0].max_score:g}</td>"
            f"<td>{_meter(share[Status.PASSED])}</td><td>{share[Status.PARTIAL]:.0%}</td>"
            f"<td>{share[Status.FAILED]:.0%}</td><td>{broken:.0%}</td><td>{mean:.2f}</td></tr>"
        )
    return "\n".join(lines) + "</table>"


def _meter(share: float) -> str:
    return f'<span class="meter"><span style="width:{share * 100:.0f}%"></span></span> {share:.0%}'


def _slowest(graded: Sequence[Row]) -> str:
    timed = sorted((r for r in graded if r.report), key=lambda r: -r.report.duration_s if r.report else 0)
    if not timed:
        return ""
    lines = ["<h2>Slowest</h2><table><tr><th>student</th><th>submission</th><th>seconds</th>"
             "<th>slowest part</th></tr>"]  # fmt: skip
    for row in timed[:SLOWEST]:
        assert row.report is not None
        parts = {k.removeprefix("part."): v for k, v in row.report.timings.items() if k.startswith("part.")}
        slowest = max(parts.items(), key=lambda kv: kv[1]) if parts else ("", 0.0)
        lines.append(f"<tr><td>{esc(row.student)}</td><td>{esc(row.submission)}</td>"
                     f"<td>{row.report.duration_s:.1f}</td><td>{esc(slowest[0])} {slowest[1]:.1f} s</td></tr>")
    return "\n".join(lines) + "</table>"


def _failed(rows: Sequence[Row]) -> str:
    lines = []
    for row in rows:
        if row.state in ("not gradable", "error", "pending"):
            lines.append(f"<tr><td>{esc(row.student)}</td><td>{esc(row.submission)}</td><td>{esc(row.state)}</td>"
                         f"<td>{esc(row.reason)}</td></tr>")  # fmt: skip
        elif row.report is not None:
            broken = [t for t in row.report.tests if t.status in (Status.ERROR, Status.TIMEOUT)]
            if broken:
                what = ", ".join(f"{t.name} ({t.status.value})" for t in broken[:6])
                more = f" and {len(broken) - 6} more" if len(broken) > 6 else ""
                lines.append(f"<tr><td>{esc(row.student)}</td><td>{esc(row.submission)}</td>"
                             f"<td>{esc(row.state)}</td><td>checks that crashed or timed out: "
                             f"{esc(what + more)}</td></tr>")  # fmt: skip
    if not lines:
        return "<h2>Failed</h2><p>Every entry was graded, and no check crashed or timed out.</p>"
    return ("<h2>Failed</h2><table><tr><th>student</th><th>submission</th><th>state</th><th>why</th></tr>"
            + "\n".join(lines) + "</table>")  # fmt: skip


def _similarity(flags: Sequence[Flag]) -> str:
    intro = ("<h2>Similar code</h2><p class=\"note\">Pairs whose code is near-identical once names, comments "
             "and formatting are normalised, the released stubs and passages most of the class shares "
             "left out. A flag is a prompt for a human to look, never a penalty: identical code "
             "can have innocent causes (a shared tutorial, pair work the course allows).</p>")  # fmt: skip
    if not flags:
        return intro + "<p>No pair flagged.</p>"
    blocks = [intro]
    for flag in flags:
        blocks.append(
            f"<details><summary><b>{esc(flag.first)}</b> and <b>{esc(flag.second)}</b>: "
            f"{flag.score:.0%} of the counted code shared, {flag.shared_lines} statements</summary>"
            + "".join(_passage(p, flag) for p in flag.passages)
            + "</details>"
        )
    return "\n".join(blocks)


def _passage(passage: Passage, flag: Flag) -> str:
    def side(name: str, lines: Sequence) -> str:
        where = f"{lines[0].where}, lines {lines[0].lineno}–{lines[-1].lineno}" if lines else ""
        code = "\n".join(f"{line.lineno:>4}  {line.original}" for line in lines)
        return f"<div><p>{esc(name)}: {esc(where)}</p><pre>{esc(code)}</pre></div>"

    return f'<div class="pair">{side(flag.first, passage.first)}{side(flag.second, passage.second)}</div>'


STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:70em;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border-bottom:1px solid #ddd;padding:.25em .6em;text-align:left}
.bar{fill:#4a7bd0}svg text{font-size:11px}.axis{fill:#666}
.meter{display:inline-block;width:6em;height:.7em;background:#eee;vertical-align:middle}
.meter span{display:block;height:100%;background:#3a9b5c}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:1em}pre{background:#f6f6f6;padding:.5em;overflow:auto}
.note{color:#555}details{margin:.5em 0}
"""
