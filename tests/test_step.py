"""The CUDA graph's branches, one per model: their streams' order, checked with stand-in streams on any machine."""
from contextlib import contextmanager

import torch

from part1.fast.graphs import GraphedTrainSteps


class RecordingStream:
    """Stands in for torch.cuda.Stream and writes down what waits for what."""

    def __init__(self, name, events):
        self.name, self.events = name, events

    def wait_stream(self, other):
        self.events.append(f"{self.name} waits for {other.name}")


def test_every_branch_is_forked_before_any_is_joined(monkeypatch):
    """A branch forked after an earlier one was joined would wait for it, and the models would take turns."""
    events = []

    @contextmanager
    def on(stream):
        events.append(f"on {stream.name}")
        yield

    monkeypatch.setattr(torch.cuda, "stream", on)
    steps = GraphedTrainSteps([lambda x, y: events.append(f"step {x}")] * 3)
    steps.streams = [RecordingStream(name, events) for name in "abc"]
    steps.branches([(1, None), (2, None), (3, None)], RecordingStream("fork", events))
    assert events == ["a waits for fork", "b waits for fork", "c waits for fork",
                      "on a", "step 1", "on b", "step 2", "on c", "step 3",
                      "fork waits for a", "fork waits for b", "fork waits for c"]
