"""End-to-end grading with the fast test rubric: right parts lose the right points.

Every mutant is graded part by part in `tests/mutants/`; here a few are
graded whole, to show that the other parts keep their full marks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from grader import grading
from grader.grading import Session, grade
from grader.sandbox import runner
from grader.sandbox.runner import FINISHED, PartRun, Zygote
from grader.visuals import Drawn
from grader.results import PARTS, Report, Status
from grader.rubric import tomllib
from tests.conftest import ASSIGNMENT, MUTANTS, REFERENCE, overlay_fixture, part_session
from tests.test_determinism import without_timings

# One per part and per way of failing: wrong values, a crash at import, a syntax error, torch's own op.
WHOLE = ["cnn-flatten-order", "cnn-raises-at-import", "srnet-syntax-error", "srnet-last-conv-r-channels",
         "pixel-shuffle-calls-torch", "pixel-shuffle-4d-only"]  # fmt: skip


def part_totals(report: Report) -> dict[str, tuple[float, float]]:
    return {p.part: (p.score, p.max_score) for p in report.parts()}


def test_reference_earns_full_score(reference_report: Report) -> None:
    report = reference_report
    assert [t.name for t in report.tests if t.status is not Status.PASSED] == []
    assert report.score == report.max_score == 30.0
    assert {t.part for t in report.tests} == set(PARTS)
    # Each part's log says its child finished, not that it stopped early.
    assert {part: log["ending"] for part, log in report.sandbox["parts"].items()} == dict.fromkeys(PARTS, FINISHED)


def test_the_pictures_are_drawn_while_scoring(reference_report: Report) -> None:
    """Each part's pictures are drawn when it is scored, beside the others' training: writing
    report.html after the last part only copies them."""
    drawn = reference_report.visuals
    assert {v.check.split(".")[0] for v in drawn} >= {"cnn", "srnet"}  # Part 3 draws only its failures
    assert all(isinstance(v, Drawn) and "<img" in v.html for v in drawn), [type(v).__name__ for v in drawn]
    assert "could not be drawn" not in "".join(v.html for v in drawn)


def test_without_pictures_the_scores_are_the_same(fast_session: Session) -> None:
    """A calibration grades with `pictures=False`: no t-SNE map, the same checks and values."""
    from dataclasses import replace

    options = replace(fast_session.options, parts=("pixel_shuffle",))
    with_pictures = grade(REFERENCE, session=replace(fast_session, options=options))
    without = grade(REFERENCE, session=replace(fast_session, options=replace(options, pictures=False)))
    assert "visuals" in with_pictures.timings and without.visuals == () and "visuals" not in without.timings
    assert [(t.name, t.score, t.value) for t in without.tests] == [(t.name, t.score, t.value) for t in with_pictures.tests]


def test_stubs_earn_zero_with_not_implemented_feedback(fast_session: Session) -> None:
    report = grade(ASSIGNMENT, session=fast_session)
    assert report.score == 0.0
    scored = [t for t in report.tests if t.max_score > 0]
    assert scored and all(t.score == 0 for t in scored)
    silent = [t for t in scored if t.name != "pixel_shuffle.uses_einops"]
    assert all("not implemented yet" in t.output or "did not run" in t.output for t in silent), [
        (t.name, t.output) for t in silent
    ]
    assert "never calls einops.rearrange" in {t.name: t.output for t in scored}["pixel_shuffle.uses_einops"]


@pytest.mark.parametrize("name", WHOLE)
def test_wrong_submission_loses_points_only_in_its_part(name: str, tmp_path: Path, fast_session: Session) -> None:
    fixture = MUTANTS / name
    expect = tomllib.loads((fixture / "expect.toml").read_text(encoding="utf-8"))
    report = grade(overlay_fixture(fixture, tmp_path / "submission"), session=fast_session)
    by_name = {t.name: t for t in report.tests}
    for name in expect["loses"]:
        assert by_name[name].score < by_name[name].max_score, (name, by_name[name].output)
    totals = part_totals(report)
    assert totals[expect["part"]][0] < totals[expect["part"]][1]
    for part in PARTS:
        if part != expect["part"]:
            assert totals[part][0] == totals[part][1], [
                (t.name, t.output) for t in report.tests if t.part == part and t.status is not Status.PASSED
            ]


def test_hang_is_reported_as_timeout(tmp_path: Path, fast_session: Session) -> None:
    session = part_session(fast_session, "pixel_shuffle", pixel_shuffle=10.0)
    report = grade(overlay_fixture(MUTANTS / "pixel-shuffle-hangs", tmp_path / "s"), session=session)
    timed_out = [t for t in report.tests if t.status is Status.TIMEOUT]
    assert timed_out and all("timed out after 10 s" in t.output for t in timed_out)
    assert report.sandbox["parts"]["pixel_shuffle"]["ending"].startswith("the part timed out after 10 s")
    # The static check reads the source in the parent, so it still has a verdict.
    assert {t.name: t.status for t in report.tests}["pixel_shuffle.uses_einops"] is Status.PASSED


def test_missing_part_file_costs_only_that_part(tmp_path: Path, fast_session: Session) -> None:
    import shutil

    submission = tmp_path / "s"
    shutil.copytree(REFERENCE, submission)
    (submission / "srnet.py").unlink()
    report = grade(submission, session=fast_session)
    totals = part_totals(report)
    assert totals["srnet"] == (0.0, 10.0)
    assert totals["cnn"] == (10.0, 10.0) and totals["pixel_shuffle"] == (10.0, 10.0)
    assert all("srnet.py is missing" in t.output for t in report.tests if t.part == "srnet")


def _record_scoring(monkeypatch: pytest.MonkeyPatch, *, early: bool = True) -> tuple[list[str], list[str]]:
    """Parts scored while the sandbox still ran, and all parts scored, in order.

    `early=False` grades as before scoring overlapped the run: every part after the end."""
    running, scored = [True], []
    during: list[str] = []
    run, score = Zygote.run, grading._score_part

    def watched_run(self: Zygote, *args: Any, **kwargs: Any) -> dict[str, PartRun]:
        if not early:
            kwargs.pop("on_exit", None)
        try:
            return run(self, *args, **kwargs)
        finally:
            running.clear()

    def watched_score(session: Session, name: str, part_run: PartRun, plan: Any) -> Any:
        (during if running else scored).append(part_run.part)
        return score(session, name, part_run, plan)

    monkeypatch.setattr(Zygote, "run", watched_run)
    monkeypatch.setattr(grading, "_score_part", watched_score)
    return during, scored


def test_a_part_is_scored_while_the_others_still_run(fast_session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """The part that ends first is scored while the sandbox still runs the others, and the report
    is the same as when every part is scored after the sandbox's end."""
    during, after = _record_scoring(monkeypatch)
    overlapped = grade(REFERENCE, session=fast_session)
    assert during and sorted(during + after) == sorted(PARTS), (during, after)
    monkeypatch.undo()
    during, after = _record_scoring(monkeypatch, early=False)
    at_the_end = grade(REFERENCE, session=fast_session)
    assert during == [] and sorted(after) == sorted(PARTS)
    assert without_timings(overlapped) == without_timings(at_the_end)
    assert overlapped.score == overlapped.max_score


def test_parts_that_end_together_are_scored_side_by_side(fast_session: Session,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """With two parts at once, two parts are scored at once: the first scoring waits here until a
    second one runs beside it, which one scoring thread would never let happen."""
    import threading
    from dataclasses import replace

    both = threading.Barrier(2, timeout=60)
    scored: list[str] = []
    score = grading._score_part

    def side_by_side(session: Session, name: str, part_run: PartRun, plan: Any) -> Any:
        scored.append(part_run.part)
        if len(scored) <= 2:
            both.wait()
        return score(session, name, part_run, plan)

    monkeypatch.setattr(grading, "_score_part", side_by_side)
    report = grade(REFERENCE, session=replace(fast_session, workers=2))
    assert sorted(scored) == sorted(PARTS) and not both.broken
    assert report.score == report.max_score


def test_the_thread_count_comes_back_when_the_last_scorer_leaves() -> None:
    """Scorers in threads at once share torch's thread count: the first out leaves it to the others."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with grading._ONE_THREAD():
            with grading._ONE_THREAD():  # a second scorer, which ends first
                assert torch.get_num_threads() == 1
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_a_part_whose_results_changed_after_its_end_is_read_and_scored_again(
    fast_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a part's leftover processes could still write after its child ended is not scored
    early: if the out files differ once everything is killed, the part is read and scored anew."""
    calls: dict[str, int] = {}
    digest = runner.out_digest

    def changing(io_dir: Path, probes: Any) -> bytes:
        part = io_dir.parent.name
        calls[part] = calls.get(part, 0) + 1
        return digest(io_dir, probes) + bytes([calls[part]])  # differs between the early and the final read

    monkeypatch.setattr(runner, "out_digest", changing)
    during, after = _record_scoring(monkeypatch)
    report = grade(REFERENCE, session=fast_session)
    assert during and all(part in after for part in during), (during, after)
    assert report.score == report.max_score


def test_check_evaluates_the_trained_weights_only_where_a_graded_check_scores_them() -> None:
    """`check` hides `cnn.accuracy` in the shipped rubric; a course that shows it keeps the evaluation."""
    from dataclasses import dataclass

    from grader.checks import checks_for

    @dataclass(frozen=True)
    class Job:
        probes: tuple[str, ...]

    @dataclass(frozen=True)
    class Plan:
        job: Job
        evaluate_final: bool = True

    plan = Plan(Job(("import", "build", "shapes", "public", "reference", "train")))
    cnn_checks = checks_for("cnn")
    visible = tuple(c for c in cnn_checks if c.name not in ("cnn.accuracy", "cnn.matches_reference"))
    assert grading._only_needed("cnn", plan, visible).evaluate_final is False
    assert grading._only_needed("cnn", plan, cnn_checks).evaluate_final is True
    assert grading._only_needed("pixel_shuffle", plan, ()).evaluate_final is True  # nothing there to skip
