"""The `cnn-grader` command line: a thin click layer over `grader.grading`.

Exit status: 0 whenever a report was written (whatever the score and
whatever the submission holds or does), 1 when `--fail-under` is given and
the score is below it, 2 for bad usage (a missing path, an unreadable
rubric or data folder, an unwritable output folder), 3 for an internal
error of the grader itself (`grade` still writes a report in which every
check is an error with the reason), 130 when interrupted by Ctrl-C (143 by
SIGTERM), with no process and no temporary folder left.

Commands: `grade` and `batch` (instructors, CI), `check` (students' quick
self-check), `release` (stubs and notebook from the solutions), `init-ci`
(a GitHub Actions workflow for a student repository), `calibrate`.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

import click
from rich.console import Console

from grader import __version__
from grader.data.errors import DataError
from grader.interrupts import exit_status, install_handlers
from grader.options import DEVICES, GradeOptions
from grader.report.escape import terminal
from grader.results import PARTS, Report
from grader.rubric import RubricError, load_rubric

DEFAULTS = GradeOptions()


def _common(command: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by `grade` and `batch`; defaults come from GradeOptions."""
    options = [
        click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
                     help="Folder for the report files."),
        click.option("--rubric", "rubric_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
                     help="Rubric TOML file (default: the shipped rubric)."),
        click.option("--device", type=click.Choice(DEVICES), default=DEFAULTS.device, show_default=True),
        click.option("--seed", type=int, default=None, help="Replace the rubric's seed."),
        click.option("--workers", type=click.IntRange(min=0), default=None,
                     help="Parts graded at once (default: the rubric's)."),
        click.option("--mnist-root", type=click.Path(file_okay=False, path_type=Path), default=None,
                     help="torchvision MNIST root (MNIST/raw/...); default: embedded digits."),
        click.option("--sr-root", type=click.Path(file_okay=False, path_type=Path), default=None,
                     help="Folder of images, e.g. BSDS300; default: scikit-image photos."),
        click.option("--part", "parts", type=click.Choice(PARTS), multiple=True,
                     help="Grade only this part (repeatable)."),
        click.option("--keep-workdir", is_flag=True, help="Keep the children's scratch folders (debugging)."),
        click.option("--quiet", "-q", is_flag=True, help="No terminal table."),
        click.option("--show-hidden", is_flag=True,
                     help="Show hidden checks' details in the terminal, report.md and junit.xml (instructors)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


class _Commands(click.Group):
    """The command group: Ctrl-C and SIGTERM stop any command cleanly with 130 or 143 (click
    itself would say "Aborted!" and exit 1, the status `--fail-under` uses)."""

    def invoke(self, ctx: click.Context) -> Any:
        install_handlers()
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as exc:
            click.echo("cnn-grader: interrupted; the sandbox and the scratch folders are gone", err=True)
            sys.exit(exit_status(exc))


def run() -> None:
    """The `cnn-grader` command (and `python -m grader`): `main`, then a quick exit (`grader.leave`)."""
    from grader.leave import exit_code, leave

    try:
        main(prog_name="cnn-grader")
        status = 0
    except SystemExit as exc:
        status = exit_code(exc.code)
    leave(status)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cnn-grader")
def main() -> None:
    """Grade the 'Intro to CNNs in PyTorch' assignment: MNIST CNN, ESPCN, DIY PixelShuffle."""


@main.command()
@click.argument("submission", type=click.Path(exists=True, path_type=Path))
@click.option("--fail-under", type=float, default=None, help="Exit 1 when the score is below this.")
@_common
def grade(submission: Path, fail_under: float | None, out_dir: Path, rubric_path: Path | None,
          quiet: bool, show_hidden: bool, **settings: Any) -> None:  # fmt: skip
    """Grade one SUBMISSION (folder, .zip, .ipynb or .py) into OUT/report.json and friends."""
    from grader.grading import grade as grade_one
    from grader.grading import internal_error_report
    from grader.progress import make_progress
    from grader.report.terminal import show
    from grader.report.writers import write_all
    from grader.visibility import redact

    session = _session(rubric_path, settings, fail_under)
    _guarded(lambda: out_dir.mkdir(parents=True, exist_ok=True))  # fail before, not after, the work
    session = replace(session, progress=make_progress(quiet))
    failure = None
    try:
        try:
            report = grade_one(submission, session=session)
        except (DataError, RubricError) as exc:
            raise click.UsageError(str(exc)) from exc
        except Exception as exc:  # noqa: BLE001 - a grader bug: still a report, every check an error with the reason
            failure = exc
            report = internal_error_report(session, submission, exc)
        session.progress.phase(report.submission, "report", "writing the report files")

        def error_report_instead(exc: Exception) -> None:  # a writer's bug: the report every writer can write
            nonlocal report, failure
            failure = failure or exc
            report = internal_error_report(session, submission, exc)
            _guarded(lambda: write_all(report, out_dir, show_hidden))

        _guarded(lambda: write_all(report, out_dir, show_hidden), on_bug=error_report_instead)
    finally:
        session.progress.close()
    if not quiet:
        show(report if show_hidden else redact(report), Console())
    click.echo(f"{report.score:g} / {report.max_score:g} -> {out_dir / 'report.json'}; with pictures: "
               f"{out_dir / 'report.html'}")  # fmt: skip
    if failure is not None:
        _internal_error(failure)
    if fail_under is not None and report.score < fail_under:
        click.echo(f"cnn-grader: score {report.score:g} / {report.max_score:g} is below --fail-under "
                   f"{fail_under:g}: exit status 1", err=True)  # fmt: skip
        sys.exit(1)


@main.command()
@click.argument("submissions", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Submissions graded at once (default: the CPUs over the rubric's threads).")
@click.option("--scheduler", default=None, metavar="local|tcp://HOST:PORT",
              help="Grade on Dask: a LocalCluster, or the scheduler at this address.")
@click.option("--base-code", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="The released stubs: code the similarity flags never count (default: ./assignment if present).")
@_common
def batch(submissions: Path, out_dir: Path, rubric_path: Path | None, quiet: bool, show_hidden: bool,
          jobs: int | None, scheduler: str | None, base_code: Path | None, **settings: Any) -> None:  # fmt: skip
    """Grade every entry of the folder SUBMISSIONS into OUT/gradebook.csv and OUT/summary.html.

    Each submission gets OUT/NAME/report.json; an entry that cannot be graded gets
    a row with the reason. Unchanged submissions that already have a report are not
    graded again, so an interrupted batch resumes.
    """
    from grader.batch import grade_batch
    from grader.report.gradebook import Row

    if scheduler is not None and scheduler != "local" and not scheduler.startswith(("tcp://", "tls://")):
        raise click.UsageError("--scheduler takes 'local' or a scheduler address such as tcp://HOST:8786")
    if base_code is None and (Path("assignment") / "cnn.py").is_file():
        base_code = Path("assignment")
    from grader.entries import list_entries
    from grader.progress import make_progress

    session = _session(rubric_path, settings, None)
    session = replace(session, progress=make_progress(quiet))
    total, done = len(_guarded(lambda: list_entries(submissions, exclude=out_dir))), [0]

    def progress(row: Row) -> None:
        if quiet or row.state == "pending":
            return
        done[0] += 1
        session.progress.batch(done[0], total, [])
        score = f"{row.report.score:g} / {row.report.max_score:g}" if row.report else ""
        why = f": {row.reason}" if row.reason else ""
        click.echo(terminal(f"{row.submission}: {score} ({row.state}{why})".replace(":  (", ": (")))

    try:
        session.progress.batch(0, total, [])
        gradebook = _guarded(lambda: grade_batch(submissions, out_dir, session, progress, show_hidden, jobs,
                                                 scheduler, base_code))  # fmt: skip
    finally:
        session.progress.close()
    click.echo(f"gradebook -> {gradebook}; summary -> {gradebook.parent / 'summary.html'}")


@main.command()
@click.option("--rubric", "rubric_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Rubric TOML file (default: the shipped rubric).")
@click.option("--device", type=click.Choice(DEVICES), default=DEFAULTS.device, show_default=True)
@click.option("--seed", type=int, default=None, help="Replace the rubric's seed.")
@click.option("--part", "parts", type=click.Choice(PARTS), multiple=True, help="Only this part (repeatable).")
def prepare(rubric_path: Path | None, device: str, seed: int | None, parts: tuple[str, ...]) -> None:
    """Compute the course's plans (inputs, expected answers) into the cache folder now.

    Grades and batches then only read them: faster, and the grading process never
    loads torch (what keeps a grade inside Gradescope's default container).
    """
    from grader.grading import prepare_plans
    from grader.plan_cache import cache_root

    session = _session(rubric_path, {**_NO_SETTINGS, "device": device, "seed": seed, "parts": parts}, None)
    _guarded(lambda: prepare_plans(session))
    click.echo(f"{session.plans.misses} plan(s) prepared, {session.plans.hits} already there -> "
               f"{cache_root() / 'plans'}")  # fmt: skip


@main.command("gradescope-bundle")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), default=Path("autograder.zip"),
              show_default=True, help="The zip to upload to Gradescope.")
@click.option("--rubric", "rubric_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Your course's rubric (default: the shipped one).")
@click.option("--seed", type=int, default=None, help="Replace the rubric's seed (keep it secret).")
@click.option("--wheel", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="The cnn-grader wheel to install (default: built from this grader's source).")
def gradescope_bundle(out_path: Path, rubric_path: Path | None, seed: int | None, wheel: Path | None) -> None:
    """Build Gradescope's autograder zip: setup.sh, run_autograder, the rubric and the wheel."""
    from grader.gradescope_bundle import BundleError, build_bundle

    try:
        path, warning = build_bundle(out_path, rubric_path, seed, wheel)
    except (BundleError, RubricError, OSError) as exc:
        raise click.UsageError(str(exc)) from exc
    if warning:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"wrote {path}: upload it as the assignment's autograder (docs/gradescope.md)")


def _session(rubric_path: Path | None, settings: dict[str, Any], fail_under: float | None) -> Any:
    from grader.grading import open_session

    try:
        rubric = load_rubric(rubric_path)
    except RubricError as exc:
        raise click.UsageError(str(exc)) from exc
    options = GradeOptions(
        device=settings["device"],
        seed=settings["seed"],
        workers=settings["workers"],
        fail_under=fail_under,
        mnist_root=settings["mnist_root"],
        sr_root=settings["sr_root"],
        parts=tuple(settings["parts"]) or PARTS,
        keep_workdir=settings["keep_workdir"],
    )
    for root, flag in ((options.mnist_root, "--mnist-root"), (options.sr_root, "--sr-root")):
        if root is not None and not root.is_dir():
            raise click.UsageError(f"{flag} {root} is not a folder")
    try:
        session = open_session(options, rubric)
        # Given data folders are read now, so a wrong path is a usage error, not 30 failed checks.
        if options.mnist_root is not None:
            session.data.digits
        if options.sr_root is not None:
            session.data.photos
        if options.sr_root is not None and "srnet" in options.parts:
            _check_photos(session)  # too small or too flat for the PSNR check: a usage error too
    except (ValueError, DataError) as exc:
        raise click.UsageError(str(exc)) from exc
    return session


def _check_photos(session: Any) -> None:
    from grader.parts import srnet
    from grader.parts.context import PlanContext

    try:
        srnet.training_data(PlanContext(session.rubric, session.device, session.seed, session.data))
    except DataError as exc:
        raise DataError(f"--sr-root {session.options.sr_root}: {exc}") from exc


INTERNAL_ERROR = 3


def _guarded(work: Callable[[], Any], on_bug: Callable[[Exception], Any] | None = None) -> Any:
    """Data problems are usage errors (exit 2); a grader bug is one clear line (exit 3), not a
    traceback, or what `on_bug` does with it."""
    try:
        return work()
    except (DataError, RubricError) as exc:
        raise click.UsageError(str(exc)) from exc
    except OSError as exc:
        raise click.UsageError(f"cannot read or write files: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 - last line of defence for the user's terminal
        if on_bug is None:
            _internal_error(exc)
        return on_bug(exc)


def _internal_error(exc: BaseException) -> None:
    """One line on stderr, exit 3 (the terminal escaper: the message may quote the submission)."""
    click.echo(terminal(f"cnn-grader: internal error ({type(exc).__name__}: {exc}); please report it"), err=True)
    sys.exit(INTERNAL_ERROR)


@main.command()
@click.argument("submission", type=click.Path(exists=True, path_type=Path))
@click.option("--rubric", "rubric_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Rubric TOML file (default: the shipped rubric); its [selfcheck] table applies.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also write the report files into this folder.")
@click.option("--quiet", "-q", is_flag=True, help="No terminal table.")
def check(submission: Path, rubric_path: Path | None, out_dir: Path | None, quiet: bool) -> None:
    """Self-check SUBMISSION in seconds: the visible checks, public inputs, a few training steps.

    Hidden checks are named, not run; `grade` runs everything.
    """
    # Only what starts the sandbox is imported before it: the rest loads while it imports torch.
    from grader.progress import make_progress
    from grader.rubric import RubricError
    from grader.selfcheck import self_check

    progress = make_progress(quiet)
    failure = None
    try:
        report = self_check(submission, rubric_path, progress)
    except (DataError, RubricError) as exc:
        raise click.UsageError(str(exc)) from exc
    except Exception as exc:  # noqa: BLE001 - a grader bug: still a report, every check an error
        failure = exc
        report = _guarded(lambda: _self_check_error_report(submission, rubric_path, exc))
    finally:
        progress.close()
    from grader.report.terminal import show
    from grader.report.writers import write_all

    if out_dir is not None:
        _guarded(lambda: write_all(report, out_dir))
    if not quiet:
        show(report, Console())
    where = f" -> {out_dir / 'report.json'}; with pictures: {out_dir / 'report.html'}" if out_dir is not None else (
        "; add --out DIR for report.html, with the loss curves")
    click.echo(f"{report.score:g} / {report.max_score:g} on the public checks{where}")
    if failure is not None:
        _internal_error(failure)


def _self_check_error_report(submission: Path, rubric_path: Path | None, exc: BaseException) -> Report:
    from grader.grading import internal_error_report, open_session
    from grader.selfcheck import DEVICE, public_rubric

    session = open_session(GradeOptions(device=DEVICE, public_only=True), public_rubric(load_rubric(rubric_path)))
    return internal_error_report(session, submission, exc)


_REQUIREMENT_HELP = ("What students and CI install: a git URL (git+https://...@TAG), a wheel file or URL, or "
                     "cnn-grader==VERSION where the course publishes it. Default: a wheel of this checkout, "
                     "shipped with the files.")  # fmt: skip


@main.command()
@click.option("--reference", "reference_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=Path("reference"), show_default=True, help="The solutions, with solution markers.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("assignment"), show_default=True, help="Where the student files go.")
@click.option("--requirement", default=None, help=_REQUIREMENT_HELP)
@click.option("--fail-under", type=click.FloatRange(min=0), default=None,
              help="The CI workflow's passing line (default: full marks of the shipped rubric).")
@click.option("--force", is_flag=True, help="Replace files that differ from the release (edits there are lost).")
def release(reference_dir: Path, out_dir: Path, requirement: str | None, fail_under: float | None,
            force: bool) -> None:  # fmt: skip
    """Write the student files: stubs (every marked answer removed), notebook, grader wheel, CI workflow.

    Nothing is written when a file there differs from the release, unless --force;
    files already as released are left alone.
    """
    from grader.generated_files import WouldOverwrite
    from grader.install import InstallError
    from grader.release import ReleaseError, write_release

    try:
        written = write_release(reference_dir, out_dir, requirement, force, fail_under)
    except (ReleaseError, InstallError, WouldOverwrite, OSError) as exc:
        raise click.UsageError(str(exc)) from exc
    for item in written:
        click.echo(f"{item.state} {item.path}")


@main.command("init-ci")
@click.argument("repository", type=click.Path(exists=True, file_okay=False, path_type=Path), default=Path("."))
@click.option("--fail-under", type=click.FloatRange(min=0), default=None,
              help="Fail the job below this score (default: full marks of the shipped rubric).")
@click.option("--requirement", default=None, help=_REQUIREMENT_HELP.replace("the files", "the workflow"))
@click.option("--python", "python_version", default="3.11", show_default=True, help="Python of the runner.")
@click.option("--force", is_flag=True, help="Replace an existing workflow file (and wheel).")
def init_ci(repository: Path, fail_under: float | None, requirement: str | None, python_version: str,
            force: bool) -> None:  # fmt: skip
    """Write a GitHub Actions workflow that grades the student REPOSITORY (default: here).

    It installs the course's cnn-grader (by default a wheel it puts in the
    repository), runs `cnn-grader grade . --fail-under N` and appends report.md
    to the job summary.
    """
    from grader.ci_workflow import write_workflow
    from grader.generated_files import WouldOverwrite
    from grader.install import InstallError, install_source

    if fail_under is None:
        fail_under = sum(spec.points for spec in load_rubric().checks.values())
    try:
        install = install_source(requirement)
        written = write_workflow(install, fail_under, repository, force, python_version)
    except (InstallError, WouldOverwrite, OSError) as exc:
        raise click.UsageError(str(exc)) from exc
    for item in written:
        click.echo(f"{item.state} {item.path}")
    click.echo(f"the workflow installs {install.description} and fails below {fail_under:g}")


@main.command()
@click.argument("submissions", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--seeds", type=click.IntRange(min=2), default=20, show_default=True, help="Seeds 0 .. N-1.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--rubric", "rubric_path", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--device", type=click.Choice(DEVICES), default=DEFAULTS.device, show_default=True)
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Grades at once (each runs its two training parts side by side).")
def calibrate(submissions: tuple[Path, ...], seeds: int, out_dir: Path, rubric_path: Path | None,
              device: str, jobs: int) -> None:  # fmt: skip
    """Run the training checks of correct SUBMISSIONS over many seeds; report false-fail odds."""
    from grader.calibration import collect, render_summary, summarize, write_samples

    session = _session(rubric_path, {**_NO_SETTINGS, "device": device}, None)
    out_dir.mkdir(parents=True, exist_ok=True)
    samples = collect(list(submissions), range(seeds), session,
                      lambda s: click.echo(f"{s.submission} seed {s.seed} {s.check}: {s.value:.4f}"), jobs)  # fmt: skip
    write_samples(samples, out_dir / "samples.csv")
    summary = render_summary(summarize(samples, session.rubric))
    (out_dir / "summary.md").write_text(summary, encoding="utf-8")
    click.echo(summary)


_NO_SETTINGS: dict[str, Any] = {
    "device": DEFAULTS.device, "seed": None, "workers": None, "mnist_root": None, "sr_root": None,
    "parts": (), "keep_workdir": False, "show_hidden": False,
}  # fmt: skip
