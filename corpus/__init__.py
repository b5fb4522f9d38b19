"""Text in, words out: encoding repair, normalisation, jieba segmentation, vocabulary and windows.

Pure functions over plain values; nothing here imports Keras or reads config.
"""
