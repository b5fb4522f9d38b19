"""``lstmlab bench`` and the benchmark scripts: installed as :mod:`lstmlab.bench`.

:mod:`lstmlab.bench.suite` runs every measurement (``lstmlab bench``), each in its own
process (:mod:`lstmlab.bench.worker`); :mod:`lstmlab.bench.timing` holds the timers,
:mod:`lstmlab.bench.pairs` the Keras-against-PyTorch turns and :mod:`lstmlab.bench.torch_models`
the PyTorch side. The scripts beside them (``gpu_step.py``, ``keras_against_pytorch.py``,
``training_step_variants.py``) run from a checkout: ``python benchmarks/gpu_step.py --help``.
"""
