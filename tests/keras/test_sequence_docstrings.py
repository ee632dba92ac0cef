"""The examples in the sequence layers' docstrings run and print what they say."""
import doctest
import importlib

import numpy as np
import pytest

import ember
from ember import keras

MODULES = ["ember.ops.embedding_ops", "ember.keras.layers.embedding",
           "ember.keras.layers.masking", "ember.keras.layers.rnn.cells",
           "ember.keras.layers.rnn.rnn", "ember.keras.layers.rnn.layers",
           "ember.keras.layers.rnn.wrappers", "ember.keras.layers.rnn.conv_lstm",
           "ember.keras.layers.attention.einsum_dense",
           "ember.keras.layers.attention.multi_head_attention",
           "ember.keras.layers.attention.attention"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    globs = {"ember": ember, "keras": keras, "np": np,
             "embedding_lookup_checked": getattr(module, "embedding_lookup_checked", None)}
    result = doctest.testmod(module, globs=globs, verbose=False,
                             optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    assert result.attempted > 0
