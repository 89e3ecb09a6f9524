"""Part 2: the two-layer character LSTM that generates text."""
