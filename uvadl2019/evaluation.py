"""Held-out evaluation shared by part 1 and part 2: mean cross-entropy and accuracy, in chunks."""
import torch
import torch.nn.functional as F


@torch.no_grad()
def evaluate(model, logits_of, inputs, targets, chunk):
    """Mean cross-entropy and accuracy of logits_of(input chunk) (..., C) against the targets (...), over every
    target, `chunk` inputs at a time to bound memory; the model is in evaluation mode meanwhile."""
    model.eval()
    loss_sum, correct = 0.0, 0
    for start in range(0, len(inputs), chunk):
        logits = logits_of(inputs[start:start + chunk])
        y = targets[start:start + chunk].to(logits.device)
        loss_sum += F.cross_entropy(logits.flatten(0, -2), y.flatten(), reduction="sum").item()
        correct += (logits.argmax(-1) == y).sum().item()
    model.train()
    return loss_sum / targets.numel(), correct / targets.numel()
