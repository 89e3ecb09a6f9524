"""Saving and resuming a part 2 run exactly: the checkpoint with the random generators' states, the checks that a
checkpoint fits the run that continues it, and loading it."""
import torch
from tqdm import tqdm

from uvadl2019.cli import UserError
from uvadl2019.environment import environment
from uvadl2019.tensorboard import summary_writer
from part2.config import NOT_RUN_DEFINING
from part2.longrun import distributed
from part2.longrun.checkpoint import CHECKPOINT, SAVED_KEYS, load_checkpoint, save_checkpoint
from part2.longrun.logs import log_session, redraw_figure, truncate_logs


def rng_state(dataset, device):
    """The random states a resumed run needs: the CPU's, the data's, and the GPU's (its dropout masks)."""
    gpu = {"cuda": lambda: torch.cuda.get_rng_state(device), "mps": torch.mps.get_rng_state}.get(device.type)
    return {"torch": torch.get_rng_state(), "data": dataset.generator(device).get_state(),
            "device_type": device.type, "device": gpu() if gpu else None}


def set_rng_state(rng, dataset, device):
    torch.set_rng_state(rng["torch"].cpu())
    dataset.generator(device).set_state(rng["data"].cpu())
    if rng["device"] is not None:  # check_resumable made sure that it is this device type's
        if device.type == "cuda":
            torch.cuda.set_rng_state(rng["device"].cpu(), device)
        elif device.type == "mps":
            torch.mps.set_rng_state(rng["device"].cpu())


def check_resumable(state, config, dataset, world, device):
    """The checkpoint must come from the same book, the same run-defining options, as many processes and the
    same kind of device (whose random states it holds)."""
    if len(state["rng"]) != world:
        raise UserError(f"the checkpoint in '{config.out_dir}' was written by a run on {len(state['rng'])} "
                        f"process(es); resume it on as many (torchrun --nproc_per_node)")
    saved = state["rng"][0].get("device_type")
    if saved != device.type:
        raise UserError(f"the checkpoint in '{config.out_dir}' holds the random states of a run on {saved}, "
                        f"not {device.type}; resume with --device {saved}")
    if state["vocabulary"] != dataset.vocabulary:
        raise UserError(f"the checkpoint in '{config.out_dir}' was trained on another vocabulary than "
                        f"'{config.txt_file}'; resume with the same --txt_file or choose another --out_dir")
    for key, value in config.to_dict().items():
        if key not in NOT_RUN_DEFINING and state["config"].get(key) != value:
            raise UserError(f"--{key} is {value} but the checkpoint's run used {state['config'].get(key)}; "
                            f"resume with the same options or choose another --out_dir")


def resume(run):
    """Load the checkpoint of --resume and return its step, or 0 for a fresh run; make the logs match."""
    config, path = run.config, run.out_dir / CHECKPOINT
    step = 0
    if config.resume:  # check_folders() made sure that the checkpoint is there
        state = load_checkpoint(path, run.device, option="--out_dir")
        check_resumable(state, config, run.dataset, run.world, run.device)
        run.model.load_state_dict(state["model"])
        run.optimizer.load_state_dict(state["optimizer"])
        run.scheduler.load_state_dict(state["scheduler"])
        set_rng_state(state["rng"][run.rank], run.dataset, run.device)
        step = state["step"]
    if run.is_main:
        truncate_logs(run.out_dir, run.summary_dir, step)  # a run interrupted before its first checkpoint: 0
        log_session(run.summary_dir, step)
    if run.is_main and config.tensorboard:  # what the interrupted run logged after its checkpoint is dropped
        run.board = summary_writer(config.tensorboard, purge_step=step + 1 if step else None)
    if run.is_main and step:
        tqdm.write(f"Resuming from step {step} of {path}")
    return step


def save(run, step):
    """Checkpoint with every rank's random generators (for an exact resume), and redraw the figure."""
    rng = rng_state(run.dataset, run.device)
    rng = distributed.gather(rng)
    replicas = distributed.check_in_sync(run.model)
    if run.is_main:
        save_checkpoint(run.out_dir / CHECKPOINT, SAVED_KEYS, model=run.model.state_dict(),
                        optimizer=run.optimizer.state_dict(), scheduler=run.scheduler.state_dict(), step=step,
                        vocabulary=run.dataset.vocabulary, config=run.config.to_dict(), rng=rng,
                        environment=environment())
        redraw_figure(run.summary_dir)
        if replicas > 1:
            tqdm.write(f"step {step}: parameters identical on all {replicas} processes")
