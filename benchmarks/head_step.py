"""The default model's training step with the full head and with the sampled head, at two vocabularies.

    python -m lstmlab.bench.head_step [--vocabularies 7546,32707] [--batch-size 128] [--steps 20] [--repeats 3]

The vocabularies are 红楼梦's (7,546 words at min_count 5) and the four-novel corpus's (32,707).
The ids are Zipf-distributed over the vocabulary (so a batch holds about as many distinct words
as a novel's), the vectors random (a step's cost does not depend on their values). Prints the
median milliseconds a step of each head, with the command and the date.
"""

from __future__ import annotations

import argparse
import datetime
import sys

import numpy as np

from lstmlab.bench.timing import keras_windows_per_second
from lstmlab.models.settings import NextWordSettings


def step_milliseconds(vocabulary: int, head: str, batch_size: int, steps: int, repeats: int) -> float:
    """The median milliseconds of one training step of the default model with ``head`` over ``vocabulary`` words."""
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(vocabulary, 200)).astype("float32")
    ids = np.minimum(rng.zipf(1.25, size=400_000) - 1, vocabulary - 1).astype(np.int32)
    rates = keras_windows_per_second(ids, vectors, NextWordSettings(head=head), batch_size, steps, repeats)
    return 1000.0 * batch_size / float(np.median(rates))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vocabularies", default="7546,32707")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"# python -m lstmlab.bench.head_step {' '.join(argv if argv is not None else sys.argv[1:])}  "
          f"({datetime.date.today()})")
    for vocabulary in (int(v) for v in args.vocabularies.split(",")):
        full, sampled = (step_milliseconds(vocabulary, head, args.batch_size, args.steps, args.repeats)
                         for head in ("full", "sampled"))
        print(f"V = {vocabulary:6d}: full head {full:6.0f} ms a step, sampled head {sampled:6.0f} ms "
              f"({full / sampled:.1f}x faster)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
