"""Part 3: graph convolutional networks."""
