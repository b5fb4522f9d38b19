"""Every module's docstring examples run and print what they say (``doctest``), imported under
the one name the installed package gives them."""

from __future__ import annotations

import doctest
import importlib

import pytest

from lstmlab.pipeline.imports import all_project_modules

# Scripts meant to run from a checkout (``python benchmarks/gpu_step.py``), not to be imported.
SCRIPTS = {"lstmlab.bench.gpu_step", "lstmlab.bench.keras_against_pytorch", "lstmlab.bench.training_step_variants",
           "lstmlab.__main__"}


@pytest.mark.parametrize("name", [name for name in all_project_modules() if name not in SCRIPTS])
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples in {name} failed (output above)"
