"""Recurrent models: nn.LSTM, nn.GRU and their cells, which popt-compile
unrolls over the (static) sequence length.

Each entry maps a name to (builder, [input specs], expectation), as in
ops.py. Every output of the layers is returned (output, h_n, c_n) so that
the end-to-end check compares all of them with LibTorch's.
"""
import torch
import torch.nn as nn


class LSTMBidirectional(nn.Module):
    """2 layers, both directions, batch first, zero initial state."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(10, 16, num_layers=2, bidirectional=True, batch_first=True)

    def forward(self, x):
        y, (h, c) = self.lstm(x)
        return y, h, c


class GRUWithState(nn.Module):
    """1 layer, time first, h_0 given as an input."""

    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(6, 12)

    def forward(self, x, h0):
        y, h = self.gru(x, h0)
        return y, h


class LSTMNoBias(nn.Module):
    """No biases, time first, (h_0, c_0) given as inputs."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(6, 8, bias=False)

    def forward(self, x, h0, c0):
        y, (h, c) = self.lstm(x, (h0, c0))
        return y, h, c


class LSTMHead(nn.Module):
    """h_n and c_n feed later ops: output + linear(h_n[-1])."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(6, 8, num_layers=2)
        self.head = nn.Linear(8, 8)

    def forward(self, x):
        y, (h, c) = self.lstm(x)
        return y + self.head(h[-1]).unsqueeze(0), c.sum(dim=0)


class GRUBidirectional(nn.Module):
    """2 layers, both directions, batch first, no biases; h_0 is a learned
    parameter (a compile-time constant that is not zero)."""

    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(5, 7, num_layers=2, bidirectional=True, batch_first=True, bias=False)
        self.h0 = nn.Parameter(torch.randn(4, 2, 7))

    def forward(self, x):
        return self.gru(x, self.h0)


class Cells(nn.Module):
    """LSTMCell and GRUCell stepped by a Python loop (unrolled at import)."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTMCell(6, 8)
        self.gru = nn.GRUCell(8, 8, bias=False)

    def forward(self, x):
        h, c = self.lstm(x[0])
        g = self.gru(h)
        for t in range(1, x.size(0)):
            h, c = self.lstm(x[t], (h, c))
            g = self.gru(h, g)
        return h, c, g


RECURRENT = {
    "rnn_lstm_bidirectional": (LSTMBidirectional, ["3x7x10"], "ok"),
    "rnn_gru_state": (GRUWithState, ["5x3x6", "1x3x12"], "ok"),
    "rnn_lstm_nobias": (LSTMNoBias, ["6x2x6", "1x2x8", "1x2x8"], "ok"),
    "rnn_lstm_head": (LSTMHead, ["5x2x6"], "ok"),
    "rnn_gru_bidirectional": (GRUBidirectional, ["2x6x5"], "ok"),
    "rnn_cells": (Cells, ["4x3x6"], "ok"),
}
