"""word2vec: training, the C binary format round trip, tolerant and strict reading."""

from __future__ import annotations

import numpy as np
import pytest
from gensim.models import KeyedVectors

from lstmlab.models.settings import Word2VecSettings
from lstmlab.corpus.text import close_matches
from lstmlab.models.word2vec import (VectorsFileError, load_c_binary, save_c_binary,
                             train_word2vec)


@pytest.fixture(scope="module")
def small_vectors(tmp_path_factory, rulinwaishi_text) -> KeyedVectors:
    from lstmlab.corpus.segment import Segmenter, segment_text

    tokens = tmp_path_factory.mktemp("w2v") / "tokens.txt"
    tokens.write_text(segment_text(rulinwaishi_text[:60_000], Segmenter()), encoding="utf-8")
    return train_word2vec(tokens, Word2VecSettings(vector_size=50, epochs=2, min_count=3, workers=1), progress=False)


def test_training_uses_the_settings(small_vectors):
    assert small_vectors.vector_size == 50
    assert "，" in small_vectors.key_to_index  # punctuation is a token
    counts = [small_vectors.get_vecattr(w, "count") for w in small_vectors.index_to_key[:20]]
    assert counts == sorted(counts, reverse=True) and min(counts) >= 3


def test_c_binary_round_trip_is_exact(small_vectors, tmp_path):
    path = tmp_path / "vectors.bin"
    save_c_binary(small_vectors, path)
    loaded = KeyedVectors.load_word2vec_format(str(path), binary=True)
    assert loaded.index_to_key == small_vectors.index_to_key
    np.testing.assert_array_equal(loaded.vectors, small_vectors.vectors)
    assert load_c_binary(path).index_to_key == small_vectors.index_to_key


def _c_file(words: list[bytes], dims: int = 3) -> bytes:
    body = b"".join(w + b" " + np.arange(dims, dtype=np.float32).tobytes() + b"\n" for w in words)
    return f"{len(words)} {dims}\n".encode() + body


def test_word_cut_mid_character_is_tolerated(tmp_path):
    path = tmp_path / "cut.bin"
    path.write_bytes(_c_file(["宝玉".encode(), "黛玉".encode()[:-1]]))  # the C tool cuts by bytes
    loaded = load_c_binary(path)
    assert loaded.index_to_key == ["宝玉", "黛"]


def test_truncated_and_corrupt_files_are_clear_errors(tmp_path):
    path = tmp_path / "vectors.bin"
    path.write_bytes(_c_file(["宝玉".encode(), "黛玉".encode()])[:-10])
    with pytest.raises(VectorsFileError, match="truncated"):
        load_c_binary(path)
    path.write_bytes(b"\x89PNG not vectors")
    with pytest.raises(VectorsFileError, match="first line"):
        load_c_binary(path)
    with pytest.raises(VectorsFileError, match="does not exist"):
        load_c_binary(tmp_path / "nope.bin")


def test_close_matches_share_characters(small_vectors):
    assert all("王" in w for w in close_matches(small_vectors.index_to_key, "王冕X"))


def test_rare_words_train_as_one_unknown_word_that_the_id_stream_keeps(tmp_path):
    from lstmlab.corpus.vocabulary import UNKNOWN
    from lstmlab.corpus.windows import token_ids
    from lstmlab.pipeline.config import Word2VecConfig
    from lstmlab.pipeline.stages.word2vec import word2vec_files

    lines = ["宝玉 笑 道 ： 好 妹妹 。", "黛玉 笑 道 ： 好 哥哥 。"] * 20 + ["袭人 道 ： 晴雯 来 了 ， 走 罢 。"]
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings = Word2VecConfig(vector_size=8, epochs=1, min_count=5, workers=1, rare_as_unknown=True)
    details = word2vec_files(tokens, tmp_path / "out", settings, progress=False)
    vectors = KeyedVectors.load(str(tmp_path / "out" / "word2vec.kv"))
    assert set(vectors.index_to_key) == {"宝玉", "黛玉", "笑", "道", "：", "好", "妹妹", "哥哥", "。", UNKNOWN}
    assert vectors.get_vecattr(UNKNOWN, "count") == 7  # 袭人 晴雯 来 了 ， 走 罢, once each
    assert details["vocabulary"] == 10 and sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "vectors.bin", "word2vec.kv"]  # the copy with <unk> is gone
    assert tokens.read_text(encoding="utf-8").splitlines() == lines  # the run's tokens are untouched
    ids, missing = token_ids(lines[-1:], vectors.key_to_index)
    assert missing == 7 and [vectors.index_to_key[i] for i in ids] == [
        UNKNOWN, "道", "：", UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, "。"]
