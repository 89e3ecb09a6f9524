"""The text generator: character embedding, a stacked nn.LSTM and a linear read-out to the vocabulary."""
import torch
from torch import nn

from uvadl2019.checks import check_fraction, check_whole
from uvadl2019.memory import check_large


class TextGenerationModel(nn.Module):
    """Predicts the next character at every step; carries its LSTM state so generation never re-reads a prefix."""

    def __init__(self, batch_size, seq_length, vocabulary_size, lstm_num_hidden=256, lstm_num_layers=2,
                 device="cpu", dropout=0.0):
        super().__init__()
        sizes = {"vocabulary_size": vocabulary_size, "lstm_num_hidden": lstm_num_hidden,
                 "lstm_num_layers": lstm_num_layers}
        check_whole(1, **sizes)
        check_fraction(dropout=dropout)
        V, H = vocabulary_size, lstm_num_hidden
        weights = 2 * V * H + V + lstm_num_layers * (8 * H * H + 8 * H)  # as parameter_shapes() lists them
        check_large(torch.device(device), weights * 4 * 4, **sizes)  # weights, gradients, Adam's two moments
        self.batch_size = batch_size  # the course's interface; forward accepts any batch size and length
        self.seq_length = seq_length
        self.vocabulary_size = vocabulary_size
        self.embedding = nn.Embedding(vocabulary_size, lstm_num_hidden)
        self.lstm = nn.LSTM(lstm_num_hidden, lstm_num_hidden, lstm_num_layers, batch_first=True,
                            dropout=dropout if lstm_num_layers > 1 else 0.0)  # dropout between layers
        self.linear = nn.Linear(lstm_num_hidden, vocabulary_size)
        self.to(device)

    @staticmethod
    def parameter_shapes(vocabulary_size, lstm_num_hidden, lstm_num_layers):
        """The shape of every weight of such a model, by state_dict name, without building it."""
        V, H = vocabulary_size, lstm_num_hidden
        shapes = {"embedding.weight": (V, H)}
        for layer in range(lstm_num_layers):
            shapes |= {f"lstm.weight_ih_l{layer}": (4 * H, H), f"lstm.weight_hh_l{layer}": (4 * H, H),
                       f"lstm.bias_ih_l{layer}": (4 * H,), f"lstm.bias_hh_l{layer}": (4 * H,)}
        return shapes | {"linear.weight": (V, H), "linear.bias": (V,)}

    def forward(self, x, state=None):
        """x (B, T) character indices -> logits (B, T, vocabulary_size) and the final (h, c) state."""
        output, state = self.lstm(self.embedding(x), state)  # (B, T, H)
        return self.linear(output), state
