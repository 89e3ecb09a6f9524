"""Checkpoints of a text-generator run, written atomically and read with weights_only=True, and the model in them."""
from pathlib import Path

import torch

from uvadl2019.checks import UserError
from uvadl2019.files import replaced_atomically
from part2.model import TextGenerationModel

CHECKPOINT = "checkpoint.pt"  # in a run's --out_dir
KEYS = {"model", "optimizer", "scheduler", "step", "vocabulary", "config", "rng"}  # what resuming needs
SAVED_KEYS = KEYS | {"environment"}  # what a run writes: also what ran it (uvadl2019.environment)
MODEL_KEYS = {"model", "step", "vocabulary", "config"}  # what generating needs: the shipped model has only these


def save_checkpoint(path, keys=KEYS, **state):
    """torch.save `state` (exactly `keys`) through a temporary file and a rename."""
    assert set(state) == keys, set(state) ^ keys
    with replaced_atomically(path) as tmp, open(tmp, "wb") as f:
        torch.save(state, f)  # into a file object: a full disk is an OSError, not a RuntimeError of torch's


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
    """(model in eval mode, vocabulary) from the dict of load_checkpoint(path, device, option=option). The
    vocabulary, the settings and the weights' shapes are checked against each other before the model is built."""
    damaged = f"{option}: the checkpoint '{path}' is damaged or was edited"
    vocabulary, config, weights = state["vocabulary"], state["config"], state["model"]
    if not isinstance(vocabulary, str) or not vocabulary or len(set(vocabulary)) != len(vocabulary):
        raise UserError(f"{damaged}: its vocabulary is not a string of distinct characters")
    sizes = [config.get(key) if isinstance(config, dict) else None for key in ("lstm_num_hidden", "lstm_num_layers")]
    if not all(type(size) is int and size > 0 for size in sizes) or not isinstance(weights, dict) or not all(
            isinstance(w, torch.Tensor) for w in weights.values()):
        raise UserError(f"{damaged}: it holds no model settings and weights of part2.train")
    fits = len(weights) == 4 * sizes[1] + 3  # before listing the shapes of what may be a billion layers
    if not fits or {name: tuple(w.shape) for name, w in weights.items()} != \
            TextGenerationModel.parameter_shapes(len(vocabulary), *sizes):
        raise UserError(f"{damaged}: its weights do not fit its vocabulary of {len(vocabulary)} and its settings "
                        f"(lstm_num_hidden {sizes[0]}, lstm_num_layers {sizes[1]})")
    if not all(torch.isfinite(weight).all() for weight in weights.values()):
        raise UserError(f"{option}: the weights in '{path}' hold NaN or infinite values (a diverged run, or a "
                        f"damaged file); give an earlier checkpoint")
    model = TextGenerationModel(config.get("batch_size"), config.get("seq_length"), len(vocabulary), *sizes,
                                device=device)
    model.load_state_dict(weights)
    return model.eval(), vocabulary


def left_after_interruption(config):
    """What an interrupted run leaves, and how to go on from it."""
    if config.dry_run:
        return "nothing was kept"
    if (Path(config.out_dir) / CHECKPOINT).is_file():
        return f"the last checkpoint in '{config.out_dir}' is kept; add --resume to continue from it"
    return "no checkpoint was written yet; run the same command again to start over"
