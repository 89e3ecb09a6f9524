"""Training steps of several models taken together: in turns, or captured once as one CUDA graph and replayed."""
from contextlib import contextmanager

import torch

WARMUP_STEPS = 3  # eager steps before a capture: lazy initialisation (optimizer state, buffers) must not be captured


class TrainSteps:
    """Independent steps of several models: steps(batches) -> [(loss, logits) or None], one batch per model.

    A None batch leaves its model out (its run is over). Here the steps run one after another.
    """

    def __init__(self, steps):
        self.steps = steps

    def __call__(self, batches):
        return [None if batch is None else step(*batch) for step, batch in zip(self.steps, batches)]


class GraphedTrainSteps(TrainSteps):
    """The same steps, captured once as one CUDA graph and then replayed: one launch per step instead of thousands.

    With several models, each model's step runs on a stream of its own, forked from the capture stream and
    joined back, so the graph has one branch per model and the GPU runs the models side by side, each with the
    kernels it would run alone. The first WARMUP_STEPS calls run eagerly on side streams (they train, as
    usual); the next call captures the graph, and every call from then on copies the batches into the graph's
    input tensors and replays it. A model whose batch is None still replays its last batch, its results unused.
    Optimizers must be built with capturable=True. Returned tensors are overwritten by the next call.
    """

    def __init__(self, steps):
        super().__init__(steps)
        self.calls = 0
        self.graph = None
        self.streams = None

    def __call__(self, batches):
        self.calls += 1
        device = next(batch[0].device for batch in batches if batch is not None)
        if self.streams is None:
            self.streams = [torch.cuda.Stream(device=device) for _ in self.steps] if len(self.steps) > 1 else [None]
        if self.calls <= WARMUP_STEPS:
            side = torch.cuda.Stream(device=device)
            with branch(torch.cuda.current_stream(device), side):
                return self.branches(batches, side)
        if self.graph is None:
            self.static_batches = [(inputs.clone(), targets.clone()) for inputs, targets in batches]
            self.graph = torch.cuda.CUDAGraph()
            for step in self.steps:
                step.optimizer.zero_grad(set_to_none=True)  # gradients are then allocated in the graph's memory
            with torch.cuda.graph(self.graph):
                self.static_out = self.branches(self.static_batches, torch.cuda.current_stream(device))
        for (inputs, targets), batch in zip(self.static_batches, batches):
            if batch is not None:
                inputs.copy_(batch[0])
                targets.copy_(batch[1])
        self.graph.replay()
        return [None if batch is None else out for out, batch in zip(self.static_out, batches)]

    def branches(self, batches, fork):
        """Each model's step on its stream, all forked from `fork` before any is joined back into it.

        Joining each branch before forking the next would chain them: every stream would wait for the branches
        before it, and the models would take turns.
        """
        for stream in self.streams:
            if stream is not None:
                stream.wait_stream(fork)
        out = []
        for step, stream, batch in zip(self.steps, self.streams, batches):
            with torch.cuda.stream(stream):
                out.append(None if batch is None else step(*batch))
        for stream in self.streams:
            if stream is not None:
                fork.wait_stream(stream)
        return out


@contextmanager
def branch(fork, stream):
    """Run the block on `stream` after the work queued on `fork`, and make `fork` wait for it; None: on `fork`."""
    if stream is None:
        yield
        return
    stream.wait_stream(fork)
    with torch.cuda.stream(stream):
        yield
    fork.wait_stream(stream)
