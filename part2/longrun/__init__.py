"""What lets a long part 2 run last: what a run works with (its book, memory and state), checkpoints and resuming,
the folders' claims and checks, the logs with the training figure and the sessions, and the distributed processes
(torchrun)."""
