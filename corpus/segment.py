r"""Segment Chinese text into words with jieba, line by line, optionally in parallel processes.

Typical use::

    >>> segmenter = Segmenter(hmm=True)
    >>> segmenter.segment_line("我来到北京清华大学")
    ['我', '来到', '北京', '清华大学']
    >>> segment_text("王冕放牛\n我来到北京", segmenter, workers=1)
    '王冕 放牛\n我 来到 北京'

The output has one line per input line, words separated by one space. Whitespace tokens are
always dropped; punctuation tokens are kept unless ``keep_punctuation=False``. Segmenting
in several processes gives exactly the same output as one process.
"""

from __future__ import annotations

import io
import logging
import multiprocessing
import os
import signal
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

import jieba

logger = logging.getLogger(__name__)
jieba.setLogLevel(logging.WARNING)

LINES_PER_CHUNK = 400


class DictionaryError(ValueError):
    """A user dictionary file is missing or has a malformed line."""


def read_user_dictionary(path: str | os.PathLike) -> list[tuple[str, int | None, str | None]]:
    """Parse a jieba user dictionary: ``word [frequency] [tag]`` a line, UTF-8 (BOM and CRLF ok).

    Returns a list of ``(word, frequency or None, tag or None)``. Blank lines and lines
    starting with ``#`` are skipped. Raises :class:`DictionaryError` naming the file and line.
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise DictionaryError(f"user dictionary {path} does not exist") from None
    except UnicodeDecodeError as error:
        line = path.read_bytes().count(b"\n", 0, error.start) + 1
        raise DictionaryError(f"{path}: line {line} is not UTF-8") from None
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.strip().split()
        if not parts or parts[0].startswith("#"):
            continue
        if len(parts) > 3:
            raise DictionaryError(f"{path}: line {number} has {len(parts)} fields, expected 'word [frequency] [tag]': {line!r}")
        frequency: int | None = None
        tag: str | None = None
        for extra in parts[1:]:
            if extra.isdigit() and frequency is None and tag is None:
                frequency = int(extra)
            elif tag is None and not extra.isdigit():
                tag = extra
            else:
                raise DictionaryError(f"{path}: line {number}: cannot read {extra!r} as frequency or tag: {line!r}")
        entries.append((parts[0], frequency, tag))
    return entries


def is_punctuation(token: str) -> bool:
    """True when every character of ``token`` is Unicode punctuation or a symbol."""
    return all(unicodedata.category(c)[0] in "PS" for c in token)


@dataclass
class Segmenter:
    """A jieba tokenizer with this project's switches.

    ``hmm`` finds words that are not in the dictionary; ``user_dictionary`` is a path read
    with :func:`read_user_dictionary`; ``keep_punctuation`` keeps punctuation as tokens.
    ``vocabulary`` (word -> count), when given, replaces jieba's own dictionary: text then
    splits into those words wherever it can (how seeds are cut into words a model knows), and
    the tokenizer is ready in milliseconds instead of the second jieba's dictionary takes::

        >>> Segmenter(hmm=False, vocabulary={"王冕": 9, "湖边": 3, "放牛": 2, "在": 50}).segment_line("王冕在湖边放牛")
        ['王冕', '在', '湖边', '放牛']
    """

    hmm: bool = True
    user_dictionary: str = ""
    keep_punctuation: bool = True
    vocabulary: dict[str, int] | None = field(default=None, repr=False)
    tokenizer: jieba.Tokenizer = field(init=False, repr=False)

    def __post_init__(self) -> None:
        entries = read_user_dictionary(self.user_dictionary) if self.user_dictionary else []
        self.tokenizer = jieba.Tokenizer()
        if self.vocabulary is None:
            self.tokenizer.initialize()
        else:
            lines = "".join(f"{word} {max(1, int(count))}\n" for word, count in self.vocabulary.items()
                            if word and " " not in word)
            self.tokenizer.FREQ, self.tokenizer.total = jieba.Tokenizer.gen_pfdict(io.BytesIO(lines.encode("utf-8")))
            self.tokenizer.initialized = True
        for word, frequency, tag in entries:
            self.tokenizer.add_word(word, frequency, tag)

    def segment_line(self, line: str) -> list[str]:
        """Return the words of one line (no newline), whitespace dropped."""
        words = [w.strip() for w in self.tokenizer.cut(line, HMM=self.hmm)]
        words = [w for w in words if w]
        if not self.keep_punctuation:
            words = [w for w in words if not is_punctuation(w)]
        return words

    def segment_lines(self, lines: Iterable[str]) -> list[str]:
        """Segment each line; return output lines (words joined by one space, no newline)."""
        return [" ".join(self.segment_line(line)) for line in lines]


_worker_segmenter: Segmenter | None = None


def _segment_chunk(lines: list[str]) -> list[str]:
    assert _worker_segmenter is not None  # set before the pool forks
    return _worker_segmenter.segment_lines(lines)


def _chunks(lines: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(lines), size):
        yield lines[start : start + size]


def segment_text(
    text: str,
    segmenter: Segmenter,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> str:
    """Segment ``text`` line by line and return the segmented text (``\\n`` separated).

    ``workers`` > 1 uses that many forked processes; the result is identical to one worker.
    ``progress`` is called with the number of input bytes (UTF-8) finished after each chunk.
    """
    global _worker_segmenter
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    lines = text.split("\n")
    chunks = list(_chunks(lines, LINES_PER_CHUNK))
    out: list[str] = []
    if workers == 1:
        results: Iterable[list[str]] = map(segmenter.segment_lines, chunks)
        pool = None
    else:
        _worker_segmenter = segmenter
        pool = multiprocessing.get_context("fork").Pool(workers, initializer=_leave_interrupts_to_the_parent)
        results = pool.imap(_segment_chunk, chunks, chunksize=1)
    try:
        for chunk, segmented in zip(chunks, results):
            out.extend(segmented)
            if progress:
                progress(sum(len(line.encode("utf-8")) + 1 for line in chunk))
    except BaseException:  # Ctrl-C or an error: stop the workers now rather than wait for their chunks
        if pool is not None:
            pool.terminate()
        raise
    finally:
        if pool is not None:
            pool.close()
            pool.join()
            _worker_segmenter = None
    return "\n".join(out)


def _leave_interrupts_to_the_parent() -> None:
    """In a worker: ignore Ctrl-C (the whole process group gets it); the parent ends the pool."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
