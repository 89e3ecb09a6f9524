"""Checkpoints of a text-generator run, written atomically and read with weights_only=True."""
from pathlib import Path

import torch

from common.cli import UserError
from common.files import replaced_atomically

KEYS = {"model", "optimizer", "scheduler", "step", "vocabulary", "config", "rng"}


def save_checkpoint(path, **state):
    """torch.save `state` (exactly KEYS) through a temporary file and a rename."""
    assert set(state) == KEYS, set(state) ^ KEYS
    with replaced_atomically(path) as tmp:
        torch.save(state, tmp)


def load_checkpoint(path, device="cpu"):
    """The checkpoint's dict, tensors on `device`; a missing, damaged or foreign file is a UserError."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"checkpoint '{path}' does not exist; give the checkpoint.pt of a part2 training run")
    try:
        state = torch.load(path, map_location=device, weights_only=True)
    except Exception as e:  # torch raises many kinds for a damaged file
        raise UserError(f"checkpoint '{path}' cannot be read ({type(e).__name__}); it is damaged or not a "
                        f"checkpoint of part2.train") from None
    if not isinstance(state, dict) or not KEYS <= set(state):
        raise UserError(f"'{path}' is not a checkpoint of part2.train (keys missing)")
    return state
