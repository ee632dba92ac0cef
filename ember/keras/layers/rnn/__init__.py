"""Recurrent layers: cells, RNN, SimpleRNN / LSTM / GRU and the sequence wrappers."""
from ember.keras.layers.rnn.cells import (  # noqa: F401
    GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells,
)
from ember.keras.layers.rnn.layers import GRU, LSTM, SimpleRNN  # noqa: F401
from ember.keras.layers.rnn.rnn import RNN  # noqa: F401
from ember.keras.layers.rnn.wrappers import Bidirectional, TimeDistributed  # noqa: F401
from ember.keras.layers.rnn.conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D  # noqa: F401

__all__ = ["RNN", "SimpleRNN", "LSTM", "GRU", "SimpleRNNCell", "LSTMCell", "GRUCell",
           "StackedRNNCells", "Bidirectional", "TimeDistributed", "ConvLSTM1D", "ConvLSTM2D",
           "ConvLSTM3D"]
