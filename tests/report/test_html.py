"""report.html: self-contained, every picture inline and readable, hidden checks' pictures left out."""

from __future__ import annotations

import base64
import io
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image

from grader.report.html import render
from grader.report.writers import write_all
from grader.results import CheckResult, Diagnosis, Report, Status
from grader.visuals import LossBand, LossCurve, ShuffleGrid, SrPhoto, SrPhotos, TsneMap
from tests.report.test_writers import sample_report

IMAGE = re.compile(r'<img [^>]*src="data:image/(png|jpeg);base64,([A-Za-z0-9+/=]+)"')


def visuals(hidden_grid: bool = False) -> tuple:
    rng = np.random.default_rng(0)
    photo = rng.integers(0, 255, (30, 36, 3), dtype=np.uint8)
    low = photo[::3, ::3]
    band = LossBand(tuple(np.linspace(2.0, 0.4, 50)), tuple(np.linspace(2.4, 0.7, 50)), 8, "seeds 0-7")
    return (
        TsneMap("cnn.accuracy", rng.normal(size=(60, 2)).astype(np.float32), np.arange(60) % 10, 0.9, "map"),
        LossCurve("cnn.loss_decreases", "CNN loss", tuple(np.linspace(2.3, 0.5, 50)), band, "loss"),
        SrPhotos("srnet.psnr", 3, (SrPhoto("astronaut", low, photo, photo, photo, 25.0, 26.1),), "photos"),
        ShuffleGrid("cnn.matches_reference" if hidden_grid else "pixel_shuffle.matches_torch", "(1, 8, 2, 3)", 2,
                    rng.random((2, 4, 6)) > 0.5, "grid"),
    )  # fmt: skip


def report_with_pictures(hidden_grid: bool = False) -> Report:
    base = sample_report()
    tests = (*base.tests, CheckResult("cnn.matches_reference", 0.0, 1.0, Status.FAILED, "secret inputs (3, 4)", None,
                                      "hidden", Diagnosis("cnn.flatten_order", "flattened channels-last")))  # fmt: skip
    return replace(base, tests=tests, visuals=visuals(hidden_grid))


def images(page: str) -> list[Image.Image]:
    return [Image.open(io.BytesIO(base64.b64decode(data))) for _, data in IMAGE.findall(page)]


def test_every_picture_is_inline_and_decodes() -> None:
    page = render(report_with_pictures())
    pictures = images(page)
    assert len(pictures) == 3 + 4 + 3  # map, loss, grid, four views of one photo and three details
    assert all(p.size[0] > 0 and p.size[1] > 0 for p in pictures)
    assert page.count("<img ") == len(pictures)  # no picture from elsewhere


def test_the_page_is_self_contained_and_mobile_ready() -> None:
    page = render(report_with_pictures())
    assert "<script" not in page and "http://" not in page and "https://" not in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert 'name="viewport"' in page and "max-width: 100%" in page


def test_submission_text_is_escaped() -> None:
    evil = replace(sample_report(), submission="<script>alert(1)</script>.zip",
                   notes=("cell 1, line 1: dropped `<img src=x onerror=alert(1)>`",))  # fmt: skip
    page = render(evil, draw=False)
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page


def test_the_students_copy_leaves_out_hidden_details_and_pictures(tmp_path: Path) -> None:
    report = report_with_pictures(hidden_grid=True)
    write_all(report, tmp_path / "student")
    student = (tmp_path / "student" / "report.html").read_text(encoding="utf-8")
    assert "secret inputs" not in student and "flattened channels-last" not in student
    assert "Where your pixel_shuffle differs" not in student and len(images(student)) == 9
    write_all(report, tmp_path / "instructor", show_hidden=True)
    instructor = (tmp_path / "instructor" / "report.html").read_text(encoding="utf-8")
    assert "secret inputs" in instructor and "flattened channels-last" in instructor
    assert "Where your pixel_shuffle differs" in instructor and len(images(instructor)) == 10


def test_a_diagnosis_is_shown_in_a_box() -> None:
    page = render(report_with_pictures(), draw=False)
    assert '<div class="diagnosis"><strong>Likely mistake</strong> (<code>cnn.flatten_order</code>)' in page


def test_a_picture_that_cannot_be_drawn_costs_only_itself() -> None:
    broken = replace(report_with_pictures(), visuals=(TsneMap("cnn.accuracy", np.zeros((3, 5)), np.zeros(2), None, ""),
                                                      *visuals()[1:]))  # fmt: skip
    page = render(broken)
    assert "a picture could not be drawn" in page and len(images(page)) == 9
