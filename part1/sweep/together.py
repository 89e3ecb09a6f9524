"""A sweep's unit of work, a group of runs: one run, or runs that differ only in their seed trained side by side,
on CUDA as branches of one CUDA graph (part1.train.make_train_steps), which the GPU runs at the same time; on the
CPU in turns (--seeds_together). The local and the SLURM executors both train their groups here."""
import time

from uvadl2019.device import torch_threads
from part1.train import Run, make_train_steps, prepared_device, progress_bar, train, uses_cuda_graph


def train_together(configs, progress=True, on_record=None, device=None):
    """Train runs that differ only in their seed side by side; return [(record, trained model)] in their order.

    Each run's record is the one train() gives it (wall_seconds and seeds_together aside). on_record(record) is
    called as each run finishes. device: as for train()."""
    config = configs[0]
    if any(c.replace(seed=config.seed) != config for c in configs):
        raise ValueError("runs trained together may differ only in their seed")
    with torch_threads(config.num_threads):
        device = device or prepared_device(*configs)
        graphed = uses_cuda_graph(config, device)
        runs = [Run(c, device, capturable=graphed) for c in configs]
        train_steps = make_train_steps([r.model for r in runs], [r.optimizer for r in runs], config.max_norm, graphed)
        label = f"{config.model_type} T={config.input_length} seeds " + " ".join(str(c.seed) for c in configs)
        bar = progress_bar(config, label, progress)
        records = [None] * len(runs)

        def finish(i, step, converged):
            records[i] = runs[i].record(step, converged, seeds_together=len(runs))
            if on_record is not None:
                on_record(records[i])

        for step in bar:
            step_start = time.perf_counter()
            # A finished run's batch is None: its branch of the graph replays, its results unused.
            batches = [None if done else r.train_data.batch(config.batch_size, device)
                       for r, done in zip(runs, records)]
            outs = train_steps(batches)
            speed = config.batch_size * sum(b is not None for b in batches) / (time.perf_counter() - step_start)
            for i, (r, batch, out) in enumerate(zip(runs, batches, outs)):
                if batch is not None and r.after_step(step, *out, batch[1], speed, bar.write,
                                                      prefix=f"seed {r.config.seed}: "):
                    finish(i, step, True)
            if all(records):
                break
        bar.close()
        for i, record in enumerate(records):
            if record is None:
                finish(i, step, False)
        return [(record, r.model) for record, r in zip(records, runs)]


def train_group(group, save, progress=True, device=None):
    """Train one run, or several seeds side by side; save(record) as each finishes; return the records.

    device: the resolved device, the runs checked against its memory; None: resolved and checked here."""
    if len(group) == 1:
        record, _ = train(group[0], progress, device)
        save(record)
        return [record]
    return [record for record, _ in train_together(group, progress, on_record=save, device=device)]
