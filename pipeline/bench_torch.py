"""The PyTorch model the benchmark compares against: frozen Embedding -> nn.LSTM(200) ->
Linear(200), MSE to the next word's vector, SGD. Needs the optional ``bench`` extra (torch)."""

from __future__ import annotations

import numpy as np

from corpus.windows import split_windows, window_batch
from pipeline.bench_timing import timed_rates


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def torch_windows_per_second(ids: np.ndarray, vectors: np.ndarray, batch_size: int, steps: int, repeats: int,
                             threads: int, length: int = 20) -> list[float]:
    """Training windows per second of the PyTorch equivalent, batches cut from ``ids`` as Keras gets them."""
    import torch

    torch.manual_seed(0)
    torch.set_num_threads(threads)
    dims = vectors.shape[1]
    embedding = torch.nn.Embedding.from_pretrained(torch.from_numpy(vectors.astype(np.float32)), freeze=True)
    lstm = torch.nn.LSTM(dims, 200, batch_first=True)
    dense = torch.nn.Linear(200, dims)
    parameters = [*lstm.parameters(), *dense.parameters()]
    optimizer = torch.optim.SGD(parameters, lr=0.1)
    table = torch.from_numpy(vectors.astype(np.float32))
    starts = split_windows(len(ids), length, 0.0).train_starts
    rng = np.random.default_rng(0)

    def run_epoch() -> None:
        for _ in range(steps):
            inputs, targets = window_batch(ids, rng.choice(starts, batch_size), length)
            inputs, targets = torch.from_numpy(inputs.astype(np.int64)), torch.from_numpy(targets.astype(np.int64))
            output, _ = lstm(embedding(inputs))
            loss = torch.nn.functional.mse_loss(dense(output[:, -1]), table[targets])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    return timed_rates(run_epoch, batch_size * steps, repeats)
