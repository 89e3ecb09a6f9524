"""Data-parallel training in several processes started by torchrun: ranks, gathering, replica checks."""
import os

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel


def setup(device):
    """Join the process group that torchrun describes; return (rank, world size, this process's device).

    Without torchrun (WORLD_SIZE unset or 1) nothing is joined: (0, 1, device).
    """
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return 0, 1, device
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ["LOCAL_RANK"]))
        torch.cuda.set_device(device)
        dist.init_process_group("nccl", device_id=device)
    else:
        dist.init_process_group("gloo")
    return dist.get_rank(), dist.get_world_size(), device


def data_parallel(model):
    """model in DistributedDataParallel on a process group of its own; without torchrun, model itself.

    DistributedDataParallel keeps its group alive past destroy_process_group, with the group's worker threads.
    gather() sends Python-owned tensors through the default group; had that group outlived teardown() too, its
    threads could free them while the interpreter shuts down, which aborts the process now and then.
    """
    if not dist.is_initialized():
        return model
    return DistributedDataParallel(model, process_group=dist.new_group())


def teardown():
    if dist.is_initialized():
        dist.destroy_process_group()


def gather(obj):
    """[obj of rank 0, obj of rank 1, ...]; every rank must call it at the same point."""
    if not dist.is_initialized():
        return [obj]
    objects = [None] * dist.get_world_size()
    dist.all_gather_object(objects, obj)
    return objects


def check_in_sync(model):
    """Raise if the replicas' parameters differ: each rank's sum and sum of squares must match exactly."""
    with torch.no_grad():
        params = [p.double() for p in model.parameters()]
        signature = (sum(p.sum() for p in params).item(), sum((p * p).sum() for p in params).item())
    signatures = gather(signature)
    if len(set(signatures)) > 1:
        raise RuntimeError(f"data-parallel replicas diverged: parameter signatures {signatures}")
    return len(signatures)
