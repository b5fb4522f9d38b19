"""Keras model builders and trainers, word2vec training and I/O, decoding, and the numpy LSTM.

Functions here take plain values (arrays, paths, numbers); none of them reads config or argv.
"""
