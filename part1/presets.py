"""The accuracy-vs-input-length experiment's grids, the report's ("paper") and a few minutes' worth ("quick"), and
the report's results."""
import math
from dataclasses import dataclass

from part1.config import MODEL_TYPES, TrainConfig


@dataclass(frozen=True)
class Preset:
    """A grid of input lengths and seeds, with the learning rate and convergence rule for each run."""
    lengths: tuple
    seeds: tuple
    train_steps: int
    min_steps: dict  # model type -> [(largest input length, min steps), ...] in increasing length
    lr_switch_length: int  # learning rate 1e-3 up to this input length, 1e-4 above it
    models: tuple = MODEL_TYPES

    def learning_rate(self, length):
        return 1e-3 if length <= self.lr_switch_length else 1e-4

    def min_steps_for(self, model_type, length):
        return next(steps for largest, steps in self.min_steps[model_type] if length <= largest)


PRESETS = {
    # The report's experiment.
    "paper": Preset(
        lengths=(5, 10, 15, 20, 25, 30, 50, 100, 150), seeds=(42, 43, 44, 45), train_steps=10000,
        min_steps={"RNN": [(15, 1000), (29, 3000), (math.inf, 6500)],
                   "LSTM": [(15, 1500), (29, 5000), (math.inf, 6500)]},
        lr_switch_length=15),
    # Minutes on a 2-core CPU, with the report's picture: both models perfect at short lengths, the RNN failing
    # where the LSTM learns. A learning rate of 1e-3 throughout, so that 3000 steps suffice.
    "quick": Preset(
        lengths=(5, 10, 20, 30, 50), seeds=(42, 43), train_steps=3000,
        min_steps={"RNN": [(math.inf, 1000)], "LSTM": [(math.inf, 1000)]},
        lr_switch_length=math.inf),
}


# The report's results for the paper preset: (model, input length) -> test accuracy (mean, std) over seeds 42-45 on
# 8192 palindromes. Its prose names the last two columns "50 and 100"; its Figures 1 and 2 and its results file put
# them at 100 and 150, perfect through 50.
REPORT_ACCURACY = {
    **{("RNN", length): (1.0, 0.0) for length in (5, 10, 15, 25, 30, 50)},
    ("RNN", 20): (0.9998, 0.0004),
    ("RNN", 100): (0.3250, 0.3896),
    ("RNN", 150): (0.1044, 0.0043),
    **{("LSTM", length): (1.0, 0.0) for length in (5, 10, 15)},
    ("LSTM", 20): (1.0, 0.0001),
    **{("LSTM", length): (0.9999, 0.0001) for length in (25, 30, 50)},
    ("LSTM", 100): (0.7743, 0.3908),
    ("LSTM", 150): (0.3279, 0.3880),
}


# What every run of a sweep shares, whatever the preset: one-hot digits, no progress lines, no gradient clipping
# (the report's code called its clipping before backward(), so it never clipped; both presets do as it did), and
# one CPU thread, so that a result does not depend on how many runs train at once.
SWEEP_RUN = dict(input_dim=10, print_every=0, max_norm=None, num_threads=1)


def plan(preset_name, models=None, lengths=None, seeds=None, steps=None, **settings):
    """The TrainConfigs of a sweep: the preset's grid, with any of models, lengths, seeds, steps overridden.

    settings: TrainConfig fields for every run (device, num_threads, impl, init, max_norm, tensorboard), over
    SWEEP_RUN and TrainConfig's defaults.
    """
    preset = PRESETS[preset_name]
    every_run = TrainConfig(**{**SWEEP_RUN, **settings})
    return [every_run.replace(model_type=model_type, input_length=length, seed=seed,
                              learning_rate=preset.learning_rate(length), train_steps=steps or preset.train_steps,
                              min_steps=preset.min_steps_for(model_type, length))
            for model_type in models or preset.models
            for length in lengths or preset.lengths
            for seed in seeds or preset.seeds]
