"""fix-encoding: byte-identical round trips for every supported encoding, and clear errors."""

from __future__ import annotations

import logging
import random

import pytest

from lstmlab.corpus.encoding import (EncodingError, decode_text, fullwidth_to_halfwidth, normalise, strip_indentation,
                             unify_quotes)
from tests.conftest import corpus_file


def test_shared_gbk_crlf_file_decodes_to_the_utf8_original():
    original = corpus_file("rulinwaishi.txt").read_bytes()
    result = decode_text(corpus_file("rulinwaishi.gbk.txt").read_bytes())
    assert result.encoding == "gb18030"
    assert result.text.encode("utf-8") == original


@pytest.mark.parametrize("codec, expected", [
    ("utf-8-sig", "utf-8-sig"), ("utf-16-le", "utf-16"), ("utf-16-be", "utf-16"), ("utf-8", "utf-8")])
def test_unicode_encodings_round_trip(rulinwaishi_text, codec, expected):
    data = rulinwaishi_text.encode(codec)
    if codec.startswith("utf-16-"):
        data = ("\ufeff" + rulinwaishi_text).encode(codec)  # a BOM, as editors write it
    result = decode_text(data)
    assert result.encoding == expected
    assert result.text == rulinwaishi_text


def test_gb18030_keeps_private_use_area_characters(hongloumeng_text):
    private_use = [c for c in hongloumeng_text if 0xE000 <= ord(c) <= 0xF8FF]
    assert len(private_use) > 100  # the corpus has 133 of them
    result = decode_text(hongloumeng_text.encode("gb18030"))
    assert result.encoding == "gb18030"
    assert result.text == hongloumeng_text


def test_big5_round_trip(rulinwaishi_text):
    traditional_subset = "".join(c for c in rulinwaishi_text[:150_000] if c.encode("big5hkscs", "ignore"))
    result = decode_text(traditional_subset.encode("big5hkscs"))
    assert result.encoding in ("big5hkscs", "cp950")
    assert result.text == traditional_subset


def test_short_gbk_and_big5_snippets_are_told_apart():
    assert decode_text("我来到北京清华大学".encode("gbk")).text == "我来到北京清华大学"
    assert decode_text("我來到北京清華大學".encode("big5")).text == "我來到北京清華大學"


def test_crlf_and_lone_cr_become_newlines():
    assert decode_text("第一行\r\n第二行\r第三行\n".encode("gbk")).text == "第一行\n第二行\n第三行\n"


def test_empty_file_is_an_error():
    with pytest.raises(EncodingError, match="empty"):
        decode_text(b"", source="empty.txt")


def test_binary_input_is_an_error():
    png_header = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
    with pytest.raises(EncodingError, match="pic.png: this looks like a binary file"):
        decode_text(png_header, source="pic.png")
    rng = random.Random(0)
    noise = bytes(rng.randrange(256) for _ in range(20_000))
    with pytest.raises(EncodingError, match="binary"):
        decode_text(noise, source="noise.bin")


def _gbk_with_bad_run(text: str) -> tuple[bytes, int, int]:
    good = text.encode("gbk")
    cut = good.index("\n".encode("gbk"), 50_000) + 1  # at a line start
    return good[:cut] + b"\xff\xff\xff" + good[cut:], cut, good[:cut].count(b"\n") + 1


def test_invalid_bytes_are_an_error_naming_offset_and_line(rulinwaishi_text):
    data, offset, line = _gbk_with_bad_run(rulinwaishi_text)
    with pytest.raises(EncodingError) as error:
        decode_text(data, source="novel.txt")
    assert f"byte offset {offset} (line {line})" in str(error.value)
    assert "novel.txt" in str(error.value)


def test_replace_mode_counts_replacements(rulinwaishi_text):
    data, _, _ = _gbk_with_bad_run(rulinwaishi_text)
    result = decode_text(data, errors="replace")
    assert result.encoding == "gb18030"
    assert result.replaced >= 1
    assert result.text.replace("\ufffd", "") == rulinwaishi_text


def test_utf8_cut_mid_character_is_named_not_misdetected(rulinwaishi_text):
    data = rulinwaishi_text.encode("utf-8")[:150_001]  # ends inside a three-byte character
    assert data[-1] >= 0x80
    with pytest.raises(EncodingError, match=r"invalid utf-8 bytes at byte offset 1499\d\d"):
        decode_text(data, source="cut.txt")
    result = decode_text(data, errors="replace")
    assert result.encoding == "utf-8" and result.replaced == 1 and result.text.endswith("\ufffd")


def test_english_text_is_accepted_with_a_warning(caplog):
    with caplog.at_level(logging.WARNING):
        result = decode_text(b"It was the best of times.\r\nIt was the worst of times.\r\n")
    assert result.text == "It was the best of times.\nIt was the worst of times.\n"
    assert "does not look like Chinese" in caplog.text


def test_forced_encoding_is_used_and_unknown_codec_rejected():
    assert decode_text("中文".encode("big5"), encoding="big5").text == "中文"
    with pytest.raises(EncodingError, match="unknown encoding"):
        decode_text(b"abc", encoding="no-such-codec")


def test_normalisations():
    assert fullwidth_to_halfwidth("ＡＢ１２，！") == "AB12,!"
    assert unify_quotes("「你好」『他』") == "“你好”‘他’"
    assert strip_indentation("\u3000\u3000第一回\n  正文") == "第一回\n正文"
    assert normalise("\u3000「Ａ」") == "\u3000「Ａ」"  # all off by default
