"""The typed boundary: what a child reports is decoded into the declared dataclass or refused."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import ClassVar, Literal

import numpy as np
import pytest

from grader.observations.cnn import CnnEquivalence, ModeOutputs
from grader.observations.common import Described
from grader.observations.pixel_shuffle import CaseOutcome, ShuffleForward
from grader.sandbox.protocol import MalformedOutput
from grader.schema import MAX_TEXT, clean_text, decode, encode


@dataclass(frozen=True)
class Inner:
    name: str
    weight: np.ndarray | None = None


@dataclass(frozen=True)
class Outer:
    PROBE: ClassVar[str] = "demo"
    flag: bool
    count: int
    loss: float
    mode: Literal["eval", "train"]
    sizes: tuple[int, ...]
    pair: tuple[int, str]
    shapes: dict[str, tuple[int, ...]]
    inner: tuple[Inner, ...]
    maybe: str | None
    out: np.ndarray
    grads: dict[str, np.ndarray] = field(default_factory=dict)
    outputs: tuple[np.ndarray, ...] = ()


def sample() -> Outer:
    return Outer(
        flag=True, count=3, loss=math.inf, mode="train", sizes=(1, 2), pair=(4, "x"),
        shapes={"conv1.weight": (16, 1, 5, 5)}, inner=(Inner("a", np.ones(2)), Inner("b")), maybe=None,
        out=np.arange(3.0), grads={"conv1.weight": np.zeros((2, 2))}, outputs=(np.ones(1), np.zeros(1)),
    )  # fmt: skip


def through_json(observation: object) -> tuple[dict, dict]:
    values, arrays = encode(observation)
    return json.loads(json.dumps(values)), arrays


def test_round_trip_through_json_and_arrays() -> None:
    values, arrays = through_json(sample())
    assert sorted(arrays) == ["grads/conv1.weight", "inner/0/weight", "out", "outputs/0", "outputs/1"]
    decoded = decode(Outer, values, arrays)
    assert decoded.loss == math.inf and decoded.sizes == (1, 2) and decoded.pair == (4, "x")
    assert decoded.shapes == {"conv1.weight": (16, 1, 5, 5)} and decoded.inner[1].weight is None
    assert np.array_equal(decoded.inner[0].weight, np.ones(2)) and len(decoded.outputs) == 2


def test_observations_of_the_probes_round_trip() -> None:
    described = Described("tuple", items=(Described("tensor", (2, 10), "float32"),), length=2)
    mode = ModeOutputs(described, np.zeros((2, 10), np.float32), None)
    observation = CnnEquivalence("by name", mode, mode, "", {"out.bias": np.zeros(10, np.float32)})
    assert decode(CnnEquivalence, *through_json(observation)).eval.output.items[0].shape == (2, 10)
    cases = ShuffleForward((CaseOutcome(True, Described("tensor"), value=np.ones(3)), CaseOutcome(False, error="x")))
    decoded = decode(ShuffleForward, *through_json(cases))
    assert decoded.cases[0].value is not None and decoded.cases[1].error == "x"


@pytest.mark.parametrize(
    "change, words",
    [
        (lambda v, a: v.update(extra=1), "unexpected key"),
        (lambda v, a: v.pop("count"), "missing key 'count'"),
        (lambda v, a: v.update(count=True), "expected int"),
        (lambda v, a: v.update(count=10**30), "expected int"),
        (lambda v, a: v.update(loss="NaN!"), "expected float"),
        (lambda v, a: v.update(mode="test"), "mode"),
        (lambda v, a: v.update(sizes={"a": 1}), "expected tuple"),
        (lambda v, a: v.update(pair=[1, 2, 3]), "pair"),
        (lambda v, a: v.update(inner=[{"name": "a", "other": 1}]), "unexpected key"),
        (lambda v, a: v.update(inner="x" * 10), "inner"),
        (lambda v, a: a.pop("out"), "missing array 'out'"),
        (lambda v, a: a.update(stray=np.zeros(1)), "unexpected array"),
        (lambda v, a: a.update({"outputs/5": np.zeros(1)}), "numbered"),
        (lambda v, a: a.update({"grads/a/b": np.zeros(1)}), "nested too deeply"),
    ],
)
def test_anything_else_is_refused_with_a_reason(change, words: str) -> None:  # type: ignore[no-untyped-def]
    values, arrays = through_json(sample())
    change(values, arrays)
    with pytest.raises(MalformedOutput, match=words):
        decode(Outer, values, arrays)


def test_deep_nesting_and_long_lists_are_bounded() -> None:
    nested: object = []
    for _ in range(50):
        nested = [nested]
    values, arrays = through_json(sample())
    values["sizes"] = nested
    with pytest.raises(MalformedOutput):
        decode(Outer, values, arrays)
    deep = {"kind": "tuple", "items": []}
    for _ in range(20):
        deep = {"kind": "tuple", "items": [deep]}
    with pytest.raises(MalformedOutput, match="nested too deeply"):
        decode(Described, deep, {})


def test_text_is_cleaned_of_lone_surrogates_and_cut() -> None:
    values, arrays = through_json(sample())
    values["maybe"] = "half an emoji \ud83d" + "x" * (2 * MAX_TEXT)
    text = decode(Outer, values, arrays).maybe
    assert text is not None and "\ud83d" not in text and len(text) <= MAX_TEXT + 1
    text.encode("utf-8")  # writable anywhere
    assert clean_text("fine") == "fine"
