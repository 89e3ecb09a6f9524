"""Gradient magnitude over time (question 1.7): the norm of dL/dh_t against the backpropagation step.

python -m part1.grads_over_time   # both panels of the report's Figure 3: LSTM forget bias 1 and 2
"""
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from uvadl2019.checks import UserError, check_at_least, check_finite, check_seeds
from uvadl2019.cli import Config, option, parse_into, run_main
from uvadl2019.device import DEVICE_HELP, resolve_device
from uvadl2019.figures import finish_figure, panels
from uvadl2019.files import output_folders, write_csv
from uvadl2019.memory import check_fits
from uvadl2019.seeding import derive_seed
from part1.config import INITIALISATIONS, TrainConfig
from part1.dataset import PalindromeDataset
from part1.presets import PRESETS
from part1.train import check_memory, make_model, train

GRADIENT_STREAM = 2  # the batch whose gradients are measured: neither training nor test data
LOSSES = ("mean", "sum")


def gradient_norms(model, inputs, targets, loss="mean"):
    """||mean over the batch of dL/dh_t|| for each step, backwards: index 0 is h_T, the last index h_1.

    loss="mean": L is the batch's mean cross-entropy, as in the report's code, which then averaged dL/dh_t over the
    batch again; loss="sum": L sums the examples' cross-entropies, so the mean is over per-example gradients and
    every norm is batch-size times larger.
    """
    logits, hidden = model(inputs, keep_hidden=True)
    F.cross_entropy(logits, targets, reduction=loss).backward()
    return [h.grad.mean(dim=0).norm().item() for h in reversed(hidden)]


@dataclass(frozen=True)
class GradsConfig(Config):
    """What the gradient figure measures. Constructing it checks it."""
    input_length: int = option(100, "input digits per palindrome (default: 100)")
    batch_size: int = option(TrainConfig.batch_size, f"palindromes in the batch (default: {TrainConfig.batch_size})")
    num_hidden: int = option(TrainConfig.num_hidden, f"hidden units (default: {TrainConfig.num_hidden})")
    seed: int = option(TrainConfig.seed, f"seed of the models and the batch (default: {TrainConfig.seed})")
    forget_bias: tuple = option((1.0, 2.0), "LSTM forget-gate biases, one figure panel each (default: 1.0 2.0, "
                                            "Figure 3a and 3b)", nargs="+", type=float)
    init: str = option(TrainConfig.init, "weight initialisation of the models (default: xavier_normal, as the "
                                        "report's code)", choices=INITIALISATIONS)
    loss: str = option("mean", "mean: the batch's mean loss, its gradient then averaged over the batch again, as "
                               "the report's Figure 3; sum: per-example gradients averaged, batch-size times "
                               "larger (default: mean)", choices=LOSSES)
    trained_steps: int = option(0, "also measure after training this many steps (default: 0, untrained only)")
    device: str = option("auto", DEVICE_HELP)
    out_dir: str = option("results/part1/grads", "folder of the PNG and CSV (default: results/part1/grads)")
    quiet: bool = option(False, "no progress bar while training (--trained_steps)")

    def check(self):
        check_at_least(1, input_length=self.input_length, batch_size=self.batch_size, num_hidden=self.num_hidden)
        check_at_least(0, trained_steps=self.trained_steps)
        for forget_bias in self.forget_bias:
            check_finite(forget_bias=forget_bias)
        check_seeds("seed", self.seed)

    def bytes_needed(self):
        """About what the float64 measurement allocates: every step's activations and gradients, the weights."""
        n = self.num_hidden
        return self.batch_size * self.input_length * n * 8 * 16 + n * n * 8 * 16


def model_config(model_type, config, forget_bias, device):
    return TrainConfig(model_type=model_type, input_length=config.input_length, input_dim=10,
                       num_hidden=config.num_hidden, batch_size=config.batch_size, seed=config.seed,
                       forget_bias=forget_bias, init=config.init, train_steps=max(config.trained_steps, 1),
                       learning_rate=PRESETS["paper"].learning_rate(config.input_length),
                       eval_size=1024, print_every=0, device=str(device))


def measure(model_type, config, forget_bias, trained_steps, batch, device):
    """Gradient norms of a model freshly initialised from the seed, trained first if trained_steps > 0."""
    train_config = model_config(model_type, config, forget_bias, device)
    if trained_steps:
        check_memory(train_config, device, {"input_length": "input_length", "num_hidden": "num_hidden",
                                            "batch_size": "batch_size", "train_steps": "trained_steps"})
        _, model = train(train_config, not config.quiet, device)
    else:
        torch.manual_seed(train_config.seed)  # the same initialisation train() starts from
        model = make_model(train_config, device)
    inputs, targets = batch
    # float64, so that a vanishing gradient stays measurable instead of underflowing to zero.
    return gradient_norms(model.double(), inputs.double(), targets, config.loss)


def collect(config, device):
    """Rows (model, forget_bias, trained_steps, step, norm) for the RNN and the LSTM at each forget bias."""
    data = PalindromeDataset(config.input_length + 1, seed=derive_seed(config.seed, GRADIENT_STREAM), one_hot=True)
    batch = data.batch(config.batch_size, device)
    rows = []
    for trained_steps in sorted({0, config.trained_steps}):
        curves = [("RNN", "")] + [("LSTM", fb) for fb in config.forget_bias]  # the RNN has no forget gate
        for model_type, forget_bias in curves:
            norms = measure(model_type, config, forget_bias or 0.0, trained_steps, batch, device)
            rows += [{"model": model_type, "forget_bias": forget_bias,
                      "trained_steps": trained_steps, "step": step, "norm": norm}
                     for step, norm in enumerate(norms)]
    return rows


def group_curves(rows):
    """Gradient-norm rows -> {(model, forget_bias, trained_steps): [norm at step 0, 1, ...]}."""
    curves = {}
    for r in sorted(rows, key=lambda r: r["step"]):
        curves.setdefault((r["model"], r["forget_bias"], r["trained_steps"]), []).append(r["norm"])
    return curves


def plot_gradient_norms(rows, title, path=None):
    """One panel per LSTM forget bias: |dL/dh_t| of the RNN and the LSTM against the backprop step, log scale;
    the Figure, saved as PNG at `path` when given."""
    curves = group_curves(rows)
    forget_biases = sorted({fb for (_, fb, _) in curves if fb != ""})
    fig, axes = panels(len(forget_biases), 5.5, 4.2)
    for ax, forget_bias in zip(axes, forget_biases):
        for (model, fb, trained_steps), norms in curves.items():
            if fb not in ("", forget_bias):
                continue
            style = "-" if trained_steps == 0 else "--"
            state = "untrained" if trained_steps == 0 else f"after {trained_steps} steps"
            ax.plot(range(len(norms)), norms, style, color="C0" if model == "RNN" else "C1",
                    label=f"{model}, {state}")
        ax.set_yscale("log")
        ax.set_xlabel("backpropagation step (0: dL/dh_T, last: dL/dh_1)")
        ax.set_ylabel("||dL/dh_t|| (batch mean)")
        ax.set_title(f"LSTM forget bias {forget_bias:g}")
        ax.grid(alpha=0.3, which="both")
        ax.legend()
    return finish_figure(fig, title, path)


def main(argv=None):
    config = parse_into(GradsConfig, argv, "python -m part1.grads_over_time", __doc__.splitlines()[0])
    device = resolve_device(config.device)
    if device.type == "mps":
        raise UserError("the gradient norms are computed in float64, which Apple GPUs (MPS) do not support; "
                        "use --device cpu")
    check_fits(device, config.bytes_needed(), input_length=config.input_length, batch_size=config.batch_size,
               num_hidden=config.num_hidden)
    with output_folders((config.out_dir, "--out_dir")) as (out_dir,):  # removed again if the measurement fails
        rows = collect(config, device)
        write_csv(out_dir / "grads_over_time.csv", rows)
    plot_gradient_norms(rows, f"Norm of dL/dh_t, input length {config.input_length}, batch {config.batch_size}, "
                              f"seed {config.seed}, {config.init} init, {config.loss} loss",
                        out_dir / "grads_over_time.png")
    for (model, forget_bias, trained_steps), norms in group_curves(rows).items():
        label = model + (f" (forget bias {forget_bias})" if forget_bias != "" else "")
        at = [0, 20, len(norms) - 1] if len(norms) > 21 else [0, len(norms) - 1]
        print(f"{label:>24}, {trained_steps:>5} steps trained: norm at backpropagation step "
              + ", ".join(f"{k}: {norms[k]:.2e}" for k in at))
    print(f"Wrote {out_dir / 'grads_over_time.png'} and {out_dir / 'grads_over_time.csv'}")


if __name__ == "__main__":
    run_main(main, "part1.grads_over_time")
