"""Quiet start-up: no CUDA, absl or TensorFlow C++ noise on a machine without a GPU.

TensorFlow 2.21 writes lines such as ``cudart_stub.cc: Could not find cuda drivers``, the
oneDNN notice and ``failed call to cuInit`` straight to file descriptor 2 while it is
imported and first looks for devices, through absl's C++
logging, which ``TF_CPP_MIN_LOG_LEVEL`` no longer reaches. :func:`import_tensorflow_quietly`
imports it and lists the devices with descriptor 2 pointed at ``/dev/null`` for just that moment; Python
exceptions still propagate, and GPUs are not hidden (only the text is). ``--verbose`` or
``LSTMLAB_LOG=debug`` skips it, so every library message comes back.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
from typing import Iterator


def verbose_requested() -> bool:
    """True when ``LSTMLAB_LOG=debug`` asks for every library's messages."""
    return os.environ.get("LSTMLAB_LOG", "").lower() == "debug"


@contextlib.contextmanager
def native_stderr_muted() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null inside the block (Python's ``sys.stderr`` too)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w", encoding="utf-8") as sink:
            os.dup2(sink.fileno(), 2)
            try:
                yield
            finally:
                sys.stderr.flush()
                os.dup2(saved, 2)
    finally:
        os.close(saved)


def import_tensorflow_quietly() -> None:
    """Import TensorFlow (when it is the Keras backend and installed) without its start-up noise."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    if backend != "tensorflow" or "tensorflow" in sys.modules or importlib.util.find_spec("tensorflow") is None:
        return
    with native_stderr_muted():
        import tensorflow  # heavy; imported here only to keep its start-up quiet

        tensorflow.config.list_physical_devices()  # device discovery logs "failed call to cuInit"
