"""Finding modules without importing them."""

from __future__ import annotations

import sys

from grader.importable import module_available


def test_installed_modules_and_submodules_are_found() -> None:
    assert module_available("json") and module_available("os.path") and module_available("torch.nn")


def test_missing_modules_and_missing_submodules_of_namespace_packages_are_not() -> None:
    assert not module_available("google.colab") and not module_available("no_such_module_anywhere")
    assert not module_available(".relative")


def test_looking_up_imports_nothing() -> None:
    before = set(sys.modules)
    assert module_available("sklearn.manifold") and module_available("skimage.data")
    assert not {m for m in set(sys.modules) - before if m.startswith(("sklearn", "skimage"))}
