"""How every stage's cost grows with the text: 1x, 2x and 4x 红楼梦-sized cuts of one long text.

    python -m lstmlab.bench.scale [--sizes 1,2,4] [--epochs 1] [--work runs/scale] [--set KEY=VALUE ...]
    python -m lstmlab.bench.scale --characters 10000000 [--epochs 1] [--set evaluate.max_windows=30000]

The long text is the five texts of ``../shared/corpus`` put through fix-encoding (UTF-8) and
joined in this order: 红楼梦, 西游记, 儒林外史, 史记 (GB18030), 汉书 (GB18030), about 3.5
million characters. A k-x text is its first k times 红楼梦's length in characters (cut at a
line's end); the largest size asked for that passes the whole text is the whole text. With
``--characters`` one text of that many characters is made instead, the joined text repeated as
often as needed (there are no more texts here: beyond 3.5 million characters the text repeats
itself, so such a run measures cost and memory, not what the model learns). Each
stage runs in its own process (``lstmlab run TEXT --until STAGE``, the stages before it
skipped), so the seconds (the stage's own, from its manifest) and the peak resident memory
(``wait4``) are its own. Prints one table and the ratio of each stage's cost at the largest size
to its cost at 1x, with the command and the date; ``--out`` writes the figures as JSON.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from lstmlab.corpus.encoding import decode_text
from lstmlab.pipeline import run_folder
from lstmlab.pipeline.stages import STAGES

SOURCES = ("hongloumeng.txt", "xiyouji.txt", "rulinwaishi.txt", "shiji.gb18030.txt", "hanshu.gb18030.txt")


def joined_text(corpus_dir: Path) -> tuple[str, int]:
    """The five texts decoded and joined (one line between them), and 红楼梦's length in characters."""
    texts = [decode_text(Path(corpus_dir, name).read_bytes(), source=name).text.strip("\n") for name in SOURCES]
    return "\n".join(texts) + "\n", len(texts[0])


def cut_at_line(text: str, characters: int) -> str:
    """The first ``characters`` characters of ``text``, up to the end of the line they end in::

        >>> cut_at_line("ab\\ncd\\nef\\n", 4)
        'ab\\ncd\\n'
    """
    end = text.find("\n", characters - 1)
    return text if end < 0 else text[: end + 1]


def run_stage(corpus: Path, run_dir: Path, stage: str, overrides: list[str]) -> dict:
    """Run the pipeline up to ``stage`` in a child process; returns its wall seconds, the stage's
    own seconds (its manifest's) and the child's peak resident memory in MB."""
    command = [sys.executable, "-m", "lstmlab", "-q", "run", str(corpus), "--run-dir", str(run_dir), "--until", stage,
               *[part for override in overrides for part in ("--set", override)]]
    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(command)} failed with exit status {os.waitstatus_to_exitcode(status)}")
    manifest = json.loads((run_dir / "manifests" / f"{stage}.json").read_text(encoding="utf-8"))
    return {"wall_seconds": round(wall, 1), "seconds": round(manifest["seconds"], 1),
            "peak_mb": round(usage.ru_maxrss / 1024, 0)}


def scale_table(sizes: list[int], work: Path, corpus_dir: Path, overrides: list[str], characters: int = 0) -> dict:
    """Every stage at every size: ``{"sizes": {k: {"characters", "vocabulary", stage: figures}}}``;
    with ``characters`` one size only, a text of that many characters (the joined text repeated)."""
    text, unit = joined_text(corpus_dir)
    work.mkdir(parents=True, exist_ok=True)
    table: dict = {"sizes": {}, "joined_characters": len(text), "unit_characters": unit}
    if characters:
        text, sizes = cut_at_line(text * -(-characters // len(text)), characters), [round(characters / unit)]
    for size in sizes:
        part = text if size * unit >= len(text) else cut_at_line(text, size * unit)
        corpus = work / f"scale-{size}x.txt"
        corpus.write_text(part, encoding="utf-8")
        run_dir = work / f"scale-{size}x"
        row = {"characters": len(part)}
        for stage in STAGES:
            row[stage.name] = run_stage(corpus, run_dir, stage.name, overrides)
            print(f"{size}x {stage.name}: {row[stage.name]}", file=sys.stderr, flush=True)
        row["vocabulary"] = len(run_folder.load_vectors(run_dir).index_to_key)
        table["sizes"][size] = row
    return table


def format_table(table: dict, command: str) -> str:
    """The figures as text: a line per stage with seconds and peak MB at each size, and the ratio
    of the largest size's seconds to 1x's."""
    sizes = sorted(table["sizes"])
    rows = table["sizes"]
    header = f"{'stage':14s}" + "".join(f"{f'{k}x s':>10s}{f'{k}x MB':>9s}" for k in sizes) + f"{'ratio':>8s}"
    lines = [f"# {command}  ({datetime.date.today()})",
             "characters: " + ", ".join(f"{k}x {rows[k]['characters']:,}" for k in sizes)
             + "; vocabulary: " + ", ".join(f"{k}x {rows[k]['vocabulary']:,}" for k in sizes), header]
    for stage in STAGES:
        cells = "".join(f"{rows[k][stage.name]['seconds']:10.1f}{rows[k][stage.name]['peak_mb']:9.0f}" for k in sizes)
        first, last = rows[sizes[0]][stage.name]["seconds"], rows[sizes[-1]][stage.name]["seconds"]
        ratio = f"{last / first:8.1f}" if first > 0 else f"{'':>8s}"
        lines.append(f"{stage.name:14s}{cells}{ratio}")
    text_ratio = rows[sizes[-1]]["characters"] / rows[sizes[0]]["characters"]
    lines.append(f"(ratio: {sizes[-1]}x seconds / {sizes[0]}x seconds; the texts' ratio is {text_ratio:.2f})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,2,4", help="multiples of 红楼梦's length, comma-separated (default 1,2,4)")
    parser.add_argument("--epochs", type=int, default=1, help="training epochs at every size (default 1)")
    parser.add_argument("--work", type=Path, default=Path("runs/scale"), help="folder of the texts and run folders")
    parser.add_argument("--corpus-dir", type=Path, default=Path("../shared/corpus"))
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE",
                        help="another setting for every run (repeatable)")
    parser.add_argument("--characters", type=int, default=0,
                        help="one text of this many characters instead of the sizes (the joined text repeated)")
    parser.add_argument("--out", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    sizes = sorted(int(size) for size in args.sizes.split(","))
    table = scale_table(sizes, args.work, args.corpus_dir, [f"train.epochs={args.epochs}", *args.overrides],
                        args.characters)
    command = "python -m lstmlab.bench.scale " + " ".join(argv if argv is not None else sys.argv[1:])
    print(format_table(table, command))
    if args.out:
        args.out.write_text(json.dumps(table, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
