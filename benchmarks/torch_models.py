"""The PyTorch model the benchmark compares against: frozen Embedding -> nn.LSTM(200) ->
Linear(200), MSE to the next word's vector, SGD. Needs the optional ``bench`` extra (torch)."""

from __future__ import annotations

from typing import Callable

import numpy as np

from lstmlab.corpus.windows import sequence_batch, split_windows, window_batch
from lstmlab.bench.timing import timed_rates


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def torch_training_run(ids: np.ndarray, vectors: np.ndarray, batch_size: int, steps: int, threads: int,
                       length: int = 20) -> Callable[[], None]:
    """A function that trains the PyTorch equivalent (frozen Embedding -> LSTM(200) -> Linear,
    MSE to the next word's vector, SGD 0.1) for ``steps`` batches of random windows."""
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
    starts = split_windows(len(ids), length, 0.0, 0.0).train_starts
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

    return run_epoch


def torch_default_windows_per_second(ids: np.ndarray, vectors: np.ndarray, batch_size: int, steps: int,
                                     repeats: int, threads: int, length: int = 20, device: str = "cpu") -> list[float]:
    """Windows per second of :func:`torch_default_training_run` (``repeats`` timed runs of
    ``steps`` batches after a warm-up)."""
    return timed_rates(torch_default_training_run(ids, vectors, batch_size, steps, threads, length, device),
                       batch_size * steps, repeats)


def torch_default_training_run(ids: np.ndarray, vectors: np.ndarray, batch_size: int, steps: int, threads: int,
                               length: int = 20, device: str = "cpu") -> Callable[[], None]:
    """A function that trains PyTorch's version of the default preset's model for ``steps``
    batches: trainable Embedding -> LSTM(200) with input dropout 0.2 -> Linear(D) -> scale x
    cosine to trainable output vectors plus a trained bias per word, cross-entropy at every
    position of 20-word sequences, Adam lr 0.002 (the same objective, head, optimizer, batch and
    threads as ``lstmlab``'s default). On ``device`` "cuda" the LSTM is cuDNN's, and the function
    returns when the GPU has finished."""
    import torch

    torch.manual_seed(0)
    torch.set_num_threads(threads)
    table = torch.from_numpy(vectors.astype(np.float32)).to(device)
    embedding = torch.nn.Embedding.from_pretrained(table.clone(), freeze=False)
    dropout = torch.nn.Dropout(0.2)
    lstm = torch.nn.LSTM(vectors.shape[1], 200, batch_first=True)
    dense = torch.nn.Linear(200, vectors.shape[1])
    lstm.to(device)
    dense.to(device)
    output_vectors = torch.nn.Parameter(table.clone())
    log_scale = torch.nn.Parameter(torch.tensor(float(np.log(20.0)), device=device))
    word_bias = torch.nn.Parameter(torch.zeros(len(vectors), device=device))
    parameters = [*embedding.parameters(), *lstm.parameters(), *dense.parameters(), output_vectors, log_scale,
                  word_bias]
    optimizer = torch.optim.Adam(parameters, lr=0.002)
    starts = np.arange(0, len(ids) - length - 1, length)
    rng = np.random.default_rng(0)

    def run_epoch() -> None:
        for _ in range(steps):
            inputs, targets = (torch.from_numpy(batch.astype(np.int64)).to(device)
                               for batch in sequence_batch(ids, rng.choice(starts, batch_size), length))
            hidden, _ = lstm(dropout(embedding(inputs)))
            predicted = torch.nn.functional.normalize(dense(hidden), dim=-1)
            logits = log_scale.exp() * predicted @ torch.nn.functional.normalize(output_vectors, dim=-1).T + word_bias
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if device != "cpu":
            torch.cuda.synchronize()

    return run_epoch
