"""segment: known segmentations, user dictionaries, punctuation switch, parallel == serial."""

from __future__ import annotations

import pytest

from lstmlab.corpus.segment import DictionaryError, Segmenter, read_user_dictionary, segment_text


@pytest.fixture(scope="module")
def segmenter() -> Segmenter:
    return Segmenter()


def test_known_segmentations(segmenter):
    assert segmenter.segment_line("我来到北京清华大学") == ["我", "来到", "北京", "清华大学"]
    assert segmenter.segment_line("他来到了网易杭研大厦") == ["他", "来到", "了", "网易", "杭研", "大厦"]


def test_hmm_switch_changes_unknown_words():
    # 杭研 is not in jieba's dictionary: only the HMM joins it into one word.
    assert "杭研" in Segmenter(hmm=True).segment_line("他来到了网易杭研大厦")
    assert "杭研" not in Segmenter(hmm=False).segment_line("他来到了网易杭研大厦")


def test_punctuation_kept_by_default_whitespace_dropped(segmenter):
    assert segmenter.segment_line("\u3000\u3000他说：“好。”") == ["他", "说", "：", "“", "好", "。", "”"]
    assert Segmenter(keep_punctuation=False).segment_line("他说：“好。”") == ["他", "说", "好"]


def test_user_dictionary_word_is_kept_whole(tmp_path):
    sentence = "范进中举后发了疯"
    assert "范进中举" not in Segmenter().segment_line(sentence)
    dictionary = tmp_path / "words.txt"
    dictionary.write_bytes("\ufeff范进中举 5 nr\r\n# a comment\r\n\r\n胡屠户\r\n".encode("utf-8"))
    assert Segmenter(user_dictionary=str(dictionary)).segment_line(sentence)[0] == "范进中举"


def test_user_dictionary_errors_name_file_and_line(tmp_path):
    with pytest.raises(DictionaryError, match="does not exist"):
        read_user_dictionary(tmp_path / "missing.txt")
    bad = tmp_path / "bad.txt"
    bad.write_text("好词 3 n\n坏词 3 n extra\n", encoding="utf-8")
    with pytest.raises(DictionaryError, match=r"bad.txt: line 2"):
        read_user_dictionary(bad)
    bad.write_text("好词 n 3\n", encoding="utf-8")
    with pytest.raises(DictionaryError, match="line 1"):
        read_user_dictionary(bad)


def test_one_line_out_per_line_in(segmenter):
    text = "第一回\n\n　　王冕放牛。\n"
    assert segment_text(text, segmenter) == "第一回\n\n王冕 放牛 。\n"


def test_two_workers_give_identical_output(segmenter, rulinwaishi_text):
    text = rulinwaishi_text[:120_000]
    assert segment_text(text, segmenter, workers=2) == segment_text(text, segmenter, workers=1)
