"""Gradient magnitude over time (question 1.7): the norm of dL/dh_t against the backpropagation step.

python -m part1.grads_over_time   # both panels of the report's Figure 3: LSTM forget bias 1 and 2
"""
import torch
import torch.nn.functional as F

from common.cli import ArgumentParser, UserError, check_at_least, check_finite, check_seeds, run_main
from common.device import DEVICE_HELP, resolve_device
from common.files import ensure_writable_dir, write_csv
from common.memory import check_fits
from common.seeding import derive_seed
from part1.dataset import PalindromeDataset
from part1.plots import group_curves, plot_gradient_norms
from part1.config import INITIALISATIONS, TrainConfig
from part1.presets import PRESETS
from part1.train import make_model, train

GRADIENT_STREAM = 2  # the batch whose gradients are measured: neither training nor test data


def gradient_norms(model, inputs, targets, loss="mean"):
    """||mean over the batch of dL/dh_t|| for each step, backwards: index 0 is h_T, the last index h_1.

    loss="mean": L is the batch's mean cross-entropy, as in the report's code, which then averaged dL/dh_t over the
    batch again; loss="sum": L sums the examples' cross-entropies, so the mean is over per-example gradients and
    every norm is batch-size times larger.
    """
    logits, hidden = model(inputs, keep_hidden=True)
    F.cross_entropy(logits, targets, reduction=loss).backward()
    return [h.grad.mean(dim=0).norm().item() for h in reversed(hidden)]


def model_config(model_type, args, forget_bias, device):
    return TrainConfig(model_type=model_type, input_length=args.input_length, input_dim=10,
                          num_hidden=args.num_hidden, batch_size=args.batch_size, seed=args.seed,
                          forget_bias=forget_bias, init=args.init, train_steps=max(args.trained_steps, 1),
                          learning_rate=PRESETS["paper"].learning_rate(args.input_length),
                          eval_size=1024, print_every=0, device=str(device))


def measure(model_type, args, forget_bias, trained_steps, batch, device):
    """Gradient norms of a model freshly initialised from the seed, trained first if trained_steps > 0."""
    config = model_config(model_type, args, forget_bias, device)
    if trained_steps:
        _, model = train(config)
    else:
        torch.manual_seed(config.seed)  # the same initialisation train() starts from
        model = make_model(config, device)
    inputs, targets = batch
    # float64, so that a vanishing gradient stays measurable instead of underflowing to zero.
    return gradient_norms(model.double(), inputs.double(), targets, args.loss)


def collect(args, device):
    """Rows (model, forget_bias, trained_steps, step, norm) for the RNN and the LSTM at each forget bias."""
    data = PalindromeDataset(args.input_length + 1, seed=derive_seed(args.seed, GRADIENT_STREAM), one_hot=True)
    batch = data.batch(args.batch_size, device)
    rows = []
    for trained_steps in sorted({0, args.trained_steps}):
        curves = [("RNN", "")] + [("LSTM", fb) for fb in args.forget_bias]  # the RNN has no forget gate
        for model_type, forget_bias in curves:
            norms = measure(model_type, args, forget_bias or 0.0, trained_steps, batch, device)
            rows += [{"model": model_type, "forget_bias": forget_bias,
                      "trained_steps": trained_steps, "step": step, "norm": norm}
                     for step, norm in enumerate(norms)]
    return rows


def build_parser():
    p = ArgumentParser(prog="python -m part1.grads_over_time", description=__doc__.splitlines()[0])
    p.add_argument("--input_length", type=int, default=100, help="input digits per palindrome (default: 100)")
    p.add_argument("--batch_size", type=int, default=128, help="palindromes in the batch (default: 128)")
    p.add_argument("--num_hidden", type=int, default=128, help="hidden units (default: 128)")
    p.add_argument("--seed", type=int, default=42, help="seed of the models and the batch (default: 42)")
    p.add_argument("--forget_bias", type=float, nargs="+", default=[1.0, 2.0],
                   help="LSTM forget-gate biases, one figure panel each (default: 1.0 2.0, Figure 3a and 3b)")
    p.add_argument("--init", default="xavier_normal", choices=list(INITIALISATIONS),
                   help="weight initialisation of the models (default: xavier_normal, as the report's code)")
    p.add_argument("--loss", default="mean", choices=["mean", "sum"],
                   help="mean: the batch's mean loss, its gradient then averaged over the batch again, as the "
                        "report's Figure 3; sum: per-example gradients averaged, batch-size times larger "
                        "(default: mean)")
    p.add_argument("--trained_steps", type=int, default=0,
                   help="also measure after training this many steps (default: 0, untrained only)")
    p.add_argument("--device", default="auto", help=DEVICE_HELP)
    p.add_argument("--out_dir", default="results/part1/grads", help="folder of the PNG and CSV "
                                                                    "(default: results/part1/grads)")
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    check_at_least(1, input_length=args.input_length, batch_size=args.batch_size, num_hidden=args.num_hidden)
    check_at_least(0, trained_steps=args.trained_steps)
    for forget_bias in args.forget_bias:
        check_finite(forget_bias=forget_bias)
    check_seeds("seed", args.seed)
    device = resolve_device(args.device)
    if device.type == "mps":
        raise UserError("the gradient norms are computed in float64, which Apple GPUs (MPS) do not support; "
                        "use --device cpu")
    # float64 activations and gradients of every step of the batch, kept for the norms, for the LSTM's gates
    check_fits(device, args.batch_size * args.input_length * args.num_hidden * 8 * 16 + args.num_hidden ** 2 * 8 * 16,
               input_length=args.input_length, batch_size=args.batch_size, num_hidden=args.num_hidden)
    out_dir = ensure_writable_dir(args.out_dir)
    rows = collect(args, device)

    write_csv(out_dir / "grads_over_time.csv", rows)
    plot_gradient_norms(rows, f"Norm of dL/dh_t, input length {args.input_length}, batch {args.batch_size}, "
                              f"seed {args.seed}, {args.init} init, {args.loss} loss", out_dir / "grads_over_time.png")
    for (model, forget_bias, trained_steps), norms in group_curves(rows).items():
        label = model + (f" (forget bias {forget_bias})" if forget_bias != "" else "")
        at = [0, 20, len(norms) - 1] if len(norms) > 21 else [0, len(norms) - 1]
        print(f"{label:>24}, {trained_steps:>5} steps trained: norm at backpropagation step "
              + ", ".join(f"{k}: {norms[k]:.2e}" for k in at))
    print(f"Wrote {out_dir / 'grads_over_time.png'} and {out_dir / 'grads_over_time.csv'}")


if __name__ == "__main__":
    run_main(main, "part1.grads_over_time")
