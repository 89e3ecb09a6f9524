"""The folders a run writes: claimed by one process at a time, and checked before it trains (a new run into an empty
--out_dir, --resume into one with a checkpoint, a --summary_path holding no other run's metrics)."""
from pathlib import Path

from uvadl2019.checks import UserError
from uvadl2019.files import atomic_write_text, claim
from part2.longrun.checkpoint import CHECKPOINT
from part2.longrun.logs import FIGURE, METRICS

OWNER = ".run_folder"  # in a --summary_path folder: the --out_dir of the run whose metrics it holds


def claim_folders(folders, held):
    """Process 0's locks on the folders the run writes, (path, option) pairs, held until `held` (an ExitStack)
    closes, however the run ends: a second run into any of them is refused meanwhile."""
    claimed = set()
    for folder, option in folders:
        if folder is None or folder.resolve() in claimed:
            continue
        lock = claim(folder / ".training.lock")
        if lock is None:
            raise UserError(f"another process is training into '{folder}'; wait for it to finish or choose another "
                            f"{option}")
        held.callback(lock.release)
        claimed.add(folder.resolve())


def prepare_folders(config, out_dir, summary_dir, board_dir, rank, held):
    """Process 0 claims the folders the run writes (until `held` closes), every process checks them, and a
    --summary_path apart from --out_dir names the run whose metrics it holds."""
    if rank == 0:
        claim_folders([(out_dir, "--out_dir"), (summary_dir, "--summary_path"), (board_dir, "--tensorboard")], held)
    check_folders(config, out_dir, summary_dir)
    if rank == 0 and summary_dir.resolve() != out_dir.resolve():
        atomic_write_text(summary_dir / OWNER, str(out_dir.resolve()))


def check_folders(config, out_dir, summary_dir):
    """Under the folders' locks: --resume needs a checkpoint in --out_dir and a new run needs none there, and
    the summary folder may hold no other run's metrics."""
    if config.resume and not (out_dir / CHECKPOINT).is_file():
        raise UserError(f"--resume: '{out_dir}' holds no {CHECKPOINT} to continue; check --out_dir, or leave out "
                        f"--resume to start a new run")
    if not config.resume and (out_dir / CHECKPOINT).exists():
        raise UserError(f"'{out_dir}' already holds a run ({CHECKPOINT}); add --resume to continue it or choose "
                        f"another --out_dir")
    owner = summary_owner(summary_dir)
    if owner != out_dir.resolve() and any((summary_dir / name).exists() for name in (METRICS, FIGURE)):
        option = "--summary_path" if config.summary_path else "--out_dir"
        raise UserError(f"'{summary_dir}' holds the {METRICS} of the run in '{owner}'; choose another {option}")


def summary_owner(summary_dir):
    """The folder of the run whose metrics `summary_dir` holds: the one its OWNER file names, else itself."""
    marker = summary_dir / OWNER
    return Path(marker.read_text(encoding="utf-8").strip()) if marker.is_file() else summary_dir.resolve()
