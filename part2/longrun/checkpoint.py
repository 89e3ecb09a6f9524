"""Checkpoints of a text-generator run, written atomically and read with weights_only=True, and the model in them."""
from pathlib import Path

import torch

from uvadl2019.cli import UserError
from uvadl2019.files import replaced_atomically
from part2.model import TextGenerationModel

CHECKPOINT = "checkpoint.pt"  # in a run's --out_dir
KEYS = {"model", "optimizer", "scheduler", "step", "vocabulary", "config", "rng"}  # what resuming needs
SAVED_KEYS = KEYS | {"environment"}  # what a run writes: also what ran it (uvadl2019.environment)
MODEL_KEYS = {"model", "step", "vocabulary", "config"}  # what generating needs: the shipped model has only these


def save_checkpoint(path, keys=KEYS, **state):
    """torch.save `state` (exactly `keys`) through a temporary file and a rename."""
    assert set(state) == keys, set(state) ^ keys
    with replaced_atomically(path) as tmp:
        torch.save(state, tmp)


def load_checkpoint(path, device="cpu", keys=KEYS, option="--checkpoint"):
    """The checkpoint's dict (with at least `keys`), tensors on `device`; a missing, damaged or foreign file is a
    UserError naming `option`, the option that gave the path."""
    path = Path(path)
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "is not a file" if path.exists() else "does not exist"
        raise UserError(f"{option}: '{path}' {what}; give the checkpoint.pt of a part2.train run")
    try:
        state = torch.load(path, map_location=device, weights_only=True)
    except Exception as e:  # torch raises many kinds for a damaged file
        raise UserError(f"{option}: '{path}' cannot be read ({type(e).__name__}); it is damaged or not a "
                        f"checkpoint of part2.train") from None
    if not isinstance(state, dict) or not keys <= set(state):
        raise UserError(f"{option}: '{path}' is not a checkpoint of part2.train (keys missing)")
    return state


def load_model(path, device="cpu", option="--checkpoint"):
    """(model in eval mode, vocabulary) from a part2.train checkpoint or the shipped model, on `device` whatever
    it was trained on."""
    return model_from_state(load_checkpoint(path, device, MODEL_KEYS, option), path, device, option)


def model_from_state(state, path, device="cpu", option="--checkpoint"):
    """(model in eval mode, vocabulary) from the dict of load_checkpoint(path, device, option=option)."""
    config = state["config"]
    try:
        model = TextGenerationModel(config["batch_size"], config["seq_length"], len(state["vocabulary"]),
                                    config["lstm_num_hidden"], config["lstm_num_layers"], device=device)
        model.load_state_dict(state["model"])
    except (KeyError, TypeError, ValueError, RuntimeError):  # a configuration that does not fit its weights
        raise UserError(f"{option}: the weights in '{path}' do not fit the configuration stored with them; the "
                        f"checkpoint is damaged or was edited") from None
    if not all(torch.isfinite(weight).all() for weight in state["model"].values()):
        raise UserError(f"{option}: the weights in '{path}' hold NaN or infinite values (a diverged run, or a "
                        f"damaged file); give an earlier checkpoint")
    return model.eval(), state["vocabulary"]


def left_after_interruption(config):
    """What an interrupted run leaves, and how to go on from it."""
    if config.dry_run:
        return "nothing was kept"
    if (Path(config.out_dir) / CHECKPOINT).is_file():
        return f"the last checkpoint in '{config.out_dir}' is kept; add --resume to continue from it"
    return "no checkpoint was written yet; run the same command again to start over"
