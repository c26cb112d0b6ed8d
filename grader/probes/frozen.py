"""Copies of grader functions whose global names are bound once, before student code runs.

Python looks a function's global names up when it runs: student code that
assigns `grader.training.train_superres = forged` changes what a later call
of `train_harness_srnet` does. `freeze` copies the functions and classes of
some modules into snapshot namespaces taken now, and rebinds every name
among them to the copies, so that the copy of a function runs the code the
grader shipped whatever is assigned to those modules afterwards.

Objects from elsewhere (torch, numpy) stay shared: replacing their
attributes is monkeypatching, which the static reading of Part 3 flags.
"""

from __future__ import annotations

import sys
import types
from types import ModuleType
from typing import Any, TypeVar

T = TypeVar("T")


def freeze(target: T, *modules: ModuleType) -> T:
    """A copy of `target` (a function or class of one of `modules`) reading snapshots of their namespaces.

    >>> import grader.training as training, grader.oracle as oracle
    >>> frozen = freeze(training.train_harness_srnet, training, oracle)
    >>> frozen is training.train_harness_srnet, frozen.__globals__ is vars(training)
    (False, False)
    """
    namespaces = {module.__name__: dict(vars(module)) for module in modules}
    copies: dict[int, Any] = {}
    classes: list[tuple[type, type, dict[str, Any]]] = []
    for module in modules:
        namespace, own = namespaces[module.__name__], vars(module)
        for value in list(namespace.values()):
            if id(value) in copies or getattr(value, "__module__", None) != module.__name__:
                continue
            if isinstance(value, types.FunctionType) and value.__globals__ is own:
                copies[id(value)] = _copy_function(value, namespace)
            elif isinstance(value, type) and not hasattr(value, "__dataclass_fields__"):
                # Dataclasses only hold results; their generated methods have globals of their own.
                copy = type(value)(value.__name__, value.__bases__, _class_body(value))
                copies[id(value)] = copy
                classes.append((value, copy, namespace))
    for original, copy, namespace in classes:  # methods need the copy for `super()`
        own = vars(sys.modules[original.__module__])
        for key, item in vars(original).items():
            if isinstance(item, types.FunctionType) and item.__globals__ is own:
                setattr(copy, key, _copy_function(item, namespace, copy))
    for namespace in namespaces.values():
        for key, value in namespace.items():
            if id(value) in copies:
                namespace[key] = copies[id(value)]
    if id(target) not in copies:
        raise ValueError(f"{target!r} is not defined in the given modules")
    return copies[id(target)]  # type: ignore[no-any-return]


def _class_body(cls: type) -> dict[str, Any]:
    return {key: value for key, value in vars(cls).items() if key not in ("__dict__", "__weakref__")}


def _copy_function(function: types.FunctionType, namespace: dict[str, Any], cls: type | None = None) -> Any:
    closure = function.__closure__
    if closure is not None and cls is not None:
        # A method that calls `super()` reads its class from the `__class__` cell.
        closure = tuple(types.CellType(cls) if name == "__class__" else cell
                        for name, cell in zip(function.__code__.co_freevars, closure))  # fmt: skip
    copy = types.FunctionType(function.__code__, namespace, function.__name__, function.__defaults__, closure)
    copy.__kwdefaults__ = function.__kwdefaults__
    copy.__qualname__ = function.__qualname__
    copy.__doc__ = function.__doc__
    copy.__annotations__ = dict(function.__annotations__)
    return copy
