"""A preset's training step on Keras against PyTorch, by turns, at any batch size.

``lstmlab bench`` times its three training pairs this way (:mod:`lstmlab.bench.pairs`); this
script does one pair on its own, quicker, at the batch and length of run you choose (each side
in its own process; the Keras side on the backend ``KERAS_BACKEND`` says). Run from
the checkout, after a run folder exists (it reads its ids and word vectors), with PyTorch
installed (``pip install -e '.[bench]'``)::

    python benchmarks/keras_against_pytorch.py runs/hongloumeng --preset blog --batch-size 128 --steps 60
    python benchmarks/keras_against_pytorch.py runs/hongloumeng --preset blog --batch-size 10 --steps 240
    KERAS_BACKEND=jax python benchmarks/keras_against_pytorch.py runs/hongloumeng --preset default --steps 30

Prints each round's windows per second of both and their ratio, then the median of the rounds'
ratios and the ratio of the fastest runs. Keras trains the preset's model as training does;
PyTorch the bench's equivalent (:mod:`lstmlab.bench.torch_models`) on as many threads as cores.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from lstmlab.bench.pairs import round_ratios, training_pair_by_turns
from lstmlab.pipeline.machine import default_workers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--preset", default="seed", choices=("default", "blog"))
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=60, help="batches in each timed run")
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    results = training_pair_by_turns(str(args.run_dir), args.preset, args.batch_size, args.steps, args.rounds,
                                     threads=default_workers(0))
    rates = {side: result["rates"] for side, result in results.items()}
    for round_, (ours, theirs) in enumerate(zip(rates["keras"], rates["pytorch"])):
        print(f"round {round_}: keras {ours:.0f}, pytorch {theirs:.0f} windows/s, ratio {ours / theirs:.2f}")
    median, fastest = round_ratios(rates["keras"], rates["pytorch"])
    print(f"command: python benchmarks/keras_against_pytorch.py {args.run_dir} --preset {args.preset} "
          f"--batch-size {args.batch_size} --steps {args.steps} --rounds {args.rounds}   "
          f"keras backend: {os.environ.get('KERAS_BACKEND', 'tensorflow')}")
    print(f"keras / pytorch: median of the rounds' ratios {median:.2f}, fastest runs {fastest:.2f} "
          f"(keras {max(rates['keras']):.0f}, pytorch {max(rates['pytorch']):.0f} windows/s)")


if __name__ == "__main__":
    main()
