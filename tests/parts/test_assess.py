"""The parent's evaluation of trained weights (`assess`): the same values as the student's own
model for every correct submission, and no credit for weights that did not come from training.

The submissions' models run in this process here (they are trusted fixtures); in a grade they
run only in the sandboxed child, which is what the probe functions called below are.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
import torch

from grader.grading import Session
from grader.oracle import CNN_SHAPES, srnet_shapes
from grader.parts import cnn as cnn_part
from grader.parts import srnet as srnet_part
from grader.probes import cnn as cnn_probes
from grader.probes import srnet as srnet_probes
from grader.probes.common import ProbeContext, load_weights
from grader.sandbox.feed import group_inputs
from grader.submission import stage
from grader.training import predict_classifier, replay_settings, upscale_images
from grader.rubric import rubric_from_dict, tomllib
from tests.conftest import CORRECT, FAST_RUBRIC, REFERENCE, TRAINING_CHECKS, part_session, plan_part

SUBMISSIONS = [REFERENCE, *sorted(p for p in CORRECT.iterdir() if not p.name.startswith("."))]
HELPERS = ("blocks", "patterns", "pixel_shuffle")


@pytest.fixture(scope="module")
def short_session(fast_session: Session) -> Session:
    """Twenty training steps and a checkpoint every eight: three segments, the last one short."""
    doc = tomllib.loads(FAST_RUBRIC.read_text(encoding="utf-8"))
    for name in TRAINING_CHECKS:
        doc["checks"][name].update(steps=20, checkpoint_every=8, replay_segments=3)
    return replace(fast_session, rubric=rubric_from_dict(doc, "short training"))


def load_part(submission: Path, part: str, tmp_path: Path) -> ModuleType:
    staged = stage(submission, tmp_path / "staged")
    source = staged.sources[part]
    assert source is not None
    for name in HELPERS:
        sys.modules.pop(name, None)
    sys.path.insert(0, str(source.path.parent))
    try:
        spec = importlib.util.spec_from_file_location(f"assess_{part}_{submission.stem}", source.path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(source.path.parent))
    return module


def train(plan: Any, module: ModuleType, tmp_path: Path) -> Any:
    """The train probe, as the child runs it (with the rubric's thread count)."""
    part = cnn_part if plan.job.part == "cnn" else srnet_part
    probes = cnn_probes if plan.job.part == "cnn" else srnet_probes
    inputs = group_inputs(plan.inputs, part.input_readers, plan.job.probes)["train"]
    with replay_settings(plan.job.threads):
        return probes.train(ProbeContext(job=plan.job, inputs=inputs, scratch=tmp_path, module=module))


@pytest.mark.parametrize("submission", SUBMISSIONS, ids=[p.name for p in SUBMISSIONS])
def test_the_parent_evaluates_a_correct_cnn_as_the_cnn_itself_would(submission: Path, tmp_path: Path,
                                                                     short_session: Session) -> None:  # fmt: skip
    plan = plan_part(part_session(short_session, "cnn"), "cnn")
    module = load_part(submission, "cnn", tmp_path)
    run = train(plan, module, tmp_path)
    assert run.matched and run.weights is not None and run.weights.shape == (4, 28938)  # steps 0, 8, 16, 20
    trained = cnn_part.assess(plan, run)
    assert trained.provenance.refusal() == "", trained.provenance
    assert trained.provenance.replay is not None and trained.provenance.replay.deviation < 1e-3  # 0 unless rounding differs

    model = module.CNN()
    final = {name: torch.from_numpy(w) for name, w in zip(CNN_SHAPES, cnn_part_weights(run.weights[-1]))}
    load_weights(model, final)
    logits, embeddings = predict_classifier(model, plan.test_images, "cpu")
    np.testing.assert_allclose(trained.logits, logits, rtol=1e-5, atol=1e-5)
    assert trained.accuracy == float(np.mean(np.argmax(logits, 1) == plan.test_labels))
    assert embeddings is not None
    np.testing.assert_allclose(trained.embeddings, embeddings[trained.embedded], rtol=1e-5, atol=1e-5)
    assert len(trained.embedded) == 500 and trained.embedded[-1] > 900  # spread over the test set
    assert trained.initial_accuracy < 0.3 and trained.provenance.loss_drop > 0.2


@pytest.mark.parametrize("submission", SUBMISSIONS, ids=[p.name for p in SUBMISSIONS])
def test_the_parent_evaluates_a_correct_srnet_as_the_net_itself_would(submission: Path, tmp_path: Path,
                                                                       short_session: Session) -> None:  # fmt: skip
    plan = plan_part(part_session(short_session, "srnet"), "srnet")
    module = load_part(submission, "srnet", tmp_path)
    run = train(plan, module, tmp_path)
    assert run.matched, run.mapping
    trained = srnet_part.assess(plan, run)
    assert trained.provenance.refusal() == "", trained.provenance
    assert trained.provenance.replay is not None and trained.provenance.replay.deviation < 1e-3  # 0 unless rounding differs

    net = module.SuperResolutionNet(plan.factor)
    shapes = srnet_shapes(plan.factor)
    load_weights(net, {n: torch.from_numpy(w) for n, w in zip(shapes, srnet_part_weights(run.weights[-1], shapes))})
    outputs = upscale_images(net, [test.low for test in plan.tests], "cpu")
    for ours, theirs in zip(trained.outputs, outputs):
        np.testing.assert_allclose(ours, np.clip(theirs[0, 0], 0.0, 1.0), rtol=1e-5, atol=1e-6)
    assert trained.initial_gain < -3.0 and np.isfinite(trained.gain)


def cnn_part_weights(row: np.ndarray) -> tuple[np.ndarray, ...]:
    from grader.replay import unflatten

    return unflatten(row, CNN_SHAPES)


def srnet_part_weights(row: np.ndarray, shapes: dict[str, tuple[int, ...]]) -> tuple[np.ndarray, ...]:
    from grader.replay import unflatten

    return unflatten(row, shapes)


def test_no_credit_without_contract_weights_or_with_a_trained_initialisation(tmp_path: Path,
                                                                           short_session: Session) -> None:  # fmt: skip
    plan = plan_part(part_session(short_session, "cnn"), "cnn")
    module = load_part(REFERENCE, "cnn", tmp_path)
    honest = train(plan, module, tmp_path)

    other = replace(honest, matched=False, mapping="its state_dict has 9 entries where the contract's network has 6 "
                    "parameters", weights=None, exp_avg=None, exp_avg_sq=None)  # fmt: skip
    refusal = cnn_part.assess(plan, other).provenance.refusal()
    assert refusal.startswith("the trained weights cannot be evaluated: CNN's parameters do not fit the contract's")

    # The final weights given out as the initial ones: an "initialisation" that already classifies.
    weights = honest.weights.copy()  # type: ignore[union-attr]
    weights[0] = weights[-1]
    pretrained = cnn_part.assess(plan, replace(honest, weights=weights))
    assert pretrained.initial_accuracy > 0.5
    assert pretrained.provenance.refusal().startswith("the initialisation is already trained")
    assert pretrained.provenance.replay is None  # replayed meanwhile, and dropped

    # Weights that never move: the replay trains them, so the run is not the grader's.
    frozen = np.repeat(honest.weights[:1], len(honest.weights), axis=0)  # type: ignore[index]
    still = cnn_part.assess(plan, replace(honest, weights=frozen))
    assert "could not reproduce your training" in still.provenance.refusal()
    assert still.accuracy == pytest.approx(still.initial_accuracy)


def test_the_loss_must_have_fallen(tmp_path: Path, short_session: Session) -> None:
    from grader.trained import Provenance

    assert "never fell" in Provenance(initial_loss=2.3, final_loss=2.4).refusal()
    assert Provenance(initial_loss=2.3, final_loss=1.0).refusal() == ""
    assert "never fell" in Provenance(initial_loss=float("nan"), final_loss=1.0).refusal()


def test_the_replay_runs_beside_the_evaluation_of_the_weights(tmp_path: Path, short_session: Session,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """The replay, scoring's longest step, runs in a thread of its own while the initial weights are
    evaluated (on the core the finished child left free): each waits here until the other runs."""
    import threading

    from grader.parts import provenance

    plan = plan_part(part_session(short_session, "cnn"), "cnn")
    run = train(plan, load_part(REFERENCE, "cnn", tmp_path), tmp_path)
    both = threading.Barrier(2, timeout=60)
    threads: dict[str, str] = {}
    replay, predict = provenance.replay, cnn_part._predict

    def waiting_replay(*args: Any, **kwargs: Any) -> Any:
        threads["replay"] = threading.current_thread().name
        both.wait()
        return replay(*args, **kwargs)

    def waiting_predict(*args: Any, **kwargs: Any) -> Any:
        if "predict" not in threads:
            threads["predict"] = threading.current_thread().name
            both.wait()
        return predict(*args, **kwargs)

    monkeypatch.setattr(provenance, "replay", waiting_replay)
    monkeypatch.setattr(cnn_part, "_predict", waiting_predict)
    trained = cnn_part.assess(plan, run)
    assert threads["replay"] != threads["predict"]
    assert trained.provenance.replay is not None and trained.provenance.refusal() == ""


def test_the_loss_is_measured_batch_by_batch() -> None:
    """The grader's loss before and after training: the mean over the first and last `window`
    batches, each measured as the step that trained on it saw it (one batch at a time)."""
    from grader.parts.provenance import RunSetup, measured_batches, measured_loss
    from grader.replay import ReplaySettings

    order = np.arange(24).reshape(6, 4)
    seen: list[tuple[int, ...]] = []

    def make_loss(params: Any) -> Any:
        def loss(index: torch.Tensor) -> torch.Tensor:
            seen.append(tuple(index.shape))
            return index.double().mean()

        return loss

    setup = RunSetup({}, None, order, make_loss, ReplaySettings(1, 1, 0.0, 0, 1, "cpu"), 2)  # type: ignore[arg-type]
    batches = measured_batches(order, setup.window)
    assert batches.tolist() == [[0, 1, 2, 3], [4, 5, 6, 7], [16, 17, 18, 19], [20, 21, 22, 23]]
    assert measured_loss(setup, [], (), batches) == pytest.approx(np.mean(batches))
    assert seen == [(4,)] * 4
