"""The ``lstmlab`` command line: argument parsing and printing only; the work is elsewhere."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

from lstmlab.models.settings import DECODING_METHODS, DecodingSettings
from lstmlab.pipeline import __version__, demo_cli, distributed_cli, run_folder
from lstmlab.pipeline.config import (FixEncodingConfig, SegmentConfig, Word2VecConfig, load_config, run_folder_config,
                                     to_toml)
from lstmlab.pipeline.errors import USER_ERRORS, printable, write_crash_log
from lstmlab.pipeline.files import user_path
from lstmlab.pipeline.inputs import read_user_text
from lstmlab.pipeline.quiet import import_tensorflow_quietly, verbose_requested
from lstmlab.pipeline.runner import run_pipeline
from lstmlab.pipeline.stages import STAGE_NAMES
from lstmlab.pipeline.stages.fix_encoding import fix_encoding_file
from lstmlab.pipeline.stages.segment import segment_file

# The commands below import the stage modules that load Keras or gensim (seconds of
# start-up) inside the command that needs them, so `lstmlab --help` and the text
# commands start fast.

logger = logging.getLogger("lstmlab")

def _epilog() -> str:
    from lstmlab.pipeline.reference import stage_lines

    return "stages of `lstmlab run`, in order:\n" + stage_lines() + "\n\nMore: docs/ in the repository."


EPILOG = _epilog()


def _add_config_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE", help="TOML config file, one [section] per stage")
    parser.add_argument("--preset", help="settings preset: 'default' (best held-out accuracy) or 'blog' (the original post's settings)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="SECTION.KEY=VALUE",
                        help="override one setting, e.g. --set train.epochs=3 (repeatable)")


def _add_run_folder_command(commands, name: str, help_text: str) -> argparse.ArgumentParser:
    short = help_text[0].lower() + help_text[1:].rstrip(".")
    parser = commands.add_parser(name, help=short, description=help_text +
                                 " Earlier stages that are missing or out of date run first.")
    parser.add_argument("run_dir", type=user_path, metavar="RUN", help="a run folder made by `lstmlab run`")
    _add_config_options(parser)
    parser.add_argument("--force", action="store_true", help=f"re-run {name} even if it is up to date")
    parser.set_defaults(stage=name, handler=command_stage, uses_keras=True)
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lstmlab", description="Master the LSTM: a staged Chinese next-word "
                                     "pipeline, Keras ports of classic demos, a numpy reference LSTM.",
                                     epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"lstmlab {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars, warnings only")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="debug logs, and the libraries' own messages (TensorFlow, absl); "
                        "LSTMLAB_LOG=debug does the same")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_pipeline_commands(commands)
    _add_text_commands(commands)
    _add_run_commands(commands)
    _add_tool_commands(commands)
    demo_cli.add_commands(commands)
    return parser


def _add_pipeline_commands(commands) -> None:
    """``run`` and ``config``."""
    run = commands.add_parser("run", help="run the whole text pipeline on a corpus",
                              description="Run every stage on CORPUS into one run folder; stages whose inputs, "
                              "settings and code are unchanged are skipped.", epilog=EPILOG,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("corpus", type=user_path, metavar="CORPUS", help="a raw Chinese novel, any common encoding")
    run.add_argument("--run-dir", type=user_path, help="run folder (default: runs/<corpus stem>); an existing one keeps "
                     "its settings (RUN/config.toml) unless --config or --preset is given")
    run.add_argument("--until", choices=STAGE_NAMES, help="stop after this stage")
    run.add_argument("--force", action="store_true", help="re-run every stage")
    _add_config_options(run)
    distributed_cli.add_distribution_options(run)
    run.set_defaults(handler=command_run, uses_keras=True)

    config = commands.add_parser("config", help="show the effective config, or the settings reference",
                                 description="show: the effective settings as TOML (defaults, preset, --config, "
                                 "--set); reference: every setting with its default, range and meaning, as Markdown "
                                 "(docs/settings.md is this page)")
    config.add_argument("action", choices=["show", "reference"])
    _add_config_options(config)
    config.set_defaults(handler=command_config)



def _add_text_commands(commands) -> None:
    """The file-to-file stages: ``fix-encoding``, ``segment``, ``word2vec``."""
    fix = commands.add_parser("fix-encoding", help="turn a text file in any common encoding into clean UTF-8",
                              description="Detect the encoding (BOM, strict UTF-8, chardet, then GB18030/Big5 by "
                              "fit), decode, drop the BOM and turn CRLF and lone CR into \\n.")
    fix.add_argument("input", type=user_path)
    fix.add_argument("-o", "--output", type=user_path, required=True)
    fix.add_argument("--encoding", default="", help="force this codec (e.g. gbk, gb18030, big5hkscs, utf-16)")
    fix.add_argument("--errors", choices=["strict", "replace"], default="strict",
                     help="strict (default): invalid bytes are an error naming offset and line; "
                     "replace: they become U+FFFD and are counted")
    fix.add_argument("--fullwidth-to-halfwidth", action="store_true",
                     help="map full-width ASCII forms (ＡＢ１，！) to ASCII (AB1,!)")
    fix.add_argument("--unify-quotes", action="store_true", help="turn corner brackets 「」『』 into curly quotes “” ‘’")
    fix.add_argument("--strip-indentation", action="store_true",
                     help="remove leading ideographic spaces (U+3000), spaces and tabs from each line")
    fix.set_defaults(handler=command_fix_encoding)

    segment = commands.add_parser("segment", help="segment UTF-8 text into words with jieba",
                                  description="One output line per input line, words separated by one space.")
    segment.add_argument("input", type=user_path)
    segment.add_argument("-o", "--output", type=user_path, required=True)
    segment.add_argument("--no-hmm", action="store_true", help="do not guess words missing from the dictionary")
    segment.add_argument("--user-dictionary", default="", metavar="FILE",
                         help="extra words, 'word [frequency] [tag]' a line, UTF-8")
    segment.add_argument("--drop-punctuation", action="store_true", help="drop punctuation tokens (kept by default)")
    segment.add_argument("--workers", type=int, default=0, help="processes (default: one per core)")
    segment.set_defaults(handler=command_segment)

    w2v = commands.add_parser("word2vec", help="train word2vec on segmented text",
                              description="Writes DIR/word2vec.kv (gensim) and DIR/vectors.bin (C binary format). "
                              "Defaults are the blog's: CBOW, 200 dims, window 8, negative 25, sample 1e-4, 15 epochs.")
    w2v.add_argument("input", type=user_path, help="segmented text, words separated by spaces")
    w2v.add_argument("-o", "--output", type=user_path, required=True, metavar="DIR")
    w2v.add_argument("--vectors", default="", metavar="FILE", help="read this word2vec file (C binary or text format) instead of training")
    _add_config_options(w2v)
    w2v.set_defaults(handler=command_word2vec)



def _add_run_commands(commands) -> None:
    """The stages that work on a run folder: ``windows``, ``train``, ``evaluate``, ``generate``."""
    _add_run_folder_command(commands, "windows", "Build the id stream and the train / validation / test split of a run.")
    train = _add_run_folder_command(commands, "train", "Train the next-word LSTM of a run (TensorBoard logs in RUN/logs).")
    distributed_cli.add_distribution_options(train)
    _add_run_folder_command(commands, "evaluate", "Score the model on the test text beside n-gram models, and measure generation.")

    generate = commands.add_parser(
        "generate", help="generate text word by word from seed words",
        description="Segment the seed with the run's jieba settings, then predict and pick one word at a time "
        "(numpy only, no TensorFlow). Without --seed on a terminal it asks for seeds one after another "
        "(Ctrl-D ends); --seed - reads seeds from standard input, one a line, and prints one sample a line. "
        "Decoding flags default to the run's [generate] settings.")
    generate.add_argument("run_dir", type=user_path, metavar="RUN")
    generate.add_argument("--seed", default=None, help="seed text; '-': one seed per line of standard input "
                          "(default: ask on a terminal, else the validation part's first window)")
    generate.add_argument("--length", type=int, help="words to generate (default 60)")
    generate.add_argument("--method", choices=DECODING_METHODS,
                          help="sample (default): from the model's distribution; greedy: its most likely word; "
                          "beam: beam search; nearest: the blog's nearest word by cosine, nothing else")
    generate.add_argument("--context", choices=("carried", "window"),
                          help="carried (default): one LSTM step per word, the state carried from the seed's first "
                          "word on; window: each word from the last window of words alone, as a 20-word model reads")
    generate.add_argument("--temperature", type=float, help="divide the logits by this (default 1.0: the "
                          "model's own distribution; lower is more conservative)")
    generate.add_argument("--top-k", type=int, help="sample among the k most likely words only (default 0: all)")
    generate.add_argument("--top-p", type=float, help="nucleus: the smallest set of likeliest words holding this "
                          "much probability (default 0.9)")
    generate.add_argument("--repetition-penalty", type=float,
                          help="divide the probability of recently used words by this (default 1.2)")
    generate.add_argument("--repetition-window", type=int, help="how many recent words the penalty covers (default 20)")
    generate.add_argument("--no-repeat-ngram", type=int, help="never repeat an n-gram of this size (default 4; 0 off)")
    generate.add_argument("--any-pairs", dest="text_pairs_only", action="store_const", const=False,
                          help="let any word follow itself and any punctuation mark follow another (default: "
                               "only as the run's text writes them, such as —— or 。”, so no '，，' or '：，')")
    generate.add_argument("--beam-width", type=int, help="beams kept by --method beam (default 4)")
    generate.add_argument("--length-penalty", type=float, help="beam: rank by log p / length ** this (default 1)")
    generate.add_argument("--rng-seed", type=int, help="random seed of sampling: the same seed gives the same text (default 0)")
    generate.set_defaults(handler=command_generate)



def _add_tool_commands(commands) -> None:
    """``inspect``, ``similar``, ``tensorboard``, ``bench``."""
    inspect = commands.add_parser(
        "inspect", help="see inside a run's LSTM: its cells and gates over a text",
        description="Record the last LSTM layer's cells and gates word by word over a text (numpy), rank the cells "
        "by how closely they follow features of the text (inside a quotation, inside speech, words since the "
        "sentence's end, place in the line, next word a punctuation mark), measure how often each gate saturates, "
        "and compare the LSTM with Kneser-Ney on the test part by kind of word. Writes RUN/inspect/NAME.html (one "
        "self-contained page), NAME.json and NAME-lstmvis/ (the states for LSTMVis).")
    inspect.add_argument("run_dir", type=user_path, metavar="RUN")
    text = inspect.add_mutually_exclusive_group()
    text.add_argument("--text", type=user_path, metavar="FILE", help="UTF-8 text to inspect (default: the test part)")
    text.add_argument("--seed", help="a text to inspect, typed here")
    inspect.add_argument("--words", type=int, default=400, help="words of the test part to inspect (default 400)")
    inspect.add_argument("--name", default="inspection", help="file name of the page and its JSON (default inspection)")
    inspect.add_argument("--no-compare", dest="compare", action="store_false",
                         help="skip the comparison with Kneser-Ney (it fits the n-gram model: seconds to a minute)")
    inspect.add_argument("--open", action="store_true", help="serve the page on 127.0.0.1 and open it in a browser")
    inspect.add_argument("--port", type=int, default=8765, help="the port --open serves on (default 8765)")
    inspect.set_defaults(handler=command_inspect)

    similar = commands.add_parser("similar", help="nearest words to a word in a run's word2vec space")
    similar.add_argument("run_dir", type=user_path, metavar="RUN")
    similar.add_argument("word")
    similar.add_argument("-k", type=int, default=10, help="how many (default 10)")
    similar.set_defaults(handler=command_similar)

    board = commands.add_parser("tensorboard", help="start TensorBoard on a run's logs")
    board.add_argument("run_dir", type=user_path, metavar="RUN")
    board.add_argument("--port", type=int, default=6006)
    board.set_defaults(handler=command_tensorboard, uses_keras=True)

    bench = commands.add_parser("bench", help="measure the speed of every stage on this machine",
                                description="Median of several runs after a warm-up, each in its own process "
                                "(peak memory per measurement); the training step beside PyTorch and the machine's "
                                "matmul rate. Writes the figures as JSON with --out.")
    bench.add_argument("--corpus", type=user_path, default=Path("../shared/corpus/hongloumeng.txt"),
                       help="UTF-8 corpus to measure on (default ../shared/corpus/hongloumeng.txt)")
    bench.add_argument("--quick", action="store_true", help="a 130,000-character cut and fewer steps (CI smoke run)")
    bench.add_argument("--out", type=user_path, help="also write the figures as JSON here")
    bench.set_defaults(handler=command_bench, uses_keras=True)


def _print_outcome(outcome) -> None:
    if outcome.status == "skipped":
        print(f"[{outcome.stage}] up to date, skipped")
    else:
        print(f"[{outcome.stage}] done in {outcome.seconds:.1f}s")


def command_run(args) -> int:
    from lstmlab.pipeline.stages.evaluate import format_table

    run_dir = args.run_dir or run_folder.default_run_dir(args.corpus)
    # An existing run folder keeps its settings (config.toml, which the user may have edited);
    # --config or --preset start from those instead.
    config = run_folder_config(run_dir, args.config, [*args.overrides, *distributed_cli.distribution_overrides(args)],
                               args.preset)
    print(f"run folder: {run_dir}")
    force, report = args.force, _print_outcome
    if args.local_processes and STAGE_NAMES.index(args.until or STAGE_NAMES[-1]) >= STAGE_NAMES.index("train"):
        run_pipeline(args.corpus, run_dir, config, until="windows", force=force, progress=not args.quiet,
                     report=_print_outcome)
        distributed_cli.train_in_local_processes(args, run_dir, args.corpus, config, force)
        force = False
        after_train = STAGE_NAMES[STAGE_NAMES.index("train") + 1 :]
        report = lambda outcome: outcome.stage in after_train and _print_outcome(outcome)  # noqa: E731
    run_pipeline(args.corpus, run_dir, config, until=args.until, force=force,
                 progress=not args.quiet, report=report)
    if (run_dir / run_folder.EVALUATION).is_file() and args.until in (None, "evaluate", "generate"):
        print(format_table(run_folder.read_json(run_dir, run_folder.EVALUATION)))
    if (run_dir / run_folder.SAMPLE).is_file() and args.until in (None, "generate"):
        print("generated:", (run_dir / run_folder.SAMPLE).read_text(encoding="utf-8").strip())
    return 0


def command_stage(args) -> int:
    from lstmlab.pipeline.stages.evaluate import format_table

    config = run_folder_config(args.run_dir, args.config,
                                          [*args.overrides, *distributed_cli.distribution_overrides(args)], args.preset)
    if args.stage == "train" and getattr(args, "local_processes", 0):
        corpus = run_folder.recorded_corpus(args.run_dir)
        run_pipeline(corpus, args.run_dir, config, until="windows", progress=not args.quiet, report=_print_outcome)
        distributed_cli.train_in_local_processes(args, args.run_dir, corpus, config, args.force)
        return 0
    if args.stage == "train" and distributed_cli.run_as_worker(args.run_dir, config):
        return 0
    outcomes = run_pipeline(run_folder.recorded_corpus(args.run_dir), args.run_dir, config, until=args.stage,
                            force_stage=args.stage if args.force else None,
                            progress=not args.quiet, report=_print_outcome)
    if args.stage == "evaluate":
        print(format_table(run_folder.read_json(args.run_dir, run_folder.EVALUATION)))
    else:
        print(json.dumps(outcomes[-1].details, indent=2, ensure_ascii=False)[:2000])
    return 0


def command_fix_encoding(args) -> int:
    settings = FixEncodingConfig(args.encoding, args.errors, args.fullwidth_to_halfwidth, args.unify_quotes,
                                 args.strip_indentation)
    result = fix_encoding_file(args.input, args.output, settings)
    print(f"{args.input}: {result.encoding} ({result.reason}); wrote {args.output}")
    if result.replaced:
        print(f"replaced {result.replaced} invalid byte sequences with U+FFFD")
    return 0


def command_segment(args) -> int:
    settings = SegmentConfig(not args.no_hmm, args.user_dictionary, not args.drop_punctuation, args.workers)
    details = segment_file(args.input, args.output, settings, progress=not args.quiet)
    print(f"{details['words']} words with {details['workers']} workers at {details['megabytes_per_second']} MB/s; "
          f"wrote {args.output}")
    return 0


def command_word2vec(args) -> int:
    from lstmlab.pipeline.stages.word2vec import word2vec_files

    settings: Word2VecConfig = load_config(args.config, args.overrides, args.preset).word2vec
    if args.vectors:
        settings.vectors = args.vectors
    details = word2vec_files(args.input, args.output, settings, progress=not args.quiet)
    print(f"{details['vocabulary']} words x {details['dimensions']} dims ({details['source']}); "
          f"wrote {args.output / run_folder.WORD2VEC} and {args.output / run_folder.C_VECTORS}")
    return 0


DECODING_FLAGS = ("method", "context", "temperature", "top_k", "top_p", "repetition_penalty", "repetition_window",
                  "no_repeat_ngram", "text_pairs_only", "beam_width", "length_penalty", "rng_seed")


# From this many words on, generate reports its progress on stderr (a bar, or log lines when not a terminal).
PROGRESS_WORDS = 2000


def _print_sample(generator, seed: str, length: int, quiet: bool = False) -> None:
    from lstmlab.models.progress import Progress

    with Progress("generate", length, "words", enabled=not quiet and length >= PROGRESS_WORDS) as reporter:
        sample = generator.generate(seed, length, progress=reporter.advance)
    if sample.unknown_words:
        print(f"not in the vocabulary, skipped: {printable(' '.join(sample.unknown_words))}", file=sys.stderr)
    print(sample, flush=True)


def _seeds_from_terminal():
    """Seeds typed one after another at a prompt, until Ctrl-D."""
    print("type a seed and press Enter (Ctrl-D to end)", file=sys.stderr)
    while True:
        try:
            yield input("seed> ")
        except EOFError:
            print(file=sys.stderr)
            return


def command_generate(args) -> int:
    import dataclasses

    from lstmlab.pipeline.stages.generate import SeedError, load_generator

    if args.seed is not None and args.seed != "-" and not args.seed.strip():
        raise ValueError("--seed is empty: give seed words, or leave --seed out to start from the validation text")
    chosen = {name: getattr(args, name) for name in DECODING_FLAGS if getattr(args, name) is not None}
    DecodingSettings(**chosen)  # the flags' values are checked before the run folder is read
    generator = load_generator(args.run_dir)
    length = args.length if args.length is not None else run_folder_config(args.run_dir).generate.length
    generator.settings = dataclasses.replace(generator.settings, **chosen)
    if args.seed == "-" or (args.seed is None and sys.stdin.isatty()):
        seeds = sys.stdin if args.seed == "-" else _seeds_from_terminal()
        for line in seeds:
            if line.strip():
                try:
                    _print_sample(generator, line.strip(), length)
                except SeedError as error:
                    print(f"lstmlab: {printable(str(error))}", file=sys.stderr)
                    if args.seed == "-":
                        print(flush=True)  # keep one output line per input line
        return 0
    _print_sample(generator, args.seed or "", length, args.quiet)
    return 0


def command_inspect(args) -> int:
    from lstmlab.pipeline.inspect import inspect_run

    if args.words < 1:
        raise ValueError(f"--words must be at least 1, got {args.words}")
    text = args.seed
    if args.text is not None:
        text = read_user_text(args.text)
    summary = inspect_run(args.run_dir, text, args.words, args.name, args.compare)
    print(f"{summary['text']}, {summary['units']} units; the best cell per feature (Pearson r):")
    for feature, cells in summary["cells"].items():
        best = cells[0]
        print(f"  {feature:26s} {best['state']}[{best['unit']}]  r = {best['r']:+.3f}")
    means = summary["saturation_mean"]
    print("gates saturated (mean share of steps < 0.1 / > 0.9): " +
          ", ".join(f"{gate} {sides['left']:.1%} / {sides['right']:.1%}" for gate, sides in means.items()))
    print(f"wrote {summary['page']}")
    if args.open:
        serve_folder(Path(summary["page"]), args.port)
    return 0


def serve_folder(page: Path, port: int) -> None:
    """Serve ``page``'s folder on 127.0.0.1:``port`` until Ctrl-C and open the page in a browser."""
    import functools
    import http.server
    import webbrowser

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(page.parent))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        url = f"http://127.0.0.1:{port}/{page.name}"
        print(f"serving {url} (Ctrl-C to stop)")
        webbrowser.open(url)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass


def command_similar(args) -> int:
    from lstmlab.pipeline.api import load

    for word, cosine in load(args.run_dir).similar(args.word, args.k):
        print(f"{cosine:.3f}  {word}")
    return 0


def command_tensorboard(args) -> int:
    from tensorboard import program

    log_dir = args.run_dir / run_folder.LOGS
    if not log_dir.is_dir():
        raise FileNotFoundError(f"{log_dir} does not exist; train first: lstmlab train {args.run_dir}")
    board = program.TensorBoard()
    board.configure(argv=[None, "--logdir", str(log_dir), "--port", str(args.port), "--bind_all"])
    url = board.launch()
    print(f"TensorBoard on {log_dir} at {url} (Ctrl-C to stop)")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0


def command_bench(args) -> int:
    from lstmlab.bench.suite import bench

    if not args.corpus.is_file():
        raise FileNotFoundError(f"corpus {args.corpus} does not exist; pass --corpus FILE")
    command = f"{'KERAS_BACKEND=' + os.environ['KERAS_BACKEND'] + ' ' if 'KERAS_BACKEND' in os.environ else ''}" \
        f"lstmlab bench --corpus {args.corpus}{' --quick' if args.quick else ''}{f' --out {args.out}' if args.out else ''}"
    print(bench(args.corpus, args.quick, args.out, command))
    return 0


def command_config(args) -> int:
    if args.action == "reference":
        from lstmlab.pipeline.reference import settings_reference

        print(settings_reference(), end="")
        return 0
    print(to_toml(load_config(args.config, args.overrides, args.preset)), end="")
    return 0


def configure_logging(quiet: bool, verbose: bool) -> None:
    """INFO from lstmlab (WARNING with --quiet, DEBUG with --verbose); other libraries WARNING."""
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if not verbose:
        for noisy in ("gensim", "jieba", "absl", "smart_open", "h5py", "tensorflow"):
            logging.getLogger(noisy).setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``lstmlab`` console script; returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit:  # argparse has printed the usage error (2) or the help (0)
        return int(exit.code or 0)
    verbose = args.verbose or verbose_requested()
    configure_logging(args.quiet, verbose)
    try:
        if getattr(args, "uses_keras", False) and not verbose:
            import_tensorflow_quietly()
        return args.handler(args)
    except KeyboardInterrupt:
        print("lstmlab: interrupted; finished stages are kept, unfinished outputs were not written", file=sys.stderr)
        return 130
    except Exception as error:  # the one place that turns every failure into a message and an exit status
        if verbose or os.environ.get("LSTMLAB_DEBUG"):
            raise
        if isinstance(error, USER_ERRORS):
            print(f"lstmlab: error: {printable(str(error))}", file=sys.stderr)
            return 2
        log = write_crash_log(error)
        print(f"lstmlab: unexpected error: {type(error).__name__}: {printable(str(error))} (traceback in {log}; "
              f"--verbose shows it)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
