"""Saving and resuming a part 2 run exactly: the checkpoint with the random generators' states, the checks that a
checkpoint fits the run that continues it, and loading it."""
import torch
from tqdm import tqdm

from uvadl2019.checks import UserError
from uvadl2019.environment import environment
from uvadl2019.tensorboard import summary_writer
from part2.config import NOT_RUN_DEFINING
from part2.longrun import distributed
from part2.longrun.checkpoint import CHECKPOINT, SAVED_KEYS, load_checkpoint, save_checkpoint
from part2.longrun.logs import log_session, redraw_figure, truncate_logs

RNG_KEYS = {"torch", "data", "device_type", "device"}  # what rng_state() saves for each process


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


def check_resumable(state, run):
    """Everything a checkpoint holds must be what a run wrote (types, shapes, ranges) and fit the run that continues
    it: the same book, the same run-defining options, as many processes and the same kind of device (whose random
    states it holds). What does not is a UserError naming it, before anything is loaded."""
    config, where = run.config, f"the checkpoint in '{run.config.out_dir}'"
    edited = "; it was edited or damaged: give a checkpoint that part2.train wrote, or another --out_dir"
    step = state["step"]
    if type(step) is not int or step < 1:
        raise UserError(f"{where} says step {step!r}, not a step a run saves at{edited}")
    rng = state["rng"]
    if not isinstance(rng, list) or not rng or not all(isinstance(r, dict) and RNG_KEYS <= set(r) and all(
            isinstance(r[key], torch.Tensor) for key in ("torch", "data")) for r in rng):
        raise UserError(f"{where}: its random states are missing{edited}")
    if len(rng) != run.world:
        raise UserError(f"{where} was written by a run on {len(rng)} process(es); resume it on as many "
                        f"(torchrun --nproc_per_node)")
    saved = rng[0]["device_type"]
    if saved != run.device.type:
        raise UserError(f"{where} holds the random states of a run on {saved}, not {run.device.type}; resume "
                        f"with --device {saved}")
    if state["vocabulary"] != run.dataset.vocabulary:
        raise UserError(f"{where} was trained on another vocabulary than '{config.txt_file}'; resume with the "
                        f"same --txt_file or choose another --out_dir")
    saved_config = state["config"] if isinstance(state["config"], dict) else {}
    for key, value in config.to_dict().items():
        if key not in NOT_RUN_DEFINING and saved_config.get(key) != value:
            raise UserError(f"--{key} is {value} but the checkpoint's run used {saved_config.get(key)}; "
                            f"resume with the same options or choose another --out_dir")
    check_tensors(state["model"], run.model.state_dict(), f"{where}: its weights", edited)
    check_optimizer(state["optimizer"], list(run.model.parameters()), f"{where}: its Adam state", edited)
    if not isinstance(state["scheduler"], dict) or state["scheduler"].get("last_epoch") != step:
        raise UserError(f"{where}: its learning-rate schedule is not at step {step}{edited}")


def check_tensors(saved, expected, what, edited):
    """saved must hold exactly expected's names, each a tensor of the same shape and dtype."""
    if not isinstance(saved, dict) or saved.keys() != expected.keys():
        raise UserError(f"{what} are not the model's{edited}")
    for name, tensor in expected.items():
        if not isinstance(saved[name], torch.Tensor) or saved[name].shape != tensor.shape or \
                saved[name].dtype != tensor.dtype:
            raise UserError(f"{what}: '{name}' is not a {tensor.dtype} tensor of shape {tuple(tensor.shape)}{edited}")


def check_optimizer(saved, parameters, what, edited):
    """saved must be Adam's state after at least one step: one group over the model's parameters, each with its
    step and its two moments shaped like the parameter."""
    groups = saved.get("param_groups") if isinstance(saved, dict) else None
    if not isinstance(groups, list) or len(groups) != 1 or groups[0].get("params") != list(range(len(parameters))):
        raise UserError(f"{what} is not over the model's parameters{edited}")
    state = saved.get("state")
    if not isinstance(state, dict) or sorted(state) != list(range(len(parameters))):
        raise UserError(f"{what} is empty or incomplete{edited}")
    for index, parameter in enumerate(parameters):
        moments = state[index]
        if not isinstance(moments, dict) or "step" not in moments or not all(
                isinstance(moments.get(key), torch.Tensor) and moments[key].shape == parameter.shape
                for key in ("exp_avg", "exp_avg_sq")):
            raise UserError(f"{what} for parameter {index} is not Adam's moments of its shape{edited}")


def resume(run):
    """Load the checkpoint of --resume and return its step, or 0 for a fresh run; make the logs match."""
    config, path = run.config, run.out_dir / CHECKPOINT
    step = 0
    if config.resume:  # check_folders() made sure that the checkpoint is there
        state = load_checkpoint(path, run.device, option="--out_dir")
        check_resumable(state, run)
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
