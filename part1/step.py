"""One training step (forward, last-step cross-entropy, backward, clipping, optimizer), eager or as a CUDA graph."""
import torch
import torch.nn.functional as F

WARMUP_STEPS = 3  # eager steps before a capture: lazy initialisation (optimizer state, buffers) must not be captured


class TrainStep:
    """step(inputs, targets) -> (loss, logits), both detached."""

    def __init__(self, model, optimizer, max_norm):
        self.model, self.optimizer, self.max_norm = model, optimizer, max_norm

    def __call__(self, inputs, targets):
        self.optimizer.zero_grad(set_to_none=True)
        logits = self.model(inputs)
        loss = F.cross_entropy(logits, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), max_norm=self.max_norm)
        self.optimizer.step()
        return loss.detach(), logits.detach()


class GraphedTrainStep(TrainStep):
    """The same step, captured once as a CUDA graph and then replayed: one launch per step instead of thousands.

    The first WARMUP_STEPS steps run eagerly on a side stream (they train, as usual); the next call captures the
    step, and every call from then on copies its batch into the graph's input tensors and replays it. The
    optimizer must be built with capturable=True. The returned tensors are overwritten by the next call.
    """

    def __init__(self, model, optimizer, max_norm):
        super().__init__(model, optimizer, max_norm)
        self.calls = 0
        self.graph = None

    def __call__(self, inputs, targets):
        self.calls += 1
        if self.calls <= WARMUP_STEPS:
            side = torch.cuda.Stream(device=inputs.device)
            side.wait_stream(torch.cuda.current_stream(inputs.device))
            with torch.cuda.stream(side):
                out = super().__call__(inputs, targets)
            torch.cuda.current_stream(inputs.device).wait_stream(side)
            return out
        if self.graph is None:
            self.static_inputs, self.static_targets = inputs.clone(), targets.clone()
            self.graph = torch.cuda.CUDAGraph()
            self.optimizer.zero_grad(set_to_none=True)  # gradients are then allocated in the graph's memory
            with torch.cuda.graph(self.graph):
                self.static_out = super().__call__(self.static_inputs, self.static_targets)
        self.static_inputs.copy_(inputs)
        self.static_targets.copy_(targets)
        self.graph.replay()
        return self.static_out


def make_train_step(model, optimizer, max_norm, graphed):
    return (GraphedTrainStep if graphed else TrainStep)(model, optimizer, max_norm)
