r"""Detect a Chinese text file's encoding and turn it into clean UTF-8 text with ``\n`` lines.

Typical use::

    >>> result = decode_text("第一回\r\n说楔子敷陈大义\r\n".encode("gbk") * 20, source="novel.txt")
    >>> result.text[:14]           # CRLF and lone CR turned into "\n", no BOM
    '第一回\n说楔子敷陈大义\n第一'
    >>> result.encoding            # the codec used; result.reason says why
    'gb18030'

Detection order: a byte-order mark (UTF-8, UTF-16 LE/BE, UTF-32), then strict UTF-8, then
chardet's guess checked by a strict decode, then the Chinese legacy codecs (GB18030, which
reads all of GBK and its user-defined area; Big5-HKSCS and cp950) ranked by how few bytes
fail and how much of the text is Han characters. Bad input raises :class:`EncodingError`
naming the file and, for invalid bytes, the byte offset and line.
"""

from __future__ import annotations

import codecs
import logging
from dataclasses import dataclass

import chardet

logger = logging.getLogger(__name__)

BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
LEGACY_CHINESE = ("gb18030", "big5hkscs", "cp950")
CHARDET_TO_CODEC = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "gb18030": "gb18030",
    "big5": "big5hkscs",
    "big5hkscs": "big5hkscs",
    "cp950": "cp950",
}
SAMPLE_BYTES = 256 * 1024


class EncodingError(ValueError):
    """The input cannot be read as text: empty, binary, or invalid bytes in strict mode."""


@dataclass
class DecodedText:
    """The outcome of :func:`decode_text`.

    ``text`` is the clean text; ``encoding`` the Python codec used; ``reason`` a sentence on
    why it was chosen; ``replaced`` how many invalid byte runs became U+FFFD (``errors="replace"``);
    ``han_fraction`` the share of non-space characters that are Han ideographs.
    """

    text: str
    encoding: str
    reason: str
    replaced: int
    han_fraction: float


def is_han(character: str) -> bool:
    """True for CJK ideographs (the unified blocks, extension A and compatibility)."""
    code = ord(character)
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x3134F
    )


def han_fraction(text: str) -> float:
    """Share of the non-whitespace characters of ``text`` that are Han ideographs (0.0 if none)."""
    visible = [c for c in text if not c.isspace()]
    if not visible:
        return 0.0
    return sum(map(is_han, visible)) / len(visible)


def _invalid_byte_message(data: bytes, encoding: str, error: UnicodeDecodeError, source: str) -> str:
    offset = error.start
    line = data.count(b"\n", 0, offset) + 1
    bad = data[offset : min(error.end, offset + 8)].hex(" ")
    return (
        f"{source}: invalid {encoding} bytes at byte offset {offset} (line {line}): {bad}; "
        f"use --errors replace (lstmlab run: --set fix-encoding.errors=replace) to go on with U+FFFD in "
        f"their place, or --encoding (lstmlab run: --set fix-encoding.encoding=NAME) to force another"
    )


def _looks_binary(sample: bytes) -> bool:
    """True when the sample has NUL bytes or many control characters (images, archives)."""
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 0x20 and b not in (0x09, 0x0A, 0x0D, 0x0C, 0x1B))
    return controls > len(sample) * 0.01


def _count_undecodable(data: bytes, encoding: str) -> int:
    """Number of invalid byte runs when decoding ``data`` with ``encoding``."""
    count = 0
    position = 0
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    while position < len(data):
        try:
            decoder.decode(data[position:], final=True)
            return count
        except UnicodeDecodeError as error:
            count += 1
            position += error.end
            decoder.reset()
    return count


def _rank_legacy(sample: bytes) -> tuple[str, str] | None:
    """Pick the legacy Chinese codec that fits ``sample`` best, or None if none fits.

    Score: fewest invalid byte runs per KB first, then the highest Han fraction, then the
    order of :data:`LEGACY_CHINESE` (GB18030 first: Big5 text usually also decodes as
    GB18030, so a file that only this ranking can place is assumed to be mainland text).
    """
    scored = []
    for encoding in LEGACY_CHINESE:
        errors = _count_undecodable(sample, encoding)
        text = sample.decode(encoding, errors="replace")
        scored.append((errors / max(1, len(sample) / 1024), -han_fraction(text), LEGACY_CHINESE.index(encoding), encoding))
    scored.sort()
    errors_per_kb, negative_han, _, encoding = scored[0]
    if errors_per_kb > 2.0 or -negative_han < 0.2:
        return None
    return encoding, (
        f"best fit among {', '.join(LEGACY_CHINESE)}: "
        f"{errors_per_kb:.2f} invalid runs per KB, {-negative_han:.0%} Han characters"
    )


def detect_encoding(data: bytes, source: str = "<bytes>") -> tuple[str, str]:
    """Return ``(codec, reason)`` for ``data``; raise :class:`EncodingError` if it is not text."""
    if not data:
        raise EncodingError(f"{source}: the file is empty")
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return encoding, f"byte-order mark {bom.hex(' ')}"
    sample = data[:SAMPLE_BYTES]
    if _looks_binary(sample):
        raise EncodingError(
            f"{source}: this looks like a binary file (NUL or control bytes in the first "
            f"{len(sample)} bytes), not text; UTF-16 without a byte-order mark is not supported"
        )
    try:
        data.decode("utf-8")
        return "utf-8", "decodes as strict UTF-8"
    except UnicodeDecodeError:
        pass
    utf8_errors = _count_undecodable(sample, "utf-8")
    if utf8_errors / max(1.0, len(sample) / 1024) < 0.5 and han_fraction(sample.decode("utf-8", "replace")) >= 0.2:
        return "utf-8", f"UTF-8 but for {utf8_errors} invalid byte run(s) in the first {len(sample)} bytes"
    guess = chardet.detect(sample)
    guessed = CHARDET_TO_CODEC.get((guess.get("encoding") or "").lower())
    if guessed and _count_undecodable(sample, guessed) == 0:
        return guessed, f"chardet guessed {guess['encoding']} (confidence {guess['confidence']:.2f})"
    ranked = _rank_legacy(sample)
    if ranked is None:
        raise EncodingError(
            f"{source}: cannot tell the encoding: it is not UTF-8 and no Chinese legacy codec "
            f"({', '.join(LEGACY_CHINESE)}) reads it; is it a text file? Force one with --encoding (lstmlab run: --set fix-encoding.encoding=NAME)"
        )
    return ranked


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def decode_text(
    data: bytes,
    encoding: str | None = None,
    errors: str = "strict",
    source: str = "<bytes>",
) -> DecodedText:
    """Decode raw bytes to clean text: detected or forced codec, no BOM, ``\\n`` line endings.

    ``errors`` is ``"strict"`` (invalid bytes raise :class:`EncodingError` naming offset and
    line) or ``"replace"`` (each invalid run becomes U+FFFD and is counted in ``replaced``).
    """
    if errors not in ("strict", "replace"):
        raise ValueError(f"errors must be 'strict' or 'replace', got {errors!r}")
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise EncodingError(f"unknown encoding {encoding!r}") from None
        if not data:
            raise EncodingError(f"{source}: the file is empty")
        reason = "forced with --encoding"
    else:
        encoding, reason = detect_encoding(data, source)
    replaced = 0
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        if errors == "strict":
            raise EncodingError(_invalid_byte_message(data, encoding, error, source)) from None
        replaced = _count_undecodable(data, encoding)
        text = data.decode(encoding, errors="replace")
    text = _normalise_newlines(text.lstrip("\ufeff"))
    fraction = han_fraction(text[:200_000])
    if fraction < 0.2:
        logger.warning("%s: only %.0f%% Han characters; this does not look like Chinese text", source, fraction * 100)
    return DecodedText(text, encoding, reason, replaced, fraction)


FULLWIDTH_OFFSET = 0xFEE0
QUOTE_MAP = str.maketrans({"「": "“", "」": "”", "『": "‘", "』": "’", "＂": "\"", "＇": "'"})


def fullwidth_to_halfwidth(text: str) -> str:
    """Map full-width ASCII forms (U+FF01..U+FF5E, e.g. ＡＢ１，！) to ASCII (AB1,!)."""
    return "".join(
        chr(ord(c) - FULLWIDTH_OFFSET) if 0xFF01 <= ord(c) <= 0xFF5E else c for c in text
    )


def unify_quotes(text: str) -> str:
    """Turn corner brackets 「」『』 into curly quotes “” ‘’ (full-width straight quotes to ASCII)."""
    return text.translate(QUOTE_MAP)


def strip_indentation(text: str) -> str:
    """Remove leading ideographic spaces (U+3000), spaces and tabs from every line."""
    return "\n".join(line.lstrip("\u3000 \t") for line in text.split("\n"))


def normalise(text: str, fullwidth: bool = False, quotes: bool = False, indentation: bool = False) -> str:
    """Apply the optional normalisations that are switched on, then NFC-compose nothing else."""
    if fullwidth:
        text = fullwidth_to_halfwidth(text)
    if quotes:
        text = unify_quotes(text)
    if indentation:
        text = strip_indentation(text)
    return text
