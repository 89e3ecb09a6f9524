"""The shipped generator: the paper preset's model of Democracy in America, checked against its sha256 at load.

model, vocabulary = load_pretrained()          # in code
python -m part2.paper.pretrained CHECKPOINT --folder pretrained   # ship a part2.train checkpoint (weights only)
"""
import re
from dataclasses import dataclass
from pathlib import Path

from uvadl2019.checks import UserError
from uvadl2019.cli import Config, option, parse_into, run_main
from uvadl2019.device import resolve_device
from uvadl2019.files import atomic_write_text, ensure_writable_dir, sha256
from uvadl2019.locations import CHECKOUT, pretrained_dir
from part2.config import NOT_RUN_DEFINING
from part2.longrun.checkpoint import MODEL_KEYS, load_checkpoint, load_model, model_from_state, save_checkpoint

FOLDER = pretrained_dir()
NAME = "democracy_lstm.pt"
SUMS = "SHA256SUMS"  # `sha256sum -c SHA256SUMS` format
RESTORE = ("restore it with 'git checkout pretrained/', or give --checkpoint, or train one with 'python start2.py'"
           if CHECKOUT else
           "reinstall the package, or give --checkpoint, or train one with 'python -m part2.paper.start'")


def expected_sha256(folder):
    """The sha256 that folder/SHA256SUMS gives for the model file, in lower case; sha256sum's text ("HASH  file") and
    binary ("HASH *file") lines are both read, in either case."""
    try:
        for line in (Path(folder) / SUMS).read_text(encoding="utf-8").splitlines():
            match = re.fullmatch(r"([0-9a-fA-F]{64}) [ *](.+)", line.strip())
            if match and match[2] == NAME:
                return match[1].lower()
    except (OSError, UnicodeDecodeError):
        pass
    raise UserError(f"'{Path(folder) / SUMS}' is missing or lists no {NAME}; {RESTORE}")


def load_pretrained(device="cpu", folder=None):
    """(model in eval mode, vocabulary) of the shipped model (in `folder`, default pretrained/), once its sha256
    matches; a problem is a UserError."""
    device = resolve_device(device)
    folder = Path(folder or FOLDER)
    path = folder / NAME
    if not path.is_file():
        raise UserError(f"the shipped model '{path}' is missing; {RESTORE}")
    if sha256(path) != expected_sha256(folder):
        raise UserError(f"the shipped model '{path}' does not match its sha256 in {SUMS} (damaged or changed); "
                        f"{RESTORE}")
    return load_model(path, device, option="the shipped model")


def export(checkpoint, folder):
    """Write the model of a part2.train checkpoint, once it loads, into `folder` (float32 weights, vocabulary, the
    run's settings; no optimizer state) with its SHA256SUMS; return the sha256."""
    state = load_checkpoint(checkpoint, option="checkpoint")
    model_from_state(state, checkpoint, option="checkpoint")  # what would not load is not shipped
    config = {k: v for k, v in state["config"].items() if k not in NOT_RUN_DEFINING}
    config["txt_file"] = Path(config["txt_file"]).name  # the book, not where it lay
    folder = ensure_writable_dir(folder, "--folder")
    weights = {name: tensor.float() for name, tensor in state["model"].items()}
    save_checkpoint(folder / NAME, MODEL_KEYS, model=weights, step=state["step"], vocabulary=state["vocabulary"],
                    config=config)
    digest = sha256(folder / NAME)
    atomic_write_text(folder / SUMS, f"{digest}  {NAME}\n")
    return digest


@dataclass(frozen=True)
class ExportConfig(Config):
    """Which checkpoint to ship, and where."""
    checkpoint: str = option(None, "checkpoint.pt of a part2.train run", flag="checkpoint", type=str)
    folder: str = option(None, "where to write the model and SHA256SUMS; the shipped model's folder (pretrained/ in "
                         "a checkout) replaces it", type=str, required=True)


def main(argv=None):
    args = parse_into(ExportConfig, argv, "python -m part2.paper.pretrained", __doc__.splitlines()[0])
    digest = export(args.checkpoint, args.folder)
    print(f"{Path(args.folder) / NAME}: sha256 {digest}")


if __name__ == "__main__":
    run_main(main, "part2.paper.pretrained")
