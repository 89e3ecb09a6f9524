"""Part 1: palindrome data, a vanilla RNN and an LSTM written from scratch, and their training."""
