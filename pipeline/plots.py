"""Pictures the stages write, drawn with matplotlib (no display needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lstmlab.pipeline.files import atomic_output


def context_curve_picture(path: Path, model: list[dict[str, Any]], ngram: list[dict[str, Any]],
                          title: str) -> None:
    """Write a PNG at ``path``: perplexity and top-1 against the context length n (words read
    before each target) for the model and for Kneser-Ney; rows as :mod:`models.context_curve`
    returns them ("all" drawn at the right end, as the continuous protocol)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    labels = [str(row["context"]) for row in model]
    positions = list(range(len(labels)))
    figure, (left, right) = pyplot.subplots(1, 2, figsize=(11, 4.2))
    for axis, key, name in ((left, "perplexity", "perplexity (lower is better)"), (right, "top1", "top-1")):
        axis.plot(positions, [row[key] for row in model], "o-", label="LSTM")
        axis.plot(positions, [row[key] for row in ngram], "s--", label="Kneser-Ney (order n+1, up to its highest)")
        axis.set_xticks(positions, labels)
        axis.set_xlabel("words of context n")
        axis.set_ylabel(name)
        axis.grid(alpha=0.3)
    right.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    left.legend()
    figure.suptitle(title)
    figure.tight_layout()
    with atomic_output(path, suffix=".png") as temporary:
        figure.savefig(temporary, dpi=110)
    pyplot.close(figure)
