"""The lstmlab pipeline: stage table, run folder, config and the ``lstmlab`` command line.

This package is the only one that reads config files or arguments; it calls into
:mod:`corpus` and :mod:`models` with plain values.
"""

__version__ = "0.1.0"
