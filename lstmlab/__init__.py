"""lstmlab: master the LSTM. A staged Chinese next-word pipeline, Keras ports of the classic
LSTM demos, a numpy LSTM checked against Keras, and a way to see inside a trained one.

The Python API (see :mod:`lstmlab.pipeline.api`)::

    import lstmlab
    run = lstmlab.run_pipeline("novel.txt")        # or lstmlab.load("runs/novel")
    print(run.generate("宝玉道", length=30))

The packages: :mod:`lstmlab.corpus` (text in, words out), :mod:`lstmlab.models` (the models),
:mod:`lstmlab.pipeline` (stages, run folders, settings, the command line), :mod:`lstmlab.bench`.
"""

from lstmlab.pipeline import __version__
from lstmlab.pipeline.api import Run, VocabularyError, load, run_pipeline, settings

__all__ = ["Run", "VocabularyError", "__version__", "load", "run_pipeline", "settings"]
