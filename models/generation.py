"""Word-by-word generation from a trained next-word model, run in numpy for speed.

The model runs as a :class:`models.predictor.NumpyNextWordPredictor`::

    predictor = NumpyNextWordPredictor.from_model(model)
    ids = generate_ids(predictor, seed_ids=[12, 7], length=50, window_length=20)

Each new word is predicted from the last ``window_length`` words (the same window the
model was trained on), then decoded to the nearest word by cosine, or sampled.
"""

from __future__ import annotations

import numpy as np

from models.predictor import NumpyNextWordPredictor


def generate_ids(predictor: NumpyNextWordPredictor, seed_ids: list[int], length: int, window_length: int,
                 temperature: float = 0.0, top_k: int = 10, rng_seed: int = 0) -> list[int]:
    """Extend ``seed_ids`` by ``length`` words; return only the new ids.

    Temperature 0 is greedy nearest-word decoding (the blog's); above 0, each word is
    sampled among the ``top_k`` nearest with probability ∝ exp(cosine / temperature).
    """
    if not seed_ids:
        raise ValueError("generation needs at least one seed word")
    rng = np.random.default_rng(rng_seed)
    context = list(seed_ids)
    new_ids: list[int] = []
    for _ in range(length):
        window = np.asarray(context[-window_length:], dtype=np.int64)[None, :]
        vector = predictor.predict_vectors(window)[0]
        word = predictor.decoder.choose(vector, temperature, top_k, rng)
        context.append(word)
        new_ids.append(word)
    return new_ids
