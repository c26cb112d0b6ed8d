"""`report.html`: one self-contained page with the scores, the feedback and the pictures.

Everything is inside the file: the style, and the pictures as `data:` URIs,
so it opens offline, from an e-mail or a CI artifact, and a Content Security
Policy forbids any script or network request. It reads on a phone: one
column, tables that scroll sideways, pictures scaled to the screen.

Every string from the submission (its name, the checks' text, notes quoting
its code) passes `escape.html`. The page shows what the report it is given
holds: `grader.report.write_all` hands it the student's copy (hidden checks
without details or pictures) unless `--show-hidden`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from grader.report.escape import html as esc
from grader.report.notes import grouped_texts
from grader.results import CheckResult, Report, Status
from grader.text import clean
from grader.visuals import Drawn, LossCurve, ShuffleGrid, SrPhotos, TsneMap, Visual

FILENAME = "report.html"
PART_TITLES = {
    "cnn": "Part 1: the MNIST CNN",
    "srnet": "Part 2: the super-resolution net",
    "pixel_shuffle": "Part 3: PixelShuffle with einops",
}
STATUS_LABELS = {
    Status.PASSED: "passed",
    Status.PARTIAL: "partial",
    Status.FAILED: "failed",
    Status.ERROR: "error",
    Status.TIMEOUT: "timeout",
}
POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
STYLE = """
:root { --ok: #1a7f37; --partial: #9a6700; --bad: #cf222e; --muted: #57606a; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1f2328;
       background: #f6f8fa; }
main { max-width: 980px; margin: 0 auto; padding: 12px; }
header, section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px;
                  margin-bottom: 14px; }
h1 { font-size: 1.3rem; margin: 0 0 4px; overflow-wrap: anywhere; }
h2 { font-size: 1.15rem; margin: 0 0 8px; }
h3 { font-size: 1rem; margin: 14px 0 6px; }
.score { font-size: 2.2rem; font-weight: 700; }
.meta { color: var(--muted); font-size: .9rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
td.num, th.num { text-align: right; white-space: nowrap; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9em; }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: .85rem; color: #fff; }
.passed { background: var(--ok); } .partial { background: var(--partial); }
.failed, .error { background: var(--bad); } .timeout { background: #8250df; }
.bar { height: 8px; background: #eaeef2; border-radius: 4px; min-width: 60px; }
.bar > span { display: block; height: 100%; border-radius: 4px; background: var(--ok); }
details { margin: 6px 0; }
summary { cursor: pointer; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f6f8fa; border: 1px solid var(--line);
      border-radius: 6px; padding: 8px; margin: 4px 0; font-size: .85rem; }
.diagnosis { border-left: 4px solid var(--partial); background: #fff8c5; padding: 6px 10px; margin: 4px 0; }
figure { margin: 12px 0; }
figure img { max-width: 100%; height: auto; display: block; border: 1px solid var(--line); background: #fff; }
figcaption { color: var(--muted); font-size: .85rem; margin-top: 4px; }
.photos { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 8px; }
.photos figure { margin: 0; }
.photos img { width: 100%; }
img.pixelated { image-rendering: pixelated; }
ul.notes { padding-left: 20px; font-size: .9rem; color: var(--muted); }
"""


def render(report: Report, draw: bool = True) -> str:
    """The page; `draw=False` leaves the pictures out (tests of the text alone)."""
    pictures = _pictures(report) if draw else {}
    parts = "\n".join(_part(report, total.part, pictures.get(total.part, [])) for total in report.parts())
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{POLICY}">
<title>cnn-grader: {esc(report.submission)} {report.score:g} / {report.max_score:g}</title>
<style>{STYLE}</style>
</head>
<body>
<main>
{_header(report)}
{parts}
{_footer(report)}
</main>
</body>
</html>
"""


def write(report: Report, out_dir: Path) -> Path:
    path = out_dir / FILENAME
    path.write_text(clean(render(report)), encoding="utf-8")
    return path


def _header(report: Report) -> str:
    rows = "".join(
        f"<tr><td>{esc(PART_TITLES.get(p.part, p.part))}</td><td class=num>{p.score:g} / {p.max_score:g}</td>"
        f"<td>{_bar(p.score, p.max_score)}</td></tr>"
        for p in report.parts()
    )
    return f"""<header>
<h1>{esc(report.submission)}</h1>
<div class="score">{report.score:g} / {report.max_score:g}</div>
<div class="meta">cnn-grader {esc(report.grader_version)} on {esc(report.device)}, {report.duration_s:.0f} s</div>
<div class="scroll"><table>
<thead><tr><th>part</th><th class=num>score</th><th></th></tr></thead>
<tbody>{rows}</tbody>
</table></div>
</header>"""


def _part(report: Report, part: str, pictures: list[str]) -> str:
    tests = [t for t in report.tests if t.part == part]
    rows = "".join(
        f"<tr><td><code>{esc(t.name)}</code>{' <em>(hidden)</em>' if t.visibility == 'hidden' else ''}</td>"
        f"<td class=num>{t.score:g} / {t.max_score:g}</td>"
        f"<td><span class=\"badge {t.status.value}\">{STATUS_LABELS[t.status]}</span></td></tr>"
        for t in tests
    )
    feedback = "\n".join(_feedback(t) for t in tests)
    return f"""<section id="{part}">
<h2>{esc(PART_TITLES.get(part, part))}</h2>
<div class="scroll"><table>
<thead><tr><th>check</th><th class=num>score</th><th>status</th></tr></thead>
<tbody>{rows}</tbody>
</table></div>
<h3>Feedback</h3>
{feedback}
{''.join(pictures)}
</section>"""


def _feedback(result: CheckResult) -> str:
    """Each check's text; open when it lost points, with the likely mistake in a box."""
    opened = " open" if result.status is not Status.PASSED else ""
    diagnosis = ""
    if result.diagnosis is not None:
        diagnosis = (f"<div class=\"diagnosis\"><strong>Likely mistake</strong> "
                     f"(<code>{esc(result.diagnosis.kind)}</code>): {esc(result.diagnosis.detail)}</div>")  # fmt: skip
    text = result.output.strip() or "(no details)"
    return (f"<details{opened}><summary><code>{esc(result.name)}</code>: {result.score:g} / {result.max_score:g}"
            f"</summary>{diagnosis}<pre>{esc(text)}</pre></details>")  # fmt: skip


def _footer(report: Report) -> str:
    blocks = []
    if report.hidden_checks:
        names = ", ".join(f"<code>{esc(n)}</code>" for n in report.hidden_checks)
        blocks.append(f"<p>Not run by this self-check; graded when you submit: {names}.</p>")
    if report.written_answers:
        answers = "".join(
            f"<details><summary><code>{esc(a.question)}</code>: {esc(a.title)} ({esc(a.state)})</summary>"
            f"<pre>{esc(a.text.strip() or '(empty)')}</pre></details>"
            for a in report.written_answers
        )
        blocks.append(f"<h3>Written answers (graded by hand, 0 automatic points)</h3>{answers}")
    notes = grouped_texts(report.notes)
    if notes:
        items = "".join(f"<li>{esc(note)}</li>" for note in notes)
        blocks.append(f"<details><summary>Notes ({len(notes)})</summary><ul class=\"notes\">{items}</ul></details>")
    if not blocks:
        return ""
    return "<section id=\"notes\"><h2>Notes</h2>" + "".join(blocks) + "</section>"


def _bar(score: float, max_score: float) -> str:
    share = 0.0 if max_score <= 0 else max(0.0, min(1.0, score / max_score))
    return f"<div class=\"bar\"><span style=\"width:{share * 100:.0f}%\"></span></div>"


# ------------------------------------------------------------------ pictures


def _pictures(report: Report) -> dict[str, list[str]]:
    """Each part's figures as HTML; a picture that fails to draw says so instead."""
    by_part: dict[str, list[str]] = {}
    for visual in report.visuals:
        by_part.setdefault(visual.check.split(".", 1)[0], []).append(drawn(visual).html)
    return by_part


def drawn(visual: Visual) -> Drawn:
    """The picture as this page shows it; one that fails to draw says so instead. Never raises."""
    if isinstance(visual, Drawn):
        return visual
    try:
        html = DRAWERS[type(visual)](visual)
    except Exception as exc:  # noqa: BLE001 - one broken picture must not cost the page
        html = f"<p class=\"meta\">(a picture could not be drawn: {esc(type(exc).__name__)})</p>"
    return Drawn(visual.check, html, visual)


def _figure(title: str, uri: str, alt: str, caption: str, width: int | None = None) -> str:
    size = f" width=\"{width}\"" if width else ""
    return (f"<h3>{esc(title)}</h3><figure><img src=\"{uri}\" alt=\"{esc(alt)}\"{size}>"
            f"<figcaption>{esc(caption)}</figcaption></figure>")  # fmt: skip


def _tsne(visual: TsneMap) -> str:
    from grader.figures import tsne
    from grader.figures.encode import data_uri

    accuracy = "" if visual.accuracy is None else f", test accuracy {visual.accuracy:.1%}"
    return _figure(f"t-SNE map of your CNN's embeddings{accuracy}", data_uri(tsne.draw(visual), "image/png"),
                   "t-SNE map of the embeddings, coloured by digit", visual.caption)  # fmt: skip


def _losses(visual: LossCurve) -> str:
    from grader.figures import losses
    from grader.figures.encode import data_uri

    return _figure(visual.title, data_uri(losses.draw(visual), "image/png"), f"loss curve: {visual.title}",
                   visual.caption)  # fmt: skip


def _photos(visual: SrPhotos) -> str:
    from grader.figures.encode import data_uri, jpeg_of

    rows = []
    for photo in visual.photos:
        gain = photo.psnr_student - photo.psnr_bicubic
        cells = [
            ("LR input", photo.low, f"{photo.low.shape[1]}x{photo.low.shape[0]} px", "pixelated"),
            ("bicubic", photo.bicubic, f"{photo.psnr_bicubic:.2f} dB", ""),
            ("your network", photo.student, f"{photo.psnr_student:.2f} dB ({gain:+.2f} dB)", ""),
            ("original", photo.original, f"{photo.original.shape[1]}x{photo.original.shape[0]} px", ""),
        ]
        figures = "".join(
            f"<figure><img class=\"{css}\" src=\"{data_uri(jpeg_of(image), 'image/jpeg')}\" "
            f"alt=\"{esc(photo.name)}: {esc(label)}\"><figcaption><strong>{esc(label)}</strong> {esc(detail)}"
            f"</figcaption></figure>"
            for label, image, detail, css in cells
        )
        top, left, side = detail_window(photo.original)
        zoomed = "".join(
            f"<figure><img class=\"pixelated\" src=\"{data_uri(jpeg_of(image[top:top + side, left:left + side], 95), 'image/jpeg')}\" "
            f"alt=\"{esc(photo.name)}: {esc(label)}, detail\"><figcaption>{esc(label)}, detail</figcaption></figure>"
            for label, image in (("bicubic", photo.bicubic), ("your network", photo.student), ("original", photo.original))
        )  # fmt: skip
        rows.append(f"<h3>{esc(photo.name)}</h3><div class=\"photos\">{figures}</div>"
                    f"<div class=\"photos\">{zoomed}</div>")  # fmt: skip
    return (f"<h3>Super-resolution at r={visual.factor} on the test photos</h3>"
            f"<p class=\"meta\">{esc(visual.caption)}</p>" + "".join(rows))  # fmt: skip


def detail_window(image: np.ndarray, side: int = 64) -> tuple[int, int, int]:
    """(top, left, side) of the most textured square of the photo: where upscaling shows."""
    grey = np.asarray(image, dtype=np.float32).mean(axis=-1) if image.ndim == 3 else np.asarray(image, np.float32)
    side = min(side, *grey.shape)
    best, where = -1.0, (0, 0)
    step = max(side // 2, 1)
    for top in range(0, grey.shape[0] - side + 1, step):
        for left in range(0, grey.shape[1] - side + 1, step):
            texture = float(np.abs(np.diff(grey[top : top + side, left : left + side], axis=1)).mean())
            if texture > best:
                best, where = texture, (top, left)
    return where[0], where[1], side


def _grid(visual: ShuffleGrid) -> str:
    from grader.figures import shuffle_grid
    from grader.figures.encode import data_uri

    return _figure("Where your pixel_shuffle differs from torch's", data_uri(shuffle_grid.draw(visual), "image/png"),
                   "grid of the output pixels, red where they differ", visual.caption)  # fmt: skip


DRAWERS: dict[type, Callable[..., str]] = {TsneMap: _tsne, LossCurve: _losses, SrPhotos: _photos, ShuffleGrid: _grid}


def visual_types() -> tuple[type[Visual], ...]:
    return (*DRAWERS, Drawn)
